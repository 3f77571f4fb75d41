/* kernel/net's environment in the kernel (kernel/net/net.h): memory from the calling core's heap,
 * the monotonic clock, and parking threads with the scheduler's wake token. The host unit test
 * tests/unit/vsock_proto.c has its own. */
#include <kernel/sched.h>
#include <kernel/time.h>
#include <toro/abi/linux.h>
#include <toro/memory.h>

#include "net.h"

/* Signals (kernel/sys/signal.c), referenced weakly so that kernel/net needs nothing of the Linux
 * layer: where they are linked, a signal due to the waiting thread ends its wait; a native
 * image never has one due. */
void signal_wait_begin(void) __attribute__((weak));
int signal_wait_end(void) __attribute__((weak));

void *vsock_env_alloc(size_t size)
{
	return toro_malloc(size);
}

void vsock_env_free(void *p)
{
	toro_free(p);
}

uint64_t vsock_env_now_ns(void)
{
	return time_monotonic_ns();
}

void vsock_env_wait_prepare(struct vsock_waiter *w, int io_wait)
{
	w->thread = thread_current();
	sched_prepare_block(io_wait);
}

int vsock_env_wait_block(struct vsock_waiter *w, uint64_t deadline_ns)
{
	(void)w;
	int signals = signal_wait_begin != NULL;
	if (signals)
		signal_wait_begin(); /* a signal already due makes the block return at once */
	int timed_out = 0;
	if (deadline_ns)
		timed_out = sched_block_until(deadline_ns);
	else
		sched_block();
	if (signals && signal_wait_end() && !w->woken)
		return -LINUX_EINTR;
	return timed_out;
}

void vsock_env_wake(struct vsock_waiter *w)
{
	sched_wake(w->thread);
}
