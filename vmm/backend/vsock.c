/* The vsock muxer (see vsock.h): the table of connections keyed by (host port, guest port), the
 * list of connections with a packet for the guest, the deadlines of host connections waiting for
 * the guest, the event handlers, and the virtio-vsock back end that ties them to the device
 * model. Every event handler takes the device lock, so the model, the muxer and the connections
 * (vsock_conn.c) are only ever used by one thread at a time. Listeners: vsock_setup.c. */
#include "vsock_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

double vsock_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned vsock_bucket(uint32_t local_port, uint32_t peer_port)
{
	uint32_t h = local_port * 0x9e3779b1u ^ peer_port * 0x85ebca6bu;
	return (h ^ (h >> 16)) % VSOCK_HASH_BUCKETS;
}

struct vsock_conn *vsock_conn_find(struct vsock_muxer *m, uint32_t local_port, uint32_t peer_port)
{
	struct vsock_conn *c = m->buckets[vsock_bucket(local_port, peer_port)];
	while (c && (c->local_port != local_port || c->peer_port != peer_port))
		c = c->hash_next;
	return c;
}

void vsock_conn_hash(struct vsock_conn *c)
{
	struct vsock_conn **b = &c->m->buckets[vsock_bucket(c->local_port, c->peer_port)];
	c->hash_next = *b;
	*b = c;
	c->hashed = 1;
}

static void vsock_conn_unhash(struct vsock_conn *c)
{
	struct vsock_conn **p = &c->m->buckets[vsock_bucket(c->local_port, c->peer_port)];
	while (*p != c)
		p = &(*p)->hash_next;
	*p = c->hash_next;
	c->hashed = 0;
}

uint32_t vsock_local_port(struct vsock_muxer *m, uint32_t peer_port)
{
	/* At most VSOCK_CONN_MAX ports are taken, so this ends. */
	for (;;) {
		uint32_t p = m->next_local_port++;
		if (m->next_local_port == VSOCK_PORT_ANY)
			m->next_local_port = VSOCK_LOCAL_PORT_FIRST;
		if (!vsock_conn_find(m, p, peer_port))
			return p;
	}
}

void vsock_rx_enqueue(struct vsock_conn *c)
{
	struct vsock_muxer *m = c->m;
	if (c->on_rx)
		return;
	c->on_rx = 1;
	c->rx_next = NULL;
	c->rx_prev = m->rx_tail;
	if (m->rx_tail)
		m->rx_tail->rx_next = c;
	else
		m->rx_head = c;
	m->rx_tail = c;
}

void vsock_rx_dequeue(struct vsock_conn *c)
{
	struct vsock_muxer *m = c->m;
	if (!c->on_rx)
		return;
	if (c->rx_prev)
		c->rx_prev->rx_next = c->rx_next;
	else
		m->rx_head = c->rx_next;
	if (c->rx_next)
		c->rx_next->rx_prev = c->rx_prev;
	else
		m->rx_tail = c->rx_prev;
	c->on_rx = 0;
}

void vsock_timer_set(struct vsock_muxer *m, int on)
{
	if (m->timer_armed == on)
		return;
	long ns = on ? VSOCK_RETRY_MS * 1000000l : 0;
	struct itimerspec t = {{0, ns}, {0, ns}};
	timerfd_settime(m->timer_fd, 0, &t, NULL);
	m->timer_armed = on;
}

void vsock_wait_add(struct vsock_conn *c, double deadline)
{
	struct vsock_muxer *m = c->m;
	c->deadline = deadline;
	if (c->on_wait)
		return;
	c->on_wait = 1;
	c->wait_prev = NULL;
	c->wait_next = m->wait_head;
	if (m->wait_head)
		m->wait_head->wait_prev = c;
	m->wait_head = c;
	vsock_timer_set(m, 1);
}

void vsock_wait_remove(struct vsock_conn *c)
{
	struct vsock_muxer *m = c->m;
	if (!c->on_wait)
		return;
	if (c->wait_prev)
		c->wait_prev->wait_next = c->wait_next;
	else
		m->wait_head = c->wait_next;
	if (c->wait_next)
		c->wait_next->wait_prev = c->wait_prev;
	c->on_wait = 0;
}

static void vsock_conn_event(void *ctx, uint32_t events);

struct vsock_conn *vsock_conn_new(struct vsock_muxer *m, int fd, enum vsock_conn_state state)
{
	struct vsock_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->m = m;
	c->fd = fd;
	c->state = state;
	/* Unarmed until vsock_conn_watch says what it waits for. */
	c->src = event_add(m->ev, fd, EPOLLONESHOT, vsock_conn_event, c);
	if (!c->src) {
		free(c);
		return NULL;
	}
	c->all_next = m->all;
	if (m->all)
		m->all->all_prev = c;
	m->all = c;
	m->nconns++;
	return c;
}

void vsock_conn_free(struct vsock_conn *c)
{
	struct vsock_muxer *m = c->m;
	if (c->hashed)
		vsock_conn_unhash(c);
	vsock_rx_dequeue(c);
	vsock_wait_remove(c);
	if (c->state == CONN_HELD)
		m->nheld--;
	if (c->all_prev)
		c->all_prev->all_next = c->all_next;
	else
		m->all = c->all_next;
	if (c->all_next)
		c->all_next->all_prev = c->all_prev;
	if (c->src)
		event_remove(m->ev, c->src);
	if (c->fd >= 0)
		close(c->fd);
	free(c->pending);
	free(c);
	m->nconns--;
	if (m->listeners_paused)
		vsock_listeners_watch(m, 1);
}

void vsock_reply_rst(struct vsock_muxer *m, const struct virtio_vsock_hdr *h)
{
	if (h->op == VIRTIO_VSOCK_OP_RST || m->nreplies == VSOCK_REPLIES_MAX)
		return;
	struct virtio_vsock_hdr *r =
	    &m->replies[(m->replies_head + m->nreplies++) % VSOCK_REPLIES_MAX];
	memset(r, 0, sizeof(*r));
	r->type = h->type;
	r->op = VIRTIO_VSOCK_OP_RST;
	r->src_port = h->dst_port;
	r->dst_port = h->src_port;
}

/* Every connection ends (the driver reset the device, or the muxer closes). */
void vsock_free_all(struct vsock_muxer *m)
{
	while (m->all)
		vsock_conn_free(m->all);
	m->nreplies = 0;
	vsock_timer_set(m, 0);
}

/* The driver reset the device: the connections the guest knew end (their host peers see the
 * end of the stream); host connections still waiting for the guest stay, and a REQUEST the old
 * driver may have seen is sent again to the new one. A driver resets the device when it starts,
 * so connections made before the guest booted wait for it. */
static void vsock_device_reset(struct vsock_muxer *m)
{
	m->nreplies = 0;
	struct vsock_conn *next;
	for (struct vsock_conn *c = m->all; c; c = next) {
		next = c->all_next;
		if (c->state == CONN_ESTABLISHED || c->state == CONN_CLOSING)
			vsock_conn_free(c);
		else if (c->state == CONN_CONNECTING)
			vsock_conn_request(c);
	}
}

/* Takes the device lock for an event handler and carries out a reset the driver asked for on
 * another thread. Returns 1 if it did (connections may be gone). */
int vsock_lock(struct vsock_muxer *m)
{
	pthread_mutex_lock(&m->dev->lock);
	if (!m->reset_pending)
		return 0;
	m->reset_pending = 0;
	vsock_device_reset(m);
	return 1;
}

void vsock_unlock(struct vsock_muxer *m)
{
	virtio_vsock_process(m->dev);
	pthread_mutex_unlock(&m->dev->lock);
}

/* Whether c is still one of m's connections (after a reset that may have ended it). */
static int vsock_conn_alive(const struct vsock_muxer *m, const struct vsock_conn *c)
{
	for (const struct vsock_conn *i = m->all; i; i = i->all_next)
		if (i == c)
			return 1;
	return 0;
}

static void vsock_conn_event(void *ctx, uint32_t events)
{
	struct vsock_conn *c = ctx;
	struct vsock_muxer *m = c->m;
	if (vsock_lock(m) && !vsock_conn_alive(m, c)) {
		vsock_unlock(m);
		return;
	}
	vsock_conn_host_event(c, events);
	vsock_unlock(m);
}

void vsock_kick_event(void *ctx, uint32_t events)
{
	struct vsock_muxer *m = ctx;
	uint64_t count;
	(void)events;
	if (read(m->kick_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return;
	vsock_lock(m);
	vsock_unlock(m);
}

void vsock_timer_event(void *ctx, uint32_t events)
{
	struct vsock_muxer *m = ctx;
	uint64_t count;
	(void)events;
	if (read(m->timer_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return;
	vsock_lock(m);
	double now = vsock_now();
	struct vsock_conn *next;
	for (struct vsock_conn *c = m->wait_head; c; c = next) {
		next = c->wait_next;
		vsock_conn_timer(c, now);
	}
	if (!m->wait_head)
		vsock_timer_set(m, 0);
	vsock_unlock(m);
}

/* The back end the model calls (device lock held). */

static void vsock_be_recv(void *ctx, const struct virtio_vsock_hdr *h, const struct iovec *payload,
                          int niov)
{
	struct vsock_muxer *m = ctx;
	if (h->type != VIRTIO_VSOCK_TYPE_STREAM) {
		vsock_reply_rst(m, h);
		return;
	}
	struct vsock_conn *c = vsock_conn_find(m, h->dst_port, h->src_port);
	if (c)
		vsock_conn_recv(c, h, payload, niov);
	else if (h->op == VIRTIO_VSOCK_OP_REQUEST)
		vsock_conn_guest_connect(m, h);
	else
		vsock_reply_rst(m, h);
}

static int vsock_be_can_recv(void *ctx)
{
	struct vsock_muxer *m = ctx;
	return m->nreplies < VSOCK_REPLIES_MAX;
}

static int vsock_be_has_rx(void *ctx)
{
	struct vsock_muxer *m = ctx;
	return m->nreplies || m->rx_head;
}

static int vsock_be_fill_rx(void *ctx, struct virtio_vsock_hdr *h, const struct iovec *iov,
                            int niov, size_t room)
{
	struct vsock_muxer *m = ctx;
	if (m->nreplies) {
		*h = m->replies[m->replies_head];
		m->replies_head = (m->replies_head + 1) % VSOCK_REPLIES_MAX;
		m->nreplies--;
		m->stats.rst_sent++;
		return 1;
	}
	/* A connection with nothing after all leaves the list, so this ends. */
	while (m->rx_head)
		if (vsock_conn_fill(m->rx_head, h, iov, niov, room))
			return 1;
	return 0;
}

static void vsock_be_notified(void *ctx)
{
	struct vsock_muxer *m = ctx;
	if (m->ev && event_on_loop_thread(m->ev)) {
		/* A reset made on a vCPU thread comes first: its kick may still be queued. */
		if (m->reset_pending) {
			m->reset_pending = 0;
			vsock_device_reset(m);
		}
		virtio_vsock_process(m->dev);
		return;
	}
	/* A vCPU thread (no ioeventfd): the queue work goes to the loop's thread. */
	uint64_t one = 1;
	if (write(m->kick_fd, &one, sizeof(one)) < 0)
		return; /* the counter is far from full: cannot happen */
}

static void vsock_be_reset(void *ctx)
{
	struct vsock_muxer *m = ctx;
	if (m->ev && event_on_loop_thread(m->ev)) {
		m->reset_pending = 0; /* this one does what a pending one would */
		vsock_device_reset(m);
		return;
	}
	m->reset_pending = 1;
	vsock_be_notified(m);
}

void vsock_muxer_backend(struct vsock_muxer *m, struct virtio_vsock_backend *be)
{
	*be = (struct virtio_vsock_backend){
	    .recv = vsock_be_recv,
	    .can_recv = vsock_be_can_recv,
	    .has_rx = vsock_be_has_rx,
	    .fill_rx = vsock_be_fill_rx,
	    .notified = vsock_be_notified,
	    .reset = vsock_be_reset,
	    .ctx = m,
	};
}

void vsock_muxer_get_stats(const struct vsock_muxer *m, struct vsock_muxer_stats *s)
{
	*s = m->stats;
	s->connections = m->nconns;
	s->held = m->nheld;
	s->buffered = 0;
	for (const struct vsock_conn *c = m->all; c; c = c->all_next)
		s->buffered += c->pending_len;
}
