/* The monitor's virtio-mmio transport (virtio 1.2 §4.2) and virtio-console device (§5.3) driven
 * by a fake driver in fake guest memory: the status and feature handshake, queue setup, output
 * in order, interrupts and their suppression, index wraparound, and a hostile driver
 * (descriptor loops, buffers and rings outside RAM, wrapping addresses, wild indices), which must
 * put the device in DEVICE_NEEDS_RESET and never crash or hang; and a console back end that
 * is full, which must keep the buffers with the device until it has room. */
// clang-format off
// SOURCES: vmm/dev/virtio_mmio.c vmm/virtio/device.c vmm/virtio/queue.c vmm/virtio/console.c vmm/kvm/guest.c vmm/backend/term.c tests/support/fake_driver.c
// clang-format on
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <toro/abi/virtio.h>

#include "check.h"
#include "dev/virtio_mmio.h"
#include "fake_driver.h"
#include "kvm/guest.h"
#include "virtio/console.h"

#define RAM_SIZE (1u << 20)
#define QNUM     8
#define TXQ      VIRTIO_CONSOLE_TX_QUEUE
#define BUF_GPA  DRV_BUF_OFF
#define TEST_IRQ 5

static struct guest_mem mem;
static uint8_t *ram;
static struct virtio_mmio dev;
static struct virtio_console console;
static struct fake_driver drv = {.qnum = QNUM, .dev = &dev};
static char out[1 << 16];
static size_t out_len;
static int irqs;
/* The back end takes at most room bytes more (SIZE_MAX: no limit), as a full pipe would. */
static size_t room = SIZE_MAX;
static int waits;

static size_t capture(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	if (len > room)
		len = room;
	if (room != SIZE_MAX)
		room -= len;
	size_t keep = len < sizeof(out) - out_len ? len : sizeof(out) - out_len;
	memcpy(out + out_len, data, keep);
	out_len += keep;
	return len;
}

static void capture_wait_room(void *ctx)
{
	(void)ctx;
	waits++;
}

static void count_irq(void *ctx, unsigned irq)
{
	(void)ctx;
	CHECK(irq == TEST_IRQ);
	irqs++;
}

/* §3.1.1 driver initialization, with queue 1 (transmitq) of QNUM entries. */
static void driver_init(uint64_t features)
{
	static const unsigned txq = TXQ;
	drv_start(&drv, features, &txq, 1);
	out_len = 0;
	irqs = 0;
}

/* §4.2.2: the identification registers. */
static void test_4_2_2_registers(void)
{
	CHECK(drv_rd(&drv, VIRTIO_MMIO_MAGIC_VALUE) == VIRTIO_MMIO_MAGIC);
	CHECK(drv_rd(&drv, VIRTIO_MMIO_VERSION) == 2);
	CHECK(drv_rd(&drv, VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_CONSOLE);
	drv_wr(&drv, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK(drv_rd(&drv, VIRTIO_MMIO_DEVICE_FEATURES) & 1); /* VERSION_1 is bit 32 */
	drv_wr(&drv, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7);
	CHECK(drv_rd(&drv, VIRTIO_MMIO_DEVICE_FEATURES) == 0);
	drv_wr(&drv, VIRTIO_MMIO_QUEUE_SEL, 1);
	CHECK(drv_rd(&drv, VIRTIO_MMIO_QUEUE_NUM_MAX) == VQ_NUM_MAX);
	drv_wr(&drv, VIRTIO_MMIO_QUEUE_SEL, 2); /* the console has two queues */
	CHECK(drv_rd(&drv, VIRTIO_MMIO_QUEUE_NUM_MAX) == 0);
	drv_wr(&drv, VIRTIO_MMIO_QUEUE_READY, 1); /* no such queue: ignored */
	CHECK(drv_rd(&drv, VIRTIO_MMIO_QUEUE_READY) == 0);
	/* Config space, any width; reads past it give zeros. */
	uint32_t v = 0xdead;
	virtio_mmio_read(&dev, VIRTIO_MMIO_CONFIG + 4, &v, 4);
	CHECK(v == 0);
	uint8_t b = 0xaa;
	virtio_mmio_read(&dev, VIRTIO_MMIO_CONFIG + 0xff0, &b, 1);
	CHECK(b == 0);
	/* Registers want 32-bit accesses: a byte read gives 0 and does not crash. */
	virtio_mmio_read(&dev, VIRTIO_MMIO_MAGIC_VALUE, &b, 1);
	CHECK(b == 0);
}

/* §3.1.1, §6: FEATURES_OK sticks only for a subset of our features with VERSION_1. */
static void test_3_1_1_features(void)
{
	driver_init(0); /* no VERSION_1: a legacy driver */
	CHECK(!(drv_rd(&drv, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK));
	driver_init((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_RING_PACKED));
	CHECK(!(drv_rd(&drv, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK));
	driver_init(1ull << VIRTIO_F_VERSION_1);
	CHECK(drv_rd(&drv, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
	CHECK(drv_rd(&drv, VIRTIO_MMIO_QUEUE_READY) == 1);
	drv_wr(&drv, VIRTIO_MMIO_STATUS, 0); /* reset */
	CHECK(drv_rd(&drv, VIRTIO_MMIO_STATUS) == 0 && drv_rd(&drv, VIRTIO_MMIO_QUEUE_READY) == 0);
}

/* §5.3.6: transmitq output, in order, chains concatenated, used with length 0. */
static void test_5_3_6_transmit(void)
{
	driver_init(1ull << VIRTIO_F_VERSION_1);
	memcpy(ram + BUF_GPA, "hello ", 6);
	memcpy(ram + BUF_GPA + 0x100, "wor", 3);
	memcpy(ram + BUF_GPA + 0x200, "ld\n", 3);
	drv_set_desc(&drv, TXQ, 0, BUF_GPA, 6, 0, 0);
	drv_submit(&drv, TXQ, 0);
	drv_set_desc(&drv, TXQ, 3, BUF_GPA + 0x100, 3, VIRTQ_DESC_F_NEXT, 5);
	drv_set_desc(&drv, TXQ, 5, BUF_GPA + 0x200, 3, 0, 0);
	drv_submit(&drv, TXQ, 3);
	CHECK(out_len == 12 && memcmp(out, "hello world\n", 12) == 0);
	CHECK(drv_used(&drv, TXQ)->idx == 2);
	CHECK(drv_used(&drv, TXQ)->ring[0].id == 0 && drv_used(&drv, TXQ)->ring[1].id == 3 &&
	      drv_used(&drv, TXQ)->ring[1].len == 0);
	CHECK(irqs == 2);
	CHECK(drv_rd(&drv, VIRTIO_MMIO_INTERRUPT_STATUS) == VIRTIO_MMIO_INT_VRING);
	drv_wr(&drv, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK(drv_rd(&drv, VIRTIO_MMIO_INTERRUPT_STATUS) == 0);
	/* §2.7.7: the driver may suppress interrupts. */
	drv_avail(&drv, TXQ)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	drv_submit(&drv, TXQ, 0);
	CHECK(irqs == 2 && drv_used(&drv, TXQ)->idx == 3);
	/* Zero-length descriptors carry nothing and are fine. */
	drv_set_desc(&drv, TXQ, 1, BUF_GPA, 0, 0, 0);
	drv_submit(&drv, TXQ, 1);
	CHECK(drv_used(&drv, TXQ)->idx == 4 && !drv_needs_reset(&drv));
	/* A notification for the receiveq takes nothing (no input). */
	drv_wr(&drv, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_CONSOLE_RX_QUEUE);
	CHECK(!drv_needs_reset(&drv));
}

/* §2.7: 16-bit indices wrap; 70000 buffers go through a queue of 8. */
static void test_2_7_index_wraparound(void)
{
	driver_init(1ull << VIRTIO_F_VERSION_1);
	drv_avail(&drv, TXQ)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	memcpy(ram + BUF_GPA, "x", 1);
	drv_set_desc(&drv, TXQ, 0, BUF_GPA, 1, 0, 0);
	for (int i = 0; i < 70000; i++)
		drv_submit(&drv, TXQ, 0);
	CHECK(drv_used(&drv, TXQ)->idx == (uint16_t)70000);
	CHECK(out_len == 65536); /* the capture buffer's size: all arrived until it filled */
	CHECK(!drv_needs_reset(&drv));
}

static void expect_broken(const char *what)
{
	check_count++;
	if (!drv_needs_reset(&drv)) {
		check_failures++;
		fprintf(stderr, "%s: device not in DEVICE_NEEDS_RESET\n", what);
	}
}

/* A hostile driver: each case must end in DEVICE_NEEDS_RESET with a config interrupt, produce
 * no output from the bad chain, and leave the device usable after a reset. */
static void test_hostile_driver(void)
{
	driver_init(1ull << VIRTIO_F_VERSION_1);
	memcpy(ram + BUF_GPA, "bad", 3);
	drv_set_desc(&drv, TXQ, 0, BUF_GPA, 3, VIRTQ_DESC_F_NEXT, 1);
	drv_set_desc(&drv, TXQ, 1, BUF_GPA, 3, VIRTQ_DESC_F_NEXT, 0); /* 0 → 1 → 0 … */
	drv_submit(&drv, TXQ, 0);
	expect_broken("descriptor loop");
	CHECK(out_len == 0 && drv_used(&drv, TXQ)->idx == 0);
	CHECK(drv_rd(&drv, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	/* Further notifications are ignored until reset; the driver cannot clear the bit. */
	drv_submit(&drv, TXQ, 0);
	drv_wr(&drv, VIRTIO_MMIO_STATUS,
	       drv_rd(&drv, VIRTIO_MMIO_STATUS) & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	expect_broken("sticky NEEDS_RESET");

	driver_init(1ull << VIRTIO_F_VERSION_1);
	drv_set_desc(&drv, TXQ, 0, BUF_GPA, 3, VIRTQ_DESC_F_NEXT, 0); /* links to itself */
	drv_submit(&drv, TXQ, 0);
	expect_broken("self loop");

	const struct {
		uint64_t addr;
		uint32_t len;
		const char *what;
	} bad_bufs[] = {
	    {RAM_SIZE, 1, "buffer just past RAM"},
	    {RAM_SIZE - 2, 3, "buffer straddling the end of RAM"},
	    {0xfee00000ull, 4, "buffer on the LAPIC"},
	    {UINT64_MAX - 1, 16, "buffer address wrapping"},
	    {0x100000000ull, 8, "buffer above 4 GiB"},
	};
	for (size_t i = 0; i < sizeof(bad_bufs) / sizeof(bad_bufs[0]); i++) {
		driver_init(1ull << VIRTIO_F_VERSION_1);
		drv_set_desc(&drv, TXQ, 0, bad_bufs[i].addr, bad_bufs[i].len, 0, 0);
		drv_submit(&drv, TXQ, 0);
		expect_broken(bad_bufs[i].what);
		CHECK(out_len == 0);
	}

	driver_init(1ull << VIRTIO_F_VERSION_1);
	drv_set_desc(&drv, TXQ, 0, BUF_GPA, 3, VIRTQ_DESC_F_NEXT, QNUM); /* next beyond the table */
	drv_submit(&drv, TXQ, 0);
	expect_broken("next index out of range");

	driver_init(1ull << VIRTIO_F_VERSION_1);
	drv_set_desc(&drv, TXQ, 0, BUF_GPA, 3, 0, 0);
	drv_submit(&drv, TXQ, QNUM + 3); /* head beyond the table */
	expect_broken("head out of range");

	driver_init(1ull << VIRTIO_F_VERSION_1);
	drv_set_desc(&drv, TXQ, 0, BUF_GPA, 3, 0, 0);
	drv_avail(&drv, TXQ)->idx = 1000; /* claims 1000 new buffers in a queue of 8 */
	drv_wr(&drv, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
	expect_broken("avail index jump");

	driver_init(1ull << VIRTIO_F_VERSION_1);
	drv_set_desc(&drv, TXQ, 0, BUF_GPA, 3, VIRTQ_DESC_F_INDIRECT, 0);
	drv_submit(&drv, TXQ, 0);
	expect_broken("indirect descriptor");

	/* Rings outside RAM or misaligned: refused when the queue is made ready. */
	const uint64_t bad_rings[] = {RAM_SIZE - 16, 0xfffffffff000ull, DRV_DESC_OFF(TXQ) + 4};
	for (size_t i = 0; i < 3; i++) {
		driver_init(1ull << VIRTIO_F_VERSION_1);
		drv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_SEL, VIRTIO_CONSOLE_TX_QUEUE);
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_NUM, QNUM);
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)bad_rings[i]);
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(bad_rings[i] >> 32));
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)DRV_AVAIL_OFF(TXQ));
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)DRV_USED_OFF(TXQ));
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_READY, 1);
		CHECK(drv_rd(&drv, VIRTIO_MMIO_QUEUE_READY) == 0);
		expect_broken("ring outside RAM or misaligned");
	}
	/* A used ring over the available ring (its index over the available index: the device
	 * would serve the queue for ever) or over the descriptors: refused as well. */
	const uint64_t used_over[] = {DRV_AVAIL_OFF(TXQ), DRV_DESC_OFF(TXQ) + 16};
	for (size_t i = 0; i < 2; i++) {
		driver_init(1ull << VIRTIO_F_VERSION_1);
		drv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_SEL, VIRTIO_CONSOLE_TX_QUEUE);
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_NUM, QNUM);
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)DRV_DESC_OFF(TXQ));
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)DRV_AVAIL_OFF(TXQ));
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used_over[i]);
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_READY, 1);
		CHECK(drv_rd(&drv, VIRTIO_MMIO_QUEUE_READY) == 0);
		expect_broken("rings overlap");
	}
	/* Queue sizes must be powers of two up to the maximum. */
	const uint32_t bad_nums[] = {0, 3, VQ_NUM_MAX * 2, 0x10000};
	for (size_t i = 0; i < 4; i++) {
		drv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_SEL, VIRTIO_CONSOLE_TX_QUEUE);
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_NUM, bad_nums[i]);
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)DRV_DESC_OFF(TXQ));
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)DRV_AVAIL_OFF(TXQ));
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)DRV_USED_OFF(TXQ));
		drv_wr(&drv, VIRTIO_MMIO_QUEUE_READY, 1);
		CHECK(drv_rd(&drv, VIRTIO_MMIO_QUEUE_READY) == 0);
		expect_broken("bad queue size");
	}

	/* After all that, a reset and a proper start work. */
	driver_init(1ull << VIRTIO_F_VERSION_1);
	memcpy(ram + BUF_GPA, "ok\n", 3);
	drv_set_desc(&drv, TXQ, 0, BUF_GPA, 3, 0, 0);
	drv_submit(&drv, TXQ, 0);
	CHECK(!drv_needs_reset(&drv) && out_len == 3 && memcmp(out, "ok\n", 3) == 0);
}

/* A back end that fills up: the chain it could not take stays with the device (not used, no
 * interrupt), the device asks once per attempt to be told of room, and resuming delivers the
 * rest in order, then what the driver queued meanwhile. */
static void test_5_3_6_backend_full(void)
{
	driver_init(1ull << VIRTIO_F_VERSION_1);
	memcpy(ram + BUF_GPA, "0123456789", 10);
	memcpy(ram + BUF_GPA + 0x100, "abc", 3);
	drv_set_desc(&drv, TXQ, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
	drv_set_desc(&drv, TXQ, 1, BUF_GPA + 4, 6, 0, 0);
	drv_set_desc(&drv, TXQ, 2, BUF_GPA + 0x100, 3, 0, 0);
	room = 5;
	waits = 0;
	drv_submit(&drv, TXQ, 0);
	CHECK(out_len == 5 && drv_used(&drv, TXQ)->idx == 0 && irqs == 0 && waits == 1);
	drv_submit(&drv, TXQ, 2); /* queued behind the pending chain */
	CHECK(out_len == 5 && drv_used(&drv, TXQ)->idx == 0 && waits == 2);
	pthread_mutex_lock(&dev.dev.lock);
	room = 3;
	virtio_console_resume(&dev.dev);
	CHECK(out_len == 8 && drv_used(&drv, TXQ)->idx == 0 && waits == 3);
	room = SIZE_MAX;
	virtio_console_resume(&dev.dev);
	pthread_mutex_unlock(&dev.dev.lock);
	CHECK(out_len == 13 && memcmp(out, "0123456789abc", 13) == 0);
	CHECK(drv_used(&drv, TXQ)->idx == 2 && drv_used(&drv, TXQ)->ring[0].id == 0 &&
	      drv_used(&drv, TXQ)->ring[1].id == 2);
	CHECK(irqs == 1 && !drv_needs_reset(&drv));
	/* A reset drops a pending chain: resuming afterwards sends nothing. */
	driver_init(1ull << VIRTIO_F_VERSION_1);
	drv_set_desc(&drv, TXQ, 0, BUF_GPA, 10, 0, 0);
	room = 0;
	drv_submit(&drv, TXQ, 0);
	drv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
	room = SIZE_MAX;
	pthread_mutex_lock(&dev.dev.lock);
	virtio_console_resume(&dev.dev);
	pthread_mutex_unlock(&dev.dev.lock);
	CHECK(out_len == 0);
}

int main(void)
{
	if (drv_ram_init(&drv, &mem, RAM_SIZE))
		return 1;
	ram = drv.ram;
	const struct virtio_console_backend backend = {capture, capture_wait_room, NULL};
	virtio_console_init(&console, &backend);
	virtio_mmio_init(&dev, &virtio_console_ops, &console, &mem, 0xd0000000, TEST_IRQ, count_irq,
	                 NULL);
	test_4_2_2_registers();
	test_3_1_1_features();
	test_5_3_6_transmit();
	test_2_7_index_wraparound();
	test_hostile_driver();
	test_5_3_6_backend_full();
	free(ram);
	return check_summary("vmm_virtio");
}
