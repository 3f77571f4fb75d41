/* The application processors' host threads (see machine.h): the boot CPU runs on the thread
 * that called vmm_run, every other vCPU on a thread of its own, which leaves Ctrl-C, SIGTERM and
 * the watchdog alarm to the boot CPU's thread. */
#include "machine.h"

#include <sched.h>
#include <string.h>

#define APS_STACK_SIZE (128 << 10)

static void *aps_thread(void *arg)
{
	vcpu_loop(arg);
	return NULL;
}

/* --pin: each vCPU's thread (the boot CPU's is this one) on its host CPU. After the event
 * thread started, so that it keeps the CPUs it had. */
static int aps_pin(struct machine *mc)
{
	for (int i = 0; i < mc->ncpus; i++) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(mc->cfg->pin[i], &set);
		int r = pthread_setaffinity_np(mc->cpus[i].thread, sizeof(set), &set);
		if (r) {
			machine_report(mc, "cannot pin vCPU %d to host CPU %d: %s", i,
			               mc->cfg->pin[i], strerror(r));
			return r;
		}
	}
	return 0;
}

int aps_start(struct machine *mc)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGALRM);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, APS_STACK_SIZE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int r = 0;
	for (int i = 1; i < mc->ncpus && r == 0; i++) {
		r = pthread_create(&mc->cpus[i].thread, &attr, aps_thread, &mc->cpus[i]);
		if (r) {
			machine_report(mc, "cannot start the thread of vCPU %d: %s", i,
			               strerror(r));
			mc->ncpus = i; /* the ones started are stopped and joined */
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r == 0 && mc->cfg->pin)
		r = aps_pin(mc);
	return r ? -1 : 0;
}

void aps_stop(struct machine *mc)
{
	for (int i = 1; i < mc->ncpus; i++)
		pthread_kill(mc->cpus[i].thread, MACHINE_KICK_SIGNAL);
	for (int i = 1; i < mc->ncpus; i++)
		pthread_join(mc->cpus[i].thread, NULL);
}
