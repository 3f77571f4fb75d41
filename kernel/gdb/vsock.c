/* The stub's vsock line (toro.gdb=vsock:PORT), for monitors with a single serial port such as
 * Firecracker: gdb's connection is a vsock stream to PORT, which the stub serves itself, without
 * kernel/net's sockets (they block, and need interrupts and the scheduler). It shares the
 * device with them (kernel/vsock_poll.h): while the program runs, the driver's IRQ handler
 * hands it the packets for PORT, and a Ctrl-C or a new gdb's '$' among the bytes stops the
 * machine as on COM2; while the machine is stopped, the core that talks to gdb holds the device
 * and polls its rings with interrupts off, and packets for other ports wait for the driver's
 * thread.
 *
 * One connection at a time: a new one (gdb attaching again) replaces the last, whose peer gets
 * an RST. Flow control as virtio 1.2 §5.10.6.3: the stub advertises a receive buffer of
 * GDB_VSOCK_BUF bytes, tells the peer as it consumes them, and sends no more than the peer's
 * credit. */
#include "gdb_private.h"

#include <kernel/arch.h>
#include <kernel/format.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/vsock_poll.h>

#define GDB_VSOCK_BUF     16384u /* a power of two: what gdb may send before we read it */
#define GDB_VSOCK_PAYLOAD 4096u  /* the most one packet carries (a transmit slot's page) */
/* How long a stop waits for the device (held by a core about to stop) and for a free transmit
 * slot or the peer's credit, in pauses. */
#define GDB_VSOCK_SPINS 20000000ul
/* Spare receive buffers for other sockets' packets that arrive while the machine is stopped. */
#define GDB_VSOCK_SPARES 32
#define VSOCK_PORT_ANY   0xffffffffu

static struct {
	uint32_t port;
	int stopped; /* a stop is on */
	int holding; /* the stub has the device (a stop, or a send outside one) */
	uint64_t flags;
	/* The connection. */
	int live;
	uint64_t peer_cid;
	uint32_t peer_port;
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	uint32_t fwd_cnt, fwd_cnt_sent;
	uint32_t head, tail; /* received bytes buf[head..tail), indices counting up */
	int fresh;           /* accepted while stopped: the framing starts afresh */
	/* Control packets that found no free transmit slot, sent at the next chance. */
	int response_due, credit_due, rst_due;
	uint64_t rst_cid;
	uint32_t rst_port;
	char name[32];
	uint8_t buf[GDB_VSOCK_BUF];
} gv;

/* Sends one packet (the device held). spins 0: only if a transmit slot is free now. */
static int send_packet(uint16_t op, uint64_t cid, uint32_t port, const void *data, uint32_t len,
                       unsigned long spins)
{
	struct virtio_vsock_hdr h = {
	    .dst_cid = cid,
	    .src_port = gv.port,
	    .dst_port = port,
	    .len = len,
	    .type = VIRTIO_VSOCK_TYPE_STREAM,
	    .op = op,
	    .buf_alloc = GDB_VSOCK_BUF,
	    .fwd_cnt = gv.fwd_cnt,
	};
	if (vsock_poll_send(&h, data, spins) < 0)
		return -1;
	if (gv.live && cid == gv.peer_cid && port == gv.peer_port)
		gv.fwd_cnt_sent = gv.fwd_cnt;
	return 0;
}

static void flush_control(void)
{
	if (gv.rst_due &&
	    send_packet(VIRTIO_VSOCK_OP_RST, gv.rst_cid, gv.rst_port, NULL, 0, 0) == 0)
		gv.rst_due = 0;
	if (!gv.live)
		return;
	if (gv.response_due &&
	    send_packet(VIRTIO_VSOCK_OP_RESPONSE, gv.peer_cid, gv.peer_port, NULL, 0, 0) == 0)
		gv.response_due = gv.credit_due = 0; /* it carries our credit */
	if (gv.credit_due && !gv.response_due &&
	    send_packet(VIRTIO_VSOCK_OP_CREDIT_UPDATE, gv.peer_cid, gv.peer_port, NULL, 0, 0) == 0)
		gv.credit_due = 0;
}

static void reset_peer(uint64_t cid, uint32_t port)
{
	gv.rst_cid = cid;
	gv.rst_port = port;
	gv.rst_due = 1;
}

static void peer_credit(const struct virtio_vsock_hdr *h)
{
	gv.peer_buf_alloc = h->buf_alloc;
	gv.peer_fwd_cnt = h->fwd_cnt;
}

/* One received byte taken: the peer learns of the room once half the buffer is free again. */
static uint8_t take_byte(void)
{
	uint8_t b = gv.buf[gv.head++ % GDB_VSOCK_BUF];
	if (++gv.fwd_cnt - gv.fwd_cnt_sent >= GDB_VSOCK_BUF / 2)
		gv.credit_due = 1;
	return b;
}

/* While the program runs (from an interrupt handler on core 0): bytes up to the first that asks
 * for a stop are looked at and dropped, as COM2's are; what follows it is the stopped stub's. */
static void scan(void)
{
	while (gv.head != gv.tail && !gdb_interrupt_pending) {
		uint8_t b = take_byte();
		if (gdb_running_byte(b)) {
			if (b == '$')
				gv.fresh = 0; /* the stop starts a session over that '$' */
			arch_gdb_interrupt_stop();
		}
	}
}

static void conn_accept(const struct virtio_vsock_hdr *h)
{
	if (gv.live)
		reset_peer(gv.peer_cid, gv.peer_port);
	gv.live = 1;
	gv.peer_cid = h->src_cid;
	gv.peer_port = h->src_port;
	peer_credit(h);
	gv.tx_cnt = gv.fwd_cnt = gv.fwd_cnt_sent = 0;
	gv.head = gv.tail = 0;
	gv.response_due = gv.fresh = 1;
	gv.credit_due = 0;
}

static void receive_data(const struct virtio_vsock_hdr *h, const uint8_t *data)
{
	uint32_t room = GDB_VSOCK_BUF - (gv.tail - gv.head);
	uint32_t n = h->len < room ? h->len : room; /* more is past the credit we gave */
	for (uint32_t i = 0; i < n; i++)
		gv.buf[gv.tail++ % GDB_VSOCK_BUF] = data[i];
}

int vsock_stub_take(const struct virtio_vsock_hdr *h, const uint8_t *data)
{
	if (!gv.port || h->dst_port != gv.port)
		return 0;
	int ours = gv.live && h->src_cid == gv.peer_cid && h->src_port == gv.peer_port;
	if (h->type != VIRTIO_VSOCK_TYPE_STREAM) {
		if (h->op != VIRTIO_VSOCK_OP_RST)
			reset_peer(h->src_cid, h->src_port);
	} else if (h->op == VIRTIO_VSOCK_OP_REQUEST) {
		conn_accept(h);
	} else if (!ours) {
		if (h->op != VIRTIO_VSOCK_OP_RST)
			reset_peer(h->src_cid, h->src_port); /* no such connection */
	} else {
		peer_credit(h);
		switch (h->op) {
		case VIRTIO_VSOCK_OP_RW:
			receive_data(h, data);
			break;
		case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
			break;
		case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
			gv.credit_due = 1;
			break;
		case VIRTIO_VSOCK_OP_RST:
			gv.live = 0;
			break;
		default: /* SHUTDOWN (gdb went away), or what a peer never sends here */
			gv.live = 0;
			reset_peer(h->src_cid, h->src_port);
			break;
		}
	}
	if (!gv.holding)
		scan();
	flush_control();
	return 1;
}

/* The device for a call outside a stop (gdb told of the exit): 1 if taken here, 0 if a stop
 * has it, -1 if it cannot be had. */
static int claim(void)
{
	if (gv.stopped)
		return gv.holding ? 0 : -1;
	if (vsock_poll_begin(GDB_VSOCK_SPINS, &gv.flags) < 0)
		return -1;
	gv.holding = 1;
	return 1;
}

static void unclaim(int mine)
{
	if (mine <= 0)
		return;
	flush_control();
	/* What the device delivers meanwhile is collected still holding: a stop byte among it is
	 * left for core 0's timer (vsock_poll), which can stop the machine from an interrupt. */
	vsock_poll_end(gv.flags);
	gv.holding = 0;
}

/* The next byte from gdb. Within a stop it waits for one, across connections: when gdb goes
 * away the next one to connect carries on. Outside a stop, -1 once there is no connection. */
static int vsock_getc(void *ctx)
{
	(void)ctx;
	int mine = claim(), b = -1;
	if (mine < 0)
		return -1;
	for (;;) {
		if (gv.fresh) {
			gv.fresh = 0;
			gdb_conn_restart(&gdb.conn);
		}
		if (gv.head != gv.tail) {
			b = take_byte();
			break;
		}
		if ((!gv.live && !gv.stopped) || vsock_poll_receive() < 0)
			break;
		flush_control();
		__builtin_ia32_pause();
	}
	flush_control();
	unclaim(mine);
	return b;
}

static void vsock_write(void *ctx, const char *s, size_t len)
{
	(void)ctx;
	int mine = claim();
	if (mine < 0)
		return;
	int asked = 0;
	unsigned long waited = 0;
	while (len && gv.live) {
		uint32_t in_flight = gv.tx_cnt - gv.peer_fwd_cnt;
		uint32_t credit = in_flight < gv.peer_buf_alloc ? gv.peer_buf_alloc - in_flight : 0;
		if (!credit) {
			/* The peer tells us as it reads; if it never does, it is gone. */
			if (!asked)
				asked = send_packet(VIRTIO_VSOCK_OP_CREDIT_REQUEST, gv.peer_cid,
				                    gv.peer_port, NULL, 0, 0) == 0;
			if (vsock_poll_receive() < 0 || ++waited == GDB_VSOCK_SPINS) {
				gv.live = 0;
				reset_peer(gv.peer_cid, gv.peer_port);
				break;
			}
			__builtin_ia32_pause();
			continue;
		}
		uint32_t n = len < credit ? (uint32_t)len : credit;
		if (n > GDB_VSOCK_PAYLOAD)
			n = GDB_VSOCK_PAYLOAD;
		if (send_packet(VIRTIO_VSOCK_OP_RW, gv.peer_cid, gv.peer_port, s, n,
		                GDB_VSOCK_SPINS) < 0)
			break;
		gv.tx_cnt += n;
		s += n;
		len -= n;
		asked = 0;
		waited = 0;
	}
	unclaim(mine);
}

/* A stop holds the device from before the other cores stop (one of them may hold it a moment
 * longer) until they go on. If it cannot be had (a core stopped inside the driver with it), the
 * line fails and gdb_serve lets the program go on without gdb. */
static void vsock_hold(void)
{
	gv.stopped = 1;
	if (vsock_poll_begin(GDB_VSOCK_SPINS, &gv.flags) == 0)
		gv.holding = 1;
}

static void vsock_release(void)
{
	int held = gv.holding;
	gv.stopped = 0;
	unclaim(held);
}

/* From core 0's timer: the driver's thread woken for what a stop left it, control packets that
 * found no slot, and bytes a stop left unread. */
static void vsock_poll(void)
{
	vsock_poll_wake();
	int bytes = gv.head != gv.tail && !gdb_interrupt_pending;
	if (!bytes && !gv.rst_due && !gv.response_due && !gv.credit_due)
		return;
	uint64_t flags;
	if (vsock_poll_begin(1000, &flags) < 0)
		return; /* the next tick tries again */
	scan();
	flush_control();
	vsock_poll_end(flags);
}

static const struct gdb_transport vsock_line = {
    .name = gv.name,
    .getc = vsock_getc,
    .write = vsock_write,
    .poll = vsock_poll,
    .hold = vsock_hold,
    .release = vsock_release,
};

void gdb_vsock_start(const char *arg)
{
	uint64_t port = 0;
	const char *p = arg;
	while (*p >= '0' && *p <= '9' && port < VSOCK_PORT_ANY)
		port = port * 10 + (uint64_t)(*p++ - '0');
	if (p == arg || *p || port >= VSOCK_PORT_ANY) {
		printk("gdb: toro.gdb=vsock:%s: expected a port number below %u; not waiting for "
		       "gdb\n",
		       arg, VSOCK_PORT_ANY);
		return;
	}
	/* The port first: what the device holds for it is the stub's from now on, also a
	 * REQUEST already on the worker's list (vsock_poll_begin). */
	gv.port = (uint32_t)port;
	uint64_t flags;
	if (vsock_poll_begin(GDB_VSOCK_SPINS, &flags) < 0) {
		gv.port = 0;
		printk("gdb: toro.gdb=vsock:%s but there is no vsock device; not waiting for gdb\n",
		       arg);
		return;
	}
	vsock_poll_end(flags);
	vsock_poll_spare(GDB_VSOCK_SPARES);
	format_snprintf(gv.name, sizeof(gv.name), "vsock port %u", (unsigned)port);
	gdb_start(&vsock_line);
}
