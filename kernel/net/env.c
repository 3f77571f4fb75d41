/* kernel/net's environment in the kernel (kernel/net/net.h): memory from the calling core's heap,
 * the monotonic clock, and parking threads with the scheduler's wake token. The host unit test
 * tests/unit/vsock_proto.c has its own. */
#include <kernel/sched.h>
#include <kernel/time.h>
#include <toro/memory.h>

#include "net.h"

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
	if (deadline_ns)
		return sched_block_until(deadline_ns);
	sched_block();
	return 0;
}

void vsock_env_wake(struct vsock_waiter *w)
{
	sched_wake(w->thread);
}
