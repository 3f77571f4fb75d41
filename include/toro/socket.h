/* Native API: vsock stream sockets, Toro's only network. The host reaches a guest port through
 * the monitor (`--forward HOSTPORT:GUESTPORT` for TCP, `--vsock PATH` for Firecracker's Unix
 * socket protocol); the guest reaches the host as CID 2 (TORO_CID_HOST). docs/networking.md
 * explains the model. Calls block the calling thread (other threads of its core run meanwhile)
 * unless given TORO_DONTWAIT; any thread on any core may use any socket.
 *
 * Errors are negative Linux errno values, named below for the ones a caller tells apart. An image
 * that calls none of these carries no socket code and no vsock driver. */
#ifndef TORO_SOCKET_H
#define TORO_SOCKET_H

#include <stddef.h>
#include <stdint.h>

typedef struct vsock toro_socket;

#define TORO_CID_HOST 2u
#define TORO_PORT_ANY 0xffffffffu

/* Flags of accept, connect, send and recv. */
#define TORO_DONTWAIT 0x1 /* -TORO_EAGAIN (-TORO_EINPROGRESS for connect) instead of blocking */
#define TORO_PEEK     0x2 /* recv: leave the bytes in the socket */
#define TORO_WAITALL  0x4 /* recv: wait for all len bytes (or the end of the stream) */

/* Negative results (Linux's numbers). */
#define TORO_EAGAIN       11
#define TORO_ENOMEM       12
#define TORO_EINVAL       22
#define TORO_EPIPE        32
#define TORO_EADDRINUSE   98
#define TORO_ECONNRESET   104
#define TORO_EISCONN      106
#define TORO_ENOTCONN     107
#define TORO_ETIMEDOUT    110
#define TORO_ECONNREFUSED 111
#define TORO_EALREADY     114
#define TORO_EINPROGRESS  115
#define TORO_ENODEV       19

/* This guest's CID, or 0 when the machine has no vsock device. */
uint64_t toro_socket_cid(void);

/* A socket listening on port (TORO_PORT_ANY: a free one; toro_socket_name tells which), with up
 * to backlog + 1 connections waiting for accept (later ones are refused). 0 and *out, or -errno. */
int toro_listen(uint32_t port, int backlog, toro_socket **out);

/* The next connection on a listening socket: 0 and *out, or -errno (-TORO_EAGAIN with
 * TORO_DONTWAIT when none is waiting). */
int toro_accept(toro_socket *listener, toro_socket **out, unsigned flags);

/* Connects to port on cid (TORO_CID_HOST for the host), waiting up to timeout_ns (0: 2 s).
 * 0 and *out, or -TORO_ECONNREFUSED (nobody listens there), -TORO_ETIMEDOUT, -TORO_ENODEV. With
 * TORO_DONTWAIT, returns -TORO_EINPROGRESS and *out at once: toro_poll shows completion as
 * TORO_POLLOUT and toro_socket_error the result. */
int toro_connect(uint64_t cid, uint32_t port, uint64_t timeout_ns, unsigned flags,
                 toro_socket **out);

/* Sends all len bytes (waiting while the peer has no room for them), or with TORO_DONTWAIT as
 * many as fit now. Returns the count, or -errno: -TORO_EPIPE once either side shut the
 * direction down, -TORO_EAGAIN. */
long toro_send(toro_socket *s, const void *buf, size_t len, unsigned flags);

/* Receives what has arrived, at least one byte (all len with TORO_WAITALL). Returns the count,
 * 0 at the end of the stream (the peer shut down sending or closed), or -errno: -TORO_EAGAIN
 * (TORO_DONTWAIT, or the receive timeout passed), -TORO_ECONNRESET. The bytes are copied once,
 * from the received packet into buf. */
long toro_recv(toro_socket *s, void *buf, size_t len, unsigned flags);

/* How long a toro_recv or toro_accept on s waits before -TORO_EAGAIN: timeout_ns, or no limit
 * for 0 (the default). A socket toro_accept gives starts with its listener's. */
void toro_set_recv_timeout(toro_socket *s, uint64_t timeout_ns);

/* Shuts down receiving, sending or both (TORO_SHUT_*); the peer sees the end of the stream. */
#define TORO_SHUT_RD   0
#define TORO_SHUT_WR   1
#define TORO_SHUT_RDWR 2
int toro_shutdown(toro_socket *s, int how);

/* Closes s (it is not used again): the peer sees the end of the stream, a listening socket's
 * waiting connections are reset. */
void toro_close(toro_socket *s);

/* The local (peer = 0) or remote (peer = 1) address. 0 or -TORO_ENOTCONN. */
int toro_socket_name(toro_socket *s, int peer, uint64_t *cid, uint32_t *port);

/* The error a TORO_DONTWAIT connect ended with (0 if none), cleared. */
int toro_socket_error(toro_socket *s);

/* Readiness, as Linux's poll bits. */
#define TORO_POLLIN    0x001 /* recv would not block (data or end of stream); accept neither */
#define TORO_POLLOUT   0x004 /* send would not block */
#define TORO_POLLERR   0x008
#define TORO_POLLHUP   0x010 /* both directions are shut down */
#define TORO_POLLRDHUP 0x2000 /* the peer shut down sending */

struct toro_pollsock {
	toro_socket *sock;
	unsigned events;  /* what to wait for (TORO_POLLERR and TORO_POLLHUP always count) */
	unsigned revents; /* what is ready, set by toro_poll */
};

/* Waits until one of n sockets is ready for what it asks, or timeout_ns passes (0: do not
 * wait; -1: no limit). Returns how many are ready (0 on timeout) and sets each revents. */
int toro_poll(struct toro_pollsock *socks, unsigned n, int64_t timeout_ns);

#endif
