/* The exit port, the i8042 reset line and the ignored debugcon port (see exitport.h). */
#include "exitport.h"

#include <string.h>

#define I8042_CMD_RESET 0xfe

void exitport_init(struct exitport *e, void (*stop)(void *ctx, int code), void *ctx)
{
	e->code = -1;
	e->stop = stop;
	e->stop_ctx = ctx;
}

void exitport_reset(struct exitport *e)
{
	e->stop(e->stop_ctx, e->code >= 0 ? e->code : 0);
}

void exitport_read(void *ctx, uint64_t off, void *data, unsigned size)
{
	(void)ctx;
	(void)off;
	memset(data, 0, size);
}

void exitport_write(void *ctx, uint64_t off, const void *data, unsigned size)
{
	struct exitport *e = ctx;
	(void)size;
	if (off != 0)
		return;
	e->code = *(const uint8_t *)data;
	e->stop(e->stop_ctx, e->code);
}

/* Status 0: output buffer empty, input buffer empty (ready for a command). */
void i8042_read(void *ctx, uint64_t off, void *data, unsigned size)
{
	(void)ctx;
	(void)off;
	memset(data, 0, size);
}

void i8042_write(void *ctx, uint64_t off, const void *data, unsigned size)
{
	struct exitport *e = ctx;
	(void)off;
	(void)size;
	if (*(const uint8_t *)data == I8042_CMD_RESET)
		exitport_reset(e);
}

void debugcon_read(void *ctx, uint64_t off, void *data, unsigned size)
{
	(void)ctx;
	(void)off;
	memset(data, 0, size);
}

void debugcon_write(void *ctx, uint64_t off, const void *data, unsigned size)
{
	(void)ctx;
	(void)off;
	(void)data;
	(void)size;
}
