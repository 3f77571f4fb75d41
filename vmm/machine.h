/* The running machine: the KVM VM, its vCPUs and their host threads, the board's devices, and
 * the stop state all threads watch; and the functions the monitor's files give each other, by
 * file. vmm.c sets a machine up and runs it (vmm_run). */
#ifndef VMM_MACHINE_H
#define VMM_MACHINE_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "kvm/vm.h"
#include "run.h"
#include "vmm.h"

#define MACHINE_EXIT_REASONS    64 /* KVM exit reasons counted by number below this */
#define MACHINE_EXIT_GUEST_DIED 3  /* triple fault, unrunnable instruction, halted for good */
#define MACHINE_EXIT_HOST_ERROR 1
/* Sent to a vCPU thread to make it leave KVM_RUN (a handler that does nothing but that). */
#define MACHINE_KICK_SIGNAL SIGUSR1

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
	const struct vmm_config *cfg;
	const char *name; /* the image path, for messages */
	struct kvm_vm vm;
	int ncpus;
	struct vcpu_thread cpus[TORO_CPUS_MAX];

	pthread_mutex_t dev_lock; /* held around port I/O (virtio devices have a lock each) */
	struct board board;
	struct event_loop events; /* the event thread: virtio queue work, console output */

	int stopping; /* atomic: set once, by machine_stop */
	int exit_code;
	double deadline; /* monotonic seconds; 0: no --timeout */

	/* Monotonic seconds, for --stats. */
	double t_start, t_first_run, t_first_exit, t_stop;
};

/* machine.c: the primitives every part uses. */

/* Ends the run with code; the first call wins. Any thread may call it. */
void machine_stop(struct machine *mc, int code);
int machine_stopping(const struct machine *mc);

/* Monotonic time in seconds. */
double machine_now(void);

/* Prints "toro: IMAGE: message" on stderr after flushing guest output. */
void machine_report(const struct machine *mc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Describes addr as "function+0xoff" from the image's symbols, or "an unknown function". */
void machine_symbolize(const struct machine *mc, uint64_t addr, char *buf, size_t len);

/* signals.c: Ctrl-C, SIGTERM, SIGHUP and the watchdog alarm, all taken on the boot CPU's
 * thread. */

/* Installs the handlers (no SA_RESTART, so KVM_RUN returns EINTR). */
void signals_install(void);

/* Arms the watchdog: at the --timeout deadline or a second from now, whichever is first. */
void signals_arm_watchdog(struct machine *mc);
void signals_disarm_watchdog(void);

/* Handles what arrived while the boot CPU was in KVM_RUN: stops the machine on a signal or at
 * the deadline. Returns 1 on a watchdog tick that leaves the machine running (the watchdog is
 * armed again): the caller then checks whether the boot CPU is halted for good. */
int signals_check(struct machine *mc);

/* The kvm_run of the vCPU the calling thread runs, for the signal handler; set by vcpu_loop. */
extern __thread struct kvm_run *vcpu_current_run;

/* aps.c: the application processors' threads. */

/* Starts a thread per vCPU but the boot CPU, then pins every vCPU thread (the boot CPU's too)
 * with --pin; -1 (reported) if one cannot be started or pinned, the ones that were being left
 * to aps_stop. */
int aps_start(struct machine *mc);

/* Kicks every AP thread out of KVM_RUN and joins it; the machine is stopping. */
void aps_stop(struct machine *mc);

/* stats.c: --stats, on stderr after the run. */
void stats_print(const struct machine *mc);

/* teardown.c: destroys the VM after the process has exited (see there). */
void teardown_defer(void);

/* kvm/exits.c: the vCPU loop. */

/* Runs one vCPU until the machine stops. */
void vcpu_loop(struct vcpu_thread *vt);

/* Prints where vt's vCPU was when it last left KVM_RUN, if KVM syncs its registers. */
void vcpu_report_where(const struct vcpu_thread *vt);

/* A KVM exit reason's short name ("io", "mmio"...), or NULL for one without a name here. */
const char *vcpu_exit_name(unsigned reason);

#endif
