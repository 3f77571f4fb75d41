/* COM1, a 16550 UART at port 0x3f8, output only: what the guest transmits goes to the terminal,
 * the line status always says the transmitter is empty, and there is never received data. */
#ifndef VMM_DEV_SERIAL_H
#define VMM_DEV_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#define SERIAL_COM1_PORT 0x3f8
#define SERIAL_PORTS     8

struct serial {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	void (*output)(void *ctx, const void *data, size_t len);
	void *output_ctx;
};

void serial_init(struct serial *s, void (*output)(void *ctx, const void *data, size_t len),
                 void *ctx);
void serial_read(void *ctx, uint64_t off, void *data, unsigned size);
void serial_write(void *ctx, uint64_t off, const void *data, unsigned size);

#endif
