/* printf-style formatting for the kernel (no libc). Freestanding and also built into the host
 * unit tests. Supports %d %i %u %x %X %o %p %s %c %%, flags '-', '0', '+', ' ', '#', width and
 * precision (also '*'), length modifiers hh h l ll z t j. */
#ifndef KERNEL_FORMAT_H
#define KERNEL_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* Receives formatted output in pieces; ctx is the caller's. */
typedef void (*format_sink)(void *ctx, const char *s, size_t len);

/* Formats to sink; returns the number of characters produced. */
size_t format_v(format_sink sink, void *ctx, const char *fmt, va_list ap);

/* snprintf semantics: writes at most size bytes including the NUL, returns the full length. */
size_t format_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
size_t format_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
