/* Inter-core channels: one ring (kernel/ipc/chan_ring.c) per ordered pair of cores, made by the
 * sending core on its first message, and blocking on the scheduler's wait queues for a full
 * ring (the sender) or an empty one (the receiver).
 *
 * One producer and one consumer per ring without a lock: only threads of the source core put
 * into a ring and only threads of the destination core take from it. Scheduling is cooperative,
 * chan_ring_put and chan_ring_get never block or yield, and no interrupt handler sends or
 * receives, so on one core at most one thread is ever inside the ring code of a given ring.
 * A thread blocks only between attempts, with nothing half-written; a thread never changes
 * core by itself, so it is still the same ring's producer when it wakes.
 *
 * Waking: a side about to block says so in a waiting flag, then looks at the ring once more;
 * the other side changes the ring, then looks at the flag. Sequentially consistent fences
 * between the store and the load on both sides make at least one of them see the other (the
 * classic store-buffer case), so a wake is never lost; and a side that sees no flag does not
 * touch the wait queue at all, so a busy receiver is never interrupted: the IPI (in
 * sched_wake) goes only to a core whose thread sleeps in chan_recv. */
#include <kernel/cpu.h>
#include <kernel/ipc.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <toro/abi/linux.h>

#include "chan_ring.h"

/* Each ring: 256 descriptors and 128 KiB of data, room for two messages of the largest size
 * (so a sender can fill one while the receiver empties the other) or 256 small ones. Made
 * only for the pairs that talk: 34 pages each. */
#define CHAN_ENTRIES    256
#define CHAN_DATA_BYTES (2 * CHAN_MSG_MAX)
#define CHAN_DESC_PAGE  1 /* the struct chan is page 0, the descriptors page 1, data after */
#define CHAN_DATA_PAGE  2
#define CHAN_PAGES      (CHAN_DATA_PAGE + CHAN_DATA_BYTES / PAGE_SIZE)

_Static_assert(sizeof(struct virtq_desc) * CHAN_ENTRIES <= PAGE_SIZE, "descriptors fit a page");

struct chan {
	struct chan_ring ring;
	struct wait_queue senders; /* threads of the source core waiting for room */
	int senders_waiting;
};

_Static_assert(sizeof(struct chan) <= PAGE_SIZE, "struct chan fits its page");

/* What a destination core receives through. */
struct chan_port {
	struct chan *from[CPU_MAX];  /* by source core; set once, by that core */
	struct wait_queue receivers; /* this core's threads waiting for a message */
	int receivers_waiting;
	unsigned next_source; /* where chan_recv(CHAN_ANY) looks first */
};

static struct chan_port ports[CPU_MAX];

/* The ring from core src to port's core, made on first use (by src only, so never twice). */
static struct chan *chan_to(struct chan_port *port, unsigned src)
{
	struct chan *ch = __atomic_load_n(&port->from[src], __ATOMIC_ACQUIRE);
	if (ch)
		return ch;
	uint8_t *pages = mm_pages_zalloc(CHAN_PAGES);
	if (!pages)
		return NULL;
	ch = (struct chan *)pages;
	chan_ring_init(&ch->ring, (struct virtq_desc *)(pages + CHAN_DESC_PAGE * PAGE_SIZE),
	               CHAN_ENTRIES, pages + CHAN_DATA_PAGE * PAGE_SIZE, CHAN_DATA_BYTES);
	wait_queue_init(&ch->senders);
	__atomic_store_n(&port->from[src], ch, __ATOMIC_RELEASE);
	return ch;
}

/* The waker's half of the handshake in the header comment: the ring changed; wakes whoever
 * said it waits for that. */
static void wake_waiters(int *waiting, struct wait_queue *wq)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(waiting, __ATOMIC_RELAXED))
		return;
	/* Cleared before the wake: a thread that registers after this finds the flag set again
	 * for the next waker, and one that registered before is in wq, which wake_all empties. */
	__atomic_store_n(waiting, 0, __ATOMIC_RELAXED);
	wait_queue_wake_all(wq);
}

/* The sleeper's half: blocks unless ready(arg) holds once the flag is up. Returns after a wake
 * (or at once); the caller tries again. */
static void wait_unless(int *waiting, struct wait_queue *wq, int (*ready)(void *, size_t),
                        void *arg, size_t n)
{
	wait_queue_lock(wq);
	__atomic_store_n(waiting, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (ready(arg, n)) {
		wait_queue_unlock(wq);
		return;
	}
	wait_queue_sleep(wq);
}

static int ring_has_room(void *ch, size_t len)
{
	return chan_ring_has_room(&((struct chan *)ch)->ring, len);
}

int chan_send(unsigned dst, const void *buf, size_t len, int flags)
{
	if (!cpu_online(dst) || (!buf && len))
		return -LINUX_EINVAL;
	if (len > CHAN_MSG_MAX)
		return -LINUX_EMSGSIZE;
	struct chan_port *port = &ports[dst];
	struct chan *ch = chan_to(port, this_cpu()->id);
	if (!ch)
		return -LINUX_ENOMEM;
	for (;;) {
		int r = chan_ring_put(&ch->ring, buf, len);
		if (r == 0) {
			wake_waiters(&port->receivers_waiting, &port->receivers);
			return 0;
		}
		if (r != -LINUX_EAGAIN || (flags & CHAN_NONBLOCK))
			return r;
		wait_unless(&ch->senders_waiting, &ch->senders, ring_has_room, ch, len);
	}
}

static long recv_from(struct chan_port *port, unsigned src, unsigned *from, void *buf, size_t cap)
{
	struct chan *ch = __atomic_load_n(&port->from[src], __ATOMIC_ACQUIRE);
	if (!ch)
		return -LINUX_EAGAIN;
	long r = chan_ring_get(&ch->ring, buf, cap);
	if (r == -LINUX_EAGAIN)
		return r;
	if (from)
		*from = src;
	if (r >= 0)
		wake_waiters(&ch->senders_waiting, &ch->senders);
	return r;
}

/* From any core: the sources are tried in turn, starting after the last one served. */
static long recv_any(struct chan_port *port, unsigned *from, void *buf, size_t cap)
{
	unsigned n = cpu_count;
	for (unsigned i = 0; i < n; i++) {
		unsigned src = (port->next_source + i) % n;
		long r = recv_from(port, src, from, buf, cap);
		if (r == -LINUX_EAGAIN)
			continue;
		port->next_source = src + 1;
		return r;
	}
	return -LINUX_EAGAIN;
}

static int message_waiting(struct chan_port *port, int src)
{
	unsigned first = src == CHAN_ANY ? 0 : (unsigned)src;
	unsigned end = src == CHAN_ANY ? cpu_count : first + 1;
	for (unsigned s = first; s < end; s++) {
		struct chan *ch = __atomic_load_n(&port->from[s], __ATOMIC_ACQUIRE);
		if (ch && !chan_ring_empty(&ch->ring))
			return 1;
	}
	return 0;
}

static int port_has_message(void *port, size_t src)
{
	return message_waiting(port, (int)src);
}

long chan_recv(int src, unsigned *from, void *buf, size_t cap, int flags)
{
	if (src != CHAN_ANY && !cpu_online((unsigned)src))
		return -LINUX_EINVAL;
	if (!buf && cap)
		return -LINUX_EINVAL;
	struct chan_port *port = &ports[this_cpu()->id];
	for (;;) {
		long r = src == CHAN_ANY ? recv_any(port, from, buf, cap)
		                         : recv_from(port, (unsigned)src, from, buf, cap);
		if (r != -LINUX_EAGAIN || (flags & CHAN_NONBLOCK))
			return r;
		wait_unless(&port->receivers_waiting, &port->receivers, port_has_message, port,
		            (size_t)src);
	}
}
