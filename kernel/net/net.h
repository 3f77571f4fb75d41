/* Private to kernel/net and the virtio-vsock driver: what the protocol core (kernel/net/vsock.c)
 * needs from below it. The transport (kernel/drivers/virtio/vsock.c in the kernel, a fake device
 * in tests/unit/vsock_proto.c) moves packets; the environment (kernel/net/env.c in the kernel,
 * the same test on the host) parks and wakes threads. Keeping both behind these few calls is what
 * lets the protocol core build and run on the host. */
#ifndef KERNEL_NET_NET_H
#define KERNEL_NET_NET_H

#include <stddef.h>
#include <stdint.h>

#include <kernel/file.h>
#include <toro/abi/virtio.h>

/* A received packet. The transport fills it (the header as the device wrote it, hdr.len checked
 * against what the device wrote and against room) and hands it to vsock_net_receive, which owns
 * it from then on and gives it back with vsock_transport_packet_free. A socket keeps the packet
 * itself in its receive queue until the application has read it: the payload is copied once,
 * from here to the caller's buffer. */
struct vsock_packet {
	struct vsock_packet *next; /* in a socket's receive queue */
	struct virtio_vsock_hdr hdr;
	uint32_t off;  /* payload bytes already read */
	uint32_t room; /* payload capacity of data */
	uint8_t *data;
};

/* The most payload one packet the protocol core sends carries. */
#define VSOCK_PACKET_PAYLOAD 4096u

/* ---- The transport, below kernel/net. */

/* This guest's CID, or 0 when there is no (live) device. */
uint64_t vsock_transport_cid(void);

/* Sends one packet: hdr (src_cid is filled in) and hdr->len payload bytes taken from iov[0..count)
 * after skipping skip bytes (hdr->len <= VSOCK_PACKET_PAYLOAD). One thread's packets go out in the
 * order of its calls. Waits for room in the device's queue unless nonblock. Returns 0, -EAGAIN (nonblock, no
 * room), -ENODEV (no device) or -EIO (the device failed). Thread context, no spin lock held. */
int vsock_transport_send(const struct virtio_vsock_hdr *hdr, const struct file_iovec *iov,
                         size_t count, size_t skip, int nonblock);

/* Gives a received packet back for reuse. Any thread, any core, locks held or not. */
void vsock_transport_packet_free(struct vsock_packet *p);

/* A socket timer was set earlier than the transport's thread may be waiting for: it should call
 * vsock_net_tick soon. */
void vsock_transport_timer_changed(void);

/* ---- Called by the transport, from its thread (never from the IRQ handler). */

/* One packet from the device; kernel/net owns p from now on. */
void vsock_net_receive(struct vsock_packet *p);

/* The device's transport was reset (§5.10.6.7): every connection is reset, listeners stay. */
void vsock_net_reset(void);

/* Runs the socket timers that are due at now_ns (closes waiting for the peer's RST, non-blocking
 * connects). Returns the next deadline, or 0 when no timer is set. */
uint64_t vsock_net_tick(uint64_t now_ns);

/* Whether any socket timer is set, so that vsock_net_tick has something to do. Read without a
 * lock: a timer set after the answer calls vsock_transport_timer_changed. */
int vsock_net_timers_pending(void);

/* ---- The environment: memory, time, parking threads. */

void *vsock_env_alloc(size_t size); /* NULL when memory runs out; thread context */
void vsock_env_free(void *p);
uint64_t vsock_env_now_ns(void);

/* One thread waiting for an event. The waiter is linked into some list under that list's lock;
 * the waker, under the same lock, unlinks it, sets woken and calls vsock_env_wake. */
struct vsock_waiter {
	struct vsock_waiter *next;
	void *thread;
	int woken;
};

/* Arms w for the calling thread (before publishing w and dropping the lock). io_wait: the thread
 * waits for the device, so its blocking is not a deadlock. */
void vsock_env_wait_prepare(struct vsock_waiter *w, int io_wait);
/* Parks the calling thread until woken or until deadline_ns (0: none). Returns 0 when woken, 1
 * if the deadline passed, -EINTR if a signal the thread must handle ended the wait (POSIX
 * images; then the caller gives up, as Linux's socket calls do). Called with no lock held. */
int vsock_env_wait_block(struct vsock_waiter *w, uint64_t deadline_ns);
/* Wakes w's thread (w->woken already set by the caller). Safe from an IRQ handler. */
void vsock_env_wake(struct vsock_waiter *w);

/* Wakes every waiter of a list and empties it; the list's lock held. */
static inline void vsock_waiters_wake(struct vsock_waiter **list)
{
	struct vsock_waiter *w = *list;
	*list = NULL;
	while (w) {
		struct vsock_waiter *next = w->next;
		w->woken = 1;
		vsock_env_wake(w);
		w = next;
	}
}

/* Takes w off a list it may still be on (it gave up waiting); the list's lock held. */
static inline void vsock_waiter_unlink(struct vsock_waiter **list, struct vsock_waiter *w)
{
	for (; *list; list = &(*list)->next) {
		if (*list == w) {
			*list = w->next;
			return;
		}
	}
}

#endif
