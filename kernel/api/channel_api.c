/* The native channel API (include/toro/channel.h) over kernel/ipc. An image that calls none of
 * these links none of kernel/ipc. */
#include <toro/channel.h>

#include <kernel/cpu.h>
#include <kernel/ipc.h>
#include <toro/abi/linux.h>

_Static_assert(TORO_CHAN_MSG_MAX == 64u << 10, "kernel/ipc/chan_ring.h CHAN_MSG_MAX");
_Static_assert(TORO_EIO == LINUX_EIO && TORO_EAGAIN == LINUX_EAGAIN &&
                   TORO_ENOMEM == LINUX_ENOMEM && TORO_EINVAL == LINUX_EINVAL &&
                   TORO_EMSGSIZE == LINUX_EMSGSIZE,
               "the native API's error codes are Linux's");

int toro_chan_send(unsigned core, const void *buf, size_t len)
{
	return chan_send(core, buf, len, 0);
}

int toro_chan_try_send(unsigned core, const void *buf, size_t len)
{
	return chan_send(core, buf, len, CHAN_NONBLOCK);
}

/* A core number too large for chan_recv's int is no core at all. */
static int source_core(unsigned core)
{
	return core > CPU_MAX ? CPU_MAX : (int)core;
}

long toro_chan_recv(unsigned core, void *buf, size_t cap)
{
	return chan_recv(source_core(core), NULL, buf, cap, 0);
}

long toro_chan_try_recv(unsigned core, void *buf, size_t cap)
{
	return chan_recv(source_core(core), NULL, buf, cap, CHAN_NONBLOCK);
}

long toro_chan_recv_any(unsigned *from, void *buf, size_t cap)
{
	return chan_recv(CHAN_ANY, from, buf, cap, 0);
}

long toro_chan_try_recv_any(unsigned *from, void *buf, size_t cap)
{
	return chan_recv(CHAN_ANY, from, buf, cap, CHAN_NONBLOCK);
}
