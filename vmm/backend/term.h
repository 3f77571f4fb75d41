/* The host terminal as the guest console's output: bytes from COM1 and virtio-console go to
 * stdout. COM1 and the monitor's own messages write through one small buffer, flushed at each
 * newline, when full and before the monitor prints anything (these writes may block); the
 * virtio console writes without blocking, and waits for room on the event thread. Thread-safe. */
#ifndef VMM_BACKEND_TERM_H
#define VMM_BACKEND_TERM_H

#include <stddef.h>

void term_write(const void *data, size_t len);
void term_flush(void);

/* term_write with a context argument, for device models that take an output callback. */
void term_output(void *ctx, const void *data, size_t len);

/* Writes as much of data as stdout takes without blocking (at most PIPE_BUF bytes, which a
 * pipe that polls writable takes whole). Returns how many bytes went out, 0 when stdout is
 * full; output that cannot be written at all (a closed pipe) counts as written and is dropped. */
size_t term_try_write(const void *data, size_t len);

#endif
