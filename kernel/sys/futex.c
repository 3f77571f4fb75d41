/* Futexes: threads waiting on a 32-bit word, in a hash table of wait lists keyed by address, each
 * bucket with its own lock. All threads share one address space, so private and shared futexes
 * are the same. Waits may have timeouts (relative, or absolute with WAIT_BITSET). */
#include "syscall.h"
#include "signal.h"

#include <kernel/sched.h>
#include <toro/abi/linux.h>

#define FUTEX_BUCKETS    64
#define FUTEX_BITSET_ANY 0xffffffffu

struct futex_waiter {
	struct futex_waiter *next;
	uint64_t addr;
	uint32_t bitset;
	struct thread *thread;
	int woken;
};

struct futex_bucket {
	struct spinlock lock;
	struct futex_waiter *head;
};

static struct futex_bucket buckets[FUTEX_BUCKETS];

static struct futex_bucket *bucket_of(uint64_t addr)
{
	return &buckets[(addr >> 2) * 0x9e3779b97f4a7c15ull >> 58];
}

static void waiter_unlink(struct futex_bucket *b, struct futex_waiter *w)
{
	for (struct futex_waiter **link = &b->head; *link; link = &(*link)->next) {
		if (*link == w) {
			*link = w->next;
			return;
		}
	}
}

static long futex_wait(uint64_t addr, uint32_t val, uint64_t deadline, uint32_t bitset)
{
	uint32_t now;
	if (load_user_u32(addr, &now))
		return -LINUX_EFAULT;
	if (bitset == 0)
		return -LINUX_EINVAL;
	struct futex_bucket *b = bucket_of(addr);
	struct futex_waiter w = {.addr = addr, .bitset = bitset, .thread = thread_current()};
	spin_lock(&b->lock);
	if (load_user_u32(addr, &now) || now != val) {
		spin_unlock(&b->lock);
		return -LINUX_EAGAIN;
	}
	w.next = b->head;
	b->head = &w;
	sched_prepare_block(0);
	spin_unlock(&b->lock);
	signal_wait_begin();
	if (deadline)
		sched_block_until(deadline);
	else
		sched_block();
	int interrupted = signal_wait_end();
	spin_lock(&b->lock);
	int woken = w.woken;
	if (!woken)
		waiter_unlink(b, &w);
	spin_unlock(&b->lock);
	/* A signal ends the wait with EINTR, which musl's waits retry, as Linux's do after a
	 * handler (a spurious wake-up for the program, which futex users allow). */
	return woken ? 0 : interrupted ? -LINUX_EINTR : -LINUX_ETIMEDOUT;
}

/* Wakes up to n waiters on addr; with requeue_to, moves up to requeue more to that address. */
static long futex_wake_requeue(uint64_t addr, uint32_t bitset, long n, uint64_t requeue_to,
                               long requeue)
{
	struct futex_bucket *b = bucket_of(addr), *to = requeue_to ? bucket_of(requeue_to) : NULL;
	/* Lock buckets in address order so two requeues cannot deadlock. */
	struct futex_bucket *first = to && to < b ? to : b,
	                    *second = to && to != b ? (to < b ? b : to) : NULL;
	spin_lock(&first->lock);
	if (second)
		spin_lock(&second->lock);
	long woken = 0, moved = 0;
	struct futex_waiter **link = &b->head;
	while (*link) {
		struct futex_waiter *w = *link;
		if (w->addr != addr || !(w->bitset & bitset)) {
			link = &w->next;
			continue;
		}
		if (woken < n) {
			*link = w->next;
			w->woken = 1;
			sched_wake(w->thread);
			woken++;
		} else if (to && moved < requeue) {
			*link = w->next;
			w->addr = requeue_to;
			w->next = to->head;
			to->head = w;
			moved++;
		} else {
			break;
		}
	}
	if (second)
		spin_unlock(&second->lock);
	spin_unlock(&first->lock);
	return woken + moved;
}

long futex_wake_address(uint64_t addr, long n)
{
	return futex_wake_requeue(addr, FUTEX_BITSET_ANY, n, 0, 0);
}

long sys_futex(const struct syscall_args *a)
{
	uint64_t addr = a->arg[0], val = a->arg[2], timeout = a->arg[3], addr2 = a->arg[4];
	uint32_t val3 = (uint32_t)a->arg[5];
	int op = (int)a->arg[1] & ~(LINUX_FUTEX_PRIVATE_FLAG | LINUX_FUTEX_CLOCK_REALTIME);
	int realtime = (a->arg[1] & LINUX_FUTEX_CLOCK_REALTIME) != 0;
	uint64_t deadline;
	long err;
	switch (op) {
	case LINUX_FUTEX_WAIT:
		if ((err = sys_timeout_deadline(timeout, 0, 0, &deadline, NULL)))
			return err;
		return futex_wait(addr, (uint32_t)val, deadline, FUTEX_BITSET_ANY);
	case LINUX_FUTEX_WAIT_BITSET:
		if ((err = sys_timeout_deadline(timeout, 1, realtime, &deadline, NULL)))
			return err;
		return futex_wait(addr, (uint32_t)val, deadline, val3);
	case LINUX_FUTEX_WAKE:
		return futex_wake_requeue(addr, FUTEX_BITSET_ANY, (long)(uint32_t)val, 0, 0);
	case LINUX_FUTEX_WAKE_BITSET:
		return futex_wake_requeue(addr, val3, (long)(uint32_t)val, 0, 0);
	case LINUX_FUTEX_CMP_REQUEUE: {
		uint32_t now;
		if (load_user_u32(addr, &now))
			return -LINUX_EFAULT;
		if (now != val3)
			return -LINUX_EAGAIN;
	}
		/* fall through */
	case LINUX_FUTEX_REQUEUE:
		if (!sys_range_ok(addr2, sizeof(uint32_t)))
			return -LINUX_EFAULT;
		return futex_wake_requeue(addr, FUTEX_BITSET_ANY, (long)(uint32_t)val, addr2,
		                          (long)(uint32_t)timeout);
	default:
		return -LINUX_ENOSYS;
	}
}
