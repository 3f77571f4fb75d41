/* epoll, eventfd and sendfile (kernel/sys/epoll.c, eventfd.c, sendfile.c) over pipes and
 * eventfds: level- and edge-triggered reports, EPOLLONESHOT, MOD and DEL, timeouts, wake-ups
 * from another thread, nesting, the errors Linux gives; the eventfd counter, semaphore and
 * non-blocking forms. One line per check; the exit status is the number of failed checks. */
// BUILD:
// CASE: epoll | | 0 | ^epoll-lt ok$ && ^epoll-et-again ok$ && ^oneshot-rearmed ok$ && ^wait-timeout ok$ && ^wait-woken ok$ && ^nested-loop ok$ && ^eventfd-semaphore ok$ && ^eventfd-woken ok$ && ^sendfile-pipe ok$ && ^checks: [0-9]+ passed, 0 failed$
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "posix_test.h"

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event e = {.events = events, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event e = {.events = events, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

/* One epoll_wait with a zero timeout: the count, and the first event in *e. */
static int wait_now(int ep, struct epoll_event *e)
{
	return epoll_wait(ep, e, 1, 0);
}

static void test_level_and_edge(void)
{
	int p[2], q[2];
	pipe(p);
	pipe(q);
	int ep = epoll_create1(0);
	check("create1", ep >= 0, ep);
	check("add-lt", add(ep, p[0], EPOLLIN, 42) == 0, 0);
	check("add-et", add(ep, q[0], EPOLLIN | EPOLLET, 43) == 0, 0);
	struct epoll_event e;
	check("empty", wait_now(ep, &e) == 0, 0);
	write(p[1], "x", 1);
	int n = wait_now(ep, &e);
	check("epoll-lt-first", n == 1 && e.data.u64 == 42 && e.events == EPOLLIN, n);
	n = wait_now(ep, &e);
	check("epoll-lt", n == 1 && e.data.u64 == 42, n); /* still readable: reported again */
	char c;
	read(p[0], &c, 1);
	check("lt-drained", wait_now(ep, &e) == 0, 0);

	write(q[1], "y", 1);
	n = wait_now(ep, &e);
	check("epoll-et-first", n == 1 && e.data.u64 == 43, n);
	check("epoll-et-quiet", wait_now(ep, &e) == 0, 0); /* readable, but nothing changed */
	write(q[1], "z", 1);
	n = wait_now(ep, &e);
	check("epoll-et-again", n == 1 && e.data.u64 == 43, n);
	check("epoll-et-quiet-2", wait_now(ep, &e) == 0, 0);

	/* MOD re-arms an edge-triggered item: it reports what is there now. */
	check("mod-et", mod(ep, q[0], EPOLLIN | EPOLLET, 44) == 0, 0);
	n = wait_now(ep, &e);
	check("epoll-et-mod", n == 1 && e.data.u64 == 44, n);

	check("del", epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL) == 0, 0);
	check_err("del-again", epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL), ENOENT);
	check_err("mod-absent", mod(ep, q[0], EPOLLIN, 0), ENOENT);
	check_err("add-twice", add(ep, p[0], EPOLLIN, 0), EEXIST);
	check("after-del", wait_now(ep, &e) == 0, 0);

	/* The writer gone: EPOLLHUP, reported though not asked for. */
	close(p[1]);
	n = wait_now(ep, &e);
	check("hup", n == 1 && (e.events & EPOLLHUP) && e.data.u64 == 42, n);
	/* Closing the descriptor ends its item: the number may be reused and added again. */
	close(p[0]);
	check("closed-gone", wait_now(ep, &e) == 0, 0);
	int r[2];
	pipe(r);
	check("reused-add", add(ep, r[0], EPOLLOUT, 7) == 0, 0);
	check("read-end-no-out", wait_now(ep, &e) == 0, 0);
	check("add-write-end", add(ep, r[1], EPOLLOUT, 8) == 0, 0);
	n = wait_now(ep, &e);
	check("write-end-out", n == 1 && e.events == EPOLLOUT && e.data.u64 == 8, n);
	close(r[0]);
	close(r[1]);
	close(q[0]);
	close(q[1]);
	close(ep);
}

static void test_oneshot_and_turns(void)
{
	int ep = epoll_create(1), p[3][2];
	for (int i = 0; i < 3; i++) {
		pipe(p[i]);
		write(p[i][1], "x", 1);
	}
	check("add-oneshot", add(ep, p[0][0], EPOLLIN | EPOLLONESHOT, 1) == 0, 0);
	struct epoll_event e;
	int n = wait_now(ep, &e);
	check("oneshot-first", n == 1 && e.data.u64 == 1, n);
	check("oneshot-disarmed", wait_now(ep, &e) == 0, 0);
	check("oneshot-mod", mod(ep, p[0][0], EPOLLIN | EPOLLONESHOT, 2) == 0, 0);
	n = wait_now(ep, &e);
	check("oneshot-rearmed", n == 1 && e.data.u64 == 2, n);

	/* Three ready items, one event per call: each gets its turn. */
	check("mod-lt", mod(ep, p[0][0], EPOLLIN, 0) == 0, 0);
	add(ep, p[1][0], EPOLLIN, 1);
	add(ep, p[2][0], EPOLLIN, 2);
	unsigned seen = 0;
	for (int i = 0; i < 3; i++)
		if (wait_now(ep, &e) == 1)
			seen |= 1u << e.data.u64;
	check("turns", seen == 7, seen);
	struct epoll_event all[8];
	n = epoll_wait(ep, all, 8, 0);
	check("all-ready", n == 3, n);

	/* An instance is pollable, and watchable by another, but not in a loop. */
	struct pollfd pfd = {.fd = ep, .events = POLLIN};
	n = poll(&pfd, 1, 0);
	check("poll-epoll", n == 1 && pfd.revents == POLLIN, n);
	int outer = epoll_create1(EPOLL_CLOEXEC);
	check("cloexec", fcntl(outer, F_GETFD) == FD_CLOEXEC, 0);
	check("nest", add(outer, ep, EPOLLIN, 9) == 0, 0);
	n = wait_now(outer, &e);
	check("nested-ready", n == 1 && e.data.u64 == 9 && e.events == EPOLLIN, n);
	check_err("nested-loop", add(ep, outer, EPOLLIN, 0), ELOOP);
	check_err("self", add(ep, ep, EPOLLIN, 0), EINVAL);
	check_err("exclusive-nested", add(outer, epoll_create1(0), EPOLLIN | EPOLLEXCLUSIVE, 0),
	          EINVAL);
	for (int i = 0; i < 3; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	close(outer);
	close(ep);

	/* Chains of instances: at most 5 deep, whichever end grows. */
	int down[6], up[6];
	for (int i = 0; i < 6; i++) {
		down[i] = epoll_create1(0);
		up[i] = epoll_create1(0);
	}
	for (int i = 0; i < 4; i++) {
		check("chain-down", add(down[i], down[i + 1], EPOLLIN, 0) == 0, i);
		check("chain-up", add(up[4 - i], up[5 - i], EPOLLIN, 0) == 0, i);
	}
	check_err("chain-down-too-deep", add(down[4], down[5], EPOLLIN, 0), ELOOP);
	check_err("chain-up-too-deep", add(up[0], up[1], EPOLLIN, 0), ELOOP);
	for (int i = 0; i < 6; i++) {
		close(down[i]);
		close(up[i]);
	}
}

static void test_errors(void)
{
	int ep = epoll_create1(0), p[2];
	pipe(p);
	struct epoll_event e = {.events = EPOLLIN};
	/* musl passes epoll_create's size on as epoll_create1(0): ask the kernel itself. */
	check_err("create-0", syscall(SYS_epoll_create, 0), EINVAL);
	check_err("create1-flags", epoll_create1(1), EINVAL);
	check_err("ctl-bad-epfd", epoll_ctl(999, EPOLL_CTL_ADD, p[0], &e), EBADF);
	check_err("ctl-bad-fd", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &e), EBADF);
	check_err("ctl-not-epoll", epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &e), EINVAL);
	check_err("ctl-bad-op", epoll_ctl(ep, 77, p[0], &e), EINVAL);
	check_err("ctl-fault", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], (void *)8), EFAULT);
	check("exclusive-add", add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 0) == 0, 0);
	check_err("exclusive-mod", mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 0), EINVAL);
	check_err("wait-max-0", epoll_wait(ep, &e, 0, 0), EINVAL);
	check_err("wait-bad-fd", epoll_wait(999, &e, 1, 0), EBADF);
	check_err("wait-not-epoll", epoll_wait(p[0], &e, 1, 0), EINVAL);
	check_err("wait-fault", epoll_wait(ep, (void *)8, 1, 0), EFAULT);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static int wake_fd;

static void *write_later(void *arg)
{
	(void)arg;
	struct timespec t = {0, 50 * 1000000};
	nanosleep(&t, NULL);
	uint64_t one = 1;
	write(wake_fd, &one, sizeof(one));
	return NULL;
}

static void test_waits(void)
{
	int ep = epoll_create1(0);
	int efd = eventfd(0, EFD_NONBLOCK);
	add(ep, efd, EPOLLIN | EPOLLET, 5);
	struct epoll_event e;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int n = epoll_wait(ep, &e, 1, 100);
	long ms = ms_since(&t0);
	check("wait-timeout", n == 0 && ms >= 95 && ms < 2000, ms);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = epoll_pwait(ep, &e, 1, 50, NULL);
	check("pwait-timeout", n == 0 && ms_since(&t0) >= 45, n);

	pthread_t th;
	wake_fd = efd;
	pthread_create(&th, NULL, write_later, NULL);
	n = epoll_wait(ep, &e, 1, -1);
	check("wait-woken", n == 1 && e.data.u64 == 5 && e.events == EPOLLIN, n);
	pthread_join(th, NULL);
	close(efd);
	close(ep);
}

static void test_eventfd(void)
{
	uint64_t v = 0;
	int efd = eventfd(3, 0);
	check("eventfd", efd >= 0, efd);
	check("eventfd-read", read(efd, &v, 8) == 8 && v == 3, (long)v);
	v = 5;
	write(efd, &v, 8);
	v = 2;
	write(efd, &v, 8);
	check("eventfd-sum", read(efd, &v, 8) == 8 && v == 7, (long)v);
	check_err("eventfd-short", read(efd, &v, 4), EINVAL);
	check_err("eventfd-short-write", write(efd, &v, 7), EINVAL);
	close(efd);

	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	check("eventfd-cloexec", fcntl(efd, F_GETFD) == FD_CLOEXEC, 0);
	check_err("eventfd-empty", read(efd, &v, 8), EAGAIN);
	v = UINT64_MAX;
	check_err("eventfd-max", write(efd, &v, 8), EINVAL);
	v = UINT64_MAX - 1;
	check("eventfd-fill", write(efd, &v, 8) == 8, 0);
	v = 1;
	check_err("eventfd-full", write(efd, &v, 8), EAGAIN);
	struct pollfd pfd = {.fd = efd, .events = POLLIN | POLLOUT};
	int n = poll(&pfd, 1, 0);
	check("eventfd-poll-full", n == 1 && pfd.revents == POLLIN, pfd.revents);
	close(efd);

	efd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
	long a = read(efd, &v, 8), got_a = (long)v;
	long b = read(efd, &v, 8), got_b = (long)v;
	check("eventfd-semaphore", a == 8 && got_a == 1 && b == 8 && got_b == 1, got_a);
	check_err("eventfd-semaphore-empty", read(efd, &v, 8), EAGAIN);
	close(efd);
	check_err("eventfd-flags", eventfd(0, 0x100), EINVAL);

	/* A blocking read, woken by a write from another thread. */
	efd = eventfd(0, 0);
	wake_fd = efd;
	pthread_t th;
	pthread_create(&th, NULL, write_later, NULL);
	check("eventfd-woken", read(efd, &v, 8) == 8 && v == 1, (long)v);
	pthread_join(th, NULL);
	close(efd);
}

static void test_sendfile(void)
{
	int in[2], out[2];
	pipe(in);
	pipe(out);
	write(in[1], "hello", 5);
	char buf[8] = {0};
	long n = sendfile(out[1], in[0], NULL, 5);
	check("sendfile-pipe", n == 5 && read(out[0], buf, 8) == 5 && memcmp(buf, "hello", 5) == 0,
	      n);
	off_t off = 0;
	check_err("sendfile-offset-pipe", sendfile(out[1], in[0], &off, 5), ESPIPE);
	check_err("sendfile-bad-fd", sendfile(out[1], 999, NULL, 5), EBADF);
	check_err("sendfile-wrong-way", sendfile(in[0], out[0], NULL, 5), EBADF);
	check("sendfile-zero", sendfile(out[1], in[0], NULL, 0) == 0, 0);
	for (int i = 0; i < 2; i++) {
		close(in[i]);
		close(out[i]);
	}
}

int main(void)
{
	test_level_and_edge();
	test_oneshot_and_turns();
	test_errors();
	test_waits();
	test_eventfd();
	test_sendfile();
	return checks_done();
}
