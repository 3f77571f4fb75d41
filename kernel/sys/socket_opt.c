/* Socket options (kernel/sys/socket.h): setsockopt and getsockopt. The receive buffer, the
 * receive timeout (SO_RCVTIMEO: recv, read and accept give EAGAIN when it passes) and the
 * connect timeout act on the vsock socket; SO_ERROR, SO_TYPE, SO_DOMAIN, SO_PROTOCOL and
 * SO_ACCEPTCONN report its state; options that change nothing without an IP stack (SO_REUSEADDR,
 * SO_KEEPALIVE, TCP_NODELAY, the TCP keep-alive timers, ...) are kept only to be read back. An
 * option that would change behaviour this kernel does not have (SO_SNDTIMEO, ...) is refused
 * with ENOPROTOOPT, so the program knows. Lengths and errors as Linux's
 * (net/core/sock.c, net/ipv4/tcp.c, net/vmw_vsock/af_vsock.c). */
#include "socket.h"

#include "syscall.h"
#include "syscall_groups.h"

#include <toro/abi/linux.h>
#include <kernel/time.h>

#define TCP_KEEPIDLE_MAX 32767 /* Linux's MAX_TCP_KEEPIDLE, and MAX_TCP_KEEPINTVL */
#define TCP_KEEPCNT_MAX  127
#define SOCKET_BUF_MIN   2304 /* Linux's SOCK_MIN_SNDBUF / 2 */

/* An option's value in kernel memory: an int for most, the others by their size. */
union socket_optval {
	int i;
	uint64_t u64;
	struct linux_linger linger;
	struct linux_timeval tv;
};

/* Where an option that is only kept lives, or NULL. */
static int *socket_kept_option(struct socket *s, int level, int name)
{
	int inet = s->family != LINUX_AF_VSOCK;
	if (level == LINUX_SOL_SOCKET) {
		switch (name) {
		case LINUX_SO_REUSEADDR:
			return &s->reuseaddr;
		case LINUX_SO_REUSEPORT:
			return &s->reuseport;
		case LINUX_SO_KEEPALIVE:
			return &s->keepalive;
		case LINUX_SO_BROADCAST:
			return &s->broadcast;
		case LINUX_SO_OOBINLINE:
			return &s->oobinline;
		case LINUX_SO_DONTROUTE:
			return &s->dontroute;
		}
	} else if (level == LINUX_IPPROTO_TCP && inet) {
		switch (name) {
		case LINUX_TCP_NODELAY:
			return &s->tcp_nodelay;
		case LINUX_TCP_CORK:
			return &s->tcp_cork;
		case LINUX_TCP_QUICKACK:
			return &s->tcp_quickack;
		case LINUX_TCP_KEEPIDLE:
			return &s->tcp_keepidle;
		case LINUX_TCP_KEEPINTVL:
			return &s->tcp_keepintvl;
		case LINUX_TCP_KEEPCNT:
			return &s->tcp_keepcnt;
		case LINUX_TCP_USER_TIMEOUT:
			return &s->tcp_user_timeout;
		}
	} else if (level == LINUX_IPPROTO_IP && s->family == LINUX_AF_INET) {
		if (name == LINUX_IP_TOS)
			return &s->ip_tos;
	} else if (level == LINUX_IPPROTO_IPV6 && s->family == LINUX_AF_INET6) {
		if (name == LINUX_IPV6_V6ONLY)
			return &s->ipv6_v6only;
	}
	return NULL;
}

/* The range Linux checks for the TCP timers: 0, or -EINVAL. */
static int socket_tcp_value_ok(int name, int v)
{
	switch (name) {
	case LINUX_TCP_KEEPIDLE:
	case LINUX_TCP_KEEPINTVL:
		return v < 1 || v > TCP_KEEPIDLE_MAX ? -LINUX_EINVAL : 0;
	case LINUX_TCP_KEEPCNT:
		return v < 1 || v > TCP_KEEPCNT_MAX ? -LINUX_EINVAL : 0;
	case LINUX_TCP_USER_TIMEOUT:
		return v < 0 ? -LINUX_EINVAL : 0;
	default:
		return 0;
	}
}

/* The size an option's value has, or 0 for an option this kernel does not take. */
static size_t socket_option_size(const struct socket *s, int level, int name)
{
	if (level == LINUX_SOL_SOCKET && name == LINUX_SO_LINGER)
		return sizeof(struct linux_linger);
	if (level == LINUX_SOL_SOCKET && name == LINUX_SO_RCVTIMEO)
		return sizeof(struct linux_timeval);
	if (level == LINUX_AF_VSOCK && s->family == LINUX_AF_VSOCK) {
		switch (name) {
		case LINUX_SO_VM_SOCKETS_BUFFER_SIZE:
		case LINUX_SO_VM_SOCKETS_BUFFER_MIN_SIZE:
		case LINUX_SO_VM_SOCKETS_BUFFER_MAX_SIZE:
			return sizeof(uint64_t);
		case LINUX_SO_VM_SOCKETS_CONNECT_TIMEOUT_OLD:
		case LINUX_SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW:
			return sizeof(struct linux_timeval);
		}
		return 0;
	}
	if (level == LINUX_SOL_SOCKET) {
		switch (name) {
		case LINUX_SO_TYPE:
		case LINUX_SO_ERROR:
		case LINUX_SO_DOMAIN:
		case LINUX_SO_PROTOCOL:
		case LINUX_SO_ACCEPTCONN:
		case LINUX_SO_RCVBUF:
		case LINUX_SO_SNDBUF:
			return sizeof(int);
		}
	}
	return socket_kept_option((struct socket *)s, level, name) ? sizeof(int) : 0;
}

/* SO_RCVTIMEO as Linux's sock_set_timeout takes it: microseconds out of range are EDOM, a
 * negative time means no wait at all, and zero or one too long to count means no limit. */
static int socket_set_recv_timeout(struct socket *s, const struct linux_timeval *tv)
{
	if (tv->tv_usec < 0 || (uint64_t)tv->tv_usec >= USEC_PER_SEC)
		return -LINUX_EDOM;
	uint64_t ns = 1; /* negative: give up at once */
	if (tv->tv_sec >= 0)
		ns = (uint64_t)tv->tv_sec > UINT64_MAX / 2 / (USEC_PER_SEC * NSEC_PER_USEC)
		         ? 0
		         : (uint64_t)tv->tv_sec * USEC_PER_SEC * NSEC_PER_USEC +
		               (uint64_t)tv->tv_usec * NSEC_PER_USEC;
	vsock_set_recv_timeout(s->vsock, ns);
	return 0;
}

static int socket_set(struct socket *s, int level, int name, const union socket_optval *v)
{
	int *kept = socket_kept_option(s, level, name);
	if (kept) {
		int err = level == LINUX_IPPROTO_TCP ? socket_tcp_value_ok(name, v->i) : 0;
		if (!err)
			*kept = level == LINUX_SOL_SOCKET ? v->i != 0 : v->i;
		return err;
	}
	if (level == LINUX_SOL_SOCKET) {
		switch (name) {
		case LINUX_SO_RCVBUF:
			return vsock_set_buffer_size(
			    s->vsock, v->i < SOCKET_BUF_MIN ? SOCKET_BUF_MIN : (uint32_t)v->i);
		case LINUX_SO_SNDBUF:
			s->sndbuf = v->i < SOCKET_BUF_MIN ? SOCKET_BUF_MIN : v->i;
			return 0;
		case LINUX_SO_LINGER:
			s->linger = v->linger;
			return 0;
		case LINUX_SO_RCVTIMEO:
			return socket_set_recv_timeout(s, &v->tv);
		}
		return -LINUX_ENOPROTOOPT; /* the read-only ones too, as Linux answers */
	}
	switch (name) { /* level AF_VSOCK, on an AF_VSOCK socket (socket_option_size) */
	case LINUX_SO_VM_SOCKETS_BUFFER_SIZE:
		return vsock_set_buffer_size(s->vsock,
		                             v->u64 > UINT32_MAX ? UINT32_MAX : (uint32_t)v->u64);
	case LINUX_SO_VM_SOCKETS_BUFFER_MIN_SIZE:
		s->vsock_buffer_min = v->u64;
		return 0;
	case LINUX_SO_VM_SOCKETS_BUFFER_MAX_SIZE:
		s->vsock_buffer_max = v->u64;
		return 0;
	default: /* the connect timeout, either layout */
		if (v->tv.tv_sec < 0 || (uint64_t)v->tv.tv_usec >= USEC_PER_SEC ||
		    (uint64_t)v->tv.tv_sec > UINT64_MAX / (USEC_PER_SEC * NSEC_PER_USEC) - 1)
			return -LINUX_ERANGE;
		vsock_set_connect_timeout(s->vsock,
		                          (uint64_t)v->tv.tv_sec * USEC_PER_SEC * NSEC_PER_USEC +
		                              (uint64_t)v->tv.tv_usec * NSEC_PER_USEC);
		return 0;
	}
}

long sys_setsockopt(const struct syscall_args *a)
{
	struct socket *s;
	long rc = socket_get(a->arg[0], &s);
	if (rc)
		return rc;
	int level = (int)a->arg[1], name = (int)a->arg[2], len = (int)a->arg[4];
	size_t size = socket_option_size(s, level, name);
	union socket_optval v = {0};
	if (!size)
		rc = -LINUX_ENOPROTOOPT;
	else if (len < 0 || (size_t)len < size)
		rc = -LINUX_EINVAL;
	else if (copy_from_user(&v, a->arg[3], size))
		rc = -LINUX_EFAULT;
	else
		rc = socket_set(s, level, name, &v);
	file_put(&s->file);
	return rc;
}

static void socket_get_value(struct socket *s, int level, int name, union socket_optval *v)
{
	int *kept = socket_kept_option(s, level, name);
	if (kept) {
		v->i = *kept;
		return;
	}
	if (level == LINUX_AF_VSOCK) {
		uint64_t ns = vsock_connect_timeout(s->vsock);
		switch (name) {
		case LINUX_SO_VM_SOCKETS_BUFFER_SIZE:
			v->u64 = vsock_buffer_size(s->vsock);
			break;
		case LINUX_SO_VM_SOCKETS_BUFFER_MIN_SIZE:
			v->u64 = s->vsock_buffer_min;
			break;
		case LINUX_SO_VM_SOCKETS_BUFFER_MAX_SIZE:
			v->u64 = s->vsock_buffer_max;
			break;
		default:
			v->tv.tv_sec = (int64_t)(ns / (USEC_PER_SEC * NSEC_PER_USEC));
			v->tv.tv_usec = (int64_t)(ns / NSEC_PER_USEC % USEC_PER_SEC);
		}
		return;
	}
	switch (name) { /* SOL_SOCKET */
	case LINUX_SO_TYPE:
		v->i = LINUX_SOCK_STREAM;
		break;
	case LINUX_SO_DOMAIN:
		v->i = s->family;
		break;
	case LINUX_SO_PROTOCOL:
		v->i = s->family == LINUX_AF_VSOCK ? 0 : LINUX_IPPROTO_TCP;
		break;
	case LINUX_SO_ACCEPTCONN:
		v->i = s->listening;
		break;
	case LINUX_SO_RCVBUF:
		v->i = (int)vsock_buffer_size(s->vsock);
		break;
	case LINUX_SO_SNDBUF:
		v->i = s->sndbuf;
		break;
	case LINUX_SO_LINGER:
		v->linger = s->linger;
		break;
	case LINUX_SO_RCVTIMEO: {
		uint64_t ns = vsock_recv_timeout(s->vsock);
		v->tv.tv_sec = (int64_t)(ns / (USEC_PER_SEC * NSEC_PER_USEC));
		v->tv.tv_usec = (int64_t)(ns / NSEC_PER_USEC % USEC_PER_SEC);
		break;
	}
	case LINUX_SO_ERROR: {
		int err = vsock_take_error(s->vsock);
		v->i = err < 0 ? -err : err;
		break;
	}
	}
}

/* Linux copies min(length, size) of an int option, but wants the whole value of a structure
 * (SO_LINGER, the vsock options): -EINVAL for less. */
long sys_getsockopt(const struct syscall_args *a)
{
	struct socket *s;
	long rc = socket_get(a->arg[0], &s);
	if (rc)
		return rc;
	int level = (int)a->arg[1], name = (int)a->arg[2], len;
	uint64_t uval = a->arg[3], ulen = a->arg[4];
	size_t size = socket_option_size(s, level, name);
	union socket_optval v = {0};
	if (copy_from_user(&len, ulen, sizeof(len)))
		rc = -LINUX_EFAULT;
	else if (!size)
		rc = -LINUX_ENOPROTOOPT;
	else if (len < 0 || (size != sizeof(int) && (size_t)len < size))
		rc = -LINUX_EINVAL;
	if (rc == 0) {
		socket_get_value(s, level, name, &v);
		int n = (size_t)len < size ? len : (int)size;
		if (copy_to_user(uval, &v, (size_t)n) || copy_to_user(ulen, &n, sizeof(n)))
			rc = -LINUX_EFAULT;
	}
	file_put(&s->file);
	return rc;
}
