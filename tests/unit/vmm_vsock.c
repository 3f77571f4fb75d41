/* The virtio-vsock device model (virtio 1.2 §5.10) and the host muxer in one process, driven by
 * a fake driver that builds its rings in fake guest memory, against real Unix and TCP sockets
 * on 127.0.0.1: Firecracker's CONNECT handshake, data both ways, credit limits both ways,
 * half-close, RST to no connection, a host connection held until the guest listens, a guest
 * connecting out, a slow host reader (bounded buffering), a guest that posts no receive
 * buffers, a device reset, and malformed packets, none of which may crash anything. The event
 * loop runs on this thread (event_poll), as a vhost-user server runs it. */
// clang-format off
// SOURCES: vmm/dev/virtio_mmio.c vmm/virtio/device.c vmm/virtio/queue.c vmm/virtio/vsock.c vmm/backend/vsock.c vmm/backend/vsock_conn.c vmm/backend/vsock_setup.c vmm/event.c vmm/kvm/guest.c vmm/backend/term.c common/error.c tests/support/fake_driver.c
// clang-format on
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <toro/abi/virtio.h>

#include "backend/vsock.h"
#include "check.h"
#include "dev/virtio_mmio.h"
#include "event.h"
#include "fake_driver.h"
#include "kvm/guest.h"
#include "virtio/vsock.h"

#define RAM_SIZE    (4u << 20)
#define QNUM        64
#define GUEST_CID   3
#define RXBUF_GPA   0x100000ull
#define RXBUF_SIZE  (4096 + 44)
#define RXBUF_COUNT 32
#define TXBUF_GPA   0x200000ull
#define G_BUF       (1u << 20) /* the fake guest's buf_alloc */
#define HDR         sizeof(struct virtio_vsock_hdr)
#define RXQ         VIRTIO_VSOCK_RX_QUEUE
#define TXQ         VIRTIO_VSOCK_TX_QUEUE

static struct guest_mem mem;
static uint8_t *ram;
static struct virtio_mmio dev;
static struct virtio_vsock model;
static struct vsock_muxer *mux;
static struct event_loop ev;
static char sock_path[64];
static struct fake_driver drv = {.qnum = QNUM, .dev = &dev};
static uint32_t guest_fwd_cnt;  /* what the fake guest says it consumed */
static uint64_t extra_features; /* offered features the fake driver accepts besides the usual */

static int irqs;

static void count_irq(void *ctx, unsigned irq)
{
	(void)ctx;
	(void)irq;
	irqs++;
}

static void pump(int ms)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		event_poll(&ev, 5);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

static void rx_post(unsigned i)
{
	drv_set_desc(&drv, RXQ, i, RXBUF_GPA + i * 0x2000ull, RXBUF_SIZE, VIRTQ_DESC_F_WRITE, 0);
	drv_push(&drv, RXQ, (uint16_t)i);
}

/* §3.1.1 with the three queues, RXBUF_COUNT receive buffers posted. */
static void driver_init(int post_rx)
{
	static const unsigned queues[] = {RXQ, TXQ, VIRTIO_VSOCK_EVENT_QUEUE};
	guest_fwd_cnt = 0;
	drv_start(&drv,
	          (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_VSOCK_F_STREAM) | extra_features,
	          queues, 3);
	if (post_rx)
		for (unsigned i = 0; i < RXBUF_COUNT; i++)
			rx_post(i);
	drv_notify(&drv, RXQ);
}

static struct virtio_vsock_hdr hdr(uint16_t op, uint32_t src_port, uint32_t dst_port, uint32_t len)
{
	return (struct virtio_vsock_hdr){.src_cid = GUEST_CID,
	                                 .dst_cid = VSOCK_CID_HOST,
	                                 .src_port = src_port,
	                                 .dst_port = dst_port,
	                                 .len = len,
	                                 .type = VIRTIO_VSOCK_TYPE_STREAM,
	                                 .op = op,
	                                 .buf_alloc = G_BUF,
	                                 .fwd_cnt = guest_fwd_cnt};
}

/* Waits until the device returned the transmit chain, which must be the only one. */
static void tx_wait_used(void)
{
	struct virtq_used_elem e;
	int used = 0;
	for (int i = 0; i < 200 && !(used = drv_take_used(&drv, TXQ, &e)); i++)
		event_poll(&ev, 5);
	CHECK(used && e.id == 0);
	CHECK(!drv_take_used(&drv, TXQ, &e));
}

/* Transmits a header (descriptor 0, hdr_len bytes of it) and payload (descriptor 1) and waits
 * until the device returned the chain. */
static void tx_raw(const struct virtio_vsock_hdr *h, uint32_t hdr_len, const void *data,
                   uint32_t len)
{
	memcpy(ram + TXBUF_GPA, h, HDR);
	if (len)
		memcpy(ram + TXBUF_GPA + 0x1000, data, len);
	drv_set_desc(&drv, TXQ, 0, TXBUF_GPA, hdr_len, len ? VIRTQ_DESC_F_NEXT : 0, 1);
	drv_set_desc(&drv, TXQ, 1, TXBUF_GPA + 0x1000, len, 0, 0);
	drv_submit(&drv, TXQ, 0);
	tx_wait_used();
}

static void tx(uint16_t op, uint32_t src_port, uint32_t dst_port, const void *data, uint32_t len)
{
	struct virtio_vsock_hdr h = hdr(op, src_port, dst_port, len);
	tx_raw(&h, HDR, data, len);
}

/* Waits up to ms for a packet in a receive buffer: its header into h and payload into data
 * (up to 4096 bytes); the buffer is posted again (unless repost is 0). Returns 1 or 0. */
static int rx_wait(struct virtio_vsock_hdr *h, void *data, int ms, int repost)
{
	struct virtq_used_elem e;
	for (int waited = 0; !drv_take_used(&drv, RXQ, &e); waited += 5) {
		if (waited >= ms)
			return 0;
		event_poll(&ev, 5);
	}
	CHECK(e.id < RXBUF_COUNT && e.len >= HDR);
	const uint8_t *buf = ram + RXBUF_GPA + e.id * 0x2000ull;
	memcpy(h, buf, HDR);
	CHECK(h->len == e.len - HDR);
	CHECK(h->src_cid == VSOCK_CID_HOST && h->dst_cid == GUEST_CID);
	CHECK(h->type == VIRTIO_VSOCK_TYPE_STREAM || h->op == VIRTIO_VSOCK_OP_RST);
	if (data)
		memcpy(data, buf + HDR, h->len <= 4096 ? h->len : 4096);
	if (repost) {
		rx_post(e.id);
		drv_notify(&drv, RXQ);
	}
	return 1;
}

static int rx_expect(struct virtio_vsock_hdr *h, uint16_t op)
{
	if (!rx_wait(h, NULL, 2000, 1)) {
		fprintf(stderr, "no packet (wanted op %u)\n", op);
		return 0;
	}
	if (h->op != op)
		fprintf(stderr, "op %u, wanted %u\n", h->op, op);
	return h->op == op;
}

static int unix_connect(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads what fd has within ms, up to len bytes. */
static ssize_t read_some(int fd, void *buf, size_t len, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	for (int waited = 0; waited < ms; waited += 5) {
		if (poll(&p, 1, 0) == 1)
			return read(fd, buf, len);
		event_poll(&ev, 5);
	}
	return -2;
}

/* A host client through the Unix socket, connected to guest port gport; the fake guest accepts
 * it as gport. Returns the host fd and the host's port in *hport. */
static int connect_via_unix(uint32_t gport, uint32_t *hport)
{
	int fd = unix_connect(sock_path);
	CHECK(fd >= 0);
	char line[32];
	int n = snprintf(line, sizeof(line), "CONNECT %u\n", gport);
	CHECK(write(fd, line, (size_t)n) == n);
	struct virtio_vsock_hdr h;
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_REQUEST));
	CHECK(h.dst_port == gport && h.src_port >= (1u << 30));
	CHECK(h.buf_alloc > 0);
	*hport = h.src_port;
	tx(VIRTIO_VSOCK_OP_RESPONSE, gport, h.src_port, NULL, 0);
	char ok[32] = {0};
	ssize_t r = read_some(fd, ok, sizeof(ok) - 1, 2000);
	char want[32];
	snprintf(want, sizeof(want), "OK %u\n", h.src_port);
	CHECK(r > 0);
	CHECK_STR(ok, want);
	return fd;
}

/* §5.10.4: the config space and the features. */
static void test_5_10_4_config(void)
{
	CHECK(drv_rd(&drv, VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_VSOCK);
	drv_wr(&drv, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK(drv_rd(&drv, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << VIRTIO_VSOCK_F_STREAM));
	uint64_t cid = 0;
	virtio_mmio_read(&dev, VIRTIO_MMIO_CONFIG, &cid, 8);
	CHECK(cid == GUEST_CID);
	uint32_t hi = 1;
	virtio_mmio_read(&dev, VIRTIO_MMIO_CONFIG + 4, &hi, 4);
	CHECK(hi == 0);
}

/* Firecracker's handshake, then data both ways. */
static void test_connect_and_data(void)
{
	driver_init(1);
	uint32_t hport;
	int fd = connect_via_unix(1234, &hport);
	CHECK(write(fd, "ping", 4) == 4);
	struct virtio_vsock_hdr h;
	char data[4096];
	CHECK(rx_wait(&h, data, 2000, 1) && h.op == VIRTIO_VSOCK_OP_RW && h.len == 4);
	CHECK(memcmp(data, "ping", 4) == 0 && h.src_port == hport && h.dst_port == 1234);
	tx(VIRTIO_VSOCK_OP_RW, 1234, hport, "pong!", 5);
	char got[8] = {0};
	CHECK(read_some(fd, got, sizeof(got), 2000) == 5 && memcmp(got, "pong!", 5) == 0);
	/* The guest closes: SHUTDOWN both ways; the host sees the end, the guest an RST. */
	struct virtio_vsock_hdr s = hdr(VIRTIO_VSOCK_OP_SHUTDOWN, 1234, hport, 0);
	s.flags = VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND;
	tx_raw(&s, HDR, NULL, 0);
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_RST));
	CHECK(read_some(fd, got, sizeof(got), 2000) == 0);
	close(fd);
	struct vsock_muxer_stats st;
	vsock_muxer_get_stats(mux, &st);
	CHECK(st.connections == 0);
	/* A bad CONNECT line: the client is dropped, the guest hears nothing. */
	fd = unix_connect(sock_path);
	CHECK(write(fd, "CONNECT x\n", 10) == 10);
	CHECK(read_some(fd, got, sizeof(got), 2000) == 0);
	CHECK(!rx_wait(&h, NULL, 50, 1));
	close(fd);
}

/* §5.10.6.3: never more than the guest's credit; more after its CREDIT_UPDATE. */
static void test_5_10_6_3_credit_to_guest(void)
{
	driver_init(1);
	uint32_t hport;
	int fd = connect_via_unix(77, &hport);
	/* The guest grants only 100 bytes: RESPONSE above gave G_BUF, so say it again smaller. */
	struct virtio_vsock_hdr cu = hdr(VIRTIO_VSOCK_OP_CREDIT_UPDATE, 77, hport, 0);
	cu.buf_alloc = 100;
	tx_raw(&cu, HDR, NULL, 0);
	char big[300];
	memset(big, 'x', sizeof(big));
	CHECK(write(fd, big, sizeof(big)) == (ssize_t)sizeof(big));
	uint32_t got = 0;
	struct virtio_vsock_hdr h;
	while (rx_wait(&h, NULL, 200, 1))
		got += h.op == VIRTIO_VSOCK_OP_RW ? h.len : 0;
	CHECK(got == 100);
	cu.fwd_cnt = 100; /* consumed it all: 100 more */
	tx_raw(&cu, HDR, NULL, 0);
	while (rx_wait(&h, NULL, 200, 1))
		got += h.op == VIRTIO_VSOCK_OP_RW ? h.len : 0;
	CHECK(got == 200);
	/* A CREDIT_REQUEST is answered with our credit. */
	struct virtio_vsock_hdr cr = cu;
	cr.op = VIRTIO_VSOCK_OP_CREDIT_REQUEST;
	tx_raw(&cr, HDR, NULL, 0);
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_CREDIT_UPDATE) && h.buf_alloc > 0);
	close(fd);
	/* The host closed: its end of stream reaches the guest as SHUTDOWN(SEND). */
	cu.fwd_cnt = 200;
	tx_raw(&cu, HDR, NULL, 0);
	got = 0;
	while (rx_wait(&h, NULL, 300, 1) && h.op == VIRTIO_VSOCK_OP_RW)
		got += h.len;
	CHECK(got == 100);
	/* The end of stream is found by reading, which takes credit: the guest gives some. */
	cu.fwd_cnt = 300;
	tx_raw(&cu, HDR, NULL, 0);
	CHECK(rx_wait(&h, NULL, 2000, 1));
	CHECK(h.op == VIRTIO_VSOCK_OP_SHUTDOWN && (h.flags & VIRTIO_VSOCK_SHUTDOWN_SEND));
}

/* Half-close: the host stops sending and still receives; then the guest closes. */
static void test_half_close(void)
{
	driver_init(1);
	uint32_t hport;
	int fd = connect_via_unix(80, &hport);
	shutdown(fd, SHUT_WR);
	struct virtio_vsock_hdr h;
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_SHUTDOWN));
	CHECK(h.flags == VIRTIO_VSOCK_SHUTDOWN_SEND);
	tx(VIRTIO_VSOCK_OP_RW, 80, hport, "after", 5);
	char got[8] = {0};
	CHECK(read_some(fd, got, sizeof(got), 2000) == 5 && memcmp(got, "after", 5) == 0);
	/* The guest's send half only: the host sees end of stream, the connection lives on. */
	struct virtio_vsock_hdr s = hdr(VIRTIO_VSOCK_OP_SHUTDOWN, 80, hport, 0);
	s.flags = VIRTIO_VSOCK_SHUTDOWN_SEND;
	tx_raw(&s, HDR, NULL, 0);
	CHECK(read_some(fd, got, sizeof(got), 2000) == 0);
	CHECK(!rx_wait(&h, NULL, 50, 1));
	s.flags = VIRTIO_VSOCK_SHUTDOWN_RCV;
	tx_raw(&s, HDR, NULL, 0);
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_RST));
	close(fd);
}

/* §5.10.6.4: packets of no connection get an RST; so does a connect to no host listener. */
static void test_5_10_6_4_rst(void)
{
	driver_init(1);
	struct virtio_vsock_hdr h;
	tx(VIRTIO_VSOCK_OP_RW, 1000, 2000, "x", 1);
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_RST) && h.src_port == 2000 && h.dst_port == 1000);
	tx(VIRTIO_VSOCK_OP_REQUEST, 1001, 9999, NULL, 0); /* no PATH_9999 */
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_RST) && h.src_port == 9999 && h.dst_port == 1001);
	tx(VIRTIO_VSOCK_OP_RST, 1002, 2000, NULL, 0); /* an RST is never answered */
	CHECK(!rx_wait(&h, NULL, 50, 1));
}

/* The guest connects to the host's port P: the Unix socket PATH_P. */
static void test_guest_connects_out(void)
{
	driver_init(1);
	char path[96];
	snprintf(path, sizeof(path), "%s_5000", sock_path);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	CHECK(bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 4) == 0);
	tx(VIRTIO_VSOCK_OP_REQUEST, 4444, 5000, NULL, 0);
	struct virtio_vsock_hdr h;
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_RESPONSE) && h.src_port == 5000 && h.dst_port == 4444);
	int fd = accept(l, NULL, NULL);
	CHECK(fd >= 0);
	tx(VIRTIO_VSOCK_OP_RW, 4444, 5000, "hello", 5);
	char got[8] = {0};
	CHECK(read_some(fd, got, sizeof(got), 2000) == 5 && memcmp(got, "hello", 5) == 0);
	CHECK(write(fd, "hi", 2) == 2);
	char data[4096];
	CHECK(rx_wait(&h, data, 2000, 1) && h.op == VIRTIO_VSOCK_OP_RW && h.len == 2);
	/* The host peer resets: the guest gets an RST after the stream's end. */
	close(fd);
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_SHUTDOWN));
	tx(VIRTIO_VSOCK_OP_RST, 4444, 5000, NULL, 0);
	struct vsock_muxer_stats st;
	vsock_muxer_get_stats(mux, &st);
	CHECK(st.connections == 0);
	close(l);
	unlink(path);
}

static int tcp_connect(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A --forward connection made before the guest listens is held and asked again. */
static void test_held_until_listen(uint16_t fwd_port)
{
	driver_init(1);
	int fd = tcp_connect(fwd_port);
	CHECK(fd >= 0);
	struct virtio_vsock_hdr h;
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_REQUEST) && h.dst_port == 7000);
	tx(VIRTIO_VSOCK_OP_RST, 7000, h.src_port, NULL, 0); /* nobody listens yet */
	struct vsock_muxer_stats st;
	vsock_muxer_get_stats(mux, &st);
	CHECK(st.held == 1);
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_REQUEST) && h.dst_port == 7000); /* asked again */
	tx(VIRTIO_VSOCK_OP_RESPONSE, 7000, h.src_port, NULL, 0);
	CHECK(write(fd, "late", 4) == 4);
	char data[4096];
	CHECK(rx_wait(&h, data, 2000, 1) && h.op == VIRTIO_VSOCK_OP_RW && h.len == 4);
	CHECK(memcmp(data, "late", 4) == 0);
	close(fd);
	/* Refused past the deadline (hold_ms is 400 here): the client's connection is closed. The
	 * fake guest keeps refusing every REQUEST, as one that is not listening does. */
	fd = tcp_connect(fwd_port);
	char c;
	ssize_t got = -2;
	for (int waited = 0; waited < 3000 && got == -2; waited += 10) {
		if (rx_wait(&h, NULL, 5, 1) && h.op == VIRTIO_VSOCK_OP_REQUEST)
			tx(VIRTIO_VSOCK_OP_RST, 7000, h.src_port, NULL, 0);
		got = read_some(fd, &c, 1, 5);
	}
	CHECK(got == 0);
	vsock_muxer_get_stats(mux, &st);
	CHECK(st.held == 0);
	close(fd);
}

/* A guest that is listening but slow to answer (busy with other connections) keeps the host
 * client: the hold deadline bounds waiting for a guest that refuses (not listening yet), not a
 * REQUEST the guest has still to answer. Unix and TCP clients alike. */
static void test_slow_answer_not_dropped(uint16_t fwd_port)
{
	driver_init(1);
	int ufd = unix_connect(sock_path);
	CHECK(ufd >= 0);
	CHECK(write(ufd, "CONNECT 7001\n", 13) == 13);
	struct virtio_vsock_hdr h;
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_REQUEST) && h.dst_port == 7001);
	uint32_t uport = h.src_port;
	int tfd = tcp_connect(fwd_port);
	CHECK(tfd >= 0);
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_REQUEST) && h.dst_port == 7000);
	uint32_t tport = h.src_port;
	/* Twice hold_ms (400) with no answer: neither client is closed. */
	char buf[32] = {0};
	CHECK(read_some(ufd, buf, sizeof(buf) - 1, 800) == -2);
	CHECK(read_some(tfd, buf, sizeof(buf) - 1, 10) == -2);
	tx(VIRTIO_VSOCK_OP_RESPONSE, 7001, uport, NULL, 0);
	tx(VIRTIO_VSOCK_OP_RESPONSE, 7000, tport, NULL, 0);
	char want[32];
	snprintf(want, sizeof(want), "OK %u\n", uport);
	CHECK(read_some(ufd, buf, sizeof(buf) - 1, 2000) == (ssize_t)strlen(want));
	CHECK_STR(buf, want);
	CHECK(write(tfd, "tcp", 3) == 3);
	char data[4096];
	CHECK(rx_wait(&h, data, 2000, 1) && h.op == VIRTIO_VSOCK_OP_RW && h.len == 3 &&
	      h.src_port == tport);
	close(ufd);
	close(tfd);
	while (rx_wait(&h, NULL, 100, 1))
		;
}

/* A host reader that stops reading: we buffer at most the credit we granted, then a guest that
 * sends beyond it is reset; draining gives credit back. */
static void test_slow_host_reader(void)
{
	driver_init(1);
	uint32_t hport;
	int fd = connect_via_unix(90, &hport);
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	static char chunk[4096];
	memset(chunk, 'z', sizeof(chunk));
	uint64_t sent = 0;
	uint32_t peer_fwd = 0, peer_buf = 0;
	struct virtio_vsock_hdr h;
	/* Send what our credit allows (the REQUEST told the guest buf_alloc and fwd_cnt 0). */
	peer_buf = 256 * 1024;
	while (sent + sizeof(chunk) <= peer_buf - 0u + peer_fwd) {
		tx(VIRTIO_VSOCK_OP_RW, 90, hport, chunk, sizeof(chunk));
		sent += sizeof(chunk);
		while (rx_wait(&h, NULL, 0, 1))
			if (h.op == VIRTIO_VSOCK_OP_CREDIT_UPDATE || h.op == VIRTIO_VSOCK_OP_RW)
				peer_fwd = h.fwd_cnt;
	}
	struct vsock_muxer_stats st;
	vsock_muxer_get_stats(mux, &st);
	CHECK(st.buffered > 0 && st.buffered <= 256 * 1024);
	/* Beyond the credit: the connection is reset, the monitor is not hurt. */
	for (int i = 0; i < 80 && st.connections; i++) {
		tx(VIRTIO_VSOCK_OP_RW, 90, hport, chunk, sizeof(chunk));
		vsock_muxer_get_stats(mux, &st);
	}
	CHECK(st.connections == 0 && st.buffered == 0);
	int rst = 0;
	while (rx_wait(&h, NULL, 100, 1))
		rst |= h.op == VIRTIO_VSOCK_OP_RST;
	CHECK(rst);
	close(fd);

	/* A reader that drains: credit comes back as CREDIT_UPDATE, nothing is lost. */
	fd = connect_via_unix(91, &hport);
	uint64_t total = 0, read_back = 0;
	int updates = 0;
	char buf[65536];
	for (int i = 0; i < 128; i++) {
		tx(VIRTIO_VSOCK_OP_RW, 91, hport, chunk, sizeof(chunk));
		total += sizeof(chunk);
		ssize_t r;
		while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			read_back += (uint64_t)r;
		event_poll(&ev, 0);
		while (rx_wait(&h, NULL, 0, 1))
			updates += h.op == VIRTIO_VSOCK_OP_CREDIT_UPDATE;
	}
	while (read_back < total) {
		ssize_t r = read_some(fd, buf, sizeof(buf), 1000);
		if (r <= 0)
			break;
		read_back += (uint64_t)r;
	}
	CHECK(read_back == total);
	vsock_muxer_get_stats(mux, &st);
	CHECK(st.connections == 1);
	(void)updates;
	close(fd);
}

/* With no receive buffers the muxer reads nothing from the host, until the driver posts some. */
static void test_no_rx_buffers(void)
{
	driver_init(1);
	uint32_t hport;
	int fd = connect_via_unix(60, &hport);
	/* Take every posted buffer away: the driver does not repost what the device used. */
	for (int i = 0; i < 3; i++)
		CHECK(write(fd, "abcd", 4) == 4);
	struct virtio_vsock_hdr h;
	unsigned id_count = 0;
	uint32_t bytes = 0;
	while (rx_wait(&h, NULL, 100, 0)) {
		id_count++;
		bytes += h.len;
	}
	/* RXBUF_COUNT - 1 are left (connect_via_unix reposted); use them up. */
	static char junk[RXBUF_COUNT * 4096];
	memset(junk, 'j', sizeof(junk));
	CHECK(write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk));
	while (rx_wait(&h, NULL, 100, 0)) {
		id_count++;
		bytes += h.len;
	}
	CHECK(id_count == RXBUF_COUNT);
	CHECK(bytes < 12 + sizeof(junk)); /* the rest waits in the host socket */
	for (unsigned i = 0; i < RXBUF_COUNT; i++)
		rx_post(i);
	drv_wr(&drv, VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
	while (rx_wait(&h, NULL, 200, 1)) {
		bytes += h.len;
		if (h.op == VIRTIO_VSOCK_OP_RW) { /* consume it, as a reading guest would */
			guest_fwd_cnt += h.len;
			tx(VIRTIO_VSOCK_OP_CREDIT_UPDATE, 60, hport, NULL, 0);
		}
	}
	CHECK(bytes == 12 + sizeof(junk));
	close(fd);
}

/* A driver reset with connections open: the host peers of connections the guest knew see them
 * end; a host connection still waiting for the guest is asked for again (a driver resets the
 * device as it starts, and a client may have connected before the guest booted). */
static void test_reset_closes(uint16_t fwd_port)
{
	driver_init(1);
	uint32_t hport;
	int fd = connect_via_unix(61, &hport);
	int waiting = tcp_connect(fwd_port);
	struct virtio_vsock_hdr h;
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_REQUEST) && h.dst_port == 7000);
	drv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
	char c;
	CHECK(read_some(fd, &c, 1, 2000) == 0);
	close(fd);
	struct vsock_muxer_stats st;
	vsock_muxer_get_stats(mux, &st);
	CHECK(st.connections == 1);
	driver_init(1);
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_REQUEST) && h.dst_port == 7000);
	tx(VIRTIO_VSOCK_OP_RESPONSE, 7000, h.src_port, NULL, 0);
	CHECK(write(waiting, "again", 5) == 5);
	char data[4096];
	CHECK(rx_wait(&h, data, 2000, 1) && h.op == VIRTIO_VSOCK_OP_RW && h.len == 5);
	drv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
	CHECK(read_some(waiting, &c, 1, 2000) == 0);
	close(waiting);
	vsock_muxer_get_stats(mux, &st);
	CHECK(st.connections == 0);
}

/* Malformed packets: dropped or answered with RST, never a crash. */
static void test_malformed(void)
{
	driver_init(1);
	uint64_t before = model.malformed;
	struct virtio_vsock_hdr h = hdr(VIRTIO_VSOCK_OP_RW, 1, 2, 0);
	tx_raw(&h, 20, NULL, 0); /* a header cut short */
	h.len = 100;
	tx_raw(&h, HDR, "abc", 3); /* len beyond the chain */
	h = hdr(VIRTIO_VSOCK_OP_REQUEST, 1, 2, 0);
	h.src_cid = 42; /* not our guest */
	tx_raw(&h, HDR, NULL, 0);
	h = hdr(VIRTIO_VSOCK_OP_REQUEST, 1, 2, 0);
	h.dst_cid = 7; /* not the host */
	tx_raw(&h, HDR, NULL, 0);
	CHECK(model.malformed == before + 4);
	struct virtio_vsock_hdr r;
	CHECK(!rx_wait(&r, NULL, 50, 1));
	h = hdr(99, 5, 6, 0); /* an unknown op */
	tx_raw(&h, HDR, NULL, 0);
	CHECK(rx_expect(&r, VIRTIO_VSOCK_OP_RST));
	h = hdr(VIRTIO_VSOCK_OP_REQUEST, 5, 6, 0);
	h.type = VIRTIO_VSOCK_TYPE_SEQPACKET; /* not offered */
	tx_raw(&h, HDR, NULL, 0);
	CHECK(rx_expect(&r, VIRTIO_VSOCK_OP_RST));
	/* An unknown op on a live connection ends it. */
	uint32_t hport;
	int fd = connect_via_unix(62, &hport);
	tx(99, 62, hport, NULL, 0);
	CHECK(rx_expect(&r, VIRTIO_VSOCK_OP_RST));
	char c;
	CHECK(read_some(fd, &c, 1, 2000) == 0);
	close(fd);
	/* A receive buffer too small for a header breaks the device, which asks for a reset. */
	driver_init(0);
	fd = unix_connect(sock_path);
	drv_set_desc(&drv, RXQ, 40, RXBUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	drv_push(&drv, RXQ, 40);
	drv_wr(&drv, VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
	CHECK(write(fd, "CONNECT 1\n", 10) == 10);
	pump(100);
	CHECK(drv_rd(&drv, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	close(fd);
}

struct other_write {
	uint64_t off;
	uint32_t v;
};

static void *other_write_thread(void *arg)
{
	struct other_write *w = arg;
	virtio_mmio_write(&dev, w->off, &w->v, 4);
	return NULL;
}

/* A register write from another thread, as a vCPU makes one where there is no ioeventfd. */
static void wr_from_vcpu(uint64_t off, uint32_t v)
{
	struct other_write w = {off, v};
	pthread_t t;
	pthread_create(&t, NULL, other_write_thread, &w);
	pthread_join(t, NULL);
}

/* A notification or reset on a thread other than the loop's is carried out on the loop's
 * thread (the muxer's sockets are only touched there): a vCPU's QueueNotify and a driver's reset
 * as it starts, which keeps a host connection that arrived before boot. */
static void test_notify_and_reset_from_vcpu(uint16_t fwd_port)
{
	driver_init(1);
	int waiting = tcp_connect(fwd_port);
	struct virtio_vsock_hdr h;
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_REQUEST) && h.dst_port == 7000);
	/* A RESPONSE notified from "a vCPU": nothing happens until the loop runs. */
	struct virtio_vsock_hdr r = hdr(VIRTIO_VSOCK_OP_RESPONSE, 7000, h.src_port, 0);
	memcpy(ram + TXBUF_GPA, &r, HDR);
	drv_set_desc(&drv, TXQ, 0, TXBUF_GPA, HDR, 0, 0);
	drv_push(&drv, TXQ, 0);
	wr_from_vcpu(VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
	CHECK(drv_used(&drv, TXQ)->idx == drv.used_seen[TXQ]);
	pump(20);
	tx_wait_used();
	/* More data than the guest has receive buffers (31 left, none reposted): the rest waits
	 * with the connection. */
	static char lots[40 * 4096];
	memset(lots, 'v', sizeof(lots));
	CHECK(write(waiting, lots, sizeof(lots)) == (ssize_t)sizeof(lots));
	uint32_t got = 0;
	while (rx_wait(&h, NULL, 100, 0))
		got += h.op == VIRTIO_VSOCK_OP_RW ? h.len : 0;
	CHECK(got > 0 && got < sizeof(lots));
	/* The driver resets and starts again, all on "a vCPU", while the loop does not run; the
	 * old connection's data must not reach the new driver. */
	drv.write_reg = wr_from_vcpu;
	static const unsigned queues[] = {RXQ, TXQ, VIRTIO_VSOCK_EVENT_QUEUE};
	drv_start(&drv, 1ull << VIRTIO_F_VERSION_1, queues, 3);
	drv.write_reg = NULL;
	for (unsigned i = 0; i < RXBUF_COUNT; i++)
		rx_post(i);
	drv_notify(&drv, RXQ); /* through the "ioeventfd" */
	CHECK(!rx_wait(&h, NULL, 100, 1));
	char c;
	ssize_t end = read_some(waiting, &c, 1, 2000); /* a reset: it had unread data */
	CHECK(end == 0 || end == -1);
	close(waiting);
	struct vsock_muxer_stats st;
	vsock_muxer_get_stats(mux, &st);
	CHECK(st.connections == 0);
}

/* Out of file descriptors: the listeners are not watched (no busy loop on a connection that
 * cannot be accepted) until a connection ends. */
static void test_out_of_descriptors(uint16_t fwd_port)
{
	driver_init(1);
	uint32_t hport;
	int fd = connect_via_unix(63, &hport);
	struct rlimit old, low;
	getrlimit(RLIMIT_NOFILE, &old);
	int next = dup(0); /* the lowest free descriptor: the client gets it, accept none */
	close(next);
	low = old;
	low.rlim_cur = (rlim_t)next + 1;
	setrlimit(RLIMIT_NOFILE, &low);
	int waiting = tcp_connect(fwd_port);
	CHECK(waiting >= 0);
	pump(250); /* the deadline timer stops at its first tick with nothing waiting */
	CHECK(event_poll(&ev, 50) == 0); /* nothing ready: the listener is paused */
	struct vsock_muxer_stats st;
	vsock_muxer_get_stats(mux, &st);
	CHECK(st.connections == 1);
	setrlimit(RLIMIT_NOFILE, &old);
	tx(VIRTIO_VSOCK_OP_RST, 63, hport, NULL, 0); /* a connection ends */
	struct virtio_vsock_hdr h;
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_REQUEST) && h.dst_port == 7000);
	tx(VIRTIO_VSOCK_OP_RESPONSE, 7000, h.src_port, NULL, 0);
	close(fd);
	close(waiting);
	drv_wr(&drv, VIRTIO_MMIO_STATUS, 0);
	vsock_muxer_get_stats(mux, &st);
	CHECK(st.connections == 0);
}

/* §2.7.10: with VIRTIO_F_EVENT_IDX an interrupt comes only when used_event asks for one, and
 * the device asks for notifications with avail_event when it finds a queue empty. */
static void test_2_7_10_event_idx(void)
{
	extra_features = 1ull << VIRTIO_F_EVENT_IDX;
	driver_init(1);
	extra_features = 0;
	CHECK(drv_rd(&drv, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
	drv_avail(&drv, TXQ)->ring[QNUM] = (uint16_t)(drv.used_seen[TXQ] + 100); /* never */
	uint16_t u = drv_used(&drv, RXQ)->idx;
	drv_avail(&drv, RXQ)->ring[QNUM] = (uint16_t)(u + 1); /* at the second packet */
	irqs = 0;
	struct virtio_vsock_hdr h;
	tx(VIRTIO_VSOCK_OP_RW, 1000, 2000, "x", 1);
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_RST));
	CHECK(irqs == 0);
	tx(VIRTIO_VSOCK_OP_RW, 1000, 2000, "x", 1);
	CHECK(rx_expect(&h, VIRTIO_VSOCK_OP_RST));
	CHECK(irqs == 1);
	uint16_t avail_event;
	memcpy(&avail_event, &drv_used(&drv, TXQ)->ring[QNUM], 2);
	CHECK(avail_event == drv_avail(&drv, TXQ)->idx);
}

static uint16_t free_tcp_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(a);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &len);
	close(fd);
	return ntohs(a.sin_port);
}

int main(void)
{
	if (drv_ram_init(&drv, &mem, RAM_SIZE))
		return 1;
	ram = drv.ram;
	snprintf(sock_path, sizeof(sock_path), "/tmp/toro-vsock-test-%d.sock", (int)getpid());
	uint16_t fwd_port = free_tcp_port();
	struct vsock_config cfg = {.enabled = 1,
	                           .guest_cid = GUEST_CID,
	                           .uds_path = sock_path,
	                           .nforwards = 1,
	                           .forwards = {{htonl(INADDR_LOOPBACK), fwd_port, 7000}},
	                           .hold_ms = 400};
	/* A stale socket file, as a killed run leaves: replaced. */
	int stale = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	CHECK(bind(stale, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(stale);
	char err[256];
	mux = vsock_muxer_open(&cfg, err, sizeof(err));
	if (!mux) {
		fprintf(stderr, "vsock_muxer_open: %s\n", err);
		return 1;
	}
	struct virtio_vsock_backend be;
	vsock_muxer_backend(mux, &be);
	virtio_vsock_init(&model, GUEST_CID, &be);
	virtio_mmio_init(&dev, &virtio_vsock_ops, &model, &mem, 0xd0000000, 5, count_irq, NULL);
	CHECK(event_init(&ev, err, sizeof(err)) == 0);
	CHECK(vsock_muxer_attach(mux, &dev.dev, &ev, err, sizeof(err)) == 0);
	event_poll(&ev, 0); /* this thread dispatches from now on */

	/* A second muxer on the same path or port is refused. */
	CHECK(!vsock_muxer_open(&cfg, err, sizeof(err)) && strstr(err, "in use"));

	test_5_10_4_config();
	test_connect_and_data();
	test_5_10_6_3_credit_to_guest();
	test_half_close();
	test_5_10_6_4_rst();
	test_guest_connects_out();
	test_held_until_listen(fwd_port);
	test_slow_answer_not_dropped(fwd_port);
	test_slow_host_reader();
	test_no_rx_buffers();
	test_reset_closes(fwd_port);
	test_notify_and_reset_from_vcpu(fwd_port);
	test_out_of_descriptors(fwd_port);
	test_2_7_10_event_idx();
	test_malformed();

	vsock_muxer_close(mux);
	struct stat st;
	CHECK(stat(sock_path, &st) < 0 && errno == ENOENT);
	event_destroy(&ev);
	free(ram);
	return check_summary("vmm_vsock");
}
