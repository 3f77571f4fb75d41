/* The exception handler entry.S calls; the frame and the hooks POSIX images set are in
 * kernel/include/kernel/arch.h, where generic code (kernel/sys/signal.c) can reach them. */
#ifndef KERNEL_ARCH_X86_64_TRAP_H
#define KERNEL_ARCH_X86_64_TRAP_H

#include <kernel/arch.h> /* struct trap_frame and the POSIX hooks */

void trap_handle(struct trap_frame *f);

#endif
