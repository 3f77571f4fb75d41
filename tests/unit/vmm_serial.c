/* The monitor's COM1 (vmm/dev/serial.c): output, the divisor latch, and the "transmitter empty"
 * interrupt with its acknowledgement by reading IIR (16550 semantics). */
// SOURCES: vmm/dev/serial.c
#include "dev/serial.h"

#include <string.h>

#include "check.h"

static char out[64];
static size_t out_len;
static int irqs;
static unsigned last_irq;

static void output(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	memcpy(out + out_len, data, len);
	out_len += len;
}

static void irq(void *ctx, unsigned n)
{
	(void)ctx;
	irqs++;
	last_irq = n;
}

static void wr(struct serial *s, uint64_t off, uint8_t v)
{
	serial_write(s, off, &v, 1);
}

static uint8_t rd(struct serial *s, uint64_t off)
{
	uint8_t v;
	serial_read(s, off, &v, 1);
	return v;
}

int main(void)
{
	struct serial s;
	serial_init(&s, output, NULL);
	wr(&s, 0, 'h');
	wr(&s, 0, 'i');
	CHECK(out_len == 2 && memcmp(out, "hi", 2) == 0);
	CHECK((rd(&s, 5) & 0x60) == 0x60); /* LSR: THRE and TEMT */
	CHECK(rd(&s, 2) == 0x01);          /* IIR: no interrupt */

	/* DLAB: offsets 0 and 1 are the divisor, not data and IER. */
	wr(&s, 3, 0x80);
	wr(&s, 0, 0x0c);
	wr(&s, 1, 0x00);
	CHECK(rd(&s, 0) == 0x0c);
	CHECK(out_len == 2);
	wr(&s, 3, 0x03);
	CHECK(rd(&s, 3) == 0x03);

	/* Without an interrupt callback, enabling the interrupt does nothing. */
	wr(&s, 1, 0x02);
	CHECK(irqs == 0 && rd(&s, 2) == 0x01);
	wr(&s, 1, 0x00);

	serial_set_irq(&s, irq, NULL, SERIAL_COM1_IRQ);
	wr(&s, 0, 'x');
	CHECK(irqs == 0); /* IER off: no interrupt */
	wr(&s, 1, 0x02);  /* enabling with the transmitter empty interrupts at once */
	CHECK(irqs == 1 && last_irq == SERIAL_COM1_IRQ);
	CHECK(rd(&s, 2) == 0x02); /* IIR says why, and reading it acknowledges */
	CHECK(rd(&s, 2) == 0x01);
	wr(&s, 0, 'y');
	CHECK(irqs == 2 && rd(&s, 2) == 0x02 && rd(&s, 2) == 0x01);
	wr(&s, 1, 0x02); /* already enabled: no new interrupt */
	CHECK(irqs == 2);
	wr(&s, 1, 0x00);
	wr(&s, 0, 'z');
	CHECK(irqs == 2 && rd(&s, 2) == 0x01);
	CHECK(out_len == 5 && memcmp(out, "hixyz", 5) == 0);
	return check_summary("vmm_serial");
}
