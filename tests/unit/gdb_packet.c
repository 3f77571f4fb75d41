/* The gdb stub's packet layer (kernel/gdb/packet.c) against a scripted wire: framing and
 * checksums, acknowledgements and resends, QStartNoAckMode, binary escapes, malformed and
 * over-long packets, a Ctrl-C byte inside and outside a packet, and a new gdb after an old one.
 * Whatever arrives, the next good packet is still received whole. */
// SOURCES: kernel/gdb/packet.c
#include "../../kernel/gdb/packet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* The wire: what gdb sends (in), what the stub wrote (out). */
struct wire {
	const char *in;
	size_t in_len, in_pos;
	char out[3 * GDB_PACKET_MAX];
	size_t out_len;
};

static int wire_getc(void *ctx)
{
	struct wire *w = ctx;
	return w->in_pos < w->in_len ? (unsigned char)w->in[w->in_pos++] : -1;
}

static void wire_write(void *ctx, const char *s, size_t len)
{
	struct wire *w = ctx;
	if (w->out_len + len > sizeof(w->out))
		abort();
	memcpy(w->out + w->out_len, s, len);
	w->out_len += len;
	w->out[w->out_len] = '\0';
}

static struct gdb_conn *conn_on(struct wire *w, const char *in, size_t len)
{
	static struct gdb_conn c;
	memset(w, 0, sizeof(*w));
	memset(&c, 0, sizeof(c));
	w->in = in;
	w->in_len = len;
	c.getc = wire_getc;
	c.write = wire_write;
	c.ctx = w;
	return &c;
}

/* Frames payload by hand, with a checksum added up here. */
static size_t frame_by_hand(const char *payload, char *out)
{
	unsigned sum = 0;
	for (const char *p = payload; *p; p++)
		sum += (unsigned char)*p;
	return (size_t)sprintf(out, "$%s#%02x", payload, sum & 0xff);
}

static void test_frame(void)
{
	char out[64];
	size_t n = gdb_frame("OK", 2, out, sizeof(out));
	CHECK(n == 6 && memcmp(out, "$OK#9a", 6) == 0);
	n = gdb_frame("", 0, out, sizeof(out));
	CHECK(n == 4 && memcmp(out, "$#00", 4) == 0);
	/* '$', '#', '}' and '*' go out escaped: '}' then the byte XOR 0x20; never run-length. */
	n = gdb_frame("a$#}*b", 6, out, sizeof(out));
	out[n] = '\0';
	char want[64];
	frame_by_hand("a}\x04}\x03}]}\x0a"
	              "b",
	              want);
	CHECK_STR(out, want);
	CHECK(gdb_frame("aaaa", 4, out, 7) == 0); /* does not fit: nothing */
}

static void test_unescape(void)
{
	char buf[] = "x}\x03y}]";
	long n = gdb_unescape(buf, 6);
	CHECK(n == 4 && memcmp(buf, "x#y}", 4) == 0);
	char bad[] = "ab}";
	CHECK(gdb_unescape(bad, 3) == -1);
}

static void test_receive_good(void)
{
	struct wire w;
	char in[128];
	size_t n = frame_by_hand("qSupported:xyz", in);
	struct gdb_conn *c = conn_on(&w, in, n);
	CHECK(gdb_receive(c) == 14);
	CHECK_STR(c->rx.buf, "qSupported:xyz");
	CHECK_STR(w.out, "+");
	CHECK(gdb_receive(c) == -1); /* the line is gone */
}

/* Noise, a bad checksum, a non-hex checksum, a '$' restarting a cut packet: each refused or
 * skipped, and the good packet after them arrives whole. */
static void test_receive_malformed(void)
{
	struct wire w;
	char in[256], good[64];
	frame_by_hand("m1000,4", good);
	int n = sprintf(in, "junk+-$g#00$g#zz$partial$%s", good + 1);
	struct gdb_conn *c = conn_on(&w, in, (size_t)n);
	CHECK(gdb_receive(c) == 7);
	CHECK_STR(c->rx.buf, "m1000,4");
	CHECK_STR(w.out, "--+");
}

/* The over-long packet is acknowledged and answered "E01"; the stub then goes on. */
static void test_too_long_then_next(void)
{
	struct wire w;
	size_t big = GDB_PACKET_MAX + 1;
	char *payload = malloc(big + 1), *in = malloc(big + 64);
	memset(payload, '0', big);
	payload[big] = '\0';
	size_t n = frame_by_hand(payload, in);
	in[n++] = '+';
	n += frame_by_hand("?", in + n);
	struct gdb_conn *c = conn_on(&w, in, n);
	CHECK(gdb_receive(c) == 1);
	CHECK_STR(c->rx.buf, "?");
	CHECK_STR(w.out, "+$E01#a6+");
	free(payload);
	free(in);
}

/* 0x03 between packets is an interrupt; inside one it is data (binary X packets carry it). */
static void test_interrupt_byte(void)
{
	struct gdb_rx rx = {0};
	CHECK(gdb_rx_feed(&rx, GDB_INTERRUPT) == GDB_RX_INTERRUPT);
	char in[64];
	const char payload[] = "X10,1:\x03";
	size_t n = frame_by_hand(payload, in);
	enum gdb_rx_event e = GDB_RX_NONE;
	for (size_t i = 0; i < n; i++) {
		e = gdb_rx_feed(&rx, (uint8_t)in[i]);
		if (i + 1 < n)
			CHECK(e == GDB_RX_NONE);
	}
	CHECK(e == GDB_RX_PACKET);
	CHECK(rx.len == 7 && memcmp(rx.buf, payload, 7) == 0);
	CHECK(gdb_rx_feed(&rx, '+') == GDB_RX_ACK);
	CHECK(gdb_rx_feed(&rx, '-') == GDB_RX_NAK);
}

/* A binary write whose data holds every byte that needs an escape comes back intact. */
static void test_binary_round_trip(void)
{
	uint8_t data[256];
	for (int i = 0; i < 256; i++)
		data[i] = (uint8_t)i;
	char framed[600];
	size_t n = gdb_frame(data, sizeof(data), framed, sizeof(framed));
	CHECK(n > 0);
	struct gdb_rx rx = {0};
	enum gdb_rx_event e = GDB_RX_NONE;
	for (size_t i = 0; i < n; i++)
		e = gdb_rx_feed(&rx, (uint8_t)framed[i]);
	CHECK(e == GDB_RX_PACKET);
	long len = gdb_unescape(rx.buf, rx.len);
	CHECK(len == 256 && memcmp(rx.buf, data, 256) == 0);
}

/* '-' makes the stub send again; a '$' in place of the '+' is the next packet. */
static void test_send_acks(void)
{
	struct wire w;
	char in[64];
	int n = sprintf(in, "-x+");
	struct gdb_conn *c = conn_on(&w, in, (size_t)n);
	CHECK(gdb_send(c, "OK", 2) == 0);
	CHECK_STR(w.out, "$OK#9a$OK#9a");
	char next[32];
	frame_by_hand("c", next);
	c = conn_on(&w, next, strlen(next));
	CHECK(gdb_send(c, "S05", 3) == 0);
	CHECK(gdb_receive(c) == 1);
	CHECK_STR(c->rx.buf, "c");
	/* gdb refusing every time: the stub gives up rather than loop forever. */
	c = conn_on(&w, "---------", 9);
	CHECK(gdb_send(c, "OK", 2) == -1);
	/* QStartNoAckMode: no acknowledgement either way. */
	c = conn_on(&w, "$g#67$g#00", 10);
	c->no_ack = 1;
	CHECK(gdb_send(c, "OK", 2) == 0);
	CHECK(gdb_receive(c) == 1);
	CHECK(gdb_receive(c) == -1);
	CHECK_STR(w.out, "$OK#9a");
}

/* A new gdb after one that was in no-ack mode and left a packet half sent: gdb_conn_restart
 * turns acknowledgements back on, and the half packet does not swallow the new gdb's first. */
static void test_restart(void)
{
	struct wire w;
	struct gdb_conn *c = conn_on(&w, "$qSupp", 6);
	c->no_ack = 1;
	CHECK(gdb_receive(c) == -1);
	char next[32];
	size_t n = frame_by_hand("?", next);
	struct gdb_rx half = c->rx;
	c = conn_on(&w, next + 1, n - 1); /* its '$' was read while the program ran */
	c->no_ack = 1;
	c->rx = half;
	gdb_conn_restart(c);
	CHECK(c->no_ack == 0);
	gdb_rx_feed(&c->rx, '$');
	CHECK(gdb_receive(c) == 1);
	CHECK_STR(c->rx.buf, "?");
	CHECK_STR(w.out, "+");
	/* Restarted with no '$' (a Ctrl-C began it): what was half read is dropped. */
	c = conn_on(&w, "#00$?#3f", 8);
	c->rx = half;
	gdb_conn_restart(c);
	CHECK(gdb_receive(c) == 1);
	CHECK_STR(c->rx.buf, "?");
	CHECK_STR(w.out, "+");
}

int main(void)
{
	test_frame();
	test_unescape();
	test_receive_good();
	test_receive_malformed();
	test_too_long_then_next();
	test_interrupt_byte();
	test_binary_round_trip();
	test_send_acks();
	test_restart();
	return check_summary("gdb_packet");
}
