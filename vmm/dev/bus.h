/* Dispatch of the guest's port I/O and MMIO accesses to device models by address range. An
 * access no device claims is logged once per address and otherwise ignored (reads give all
 * ones), so a guest poking at random addresses never stops the monitor. */
#ifndef VMM_DEV_BUS_H
#define VMM_DEV_BUS_H

#include <pthread.h>
#include <stdint.h>

#define BUS_MAX_DEVICES 24
#define BUS_MAX_LOGGED  64

/* off is relative to the device's base; size is 1, 2, 4 or 8 bytes. */
typedef void (*bus_read_fn)(void *ctx, uint64_t off, void *data, unsigned size);
typedef void (*bus_write_fn)(void *ctx, uint64_t off, const void *data, unsigned size);

struct bus_device {
	uint64_t base, len;
	bus_read_fn read;
	bus_write_fn write;
	void *ctx;
};

struct bus {
	const char *kind; /* "port" or "MMIO address", for messages */
	int ndevices;
	struct bus_device devices[BUS_MAX_DEVICES];
	pthread_mutex_t log_lock; /* the devices are fixed before the run; the log is not */
	int nlogged;
	uint64_t logged[BUS_MAX_LOGGED];
};

void bus_init(struct bus *b, const char *kind);

/* Returns 0, or -1 if the bus is full or the range overlaps another device. */
int bus_add(struct bus *b, uint64_t base, uint64_t len, bus_read_fn read, bus_write_fn write,
            void *ctx);

/* Performs one access of size bytes at addr (data holds or receives the value). Any thread may
 * call it; the device's callback does its own locking. */
void bus_access(struct bus *b, uint64_t addr, void *data, unsigned size, int is_write);

#endif
