/* COM1, the boot console. Private to arch/x86_64: generic code reaches it through the console
 * registry (kernel/console.h), where arch_serial_init registers it. */
#ifndef KERNEL_ARCH_X86_64_SERIAL_H
#define KERNEL_ARCH_X86_64_SERIAL_H

#include <stddef.h>

#include <kernel/console.h>

/* Writes all of [s, s + len) to COM1 and returns len (either stream: COM1 is one channel). Needs no lock and no per-CPU state, so
 * the fault handler can use it when the consoles themselves are what faulted. */
long serial_write(enum console_stream stream, const char *s, size_t len);

#endif
