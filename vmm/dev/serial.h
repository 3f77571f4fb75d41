/* A 16550 UART, one model for both ports. COM1 (0x3f8) is output only: what the guest transmits
 * goes to the terminal, the line status always says the transmitter is empty, and there is never
 * received data; with IER's "transmitter empty" bit set it interrupts on IRQ 4 whenever the
 * transmitter empties (at once, since sending is instant), and reading IIR acknowledges, as on a
 * 16550. COM2 (0x2f8, IRQ 3, `toro run --gdb`) has a line back end as well (struct
 * serial_line): LSR shows received data, THRE once the back end has room for a whole FIFO (16
 * bytes, what a driver writes after seeing it), TEMT once it has sent everything; RBR reads the
 * data; with IER's "received data" bit it interrupts when data arrives (serial_received). FCR is
 * accepted and changes nothing: a FIFO clear drops no buffered input. */
#ifndef VMM_DEV_SERIAL_H
#define VMM_DEV_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#define SERIAL_COM1_PORT 0x3f8
#define SERIAL_COM2_PORT 0x2f8
#define SERIAL_PORTS     8
#define SERIAL_COM1_IRQ  4
#define SERIAL_COM2_IRQ  3
#define SERIAL_FIFO_SIZE 16

/* What a line back end reports in status(). */
#define SERIAL_LINE_RX_READY 0x1 /* receive() has a byte */
#define SERIAL_LINE_TX_ROOM  0x2 /* output takes a byte now */
#define SERIAL_LINE_TX_FIFO  0x4 /* output takes SERIAL_FIFO_SIZE bytes now (LSR THRE) */
#define SERIAL_LINE_TX_IDLE  0x8 /* nothing transmitted is still waiting to go out */

/* The far end of a port that receives data and may be full. Both calls come from the vCPU
 * thread doing the port access (under the monitor's port I/O lock); the back end locks what
 * it shares with its own threads. */
struct serial_line {
	unsigned (*status)(void *ctx); /* SERIAL_LINE_* bits */
	int (*receive)(void *ctx);     /* the next received byte, or -1 when there is none */
	void *ctx;
};

struct serial {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	void (*output)(void *ctx, const void *data, size_t len);
	void *output_ctx;
	void (*irq)(void *ctx, unsigned irq); /* NULL: no interrupts */
	void *irq_ctx;
	unsigned irq_line;
	int thre_pending;        /* a "transmitter empty" interrupt not yet acknowledged */
	struct serial_line line; /* status NULL: output always taken, nothing received (COM1) */
	uint64_t overruns;       /* bytes written to THR while the line had no room: dropped */
};

void serial_init(struct serial *s, void (*output)(void *ctx, const void *data, size_t len),
                 void *ctx);
/* Lets the UART interrupt (edge) through irq(irq_ctx, line). */
void serial_set_irq(struct serial *s, void (*irq)(void *ctx, unsigned irq), void *ctx,
                    unsigned line);
/* Gives the port a line back end (before the guest runs). A THR write while the line has no room
 * is dropped and counted, as a 16550 overruns: a guest that writes at most a FIFO's worth after
 * each THRE never loses one. */
void serial_set_line(struct serial *s, const struct serial_line *line);
/* The line back end has received data: interrupts if IER asks for it. Any thread may call it. */
void serial_received(struct serial *s);
void serial_read(void *ctx, uint64_t off, void *data, unsigned size);
void serial_write(void *ctx, uint64_t off, const void *data, unsigned size);

#endif
