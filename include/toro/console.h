/* Native API: console output. Output goes to the VM's console (COM1) in order; each call is
 * written before it returns. */
#ifndef TORO_CONSOLE_H
#define TORO_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

void toro_write(const char *s, size_t len);

/* printf formatting without floating point: %d %i %u %x %X %o %p %s %c %%, flags "-0+ #", width,
 * precision, and the length modifiers hh h l ll z t j. Returns the number of characters. */
int toro_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int toro_vprintf(const char *fmt, va_list ap);

/* The device console output goes to: "virtio" (a virtio console, `toro run --console virtio`)
 * or "serial" (COM1). */
const char *toro_console_name(void);

#endif
