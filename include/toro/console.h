/* Native API: the console. toro_write and toro_printf are the application's stdout (`toro run`'s
 * stdout; kernel messages go to its stderr), written in order, each call before it returns;
 * toro_read is its stdin. */
#ifndef TORO_CONSOLE_H
#define TORO_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

void toro_write(const char *s, size_t len);

/* Reads up to len bytes of the application's stdin (`toro run`'s stdin) into buf, waiting until
 * some arrive. Returns how many, or 0 at the end of input (at once where the VM has no console
 * input: COM1 only, `toro run --console serial`). */
long toro_read(char *buf, size_t len);

/* printf formatting without floating point: %d %i %u %x %X %o %p %s %c %%, flags "-0+ #", width,
 * precision, and the length modifiers hh h l ll z t j. Returns the number of characters. */
int toro_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int toro_vprintf(const char *fmt, va_list ap);

/* The device console output goes to: "virtio" (a virtio console, `toro run --console virtio`)
 * or "serial" (COM1). */
const char *toro_console_name(void);

#endif
