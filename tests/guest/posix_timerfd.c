/* timerfd (the `timer` system-call group): a one-shot timer read after poll, a periodic one's
 * expirations counted while nobody reads, setting it again starting the count over, a blocking
 * read, two timers in epoll firing in their order, an absolute realtime deadline, closing a
 * running timer, and bad arguments. Every case passes on Linux too. */
// BUILD:
// CASE: oneshot | -- oneshot | 0 | ^oneshot: EAGAIN, poll in, 1 tick, EAGAIN, disarmed$
// CASE: periodic | -- periodic | 0 | ^periodic: at least 4 ticks, old interval 10 ms, reset to EAGAIN$
// CASE: blocking | -- blocking | 0 | ^blocking: read waited for 1 tick$
// CASE: epoll | -- epoll | 0 | ^epoll: first, then second$
// CASE: absolute | -- absolute | 0 | ^absolute: 1 tick, past deadline at once$
// CASE: close | -- close | 0 | ^close: closed while running$
// CASE: bad | -- bad | 0 | ^bad: EINVAL EINVAL EBADF EINVAL EINVAL EINVAL EINVAL EINVAL$
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000L

static int arm(int fd, long value_ns, long interval_ns)
{
	struct itimerspec its = {{interval_ns / 1000000000L, interval_ns % 1000000000L},
	                         {value_ns / 1000000000L, value_ns % 1000000000L}};
	return timerfd_settime(fd, 0, &its, NULL);
}

/* The count a read gives, or -errno. */
static long ticks(int fd)
{
	uint64_t n;
	ssize_t r = read(fd, &n, sizeof(n));
	return r == sizeof(n) ? (long)n : r < 0 ? -errno : -1000;
}

static int test_oneshot(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0 || ticks(fd) != -EAGAIN || arm(fd, 20 * MS, 0))
		return 1;
	if (ticks(fd) != -EAGAIN)
		return 2;
	struct pollfd p = {fd, POLLIN, 0};
	if (poll(&p, 1, 5000) != 1 || !(p.revents & POLLIN))
		return 3;
	if (ticks(fd) != 1 || ticks(fd) != -EAGAIN)
		return 4;
	struct itimerspec cur;
	if (timerfd_gettime(fd, &cur) || cur.it_value.tv_sec || cur.it_value.tv_nsec ||
	    cur.it_interval.tv_sec || cur.it_interval.tv_nsec)
		return 5;
	printf("oneshot: EAGAIN, poll in, 1 tick, EAGAIN, disarmed\n");
	return 0;
}

static int test_periodic(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	if (fd < 0 || arm(fd, 10 * MS, 10 * MS))
		return 1;
	usleep(60000);
	long n = ticks(fd);
	if (n < 4)
		return printf("periodic: %ld ticks\n", n), 2;
	struct itimerspec cur;
	if (timerfd_gettime(fd, &cur) || cur.it_interval.tv_nsec != 10 * MS ||
	    cur.it_value.tv_sec || cur.it_value.tv_nsec > 10 * MS || !cur.it_value.tv_nsec)
		return 3;
	/* Expirations pile up again, then setting the timer again forgets them. */
	usleep(30000);
	struct itimerspec later = {{0, 0}, {5, 0}}, old;
	if (timerfd_settime(fd, 0, &later, &old) || old.it_interval.tv_nsec != 10 * MS)
		return 4;
	if (ticks(fd) != -EAGAIN)
		return 5;
	printf("periodic: at least 4 ticks, old interval 10 ms, reset to EAGAIN\n");
	return 0;
}

static int test_blocking(void)
{
	int fd = timerfd_create(CLOCK_BOOTTIME, 0);
	if (fd < 0 || arm(fd, 30 * MS, 0))
		return 1;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	long n = ticks(fd);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long waited = (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
	if (n != 1 || waited < 20 * MS)
		return printf("blocking: %ld ticks after %ld ns\n", n, waited), 2;
	printf("blocking: read waited for 1 tick\n");
	return 0;
}

static int test_epoll(void)
{
	int ep = epoll_create1(0);
	int first = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	int second = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct epoll_event e1 = {.events = EPOLLIN, .data.u32 = 1};
	struct epoll_event e2 = {.events = EPOLLIN, .data.u32 = 2};
	if (ep < 0 || first < 0 || second < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, first, &e1) ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, second, &e2))
		return 1;
	if (arm(second, 500 * MS, 0) || arm(first, 20 * MS, 0))
		return 2;
	struct epoll_event got[2];
	if (epoll_wait(ep, got, 2, 5000) != 1 || got[0].data.u32 != 1 || ticks(first) != 1)
		return 3;
	if (epoll_wait(ep, got, 2, 5000) != 1 || got[0].data.u32 != 2 || ticks(second) != 1)
		return 4;
	if (epoll_wait(ep, got, 2, 0) != 0)
		return 5;
	printf("epoll: first, then second\n");
	return 0;
}

static int test_absolute(void)
{
	int fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct itimerspec its = {{0, 0}, {now.tv_sec, now.tv_nsec + 20 * MS}};
	if (its.it_value.tv_nsec >= 1000000000L) {
		its.it_value.tv_sec++;
		its.it_value.tv_nsec -= 1000000000L;
	}
	if (fd < 0 || timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL))
		return 1;
	struct pollfd p = {fd, POLLIN, 0};
	if (poll(&p, 1, 5000) != 1 || ticks(fd) != 1)
		return 2;
	/* A deadline already past expires at once. */
	its.it_value.tv_sec -= 10;
	if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) || poll(&p, 1, 5000) != 1 ||
	    ticks(fd) != 1)
		return 3;
	printf("absolute: 1 tick, past deadline at once\n");
	return 0;
}

static int test_close(void)
{
	for (int i = 0; i < 20; i++) {
		int fd = timerfd_create(CLOCK_MONOTONIC, 0);
		if (fd < 0 || arm(fd, 1 * MS, 1 * MS))
			return 1;
		usleep(2000);
		close(fd);
	}
	usleep(20000);
	printf("close: closed while running\n");
	return 0;
}

static const char *err_name(int ok)
{
	return ok ? "ok" : errno == EINVAL ? "EINVAL" : errno == EBADF ? "EBADF" : strerror(errno);
}

static int test_bad(void)
{
	struct itimerspec its = {{0, 0}, {1, 0}}, bad_ns = {{0, 0}, {0, 1000000000L}};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	uint32_t small;
	printf("bad:");
	printf(" %s", err_name(timerfd_create(99, 0) >= 0));
	printf(" %s", err_name(timerfd_create(CLOCK_MONOTONIC, 0x10) >= 0));
	printf(" %s", err_name(timerfd_settime(999, 0, &its, NULL) == 0));
	printf(" %s", err_name(timerfd_settime(1, 0, &its, NULL) == 0));
	printf(" %s", err_name(timerfd_settime(fd, 0, &bad_ns, NULL) == 0));
	printf(" %s", err_name(timerfd_settime(fd, 0x8, &its, NULL) == 0));
	printf(" %s", err_name(read(fd, &small, sizeof(small)) >= 0));
	printf(" %s\n", err_name(write(fd, &small, sizeof(small)) >= 0));
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "oneshot"))
		return test_oneshot();
	if (!strcmp(what, "periodic"))
		return test_periodic();
	if (!strcmp(what, "blocking"))
		return test_blocking();
	if (!strcmp(what, "epoll"))
		return test_epoll();
	if (!strcmp(what, "absolute"))
		return test_absolute();
	if (!strcmp(what, "close"))
		return test_close();
	if (!strcmp(what, "bad"))
		return test_bad();
	return 100;
}
