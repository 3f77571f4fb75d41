/* Sockets (kernel/sys/socket.c, socket_io.c, socket_opt.c) that need no peer: the answers Linux
 * gives to bad families, types and protocols, to socket calls on descriptors that are not
 * sockets, to bad addresses and options; options and names. Without a vsock device, listen and
 * connect say ENODEV; with one ("device": a vsock device and no host program behind it), binding,
 * listening, non-blocking accept, accept with SO_RCVTIMEO, names, and connects the host refuses.
 * One line per check; the exit status is the number of failed checks. */
// BUILD:
// CASE: no-device | | 0 | ^unix ok$ && ^udp ok$ && ^enotsock-bind ok$ && ^so-type ok$ && ^connect-nodev ok$ && ^listen-nodev ok$ && ^checks: [0-9]+ passed, 0 failed$
// CASE: device | --cid 5 -- device | 0 | ^bind-inuse ok$ && ^accept-eagain ok$ && ^accept-rcvtimeo ok$ && ^connect-refused ok$ && ^connect-nonblock-refused ok$ && ^checks: [0-9]+ passed, 0 failed$
// VMMS device: toro
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "posix_test.h"

static int get_int(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, level, name, &v, &len) != 0 || len != sizeof(v))
		return -1000 - errno;
	return v;
}

static int set_int(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof(v));
}

static void test_creation(void)
{
	int sv[2];
	check_err("unix", socket(AF_UNIX, SOCK_STREAM, 0), EAFNOSUPPORT);
	check_err("udp", socket(AF_INET, SOCK_DGRAM, 0), EAFNOSUPPORT);
	check_err("raw", socket(AF_INET6, SOCK_RAW, 0), EAFNOSUPPORT);
	check_err("seqpacket", socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	check_err("tcp-udp-protocol", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	check_err("vsock-dgram", socket(AF_VSOCK, SOCK_DGRAM, 0), ESOCKTNOSUPPORT);
	check_err("vsock-protocol", socket(AF_VSOCK, SOCK_STREAM, 1), EPROTONOSUPPORT);
	check_err("bad-type-flag", socket(AF_INET, SOCK_STREAM | 0x100000, 0), EINVAL);
	check_err("bad-type", socket(AF_INET, 12, 0), EINVAL);
	check_err("bad-family", socket(1000, SOCK_STREAM, 0), EAFNOSUPPORT);
	check_err("socketpair-unix", socketpair(AF_UNIX, SOCK_STREAM, 0, sv), EAFNOSUPPORT);
	check_err("socketpair-inet", socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP);

	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP);
	check("socket-inet", s >= 0, s);
	check("cloexec", fcntl(s, F_GETFD) == FD_CLOEXEC, 0);
	check("nonblock", (fcntl(s, F_GETFL) & O_NONBLOCK) != 0, 0);
	struct stat st;
	check("fstat-sock", fstat(s, &st) == 0 && S_ISSOCK(st.st_mode), (long)st.st_mode);
	close(s);
}

static void test_not_sockets(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int v;
	socklen_t len = sizeof(v);
	char c;
	check_err("enotsock-bind", bind(1, (struct sockaddr *)&a, sizeof(a)), ENOTSOCK);
	check_err("enotsock-listen", listen(1, 1), ENOTSOCK);
	check_err("enotsock-accept", accept(1, NULL, NULL), ENOTSOCK);
	check_err("enotsock-connect", connect(1, (struct sockaddr *)&a, sizeof(a)), ENOTSOCK);
	check_err("enotsock-getsockopt", getsockopt(1, SOL_SOCKET, SO_TYPE, &v, &len), ENOTSOCK);
	check_err("enotsock-send", send(1, "x", 1, 0), ENOTSOCK);
	check_err("enotsock-recv", recv(0, &c, 1, 0), ENOTSOCK);
	check_err("enotsock-shutdown", shutdown(1, SHUT_RDWR), ENOTSOCK);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct iovec one = {&c, 1};
	struct msghdr m = {.msg_iov = &one, .msg_iovlen = 2000};
	check_err("sendmsg-iovlen", sendmsg(s, &m, MSG_NOSIGNAL), EMSGSIZE);
	close(s);
	check_err("ebadf-bind", bind(999, (struct sockaddr *)&a, sizeof(a)), EBADF);
	check_err("ebadf-getsockname", getsockname(999, (struct sockaddr *)&a, &len), EBADF);
}

static void test_options(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	check("so-type", get_int(s, SOL_SOCKET, SO_TYPE) == SOCK_STREAM, get_int(s, SOL_SOCKET, SO_TYPE));
	check("so-domain", get_int(s, SOL_SOCKET, SO_DOMAIN) == AF_INET, 0);
	check("so-protocol", get_int(s, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP, 0);
	check("so-error", get_int(s, SOL_SOCKET, SO_ERROR) == 0, 0);
	check("so-acceptconn", get_int(s, SOL_SOCKET, SO_ACCEPTCONN) == 0, 0);
	check("reuseaddr", set_int(s, SOL_SOCKET, SO_REUSEADDR, 5) == 0 &&
	                       get_int(s, SOL_SOCKET, SO_REUSEADDR) == 1, 0);
	check("keepalive", set_int(s, SOL_SOCKET, SO_KEEPALIVE, 1) == 0 &&
	                       get_int(s, SOL_SOCKET, SO_KEEPALIVE) == 1, 0);
	check("nodelay", set_int(s, IPPROTO_TCP, TCP_NODELAY, 1) == 0 &&
	                     get_int(s, IPPROTO_TCP, TCP_NODELAY) == 1, 0);
	check("keepidle", set_int(s, IPPROTO_TCP, TCP_KEEPIDLE, 60) == 0 &&
	                      get_int(s, IPPROTO_TCP, TCP_KEEPIDLE) == 60, 0);
	check_err("keepidle-0", set_int(s, IPPROTO_TCP, TCP_KEEPIDLE, 0), EINVAL);
	check("rcvbuf", set_int(s, SOL_SOCKET, SO_RCVBUF, 65536) == 0 &&
	                    get_int(s, SOL_SOCKET, SO_RCVBUF) >= 65536, get_int(s, SOL_SOCKET, SO_RCVBUF));
	check_err("set-so-type", set_int(s, SOL_SOCKET, SO_TYPE, 1), ENOPROTOOPT);
	struct timeval tv = {1, 250000}, tv_got = {0, 0};
	socklen_t tv_len = sizeof(tv_got);
	check("rcvtimeo",
	      setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
	          getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv_got, &tv_len) == 0 &&
	          tv_len == sizeof(tv_got) && tv_got.tv_sec == 1 && tv_got.tv_usec == 250000,
	      tv_got.tv_usec);
	struct timeval bad_usec = {1, 1000000};
	check_err("rcvtimeo-edom",
	          setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &bad_usec, sizeof(bad_usec)), EDOM);
	check_err("sndtimeo", setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), ENOPROTOOPT);
	check_err("bad-level", set_int(s, 999, 1, 1), ENOPROTOOPT);
	short small = 1;
	check_err("short-optlen", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &small, sizeof(small)),
	          EINVAL);
	check_err("vsock-level-on-inet",
	          setsockopt(s, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &tv, 8), ENOPROTOOPT);
	/* An int option read into a short: Linux copies what fits and says how much. */
	socklen_t len = sizeof(small);
	small = 0;
	long rc = getsockopt(s, SOL_SOCKET, SO_TYPE, &small, &len);
	check("short-getsockopt", rc == 0 && len == sizeof(small) && small == SOCK_STREAM, rc);
	close(s);

	int v = socket(AF_VSOCK, SOCK_STREAM, 0);
	check("vsock-domain", get_int(v, SOL_SOCKET, SO_DOMAIN) == AF_VSOCK, 0);
	check_err("tcp-level-on-vsock", set_int(v, IPPROTO_TCP, TCP_NODELAY, 1), ENOPROTOOPT);
	struct timeval t5 = {5, 250000}, got = {0, 0};
	len = sizeof(got);
	rc = setsockopt(v, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &t5, sizeof(t5));
	check("connect-timeout", rc == 0 &&
	                             getsockopt(v, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &got, &len) == 0 &&
	                             got.tv_sec == 5 && got.tv_usec == 250000, rc);
	/* The new layout (64-bit time on every architecture) is the same 16 bytes on x86-64. */
	struct timeval t7 = {7, 0};
	len = sizeof(got);
	rc = setsockopt(v, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW, &t7, sizeof(t7));
	check("connect-timeout-new", rc == 0 &&
	                                 getsockopt(v, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT_OLD, &got, &len) == 0 &&
	                                 got.tv_sec == 7 && got.tv_usec == 0, rc);
	check_err("connect-timeout-short",
	          setsockopt(v, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &t7, 8), EINVAL);
	struct timeval bad = {1, 2000000};
	check_err("connect-timeout-range",
	          setsockopt(v, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &bad, sizeof(bad)), ERANGE);
	unsigned long long size = 131072, size_got = 0;
	len = sizeof(size_got);
	rc = setsockopt(v, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &size, sizeof(size));
	check("vsock-buffer-size", rc == 0 &&
	                               getsockopt(v, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &size_got, &len) == 0 &&
	                               size_got == size, (long)size_got);
	close(v);
}

static void test_no_device(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(80),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	char c = 'x';
	check_err("send-unconnected", send(s, &c, 1, MSG_NOSIGNAL), EPIPE); /* TCP's answer */
	check_err("recv-unconnected", recv(s, &c, 1, 0), ENOTCONN);
	check_err("read-unconnected", read(s, &c, 1), ENOTCONN);
	check_err("shutdown-bad-how", shutdown(s, 7), EINVAL);
	check_err("connect-short", connect(s, (struct sockaddr *)&a, 8), EINVAL);
	check_err("connect-nodev", connect(s, (struct sockaddr *)&a, sizeof(a)), ENODEV);
	check_err("listen-nodev", listen(s, 1), ENODEV);
	check_err("accept-not-listening", accept(s, NULL, NULL), EINVAL);
	socklen_t len = sizeof(a);
	check_err("getpeername-unconnected", getpeername(s, (struct sockaddr *)&a, &len), ENOTCONN);
	close(s);
}

static void test_bind_listen(void)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(8080),
	                        .sin_addr.s_addr = htonl(INADDR_ANY)};
	socklen_t len = sizeof(a);
	check_err("bind-short", bind(s, (struct sockaddr *)&a, 4), EINVAL);
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
	check_err("bind-family", bind(s, (struct sockaddr *)&a6, sizeof(a6)), EAFNOSUPPORT);
	check_err("bind-fault", bind(s, (struct sockaddr *)8, sizeof(a)), EFAULT);
	check("bind", bind(s, (struct sockaddr *)&a, sizeof(a)) == 0, 0);
	struct sockaddr_in got = {0};
	long rc = getsockname(s, (struct sockaddr *)&got, &len);
	check("getsockname", rc == 0 && len == sizeof(got) && got.sin_family == AF_INET &&
	                         ntohs(got.sin_port) == 8080 && got.sin_addr.s_addr == 0, rc);
	check_err("getpeername-unconnected", getpeername(s, (struct sockaddr *)&got, &len), ENOTCONN);
	check_err("bind-again", bind(s, (struct sockaddr *)&a, sizeof(a)), EINVAL);
	int s2 = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 b6 = {.sin6_family = AF_INET6, .sin6_port = htons(8080)};
	check_err("bind-inuse", bind(s2, (struct sockaddr *)&b6, sizeof(b6)), EADDRINUSE);
	close(s2);

	check("listen", listen(s, 16) == 0, 0);
	check("so-acceptconn-listening", get_int(s, SOL_SOCKET, SO_ACCEPTCONN) == 1, 0);
	check_err("accept-eagain", accept(s, NULL, NULL), EAGAIN);
	/* musl's accept4 falls back to accept on EINVAL: ask the kernel itself. */
	check_err("accept4-flags", syscall(SYS_accept4, s, NULL, NULL, 0x1), EINVAL);
	struct pollfd p = {.fd = s, .events = POLLIN};
	check("poll-listener", poll(&p, 1, 10) == 0, p.revents);
	/* SO_RCVTIMEO bounds a blocking accept too: EAGAIN once it passes. */
	struct timeval t150 = {0, 150000};
	struct timespec t0, t1;
	int flags = fcntl(s, F_GETFL);
	rc = fcntl(s, F_SETFL, flags & ~O_NONBLOCK) |
	     setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &t150, sizeof(t150));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int accepted = accept(s, NULL, NULL), accept_errno = errno;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	check("accept-rcvtimeo", rc == 0 && accepted == -1 && accept_errno == EAGAIN && ms >= 140,
	      ms);
	close(s);

	/* listen with no bind picks a port. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	check("listen-unbound", listen(s, -1) == 0, 0);
	len = sizeof(got);
	rc = getsockname(s, (struct sockaddr *)&got, &len);
	check("ephemeral-port", rc == 0 && ntohs(got.sin_port) != 0, ntohs(got.sin_port));
	/* A length shorter than the address: cut, with the full length said. */
	len = 2;
	memset(&got, 0xff, sizeof(got));
	rc = getsockname(s, (struct sockaddr *)&got, &len);
	check("getsockname-short", rc == 0 && len == sizeof(got) && got.sin_family == AF_INET &&
	                               got.sin_port == 0xffff, rc);
	close(s);

	struct sockaddr_vm vm = {.svm_family = AF_VSOCK, .svm_cid = 77, .svm_port = 5000};
	s = socket(AF_VSOCK, SOCK_STREAM, 0);
	check_err("vsock-bind-cid", bind(s, (struct sockaddr *)&vm, sizeof(vm)), EADDRNOTAVAIL);
	vm.svm_cid = VMADDR_CID_ANY;
	check("vsock-bind", bind(s, (struct sockaddr *)&vm, sizeof(vm)) == 0, 0);
	struct sockaddr_vm vgot = {0};
	len = sizeof(vgot);
	rc = getsockname(s, (struct sockaddr *)&vgot, &len);
	check("vsock-getsockname", rc == 0 && vgot.svm_family == AF_VSOCK && vgot.svm_cid == 5 &&
	                               vgot.svm_port == 5000, (long)vgot.svm_cid);
	close(s);
}

/* Nothing on the host serves port 1: a connect to it is refused, at once or later. */
static void test_refused(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(1),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int s = socket(AF_INET, SOCK_STREAM, 0);
	check_err("connect-refused", connect(s, (struct sockaddr *)&a, sizeof(a)), ECONNREFUSED);
	close(s);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	long rc = connect(s, (struct sockaddr *)&a, sizeof(a));
	int e = errno;
	struct pollfd p = {.fd = s, .events = POLLOUT};
	int n = poll(&p, 1, 5000);
	int err = get_int(s, SOL_SOCKET, SO_ERROR);
	check("connect-nonblock-refused", rc == -1 && e == EINPROGRESS && n == 1 &&
	                                      err == ECONNREFUSED, err);
	check("so-error-cleared", get_int(s, SOL_SOCKET, SO_ERROR) == 0, 0);
	close(s);
}

int main(int argc, char **argv)
{
	test_creation();
	test_not_sockets();
	test_options();
	if (argc > 1 && strcmp(argv[1], "device") == 0) {
		test_bind_listen();
		test_refused();
	} else {
		test_no_device();
	}
	return checks_done();
}
