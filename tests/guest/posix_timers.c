/* POSIX timers (the `timer` system-call group): SIGEV_SIGNAL one-shot and periodic timers with a
 * SA_SIGINFO handler (si_code SI_TIMER, si_value), timer_gettime, timer_delete stopping delivery,
 * overruns counted while the signal is blocked, musl's SIGEV_THREAD callbacks, bad arguments. */
// BUILD:
// CASE: oneshot | -- oneshot | 0 | ^oneshot: 1 hit, SI_TIMER, value 77, disarmed$
// CASE: periodic | -- periodic | 0 | ^periodic: at least 3 hits, stopped after delete$
// CASE: gettime | -- gettime | 0 | ^gettime: left in \(0, 5 s\], interval 1 s$
// CASE: overrun | -- overrun | 0 | ^overrun: 1 signal, overrun >= 3$
// CASE: thread | -- thread | 0 | ^thread: callback ran 3 times with 5$
// CASE: bad | -- bad | 0 | ^bad: EINVAL EINVAL EINVAL EINVAL EINVAL EAGAIN$
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t hits, last_code, last_value, last_overrun;

static void on_timer(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)uc;
	hits++;
	last_code = info->si_code;
	last_value = info->si_value.sival_int;
	last_overrun = info->si_overrun;
}

static void handle(int sig)
{
	struct sigaction sa = {.sa_sigaction = on_timer, .sa_flags = SA_SIGINFO};
	sigaction(sig, &sa, NULL);
}

static timer_t make(int clock, int sig, int value)
{
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = sig};
	ev.sigev_value.sival_int = value;
	timer_t id;
	if (timer_create(clock, &ev, &id) != 0) {
		printf("timer_create: %s\n", strerror(errno));
		return (timer_t)-1;
	}
	return id;
}

static void arm(timer_t id, long value_ns, long interval_ns)
{
	struct itimerspec its = {
	    .it_value = {value_ns / 1000000000, value_ns % 1000000000},
	    .it_interval = {interval_ns / 1000000000, interval_ns % 1000000000},
	};
	if (timer_settime(id, 0, &its, NULL) != 0)
		printf("timer_settime: %s\n", strerror(errno));
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, ms % 1000 * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int test_oneshot(void)
{
	handle(SIGUSR1);
	timer_t id = make(CLOCK_MONOTONIC, SIGUSR1, 77);
	arm(id, 20000000, 0);
	sleep_ms(200);
	struct itimerspec cur;
	timer_gettime(id, &cur);
	int disarmed = cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0;
	printf("oneshot: %d hit, %s, value %d, %s\n", (int)hits,
	       last_code == SI_TIMER ? "SI_TIMER" : "not SI_TIMER", (int)last_value,
	       disarmed ? "disarmed" : "still armed");
	return 0;
}

static int test_periodic(void)
{
	handle(SIGALRM);
	timer_t id = make(CLOCK_REALTIME, SIGALRM, 1);
	arm(id, 10000000, 10000000);
	while (hits < 3)
		pause();
	timer_delete(id);
	int at_delete = hits;
	sleep_ms(100);
	printf("periodic: %s 3 hits, %s\n", at_delete >= 3 ? "at least" : "fewer than",
	       hits == at_delete ? "stopped after delete" : "still firing after delete");
	return 0;
}

static int test_gettime(void)
{
	struct sigevent ev = {.sigev_notify = SIGEV_NONE};
	timer_t id;
	if (timer_create(CLOCK_BOOTTIME, &ev, &id) != 0)
		return 1;
	struct timespec now;
	clock_gettime(CLOCK_BOOTTIME, &now);
	struct itimerspec its = {.it_value = {now.tv_sec + 5, now.tv_nsec}, .it_interval = {1, 0}};
	if (timer_settime(id, TIMER_ABSTIME, &its, NULL) != 0)
		return 2;
	struct itimerspec cur;
	timer_gettime(id, &cur);
	long long left = cur.it_value.tv_sec * 1000000000LL + cur.it_value.tv_nsec;
	printf("gettime: left %s, interval %d s\n",
	       left > 0 && left <= 5000000000LL ? "in (0, 5 s]" : "wrong",
	       (int)cur.it_interval.tv_sec);
	return 0;
}

static int test_overrun(void)
{
	handle(SIGUSR2);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	timer_t id = make(CLOCK_MONOTONIC, SIGUSR2, 0);
	arm(id, 5000000, 5000000);
	sleep_ms(100);
	arm(id, 0, 0); /* disarmed: the signal already sent stays pending */
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	int over = timer_getoverrun(id);
	timer_delete(id);
	printf("overrun: %d signal, overrun %s\n", (int)hits,
	       last_overrun >= 3 && over == last_overrun ? ">= 3" : "wrong");
	return 0;
}

static volatile int calls, seen;

static void callback(union sigval v)
{
	seen = v.sival_int;
	calls++;
}

static int test_thread(void)
{
	struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = callback};
	ev.sigev_value.sival_int = 5;
	timer_t id;
	if (timer_create(CLOCK_MONOTONIC, &ev, &id) != 0) {
		printf("timer_create: %s\n", strerror(errno));
		return 1;
	}
	arm(id, 10000000, 10000000);
	for (int i = 0; i < 300 && calls < 3; i++)
		sleep_ms(10);
	timer_delete(id);
	printf("thread: callback ran %d times with %d\n", calls >= 3 ? 3 : calls, seen);
	return 0;
}

static const char *err_name(int rc)
{
	return rc == 0 ? "ok" : errno == EINVAL ? "EINVAL" : errno == EAGAIN ? "EAGAIN" : "other";
}

static int test_bad(void)
{
	timer_t id;
	struct sigevent ev = {.sigev_notify = SIGEV_NONE};
	const char *clock = err_name(timer_create(CLOCK_PROCESS_CPUTIME_ID + 100, &ev, &id));
	struct sigevent bad_sig = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = 99};
	const char *sig = err_name(timer_create(CLOCK_MONOTONIC, &bad_sig, &id));
	struct itimerspec its = {.it_value = {1, 0}};
	const char *bad_id = err_name(timer_settime((timer_t)(long)12345, 0, &its, NULL));
	const char *bad_get = err_name(timer_gettime((timer_t)(long)31, &its));
	if (timer_create(CLOCK_MONOTONIC, &ev, &id) != 0)
		return 1;
	struct itimerspec bad_ns = {.it_value = {0, 1000000000}};
	const char *ns = err_name(timer_settime(id, 0, &bad_ns, NULL));
	int made = 1;
	timer_t more;
	while (timer_create(CLOCK_MONOTONIC, &ev, &more) == 0 && made < 1000)
		made++;
	const char *full = made == 32 ? err_name(-1) : "not bounded at 32";
	printf("bad: %s %s %s %s %s %s\n", clock, sig, bad_id, bad_get, ns, full);
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "oneshot"))
		return test_oneshot();
	if (!strcmp(what, "periodic"))
		return test_periodic();
	if (!strcmp(what, "gettime"))
		return test_gettime();
	if (!strcmp(what, "overrun"))
		return test_overrun();
	if (!strcmp(what, "thread"))
		return test_thread();
	if (!strcmp(what, "bad"))
		return test_bad();
	printf("unknown test %s\n", what);
	return 2;
}
