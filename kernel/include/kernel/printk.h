/* Kernel console output: printk formats (kernel/format.h) to the registered consoles
 * (kernel/console.h). */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <stdarg.h>
#include <stddef.h>

#include <kernel/console.h>

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Formats onto one console stream (kernel/console.h; printk's is CONSOLE_ERR). Returns the
 * number of characters formatted. */
int vprintk_stream(enum console_stream stream, const char *fmt, va_list ap);

/* Prints "kernel panic: ...", a backtrace, and ends the VM with TORO_EXIT_PANIC (exit.c). */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
