/* The monitor's virtio-console with MULTIPORT (vmm/virtio/console.c, virtio 1.2 §5.3.6) driven
 * by a fake driver in fake guest memory, as the kernel drives it (include/toro/abi/virtio.h):
 * the control handshake (DEVICE_READY, DEVICE_ADD for three ports, CONSOLE_PORT, PORT_OPEN),
 * port 0 and port 1 output to their own back ends, port 2 input read only into the driver's
 * receive buffers and only while the port is open, its end as PORT_OPEN 0, a stdin that ended
 * before the driver opened the port (no PORT_OPEN 1 then), and a control receive buffer too
 * small for a message, which must put the device in DEVICE_NEEDS_RESET. */
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
#define TEST_IRQ 5
/* Queue q's buffers at BUF_GPA(q) + 256 * i. */
#define BUF_GPA(q) (DRV_BUF_OFF + 0x1000ull * (q))

static struct guest_mem mem;
static uint8_t *ram;
static struct virtio_mmio dev;
static struct virtio_console console;
static struct fake_driver drv = {.qnum = QNUM, .dev = &dev};

struct sink {
	char data[4096];
	size_t len;
};
static struct sink err_sink, out_sink;

/* The input back end: what is there now, then -1 (nothing yet) or 0 (the end). */
static const char *input;
static size_t input_len;
static int input_ended, input_waits;

static size_t sink_write(void *ctx, const void *data, size_t len)
{
	struct sink *s = ctx;
	size_t keep = len < sizeof(s->data) - s->len ? len : sizeof(s->data) - s->len;
	memcpy(s->data + s->len, data, keep);
	s->len += keep;
	return len;
}

static void sink_wait(void *ctx)
{
	(void)ctx;
}

static long input_read(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	if (input_len == 0)
		return input_ended ? 0 : -1;
	size_t n = len < input_len ? len : input_len;
	memcpy(buf, input, n);
	input += n;
	input_len -= n;
	return (long)n;
}

static void input_wait(void *ctx)
{
	(void)ctx;
	input_waits++;
}

static void count_irq(void *ctx, unsigned irq)
{
	(void)ctx;
	(void)irq;
}

static const unsigned queues[] = {
    VIRTIO_CONSOLE_TX_QUEUE, VIRTIO_CONSOLE_CTRL_RX_QUEUE, VIRTIO_CONSOLE_CTRL_TX_QUEUE,
    VIRTIO_CONSOLE_PORT_TXQ(VIRTIO_CONSOLE_PORT_OUT), VIRTIO_CONSOLE_PORT_RXQ(VIRTIO_CONSOLE_PORT_IN)};

static void driver_init(void)
{
	drv_start(&drv, (1ull << VIRTIO_F_VERSION_1) | (1u << VIRTIO_CONSOLE_F_MULTIPORT), queues,
	          sizeof(queues) / sizeof(queues[0]));
	err_sink.len = out_sink.len = 0;
}

/* Makes buffer i of queue q available (len bytes at BUF_GPA(q) + 256 * i) without notifying. */
static void post(unsigned q, unsigned i, uint32_t len, int writable)
{
	uint64_t addr = BUF_GPA(q) + 256ull * i;
	drv_set_desc(&drv, q, i, addr, len, writable ? VIRTQ_DESC_F_WRITE : 0, 0);
	drv_push(&drv, q, (uint16_t)i);
}

static void *buf(unsigned q, unsigned i)
{
	return ram + BUF_GPA(q) + 256ull * i;
}

static void send(unsigned i, uint32_t id, uint16_t event, uint16_t value)
{
	struct virtio_console_control m = {id, event, value};
	memcpy(buf(VIRTIO_CONSOLE_CTRL_TX_QUEUE, i), &m, sizeof(m));
	post(VIRTIO_CONSOLE_CTRL_TX_QUEUE, i, sizeof(m), 0);
	drv_notify(&drv, VIRTIO_CONSOLE_CTRL_TX_QUEUE);
}

/* The next control message the device sent, if there is one. */
static int received(struct virtio_console_control *m)
{
	struct virtq_used_elem e;
	if (!drv_take_used(&drv, VIRTIO_CONSOLE_CTRL_RX_QUEUE, &e))
		return 0;
	CHECK(e.len == sizeof(*m));
	memcpy(m, buf(VIRTIO_CONSOLE_CTRL_RX_QUEUE, e.id), sizeof(*m));
	/* Post it again, as a driver does. */
	post(VIRTIO_CONSOLE_CTRL_RX_QUEUE, (uint16_t)e.id, sizeof(*m), 1);
	return 1;
}

static int expect(uint32_t id, uint16_t event, uint16_t value)
{
	struct virtio_console_control m;
	if (!received(&m))
		return 0;
	return m.id == id && m.event == event && m.value == value;
}

/* The handshake and the three ports, with input that arrives in two parts and then ends. */
static void test_5_3_6_ports(void)
{
	input = "hello, ";
	input_len = 7;
	input_ended = 0;
	driver_init();
	uint8_t ports;
	virtio_mmio_read(&dev, VIRTIO_MMIO_CONFIG + 4, &ports, 1);
	CHECK(ports == VIRTIO_CONSOLE_PORTS);

	for (unsigned i = 0; i < QNUM; i++)
		post(VIRTIO_CONSOLE_CTRL_RX_QUEUE, i, sizeof(struct virtio_console_control), 1);
	drv_notify(&drv, VIRTIO_CONSOLE_CTRL_RX_QUEUE);
	CHECK(!received(&(struct virtio_console_control){0})); /* nothing before READY */

	send(0, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
	for (uint32_t p = 0; p < VIRTIO_CONSOLE_PORTS; p++)
		CHECK(expect(p, VIRTIO_CONSOLE_DEVICE_ADD, 1));
	drv_notify(&drv, VIRTIO_CONSOLE_CTRL_RX_QUEUE);
	send(1, 0, VIRTIO_CONSOLE_PORT_READY, 1);
	CHECK(expect(0, VIRTIO_CONSOLE_CONSOLE_PORT, 1));
	CHECK(expect(0, VIRTIO_CONSOLE_PORT_OPEN, 1));
	send(2, 1, VIRTIO_CONSOLE_PORT_READY, 1);
	CHECK(expect(1, VIRTIO_CONSOLE_PORT_OPEN, 1));
	drv_notify(&drv, VIRTIO_CONSOLE_CTRL_RX_QUEUE);
	send(3, 2, VIRTIO_CONSOLE_PORT_READY, 1);
	CHECK(expect(2, VIRTIO_CONSOLE_PORT_OPEN, 1));

	/* Receive buffers before the port is open: nothing is read. */
	unsigned rxq = VIRTIO_CONSOLE_PORT_RXQ(VIRTIO_CONSOLE_PORT_IN);
	post(rxq, 0, 4, 1);
	post(rxq, 1, 64, 1);
	drv_notify(&drv, rxq);
	CHECK(drv_used(&drv, rxq)->idx == 0 && input_len == 7);
	send(4, 2, VIRTIO_CONSOLE_PORT_OPEN, 1);
	/* Read into the buffers as they are: 4 bytes, then 3, then nothing more there. */
	CHECK(drv_used(&drv, rxq)->idx == 2);
	CHECK(drv_used(&drv, rxq)->ring[0].len == 4 && memcmp(buf(rxq, 0), "hell", 4) == 0);
	CHECK(drv_used(&drv, rxq)->ring[1].len == 3 && memcmp(buf(rxq, 1), "o, ", 3) == 0);
	/* More input with no buffer: not read until the driver gives one. */
	input = "world";
	input_len = 5;
	virtio_console_input_ready(&dev.dev);
	CHECK(input_len == 5);
	post(rxq, 2, 64, 1);
	drv_notify(&drv, rxq);
	CHECK(drv_used(&drv, rxq)->idx == 3 && drv_used(&drv, rxq)->ring[2].len == 5);
	/* A buffer while nothing is there: the back end is asked to say when there is. */
	int waits = input_waits;
	post(rxq, 3, 64, 1);
	drv_notify(&drv, rxq);
	CHECK(drv_used(&drv, rxq)->idx == 3 && input_waits == waits + 1);
	/* The end: PORT_OPEN 0, and the waiting buffer stays with the device. */
	input_ended = 1;
	drv_notify(&drv, VIRTIO_CONSOLE_CTRL_RX_QUEUE);
	virtio_console_input_ready(&dev.dev);
	CHECK(expect(2, VIRTIO_CONSOLE_PORT_OPEN, 0));
	CHECK(drv_used(&drv, rxq)->idx == 3);

	/* Output: port 0 to its back end, port 1 to the other. */
	memcpy(buf(VIRTIO_CONSOLE_TX_QUEUE, 0), "to stderr", 9);
	post(VIRTIO_CONSOLE_TX_QUEUE, 0, 9, 0);
	drv_notify(&drv, VIRTIO_CONSOLE_TX_QUEUE);
	unsigned txq = VIRTIO_CONSOLE_PORT_TXQ(VIRTIO_CONSOLE_PORT_OUT);
	memcpy(buf(txq, 0), "to stdout", 9);
	post(txq, 0, 9, 0);
	drv_notify(&drv, txq);
	CHECK(err_sink.len == 9 && memcmp(err_sink.data, "to stderr", 9) == 0);
	CHECK(out_sink.len == 9 && memcmp(out_sink.data, "to stdout", 9) == 0);
	CHECK(!drv_needs_reset(&drv));
}

/* Input that ended before the driver got there: port 2 is never said to be open. A driver
 * reset keeps it ended. */
static void test_ended_before_open(void)
{
	driver_init();
	for (unsigned i = 0; i < QNUM; i++)
		post(VIRTIO_CONSOLE_CTRL_RX_QUEUE, i, sizeof(struct virtio_console_control), 1);
	send(0, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
	for (uint32_t p = 0; p < VIRTIO_CONSOLE_PORTS; p++)
		CHECK(expect(p, VIRTIO_CONSOLE_DEVICE_ADD, 1));
	send(1, 2, VIRTIO_CONSOLE_PORT_READY, 1);
	CHECK(!received(&(struct virtio_console_control){0}));
}

/* A control receive buffer too small for a message breaks the device. */
static void test_hostile_control(void)
{
	driver_init();
	post(VIRTIO_CONSOLE_CTRL_RX_QUEUE, 0, 4, 1);
	send(0, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
	CHECK(drv_needs_reset(&drv));
}

int main(void)
{
	if (drv_ram_init(&drv, &mem, RAM_SIZE))
		return 1;
	ram = drv.ram;
	const struct virtio_console_backend err = {sink_write, sink_wait, &err_sink};
	const struct virtio_console_backend out = {sink_write, sink_wait, &out_sink};
	const struct virtio_console_input in = {input_read, input_wait, NULL};
	virtio_console_init_multiport(&console, &err, &out, &in);
	virtio_mmio_init(&dev, &virtio_console_multiport_ops, &console, &mem, 0xd0000000, TEST_IRQ,
	                 count_irq, NULL);
	test_5_3_6_ports();
	test_ended_before_open();
	test_hostile_control();
	free(ram);
	return check_summary("vmm_console_ports");
}
