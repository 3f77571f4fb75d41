/* The host terminal as the guest console's output: bytes from COM1 and virtio-console go to
 * stdout through one small buffer, flushed at each newline, when full and before the monitor
 * prints anything of its own. Callers serialize (the machine's device lock). */
#ifndef VMM_BACKEND_TERM_H
#define VMM_BACKEND_TERM_H

#include <stddef.h>

void term_write(const void *data, size_t len);
void term_flush(void);

/* term_write with a context argument, for device models that take an output callback. */
void term_output(void *ctx, const void *data, size_t len);

#endif
