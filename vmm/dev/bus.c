/* Address-range dispatch for port I/O and MMIO (see bus.h). */
#include "bus.h"

#include <stdio.h>
#include <string.h>

#include "backend/term.h"

void bus_init(struct bus *b, const char *kind)
{
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	pthread_mutex_init(&b->log_lock, NULL);
}

int bus_add(struct bus *b, uint64_t base, uint64_t len, bus_read_fn read, bus_write_fn write,
            void *ctx)
{
	if (b->ndevices == BUS_MAX_DEVICES || len == 0)
		return -1;
	for (int i = 0; i < b->ndevices; i++) {
		const struct bus_device *d = &b->devices[i];
		if (base < d->base + d->len && d->base < base + len)
			return -1;
	}
	b->devices[b->ndevices++] = (struct bus_device){base, len, read, write, ctx};
	return 0;
}

/* One line per unknown address, and one more when the table of logged addresses fills up. */
static void bus_log_unknown(struct bus *b, uint64_t addr, unsigned size, int is_write)
{
	for (int i = 0; i < b->nlogged; i++)
		if (b->logged[i] == addr)
			return;
	if (b->nlogged > BUS_MAX_LOGGED)
		return;
	term_flush();
	if (b->nlogged == BUS_MAX_LOGGED) {
		fprintf(stderr, "toro: more unknown %ss accessed by the guest; no longer logged\n",
		        b->kind);
		b->nlogged++;
		return;
	}
	b->logged[b->nlogged++] = addr;
	fprintf(stderr, "toro: guest %s unknown %s %#llx (%u bytes); ignored\n",
	        is_write ? "wrote to" : "read from", b->kind, (unsigned long long)addr, size);
}

void bus_access(struct bus *b, uint64_t addr, void *data, unsigned size, int is_write)
{
	for (int i = 0; i < b->ndevices; i++) {
		struct bus_device *d = &b->devices[i];
		if (addr < d->base || addr - d->base >= d->len)
			continue;
		if (size > d->len - (addr - d->base))
			break; /* runs past the device's end */
		if (is_write)
			d->write(d->ctx, addr - d->base, data, size);
		else
			d->read(d->ctx, addr - d->base, data, size);
		return;
	}
	if (!is_write)
		memset(data, 0xff, size);
	pthread_mutex_lock(&b->log_lock);
	bus_log_unknown(b, addr, size, is_write);
	pthread_mutex_unlock(&b->log_lock);
}
