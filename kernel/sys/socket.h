/* Sockets for POSIX images: a struct file wrapping a vsock stream socket (kernel/include/kernel/
 * vsock.h). AF_VSOCK sockets are vsock sockets as Linux has them; AF_INET and AF_INET6 stream
 * sockets are carried over vsock too (port P is vsock port P, a connect reaches the host, CID 2),
 * so unmodified TCP programs serve through the monitor's --forward. Shared by socket.c (the file
 * type, creation, connections), socket_addr.c (addresses, names), socket_io.c (send and receive)
 * and socket_opt.c (options). Private to kernel/sys. */
#ifndef KERNEL_SYS_SOCKET_H
#define KERNEL_SYS_SOCKET_H

#include <stdint.h>

#include <kernel/file.h>
#include <kernel/vsock.h>

/* An IPv4 or IPv6 address as the program gave or is shown it, in network byte order. */
struct socket_inet_addr {
	uint8_t bytes[16]; /* the first 4 for IPv4 */
};

struct socket {
	struct file file;
	struct vsock *vsock;
	int family;    /* LINUX_AF_VSOCK, LINUX_AF_INET or LINUX_AF_INET6 */
	int listening; /* SO_ACCEPTCONN */
	/* For AF_INET and AF_INET6: the address bind was given (0.0.0.0 or :: before any) and the
	 * one connect was given; a socket from accept shows the loopback address for both. */
	struct socket_inet_addr local, peer;
	/* Options kept only to be read back: nothing here acts on them (docs/syscalls.md). */
	int reuseaddr, reuseport, keepalive, broadcast, oobinline, dontroute;
	int tcp_nodelay, tcp_cork, tcp_quickack, tcp_keepidle, tcp_keepintvl, tcp_keepcnt;
	int tcp_user_timeout, ip_tos, ipv6_v6only;
	int sndbuf;
	struct linux_linger linger;
	uint64_t vsock_buffer_min, vsock_buffer_max;
};

/* The socket fd names, with a reference to its file (file_put(&s->file) when done): 0, -EBADF,
 * or -ENOTSOCK when fd is open but not a socket. */
int socket_get(uint64_t fd, struct socket **out);

/* Whether a call on f must not block: O_NONBLOCK on the file, or MSG_DONTWAIT. */
unsigned socket_vsock_flags(const struct socket *s, uint64_t msg_flags);

/* Sends iov[0..count) as send(2) with msg_flags: a broken connection (-EPIPE) sends SIGPIPE to
 * the calling thread unless MSG_NOSIGNAL. */
long socket_send_iov(struct socket *s, const struct file_iovec *iov, size_t count,
                     uint64_t msg_flags);

/* What an address the program passed names: the vsock end, and the IP address for AF_INET and
 * AF_INET6. */
struct socket_target {
	uint64_t cid;
	uint32_t port;
	struct socket_inet_addr ip;
};

/* Reads the address at uaddr of len bytes for s's family: 0, -EINVAL (bad length), -EFAULT,
 * -EAFNOSUPPORT (another family). unspec_any: AF_UNSPEC with address 0 counts as AF_INET, as
 * Linux's bind takes it. (socket_addr.c) */
int socket_addr_read(const struct socket *s, uint64_t uaddr, uint64_t len, struct socket_target *t,
                     int unspec_any);

/* Sets the addresses of s, a connection accepted on listener. */
void socket_accepted_addresses(const struct socket *listener, struct socket *s);

/* Writes s's peer address to the program's uaddr (room in *ulen), if it gave one: 0 or -errno. */
long socket_accepted_peer(const struct socket *s, uint64_t uaddr, uint64_t ulen);

#endif
