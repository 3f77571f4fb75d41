/* Sockets as files (kernel/sys/socket.h): the file type over a vsock socket, and the calls that
 * make, name and connect sockets: socket, socketpair, bind, listen, accept, accept4, connect,
 * shutdown, getsockname, getpeername. The `net` system-call group: an image that calls none of
 * musl's socket functions links none of this, nor kernel/net (docs/architecture.md, "Build").
 *
 * AF_INET and AF_INET6 stream sockets are vsock sockets under an IP face: bind to any address and
 * port P listens on vsock port P; connect to any address and port P reaches the host (CID 2) on
 * vsock port P; the addresses shown are the ones the program gave, or the loopback address for
 * the far end of an accepted connection (there is no IP stack to give another). */
#include "socket.h"

#include "signal.h"
#include "syscall.h"
#include "syscall_groups.h"

#include <kernel/fd.h>
#include <toro/abi/linux.h>
#include <toro/abi/virtio.h>
#include <toro/memory.h>

#define SOCKET_TYPE_FLAGS (LINUX_SOCK_NONBLOCK | LINUX_SOCK_CLOEXEC)
#define SOCKET_TYPE_MAX   10   /* Linux's SOCK_MAX - 1: types beyond are EINVAL, not unsupported */
#define SOCKET_FAMILY_MAX 45   /* Linux's AF_MAX - 1 */
#define SOMAXCONN         4096 /* Linux's net.core.somaxconn default: the largest backlog */

static const struct file_ops socket_ops;

int socket_get(uint64_t fd, struct socket **out)
{
	struct file *f = fd_get((unsigned)fd);
	if (!f)
		return -LINUX_EBADF;
	if (f->ops != &socket_ops) {
		file_put(f);
		return -LINUX_ENOTSOCK;
	}
	*out = f->private;
	return 0;
}

unsigned socket_vsock_flags(const struct socket *s, uint64_t msg_flags)
{
	unsigned status = __atomic_load_n(&s->file.flags, __ATOMIC_RELAXED);
	int nonblock = (status & LINUX_O_NONBLOCK) || (msg_flags & LINUX_MSG_DONTWAIT);
	return nonblock ? VSOCK_NONBLOCK : 0;
}

/* read, readv, write and writev are recv and send with no flags. */
static long socket_read(struct file *f, const struct file_iovec *iov, size_t count)
{
	struct socket *s = f->private;
	return vsock_recv(s->vsock, iov, count, socket_vsock_flags(s, 0));
}

long socket_send_iov(struct socket *s, const struct file_iovec *iov, size_t count,
                     uint64_t msg_flags)
{
	long rc = vsock_send(s->vsock, iov, count, socket_vsock_flags(s, msg_flags));
	/* TCP answers a send before any connection with EPIPE, vsock with ENOTCONN. */
	if (rc == -LINUX_ENOTCONN && s->family != LINUX_AF_VSOCK)
		rc = -LINUX_EPIPE;
	if (rc == -LINUX_EPIPE && !(msg_flags & LINUX_MSG_NOSIGNAL))
		signal_send_self(LINUX_SIGPIPE);
	return rc;
}

static long socket_write(struct file *f, const struct file_iovec *iov, size_t count)
{
	return socket_send_iov(f->private, iov, count, 0);
}

static unsigned socket_poll(struct file *f)
{
	struct socket *s = f->private;
	return vsock_poll(s->vsock);
}

static int socket_stat(struct file *f, struct file_stat *st)
{
	(void)f;
	st->mode = LINUX_S_IFSOCK | 0777;
	st->blksize = 4096;
	return 0;
}

static void socket_release(struct file *f)
{
	struct socket *s = f->private;
	vsock_close(s->vsock); /* no notification comes after it */
	toro_free(s);
}

static const struct file_ops socket_ops = {
    .read = socket_read,
    .write = socket_write,
    .poll = socket_poll,
    .stat = socket_stat,
    .release = socket_release,
};

static void socket_notify(void *ctx)
{
	struct socket *s = ctx;
	file_notify(&s->file);
}

/* A new socket file over vs (which it takes over) for family, with one reference; NULL when
 * memory ran out (vs is closed then). */
static struct socket *socket_new(struct vsock *vs, int family, uint64_t type_flags)
{
	struct socket *s = toro_calloc(1, sizeof(*s));
	if (!s) {
		vsock_close(vs);
		return NULL;
	}
	s->vsock = vs;
	s->family = family;
	s->sndbuf = (int)vsock_buffer_size(vs);
	s->tcp_keepidle = 7200; /* Linux's defaults, in seconds and probes */
	s->tcp_keepintvl = 75;
	s->tcp_keepcnt = 9;
	file_init(&s->file, &socket_ops,
	          LINUX_O_RDWR | (unsigned)(type_flags & LINUX_SOCK_NONBLOCK), s);
	vsock_set_notify(vs, socket_notify, s);
	return s;
}

/* Installs s as a descriptor (the table takes the caller's reference), or drops it. */
static long socket_fd(struct socket *s, uint64_t type_flags)
{
	return fd_install_or_put(&s->file, 0, (type_flags & LINUX_SOCK_CLOEXEC) != 0);
}

/* The checks of socket and socketpair, in Linux's order (net/socket.c, __sys_socket and
 * __sock_create, then the family's create): 0 for a stream socket this kernel makes. */
static long socket_check(uint64_t family, uint64_t type, uint64_t protocol)
{
	int kind = (int)type & LINUX_SOCK_TYPE_MASK;
	if ((int)type & ~(LINUX_SOCK_TYPE_MASK | SOCKET_TYPE_FLAGS))
		return -LINUX_EINVAL;
	if ((int)family < 0 || (int)family > SOCKET_FAMILY_MAX)
		return -LINUX_EAFNOSUPPORT;
	if (kind > SOCKET_TYPE_MAX)
		return -LINUX_EINVAL;
	if ((int)family == LINUX_AF_VSOCK) {
		if (kind != LINUX_SOCK_STREAM)
			return -LINUX_ESOCKTNOSUPPORT;
		return (int)protocol ? -LINUX_EPROTONOSUPPORT : 0;
	}
	if ((int)family != LINUX_AF_INET && (int)family != LINUX_AF_INET6)
		return -LINUX_EAFNOSUPPORT;
	/* No IP stack: only TCP, carried over vsock. UDP and raw sockets are a family we lack. */
	if (kind == LINUX_SOCK_DGRAM || kind == LINUX_SOCK_RAW)
		return -LINUX_EAFNOSUPPORT;
	if (kind != LINUX_SOCK_STREAM)
		return -LINUX_ESOCKTNOSUPPORT;
	return (int)protocol && (int)protocol != LINUX_IPPROTO_TCP ? -LINUX_EPROTONOSUPPORT : 0;
}

long sys_socket(const struct syscall_args *a)
{
	long err = socket_check(a->arg[0], a->arg[1], a->arg[2]);
	if (err)
		return err;
	struct vsock *vs;
	err = vsock_create(&vs);
	if (err)
		return err;
	uint64_t flags = a->arg[1] & SOCKET_TYPE_FLAGS;
	struct socket *s = socket_new(vs, (int)a->arg[0], flags);
	return s ? socket_fd(s, flags) : -LINUX_ENOMEM;
}

/* Linux answers socketpair for AF_INET and AF_VSOCK with EOPNOTSUPP; AF_UNIX, which it has, is
 * a family this kernel lacks. */
long sys_socketpair(const struct syscall_args *a)
{
	long err = socket_check(a->arg[0], a->arg[1], a->arg[2]);
	return err ? err : -LINUX_EOPNOTSUPP;
}

long sys_bind(const struct syscall_args *a)
{
	struct socket *s;
	int err = socket_get(a->arg[0], &s);
	if (err)
		return err;
	struct socket_target t;
	err = socket_addr_read(s, a->arg[1], a->arg[2], &t, 1);
	if (!err && s->family == LINUX_AF_VSOCK && t.cid != LINUX_VMADDR_CID_ANY &&
	    t.cid != vsock_local_cid())
		err = -LINUX_EADDRNOTAVAIL;
	if (!err) {
		uint32_t port = t.port;
		if (s->family != LINUX_AF_VSOCK && port == 0)
			port = VSOCK_PORT_ANY; /* TCP's port 0: any free one */
		err = vsock_bind(s->vsock, port);
		if (!err)
			s->local = t.ip;
	}
	file_put(&s->file);
	return err;
}

long sys_listen(const struct syscall_args *a)
{
	struct socket *s;
	int err = socket_get(a->arg[0], &s);
	if (err)
		return err;
	int backlog = (int)a->arg[1];
	if ((unsigned)backlog > SOMAXCONN)
		backlog = SOMAXCONN; /* a negative one too, as Linux takes it */
	err = vsock_listen(s->vsock, backlog);
	if (!err)
		s->listening = 1;
	file_put(&s->file);
	return err;
}

static long socket_accept(uint64_t fd, uint64_t uaddr, uint64_t ulen, uint64_t flags)
{
	if (flags & ~(uint64_t)SOCKET_TYPE_FLAGS)
		return -LINUX_EINVAL;
	struct socket *listener;
	long rc = socket_get(fd, &listener);
	if (rc)
		return rc;
	struct vsock *vs;
	rc = vsock_accept(listener->vsock, &vs, socket_vsock_flags(listener, 0));
	if (rc == 0) {
		struct socket *s = socket_new(vs, listener->family, flags);
		rc = s ? 0 : -LINUX_ENOMEM;
		if (s) {
			socket_accepted_addresses(listener, s);
			rc = socket_accepted_peer(s, uaddr, ulen);
			if (rc == 0)
				rc = socket_fd(s, flags);
			else
				file_put(&s->file); /* as Linux: the connection is dropped */
		}
	}
	file_put(&listener->file);
	return rc;
}

long sys_accept(const struct syscall_args *a)
{
	return socket_accept(a->arg[0], a->arg[1], a->arg[2], 0);
}

long sys_accept4(const struct syscall_args *a)
{
	return socket_accept(a->arg[0], a->arg[1], a->arg[2], a->arg[3]);
}

long sys_connect(const struct syscall_args *a)
{
	struct socket *s;
	int err = socket_get(a->arg[0], &s);
	if (err)
		return err;
	struct socket_target t;
	err = socket_addr_read(s, a->arg[1], a->arg[2], &t, 0);
	if (!err) {
		err = vsock_connect(s->vsock, t.cid, t.port, socket_vsock_flags(s, 0));
		if (err == 0 || err == -LINUX_EINPROGRESS)
			s->peer = t.ip;
	}
	file_put(&s->file);
	return err;
}

long sys_shutdown(const struct syscall_args *a)
{
	struct socket *s;
	int err = socket_get(a->arg[0], &s);
	if (err)
		return err;
	uint64_t how = a->arg[1];
	if (how > LINUX_SHUT_RDWR)
		err = -LINUX_EINVAL;
	else
		err = vsock_shutdown(s->vsock, (int)how);
	file_put(&s->file);
	return err;
}
