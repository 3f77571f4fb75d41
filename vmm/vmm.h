/* The built-in KVM microVM monitor: boots an image the way DESIGN.md §2 describes and returns
 * the guest's exit code. */
#ifndef VMM_VMM_H
#define VMM_VMM_H

#include "image.h"
#include "toro.h"

/* vmm_run's result, without a message, when /dev/kvm cannot be opened or is not usable (errno
 * says why): the caller decides between QEMU and an error. */
#define VMM_NO_KVM (-1)

/* Boots img with options o. Returns the guest's exit code (the byte written to the exit port,
 * 0 after an i8042 reset), 2 for an image that cannot boot, 3 when the guest dies (triple
 * fault, an instruction KVM cannot run, halted with interrupts off), TORO_EXIT_TIMEOUT,
 * TORO_EXIT_SIGNAL, 1 for a host failure, or VMM_NO_KVM. Reasons go to stderr, one line each
 * (register dumps follow theirs). */
int vmm_run(const struct run_options *o, const struct image *img);

#endif
