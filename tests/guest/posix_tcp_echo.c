/* An ordinary TCP server, written for Linux and run unchanged on Toro (kernel/sys/socket.c carries
 * AF_INET over vsock): tests/e2e/posix-net.sh builds this same file with cc and runs it on the
 * host too. Modes:
 *   echo PORT N     serves N connections one after another, echoing each until its end
 *   events PORT     one connection, non-blocking, with epoll and poll: accept and read say
 *                   EAGAIN before the client acts, epoll_wait times out, a blocking read with
 *                   SO_RCVTIMEO gives EAGAIN once it passes, then the server greets,
 *                   reads a line, answers it in upper case and waits for the end of the stream
 *   msg PORT        one connection: the client's 8 bytes read with MSG_PEEK, then MSG_WAITALL
 *                   through recvmsg, the answer sent from two buffers with sendmsg
 *   sigpipe PORT    one connection, read to its end; then sends with MSG_NOSIGNAL until EPIPE,
 *                   and writes once more without it: SIGPIPE ends the program (status 141)
 * Prints "listening PORT" once it listens, then what it checked; "FAIL ..." and exit status 1. */
// BUILD:
// CASE: no-device | -- echo 7000 1 | 1 | ^FAIL listen: No such device$
#define _GNU_SOURCE /* accept4 in glibc */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	return 1;
}

static int listen_on(int port, int family, int flags)
{
	int s = socket(family, SOCK_STREAM | flags, 0);
	if (s < 0)
		return -1;
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(port),
	                          .sin6_addr = IN6ADDR_ANY_INIT};
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(port),
	                         .sin_addr.s_addr = htonl(INADDR_ANY)};
	int rc = family == AF_INET6 ? bind(s, (struct sockaddr *)&a6, sizeof(a6))
	                            : bind(s, (struct sockaddr *)&a4, sizeof(a4));
	if (rc != 0 || listen(s, 16) != 0) {
		int e = errno;
		close(s);
		errno = e;
		return -1;
	}
	return s;
}

/* Listens on port (IPv4), says so and accepts one connection: its descriptor, with the
 * listener in *l, or -1 after saying what failed. */
static int accept_one(int port, int *l)
{
	*l = listen_on(port, AF_INET, 0);
	if (*l < 0) {
		fail("listen");
		return -1;
	}
	printf("listening %d\n", port);
	int c = accept(*l, NULL, NULL);
	if (c < 0)
		fail("accept");
	return c;
}

static int serve_echo(int port, int n)
{
	int l = listen_on(port, AF_INET, 0);
	if (l < 0)
		return fail("listen");
	printf("listening %d\n", port);
	fflush(stdout);
	long total = 0;
	for (int i = 0; i < n; i++) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		int c = accept(l, (struct sockaddr *)&peer, &len);
		if (c < 0)
			return fail("accept");
		int one = 1;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		char buf[4096];
		ssize_t got;
		while ((got = read(c, buf, sizeof(buf))) > 0) {
			for (ssize_t off = 0; off < got;) {
				ssize_t put = write(c, buf + off, (size_t)(got - off));
				if (put <= 0)
					return fail("write");
				off += put;
			}
			total += got;
		}
		if (got < 0)
			return fail("read");
		close(c);
		printf("connection %d from %s done\n", i + 1,
		       peer.sin_family == AF_INET ? "an IPv4 peer" : "?");
		fflush(stdout);
	}
	close(l);
	printf("served %d connections, %ld bytes\n", n, total);
	return 0;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Reads one line of at most size - 1 bytes from the non-blocking c, waiting with poll. */
static int read_line(int c, char *line, size_t size)
{
	size_t n = 0;
	while (n + 1 < size) {
		struct pollfd p = {.fd = c, .events = POLLIN};
		if (poll(&p, 1, 10000) != 1)
			return -1;
		ssize_t got = read(c, line + n, 1);
		if (got == 1 && line[n] == '\n')
			break;
		if (got == 1)
			n++;
		else if (got == 0 || errno != EAGAIN)
			return -1;
	}
	line[n] = '\0';
	return 0;
}

static int serve_events(int port)
{
	int l = listen_on(port, AF_INET6, SOCK_NONBLOCK);
	if (l < 0)
		return fail("listen");
	if (accept(l, NULL, NULL) != -1 || errno != EAGAIN)
		return fail("accept before a client (want EAGAIN)");
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event e = {.events = EPOLLIN, .data.fd = l};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, l, &e) != 0)
		return fail("epoll_ctl");
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int n = epoll_wait(ep, &e, 1, 200);
	long waited = ms_since(&t0);
	if (n != 0 || waited < 190)
		return fail("epoll_wait before a client (want a 200 ms time-out)");
	printf("accept: EAGAIN, epoll_wait: timed out\n");
	printf("listening %d\n", port);
	fflush(stdout);
	if (epoll_wait(ep, &e, 1, 30000) != 1 || e.data.fd != l || !(e.events & EPOLLIN))
		return fail("epoll_wait for the client");
	struct sockaddr_in6 peer;
	socklen_t len = sizeof(peer);
	int c = accept4(l, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c < 0)
		return fail("accept4");
	char addr[INET6_ADDRSTRLEN] = "?";
	inet_ntop(AF_INET6, &peer.sin6_addr, addr, sizeof(addr));
	printf("accepted from %s\n", addr);
	char buf[256];
	if (read(c, buf, sizeof(buf)) != -1 || errno != EAGAIN)
		return fail("read before the client sends (want EAGAIN)");
	printf("read: EAGAIN\n");
	struct timeval tv = {0, 200000};
	int flags = fcntl(c, F_GETFL);
	if (fcntl(c, F_SETFL, flags & ~O_NONBLOCK) != 0 ||
	    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
		return fail("SO_RCVTIMEO");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ssize_t timed = read(c, buf, sizeof(buf));
	if (timed != -1 || errno != EAGAIN || ms_since(&t0) < 190)
		return fail("read with a 200 ms SO_RCVTIMEO (want EAGAIN)");
	if (fcntl(c, F_SETFL, flags) != 0)
		return fail("O_NONBLOCK again");
	printf("read: SO_RCVTIMEO, EAGAIN\n");
	if (write(c, "hello\n", 6) != 6)
		return fail("write hello");
	if (read_line(c, buf, sizeof(buf)) != 0)
		return fail("read the client's line");
	for (char *p = buf; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	strcat(buf, "\n");
	if (send(c, buf, strlen(buf), MSG_NOSIGNAL) != (ssize_t)strlen(buf))
		return fail("send");
	/* The end of the stream, edge-triggered: one report, then read gives 0. */
	e = (struct epoll_event){.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = c};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &e) != 0)
		return fail("epoll_ctl conn");
	for (;;) {
		n = epoll_wait(ep, &e, 1, 30000);
		if (n != 1)
			return fail("epoll_wait for the end");
		ssize_t got = read(c, buf, sizeof(buf));
		if (got == 0)
			break;
		if (got < 0 && errno != EAGAIN)
			return fail("read to the end");
	}
	close(c);
	close(ep);
	close(l);
	printf("events ok\n");
	return 0;
}

static int serve_msg(int port)
{
	int l, c = accept_one(port, &l);
	if (c < 0)
		return 1;
	char peek[3], all[9] = {0};
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	ssize_t got = recvfrom(c, peek, 3, MSG_PEEK | MSG_WAITALL, (struct sockaddr *)&from, &len);
	if (got != 3 || memcmp(peek, "abc", 3) != 0)
		return fail("recvfrom MSG_PEEK");
	printf("peeked %.3s, address length %u\n", peek, (unsigned)len);
	struct iovec in[2] = {{all, 5}, {all + 5, 3}};
	struct msghdr m = {.msg_iov = in, .msg_iovlen = 2};
	got = recvmsg(c, &m, MSG_WAITALL);
	if (got != 8 || memcmp(all, "abc\ndef\n", 8) != 0)
		return fail("recvmsg MSG_WAITALL");
	printf("received 8 bytes in 2 buffers\n");
	struct iovec out[2] = {{"X", 1}, {"Y\n", 2}};
	m = (struct msghdr){.msg_iov = out, .msg_iovlen = 2};
	if (sendmsg(c, &m, MSG_NOSIGNAL) != 3)
		return fail("sendmsg");
	while ((got = read(c, all, sizeof(all))) > 0)
		;
	close(c);
	close(l);
	printf("msg ok\n");
	return 0;
}

static int serve_sigpipe(int port)
{
	int l, c = accept_one(port, &l);
	if (c < 0)
		return 1;
	char buf[256];
	ssize_t got;
	while ((got = read(c, buf, sizeof(buf))) > 0)
		;
	if (got < 0)
		return fail("read to the end");
	/* Linux may take a first write after the peer's close (its answer is a reset): try a few. */
	int i;
	for (i = 0; i < 100; i++) {
		if (send(c, "x", 1, MSG_NOSIGNAL) < 0)
			break;
		usleep(10000);
	}
	if (i == 100 || errno != EPIPE)
		return fail("send after the peer's close (want EPIPE)");
	printf("send: EPIPE\n");
	write(c, "x", 1);
	printf("FAIL write after EPIPE: no SIGPIPE\n");
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && strcmp(argv[1], "echo") == 0)
		return serve_echo(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && strcmp(argv[1], "events") == 0)
		return serve_events(atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "msg") == 0)
		return serve_msg(atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "sigpipe") == 0)
		return serve_sigpipe(atoi(argv[2]));
	fprintf(stderr, "usage: %s echo PORT N | events PORT | msg PORT | sigpipe PORT\n", argv[0]);
	return 2;
}
