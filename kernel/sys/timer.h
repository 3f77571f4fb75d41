/* Deadlines that the timers' kernel thread (timer.c) serves besides its POSIX timers and
 * ITIMER_REAL: timerfd's (timerfd.c). Private to kernel/sys. */
#ifndef KERNEL_SYS_TIMER_H
#define KERNEL_SYS_TIMER_H

#include <stdint.h>

struct timer_entry {
	uint64_t deadline_ns; /* monotonic; 0: disarmed */
	uint64_t interval_ns;
	/* Called with timer.c's lock held, so it must neither block nor call back into timer.c:
	 * with the expirations since the last call (>= 1) once the deadline has passed, and with 0
	 * when the entry is set again (the count starts over). */
	void (*fire)(struct timer_entry *e, uint64_t runs);
	struct timer_entry *next, **pprev; /* pprev NULL: not listed */
};

/* Sets e's deadline (monotonic, 0 disarms it) and interval, listing e if it was not; what was
 * left before and the interval into *old_left and *old_interval. 0, or -errno when the kernel
 * thread could not be made. */
int timer_entry_set(struct timer_entry *e, uint64_t deadline_ns, uint64_t interval_ns,
                    uint64_t *old_left, uint64_t *old_interval);

/* What is left of e (a deadline about to pass still reads as 1 ns) and its interval. */
void timer_entry_get(const struct timer_entry *e, uint64_t *left, uint64_t *interval);

/* Takes e off the list: fire is not called again once this returns. */
void timer_entry_remove(struct timer_entry *e);

/* A struct itimerspec the program gave at user, in ns (a time past 2^62 ns is that, as Linux
 * clamps it): 0, -EFAULT or -EINVAL. */
int timer_spec_in(uint64_t user, uint64_t *value_ns, uint64_t *interval_ns);

/* Writes a struct itimerspec of what is left and the interval to user: 0 or -EFAULT. */
int timer_spec_out(uint64_t user, uint64_t left_ns, uint64_t interval_ns);

#endif
