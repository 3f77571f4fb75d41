/* Signals in a POSIX image: default actions (exit 128 + signal), handlers run on the way out of
 * a system call, masks, SIG_IGN, the ITIMER_REAL timer waking pause() (and its values, errors,
 * and its SIGALRM beside a POSIX timer's signal), a fault caught by a SIGSEGV handler, and a
 * signal sent to one thread. */
// BUILD:
// CASE: abort | -- abort | 134 | ^Assertion failed: x == 3 && terminated by signal 6
// CASE: raise | -- raise | 0 | ^handler ran for 10$
// CASE: siginfo | -- siginfo | 0 | ^siginfo: signo=12 pid=1$
// CASE: mask | -- mask | 0 | ^blocked: not run, pending$ && ^unblocked: ran once$
// CASE: ignore | -- ignore | 0 | ^ignored ok$
// CASE: term | -- term | 143 |
// CASE: alarm | -- alarm | 0 | ^alarm: handler ran, pause returned EINTR$
// CASE: itimer | -- itimer | 0 | ^itimer: 3 ticks$
// CASE: itimer-values | -- itimer-values | 0 | ^itimer-values: ok$
// CASE: segv | -- segv | 0 | ^segv: caught, addr=0$
// CASE: segv-default | -- segv-default | 139 | CPU exception: page fault
// CASE: thread | -- thread | 0 | ^thread: got 10 in the thread$
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t hits, last_sig;
static volatile pid_t info_pid;
static volatile int info_signo;
static sigjmp_buf jump;
static volatile void *fault_addr;

static void on_signal(int sig)
{
	hits++;
	last_sig = sig;
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	(void)sig;
	info_signo = si->si_signo;
	info_pid = si->si_pid;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_addr = si->si_addr;
	siglongjmp(jump, 1);
}

static int test_abort(int x)
{
	assert(x == 3); /* argc is 2: fails */
	return 1;
}

static int test_raise(void)
{
	signal(SIGUSR1, on_signal);
	raise(SIGUSR1);
	if (hits != 1)
		return 1;
	printf("handler ran for %d\n", (int)last_sig);
	return 0;
}

static int test_siginfo(void)
{
	struct sigaction sa = {.sa_sigaction = on_info, .sa_flags = SA_SIGINFO};
	sigaction(SIGUSR2, &sa, NULL);
	if (kill(getpid(), SIGUSR2) != 0)
		return 1;
	printf("siginfo: signo=%d pid=%d\n", info_signo, (int)info_pid);
	return 0;
}

static int test_mask(void)
{
	sigset_t set, pending;
	signal(SIGUSR1, on_signal);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	sigpending(&pending);
	printf("blocked: %s, %s\n", hits ? "ran" : "not run",
	       sigismember(&pending, SIGUSR1) ? "pending" : "not pending");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	printf("unblocked: %s\n", hits == 1 ? "ran once" : "wrong");
	return 0;
}

static int test_ignore(void)
{
	signal(SIGUSR1, SIG_IGN);
	raise(SIGUSR1);
	kill(getpid(), SIGUSR1);
	/* Errors as Linux gives them. */
	struct sigaction sa = {.sa_handler = on_signal};
	if (sigaction(SIGKILL, &sa, NULL) != -1 || errno != EINVAL)
		return 1;
	if (kill(getpid(), 65) != -1 || errno != EINVAL)
		return 2;
	if (syscall(SYS_tgkill, getpid(), 9999, SIGUSR1) != -1 || errno != ESRCH)
		return 3;
	printf("ignored ok\n");
	return 0;
}

static int test_alarm(void)
{
	signal(SIGALRM, on_signal);
	alarm(1);
	int r = pause();
	printf("alarm: %s, pause returned %s\n", hits == 1 ? "handler ran" : "no handler",
	       r == -1 && errno == EINTR ? "EINTR" : "something else");
	return 0;
}

static int test_itimer(void)
{
	signal(SIGALRM, on_signal);
	struct itimerval it = {.it_interval = {0, 20000}, .it_value = {0, 20000}};
	if (setitimer(ITIMER_REAL, &it, NULL) != 0)
		return 1;
	while (hits < 3)
		pause();
	struct itimerval off = {0};
	setitimer(ITIMER_REAL, &off, &it);
	printf("itimer: %d ticks\n", (int)hits);
	return it.it_interval.tv_usec == 20000 ? 0 : 2;
}

static volatile int alrm_code, usr1_code;

static void on_code(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGALRM)
		alrm_code = si->si_code;
	else
		usr1_code = si->si_code;
	hits++;
}

static long usec_of(const struct timeval *tv)
{
	return tv->tv_sec * 1000000L + tv->tv_usec;
}

/* getitimer reads back what setitimer set, alarm returns what was left (rounded), the errors are
 * Linux's, and ITIMER_REAL runs beside a POSIX timer: SIGALRM from the kernel (SI_KERNEL), the
 * POSIX timer's SIGUSR1 with SI_TIMER. Returns which step failed; passes on Linux too. */
static int test_itimer_values(void)
{
	struct itimerval it = {.it_interval = {2, 0}, .it_value = {3, 600000}}, cur;
	if (setitimer(ITIMER_REAL, &it, NULL) || getitimer(ITIMER_REAL, &cur))
		return 1;
	if (usec_of(&cur.it_interval) != 2000000 || usec_of(&cur.it_value) > 3600000 ||
	    usec_of(&cur.it_value) < 3000000)
		return 2;
	if (alarm(7) != 4 || alarm(0) != 7)
		return 3;
	if (getitimer(ITIMER_REAL, &cur) || usec_of(&cur.it_value) || usec_of(&cur.it_interval))
		return 4;
	struct itimerval bad = {.it_value = {0, 1000000}};
	if (setitimer(ITIMER_REAL, &bad, NULL) != -1 || errno != EINVAL)
		return 5;
	if (getitimer(7, &cur) != -1 || errno != EINVAL)
		return 7;

	struct sigaction sa = {.sa_sigaction = on_code, .sa_flags = SA_SIGINFO};
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	timer_t id;
	if (timer_create(CLOCK_MONOTONIC, &ev, &id))
		return 8;
	struct itimerspec ts = {.it_value = {0, 30000000}};
	struct itimerval once = {.it_value = {0, 20000}};
	if (timer_settime(id, 0, &ts, NULL) || setitimer(ITIMER_REAL, &once, NULL))
		return 9;
	hits = 0;
	for (int i = 0; i < 100 && (!alrm_code || !usr1_code); i++)
		usleep(10000);
	timer_delete(id);
	if (alrm_code != SI_KERNEL || usr1_code != SI_TIMER || hits != 2)
		return 10;
	printf("itimer-values: ok\n");
	return 0;
}

static int test_segv(void)
{
	struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
	sigaction(SIGSEGV, &sa, NULL);
	if (sigsetjmp(jump, 1) == 0) {
		volatile int *p = NULL;
		(void)*p;
		return 1;
	}
	printf("segv: caught, addr=%lu\n", (unsigned long)fault_addr);
	/* The mask was restored by siglongjmp: a second fault is caught too. */
	if (sigsetjmp(jump, 1) == 0) {
		volatile int *p = NULL;
		(void)*p;
		return 2;
	}
	return 0;
}

static void *thread_main(void *arg)
{
	(void)arg;
	while (!hits)
		usleep(1000);
	return NULL;
}

static int test_thread(void)
{
	pthread_t t;
	signal(SIGUSR1, on_signal);
	if (pthread_create(&t, NULL, thread_main, NULL))
		return 1;
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	printf("thread: got %d in the thread\n", (int)last_sig);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "abort"))
		return test_abort(argc);
	if (!strcmp(what, "raise"))
		return test_raise();
	if (!strcmp(what, "siginfo"))
		return test_siginfo();
	if (!strcmp(what, "mask"))
		return test_mask();
	if (!strcmp(what, "ignore"))
		return test_ignore();
	if (!strcmp(what, "term"))
		return raise(SIGTERM), 0;
	if (!strcmp(what, "alarm"))
		return test_alarm();
	if (!strcmp(what, "itimer"))
		return test_itimer();
	if (!strcmp(what, "itimer-values"))
		return test_itimer_values();
	if (!strcmp(what, "segv"))
		return test_segv();
	if (!strcmp(what, "segv-default"))
		return *(volatile int *)0;
	if (!strcmp(what, "thread"))
		return test_thread();
	return 100;
}
