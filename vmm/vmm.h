/* The built-in KVM microVM monitor, as the `toro` tool sees it: vmm_run boots one image the way
 * a vmm_config describes and returns the guest's exit code; two questions about the host's KVM
 * help the tool choose between this monitor and QEMU. The monitor includes nothing of the tool. */
#ifndef VMM_VMM_H
#define VMM_VMM_H

#include <stddef.h>
#include <stdint.h>

#include "backend/vsock.h"
#include "image.h"
#include "run.h"
#include "share.h"

/* vmm_run's result, without a message, when /dev/kvm cannot be opened or is not usable (errno
 * says why): the caller decides between QEMU and an error. */
#define VMM_NO_KVM (-1)

struct vmm_config {
	const char *name;            /* the image path, for messages */
	const struct image *image;   /* validated; kept open by the caller during the run */
	uint64_t mem;                /* bytes of guest RAM, TORO_MEM_MIN to TORO_MEM_MAX */
	int cpus;                    /* 1 to TORO_CPUS_MAX */
	double timeout;              /* seconds; 0: none */
	enum console_choice console; /* COM1 alone, or also a virtio console */
	int stats;                   /* print --stats on stderr after the run */
	const int *pin;              /* host CPU of each vCPU thread (cpus entries), or NULL */

	/* --gdb: COM2 at 0x2f8 with gdb_fd, a listening socket (the caller's: the monitor uses a
	 * copy), as its far end. */
	int gdb;
	int gdb_fd;

	/* A virtio-vsock device and its host side (backend/vsock.h), or NULL for none. */
	const struct vsock_config *vsock;

	/* The kernel command line (common/cmdline.h); the monitor puts the words that name its
	 * devices (virtio_mmio.device=, toro.mounts=) in front. */
	const char *cmdline;
	/* The argument module that carries what does not fit the line, or NULL. */
	const char *args_module;
	size_t args_module_len;

	/* Host directories served to the guest, each a virtio-fs device (common/share.h). */
	const struct share *shares;
	int nshares;
};

/* Boots cfg->image. Returns the guest's exit code (the byte written to the exit port, 0 after
 * an i8042 reset), 2 for an image that cannot boot, 3 when the guest dies (triple fault, an
 * instruction KVM cannot run, halted with interrupts off), TORO_EXIT_TIMEOUT, TORO_EXIT_SIGNAL,
 * 1 for a host failure, or VMM_NO_KVM. Reasons go to stderr, one line each (register dumps
 * follow theirs). Runs once per process: the machine's state is static. */
int vmm_run(const struct vmm_config *cfg);

/* Whether /dev/kvm opens, and whether it is a software (nested, emulating) KVM such as kvm_pvm,
 * which cannot run FP instructions in the guest's ring 0 (kvm/vm.c). */
int kvm_host_usable(void);
int kvm_host_is_software(void);

#endif
