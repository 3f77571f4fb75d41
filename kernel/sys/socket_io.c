/* Sending and receiving on sockets (kernel/sys/socket.h): sendto, recvfrom, sendmsg, recvmsg with
 * stream semantics. Addresses are not used (a stream socket is connected), control data is
 * neither sent nor received, and the flags map to vsock's: MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL;
 * MSG_NOSIGNAL keeps SIGPIPE from a broken connection; MSG_MORE and MSG_EOR change nothing. */
#include "socket.h"

#include "syscall.h"
#include "syscall_groups.h"

#include <toro/abi/linux.h>
#include <toro/memory.h>

#define SOCKET_IOV_SMALL 8    /* iovecs kept on the stack; more are allocated */
#define SOCKET_IOV_MAX   1024 /* Linux's UIO_MAXIOV */

static unsigned socket_recv_flags(const struct socket *s, uint64_t msg_flags)
{
	unsigned flags = socket_vsock_flags(s, msg_flags);
	if (msg_flags & LINUX_MSG_PEEK)
		flags |= VSOCK_PEEK;
	if (msg_flags & LINUX_MSG_WAITALL)
		flags |= VSOCK_WAITALL;
	return flags;
}

/* An address passed to a send on a stream socket: AF_VSOCK refuses it as Linux's vsock does
 * (EISCONN once connected, else EOPNOTSUPP), TCP ignores it. */
static long socket_send_address(struct socket *s, uint64_t namelen)
{
	if (!namelen || s->family != LINUX_AF_VSOCK)
		return 0;
	uint64_t cid;
	uint32_t port;
	return vsock_getname(s->vsock, 1, &cid, &port) == 0 ? -LINUX_EISCONN : -LINUX_EOPNOTSUPP;
}

static long socket_send(struct socket *s, const struct file_iovec *iov, size_t count,
                        uint64_t msg_flags)
{
	if (msg_flags & LINUX_MSG_OOB)
		return -LINUX_EOPNOTSUPP;
	return socket_send_iov(s, iov, count, msg_flags);
}

static long socket_recv(struct socket *s, const struct file_iovec *iov, size_t count,
                        uint64_t msg_flags)
{
	if (msg_flags & LINUX_MSG_OOB)
		return -LINUX_EOPNOTSUPP;
	return vsock_recv(s->vsock, iov, count, socket_recv_flags(s, msg_flags));
}

/* One buffer of sendto or recvfrom, checked as write or read checks it. */
static long socket_buffer(uint64_t buf, uint64_t len, int writable, struct file_iovec *iov)
{
	if (len && !sys_buffer_ok(buf, len, writable))
		return -LINUX_EFAULT;
	*iov = (struct file_iovec){(void *)(uintptr_t)buf, len};
	return 0;
}

long sys_sendto(const struct syscall_args *a)
{
	struct socket *s;
	long rc = socket_get(a->arg[0], &s);
	if (rc)
		return rc;
	struct file_iovec iov;
	rc = socket_buffer(a->arg[1], a->arg[2], 0, &iov);
	if (!rc)
		rc = socket_send_address(s, a->arg[4] ? a->arg[5] : 0);
	if (!rc)
		rc = socket_send(s, &iov, 1, a->arg[3]);
	file_put(&s->file);
	return rc;
}

/* A stream socket gives no source address: the length written back is 0, as Linux's TCP and
 * vsock write it. */
static long socket_no_address(uint64_t uaddr, uint64_t ulen)
{
	if (!uaddr || !ulen)
		return 0;
	int zero = 0, room;
	if (copy_from_user(&room, ulen, sizeof(room)))
		return -LINUX_EFAULT;
	if (room < 0)
		return -LINUX_EINVAL;
	return copy_to_user(ulen, &zero, sizeof(zero)) ? -LINUX_EFAULT : 0;
}

long sys_recvfrom(const struct syscall_args *a)
{
	struct socket *s;
	long rc = socket_get(a->arg[0], &s);
	if (rc)
		return rc;
	struct file_iovec iov;
	rc = socket_buffer(a->arg[1], a->arg[2], 1, &iov);
	if (!rc)
		rc = socket_recv(s, &iov, 1, a->arg[3]);
	if (rc >= 0) {
		long err = socket_no_address(a->arg[4], a->arg[5]);
		if (err)
			rc = err;
	}
	file_put(&s->file);
	return rc;
}

/* sendmsg and recvmsg: the message header, its vector loaded, then the transfer. */
static long socket_msg(const struct syscall_args *a, int receive)
{
	struct socket *s;
	long rc = socket_get(a->arg[0], &s);
	if (rc)
		return rc;
	struct linux_msghdr m;
	struct file_iovec small[SOCKET_IOV_SMALL], *iov = NULL;
	if (copy_from_user(&m, a->arg[1], sizeof(m)))
		rc = -LINUX_EFAULT;
	else if (m.msg_iovlen > SOCKET_IOV_MAX)
		rc = -LINUX_EMSGSIZE; /* as Linux's __copy_msghdr answers */
	else
		rc = sys_iovecs_load(m.msg_iov, m.msg_iovlen, receive, small, SOCKET_IOV_SMALL,
		                     &iov);
	if (!rc && !receive)
		rc = socket_send_address(s, m.msg_name ? m.msg_namelen : 0);
	if (!rc)
		rc = receive ? socket_recv(s, iov, m.msg_iovlen, a->arg[2])
		             : socket_send(s, iov, m.msg_iovlen, a->arg[2]);
	if (rc >= 0 && receive) {
		/* No address, no control data, no flags to report: written back as Linux does. */
		struct linux_msghdr back = m;
		back.msg_namelen = 0;
		back.msg_controllen = 0;
		back.msg_flags = 0;
		if (copy_to_user(a->arg[1], &back, sizeof(back)))
			rc = -LINUX_EFAULT;
	}
	if (iov && iov != small)
		toro_free(iov);
	file_put(&s->file);
	return rc;
}

long sys_sendmsg(const struct syscall_args *a)
{
	return socket_msg(a, 0);
}

long sys_recvmsg(const struct syscall_args *a)
{
	return socket_msg(a, 1);
}
