/* libFuzzer target: the virtio-vsock model and muxer fed guest packets made from the fuzzer's
 * bytes, through a fake driver's transmit queue, with receive buffers posted and taken back as
 * the bytes say; host sockets are real (a listener at PATH_P for guest port 1, so connections
 * come to life). Whatever arrives, nothing may crash, leak or read outside guest memory. Each
 * input ends with a driver reset, which must leave no connection behind. */
// clang-format off
// SOURCES: vmm/dev/virtio_mmio.c vmm/virtio/device.c vmm/virtio/queue.c vmm/virtio/vsock.c vmm/backend/vsock.c vmm/backend/vsock_conn.c vmm/backend/vsock_setup.c vmm/event.c vmm/kvm/guest.c vmm/backend/term.c common/error.c tests/support/fake_driver.c
// clang-format on
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <toro/abi/virtio.h>

#include "backend/vsock.h"
#include "dev/virtio_mmio.h"
#include "event.h"
#include "fake_driver.h"
#include "kvm/guest.h"
#include "virtio/vsock.h"

#define RAM_SIZE  (1u << 20)
#define QNUM      16
#define GUEST_CID 3
#define RXBUF_GPA DRV_BUF_OFF
#define TXBUF_GPA 0x80000ull
#define HDR       sizeof(struct virtio_vsock_hdr)
#define RXQ       VIRTIO_VSOCK_RX_QUEUE
#define TXQ       VIRTIO_VSOCK_TX_QUEUE

static struct guest_mem mem;
static uint8_t *ram;
static struct virtio_mmio dev;
static struct virtio_vsock model;
static struct fake_driver drv = {.qnum = QNUM, .dev = &dev};
static struct vsock_muxer *mux;
static struct event_loop ev;
static int peer_listener = -1;
static char sock_path[64];

static void no_irq(void *ctx, unsigned irq)
{
	(void)ctx;
	(void)irq;
}

static void driver_init(void)
{
	static const unsigned queues[] = {RXQ, TXQ, VIRTIO_VSOCK_EVENT_QUEUE};
	drv_start(&drv, 1ull << VIRTIO_F_VERSION_1, queues, 3);
}

static void teardown(void)
{
	char path[80];
	snprintf(path, sizeof(path), "%s_1", sock_path);
	unlink(path);
	vsock_muxer_close(mux); /* removes sock_path */
}

static void setup(void)
{
	if (drv_ram_init(&drv, &mem, RAM_SIZE))
		abort();
	ram = drv.ram;
	snprintf(sock_path, sizeof(sock_path), "/tmp/toro-vsock-fuzz-%d.sock", (int)getpid());
	struct vsock_config cfg = {.enabled = 1, .guest_cid = GUEST_CID, .uds_path = sock_path};
	char err[256];
	mux = vsock_muxer_open(&cfg, err, sizeof(err));
	if (!mux) {
		fprintf(stderr, "vsock fuzz: %s\n", err);
		abort();
	}
	struct virtio_vsock_backend be;
	vsock_muxer_backend(mux, &be);
	virtio_vsock_init(&model, GUEST_CID, &be);
	virtio_mmio_init(&dev, &virtio_vsock_ops, &model, &mem, 0xd0000000, 5, no_irq, NULL);
	if (event_init(&ev, err, sizeof(err)) ||
	    vsock_muxer_attach(mux, &dev.dev, &ev, err, sizeof(err)))
		abort();
	event_poll(&ev, 0);
	/* Guest port 1 reaches a host listener, so REQUESTs to it make connections. */
	peer_listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s_1", sock_path);
	unlink(a.sun_path);
	if (bind(peer_listener, (struct sockaddr *)&a, sizeof(a)) || listen(peer_listener, 64))
		abort();
	atexit(teardown);
}

/* Takes n bytes of the input (zeros past its end). */
static void take(const uint8_t **p, size_t *left, void *out, size_t n)
{
	size_t k = n < *left ? n : *left;
	memset(out, 0, n);
	memcpy(out, *p, k);
	*p += k;
	*left -= k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!mux)
		setup();
	driver_init();
	uint16_t next_desc = 0;
	while (size > 0) {
		uint8_t action;
		take(&data, &size, &action, 1);
		if (action & 1) { /* post a receive buffer of a fuzzed size */
			uint16_t len;
			take(&data, &size, &len, 2);
			uint16_t i = next_desc++ % QNUM;
			drv_set_desc(&drv, RXQ, i, RXBUF_GPA + i * 0x1000ull, len % 0x1100,
			             VIRTQ_DESC_F_WRITE, 0);
			drv_submit(&drv, RXQ, i);
			continue;
		}
		/* A packet: a header (mostly guest-shaped, so it gets past the model's checks), a
		 * split point and up to 256 payload bytes. */
		struct virtio_vsock_hdr h;
		uint8_t split, plen;
		take(&data, &size, &h, HDR);
		take(&data, &size, &split, 1);
		take(&data, &size, &plen, 1);
		if (action & 2) {
			h.src_cid = GUEST_CID;
			h.dst_cid = VSOCK_CID_HOST;
			h.type = action & 4 ? VIRTIO_VSOCK_TYPE_STREAM : h.type;
			h.op %= 9;
			h.dst_port %= 4;
			h.src_port %= 4;
			if (action & 8)
				h.len = plen;
		}
		uint8_t *buf = ram + TXBUF_GPA;
		memcpy(buf, &h, HDR);
		take(&data, &size, buf + HDR, plen);
		uint32_t total = (uint32_t)HDR + plen, cut = split % (total + 1);
		drv_set_desc(&drv, TXQ, 0, TXBUF_GPA, cut, VIRTQ_DESC_F_NEXT, 1);
		drv_set_desc(&drv, TXQ, 1, TXBUF_GPA + cut, total - cut,
		             action & 16 ? VIRTQ_DESC_F_WRITE : 0, 0);
		drv_submit(&drv, TXQ, 0);
		event_poll(&ev, 0);
	}
	event_poll(&ev, 0);
	drv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
	struct vsock_muxer_stats st;
	vsock_muxer_get_stats(mux, &st);
	if (st.connections != 0)
		abort();
	int fd;
	while ((fd = accept(peer_listener, NULL, NULL)) >= 0)
		close(fd);
	return 0;
}
