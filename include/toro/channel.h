/* Native API: messages between cores, Toro's VirtIOBus. Each ordered pair of cores has a ring of
 * its own in shared memory (made on the first send), so cores never contend for one lock; a
 * message is copied in by the sender and out by the receiver. Messages from one core to another
 * arrive in the order they were sent (among the threads of a core: in the order their sends
 * completed). The blocking calls park only the calling thread: the other threads of its core
 * run meanwhile. A receiver that is blocked is woken with an interrupt; one that is busy finds
 * the message when it next asks, and is not interrupted. */
#ifndef TORO_CHANNEL_H
#define TORO_CHANNEL_H

#include <stddef.h>

/* The largest message. */
#define TORO_CHAN_MSG_MAX (64u << 10)

/* What the calls return instead of a length, negated (the Linux errno values). */
#define TORO_EIO      5  /* the ring's contents are damaged (memory overwritten) */
#define TORO_EAGAIN   11 /* try_ variants: nothing to receive, or no room to send, now */
#define TORO_ENOMEM   12 /* the first send to a core could not get memory for the ring */
#define TORO_EINVAL   22 /* no such core, or a NULL buffer with a non-zero length */
#define TORO_EMSGSIZE 90 /* longer than TORO_CHAN_MSG_MAX, or than the receive buffer */

/* Sends len bytes (0 .. TORO_CHAN_MSG_MAX) from buf to core `core` (it may be the caller's own
 * core). Waits while that ring is full: a message is never dropped. Returns 0 or -TORO_E*. */
int toro_chan_send(unsigned core, const void *buf, size_t len);

/* Receives the oldest message core `core` sent to this core into buf: returns its length.
 * Waits until there is one. A message longer than cap is not taken: -TORO_EMSGSIZE, and it
 * stays for a call with a larger buffer. */
long toro_chan_recv(unsigned core, void *buf, size_t cap);

/* Receives a message from whichever core has one (cores with messages are served in turn, so
 * none is starved) and sets *from to the sender's core. Waits until there is one. */
long toro_chan_recv_any(unsigned *from, void *buf, size_t cap);

/* The same without waiting: -TORO_EAGAIN instead. */
int toro_chan_try_send(unsigned core, const void *buf, size_t len);
long toro_chan_try_recv(unsigned core, void *buf, size_t cap);
long toro_chan_try_recv_any(unsigned *from, void *buf, size_t cap);

#endif
