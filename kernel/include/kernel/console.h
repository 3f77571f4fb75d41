/* The console registry: every output device that can carry console text (COM1, the
 * virtio-console) registers itself here, and printk, the native console API and the system-call
 * layer write through it. Core code never names a console driver. */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stddef.h>

struct console {
	const char *name; /* what toro_console_name() reports while this console is first */
	/* Takes a prefix of [s, s + len) and returns its length, or -errno when it takes nothing
	 * (-ENODEV: not live; -EBUSY: this CPU is already inside it). Whatever it does not take
	 * goes to the next console. */
	long (*write)(const char *s, size_t len);
	/* Waits until everything written has been delivered; may be NULL. Returns 0 or -errno. */
	int (*flush)(void);
	volatile int live; /* set by the driver while the console can take output */
	struct console *next;
};

/* Adds c in front of the consoles registered before it: the newest console is offered output
 * first, so the boot console (COM1, registered first) gets what the others leave. c is owned
 * by its driver and never freed. */
void console_register(struct console *c);

/* Offers s to each live console in turn until all of it is taken. */
void console_write(const char *s, size_t len);

/* Waits until every console has delivered what was written: called before the VM exits. */
void console_flush(void);

/* The name of the first live console ("virtio", "serial"), or "none". */
const char *console_name(void);

#endif
