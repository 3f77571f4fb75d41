/* Signals and the watchdog (see machine.h): Ctrl-C, SIGTERM and SIGHUP stop the guest, the
 * SIGALRM watchdog enforces --timeout and lets the boot CPU's thread look at a guest that runs
 * long; every handler also makes KVM_RUN return, now or at its next entry. */
#include "machine.h"

#include <string.h>
#include <sys/time.h>

#define SIGNALS_WATCHDOG_PERIOD 1.0 /* seconds between checks of a guest that runs long */

__thread struct kvm_run *vcpu_current_run;

static volatile sig_atomic_t signals_pending; /* SIGINT, SIGTERM or SIGHUP */
static volatile sig_atomic_t signals_alarm_pending;

/* Interrupts KVM_RUN on this thread: now, or at once on the next entry (immediate_exit closes
 * the window between checking the flags and entering the guest). */
static void signals_handler(int sig)
{
	if (sig == SIGALRM)
		signals_alarm_pending = 1;
	else if (sig != MACHINE_KICK_SIGNAL)
		signals_pending = sig;
	if (vcpu_current_run)
		vcpu_current_run->immediate_exit = 1;
}

void signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = signals_handler; /* no SA_RESTART: KVM_RUN must return EINTR */
	sigemptyset(&sa.sa_mask);
	int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGALRM, MACHINE_KICK_SIGNAL};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	/* A caller may block the stop signals until the handlers are in place, so that one sent
	 * in between stops the guest instead of killing the process unannounced. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
}

static void signals_set_alarm(double seconds)
{
	struct itimerval it = {{0, 0}, {0, 0}};
	if (seconds < 0.001)
		seconds = 0.001;
	it.it_value.tv_sec = (time_t)seconds;
	it.it_value.tv_usec = (suseconds_t)((seconds - (double)it.it_value.tv_sec) * 1e6);
	setitimer(ITIMER_REAL, &it, NULL);
}

void signals_arm_watchdog(struct machine *mc)
{
	double next = SIGNALS_WATCHDOG_PERIOD;
	if (mc->deadline && mc->deadline - machine_now() < next)
		next = mc->deadline - machine_now();
	signals_set_alarm(next);
}

void signals_disarm_watchdog(void)
{
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
}

int signals_check(struct machine *mc)
{
	if (signals_pending) {
		machine_report(mc, "interrupted; guest stopped");
		machine_stop(mc, TORO_EXIT_SIGNAL);
		return 0;
	}
	if (!signals_alarm_pending)
		return 0;
	signals_alarm_pending = 0;
	if (mc->deadline && machine_now() >= mc->deadline) {
		machine_report(mc, "guest still running after %g s (--timeout); stopped",
		               mc->cfg->timeout);
		machine_stop(mc, TORO_EXIT_TIMEOUT);
		return 0;
	}
	signals_arm_watchdog(mc);
	return 1;
}
