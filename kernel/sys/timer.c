/* Timers (the `timer` group): POSIX per-process timers (timer_create and the rest), a fixed table
 * of TIMER_MAX on the realtime, monotonic or boot-time clock, each raising a signal for the
 * process (SIGEV_SIGNAL), for one thread (SIGEV_THREAD_ID, which musl's SIGEV_THREAD uses with a
 * helper thread in sigwaitinfo), or nothing (SIGEV_NONE); and ITIMER_REAL (setitimer, getitimer,
 * alarm), one more entry past them. A kernel thread on the last core sleeps to the nearest
 * deadline. A POSIX timer's signal carries SI_TIMER, its id, value and the expirations missed
 * while it was pending (signal_timer_info); ITIMER_REAL's is Linux's: an ordinary SIGALRM from
 * the kernel at every expiration, which merges with one still pending. The same thread serves
 * the timer entries of timer.h (timerfd). */
#include "timer.h"

#include "signal.h"
#include "syscall_groups.h"

#include <kernel/kernel.h>
#include <kernel/spinlock.h>
#include <kernel/string.h>
#include <kernel/time.h>
#include <toro/abi/linux.h>

#define TIMER_MAX       32
#define ITIMER_REAL     0
#define SIGEV_SIGNAL    0
#define SIGEV_NONE      1
#define SIGEV_THREAD_ID 4
#define TIMER_ABSTIME   1
#define OVERRUN_MAX     0x7fffffff /* Linux's DELAYTIMER_MAX */

/* Linux's struct sigevent (64 bytes). */
struct linux_sigevent {
	uint64_t value;
	int32_t signo, notify;
	int32_t tid; /* SIGEV_THREAD_ID */
	int32_t pad[11];
};

struct linux_itimerspec {
	struct linux_timespec it_interval, it_value;
};

struct linux_itimerval {
	struct linux_timeval it_interval, it_value;
};

static struct posix_timer {
	int used;
	int realtime; /* CLOCK_REALTIME: an absolute time is on the realtime clock */
	int signo, notify;
	uint64_t tid; /* SIGEV_THREAD_ID's thread, else 0 (the process) */
	uint64_t value;
	uint64_t deadline_ns; /* monotonic; 0: disarmed */
	uint64_t interval_ns;
	int pending;          /* its signal is sent and not yet taken */
	int overrun;          /* expirations since, while pending */
	int overrun_last;     /* of the last signal taken: timer_getoverrun */
} timers[TIMER_MAX + 1];

/* ITIMER_REAL's entry, past the ids timer_create gives. */
#define ITIMER (&timers[TIMER_MAX])

/* Guards timers and entries. Taken inside the signal lock (signal_timer_info), never around it. */
static struct spinlock timer_lock;
static struct timer_entry *entries;
static struct thread *timer_thread; /* runs timer_main, made on first use */
static int timer_starting;

static int add_overrun(int overrun, uint64_t more)
{
	uint64_t sum = (uint64_t)overrun + more;
	return sum > OVERRUN_MAX ? OVERRUN_MAX : (int)sum;
}

/* Moves deadline *d, which now has reached, past now by whole intervals (to 0 without one), and
 * returns how many expirations that is. */
static uint64_t advance(uint64_t *d, uint64_t interval, uint64_t now)
{
	uint64_t runs = 1;
	if (interval) {
		runs += (now - *d) / interval;
		*d += runs * interval;
	} else {
		*d = 0;
	}
	return runs;
}

static void nearer(uint64_t d, uint64_t *nearest)
{
	if (d && (!*nearest || d < *nearest))
		*nearest = d;
}

/* Expires the timers and entries due at now (timer_lock held): notes in send the timers whose
 * signal is to go out, fires the entries, and returns the nearest deadline left (0: none). */
static uint64_t expire(uint64_t now, int *send, int *count)
{
	uint64_t nearest = 0;
	for (int i = 0; i <= TIMER_MAX; i++) {
		struct posix_timer *pt = &timers[i];
		uint64_t d = pt->deadline_ns;
		if (!pt->used || !d)
			continue;
		if (now >= d) {
			uint64_t runs = advance(&d, pt->interval_ns, now);
			pt->deadline_ns = d;
			if (pt == ITIMER) {
				send[(*count)++] = i;
			} else if (pt->notify != SIGEV_NONE) {
				if (pt->pending) {
					pt->overrun = add_overrun(pt->overrun, runs);
				} else {
					pt->pending = 1;
					pt->overrun = add_overrun(0, runs - 1);
					send[(*count)++] = i;
				}
			}
		}
		nearer(d, &nearest);
	}
	for (struct timer_entry *e = entries; e; e = e->next) {
		uint64_t d = e->deadline_ns;
		if (d && now >= d) {
			uint64_t runs = advance(&d, e->interval_ns, now);
			e->deadline_ns = d;
			e->fire(e, runs);
		}
		nearer(d, &nearest);
	}
	return nearest;
}

static void *timer_main(void *arg)
{
	(void)arg;
	int send[TIMER_MAX + 1];
	for (;;) {
		/* Armed before reading the deadlines: a change made after the read wakes us. */
		sched_prepare_block(0);
		int count = 0;
		spin_lock(&timer_lock);
		uint64_t nearest = expire(time_monotonic_ns(), send, &count);
		spin_unlock(&timer_lock);
		for (int k = 0; k < count; k++) {
			struct posix_timer *pt = &timers[send[k]];
			if (!signal_send_kernel(pt->tid, pt->signo) && pt != ITIMER) {
				spin_lock(&timer_lock); /* ignored, or its thread is gone */
				pt->pending = 0;
				spin_unlock(&timer_lock);
			}
		}
		if (nearest)
			sched_block_until(nearest);
		else
			sched_block();
	}
	return NULL;
}

void signal_timer_info(struct linux_siginfo *info)
{
	uint64_t tid = (uint64_t)thread_current()->tid;
	int own = info->si_code == SI_TKILL;
	spin_lock(&timer_lock);
	for (int i = 0; i < TIMER_MAX; i++) {
		struct posix_timer *pt = &timers[i];
		if (!pt->used || !pt->pending || pt->signo != info->si_signo ||
		    (pt->tid ? !own || pt->tid != tid : own))
			continue;
		pt->pending = 0;
		pt->overrun_last = pt->overrun;
		pt->overrun = 0;
		memzero(&info->u, sizeof(info->u));
		info->si_code = SI_TIMER;
		info->u.timer.tid = i;
		info->u.timer.overrun = pt->overrun_last;
		info->u.timer.value = pt->value;
		break;
	}
	spin_unlock(&timer_lock);
}

/* After a deadline changed (timer_lock held): the thread looks again. */
static void timer_changed(void)
{
	struct thread *t = timer_thread;
	if (t)
		sched_wake(t);
}

int timer_kernel_thread(const struct thread *t)
{
	return t == __atomic_load_n(&timer_thread, __ATOMIC_ACQUIRE);
}

/* The kernel thread runs on the last core, so that it can fire while the first is busy (the
 * signal then waits for that thread's next system call). */
static int timer_start(void)
{
	if (__atomic_exchange_n(&timer_starting, 1, __ATOMIC_ACQ_REL))
		return 0;
	int err = 0;
	struct thread *t = thread_create(cpu_count - 1, timer_main, NULL, 0, &err);
	if (!t) {
		__atomic_store_n(&timer_starting, 0, __ATOMIC_RELEASE);
		return err;
	}
	__atomic_store_n(&timer_thread, t, __ATOMIC_RELEASE);
	return 0;
}

long sys_timer_create(const struct syscall_args *a)
{
	uint64_t clock = a->arg[0];
	if (clock != LINUX_CLOCK_REALTIME && clock != LINUX_CLOCK_MONOTONIC &&
	    clock != LINUX_CLOCK_BOOTTIME)
		return -LINUX_EINVAL;
	struct linux_sigevent ev = {.signo = LINUX_SIGALRM, .notify = SIGEV_SIGNAL};
	int given = a->arg[1] != 0;
	if (given && copy_from_user(&ev, a->arg[1], sizeof(ev)))
		return -LINUX_EFAULT;
	if (ev.notify != SIGEV_SIGNAL && ev.notify != SIGEV_NONE && ev.notify != SIGEV_THREAD_ID)
		return -LINUX_EINVAL;
	if (ev.notify != SIGEV_NONE && (ev.signo < 1 || ev.signo > LINUX_NSIG))
		return -LINUX_EINVAL;
	if (ev.notify == SIGEV_THREAD_ID && (ev.tid <= 0 || !signal_thread_exists((uint64_t)ev.tid)))
		return -LINUX_EINVAL;
	spin_lock(&timer_lock);
	int id = 0;
	while (id < TIMER_MAX && timers[id].used)
		id++;
	if (id == TIMER_MAX) {
		spin_unlock(&timer_lock);
		return -LINUX_EAGAIN;
	}
	struct posix_timer *pt = &timers[id];
	memzero(pt, sizeof(*pt));
	pt->used = 1;
	pt->realtime = clock == LINUX_CLOCK_REALTIME;
	pt->signo = ev.signo;
	pt->notify = ev.notify;
	pt->tid = ev.notify == SIGEV_THREAD_ID ? (uint64_t)ev.tid : 0;
	pt->value = given ? ev.value : (uint64_t)id; /* Linux's default si_value: the id */
	spin_unlock(&timer_lock);
	int32_t uid = id;
	if (copy_to_user(a->arg[2], &uid, sizeof(uid))) {
		spin_lock(&timer_lock);
		pt->used = 0;
		spin_unlock(&timer_lock);
		return -LINUX_EFAULT;
	}
	return 0;
}

/* The timer id names (timer_lock held), or NULL. */
static struct posix_timer *timer_get(uint64_t id)
{
	return id < TIMER_MAX && timers[id].used ? &timers[id] : NULL;
}

/* As Linux does, a time past what the clock can hold (here 2^62 ns, 146 years) is that. */
static uint64_t clamped_ns(int64_t sec, uint64_t sub_ns)
{
	uint64_t limit = 1ull << 62;
	return (uint64_t)sec >= limit / NSEC_PER_SEC ? limit
	                                             : (uint64_t)sec * NSEC_PER_SEC + sub_ns;
}

int timer_spec_in(uint64_t user, uint64_t *value_ns, uint64_t *interval_ns)
{
	struct linux_itimerspec its;
	if (copy_from_user(&its, user, sizeof(its)))
		return -LINUX_EFAULT;
	const struct linux_timespec *ts[2] = {&its.it_value, &its.it_interval};
	uint64_t *ns[2] = {value_ns, interval_ns};
	for (int i = 0; i < 2; i++) {
		if (ts[i]->tv_sec < 0 || ts[i]->tv_nsec < 0 ||
		    ts[i]->tv_nsec >= (int64_t)NSEC_PER_SEC)
			return -LINUX_EINVAL;
		*ns[i] = clamped_ns(ts[i]->tv_sec, (uint64_t)ts[i]->tv_nsec);
	}
	return 0;
}

int timer_spec_out(uint64_t user, uint64_t left_ns, uint64_t interval_ns)
{
	struct linux_itimerspec its = {
	    {(int64_t)(interval_ns / NSEC_PER_SEC), (int64_t)(interval_ns % NSEC_PER_SEC)},
	    {(int64_t)(left_ns / NSEC_PER_SEC), (int64_t)(left_ns % NSEC_PER_SEC)}};
	return copy_to_user(user, &its, sizeof(its)) ? -LINUX_EFAULT : 0;
}

/* What is left until deadline d in ns; a timer about to fire still reads as running. */
static uint64_t deadline_left(uint64_t d)
{
	uint64_t now = time_monotonic_ns();
	return d > now ? d - now : d ? 1 : 0;
}

long sys_timer_settime(const struct syscall_args *a)
{
	uint64_t value_ns, interval_ns, old_left, old_interval;
	if (a->arg[1] & ~(uint64_t)TIMER_ABSTIME)
		return -LINUX_EINVAL;
	int err = timer_spec_in(a->arg[2], &value_ns, &interval_ns);
	if (!err && value_ns)
		err = timer_start();
	if (err)
		return err;
	spin_lock(&timer_lock);
	struct posix_timer *pt = timer_get(a->arg[0]);
	if (!pt) {
		spin_unlock(&timer_lock);
		return -LINUX_EINVAL;
	}
	old_left = deadline_left(pt->deadline_ns);
	old_interval = pt->interval_ns;
	pt->deadline_ns = value_ns ? sys_deadline(value_ns, a->arg[1] & TIMER_ABSTIME, pt->realtime)
	                           : 0;
	pt->interval_ns = value_ns ? interval_ns : 0; /* a pending signal keeps its overruns */
	timer_changed();
	spin_unlock(&timer_lock);
	return a->arg[3] ? timer_spec_out(a->arg[3], old_left, old_interval) : 0;
}

long sys_timer_gettime(const struct syscall_args *a)
{
	uint64_t left = 0, interval = 0;
	spin_lock(&timer_lock);
	struct posix_timer *pt = timer_get(a->arg[0]);
	if (pt) {
		left = deadline_left(pt->deadline_ns);
		interval = pt->interval_ns;
	}
	spin_unlock(&timer_lock);
	return pt ? timer_spec_out(a->arg[1], left, interval) : -LINUX_EINVAL;
}

long sys_timer_getoverrun(const struct syscall_args *a)
{
	spin_lock(&timer_lock);
	struct posix_timer *pt = timer_get(a->arg[0]);
	long overrun = pt ? pt->overrun_last : -LINUX_EINVAL;
	spin_unlock(&timer_lock);
	return overrun;
}

/* A signal already sent stays pending, as an ordinary (SI_KERNEL) one. */
long sys_timer_delete(const struct syscall_args *a)
{
	spin_lock(&timer_lock);
	struct posix_timer *pt = timer_get(a->arg[0]);
	if (pt)
		pt->used = 0;
	spin_unlock(&timer_lock);
	return pt ? 0 : -LINUX_EINVAL;
}

/* --- ITIMER_REAL and alarm --- */

static uint64_t timeval_ns(const struct linux_timeval *tv)
{
	return clamped_ns(tv->tv_sec, (uint64_t)tv->tv_usec * NSEC_PER_USEC);
}

static int timeval_ok(const struct linux_timeval *tv)
{
	return tv->tv_sec >= 0 && tv->tv_usec >= 0 && (uint64_t)tv->tv_usec < USEC_PER_SEC;
}

static void ns_timeval(uint64_t ns, struct linux_timeval *tv)
{
	/* A timer about to fire still reads as running: at least one microsecond. */
	if (ns && ns < NSEC_PER_USEC)
		ns = NSEC_PER_USEC;
	tv->tv_sec = (int64_t)(ns / NSEC_PER_SEC);
	tv->tv_usec = (int64_t)(ns % NSEC_PER_SEC / NSEC_PER_USEC);
}

/* What is left of ITIMER_REAL (timer_lock held). */
static void itimer_read(struct linux_itimerval *cur)
{
	ns_timeval(deadline_left(ITIMER->deadline_ns), &cur->it_value);
	ns_timeval(ITIMER->interval_ns, &cur->it_interval);
}

static int itimer_set(const struct linux_itimerval *value, struct linux_itimerval *old)
{
	uint64_t value_ns = timeval_ns(&value->it_value);
	if (value_ns) {
		int err = timer_start();
		if (err)
			return err;
	}
	spin_lock(&timer_lock);
	itimer_read(old);
	ITIMER->used = 1;
	ITIMER->signo = LINUX_SIGALRM;
	ITIMER->deadline_ns = value_ns ? time_monotonic_ns() + value_ns : 0;
	ITIMER->interval_ns = value_ns ? timeval_ns(&value->it_interval) : 0;
	timer_changed();
	spin_unlock(&timer_lock);
	return 0;
}

/* ITIMER_REAL only: the virtual and profiling timers count CPU time, which nothing here
 * accounts per process. */
long sys_setitimer(const struct syscall_args *a)
{
	struct linux_itimerval value, old;
	if (a->arg[0] != ITIMER_REAL)
		return -LINUX_EINVAL;
	if (copy_from_user(&value, a->arg[1], sizeof(value)))
		return -LINUX_EFAULT;
	if (!timeval_ok(&value.it_value) || !timeval_ok(&value.it_interval))
		return -LINUX_EINVAL;
	int err = itimer_set(&value, &old);
	if (err)
		return err;
	if (a->arg[2] && copy_to_user(a->arg[2], &old, sizeof(old)))
		return -LINUX_EFAULT;
	return 0;
}

long sys_getitimer(const struct syscall_args *a)
{
	struct linux_itimerval cur;
	if (a->arg[0] != ITIMER_REAL)
		return -LINUX_EINVAL;
	spin_lock(&timer_lock);
	itimer_read(&cur);
	spin_unlock(&timer_lock);
	return copy_to_user(a->arg[1], &cur, sizeof(cur)) ? -LINUX_EFAULT : 0;
}

long sys_alarm(const struct syscall_args *a)
{
	struct linux_itimerval value = {.it_value = {.tv_sec = (int64_t)(uint32_t)a->arg[0]}}, old;
	int err = itimer_set(&value, &old);
	if (err)
		return err;
	/* Linux rounds what was left to the nearest second, and never to 0 while armed. */
	long left = (long)old.it_value.tv_sec + (old.it_value.tv_usec >= 500000);
	return left || !old.it_value.tv_usec ? left : 1;
}

/* --- Timer entries (timer.h) --- */

int timer_entry_set(struct timer_entry *e, uint64_t deadline_ns, uint64_t interval_ns,
                    uint64_t *old_left, uint64_t *old_interval)
{
	if (deadline_ns) {
		int err = timer_start();
		if (err)
			return err;
	}
	spin_lock(&timer_lock);
	*old_left = deadline_left(e->deadline_ns);
	*old_interval = e->interval_ns;
	e->fire(e, 0);
	e->deadline_ns = deadline_ns;
	e->interval_ns = deadline_ns ? interval_ns : 0;
	if (!e->pprev) {
		e->next = entries;
		if (entries)
			entries->pprev = &e->next;
		entries = e;
		e->pprev = &entries;
	}
	timer_changed();
	spin_unlock(&timer_lock);
	return 0;
}

void timer_entry_get(const struct timer_entry *e, uint64_t *left, uint64_t *interval)
{
	spin_lock(&timer_lock);
	*left = deadline_left(e->deadline_ns);
	*interval = e->interval_ns;
	spin_unlock(&timer_lock);
}

void timer_entry_remove(struct timer_entry *e)
{
	spin_lock(&timer_lock);
	if (e->pprev) {
		*e->pprev = e->next;
		if (e->next)
			e->next->pprev = e->pprev;
		e->pprev = NULL;
	}
	spin_unlock(&timer_lock);
}
