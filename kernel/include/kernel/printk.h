/* Kernel console output: printk formats (kernel/format.h) to every console. */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <stdarg.h>
#include <stddef.h>

void console_write(const char *s, size_t len);

/* Waits until every console has delivered what was written: called before the VM exits. */
void console_flush(void);
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintk(const char *fmt, va_list ap);

/* Prints "panic: ...", a backtrace, and ends the VM with TORO_EXIT_PANIC. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
