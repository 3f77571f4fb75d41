/* How a guest ends the VM: a byte written to the exit port 0xf4 is the process exit code; an
 * i8042 reset command (0xfe to port 0x64) stops the VM with the code written before, else 0.
 * Port 0x402 (the debugcon the QEMU path uses for exit codes) is accepted and ignored. */
#ifndef VMM_DEV_EXITPORT_H
#define VMM_DEV_EXITPORT_H

#include <stdint.h>

#define EXITPORT_PORT          0xf4 /* TORO_EXIT_PORT */
#define EXITPORT_PORT_LEN      4    /* as QEMU's isa-debug-exit,iosize=4 */
#define EXITPORT_I8042_PORT    0x64
#define EXITPORT_DEBUGCON_PORT 0x402

struct exitport {
	int code; /* -1 until the guest writes one */
	void (*stop)(void *ctx, int code);
	void *stop_ctx;
};

void exitport_init(struct exitport *e, void (*stop)(void *ctx, int code), void *ctx);

/* The guest reset or shut the machine down (i8042, or a KVM system event): stops it with the
 * code written before, else 0. */
void exitport_reset(struct exitport *e);

void exitport_read(void *ctx, uint64_t off, void *data, unsigned size);
void exitport_write(void *ctx, uint64_t off, const void *data, unsigned size);
void i8042_read(void *ctx, uint64_t off, void *data, unsigned size);
void i8042_write(void *ctx, uint64_t off, const void *data, unsigned size);
void debugcon_read(void *ctx, uint64_t off, void *data, unsigned size);
void debugcon_write(void *ctx, uint64_t off, const void *data, unsigned size);

#endif
