/* The running machine: the KVM VM, its vCPUs and their host threads, the devices on their port
 * and MMIO buses, and the stop state all threads watch. Shared by vmm.c (setup, signals, stats)
 * and kvm/exits.c (the vCPU loop). */
#ifndef VMM_MACHINE_H
#define VMM_MACHINE_H

#include <pthread.h>
#include <stdint.h>

#include "dev/bus.h"
#include "dev/exitport.h"
#include "dev/serial.h"
#include "image.h"
#include "kvm/vm.h"
#include "toro.h"
#include "virtio/console.h"
#include "virtio/device.h"

#define MACHINE_EXIT_REASONS    64 /* KVM exit reasons counted by number below this */
#define MACHINE_EXIT_GUEST_DIED 3  /* triple fault, unrunnable instruction, halted for good */
#define MACHINE_EXIT_HOST_ERROR 1

struct vcpu_thread {
	struct vcpu vcpu;
	struct machine *mc;
	pthread_t thread;
	uint64_t exits[MACHINE_EXIT_REASONS];
	uint64_t interrupted; /* KVM_RUN returns for signals */
	int halt_warned;
	/* With synced registers: the state at the latest exit other than a shutdown, the last
	 * thing known of a vCPU that KVM resets on a triple fault. */
	struct kvm_regs last_regs;
	uint32_t last_exit; /* its exit reason; 0 (KVM_EXIT_UNKNOWN) before the first */
};

struct machine {
	const struct run_options *opts;
	const struct image *img;
	const char *name; /* the image path, for messages */
	struct kvm_vm vm;
	int ncpus;
	struct vcpu_thread cpus[TORO_CPUS_MAX];

	pthread_mutex_t dev_lock; /* held around every device access */
	struct bus pio, mmio;
	struct serial serial;
	struct exitport exitport;
	struct virtio_console console;
	int nvirtio;
	struct virtio_dev virtio[1];

	int stopping; /* atomic: set once, by machine_stop */
	int exit_code;
	double deadline; /* monotonic seconds; 0: no --timeout */

	/* Monotonic seconds, for --stats. */
	double t_start, t_first_run, t_first_exit, t_stop;
};

/* Ends the run with code; the first call wins. Any thread may call it. */
void machine_stop(struct machine *mc, int code);

int machine_stopping(const struct machine *mc);

/* Monotonic time in seconds. */
double machine_now(void);

/* Handles pending signals and the once-a-second check on the boot CPU's thread (vmm.c). */
void machine_check_signals(struct machine *mc, struct vcpu_thread *vt);

/* Prints "toro: IMAGE: message" on stderr after flushing guest output. */
void machine_report(const struct machine *mc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Runs one vCPU until the machine stops (kvm/exits.c). */
void vcpu_loop(struct vcpu_thread *vt);

/* Describes addr as "function+0xoff" from the image's symbols, or "an unknown function". */
void machine_symbolize(const struct machine *mc, uint64_t addr, char *buf, size_t len);

/* Prints the registers of vt's vCPU (from its own thread). */
void vcpu_dump_registers(struct vcpu_thread *vt);

/* Prints where vt's vCPU was when it last left KVM_RUN, if KVM syncs its registers. */
void vcpu_report_where(const struct vcpu_thread *vt);

/* A KVM exit reason's short name ("io", "mmio"...), or NULL for one without a name here. */
const char *vcpu_exit_name(unsigned reason);

/* The thread-local kvm_run of the vCPU the calling thread runs, for the signal handler. */
extern __thread struct kvm_run *vcpu_current_run;

#endif
