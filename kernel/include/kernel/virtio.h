/* What the rest of the kernel uses of the virtio drivers (kernel/drivers/virtio): the
 * virtio-console that takes over console output from COM1 once it is live. */
#ifndef KERNEL_VIRTIO_H
#define KERNEL_VIRTIO_H

#include <stddef.h>

/* Queues len bytes of s for the virtio console, in order after everything written before (by
 * any CPU: writers take turns). Returns the number of bytes taken (all of them unless the
 * device failed part-way), or -ENODEV when no virtio console is live and -EBUSY when this CPU
 * is already inside it (a fault or an interrupt handler printing mid-write); the caller sends
 * what was not taken to COM1. Waits (polling) while every transmit buffer is with the
 * device. */
long virtio_console_write(const char *s, size_t len);

/* Waits until the device has consumed everything written so far: called before the VM exits.
 * Returns 0, or -errno if there is no live console or it failed while waiting. */
int virtio_console_flush(void);

/* Whether console output goes to a virtio console. */
int virtio_console_live(void);

#endif
