/* vsock stream sockets (kernel/net/): the one socket implementation under both application
 * APIs. The native API (kernel/api/socket_api.c, include/toro/socket.h) and the Linux layer
 * (kernel/sys/socket.c, which wraps a socket in a struct file) call only these. The protocol
 * (virtio 1.2 §5.10.6: REQUEST/RESPONSE/RST/SHUTDOWN/RW/CREDIT_*, credit flow control) runs over
 * the virtio-vsock driver (kernel/drivers/virtio/vsock.c), which hands received packets to
 * kernel/net and sends what kernel/net gives it.
 *
 * Every call returns a value or -LINUX_E* as Linux's socket calls would answer (ECONNREFUSED,
 * ECONNRESET, EPIPE, EAGAIN, EADDRINUSE, ENOTCONN, EISCONN, EINVAL, ETIMEDOUT, EINTR, ENODEV when
 * the machine has no vsock device). Blocking calls park the calling thread (any core may use any
 * socket); flags ask for the non-blocking form instead. Never called from an IRQ handler. */
#ifndef KERNEL_VSOCK_H
#define KERNEL_VSOCK_H

#include <stddef.h>
#include <stdint.h>

#include <kernel/file.h>

struct vsock;

/* Flags of the calls below. */
#define VSOCK_NONBLOCK 0x1 /* fail with -EAGAIN (-EINPROGRESS for connect) instead of blocking */
#define VSOCK_PEEK     0x2 /* recv: leave the bytes in the socket */
#define VSOCK_WAITALL  0x4 /* recv: block until the whole request is there (or EOF/error) */

/* vsock_shutdown's how, as Linux's SHUT_RD, SHUT_WR, SHUT_RDWR. */
#define VSOCK_SHUT_RD   0
#define VSOCK_SHUT_WR   1
#define VSOCK_SHUT_RDWR 2

/* This guest's CID (from the device's config), or 0 when the machine has no vsock device. */
uint64_t vsock_local_cid(void);

/* A new unbound, unconnected socket. Returns 0 and *out, or -ENOMEM. */
int vsock_create(struct vsock **out);

/* Binds to a local port; VSOCK_PORT_ANY picks a free ephemeral one. -EADDRINUSE if another
 * socket is bound or listening there, -EINVAL if already bound. */
int vsock_bind(struct vsock *s, uint32_t port);

/* Starts listening (binding an ephemeral port first if unbound); backlog bounds the connections
 * waiting for accept (further REQUESTs are answered with RST). Calling it again changes backlog. */
int vsock_listen(struct vsock *s, int backlog);

/* Takes the next established connection: 0 and *out (a new socket, with s's receive timeout),
 * -EAGAIN with VSOCK_NONBLOCK or when the receive timeout passes, -EINVAL if s is not listening,
 * -EINTR if a signal interrupted the wait. */
int vsock_accept(struct vsock *s, struct vsock **out, unsigned flags);

/* Connects to (cid, port), binding an ephemeral port first if unbound; waits up to the socket's
 * connect timeout (vsock_set_connect_timeout, 2 s by default as Linux's). -ECONNREFUSED on RST,
 * -ETIMEDOUT, -EINPROGRESS with VSOCK_NONBLOCK (completion shows in vsock_poll as POLLOUT, the
 * result in vsock_take_error), -EISCONN, -EALREADY. */
int vsock_connect(struct vsock *s, uint64_t cid, uint32_t port, unsigned flags);

/* Sends from iov[0..count) on a connected socket: blocks while the peer has no credit unless
 * VSOCK_NONBLOCK (then a partial count, or -EAGAIN if nothing went). -EPIPE after SHUT_WR or
 * the peer's SHUTDOWN_RCV/RST (the caller raises SIGPIPE where Linux would), -ENOTCONN. */
long vsock_send(struct vsock *s, const struct file_iovec *iov, size_t count, unsigned flags);

/* Receives into iov[0..count): what is there (at least one byte), 0 at end of stream (the peer
 * shut down sending, or RST after its data), -EAGAIN with VSOCK_NONBLOCK or when the receive
 * timeout passes with nothing received, -ENOTCONN, -ECONNRESET. The bytes are copied once, from
 * the received packet to iov. */
long vsock_recv(struct vsock *s, const struct file_iovec *iov, size_t count, unsigned flags);

int vsock_shutdown(struct vsock *s, int how);

/* Closes the socket: a connected one sends SHUTDOWN then RST once the peer answers (or at
 * once), a listening one resets its pending connections. s is not used again by the caller. */
void vsock_close(struct vsock *s);

/* Readiness now (LINUX_POLLIN, LINUX_POLLOUT, LINUX_POLLRDHUP, LINUX_POLLHUP, LINUX_POLLERR);
 * never blocks. A listening socket is POLLIN when accept would not block. */
unsigned vsock_poll(struct vsock *s);

/* Waiting for any of several sockets (the native toro_poll): read the generation, check the
 * sockets with vsock_poll, then vsock_poll_wait(generation, deadline), which returns at once (0)
 * if any socket's readiness may have changed since, else parks the thread (as waiting for the
 * device) until one may have (0) or until the monotonic deadline (1; 0 means none). */
uint64_t vsock_poll_generation(void);
int vsock_poll_wait(uint64_t generation, uint64_t deadline_ns);

/* Called (in thread context, never from the IRQ handler, with no socket lock held) whenever the
 * socket's readiness may have changed; the Linux layer passes file_notify of its file. Once
 * vsock_set_notify (with another fn or NULL) or vsock_close returns, no call of the old fn is
 * running or will start, so its ctx may be freed. */
void vsock_set_notify(struct vsock *s, void (*fn)(void *ctx), void *ctx);

/* The local (peer = 0) or remote (peer = 1) address. -ENOTCONN for the peer of an unconnected
 * socket. */
int vsock_getname(const struct vsock *s, int peer, uint64_t *cid, uint32_t *port);

/* SO_ERROR: the pending error (a failed non-blocking connect), cleared. */
int vsock_take_error(struct vsock *s);

/* SO_RCVBUF (buf_alloc advertised to the peer; bounded by the implementation), the connect
 * timeout in nanoseconds (SO_VM_SOCKETS_CONNECT_TIMEOUT), and the receive timeout (SO_RCVTIMEO:
 * how long vsock_recv and vsock_accept wait; 0, the default, for no limit). */
int vsock_set_buffer_size(struct vsock *s, uint32_t bytes);
uint32_t vsock_buffer_size(const struct vsock *s);
void vsock_set_connect_timeout(struct vsock *s, uint64_t ns);
uint64_t vsock_connect_timeout(const struct vsock *s);
void vsock_set_recv_timeout(struct vsock *s, uint64_t ns);
uint64_t vsock_recv_timeout(const struct vsock *s);

#endif
