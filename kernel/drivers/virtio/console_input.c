/* The virtio-console driver's input half (virtio 1.2 §5.3.6): the application's stdin from port
 * 2 (VIRTIO_CONSOLE_PORT_IN), with the MULTIPORT control queues that announce the ports and
 * carry the end of input (the device closing the port: PORT_OPEN 0). Linked only into images
 * that read stdin (console_read below is what the console file and toro_read call); the output
 * half (console.c) calls in through weak references. Interrupt-driven: the handler (core 0)
 * collects control messages and filled receive buffers and wakes readers; readers copy out and
 * give each buffer back to the device once read. */
#include <kernel/console.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <toro/abi/linux.h>

#include "virtio.h"

#define INPUT_BUFS        8 /* one-page receive buffers with the device or waiting to be read */
#define INPUT_BUF_BYTES   PAGE_SIZE
#define INPUT_CTRL_BUFS   8 /* control messages each way */

struct input_buf {
	char *data;
	uint32_t len; /* bytes the device wrote */
};

static struct {
	struct virtio_device *dev;
	struct virtq ctrl_rx, ctrl_tx, rx;
	struct virtio_console_control ctrl_in[INPUT_CTRL_BUFS];  /* device-writable, always posted */
	struct virtio_console_control ctrl_out[INPUT_CTRL_BUFS]; /* our messages */
	struct virtio_console_control *ctrl_free[INPUT_CTRL_BUFS];
	unsigned ctrl_free_count;
	char *pages;
	/* Filled buffers not read yet, oldest first: ready[(head + i) % INPUT_BUFS]. */
	struct input_buf ready[INPUT_BUFS];
	unsigned head, count;
	uint32_t off;     /* bytes of the oldest already read */
	int started;      /* DEVICE_READY sent */
	int connected;    /* the host side of the input port is open (PORT_OPEN 1) */
	int acked;        /* the device took our PORT_OPEN for the input port */
	int rx_kicked;    /* and was then told about the receive buffers */
	int eof;          /* the device closed the port, or failed: reads end */
	/* Its lock (interrupts off) guards all of the above; readers wait on it. */
	struct wait_queue readers;
} in;

__attribute__((weak)) void console_input_notify(void)
{
}

static void input_post(char *data)
{
	struct virtq_buf b = {(uint64_t)(uintptr_t)data, INPUT_BUF_BYTES};
	virtq_add(&in.rx, &b, 0, 1, data);
}

static void ctrl_post(struct virtio_console_control *m)
{
	struct virtq_buf b = {(uint64_t)(uintptr_t)m, sizeof(*m)};
	virtq_add(&in.ctrl_rx, &b, 0, 1, m);
}

/* Queues a control message to the device (kicked by the caller). One is dropped only if all
 * INPUT_CTRL_BUFS are with the device, which our few messages per port never reach. */
static void ctrl_send(uint32_t id, uint16_t event, uint16_t value)
{
	if (!in.ctrl_free_count)
		return;
	struct virtio_console_control *m = in.ctrl_free[--in.ctrl_free_count];
	*m = (struct virtio_console_control){id, event, value};
	struct virtq_buf b = {(uint64_t)(uintptr_t)m, sizeof(*m)};
	virtq_add(&in.ctrl_tx, &b, 1, 0, m);
}

static void input_kick(struct virtq *vq)
{
	if (virtq_kick_prepare(vq))
		virtio_mmio_notify(in.dev, vq);
}

static void input_broken(const char *why)
{
	in.eof = 1;
	virtio_mmio_fail(in.dev, why, -LINUX_EIO);
}

/* A message from the device: ports are acknowledged as ready, the input port opened. The host
 * side of the input port is open from PORT_OPEN 1 to PORT_OPEN 0 (or its removal). */
static void ctrl_receive(const struct virtio_console_control *m)
{
	if (m->event == VIRTIO_CONSOLE_DEVICE_ADD) {
		ctrl_send(m->id, VIRTIO_CONSOLE_PORT_READY, 1);
		if (m->id == VIRTIO_CONSOLE_PORT_IN)
			ctrl_send(m->id, VIRTIO_CONSOLE_PORT_OPEN, 1);
	} else if (m->id == VIRTIO_CONSOLE_PORT_IN) {
		if (m->event == VIRTIO_CONSOLE_PORT_OPEN)
			in.connected = m->value != 0;
		else if (m->event == VIRTIO_CONSOLE_DEVICE_REMOVE)
			in.connected = 0;
	}
}

/* Collects everything the device used. Lock held. Returns 1 if readers should look. Control
 * messages are taken before data: input the device used before it closed the port is then
 * seen by the data pass that follows.
 *
 * The end of input is the host side of the port being closed once the handshake is over. A
 * device answers our PORT_READY for the port with PORT_OPEN 1 only if its host side is open
 * (QEMU's does so while handling it, and says nothing otherwise, e.g. when stdin ended before
 * the guest got there); it takes our PORT_OPEN, sent after PORT_READY, only after that answer.
 * So once our PORT_OPEN is back (acked), a port not connected is at its end; the control
 * receive queue is collected again after the acknowledgement is seen (the loop runs until
 * nothing new came), so an answer is never missed. */
static int input_collect(void)
{
	void *cookie;
	uint32_t len;
	int r, wake = 0, eof = in.eof;
	do {
		while ((r = virtq_get_used(&in.ctrl_rx, &cookie, &len)) == 1) {
			if (len >= sizeof(struct virtio_console_control))
				ctrl_receive(cookie);
			ctrl_post(cookie);
		}
		if (r < 0)
			input_broken("device returned a control buffer it was not given");
		while ((r = virtq_get_used(&in.ctrl_tx, &cookie, &len)) == 1) {
			const struct virtio_console_control *m = cookie;
			if (m->id == VIRTIO_CONSOLE_PORT_IN && m->event == VIRTIO_CONSOLE_PORT_OPEN)
				in.acked = 1;
			in.ctrl_free[in.ctrl_free_count++] = cookie;
		}
		if (r < 0)
			input_broken("device returned a control message it was not given");
		while ((r = virtq_get_used(&in.rx, &cookie, &len)) == 1) {
			if (len == 0) {
				input_post(cookie);
				continue;
			}
			in.ready[(in.head + in.count++) % INPUT_BUFS] =
			    (struct input_buf){cookie, len < INPUT_BUF_BYTES ? len : INPUT_BUF_BYTES};
			wake = 1;
		}
		if (r < 0)
			input_broken("device returned an input buffer it was not given");
	} while (!in.eof && (virtq_used_arm(&in.ctrl_rx) | virtq_used_arm(&in.ctrl_tx) |
	                     virtq_used_arm(&in.rx)));
	if (in.acked && !in.connected)
		in.eof = 1;
	/* Our receive buffers were posted before the port was open; a notification now tells the
	 * device it may fill them (QEMU looks at its input source again only then). */
	if (in.acked && !in.rx_kicked) {
		in.rx_kicked = 1;
		virtio_mmio_notify(in.dev, &in.rx);
	}
	input_kick(&in.ctrl_rx);
	input_kick(&in.ctrl_tx);
	input_kick(&in.rx);
	return wake || in.eof != eof;
}

static void input_interrupt(struct virtio_device *dev, uint32_t status)
{
	(void)dev, (void)status;
	wait_queue_lock(&in.readers);
	int wake = input_collect();
	wait_queue_unlock(&in.readers);
	if (wake) {
		wait_queue_wake_all(&in.readers);
		console_input_notify();
	}
}

int virtio_console_input_init(struct virtio_device *dev, uint32_t ports)
{
	if (ports <= VIRTIO_CONSOLE_PORT_IN)
		return 0;
	in.dev = dev;
	wait_queue_init(&in.readers);
	int err = virtio_mmio_queue_setup(dev, &in.ctrl_rx, VIRTIO_CONSOLE_CTRL_RX_QUEUE,
	                                  INPUT_CTRL_BUFS);
	if (!err)
		err = virtio_mmio_queue_setup(dev, &in.ctrl_tx, VIRTIO_CONSOLE_CTRL_TX_QUEUE,
		                              INPUT_CTRL_BUFS);
	if (!err)
		err = virtio_mmio_queue_setup(dev, &in.rx,
		                              VIRTIO_CONSOLE_PORT_RXQ(VIRTIO_CONSOLE_PORT_IN),
		                              INPUT_BUFS);
	if (err)
		return err;
	unsigned bufs = in.rx.size, ctrl = in.ctrl_rx.size < in.ctrl_tx.size ? in.ctrl_rx.size
	                                                                        : in.ctrl_tx.size;
	in.pages = mm_pages_alloc(bufs);
	if (!in.pages) {
		virtio_mmio_fail(dev, "no memory for input buffers", -LINUX_ENOMEM);
		return -LINUX_ENOMEM;
	}
	for (unsigned i = 0; i < bufs; i++)
		input_post(in.pages + i * INPUT_BUF_BYTES);
	for (unsigned i = 0; i < ctrl; i++) {
		ctrl_post(&in.ctrl_in[i]);
		in.ctrl_free[in.ctrl_free_count++] = &in.ctrl_out[i];
	}
	return virtio_mmio_interrupt_enable(dev, input_interrupt);
}

/* The first read (or poll) tells the device the driver is ready (DEVICE_READY); the port
 * handshake follows in the interrupt handler. Until then the device has no reader for the port
 * and reads none of the host's input. Lock held. */
static void input_start(void)
{
	if (in.started || !in.dev)
		return;
	in.started = 1;
	ctrl_send(0, VIRTIO_CONSOLE_DEVICE_READY, 1);
	input_collect();
}

/* Copies what is ready into buf, giving back each buffer read to its end. Lock held. */
static size_t input_copy(char *buf, size_t len)
{
	size_t done = 0;
	while (done < len && in.count) {
		struct input_buf *b = &in.ready[in.head];
		size_t n = b->len - in.off;
		if (n > len - done)
			n = len - done;
		memcpy(buf + done, b->data + in.off, n);
		done += n;
		in.off += (uint32_t)n;
		if (in.off == b->len) {
			input_post(b->data);
			in.head = (in.head + 1) % INPUT_BUFS;
			in.count--;
			in.off = 0;
		}
	}
	if (done)
		input_kick(&in.rx);
	return done;
}

long console_read(char *buf, size_t len, int nonblock)
{
	if (!in.dev)
		return 0;
	wait_queue_lock(&in.readers);
	input_start();
	for (;;) {
		size_t n = input_copy(buf, len);
		if (n || len == 0 || in.eof) {
			wait_queue_unlock(&in.readers);
			return (long)n;
		}
		if (nonblock) {
			wait_queue_unlock(&in.readers);
			return -LINUX_EAGAIN;
		}
		wait_queue_sleep_io(&in.readers);
		wait_queue_lock(&in.readers);
	}
}

int console_read_ready(void)
{
	if (!in.dev)
		return 1;
	wait_queue_lock(&in.readers);
	input_start();
	int ready = in.count || in.eof;
	wait_queue_unlock(&in.readers);
	return ready;
}
