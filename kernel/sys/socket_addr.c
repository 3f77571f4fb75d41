/* Socket addresses (kernel/sys/socket.h): reading the one a program passes (AF_VSOCK, AF_INET,
 * AF_INET6) into the vsock end it names, writing one back as Linux does, and getsockname and
 * getpeername. An AF_INET or AF_INET6 socket shows the IP addresses the program gave, or the
 * loopback address where there is no other to show (the ends of an accepted connection). */
#include "socket.h"

#include "syscall.h"
#include "syscall_groups.h"

#include <toro/abi/linux.h>
#include <toro/abi/virtio.h>

#define SOCKADDR_STORAGE 128
#define SIN6_LEN_RFC2133 24 /* the shortest sockaddr_in6 Linux takes (no sin6_scope_id) */

static const uint8_t loopback4[4] = {127, 0, 0, 1};
static const uint8_t loopback6[16] = {[15] = 1};

/* Ports in struct sockaddr_in are in network byte order. */
static uint16_t socket_htons(uint16_t port)
{
	return (uint16_t)(port << 8 | port >> 8);
}

union socket_addr {
	uint16_t family;
	struct linux_sockaddr_vm vm;
	struct linux_sockaddr_in in;
	struct linux_sockaddr_in6 in6;
};

int socket_addr_read(const struct socket *s, uint64_t uaddr, uint64_t len, struct socket_target *t,
                     int unspec_any)
{
	union socket_addr a = {0};
	if ((int64_t)(int)len < 0 || (int)len > SOCKADDR_STORAGE)
		return -LINUX_EINVAL;
	size_t n = (size_t)(int)len < sizeof(a) ? (size_t)(int)len : sizeof(a);
	if (n && copy_from_user(&a, uaddr, n))
		return -LINUX_EFAULT;
	*t = (struct socket_target){0};
	switch (s->family) {
	case LINUX_AF_VSOCK:
		if (n < sizeof(a.vm))
			return -LINUX_EINVAL;
		if (a.family != LINUX_AF_VSOCK)
			return -LINUX_EAFNOSUPPORT;
		t->cid = a.vm.svm_cid;
		t->port = a.vm.svm_port;
		return 0;
	case LINUX_AF_INET:
		if (n < sizeof(a.in))
			return -LINUX_EINVAL;
		if (a.family != LINUX_AF_INET &&
		    !(unspec_any && a.family == 0 && a.in.sin_addr == 0))
			return -LINUX_EAFNOSUPPORT;
		__builtin_memcpy(t->ip.bytes, &a.in.sin_addr, 4);
		t->port = socket_htons(a.in.sin_port);
		break;
	default:
		if (n < SIN6_LEN_RFC2133)
			return -LINUX_EINVAL;
		if (a.family != LINUX_AF_INET6)
			return -LINUX_EAFNOSUPPORT;
		__builtin_memcpy(t->ip.bytes, a.in6.sin6_addr, 16);
		t->port = socket_htons(a.in6.sin6_port);
		break;
	}
	t->cid = LINUX_VMADDR_CID_HOST;
	return 0;
}

/* Writes an address of size bytes to the program as Linux does (net/socket.c,
 * move_addr_to_user): at most the length the program said it has room for, and the full size
 * to *ulen. */
static long socket_addr_write(const void *addr, int size, uint64_t uaddr, uint64_t ulen)
{
	int room;
	if (copy_from_user(&room, ulen, sizeof(room)))
		return -LINUX_EFAULT;
	if (room < 0)
		return -LINUX_EINVAL;
	int n = room < size ? room : size;
	if (n && copy_to_user(uaddr, addr, (size_t)n))
		return -LINUX_EFAULT;
	return copy_to_user(ulen, &size, sizeof(size)) ? -LINUX_EFAULT : 0;
}

/* The address of one end of s (peer or local) as the program's family shows it, into *a;
 * returns its size, or -ENOTCONN. */
static int socket_addr_of(const struct socket *s, int peer, union socket_addr *a)
{
	uint64_t cid = 0;
	uint32_t port = 0;
	int err = vsock_getname(s->vsock, peer, &cid, &port);
	if (err)
		return err;
	*a = (union socket_addr){0};
	const struct socket_inet_addr *ip = peer ? &s->peer : &s->local;
	if (s->family == LINUX_AF_VSOCK) {
		a->vm.svm_family = LINUX_AF_VSOCK;
		a->vm.svm_cid = (uint32_t)cid;
		a->vm.svm_port = port;
		return sizeof(a->vm);
	}
	if (!peer && port == VSOCK_PORT_ANY)
		port = 0; /* not bound yet */
	if (s->family == LINUX_AF_INET) {
		a->in.sin_family = LINUX_AF_INET;
		a->in.sin_port = socket_htons((uint16_t)port);
		__builtin_memcpy(&a->in.sin_addr, ip->bytes, 4);
		return sizeof(a->in);
	}
	a->in6.sin6_family = LINUX_AF_INET6;
	a->in6.sin6_port = socket_htons((uint16_t)port);
	__builtin_memcpy(a->in6.sin6_addr, ip->bytes, 16);
	return sizeof(a->in6);
}

static long socket_name(const struct syscall_args *a, int peer)
{
	struct socket *s;
	int err = socket_get(a->arg[0], &s);
	if (err)
		return err;
	union socket_addr addr;
	long rc = socket_addr_of(s, peer, &addr);
	if (rc >= 0)
		rc = socket_addr_write(&addr, (int)rc, a->arg[1], a->arg[2]);
	file_put(&s->file);
	return rc;
}

long sys_getsockname(const struct syscall_args *a)
{
	return socket_name(a, 0);
}

long sys_getpeername(const struct syscall_args *a)
{
	return socket_name(a, 1);
}

/* The new socket of an accepted connection: for AF_INET and AF_INET6, its peer is the loopback
 * address, and so is its local address unless the listener was bound to a particular one. */
void socket_accepted_addresses(const struct socket *listener, struct socket *s)
{
	static const struct socket_inet_addr any;
	struct socket_inet_addr loopback = {0};
	if (listener->family == LINUX_AF_INET)
		__builtin_memcpy(loopback.bytes, loopback4, sizeof(loopback4));
	else
		__builtin_memcpy(loopback.bytes, loopback6, sizeof(loopback6));
	s->peer = loopback;
	s->local =
	    __builtin_memcmp(&listener->local, &any, sizeof(any)) ? listener->local : loopback;
}

/* The new socket's peer address to the program, if it asked: 0 or -errno. */
long socket_accepted_peer(const struct socket *s, uint64_t uaddr, uint64_t ulen)
{
	if (!uaddr)
		return 0;
	union socket_addr addr;
	long size = socket_addr_of(s, 1, &addr);
	return size < 0 ? size : socket_addr_write(&addr, (int)size, uaddr, ulen);
}
