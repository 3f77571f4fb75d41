/* Inter-core channels (kernel/ipc/channel.c): messages between cores over one ring per ordered
 * core pair, with blocking on the scheduler's wait queues. The native API
 * (kernel/api/channel_api.c) is a thin layer over this. */
#ifndef KERNEL_IPC_H
#define KERNEL_IPC_H

#include <stddef.h>

#define CHAN_ANY      (-1) /* chan_recv: from any core */
#define CHAN_NONBLOCK 1    /* flags: -EAGAIN instead of waiting */

/* Sends len bytes to core dst; 0 or -errno (-EINVAL, -EMSGSIZE, -ENOMEM, -EAGAIN with
 * CHAN_NONBLOCK). Called from threads only, never from interrupt handlers. */
int chan_send(unsigned dst, const void *buf, size_t len, int flags);

/* Receives a message from core src (or CHAN_ANY) into buf; returns its length and, if from is
 * not NULL, sets *from to its sender; or -errno (-EINVAL, -EMSGSIZE, -EIO, -EAGAIN with
 * CHAN_NONBLOCK). Threads only. */
long chan_recv(int src, unsigned *from, void *buf, size_t cap, int flags);

#endif
