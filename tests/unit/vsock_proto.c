/* kernel/net's vsock protocol (kernel/net/vsock.c, virtio 1.2 §5.10.6) against a fake transport
 * and a scripted peer, the host (CID 2), in one process: the handshake both ways, data both
 * ways, credit flow control (never past the peer's credit, a credit update when ours runs low),
 * RST for packets to no socket, half-close, backlog overflow, refused and timed-out connects,
 * close with unread data, the transport reset, many connections at once, and waits a signal
 * ends. Blocking calls run single-threaded: a "wait" runs the peer's script, which may answer,
 * instead of parking. */
// SOURCES: kernel/net/vsock.c
#include "../../kernel/net/net.h"

#include <kernel/vsock.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <toro/abi/linux.h>

#include "check.h"

#define GUEST_CID 3
#define HOST_CID  2
#define HDR_SIZE  sizeof(struct virtio_vsock_hdr)

/* ---- The environment: the host heap, a fake clock, waits that run the peer. */

static long allocs_outstanding, packets_outstanding;
static uint64_t now_ns = 1000;
static uint64_t transport_cid = GUEST_CID;
static int transport_fail; /* vsock_transport_send's next results: 0, or an -errno for all */
static int timer_changes;
static int interrupt_waits; /* waits end with -EINTR, as a signal would end them */

/* What the peer does when a guest call would block: looks at what the guest sent and answers.
 * Returns 1 if it delivered anything. NULL: the peer is silent. */
static int (*peer_script)(void);

void *vsock_env_alloc(size_t size)
{
	allocs_outstanding++;
	return malloc(size);
}

void vsock_env_free(void *p)
{
	if (p)
		allocs_outstanding--;
	free(p);
}

uint64_t vsock_env_now_ns(void)
{
	return now_ns;
}

void vsock_env_wait_prepare(struct vsock_waiter *w, int io_wait)
{
	CHECK(io_wait == 1); /* a socket wait is a wait for the device */
	w->thread = w;
}

/* A wait returns once the peer woke the waiter; a peer with nothing to say lets a deadline pass
 * (the clock jumps to it) and fails a test that would block for ever. */
int vsock_env_wait_block(struct vsock_waiter *w, uint64_t deadline_ns)
{
	if (interrupt_waits)
		return -LINUX_EINTR;
	for (int rounds = 0; rounds < 1000 && !w->woken; rounds++)
		if (!peer_script || !peer_script())
			break;
	if (w->woken)
		return 0;
	if (deadline_ns) {
		if (now_ns < deadline_ns)
			now_ns = deadline_ns;
		return 1;
	}
	fprintf(stderr, "a call would block for ever\n");
	exit(1);
}

void vsock_env_wake(struct vsock_waiter *w)
{
	CHECK(w->thread == w && w->woken);
}

/* ---- The transport: what the guest sends goes to an outbox the test reads. */

struct sent {
	struct virtio_vsock_hdr hdr;
	uint8_t data[VSOCK_PACKET_PAYLOAD];
};

#define OUTBOX_MAX 4096
static struct sent outbox[OUTBOX_MAX];
static unsigned outbox_head, outbox_tail;

uint64_t vsock_transport_cid(void)
{
	return transport_cid;
}

int vsock_transport_send(const struct virtio_vsock_hdr *hdr, const struct file_iovec *iov,
                         size_t count, size_t skip, int nonblock)
{
	(void)nonblock;
	if (transport_fail)
		return transport_fail;
	CHECK(hdr->len <= VSOCK_PACKET_PAYLOAD);
	CHECK(outbox_tail - outbox_head < OUTBOX_MAX);
	struct sent *s = &outbox[outbox_tail++ % OUTBOX_MAX];
	s->hdr = *hdr;
	s->hdr.src_cid = transport_cid;
	size_t i = 0, len = hdr->len;
	uint8_t *dst = s->data;
	while (i < count && skip >= iov[i].len)
		skip -= iov[i++].len;
	while (len && i < count) {
		size_t n = iov[i].len - skip < len ? iov[i].len - skip : len;
		memcpy(dst, (char *)iov[i].base + skip, n);
		dst += n;
		len -= n;
		skip = 0;
		i++;
	}
	CHECK(len == 0);
	return 0;
}

void vsock_transport_packet_free(struct vsock_packet *p)
{
	packets_outstanding--;
	free(p);
}

void vsock_transport_timer_changed(void)
{
	timer_changes++;
}

static unsigned outbox_count(void)
{
	return outbox_tail - outbox_head;
}

static struct sent *outbox_pop(void)
{
	if (outbox_head == outbox_tail)
		return NULL;
	return &outbox[outbox_head++ % OUTBOX_MAX];
}

/* ---- The peer: packets from the host to the guest. */

struct peer {
	uint32_t port;      /* the host's port */
	uint32_t guest;     /* the guest's port */
	uint32_t buf_alloc; /* what the host advertises */
	uint32_t fwd_cnt;   /* what it has consumed of the guest's data */
};

static void deliver(const struct peer *p, uint16_t op, uint32_t flags, const void *data,
                    uint32_t len)
{
	struct vsock_packet *pkt = malloc(sizeof(*pkt) + VSOCK_PACKET_PAYLOAD);
	pkt->room = VSOCK_PACKET_PAYLOAD;
	pkt->data = (uint8_t *)(pkt + 1);
	pkt->off = 0;
	pkt->next = NULL;
	pkt->hdr = (struct virtio_vsock_hdr){
	    .src_cid = HOST_CID,
	    .dst_cid = GUEST_CID,
	    .src_port = p->port,
	    .dst_port = p->guest,
	    .len = len,
	    .type = VIRTIO_VSOCK_TYPE_STREAM,
	    .op = op,
	    .flags = flags,
	    .buf_alloc = p->buf_alloc,
	    .fwd_cnt = p->fwd_cnt,
	};
	if (len)
		memcpy(pkt->data, data, len);
	packets_outstanding++;
	vsock_net_receive(pkt);
}

/* Checks the next packet the guest sent and returns it (NULL, counted as a failure, if none). */
static struct sent *expect(uint16_t op, const struct peer *p)
{
	struct sent *s = outbox_pop();
	CHECK(s != NULL);
	if (!s)
		return NULL;
	if (s->hdr.op != op)
		fprintf(stderr, "expected op %u, the guest sent op %u\n", op, s->hdr.op);
	CHECK(s->hdr.op == op);
	CHECK(s->hdr.type == VIRTIO_VSOCK_TYPE_STREAM);
	CHECK(s->hdr.src_cid == GUEST_CID);
	CHECK(s->hdr.dst_cid == HOST_CID);
	if (p) {
		CHECK(s->hdr.dst_port == p->port);
		CHECK(s->hdr.src_port == p->guest);
	}
	return s;
}

static long recv_buf(struct vsock *s, void *buf, size_t len, unsigned flags)
{
	struct file_iovec iov = {buf, len};
	return vsock_recv(s, &iov, 1, flags);
}

static long send_buf(struct vsock *s, const void *buf, size_t len, unsigned flags)
{
	struct file_iovec iov = {(void *)buf, len};
	return vsock_send(s, &iov, 1, flags);
}

/* A listener on port and one connection from the host's peer_port, accepted. */
static struct vsock *accept_one(struct vsock *l, struct peer *p)
{
	deliver(p, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
	expect(VIRTIO_VSOCK_OP_RESPONSE, p);
	struct vsock *c = NULL;
	CHECK(vsock_accept(l, &c, VSOCK_NONBLOCK) == 0);
	return c;
}

static struct vsock *listener(uint32_t port, int backlog)
{
	struct vsock *l;
	CHECK(vsock_create(&l) == 0);
	CHECK(vsock_bind(l, port) == 0);
	CHECK(vsock_listen(l, backlog) == 0);
	return l;
}

/* Closes c and plays the host's side of the close: SHUTDOWN both ways, answered by RST. */
static void close_connected(struct vsock *c, struct peer *p)
{
	vsock_close(c);
	struct sent *s = expect(VIRTIO_VSOCK_OP_SHUTDOWN, p);
	CHECK(s && s->hdr.flags == (VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND));
	deliver(p, VIRTIO_VSOCK_OP_RST, 0, NULL, 0);
	CHECK(outbox_count() == 0);
}

/* ---- The cases. */

static int notified;
static void count_notify(void *ctx)
{
	CHECK(ctx == &notified);
	notified++;
}

static void test_listen_accept_echo(void)
{
	long base = allocs_outstanding;
	struct vsock *l = listener(5000, 4);
	struct peer p = {.port = 7000, .guest = 5000, .buf_alloc = 65536};
	struct vsock *c = NULL;
	CHECK(vsock_accept(l, &c, VSOCK_NONBLOCK) == -LINUX_EAGAIN);
	CHECK(!(vsock_poll(l) & LINUX_POLLIN));
	deliver(&p, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
	struct sent *s = expect(VIRTIO_VSOCK_OP_RESPONSE, &p);
	CHECK(s && s->hdr.buf_alloc == vsock_buffer_size(l));
	CHECK(vsock_poll(l) & LINUX_POLLIN);
	CHECK(vsock_accept(l, &c, VSOCK_NONBLOCK) == 0);
	uint64_t cid;
	uint32_t port;
	CHECK(vsock_getname(c, 1, &cid, &port) == 0 && cid == HOST_CID && port == 7000);
	CHECK(vsock_getname(c, 0, &cid, &port) == 0 && cid == GUEST_CID && port == 5000);
	CHECK(vsock_getname(l, 1, &cid, &port) == -LINUX_ENOTCONN);

	/* host → guest: the bytes arrive, split over two iovecs; PEEK leaves them. The socket's
	 * owner hears of each change. */
	vsock_set_notify(c, count_notify, &notified);
	char buf[64] = {0};
	CHECK(recv_buf(c, buf, sizeof(buf), VSOCK_NONBLOCK) == -LINUX_EAGAIN);
	deliver(&p, VIRTIO_VSOCK_OP_RW, 0, "hello, guest", 12);
	CHECK(notified == 1);
	CHECK(vsock_poll(c) & LINUX_POLLIN);
	CHECK(recv_buf(c, buf, 5, VSOCK_PEEK) == 5 && memcmp(buf, "hello", 5) == 0);
	char a[3], b[20];
	struct file_iovec iov[2] = {{a, 3}, {b, 20}};
	CHECK(vsock_recv(c, iov, 2, 0) == 12);
	CHECK(memcmp(a, "hel", 3) == 0 && memcmp(b, "lo, guest", 9) == 0);
	CHECK(!(vsock_poll(c) & LINUX_POLLIN));

	/* guest → host: one RW packet carrying our credit (12 bytes read). */
	CHECK(send_buf(c, "hello, host", 11, 0) == 11);
	s = expect(VIRTIO_VSOCK_OP_RW, &p);
	CHECK(s && s->hdr.len == 11 && memcmp(s->data, "hello, host", 11) == 0);
	CHECK(s && s->hdr.fwd_cnt == 12 && s->hdr.buf_alloc == vsock_buffer_size(c));
	CHECK(outbox_count() == 0);

	close_connected(c, &p);
	CHECK(notified == 1); /* nothing after close */
	vsock_close(l);
	CHECK(outbox_count() == 0);
	CHECK(allocs_outstanding == base);
	CHECK(packets_outstanding == 0);
}

static uint32_t script_port;

/* The host accepts every REQUEST. */
static int script_accept(void)
{
	struct sent *s = outbox_pop();
	if (!s)
		return 0;
	if (s->hdr.op == VIRTIO_VSOCK_OP_REQUEST) {
		struct peer p = {.port = s->hdr.dst_port, .guest = s->hdr.src_port, .buf_alloc = 4096};
		script_port = s->hdr.src_port;
		deliver(&p, VIRTIO_VSOCK_OP_RESPONSE, 0, NULL, 0);
	}
	return 1;
}

/* The host refuses every REQUEST. */
static int script_refuse(void)
{
	struct sent *s = outbox_pop();
	if (!s)
		return 0;
	if (s->hdr.op == VIRTIO_VSOCK_OP_REQUEST) {
		struct peer p = {.port = s->hdr.dst_port, .guest = s->hdr.src_port};
		deliver(&p, VIRTIO_VSOCK_OP_RST, 0, NULL, 0);
	}
	return 1;
}

static void test_connect(void)
{
	long base = allocs_outstanding;
	struct vsock *s;

	/* Blocking, answered: an ephemeral port, then connected. */
	CHECK(vsock_create(&s) == 0);
	peer_script = script_accept;
	CHECK(vsock_connect(s, HOST_CID, 1234, 0) == 0);
	peer_script = NULL;
	uint64_t cid;
	uint32_t port;
	CHECK(vsock_getname(s, 0, &cid, &port) == 0 && port == script_port && port >= 1024);
	CHECK(vsock_getname(s, 1, &cid, &port) == 0 && cid == HOST_CID && port == 1234);
	CHECK(vsock_connect(s, HOST_CID, 1234, 0) == -LINUX_EISCONN);
	CHECK(vsock_poll(s) & LINUX_POLLOUT);
	struct peer p = {.port = 1234, .guest = script_port, .buf_alloc = 4096};
	close_connected(s, &p);

	/* Blocking, refused. */
	CHECK(vsock_create(&s) == 0);
	peer_script = script_refuse;
	CHECK(vsock_connect(s, HOST_CID, 1235, 0) == -LINUX_ECONNREFUSED);
	peer_script = NULL;
	CHECK(outbox_count() == 0);
	CHECK(recv_buf(s, &cid, 1, 0) == -LINUX_ENOTCONN);
	/* and again on the same socket, now answered */
	peer_script = script_accept;
	CHECK(vsock_connect(s, HOST_CID, 1236, 0) == 0);
	peer_script = NULL;
	p = (struct peer){.port = 1236, .guest = script_port, .buf_alloc = 4096};
	close_connected(s, &p);

	/* Blocking, unanswered: ETIMEDOUT after the socket's timeout, the request withdrawn. */
	CHECK(vsock_create(&s) == 0);
	vsock_set_connect_timeout(s, 500000000);
	CHECK(vsock_connect_timeout(s) == 500000000);
	uint64_t start = now_ns;
	CHECK(vsock_connect(s, HOST_CID, 1237, 0) == -LINUX_ETIMEDOUT);
	CHECK(now_ns - start == 500000000);
	struct sent *sent = expect(VIRTIO_VSOCK_OP_REQUEST, NULL);
	CHECK(sent && sent->hdr.dst_port == 1237);
	expect(VIRTIO_VSOCK_OP_RST, NULL);
	vsock_close(s);

	/* Non-blocking: EINPROGRESS, then POLLOUT and no error once answered. */
	CHECK(vsock_create(&s) == 0);
	CHECK(vsock_connect(s, HOST_CID, 1238, VSOCK_NONBLOCK) == -LINUX_EINPROGRESS);
	CHECK(vsock_connect(s, HOST_CID, 1238, VSOCK_NONBLOCK) == -LINUX_EALREADY);
	CHECK(vsock_poll(s) == 0);
	sent = expect(VIRTIO_VSOCK_OP_REQUEST, NULL);
	p = (struct peer){.port = 1238, .guest = sent ? sent->hdr.src_port : 0, .buf_alloc = 4096};
	deliver(&p, VIRTIO_VSOCK_OP_RESPONSE, 0, NULL, 0);
	CHECK(vsock_poll(s) & LINUX_POLLOUT);
	CHECK(vsock_take_error(s) == 0);
	CHECK(vsock_net_tick(now_ns + 10 * 1000000000ull) == 0); /* its timer is gone */
	close_connected(s, &p);

	/* Non-blocking, refused: the error shows in poll and SO_ERROR. */
	CHECK(vsock_create(&s) == 0);
	CHECK(vsock_connect(s, HOST_CID, 1239, VSOCK_NONBLOCK) == -LINUX_EINPROGRESS);
	sent = expect(VIRTIO_VSOCK_OP_REQUEST, NULL);
	p = (struct peer){.port = 1239, .guest = sent ? sent->hdr.src_port : 0};
	deliver(&p, VIRTIO_VSOCK_OP_RST, 0, NULL, 0);
	CHECK(vsock_poll(s) & LINUX_POLLERR);
	CHECK(vsock_take_error(s) == LINUX_ECONNREFUSED);
	CHECK(vsock_take_error(s) == 0);
	vsock_close(s);

	/* Non-blocking, unanswered: the timer fails it. */
	CHECK(vsock_create(&s) == 0);
	CHECK(vsock_connect(s, HOST_CID, 1240, VSOCK_NONBLOCK) == -LINUX_EINPROGRESS);
	expect(VIRTIO_VSOCK_OP_REQUEST, NULL);
	uint64_t deadline = vsock_net_tick(now_ns);
	CHECK(deadline == now_ns + vsock_connect_timeout(s));
	CHECK(vsock_net_tick(deadline) == 0);
	expect(VIRTIO_VSOCK_OP_RST, NULL);
	CHECK(vsock_take_error(s) == LINUX_ETIMEDOUT);
	vsock_close(s);

	/* No device. */
	transport_cid = 0;
	CHECK(vsock_create(&s) == 0);
	CHECK(vsock_connect(s, HOST_CID, 1241, 0) == -LINUX_ENODEV);
	vsock_close(s);
	transport_cid = GUEST_CID;

	CHECK(outbox_count() == 0);
	CHECK(allocs_outstanding == base);
}

/* The host reads everything the guest sent and tells it so (its fwd_cnt). */
static struct peer *credit_peer;
static uint64_t credit_peer_bytes;
static int script_read_all(void)
{
	struct sent *s;
	int any = 0;
	while ((s = outbox_pop())) {
		CHECK(s->hdr.op == VIRTIO_VSOCK_OP_RW);
		/* never more in flight than the credit the host gave */
		credit_peer_bytes += s->hdr.len;
		CHECK(credit_peer_bytes - credit_peer->fwd_cnt <= credit_peer->buf_alloc);
		any = 1;
	}
	if (!any)
		return 0;
	credit_peer->fwd_cnt = (uint32_t)credit_peer_bytes;
	deliver(credit_peer, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
	return 1;
}

static void test_credit(void)
{
	long base = allocs_outstanding;
	struct vsock *l = listener(5001, 4);
	struct peer p = {.port = 7001, .guest = 5001, .buf_alloc = 8192};
	struct vsock *c = accept_one(l, &p);
	static uint8_t big[100000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + i / 251);

	/* Never past the peer's credit: 8 KiB go, then EAGAIN, then more after its update. */
	CHECK(send_buf(c, big, 20000, VSOCK_NONBLOCK) == 8192);
	struct sent *s = expect(VIRTIO_VSOCK_OP_RW, &p);
	CHECK(s && s->hdr.len == 4096 && memcmp(s->data, big, 4096) == 0);
	s = expect(VIRTIO_VSOCK_OP_RW, &p);
	CHECK(s && s->hdr.len == 4096 && memcmp(s->data, big + 4096, 4096) == 0);
	CHECK(!(vsock_poll(c) & LINUX_POLLOUT));
	CHECK(send_buf(c, big, 10, VSOCK_NONBLOCK) == -LINUX_EAGAIN);
	p.fwd_cnt = 4096;
	deliver(&p, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
	CHECK(vsock_poll(c) & LINUX_POLLOUT);
	CHECK(send_buf(c, big + 8192, 5000, VSOCK_NONBLOCK) == 4096);
	expect(VIRTIO_VSOCK_OP_RW, &p);

	/* Blocking: the whole buffer goes, in credit-sized pieces as the host reads. */
	credit_peer = &p;
	credit_peer_bytes = 12288;
	p.fwd_cnt = 12288;
	deliver(&p, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
	peer_script = script_read_all;
	CHECK(send_buf(c, big, sizeof(big), 0) == (long)sizeof(big));
	script_read_all();
	peer_script = NULL;
	CHECK(credit_peer_bytes == 12288 + sizeof(big));

	/* The host asks for our credit: it gets it. */
	deliver(&p, VIRTIO_VSOCK_OP_CREDIT_REQUEST, 0, NULL, 0);
	s = expect(VIRTIO_VSOCK_OP_CREDIT_UPDATE, &p);
	CHECK(s && s->hdr.buf_alloc == vsock_buffer_size(c) && s->hdr.fwd_cnt == 0);

	/* Our side: a small buffer; the host fills it, we read, and a credit update goes out only
	 * once the host's view of our free space is low. */
	CHECK(vsock_set_buffer_size(c, 16384) == 0);
	CHECK(vsock_buffer_size(c) == 16384);
	deliver(&p, VIRTIO_VSOCK_OP_RW, 0, big, 1000);
	uint8_t in[16384];
	CHECK(recv_buf(c, in, sizeof(in), 0) == 1000);
	CHECK(outbox_count() == 0); /* plenty of room left as the host sees it */
	for (int i = 0; i < 4; i++)
		deliver(&p, VIRTIO_VSOCK_OP_RW, 0, big + 1000 + i * 3000, 3000);
	CHECK(recv_buf(c, in, sizeof(in), 0) == 12000 && memcmp(in, big + 1000, 12000) == 0);
	s = expect(VIRTIO_VSOCK_OP_CREDIT_UPDATE, &p);
	CHECK(s && s->hdr.fwd_cnt == 13000 && s->hdr.buf_alloc == 16384);
	/* A host that overruns our credit loses the excess (16384 free: 4 KiB fits, more not). */
	for (int i = 0; i < 5; i++)
		deliver(&p, VIRTIO_VSOCK_OP_RW, 0, big, 4096);
	CHECK(recv_buf(c, in, sizeof(in), 0) == 16384);
	CHECK(recv_buf(c, in, sizeof(in), VSOCK_NONBLOCK) == -LINUX_EAGAIN);
	expect(VIRTIO_VSOCK_OP_CREDIT_UPDATE, &p);

	/* Tiny packets are packed together, not one buffer each. */
	for (int i = 0; i < 100; i++)
		deliver(&p, VIRTIO_VSOCK_OP_RW, 0, big + i, 1);
	CHECK(packets_outstanding == 1);
	CHECK(recv_buf(c, in, sizeof(in), VSOCK_WAITALL | VSOCK_NONBLOCK) == 100);
	CHECK(memcmp(in, big, 100) == 0);

	close_connected(c, &p);
	vsock_close(l);
	CHECK(allocs_outstanding == base);
	CHECK(packets_outstanding == 0);
}

static void test_rst_unknown(void)
{
	struct peer p = {.port = 7002, .guest = 9999};
	deliver(&p, VIRTIO_VSOCK_OP_RW, 0, "x", 1);
	expect(VIRTIO_VSOCK_OP_RST, &p);
	deliver(&p, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
	expect(VIRTIO_VSOCK_OP_RST, &p);
	deliver(&p, VIRTIO_VSOCK_OP_RST, 0, NULL, 0); /* never answered */
	CHECK(outbox_count() == 0);

	/* Not for this CID: dropped. Not a stream: RST. */
	struct vsock *l = listener(5002, 1);
	struct vsock_packet *pkt = malloc(sizeof(*pkt));
	pkt->hdr = (struct virtio_vsock_hdr){.src_cid = HOST_CID, .dst_cid = 77, .src_port = 1,
	                                     .dst_port = 5002, .type = VIRTIO_VSOCK_TYPE_STREAM,
	                                     .op = VIRTIO_VSOCK_OP_REQUEST};
	packets_outstanding++;
	vsock_net_receive(pkt);
	CHECK(outbox_count() == 0);
	pkt = malloc(sizeof(*pkt));
	pkt->hdr = (struct virtio_vsock_hdr){.src_cid = HOST_CID, .dst_cid = GUEST_CID,
	                                     .src_port = 1, .dst_port = 5002,
	                                     .type = VIRTIO_VSOCK_TYPE_SEQPACKET,
	                                     .op = VIRTIO_VSOCK_OP_REQUEST};
	packets_outstanding++;
	vsock_net_receive(pkt);
	struct sent *s = outbox_pop();
	CHECK(s && s->hdr.op == VIRTIO_VSOCK_OP_RST && s->hdr.dst_port == 1);
	CHECK(!(vsock_poll(l) & LINUX_POLLIN));
	vsock_close(l);
	CHECK(packets_outstanding == 0);

	/* A port is bound once. */
	struct vsock *a, *b;
	CHECK(vsock_create(&a) == 0 && vsock_create(&b) == 0);
	CHECK(vsock_bind(a, 6000) == 0);
	CHECK(vsock_bind(a, 6001) == -LINUX_EINVAL);
	CHECK(vsock_bind(b, 6000) == -LINUX_EADDRINUSE);
	vsock_close(a);
	CHECK(vsock_bind(b, 6000) == 0);
	vsock_close(b);
}

static void test_half_close(void)
{
	long base = allocs_outstanding;
	struct vsock *l = listener(5003, 4);
	struct peer p = {.port = 7003, .guest = 5003, .buf_alloc = 65536};
	struct vsock *c = accept_one(l, &p);
	char buf[32];

	/* The host stops sending: its data, then end of stream; we can still send. */
	deliver(&p, VIRTIO_VSOCK_OP_RW, 0, "last words", 10);
	deliver(&p, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_SEND, NULL, 0);
	CHECK(vsock_poll(c) & LINUX_POLLRDHUP);
	CHECK(!(vsock_poll(c) & LINUX_POLLHUP));
	CHECK(recv_buf(c, buf, sizeof(buf), 0) == 10 && memcmp(buf, "last words", 10) == 0);
	CHECK(recv_buf(c, buf, sizeof(buf), 0) == 0);
	CHECK(recv_buf(c, buf, sizeof(buf), VSOCK_NONBLOCK) == 0);
	CHECK(send_buf(c, "reply", 5, 0) == 5);
	expect(VIRTIO_VSOCK_OP_RW, &p);

	/* We stop sending: SHUTDOWN(SEND), then EPIPE. */
	CHECK(vsock_shutdown(c, VSOCK_SHUT_WR) == 0);
	struct sent *s = expect(VIRTIO_VSOCK_OP_SHUTDOWN, &p);
	CHECK(s && s->hdr.flags == VIRTIO_VSOCK_SHUTDOWN_SEND);
	CHECK(send_buf(c, "more", 4, 0) == -LINUX_EPIPE);
	CHECK(vsock_shutdown(c, 7) == -LINUX_EINVAL);

	/* The host closes its side too: both halves done, we answer RST and the connection ends. */
	deliver(&p, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_RCV, NULL, 0);
	expect(VIRTIO_VSOCK_OP_RST, &p);
	CHECK(vsock_poll(c) & LINUX_POLLHUP);
	vsock_close(c);
	CHECK(outbox_count() == 0); /* already over: nothing more to say */

	/* The other order: we shut down receiving, the host stops reading (SHUTDOWN RCV). */
	c = accept_one(l, &p);
	CHECK(vsock_shutdown(c, VSOCK_SHUT_RD) == 0);
	s = expect(VIRTIO_VSOCK_OP_SHUTDOWN, &p);
	CHECK(s && s->hdr.flags == VIRTIO_VSOCK_SHUTDOWN_RCV);
	CHECK(recv_buf(c, buf, sizeof(buf), 0) == 0);
	deliver(&p, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_RCV, NULL, 0);
	CHECK(send_buf(c, "x", 1, 0) == -LINUX_EPIPE);
	close_connected(c, &p);

	/* The host resets: data already queued is still read, then end of stream. */
	c = accept_one(l, &p);
	deliver(&p, VIRTIO_VSOCK_OP_RW, 0, "abc", 3);
	deliver(&p, VIRTIO_VSOCK_OP_RST, 0, NULL, 0);
	CHECK(recv_buf(c, buf, sizeof(buf), 0) == 3);
	CHECK(recv_buf(c, buf, sizeof(buf), 0) == 0);
	CHECK(send_buf(c, "x", 1, 0) == -LINUX_EPIPE);
	vsock_close(c);
	CHECK(outbox_count() == 0);

	vsock_close(l);
	CHECK(allocs_outstanding == base);
	CHECK(packets_outstanding == 0);
}

static void test_backlog(void)
{
	long base = allocs_outstanding;
	struct vsock *l = listener(5004, 1); /* as Linux: backlog + 1 may wait */
	struct peer p[4];
	for (int i = 0; i < 4; i++) {
		p[i] = (struct peer){.port = 7100 + i, .guest = 5004, .buf_alloc = 4096};
		deliver(&p[i], VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
		expect(i < 2 ? VIRTIO_VSOCK_OP_RESPONSE : VIRTIO_VSOCK_OP_RST, &p[i]);
	}
	/* Accepting one frees a slot. */
	struct vsock *c;
	CHECK(vsock_accept(l, &c, 0) == 0);
	uint64_t cid;
	uint32_t port;
	CHECK(vsock_getname(c, 1, &cid, &port) == 0 && port == 7100);
	deliver(&p[2], VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
	expect(VIRTIO_VSOCK_OP_RESPONSE, &p[2]);
	/* Closing the listener resets the two still waiting. */
	vsock_close(l);
	expect(VIRTIO_VSOCK_OP_RST, &p[1]);
	expect(VIRTIO_VSOCK_OP_RST, &p[2]);
	deliver(&p[3], VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
	expect(VIRTIO_VSOCK_OP_RST, &p[3]);
	/* The accepted one lives on. */
	CHECK(send_buf(c, "ok", 2, 0) == 2);
	expect(VIRTIO_VSOCK_OP_RW, &p[0]);
	close_connected(c, &p[0]);
	CHECK(allocs_outstanding == base);
	CHECK(vsock_create(&l) == 0);
	CHECK(vsock_listen(l, 0) == 0); /* binds an ephemeral port */
	CHECK(vsock_getname(l, 0, &cid, &port) == 0 && port >= 1024 && port != VSOCK_PORT_ANY);
	CHECK(vsock_accept(l, &c, VSOCK_NONBLOCK) == -LINUX_EAGAIN);
	vsock_close(l);
	CHECK(allocs_outstanding == base);
}

static void test_close_pending(void)
{
	long base = allocs_outstanding;
	struct vsock *l = listener(5005, 4);
	struct peer p = {.port = 7005, .guest = 5005, .buf_alloc = 65536};

	/* Unread data is dropped; SHUTDOWN goes out; the host's RST frees the connection. */
	struct vsock *c = accept_one(l, &p);
	deliver(&p, VIRTIO_VSOCK_OP_RW, 0, "unread", 6);
	deliver(&p, VIRTIO_VSOCK_OP_RW, 0, "unread, too", 11);
	CHECK(send_buf(c, "sent before close", 17, 0) == 17);
	vsock_close(c);
	CHECK(packets_outstanding == 0);
	struct sent *s = expect(VIRTIO_VSOCK_OP_RW, &p);
	CHECK(s && s->hdr.len == 17);
	s = expect(VIRTIO_VSOCK_OP_SHUTDOWN, &p);
	CHECK(s && s->hdr.flags == (VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND));
	/* Data still in flight from the host is dropped, not answered. */
	deliver(&p, VIRTIO_VSOCK_OP_RW, 0, "late", 4);
	CHECK(outbox_count() == 0 && packets_outstanding == 0);
	CHECK(allocs_outstanding > base);
	deliver(&p, VIRTIO_VSOCK_OP_RST, 0, NULL, 0);
	CHECK(outbox_count() == 0);

	/* A host that answers with its own SHUTDOWN gets RST. */
	c = accept_one(l, &p);
	vsock_close(c);
	expect(VIRTIO_VSOCK_OP_SHUTDOWN, &p);
	deliver(&p, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND,
	        NULL, 0);
	expect(VIRTIO_VSOCK_OP_RST, &p);

	/* A host that never answers: RST after the close timeout. */
	c = accept_one(l, &p);
	vsock_close(c);
	expect(VIRTIO_VSOCK_OP_SHUTDOWN, &p);
	uint64_t deadline = vsock_net_tick(now_ns);
	CHECK(deadline > now_ns);
	CHECK(vsock_net_tick(deadline - 1) == deadline);
	CHECK(outbox_count() == 0);
	CHECK(vsock_net_tick(deadline) == 0);
	expect(VIRTIO_VSOCK_OP_RST, &p);
	deliver(&p, VIRTIO_VSOCK_OP_RW, 0, "x", 1); /* the connection is gone now */
	expect(VIRTIO_VSOCK_OP_RST, &p);

	vsock_close(l);
	CHECK(allocs_outstanding == base);
	CHECK(packets_outstanding == 0);
}

static void test_transport_reset(void)
{
	long base = allocs_outstanding;
	struct vsock *l = listener(5006, 4);
	struct peer p = {.port = 7006, .guest = 5006, .buf_alloc = 65536};
	struct vsock *c = accept_one(l, &p);
	struct vsock *orphan = accept_one(l, &(struct peer){.port = 7007, .guest = 5006});
	vsock_close(orphan);
	expect(VIRTIO_VSOCK_OP_SHUTDOWN, NULL);
	vsock_net_reset();
	CHECK(outbox_count() == 0);
	char buf[8];
	CHECK(recv_buf(c, buf, sizeof(buf), 0) == -LINUX_ECONNRESET);
	CHECK(vsock_poll(c) & LINUX_POLLERR);
	CHECK(send_buf(c, "x", 1, 0) == -LINUX_EPIPE);
	vsock_close(c);
	CHECK(outbox_count() == 0);
	/* The listener survives. */
	c = accept_one(l, &p);
	close_connected(c, &p);
	vsock_close(l);
	CHECK(allocs_outstanding == base);
}

/* Many connections on one listener, interleaved, each with its own data. */
static void test_many(void)
{
	enum { N = 300 };
	long base = allocs_outstanding;
	struct vsock *l = listener(5007, N);
	static struct peer p[N];
	static struct vsock *c[N];
	for (int i = 0; i < N; i++) {
		p[i] = (struct peer){.port = 20000 + i, .guest = 5007, .buf_alloc = 65536};
		c[i] = accept_one(l, &p[i]);
	}
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < N; i++) {
			uint32_t v = (uint32_t)(i * 1000 + round);
			deliver(&p[i], VIRTIO_VSOCK_OP_RW, 0, &v, sizeof(v));
		}
	for (int i = N - 1; i >= 0; i--) {
		uint32_t v[3];
		CHECK(recv_buf(c[i], v, sizeof(v), VSOCK_WAITALL) == sizeof(v));
		for (int round = 0; round < 3; round++)
			CHECK(v[round] == (uint32_t)(i * 1000 + round));
		CHECK(send_buf(c[i], &i, sizeof(i), 0) == sizeof(i));
		struct sent *s = expect(VIRTIO_VSOCK_OP_RW, &p[i]);
		CHECK(s && memcmp(s->data, &i, sizeof(i)) == 0);
	}
	for (int i = 0; i < N; i++)
		close_connected(c[i], &p[i]);
	vsock_close(l);
	CHECK(allocs_outstanding == base);
	CHECK(packets_outstanding == 0);
}

/* The transport fails to send: the error reaches the caller, nothing is counted as sent. */
static void test_transport_errors(void)
{
	long base = allocs_outstanding;
	struct vsock *l = listener(5008, 4);
	struct peer p = {.port = 7008, .guest = 5008, .buf_alloc = 65536};
	struct vsock *c = accept_one(l, &p);
	transport_fail = -LINUX_EAGAIN;
	CHECK(send_buf(c, "abc", 3, VSOCK_NONBLOCK) == -LINUX_EAGAIN);
	transport_fail = 0;
	CHECK(send_buf(c, "abc", 3, 0) == 3);
	struct sent *s = expect(VIRTIO_VSOCK_OP_RW, &p);
	CHECK(s && s->hdr.len == 3);
	/* a REQUEST that cannot be answered is refused by nobody: the host hears nothing */
	transport_fail = -LINUX_EIO;
	struct peer q = {.port = 7009, .guest = 5008};
	deliver(&q, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
	CHECK(vsock_accept(l, &c, VSOCK_NONBLOCK) == -LINUX_EAGAIN);
	transport_fail = 0;
	CHECK(outbox_count() == 0);
	close_connected(c, &p);
	vsock_close(l);
	CHECK(allocs_outstanding == base);
}

/* A signal ends a blocking call with EINTR (POSIX images); the socket stays usable. */
static void test_interrupted(void)
{
	long base = allocs_outstanding;
	struct vsock *l = listener(5009, 4), *c;
	interrupt_waits = 1;
	CHECK(vsock_accept(l, &c, 0) == -LINUX_EINTR);
	interrupt_waits = 0;
	struct peer p = {.port = 7010, .guest = 5009, .buf_alloc = 4};
	c = accept_one(l, &p);
	char buf[8];
	interrupt_waits = 1;
	CHECK(recv_buf(c, buf, sizeof(buf), 0) == -LINUX_EINTR);
	CHECK(send_buf(c, "abcdef", 6, 0) == 4); /* what fitted the credit went */
	expect(VIRTIO_VSOCK_OP_RW, &p);
	CHECK(send_buf(c, "ef", 2, 0) == -LINUX_EINTR);
	struct vsock *s;
	CHECK(vsock_create(&s) == 0);
	CHECK(vsock_connect(s, HOST_CID, 1250, 0) == -LINUX_EINTR);
	expect(VIRTIO_VSOCK_OP_REQUEST, NULL);
	expect(VIRTIO_VSOCK_OP_RST, NULL); /* the attempt is withdrawn */
	interrupt_waits = 0;
	vsock_close(s);
	deliver(&p, VIRTIO_VSOCK_OP_RW, 0, "xy", 2);
	CHECK(recv_buf(c, buf, sizeof(buf), 0) == 2);
	close_connected(c, &p);
	vsock_close(l);
	CHECK(allocs_outstanding == base);
}

int main(void)
{
	test_listen_accept_echo();
	test_connect();
	test_credit();
	test_rst_unknown();
	test_half_close();
	test_backlog();
	test_close_pending();
	test_transport_reset();
	test_many();
	test_transport_errors();
	test_interrupted();
	CHECK(allocs_outstanding == 0);
	CHECK(packets_outstanding == 0);
	return check_summary("vsock_proto");
}
