/* The application processors' host threads (see machine.h): the boot CPU runs on the thread
 * that called vmm_run, every other vCPU on a thread of its own, which leaves Ctrl-C, SIGTERM and
 * the watchdog alarm to the boot CPU's thread. */
#include "machine.h"

#include <string.h>

#define APS_STACK_SIZE (128 << 10)

static void *aps_thread(void *arg)
{
	vcpu_loop(arg);
	return NULL;
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
	return r ? -1 : 0;
}

void aps_stop(struct machine *mc)
{
	for (int i = 1; i < mc->ncpus; i++)
		pthread_kill(mc->cpus[i].thread, MACHINE_KICK_SIGNAL);
	for (int i = 1; i < mc->ncpus; i++)
		pthread_join(mc->cpus[i].thread, NULL);
}
