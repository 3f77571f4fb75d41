/* The 16550 registers the kernel's console driver (and any UART probe) touches: THR/RBR, IER,
 * IIR/FCR, LCR (with the divisor latch behind DLAB), MCR, LSR, MSR, SCR. */
#include <stddef.h>
#include <string.h>

#include "serial.h"

#define UART_RBR_THR 0
#define UART_IER     1
#define UART_IIR_FCR 2
#define UART_LCR     3
#define UART_MCR     4
#define UART_LSR     5
#define UART_MSR     6
#define UART_SCR     7

#define UART_LCR_DLAB        0x80
#define UART_IER_RDI         0x01 /* interrupt when data is received */
#define UART_IER_THRI        0x02 /* interrupt when the transmitter is empty */
#define UART_IIR_NO_INT      0x01
#define UART_IIR_THRI        0x02
#define UART_IIR_RDI         0x04
#define UART_LSR_DR          0x01
#define UART_LSR_THRE        0x20
#define UART_LSR_TEMT        0x40
#define UART_MSR_CTS_DSR_DCD 0xb0

void serial_init(struct serial *s, void (*output)(void *ctx, const void *data, size_t len),
                 void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->output = output;
	s->output_ctx = ctx;
}

void serial_set_irq(struct serial *s, void (*irq)(void *ctx, unsigned irq), void *ctx,
                    unsigned line)
{
	s->irq = irq;
	s->irq_ctx = ctx;
	s->irq_line = line;
}

void serial_set_line(struct serial *s, const struct serial_line *line)
{
	s->line = *line;
}

/* The transmitter has just become (or was found) empty. A port with a line back end has no
 * interrupt: its transmitter empties when the back end says so, not now. */
static void serial_thr_empty(struct serial *s)
{
	if (!(s->ier & UART_IER_THRI) || !s->irq || s->line.status)
		return;
	s->thre_pending = 1;
	s->irq(s->irq_ctx, s->irq_line);
}

static unsigned serial_line_status(const struct serial *s)
{
	if (!s->line.status)
		return SERIAL_LINE_TX_ROOM | SERIAL_LINE_TX_FIFO | SERIAL_LINE_TX_IDLE;
	return s->line.status(s->line.ctx);
}

static uint8_t serial_lsr(const struct serial *s)
{
	unsigned st = serial_line_status(s);
	return (st & SERIAL_LINE_RX_READY ? UART_LSR_DR : 0) |
	       (st & SERIAL_LINE_TX_FIFO ? UART_LSR_THRE : 0) |
	       (st & SERIAL_LINE_TX_IDLE ? UART_LSR_TEMT : 0);
}

/* IER as the guest last wrote it. The event thread reads it (serial_received) while a vCPU
 * thread may write it: one byte, accessed atomically. */
static uint8_t serial_ier(const struct serial *s)
{
	return __atomic_load_n(&s->ier, __ATOMIC_ACQUIRE);
}

void serial_received(struct serial *s)
{
	if ((serial_ier(s) & UART_IER_RDI) && s->irq)
		s->irq(s->irq_ctx, s->irq_line);
}

/* RBR: the next received byte, 0 when there is none (a 16550 repeats its last one). */
static uint8_t serial_rbr(const struct serial *s)
{
	int c = s->line.receive ? s->line.receive(s->line.ctx) : -1;
	return c < 0 ? 0 : (uint8_t)c;
}

static void serial_thr(struct serial *s, uint8_t v)
{
	s->thre_pending = 0;
	if (!(serial_line_status(s) & SERIAL_LINE_TX_ROOM)) {
		s->overruns++;
		return;
	}
	s->output(s->output_ctx, &v, 1);
	serial_thr_empty(s);
}

static uint8_t serial_read_reg(struct serial *s, uint64_t off)
{
	int dlab = s->lcr & UART_LCR_DLAB;
	switch (off) {
	case UART_RBR_THR:
		return dlab ? s->dll : serial_rbr(s);
	case UART_IER:
		return dlab ? s->dlm : s->ier;
	case UART_IIR_FCR:
		/* Received data comes first; it stays until RBR is read empty. */
		if ((s->ier & UART_IER_RDI) && (serial_line_status(s) & SERIAL_LINE_RX_READY))
			return UART_IIR_RDI;
		/* Reading IIR acknowledges a "transmitter empty" interrupt. */
		if (s->thre_pending && (s->ier & UART_IER_THRI)) {
			s->thre_pending = 0;
			return UART_IIR_THRI;
		}
		return UART_IIR_NO_INT;
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return serial_lsr(s);
	case UART_MSR:
		return UART_MSR_CTS_DSR_DCD;
	case UART_SCR:
		return s->scr;
	default:
		return 0xff;
	}
}

void serial_read(void *ctx, uint64_t off, void *data, unsigned size)
{
	memset(data, 0, size);
	*(uint8_t *)data = serial_read_reg(ctx, off);
}

void serial_write(void *ctx, uint64_t off, const void *data, unsigned size)
{
	struct serial *s = ctx;
	uint8_t v = *(const uint8_t *)data;
	int dlab = s->lcr & UART_LCR_DLAB;
	(void)size;
	switch (off) {
	case UART_RBR_THR:
		if (dlab) {
			s->dll = v;
		} else {
			serial_thr(s, v);
		}
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = v;
		} else {
			uint8_t was = s->ier;
			__atomic_store_n(&s->ier, v, __ATOMIC_RELEASE);
			/* Enabling an interrupt whose condition holds raises it at once. */
			if (!(was & UART_IER_THRI))
				serial_thr_empty(s);
			if (!(was & UART_IER_RDI) && (serial_line_status(s) & SERIAL_LINE_RX_READY))
				serial_received(s);
		}
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	default:
		break; /* FCR, and writes to the read-only LSR and MSR */
	}
}
