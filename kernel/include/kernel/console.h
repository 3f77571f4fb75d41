/* The console registry: every output device that can carry console text (COM1, the
 * virtio-console) registers itself here, and printk, the native console API and the system-call
 * layer write through it. Core code never names a console driver.
 *
 * Two output streams: CONSOLE_ERR, the console proper (kernel messages, the application's
 * stderr), and CONSOLE_OUT, the application's stdout. A console with a separate channel for
 * stdout (the virtio console's port 1) keeps them apart; the others take both alike, as one. */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <stddef.h>

enum console_stream { CONSOLE_ERR, CONSOLE_OUT };

struct console {
	const char *name; /* what toro_console_name() reports while this console is first */
	/* Takes a prefix of [s, s + len) on stream (a console with one channel takes both streams
	 * alike) and returns its length, or -errno when it takes nothing (-ENODEV: not live;
	 * -EBUSY: this CPU is already inside it). Whatever it does not take goes to the next
	 * console. */
	long (*write)(enum console_stream stream, const char *s, size_t len);
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
void console_write_stream(enum console_stream stream, const char *s, size_t len);

/* Kernel messages: the CONSOLE_ERR stream. */
static inline void console_write(const char *s, size_t len)
{
	console_write_stream(CONSOLE_ERR, s, len);
}

/* Waits until every console has delivered what was written: called before the VM exits. */
void console_flush(void);

/* The name of the first live console ("virtio", "serial"), or "none". */
const char *console_name(void);

/* Console input (the application's stdin), from the virtio console's input port; defined by its
 * driver (kernel/drivers/virtio/console_input.c), which is linked only into images that read
 * it. Reads up to len bytes into buf (kernel memory): returns how many, 0 at the end of input
 * (also when there is no input device: COM1 has no input), or -EAGAIN when nothing has come yet
 * and nonblock is set; otherwise waits (as waiting for a device) until something comes. */
long console_read(char *buf, size_t len, int nonblock);

/* Whether console_read would return without waiting. */
int console_read_ready(void);

/* Called by the input driver (from its interrupt handler) when input or its end arrived. Weak
 * and empty in the driver; the console file (kernel/core/console_file.c) wakes its pollers. */
void console_input_notify(void);

#endif
