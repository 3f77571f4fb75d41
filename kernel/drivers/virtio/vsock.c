/* The virtio-vsock driver (virtio 1.2 §5.10): the transport under kernel/net's stream sockets
 * (kernel/net/net.h). It moves packets and nothing else; the protocol is kernel/net's. Linked
 * only into images that use sockets (kernel/net refers to it), so only they claim the device.
 *
 * Interrupt-driven. The IRQ handler (core 0, interrupts off) only collects: received buffers onto
 * a list for the worker, transport-reset events as a flag, and sent buffers back to the free
 * slots when a sender waits for one. Otherwise the transmit queue raises no interrupts: senders
 * collect the slots the device has sent before taking one (tx_reclaim). The worker, a kernel thread
 * on core 0, does everything that may send or allocate: it hands received packets to kernel/net
 * (which may answer), reposts receive buffers in batches, runs kernel/net's timers and handles the
 * reset. Senders copy their payload into a free transmit slot and post it themselves, from any
 * core. */
#include <kernel/arch.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>
#include <kernel/string.h>
#include <kernel/time.h>
#include <kernel/vsock_poll.h>
#include <toro/abi/linux.h>
#include <toro/memory.h>

#include "../../net/net.h"
#include "virtio.h"

/* Queue sizes in descriptors. Each receive buffer and each transmit slot is a chain of two (the
 * header, then the payload), so half as many are in flight. */
#define VSOCK_RX_QUEUE_MAX    256
#define VSOCK_TX_QUEUE_MAX    256
#define VSOCK_EVENT_QUEUE_MAX 4
/* Receive buffers are reposted once this many are missing (a fraction of those in flight), so
 * the device is notified once per batch rather than once per packet. */
#define VSOCK_RX_REFILL_DIVISOR 4
/* How soon the worker tries again to post receive buffers when memory ran out. */
#define VSOCK_RX_RETRY_NS 10000000ull
/* Packets given back are kept for reuse, up to this many; beyond, they go back to the heap. */
#define VSOCK_FREE_PACKETS_MAX 512

struct vsock_tx_slot {
	struct virtio_vsock_hdr hdr;
	struct vsock_tx_slot *next;
	uint8_t *payload; /* VSOCK_PACKET_PAYLOAD bytes */
};

static struct {
	struct virtio_device *dev;
	struct virtq rx, tx, event;
	/* Guards the three queues and everything below. Taken with interrupts off, as the IRQ
	 * handler takes it too (on core 0; a holder on another core lets go quickly). */
	struct spinlock lock;
	int live;
	uint64_t cid;
	unsigned rx_posted, rx_target;
	struct vsock_packet *done_head, *done_tail; /* received, not yet taken by the worker */
	struct vsock_packet *free_packets;
	unsigned free_count;
	struct vsock_tx_slot *tx_free;
	struct vsock_waiter *tx_waiters;
	int reset_pending, timer_kick, broken;
	int poll_wake; /* the stub's polling collected work for the worker or freed slots */
	struct thread *worker;
	struct virtio_vsock_event events[VSOCK_EVENT_QUEUE_MAX];
} vsd;

static uint64_t vsd_lock(void)
{
	uint64_t flags = arch_irq_save();
	spin_lock(&vsd.lock);
	return flags;
}

static void vsd_unlock(uint64_t flags)
{
	spin_unlock(&vsd.lock);
	arch_irq_restore(flags);
}

static void vsd_kick(struct virtq *vq)
{
	if (virtq_kick_prepare(vq))
		virtio_mmio_notify(vsd.dev, vq);
}

/* §5.10.4: guest_cid, read again whenever the transport is reset. The generation counter makes
 * the two halves one consistent read (§4.2.2). */
static uint64_t config_cid(void)
{
	volatile uint32_t *gen = (volatile uint32_t *)(vsd.dev->base + VIRTIO_MMIO_CONFIG_GENERATION);
	volatile uint32_t *cfg = (volatile uint32_t *)(vsd.dev->base + VIRTIO_MMIO_CONFIG);
	uint32_t g, lo, hi;
	do {
		g = *gen;
		lo = cfg[0];
		hi = cfg[1];
	} while (g != *gen);
	return (uint64_t)hi << 32 | lo;
}

uint64_t vsock_transport_cid(void)
{
	return __atomic_load_n(&vsd.live, __ATOMIC_ACQUIRE) ? vsd.cid : 0;
}

static void event_post(struct virtio_vsock_event *ev)
{
	struct virtq_buf buf = {(uint64_t)(uintptr_t)ev, sizeof(*ev)};
	virtq_add(&vsd.event, &buf, 0, 1, ev);
}

/* Takes the transmit slots the device has used back into the free list (vsd.lock held, or
 * interrupts off in the IRQ handler). Returns how many, or -EIO if the device is broken. */
static int tx_reclaim(void)
{
	void *cookie;
	uint32_t len;
	int r, n = 0;
	while ((r = virtq_get_used(&vsd.tx, &cookie, &len)) == 1) {
		struct vsock_tx_slot *slot = cookie;
		slot->next = vsd.tx_free;
		vsd.tx_free = slot;
		n++;
	}
	return r < 0 ? r : n;
}

/* A packet the gdb stub (kernel/gdb/vsock.c) takes, on its port, when an image has the stub:
 * weak, so that images without it have none (and nothing else of its polled path below, which
 * --gc-sections drops). Called with vsd.lock held and interrupts off. */
__attribute__((weak)) int vsock_stub_take(const struct virtio_vsock_hdr *hdr, const uint8_t *data);

/* Posts p as a receive buffer (vsd.lock held). Cannot fail: never more buffers than half the
 * descriptors. */
static void rx_post(struct vsock_packet *p)
{
	struct virtq_buf bufs[2] = {
	    {(uint64_t)(uintptr_t)&p->hdr, sizeof(p->hdr)},
	    {(uint64_t)(uintptr_t)p->data, p->room},
	};
	virtq_add(&vsd.rx, bufs, 0, 2, p);
	vsd.rx_posted++;
}

/* Whether the device wrote a whole header and hdr.len fits what it wrote and the buffer. */
static int packet_fits(const struct vsock_packet *p, uint32_t written)
{
	return written >= sizeof(p->hdr) && p->hdr.len <= written - sizeof(p->hdr) &&
	       p->hdr.len <= p->room;
}

/* Queues a received packet for the worker (vsd.lock held). */
static void done_add(struct vsock_packet *p, uint32_t written)
{
	p->next = NULL;
	p->off = written; /* the bytes the device wrote, checked by the worker */
	if (vsd.done_tail)
		vsd.done_tail->next = p;
	else
		vsd.done_head = p;
	vsd.done_tail = p;
}

/* A received packet the stub takes goes back onto the ring at once (vsd.lock held). */
static int stub_took(struct vsock_packet *p, uint32_t written)
{
	if (!vsock_stub_take || !packet_fits(p, written) || !vsock_stub_take(&p->hdr, p->data))
		return 0;
	rx_post(p);
	return 1;
}

/* The IRQ handler: collects, never allocates or sends (see the top of the file). */
static void vsock_interrupt(struct virtio_device *dev, uint32_t status)
{
	(void)dev;
	(void)status;
	void *cookie;
	uint32_t len;
	int r, wake_worker = 0, slots_freed = 0, events = 0, got;
	spin_lock(&vsd.lock);
	/* A queue is armed again only when something was collected: otherwise its used_event
	 * still names the entry it waits for. */
	do {
		got = 0;
		while ((r = virtq_get_used(&vsd.rx, &cookie, &len)) == 1) {
			got = 1;
			struct vsock_packet *p = cookie;
			vsd.rx_posted--;
			if (stub_took(p, len)) {
				vsd_kick(&vsd.rx);
				continue;
			}
			done_add(p, len);
			wake_worker = 1;
		}
		if (r < 0)
			vsd.broken = wake_worker = 1;
	} while (!vsd.broken && got && virtq_used_arm(&vsd.rx));
	/* Transmit slots come back without interrupts (tx_reclaim): the interrupt is wanted, and
	 * the slots collected here, only while a sender waits for one. */
	while (vsd.tx_waiters && !vsd.broken) {
		if ((r = tx_reclaim()) > 0)
			slots_freed = 1;
		if (r < 0)
			vsd.broken = wake_worker = 1;
		if (vsd.broken || slots_freed || !virtq_used_arm(&vsd.tx))
			break;
	}
	if (slots_freed || vsd.broken) {
		vsock_waiters_wake(&vsd.tx_waiters);
		virtq_used_suppress(&vsd.tx);
	}
	do {
		got = 0;
		while ((r = virtq_get_used(&vsd.event, &cookie, &len)) == 1) {
			got = 1;
			struct virtio_vsock_event *ev = cookie;
			if (len >= sizeof(*ev) && ev->id == VIRTIO_VSOCK_EVENT_TRANSPORT_RESET)
				vsd.reset_pending = wake_worker = 1;
			event_post(ev);
			events = 1;
		}
		if (r < 0)
			vsd.broken = wake_worker = 1;
	} while (!vsd.broken && got && virtq_used_arm(&vsd.event));
	if (events)
		vsd_kick(&vsd.event);
	if (vsd.broken)
		vsock_waiters_wake(&vsd.tx_waiters);
	spin_unlock(&vsd.lock);
	if (wake_worker)
		sched_wake(vsd.worker);
}

static struct vsock_packet *packet_new(void)
{
	struct vsock_packet *p = toro_malloc(sizeof(*p) + VSOCK_PACKET_PAYLOAD);
	if (p) {
		p->room = VSOCK_PACKET_PAYLOAD;
		p->data = (uint8_t *)(p + 1); /* contiguous: all RAM is identity-mapped */
	}
	return p;
}

void vsock_transport_packet_free(struct vsock_packet *p)
{
	uint64_t flags = vsd_lock();
	if (vsd.free_count < VSOCK_FREE_PACKETS_MAX) {
		p->next = vsd.free_packets;
		vsd.free_packets = p;
		vsd.free_count++;
		p = NULL;
	}
	vsd_unlock(flags);
	toro_free(p);
}

/* Whether a batch of receive buffers is missing (or none is left). rx_posted is read without
 * the lock, as the IRQ handler may lower it meanwhile: rx_refill decides again under it. */
static int rx_refill_due(void)
{
	unsigned posted = __atomic_load_n(&vsd.rx_posted, __ATOMIC_RELAXED);
	return !posted || vsd.rx_target - posted >= vsd.rx_target / VSOCK_RX_REFILL_DIVISOR;
}

/* Tops the receive queue up to its target once a batch is missing (or it is empty). */
static void rx_refill(void)
{
	uint64_t flags = vsd_lock();
	unsigned missing = vsd.rx_target - vsd.rx_posted;
	if (missing < vsd.rx_target / VSOCK_RX_REFILL_DIVISOR && vsd.rx_posted) {
		vsd_unlock(flags);
		return;
	}
	struct vsock_packet *batch = NULL;
	unsigned have = 0;
	while (have < missing && vsd.free_packets) {
		struct vsock_packet *p = vsd.free_packets;
		vsd.free_packets = p->next;
		vsd.free_count--;
		p->next = batch;
		batch = p;
		have++;
	}
	vsd_unlock(flags);
	for (; have < missing; have++) {
		struct vsock_packet *p = packet_new();
		if (!p)
			break; /* what we have still goes in; the next pass tries again */
		p->next = batch;
		batch = p;
	}
	flags = vsd_lock();
	while (batch) {
		struct vsock_packet *p = batch;
		batch = p->next;
		rx_post(p);
	}
	vsd_kick(&vsd.rx);
	vsd_unlock(flags);
}

/* Checks what the device wrote into a receive buffer: hdr.len must fit the bytes written and the
 * buffer. Returns 1 if p is good to hand on. */
static int packet_valid(struct vsock_packet *p)
{
	uint32_t written = p->off;
	p->off = 0;
	return packet_fits(p, written);
}

static void device_broken(void)
{
	uint64_t flags = vsd_lock();
	int was = vsd.live;
	vsd.live = 0;
	vsock_waiters_wake(&vsd.tx_waiters);
	vsd_unlock(flags);
	if (was) {
		virtio_mmio_fail(vsd.dev, "device returned a buffer it was not given", -LINUX_EIO);
		vsock_net_reset();
	}
}

static void *vsock_worker(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t flags = vsd_lock();
		struct vsock_packet *batch = vsd.done_head;
		vsd.done_head = vsd.done_tail = NULL;
		int reset = vsd.reset_pending, broken = vsd.broken;
		vsd.reset_pending = vsd.timer_kick = 0;
		vsd_unlock(flags);
		if (broken)
			device_broken();
		if (reset) {
			/* §5.10.6.7: every connection is gone and the CID may have changed. */
			vsd.cid = config_cid();
			vsock_net_reset();
		}
		while (batch) {
			struct vsock_packet *p = batch;
			batch = p->next;
			if (vsd.live && packet_valid(p))
				vsock_net_receive(p);
			else
				vsock_transport_packet_free(p);
		}
		if (vsd.live && rx_refill_due())
			rx_refill();
		/* The clock only when there is a timer to run: a program that sets none never
		 * has the TSC measured for it. */
		uint64_t now = 0, next = 0;
		if (vsock_net_timers_pending()) {
			now = time_monotonic_ns();
			next = vsock_net_tick(now);
		}
		/* Out of memory with no receive buffer left, nothing would wake us to try again. */
		if (vsd.live && !__atomic_load_n(&vsd.rx_posted, __ATOMIC_RELAXED)) {
			if (!now)
				now = time_monotonic_ns();
			if (!next || next > now + VSOCK_RX_RETRY_NS)
				next = now + VSOCK_RX_RETRY_NS;
		}
		/* Armed under the lock the IRQ handler queues under: a wake for anything queued
		 * after this check finds us armed. Blocked, the worker is not counted as waiting
		 * for a device: the threads waiting on sockets are. */
		flags = vsd_lock();
		int idle = !vsd.done_head && !vsd.reset_pending && !vsd.timer_kick && !vsd.broken;
		if (idle)
			sched_prepare_block(0);
		vsd_unlock(flags);
		if (idle) {
			if (next)
				sched_block_until(next);
			else
				sched_block();
		}
	}
	return NULL;
}

void vsock_transport_timer_changed(void)
{
	if (!vsd.worker)
		return;
	uint64_t flags = vsd_lock();
	vsd.timer_kick = 1;
	vsd_unlock(flags);
	sched_wake(vsd.worker);
}

/* Copies len bytes of iov[0..count), from offset skip on, to dst. */
static void iov_gather(uint8_t *dst, const struct file_iovec *iov, size_t count, size_t skip,
                       size_t len)
{
	size_t i = 0;
	while (i < count && skip >= iov[i].len)
		skip -= iov[i++].len;
	while (len && i < count) {
		size_t n = iov[i].len - skip;
		if (n > len)
			n = len;
		memcpy(dst, (const char *)iov[i].base + skip, n);
		dst += n;
		len -= n;
		skip = 0;
		i++;
	}
}

int vsock_transport_send(const struct virtio_vsock_hdr *hdr, const struct file_iovec *iov,
                         size_t count, size_t skip, int nonblock)
{
	uint64_t flags = vsd_lock();
	/* The slots the device has sent are collected here, not by an interrupt per packet:
	 * the one just used is the next one taken, still in the cache. */
	if (vsd.live && tx_reclaim() < 0) {
		vsd.broken = 1;
		vsd_unlock(flags);
		sched_wake(vsd.worker);
		return -LINUX_EIO;
	}
	while (vsd.live && !vsd.tx_free) {
		if (nonblock) {
			vsd_unlock(flags);
			return -LINUX_EAGAIN;
		}
		/* Every slot is in flight: an interrupt when the device uses one. Armed before
		 * waiting, and what it used meanwhile is collected at once. */
		if (virtq_used_arm(&vsd.tx) && tx_reclaim() < 0) {
			vsd.broken = 1;
			vsd_unlock(flags);
			sched_wake(vsd.worker);
			return -LINUX_EIO;
		}
		if (vsd.tx_free) {
			virtq_used_suppress(&vsd.tx);
			break;
		}
		struct vsock_waiter w = {0};
		w.next = vsd.tx_waiters;
		vsd.tx_waiters = &w;
		vsock_env_wait_prepare(&w, 1);
		vsd_unlock(flags);
		vsock_env_wait_block(&w, 0);
		flags = vsd_lock();
		if (!w.woken)
			vsock_waiter_unlink(&vsd.tx_waiters, &w);
	}
	if (!vsd.live) {
		vsd_unlock(flags);
		return vsd.dev ? -LINUX_EIO : -LINUX_ENODEV;
	}
	struct vsock_tx_slot *slot = vsd.tx_free;
	vsd.tx_free = slot->next;
	vsd_unlock(flags);

	slot->hdr = *hdr;
	slot->hdr.src_cid = vsd.cid;
	uint32_t len = hdr->len;
	if (len)
		iov_gather(slot->payload, iov, count, skip, len);
	struct virtq_buf bufs[2] = {
	    {(uint64_t)(uintptr_t)&slot->hdr, sizeof(slot->hdr)},
	    {(uint64_t)(uintptr_t)slot->payload, len},
	};
	flags = vsd_lock();
	/* Cannot fail: never more slots than half the descriptors. */
	virtq_add(&vsd.tx, bufs, len ? 2 : 1, 0, slot);
	vsd_kick(&vsd.tx);
	vsd_unlock(flags);
	return 0;
}

/* ---- Polling, for the gdb stub (kernel/vsock_poll.h): the device while every core is stopped
 * with interrupts off. Only images with the stub call these; --gc-sections drops them from the
 * others. */

int vsock_poll_begin(unsigned long spins, uint64_t *flags)
{
	if (!__atomic_load_n(&vsd.live, __ATOMIC_ACQUIRE))
		return -1;
	*flags = arch_irq_save();
	for (unsigned long i = 0; __atomic_exchange_n(&vsd.lock.locked, 1, __ATOMIC_ACQUIRE); i++) {
		if (i == spins) {
			arch_irq_restore(*flags);
			return -1;
		}
		__builtin_ia32_pause();
	}
	/* Packets for the stub that reached the worker's list before it could take them (they
	 * came before it started, and a stop keeps the worker from running) are its own. */
	for (struct vsock_packet **pp = &vsd.done_head, *prev = NULL, *p; (p = *pp);) {
		if (stub_took(p, (uint32_t)p->off)) {
			*pp = p->next;
			if (vsd.done_tail == p)
				vsd.done_tail = prev;
		} else {
			prev = p;
			pp = &p->next;
		}
	}
	return 0;
}

/* Collects what the device used meanwhile: packets the stub does not take go onto the worker's
 * list, each replaced on the ring by a packet kept for reuse while there is one (nothing is
 * allocated here: the heap's lock may be held by a stopped core). Returns how many, or -1 if the device
 * is broken. vsd.lock held. */
int vsock_poll_receive(void)
{
	void *cookie;
	uint32_t len;
	int r, n = 0;
	while ((r = virtq_get_used(&vsd.rx, &cookie, &len)) == 1) {
		struct vsock_packet *p = cookie;
		n++;
		vsd.rx_posted--;
		if (stub_took(p, len))
			continue;
		done_add(p, len);
		vsd.poll_wake = 1;
		if (vsd.free_packets) {
			struct vsock_packet *spare = vsd.free_packets;
			vsd.free_packets = spare->next;
			vsd.free_count--;
			rx_post(spare);
		}
	}
	if (n)
		vsd_kick(&vsd.rx);
	if (r < 0) {
		vsd.broken = vsd.poll_wake = 1;
		return -1;
	}
	return n;
}

void vsock_poll_end(uint64_t flags)
{
	/* The IRQ handler arms the receive queue only after collecting: what was collected here
	 * must leave it armed too, or no interrupt would come again. */
	while (!vsd.broken && virtq_used_arm(&vsd.rx))
		vsock_poll_receive();
	vsd_unlock(flags);
}

int vsock_poll_send(const struct virtio_vsock_hdr *hdr, const void *data, unsigned long spins)
{
	for (unsigned long i = 0; vsd.live && !vsd.tx_free; i++) {
		int r = tx_reclaim();
		if (r < 0) {
			vsd.broken = vsd.poll_wake = 1;
			return -1;
		}
		if (r > 0 && vsd.tx_waiters)
			vsd.poll_wake = 1; /* they wait for an interrupt this will not raise */
		if (!vsd.tx_free && i >= spins)
			return -1;
		__builtin_ia32_pause();
	}
	if (!vsd.live)
		return -1;
	struct vsock_tx_slot *slot = vsd.tx_free;
	vsd.tx_free = slot->next;
	slot->hdr = *hdr;
	slot->hdr.src_cid = vsd.cid;
	if (hdr->len)
		memcpy(slot->payload, data, hdr->len);
	struct virtq_buf bufs[2] = {
	    {(uint64_t)(uintptr_t)&slot->hdr, sizeof(slot->hdr)},
	    {(uint64_t)(uintptr_t)slot->payload, hdr->len},
	};
	virtq_add(&vsd.tx, bufs, hdr->len ? 2 : 1, 0, slot);
	vsd_kick(&vsd.tx);
	return 0;
}

void vsock_poll_spare(unsigned count)
{
	struct vsock_packet *p;
	for (unsigned i = 0; i < count && (p = packet_new()); i++)
		vsock_transport_packet_free(p); /* onto the list of packets kept for reuse */
}

void vsock_poll_wake(void)
{
	if (!__atomic_load_n(&vsd.poll_wake, __ATOMIC_ACQUIRE))
		return;
	spin_lock(&vsd.lock);
	vsd.poll_wake = 0;
	vsock_waiters_wake(&vsd.tx_waiters);
	spin_unlock(&vsd.lock);
	sched_wake(vsd.worker);
}

static int vsock_probe(struct virtio_device *dev)
{
	if (vsd.dev) {
		printk("virtio-vsock: a second device at %#lx is not used\n",
		       (unsigned long)dev->base);
		return -LINUX_EBUSY;
	}
	/* Streams only. A device that offers no type bit at all (older ones, Firecracker's)
	 * supports streams (§5.10.3), so F_STREAM is asked for, not required. */
	int err = virtio_mmio_negotiate(
	    dev, VIRTIO_FEATURE(VIRTIO_VSOCK_F_STREAM) | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX));
	if (err)
		return err;
	err = virtio_mmio_queue_setup(dev, &vsd.rx, VIRTIO_VSOCK_RX_QUEUE, VSOCK_RX_QUEUE_MAX);
	if (!err)
		err = virtio_mmio_queue_setup(dev, &vsd.tx, VIRTIO_VSOCK_TX_QUEUE, VSOCK_TX_QUEUE_MAX);
	if (!err)
		err = virtio_mmio_queue_setup(dev, &vsd.event, VIRTIO_VSOCK_EVENT_QUEUE,
		                              VSOCK_EVENT_QUEUE_MAX);
	if (err)
		return err;
	vsd.dev = dev;
	unsigned slots = vsd.tx.size / 2;
	for (unsigned i = 0; i < slots; i++) {
		struct vsock_tx_slot *slot = toro_malloc(sizeof(*slot));
		uint8_t *payload = mm_pages_alloc(1);
		if (!slot || !payload) {
			virtio_mmio_fail(dev, "no memory for transmit buffers", -LINUX_ENOMEM);
			return -LINUX_ENOMEM;
		}
		slot->payload = payload;
		slot->next = vsd.tx_free;
		vsd.tx_free = slot;
	}
	for (unsigned i = 0; i < vsd.event.size && i < VSOCK_EVENT_QUEUE_MAX; i++)
		event_post(&vsd.events[i]);
	virtq_used_suppress(&vsd.tx);
	vsd.rx_target = vsd.rx.size / 2;
	vsd.cid = config_cid();
	vsd.worker = thread_create(0, vsock_worker, NULL, 0, &err);
	if (!vsd.worker) {
		virtio_mmio_fail(dev, "cannot start its thread", err);
		return err;
	}
	err = virtio_mmio_interrupt_enable(dev, vsock_interrupt);
	if (err)
		return err;
	__atomic_store_n(&vsd.live, 1, __ATOMIC_RELEASE);
	virtio_mmio_driver_ok(dev);
	/* Buffers go in after DRIVER_OK: no notification may come before it (§3.1.1). */
	uint64_t flags = vsd_lock();
	vsd_kick(&vsd.event);
	vsd_unlock(flags);
	rx_refill();
	return 0;
}

VIRTIO_DRIVER(virtio_vsock_driver) = {VIRTIO_ID_VSOCK, "virtio-vsock", vsock_probe};
