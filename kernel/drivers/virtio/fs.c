/* The virtio-fs driver (virtio 1.2 §5.11): the high-priority queue and the first request queue
 * of each device, its tag read from the config space. Interrupt-driven: a requester adds its
 * chain and blocks; the IRQ handler (core 0) collects used chains and wakes their threads. The
 * FUSE client (kernel/fs/fuse.c) is the only caller (kernel/include/kernel/virtio_fs.h); an
 * image links this file only when it links the client. */
#include <kernel/arch.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>
#include <kernel/string.h>
#include <kernel/time.h>
#include <kernel/virtio_fs.h>
#include <toro/abi/linux.h>

#include "virtio.h"

#define VIRTIO_FS_QUEUE_SIZE  128
#define VIRTIO_FS_MAX_DEVICES 8 /* the monitor's virtio-mmio slots */
#define VIRTIO_FS_TAG_MAX     36
/* How long a waiting thread trusts the interrupt before it looks at the queues itself (see
 * virtio_fs_request). */
#define VIRTIO_FS_RECHECK_NS (20ull * 1000 * 1000)

/* A request on its way: lives on the requester's stack until done is set, so whoever sets done
 * reads thread first: once done is set the requester may return (woken by something else). */
struct fs_request {
	struct thread *thread;
	uint32_t len;                    /* bytes the device wrote */
	int done;                        /* 1: used by the device; -1: the device failed */
	struct fs_request *next_waiting; /* on the room list while its queue is full */
};

struct fs_queue {
	struct virtq vq;
	struct fs_request *room_waiters; /* threads waiting for free descriptors */
};

/* One device. The lock (taken with interrupts off, as the IRQ handler takes it) guards both
 * queues and the failed flag. */
struct virtio_fs {
	struct virtio_device *dev;
	char tag[VIRTIO_FS_TAG_MAX + 1];
	struct spinlock lock;
	int failed;
	struct fs_queue queues[2]; /* hiprio, request */
};

static struct virtio_fs *devices[VIRTIO_FS_MAX_DEVICES];
static unsigned device_count;

struct virtio_fs *virtio_fs_find(const char *tag)
{
	for (unsigned i = 0; i < device_count; i++)
		if (!strcmp(devices[i]->tag, tag))
			return devices[i];
	return NULL;
}

/* With the lock held: wakes every thread waiting for room on q. */
static void fs_wake_room(struct fs_queue *q)
{
	struct fs_request *w = q->room_waiters;
	q->room_waiters = NULL;
	while (w) {
		struct fs_request *next = w->next_waiting;
		w->done = 1;
		sched_wake(w->thread);
		w = next;
	}
}

/* With the lock held: ends every request still with the device, and every room waiter. */
static void fs_fail_all(struct virtio_fs *fs, const char *reason)
{
	if (!fs->failed)
		virtio_mmio_fail(fs->dev, reason, -LINUX_EIO);
	fs->failed = 1;
	for (int i = 0; i < 2; i++) {
		struct virtq *vq = &fs->queues[i].vq;
		for (unsigned d = 0; d < vq->size; d++) {
			struct fs_request *r = vq->cookies[d];
			if (r) {
				struct thread *t = r->thread;
				vq->cookies[d] = NULL;
				__atomic_store_n(&r->done, -1, __ATOMIC_RELEASE);
				sched_wake(t);
			}
		}
		fs_wake_room(&fs->queues[i]);
	}
}

/* With the lock held: completes every chain the device has used on q. */
static void fs_collect(struct virtio_fs *fs, struct fs_queue *q)
{
	void *cookie;
	uint32_t len;
	int r;
	int any = 0;
	while ((r = virtq_get_used(&q->vq, &cookie, &len)) == 1) {
		struct fs_request *req = cookie;
		struct thread *t = req->thread;
		req->len = len;
		__atomic_store_n(&req->done, 1, __ATOMIC_RELEASE);
		sched_wake(t);
		any = 1;
	}
	if (r < 0)
		fs_fail_all(fs, "device returned a buffer it was not given");
	else if (any)
		fs_wake_room(q);
}

/* The IRQ handler: core 0, interrupts off. */
static void fs_interrupt(struct virtio_device *dev, uint32_t status)
{
	struct virtio_fs *fs = dev->driver_data;
	spin_lock(&fs->lock);
	if (status & VIRTIO_MMIO_INT_CONFIG &&
	    virtio_mmio_status(dev) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		fs_fail_all(fs, "device needs a reset");
	if (!fs->failed) {
		fs_collect(fs, &fs->queues[0]);
		fs_collect(fs, &fs->queues[1]);
	}
	spin_unlock(&fs->lock);
}

/* With the lock held (interrupts off, saved in flags): blocks until q has n free descriptors.
 * Returns with the lock held; 0, or -EIO if the device failed meanwhile. */
static int fs_wait_room(struct virtio_fs *fs, struct fs_queue *q, unsigned n, uint64_t *flags)
{
	while (!fs->failed && virtq_free_descriptors(&q->vq) < n) {
		struct fs_request w = {.thread = thread_current(), .next_waiting = q->room_waiters};
		q->room_waiters = &w;
		sched_prepare_block(1);
		spin_unlock(&fs->lock);
		arch_irq_restore(*flags);
		sched_block();
		*flags = arch_irq_save();
		spin_lock(&fs->lock);
		if (!w.done) { /* not woken by fs_wake_room: take it off the list */
			for (struct fs_request **l = &q->room_waiters; *l; l = &(*l)->next_waiting)
				if (*l == &w) {
					*l = w.next_waiting;
					break;
				}
		}
	}
	return fs->failed ? -LINUX_EIO : 0;
}

long virtio_fs_request(struct virtio_fs *fs, const struct virtio_fs_buf *bufs, unsigned n_out,
                       unsigned n_in, int hiprio)
{
	unsigned n = n_out + n_in;
	if (n == 0 || n > VIRTIO_FS_MAX_BUFS)
		return -LINUX_EINVAL;
	struct virtq_buf chain[VIRTIO_FS_MAX_BUFS];
	for (unsigned i = 0; i < n; i++)
		chain[i] = (struct virtq_buf){(uint64_t)(uintptr_t)bufs[i].addr, bufs[i].len};
	struct fs_queue *q = &fs->queues[hiprio ? 0 : 1];
	struct fs_request req = {.thread = thread_current()};

	uint64_t flags = arch_irq_save();
	spin_lock(&fs->lock);
	int err = fs_wait_room(fs, q, n, &flags);
	if (!err) {
		/* Armed before the chain is visible: the reply may come at once, on core 0. */
		sched_prepare_block(1);
		virtq_add(&q->vq, chain, n_out, n_in, &req);
		if (virtq_kick_prepare(&q->vq))
			virtio_mmio_notify(fs->dev, &q->vq);
	}
	spin_unlock(&fs->lock);
	arch_irq_restore(flags);
	if (err)
		return err;
	/* The driver loses no wake-up: the thread is armed (sched_prepare_block) before its chain
	 * is visible, and the IRQ handler marks it done and wakes it under the lock the chain went
	 * in under (a wake that comes first leaves the thread ready, so the block returns at once);
	 * the device interrupts for every used chain (no EVENT_IDX, NO_INTERRUPT never set); and
	 * mmio_interrupt acknowledges before the handler collects, so a chain used meanwhile raises
	 * another. The timeout is for the platform: the nested test VM's emulated SVM loses an
	 * interrupt now and then under load (tests/run.sh reruns such cases), and with it a thread
	 * would sleep forever. After VIRTIO_FS_RECHECK_NS without a wake the thread collects the
	 * queues itself; where interrupts are kept, this costs a timer per request. */
	for (;;) {
		int timed_out = sched_block_until(time_monotonic_ns() + VIRTIO_FS_RECHECK_NS);
		if (__atomic_load_n(&req.done, __ATOMIC_ACQUIRE))
			break;
		/* Woken by something else, or no word for a while: collect what the device has
		 * used (our chain among it, perhaps), and wait again unless the reply came. */
		flags = arch_irq_save();
		spin_lock(&fs->lock);
		if (timed_out && !fs->failed) {
			fs_collect(fs, &fs->queues[0]);
			fs_collect(fs, &fs->queues[1]);
		}
		int done = req.done;
		if (!done)
			sched_prepare_block(1);
		spin_unlock(&fs->lock);
		arch_irq_restore(flags);
		if (done)
			break;
	}
	return req.done < 0 ? -LINUX_EIO : (long)req.len;
}

/* Reads the config space a 32-bit word at a time (virtio-mmio allows any width; words are what
 * every device model serves), again if the generation changed meanwhile (§4.2.2.2). */
static void fs_read_config(struct virtio_device *dev, struct virtio_fs_config *cfg)
{
	volatile uint32_t *gen = (volatile uint32_t *)(dev->base + VIRTIO_MMIO_CONFIG_GENERATION);
	volatile uint32_t *words = (volatile uint32_t *)(dev->base + VIRTIO_MMIO_CONFIG);
	uint32_t before, *out = (uint32_t *)cfg;
	do {
		before = *gen;
		for (unsigned i = 0; i < sizeof(*cfg) / 4; i++)
			out[i] = words[i];
	} while (*gen != before);
}

static int fs_probe(struct virtio_device *dev)
{
	if (device_count == VIRTIO_FS_MAX_DEVICES) {
		printk("virtio-fs: more than %u devices; the one at %#lx is not used\n",
		       VIRTIO_FS_MAX_DEVICES, (unsigned long)dev->base);
		return -LINUX_EBUSY;
	}
	_Static_assert(sizeof(struct virtio_fs) <= PAGE_SIZE, "one page per device");
	struct virtio_fs *fs = mm_pages_zalloc(1);
	if (!fs)
		return -LINUX_ENOMEM;
	fs->dev = dev;
	dev->driver_data = fs;
	/* No notification queue: VIRTIO_FS_F_NOTIFICATION is not offered. Nor VIRTIO_F_EVENT_IDX:
	 * with it the device interrupts only when the used index passes the used_event word, which
	 * the ring layer (virtq.c) leaves at 0, being written for a console that polls; without it
	 * every used chain interrupts unless the driver sets NO_INTERRUPT, which it never does. */
	int err = virtio_mmio_negotiate(dev, 0);
	struct virtio_fs_config cfg;
	if (!err) {
		fs_read_config(dev, &cfg);
		memcpy(fs->tag, cfg.tag, VIRTIO_FS_TAG_MAX);
		if (cfg.num_request_queues == 0 || fs->tag[0] == 0) {
			virtio_mmio_fail(dev, "no request queue or no tag", -LINUX_EINVAL);
			err = -LINUX_EINVAL;
		}
	}
	if (!err)
		err = virtio_mmio_queue_setup(dev, &fs->queues[0].vq, VIRTIO_FS_HIPRIO_QUEUE,
		                              VIRTIO_FS_QUEUE_SIZE);
	if (!err)
		err = virtio_mmio_queue_setup(dev, &fs->queues[1].vq, VIRTIO_FS_REQUEST_QUEUE,
		                              VIRTIO_FS_QUEUE_SIZE);
	if (!err)
		err = virtio_mmio_interrupt_enable(dev, fs_interrupt);
	if (err) {
		mm_pages_free(fs, 1);
		dev->driver_data = NULL;
		return err;
	}
	virtio_mmio_driver_ok(dev);
	devices[device_count++] = fs;
	return 0;
}

VIRTIO_DRIVER(virtio_fs_driver) = {VIRTIO_ID_FS, "virtio-fs", fs_probe};
