/* The host terminal as the guest console: bytes from COM1 and the virtio console's ports go to
 * stdout or stderr, the virtio console's input port reads stdin. COM1 and the monitor's own
 * messages write through one small buffer (to stdout, or stderr when the virtio console has
 * stdout to itself), flushed at each newline, when full and before the monitor prints anything
 * (these writes may block); the virtio console writes without blocking, and waits for room on
 * the event thread. Thread-safe. */
#ifndef VMM_BACKEND_TERM_H
#define VMM_BACKEND_TERM_H

#include <stddef.h>

void term_write(const void *data, size_t len);
void term_flush(void);

/* term_write with a context argument, for device models that take an output callback. */
void term_output(void *ctx, const void *data, size_t len);

/* Where COM1's output goes from now on (STDOUT_FILENO at first). */
void term_set_serial_fd(int fd);

/* Writes as much of data as fd takes without blocking (at most PIPE_BUF bytes, which a pipe
 * that polls writable takes whole). Returns how many bytes went out, 0 when fd is full; output
 * that cannot be written at all (a closed pipe) counts as written and is dropped. */
size_t term_try_write(int fd, const void *data, size_t len);

/* Reads what stdin has now, up to len bytes, without waiting: returns how many, 0 at its end
 * (or when it cannot be read), -1 when nothing is there yet. The host terminal stays as it is
 * (cooked: input comes a line at a time, and Ctrl-C stops the run). */
long term_read(void *buf, size_t len);

#endif
