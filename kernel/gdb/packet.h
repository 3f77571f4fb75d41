/* The GDB remote serial protocol's framing ("$payload#cs", acknowledgements, binary escapes),
 * apart from any transport and from the packets' meaning, so that tests/unit/gdb_packet.c runs
 * the same code on the host. Run-length encoding is never sent (gdb needs no reply shorter). */
#ifndef KERNEL_GDB_PACKET_H
#define KERNEL_GDB_PACKET_H

#include <stddef.h>
#include <stdint.h>

/* The largest payload either side may send: qSupported announces it as PacketSize. */
#define GDB_PACKET_MAX 4096

#define GDB_INTERRUPT 0x03 /* Ctrl-C, outside a packet (GDB_CTRL_C in kernel/gdb.h) */

/* What one received byte completed. */
enum gdb_rx_event {
	GDB_RX_NONE,      /* nothing yet */
	GDB_RX_PACKET,    /* a packet with a good checksum: rx->buf[0..rx->len), NUL-terminated */
	GDB_RX_BAD,       /* a bad checksum: answer '-' so that gdb sends it again */
	GDB_RX_TOO_LONG,  /* well formed but longer than GDB_PACKET_MAX: answer '+' and an error */
	GDB_RX_ACK,       /* '+' outside a packet */
	GDB_RX_NAK,       /* '-' outside a packet */
	GDB_RX_INTERRUPT, /* 0x03 outside a packet */
};

struct gdb_rx {
	int state; /* where in a packet (packet.c) */
	size_t len;
	uint8_t sum, given;
	int overflow;
	char buf[GDB_PACKET_MAX + 1];
};

/* The value of a hex digit, or -1. */
int gdb_hex_digit(uint8_t c);

/* Feeds one byte from the wire. Bytes outside a packet other than '$', '+', '-' and 0x03 are
 * ignored; a '$' inside a packet starts it again (the rest of a lost packet is dropped). */
enum gdb_rx_event gdb_rx_feed(struct gdb_rx *rx, uint8_t byte);

/* Frames payload [data, data + len) as "$...#cs" into out (cap bytes), escaping '$', '#', '}'
 * and '*' with '}'. Returns the framed length, or 0 if it does not fit. */
size_t gdb_frame(const void *data, size_t len, char *out, size_t cap);

/* Undoes '}' escapes in place over [buf, buf + len); returns the new length, or -1 for an
 * escape with nothing after it. */
long gdb_unescape(char *buf, size_t len);

/* Transport and acknowledgement: the stub's connection to gdb. */
struct gdb_conn {
	int (*getc)(void *ctx); /* the next byte, waiting for it; -1 when the line is gone */
	void (*write)(void *ctx, const char *s, size_t len);
	void *ctx;
	int no_ack; /* after QStartNoAckMode: no '+'/'-' either way */
	struct gdb_rx rx;
	char tx[2 * GDB_PACKET_MAX + 4]; /* framed: every byte may need an escape */
};

/* A new gdb on the line: acknowledgements on again, no packet half read. */
void gdb_conn_restart(struct gdb_conn *c);

/* Sends a payload framed and waits for gdb's '+', sending it again on '-' (a few times). A '$'
 * instead of the '+' (gdb's next packet, its ack lost) is kept in rx for gdb_receive. 0, or -1
 * if the line is gone, the payload does not fit, or gdb keeps refusing it. */
int gdb_send(struct gdb_conn *c, const char *payload, size_t len);

/* Waits for the next good packet and acknowledges it; bad ones are refused and waited for
 * again, over-long ones answered with an error. Returns its length (payload in c->rx.buf), or
 * -1 if the line is gone. An interrupt byte waiting here is dropped: we are stopped already. */
long gdb_receive(struct gdb_conn *c);

#endif
