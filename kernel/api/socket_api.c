/* The native socket API (include/toro/socket.h) over kernel/net's vsock sockets
 * (kernel/include/kernel/vsock.h): buffers become one-entry iovecs, flags map one to one, and
 * toro_poll waits on kernel/net's poll generation. */
#include <toro/socket.h>

#include <kernel/time.h>
#include <kernel/vsock.h>
#include <toro/abi/linux.h>

_Static_assert(TORO_DONTWAIT == VSOCK_NONBLOCK && TORO_PEEK == VSOCK_PEEK &&
                   TORO_WAITALL == VSOCK_WAITALL,
               "native socket flags are kernel/net's");
_Static_assert(TORO_SHUT_RD == VSOCK_SHUT_RD && TORO_SHUT_WR == VSOCK_SHUT_WR &&
                   TORO_SHUT_RDWR == VSOCK_SHUT_RDWR,
               "native shutdown modes are kernel/net's");
_Static_assert(TORO_POLLIN == LINUX_POLLIN && TORO_POLLOUT == LINUX_POLLOUT &&
                   TORO_POLLERR == LINUX_POLLERR && TORO_POLLHUP == LINUX_POLLHUP &&
                   TORO_POLLRDHUP == LINUX_POLLRDHUP,
               "native poll bits are Linux's");
_Static_assert(TORO_ECONNREFUSED == LINUX_ECONNREFUSED && TORO_EAGAIN == LINUX_EAGAIN &&
                   TORO_ETIMEDOUT == LINUX_ETIMEDOUT && TORO_ECONNRESET == LINUX_ECONNRESET,
               "native error numbers are Linux's");

uint64_t toro_socket_cid(void)
{
	return vsock_local_cid();
}

int toro_listen(uint32_t port, int backlog, toro_socket **out)
{
	struct vsock *s;
	int err = vsock_create(&s);
	if (err)
		return err;
	err = vsock_bind(s, port);
	if (!err)
		err = vsock_listen(s, backlog);
	if (err) {
		vsock_close(s);
		return err;
	}
	*out = s;
	return 0;
}

int toro_accept(toro_socket *listener, toro_socket **out, unsigned flags)
{
	return vsock_accept(listener, out, flags & TORO_DONTWAIT);
}

int toro_connect(uint64_t cid, uint32_t port, uint64_t timeout_ns, unsigned flags,
                 toro_socket **out)
{
	struct vsock *s;
	int err = vsock_create(&s);
	if (err)
		return err;
	if (timeout_ns)
		vsock_set_connect_timeout(s, timeout_ns);
	err = vsock_connect(s, cid, port, flags & TORO_DONTWAIT);
	if (err && err != -LINUX_EINPROGRESS) {
		vsock_close(s);
		return err;
	}
	*out = s;
	return err;
}

long toro_send(toro_socket *s, const void *buf, size_t len, unsigned flags)
{
	struct file_iovec iov = {(void *)buf, len};
	return vsock_send(s, &iov, 1, flags & TORO_DONTWAIT);
}

long toro_recv(toro_socket *s, void *buf, size_t len, unsigned flags)
{
	struct file_iovec iov = {buf, len};
	return vsock_recv(s, &iov, 1, flags & (TORO_DONTWAIT | TORO_PEEK | TORO_WAITALL));
}

void toro_set_recv_timeout(toro_socket *s, uint64_t timeout_ns)
{
	vsock_set_recv_timeout(s, timeout_ns);
}

int toro_shutdown(toro_socket *s, int how)
{
	return vsock_shutdown(s, how);
}

void toro_close(toro_socket *s)
{
	vsock_close(s);
}

int toro_socket_name(toro_socket *s, int peer, uint64_t *cid, uint32_t *port)
{
	return vsock_getname(s, peer, cid, port);
}

int toro_socket_error(toro_socket *s)
{
	return vsock_take_error(s);
}

static int poll_scan(struct toro_pollsock *socks, unsigned n)
{
	int ready = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned want = socks[i].events | TORO_POLLERR | TORO_POLLHUP;
		socks[i].revents = vsock_poll(socks[i].sock) & want;
		ready += socks[i].revents != 0;
	}
	return ready;
}

int toro_poll(struct toro_pollsock *socks, unsigned n, int64_t timeout_ns)
{
	uint64_t deadline = 0;
	if (timeout_ns > 0)
		deadline = time_monotonic_ns() + (uint64_t)timeout_ns;
	for (;;) {
		uint64_t generation = vsock_poll_generation();
		int ready = poll_scan(socks, n);
		if (ready || timeout_ns == 0)
			return ready;
		if (vsock_poll_wait(generation, deadline))
			return poll_scan(socks, n);
	}
}
