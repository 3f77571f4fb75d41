/* signalfd (the `event` group): blocked signals read as records (a thread's own before the
 * process's), the graceful-shutdown pattern of SIGTERM through epoll, a blocking read woken by
 * another thread, the mask changed on the same descriptor, a POSIX timer's signal with its
 * SI_TIMER fields, a signal whose default is to ignore it kept while blocked, and bad arguments.
 * Every case passes on Linux too. */
// BUILD:
// CASE: read | -- read | 0 | ^read: EAGAIN, USR1 from the thread, USR2 from pid [0-9]+, EAGAIN$
// CASE: epoll | -- epoll | 0 | ^epoll: SIGTERM through epoll$
// CASE: blocking | -- blocking | 0 | ^blocking: woken by SIGUSR1$
// CASE: update | -- update | 0 | ^update: USR2 only$
// CASE: timer | -- timer | 0 | ^timer: SI_TIMER, value 42$
// CASE: bad | -- bad | 0 | ^bad: EINVAL EINVAL EBADF EINVAL EINVAL$
// CASE: ignored | -- ignored | 0 | ^ignored: SIGWINCH kept while blocked, dropped when not$
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static sigset_t set_of(int a, int b)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, a);
	if (b)
		sigaddset(&s, b);
	return s;
}

/* Blocks a and b and opens a signalfd for them. */
static int open_for(int a, int b, int flags)
{
	sigset_t s = set_of(a, b);
	sigprocmask(SIG_BLOCK, &s, NULL);
	return signalfd(-1, &s, flags);
}

static int test_read(void)
{
	int fd = open_for(SIGUSR1, SIGUSR2, SFD_NONBLOCK | SFD_CLOEXEC);
	struct signalfd_siginfo r[3];
	if (fd < 0 || read(fd, r, sizeof(r)) != -1 || errno != EAGAIN)
		return 1;
	kill(getpid(), SIGUSR2);
	raise(SIGUSR1);
	if (read(fd, r, sizeof(r)) != 2 * sizeof(r[0]))
		return 2;
	if (r[0].ssi_signo != SIGUSR1 || r[0].ssi_code != SI_TKILL || r[1].ssi_signo != SIGUSR2 ||
	    r[1].ssi_code != SI_USER || r[1].ssi_pid != (uint32_t)getpid())
		return 3;
	if (read(fd, r, sizeof(r)) != -1 || errno != EAGAIN)
		return 4;
	printf("read: EAGAIN, USR1 from the thread, USR2 from pid %u, EAGAIN\n", r[1].ssi_pid);
	return 0;
}

static pthread_t main_thread;

static void *send_later(void *arg)
{
	usleep(20000);
	if (arg)
		pthread_kill(main_thread, SIGUSR1);
	else
		kill(getpid(), SIGTERM);
	return NULL;
}

static int test_epoll(void)
{
	int fd = open_for(SIGTERM, 0, SFD_NONBLOCK);
	int ep = epoll_create1(0);
	struct epoll_event e = {.events = EPOLLIN, .data.u32 = 7};
	if (fd < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e))
		return 1;
	pthread_t t;
	pthread_create(&t, NULL, send_later, NULL);
	struct epoll_event got;
	int n = epoll_wait(ep, &got, 1, 10000);
	struct signalfd_siginfo r;
	if (n != 1 || got.data.u32 != 7 || read(fd, &r, sizeof(r)) != sizeof(r) ||
	    r.ssi_signo != SIGTERM)
		return 2;
	pthread_join(t, NULL);
	printf("epoll: SIGTERM through epoll\n");
	return 0;
}

static int test_blocking(void)
{
	int fd = open_for(SIGUSR1, 0, 0);
	main_thread = pthread_self();
	pthread_t t;
	pthread_create(&t, NULL, send_later, (void *)1);
	struct signalfd_siginfo r;
	if (fd < 0 || read(fd, &r, sizeof(r)) != sizeof(r) || r.ssi_signo != SIGUSR1)
		return 1;
	pthread_join(t, NULL);
	printf("blocking: woken by SIGUSR1\n");
	return 0;
}

static int test_update(void)
{
	int fd = open_for(SIGUSR1, SIGUSR2, SFD_NONBLOCK);
	sigset_t only2 = set_of(SIGUSR2, 0);
	if (fd < 0 || signalfd(fd, &only2, 0) != fd)
		return 1;
	raise(SIGUSR1);
	struct pollfd p = {fd, POLLIN, 0};
	if (poll(&p, 1, 0) != 0)
		return 2;
	raise(SIGUSR2);
	struct signalfd_siginfo r[2];
	if (poll(&p, 1, 1000) != 1 || read(fd, r, sizeof(r)) != sizeof(r[0]) ||
	    r[0].ssi_signo != SIGUSR2)
		return 3;
	printf("update: USR2 only\n");
	return 0;
}

static int test_timer(void)
{
	int sig = SIGRTMIN + 1;
	int fd = open_for(sig, 0, 0);
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = sig};
	ev.sigev_value.sival_int = 42;
	timer_t id;
	struct itimerspec its = {.it_value = {0, 10000000}};
	if (fd < 0 || timer_create(CLOCK_MONOTONIC, &ev, &id) || timer_settime(id, 0, &its, NULL))
		return 1;
	struct signalfd_siginfo r;
	if (read(fd, &r, sizeof(r)) != sizeof(r) || (int)r.ssi_signo != sig ||
	    r.ssi_code != SI_TIMER || r.ssi_int != 42)
		return 2;
	printf("timer: SI_TIMER, value %d\n", r.ssi_int);
	return 0;
}

/* SIGWINCH's default action is to ignore it; blocked, it stays pending for the signalfd. */
static int test_ignored(void)
{
	int fd = open_for(SIGWINCH, 0, SFD_NONBLOCK);
	struct signalfd_siginfo r;
	kill(getpid(), SIGWINCH);
	if (fd < 0 || read(fd, &r, sizeof(r)) != sizeof(r) || r.ssi_signo != SIGWINCH)
		return 1;
	sigset_t s = set_of(SIGWINCH, 0);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	kill(getpid(), SIGWINCH);
	sigprocmask(SIG_BLOCK, &s, NULL);
	if (read(fd, &r, sizeof(r)) != -1 || errno != EAGAIN)
		return 2;
	printf("ignored: SIGWINCH kept while blocked, dropped when not\n");
	return 0;
}

static const char *err_name(int ok)
{
	return ok ? "ok" : errno == EINVAL ? "EINVAL" : errno == EBADF ? "EBADF" : strerror(errno);
}

static int test_bad(void)
{
	sigset_t s = set_of(SIGUSR1, 0);
	int fd = signalfd(-1, &s, SFD_NONBLOCK);
	char small[64];
	printf("bad:");
	printf(" %s", err_name(signalfd(-1, &s, 0x1) >= 0));
	printf(" %s", err_name(signalfd(1, &s, 0) >= 0));
	printf(" %s", err_name(signalfd(999, &s, 0) >= 0));
	printf(" %s", err_name(syscall(SYS_signalfd4, -1, &s, 4, 0) >= 0));
	printf(" %s\n", err_name(read(fd, small, sizeof(small)) >= 0));
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "read"))
		return test_read();
	if (!strcmp(what, "epoll"))
		return test_epoll();
	if (!strcmp(what, "blocking"))
		return test_blocking();
	if (!strcmp(what, "update"))
		return test_update();
	if (!strcmp(what, "timer"))
		return test_timer();
	if (!strcmp(what, "bad"))
		return test_bad();
	if (!strcmp(what, "ignored"))
		return test_ignored();
	return 100;
}
