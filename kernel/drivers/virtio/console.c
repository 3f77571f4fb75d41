/* The virtio-console driver (virtio 1.2 §5.3), output: once live it registers with the console
 * registry (kernel/core/console.c), ahead of COM1, so all console output goes through its
 * transmit queues: port 0 for the console stream (kernel messages, stderr) and, when the device
 * has MULTIPORT and a port 1, port 1 for the application's stdout. Input (port 2, the control
 * queues) is console_input.c, linked only into images that read stdin. The top layer of the
 * virtio stack, over the transport (mmio.c) and the ring (virtq.c). */
#include <kernel/console.h>
#include <kernel/cpu.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <toro/abi/linux.h>

#include "virtio.h"

/* Output is copied into fixed one-page buffers, one descriptor each: up to TX_SLOTS pages are
 * with the device at a time, which lets a large write go out with one notification per
 * TX_SLOTS pages, and a small one with one notification. */
#define VIRTIO_CONSOLE_TX_SLOTS   16
#define VIRTIO_CONSOLE_SLOT_BYTES PAGE_SIZE
/* While waiting for the device, look at its status register (a VM exit) only this often, to
 * notice a device that gave up (DEVICE_NEEDS_RESET) instead of waiting for ever. */
#define VIRTIO_CONSOLE_STATUS_SPINS (1u << 16)

struct virtio_console {
	struct virtio_device *dev;
	struct virtq tx[2]; /* port 0's transmit queue, and port 1's when there is one */
	struct virtq *out;  /* stdout's: tx + 1 when port 1 is there, else tx */
	char *free_slots[VIRTIO_CONSOLE_TX_SLOTS]; /* a stack of buffers not with the device */
	unsigned free_count;
	unsigned slot_count;
	unsigned owner;       /* 1 + id of the CPU inside write or flush, 0 if none */
	struct console entry; /* in the console registry; live: DRIVER_OK set, no failure since */
};

static struct virtio_console console;

/* The buffers, shared by both queues: static (identity-mapped, so a buffer's address is what the
 * device is given), in .noinit, since every byte is written before the device sees it: they cost
 * no image bytes, no boot-time clearing and, untouched, no host memory. */
static char console_slot_pages[VIRTIO_CONSOLE_TX_SLOTS][VIRTIO_CONSOLE_SLOT_BYTES]
    __attribute__((section(".noinit.console"), aligned(PAGE_SIZE)));

/* Takes the console for one write or flush, waiting while another CPU has it. Finding it
 * held by this CPU means we re-entered it: a fault inside it being reported, or an interrupt
 * handler printing while the interrupted thread writes (threads are never preempted, so no
 * other thread can be in it here). Then the caller falls back to COM1 rather than deadlock.
 * Returns 1 when taken. */
static int console_enter(void)
{
	unsigned me = this_cpu()->id + 1;
	for (;;) {
		unsigned owner = 0;
		if (__atomic_compare_exchange_n(&console.owner, &owner, me, 0, __ATOMIC_ACQUIRE,
		                                __ATOMIC_RELAXED))
			return 1;
		if (owner == me)
			return 0;
		__builtin_ia32_pause();
	}
}

static void console_leave(void)
{
	__atomic_store_n(&console.owner, 0, __ATOMIC_RELEASE);
}

/* Gives up on the device: output goes back to COM1 (this message included). */
static void console_broken(const char *reason, int err)
{
	console.entry.live = 0;
	virtio_mmio_fail(console.dev, reason, err);
}

/* The completion path: moves every buffer the device has used back to the free stack.
 * Returns 0 or -EIO. An IRQ handler for the transmit queue would call this too, with the
 * writer excluded (interrupts off while it holds the console). */
static int console_tx_reclaim(void)
{
	void *slot;
	uint32_t len;
	int r = 0;
	for (struct virtq *q = console.tx; q <= console.out && r >= 0; q++)
		while ((r = virtq_get_used(q, &slot, &len)) == 1)
			console.free_slots[console.free_count++] = slot;
	if (r < 0)
		console_broken("device returned a buffer it was not given", r);
	return r;
}

static void console_tx_kick(struct virtq *tx)
{
	if (virtq_kick_prepare(tx))
		virtio_mmio_notify(console.dev, tx);
}

/* Polls until the device returns a buffer (or all of them, if all is set). Returns 0, or
 * -EIO when the device failed. */
static int console_tx_wait(int all)
{
	unsigned spins = 0;
	for (;;) {
		if (console_tx_reclaim() < 0)
			return -LINUX_EIO;
		if (console.free_count >= (all ? console.slot_count : 1))
			return 0;
		if (++spins % VIRTIO_CONSOLE_STATUS_SPINS == 0 &&
		    (virtio_mmio_status(console.dev) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)) {
			console_broken("device needs a reset", -LINUX_EIO);
			return -LINUX_EIO;
		}
		__builtin_ia32_pause();
	}
}

/* Queues len bytes of s on stream's transmit queue, in order after everything written there before
 * (by any CPU: writers take turns). Returns the number of bytes taken (all of them unless the
 * device failed part-way), or -ENODEV when not live and -EBUSY when this CPU is already inside
 * (a fault or an interrupt handler printing mid-write); the registry sends what was not taken
 * to COM1 (the registry never asks for 0 bytes). Waits (polling) while every transmit buffer is
 * with the device. */
static long virtio_console_write(enum console_stream stream, const char *s, size_t len)
{
	struct virtq *tx = stream == CONSOLE_OUT ? console.out : console.tx;
	if (!console.entry.live)
		return -LINUX_ENODEV;
	if (!console_enter())
		return -LINUX_EBUSY;
	size_t done = 0;
	while (done < len) {
		if (console.free_count == 0) {
			/* Everything is with the device: make sure it knows about what we
			 * added, then wait for a buffer to come back. */
			console_tx_kick(tx);
			if (console_tx_wait(0))
				break;
		}
		char *slot = console.free_slots[--console.free_count];
		size_t n =
		    len - done < VIRTIO_CONSOLE_SLOT_BYTES ? len - done : VIRTIO_CONSOLE_SLOT_BYTES;
		memcpy(slot, s + done, n);
		struct virtq_buf buf = {(uint64_t)(uintptr_t)slot, (uint32_t)n};
		/* Cannot fail: there are no more slots than descriptors, one each. */
		virtq_add(tx, &buf, 1, 0, slot);
		done += n;
	}
	if (console.entry.live)
		console_tx_kick(tx);
	console_leave();
	return done ? (long)done : -LINUX_EIO;
}


/* Waits until the device has consumed everything written so far: called before the VM exits.
 * Returns 0, or -errno if the console is not live or failed while waiting. */
static int virtio_console_flush(void)
{
	if (!console.entry.live)
		return -LINUX_ENODEV;
	if (!console_enter())
		return -LINUX_EBUSY;
	int r = console_tx_wait(1);
	console_leave();
	return r;
}

static int virtio_console_probe(struct virtio_device *dev)
{
	if (console.dev) {
		virtio_mmio_fail(dev, "a second console is not used", -LINUX_EBUSY);
		return -LINUX_EBUSY;
	}
	/* MULTIPORT for the stdout and stdin ports; no size (toro.tty= says what the terminal
	 * is) or emergency write. The event index lets the device tell us when a notification is
	 * not needed. */
	int err = virtio_mmio_negotiate(dev, VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX) |
	                                         VIRTIO_FEATURE(VIRTIO_CONSOLE_F_MULTIPORT));
	if (err)
		return err;
	uint32_t ports = dev->features & VIRTIO_FEATURE(VIRTIO_CONSOLE_F_MULTIPORT)
	                     ? ((volatile struct virtio_console_config *)(dev->base +
	                                                                  VIRTIO_MMIO_CONFIG))
	                           ->max_nr_ports
	                     : 1;
	/* The buffers are shared: port 1's queue is asked for no more descriptors than port 0's
	 * has, and there are as many buffers as the smaller has. */
	console.out = console.tx;
	err = virtio_mmio_queue_setup(dev, console.tx, VIRTIO_CONSOLE_TX_QUEUE,
	                              VIRTIO_CONSOLE_TX_SLOTS);
	if (!err && ports > VIRTIO_CONSOLE_PORT_OUT)
		err = virtio_mmio_queue_setup(dev, ++console.out,
		                              VIRTIO_CONSOLE_PORT_TXQ(VIRTIO_CONSOLE_PORT_OUT),
		                              console.tx[0].size);
	if (!err && virtio_console_input_init)
		err = virtio_console_input_init(dev, ports);
	if (err)
		return err;
	console.slot_count = console.out->size;
	for (unsigned i = 0; i < console.slot_count; i++)
		console.free_slots[i] = console_slot_pages[i];
	console.free_count = console.slot_count;
	console.dev = dev;
	virtio_mmio_driver_ok(dev);
	console.entry.name = "virtio";
	console.entry.write = virtio_console_write;
	console.entry.flush = virtio_console_flush;
	console.entry.live = 1;
	console_register(&console.entry);
	return 0;
}

VIRTIO_DRIVER(virtio_console_driver) = {VIRTIO_ID_CONSOLE, "virtio-console", virtio_console_probe};
