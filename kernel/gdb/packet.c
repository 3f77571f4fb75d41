/* The GDB remote protocol's framing (see packet.h): a byte-at-a-time receiver that can never be
 * desynchronised (a '$' always starts afresh, '#' always ends a packet, its length is bounded),
 * the sender, and acknowledgements. Built into the kernel and into tests/unit/gdb_packet.c. */
#include "packet.h"

enum { RX_IDLE, RX_DATA, RX_SUM1, RX_SUM2 };

#define GDB_SEND_TRIES 8

int gdb_hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void rx_start(struct gdb_rx *rx)
{
	rx->state = RX_DATA;
	rx->len = 0;
	rx->sum = 0;
	rx->overflow = 0;
}

enum gdb_rx_event gdb_rx_feed(struct gdb_rx *rx, uint8_t byte)
{
	if (byte == '$') {
		rx_start(rx);
		return GDB_RX_NONE;
	}
	switch (rx->state) {
	case RX_DATA:
		if (byte == '#') {
			rx->state = RX_SUM1;
		} else if (rx->len < GDB_PACKET_MAX) {
			rx->buf[rx->len++] = (char)byte;
			rx->sum = (uint8_t)(rx->sum + byte);
		} else {
			rx->overflow = 1;
			rx->sum = (uint8_t)(rx->sum + byte);
		}
		return GDB_RX_NONE;
	case RX_SUM1:
	case RX_SUM2: {
		int v = gdb_hex_digit(byte);
		if (v < 0) {
			rx->state = RX_IDLE;
			return GDB_RX_BAD;
		}
		if (rx->state == RX_SUM1) {
			rx->given = (uint8_t)(v << 4);
			rx->state = RX_SUM2;
			return GDB_RX_NONE;
		}
		rx->state = RX_IDLE;
		if ((uint8_t)(rx->given | v) != rx->sum)
			return GDB_RX_BAD;
		if (rx->overflow)
			return GDB_RX_TOO_LONG;
		rx->buf[rx->len] = '\0';
		return GDB_RX_PACKET;
	}
	default:
		break;
	}
	switch (byte) {
	case '+':
		return GDB_RX_ACK;
	case '-':
		return GDB_RX_NAK;
	case GDB_INTERRUPT:
		return GDB_RX_INTERRUPT;
	default:
		return GDB_RX_NONE;
	}
}

size_t gdb_frame(const void *data, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = data;
	size_t n = 0;
	uint8_t sum = 0;
	if (cap < 4)
		return 0;
	out[n++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t b = p[i];
		int escape = b == '$' || b == '#' || b == '}' || b == '*';
		if (n + 1 + (size_t)escape + 3 > cap)
			return 0;
		if (escape) {
			out[n++] = '}';
			sum = (uint8_t)(sum + '}');
			b ^= 0x20;
		}
		out[n++] = (char)b;
		sum = (uint8_t)(sum + b);
	}
	out[n++] = '#';
	out[n++] = hex[sum >> 4];
	out[n++] = hex[sum & 15];
	return n;
}

long gdb_unescape(char *buf, size_t len)
{
	size_t out = 0;
	for (size_t i = 0; i < len; i++) {
		char b = buf[i];
		if (b == '}') {
			if (++i == len)
				return -1;
			b = (char)(buf[i] ^ 0x20);
		}
		buf[out++] = b;
	}
	return (long)out;
}

void gdb_conn_restart(struct gdb_conn *c)
{
	c->no_ack = 0;
	c->rx.state = RX_IDLE;
}

int gdb_send(struct gdb_conn *c, const char *payload, size_t len)
{
	size_t n = gdb_frame(payload, len, c->tx, sizeof(c->tx));
	if (n == 0)
		return -1;
	for (int tries = 0; tries < GDB_SEND_TRIES; tries++) {
		c->write(c->ctx, c->tx, n);
		if (c->no_ack)
			return 0;
		for (;;) {
			int b = c->getc(c->ctx);
			if (b < 0)
				return -1;
			if (b == '+')
				return 0;
			if (b == '-')
				break;
			if (b == '$') {
				gdb_rx_feed(&c->rx, (uint8_t)b);
				return 0;
			}
		}
	}
	return -1;
}

long gdb_receive(struct gdb_conn *c)
{
	static const char too_long[] = "E01";
	for (;;) {
		int b = c->getc(c->ctx);
		if (b < 0)
			return -1;
		switch (gdb_rx_feed(&c->rx, (uint8_t)b)) {
		case GDB_RX_PACKET:
			if (!c->no_ack)
				c->write(c->ctx, "+", 1);
			return (long)c->rx.len;
		case GDB_RX_BAD:
			if (!c->no_ack)
				c->write(c->ctx, "-", 1);
			break;
		case GDB_RX_TOO_LONG:
			if (!c->no_ack)
				c->write(c->ctx, "+", 1);
			if (gdb_send(c, too_long, sizeof(too_long) - 1) < 0)
				return -1;
			break;
		default:
			break;
		}
	}
}
