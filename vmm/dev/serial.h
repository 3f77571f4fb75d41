/* COM1, a 16550 UART at port 0x3f8, output only: what the guest transmits goes to the terminal,
 * the line status always says the transmitter is empty, and there is never received data. With
 * IER's "transmitter empty" bit set it interrupts on IRQ 4 whenever the transmitter empties (at
 * once, since sending is instant); reading IIR acknowledges, as on a 16550. */
#ifndef VMM_DEV_SERIAL_H
#define VMM_DEV_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#define SERIAL_COM1_PORT 0x3f8
#define SERIAL_PORTS     8
#define SERIAL_COM1_IRQ  4

struct serial {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	void (*output)(void *ctx, const void *data, size_t len);
	void *output_ctx;
	void (*irq)(void *ctx, unsigned irq); /* NULL: no interrupts */
	void *irq_ctx;
	int thre_pending; /* a "transmitter empty" interrupt not yet acknowledged */
};

void serial_init(struct serial *s, void (*output)(void *ctx, const void *data, size_t len),
                 void *ctx);
/* Lets the UART interrupt (edge) through irq(irq_ctx, SERIAL_COM1_IRQ). */
void serial_set_irq(struct serial *s, void (*irq)(void *ctx, unsigned irq), void *ctx);
void serial_read(void *ctx, uint64_t off, void *data, unsigned size);
void serial_write(void *ctx, uint64_t off, const void *data, unsigned size);

#endif
