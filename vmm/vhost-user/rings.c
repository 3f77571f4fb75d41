/* The ring requests of the vhost-user server (see requests.h): a ring's size, addresses and base
 * while it is stopped; its start on SET_VRING_KICK, at that base, after its addresses are
 * translated through the memory table and checked like a driver's; its call and error
 * eventfds; SET_VRING_ENABLE; and GET_VRING_BASE, which stops it. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <toro/abi/virtio.h>

#include "vhost-user/memory.h"
#include "vhost-user/requests.h"

/* The ring a state, address or eventfd message names, or NULL (why set) if the device has no
 * such queue, or if it is started and must not be (must_be_stopped). */
static struct vhost_user_vring *request_ring(struct request_ctx *c, uint64_t index,
                                             int must_be_stopped)
{
	if (index >= c->s->dev.ops->num_queues) {
		vhost_user_fatal(c, "ring %llu does not exist (the device has %u)",
		                 (unsigned long long)index, c->s->dev.ops->num_queues);
		return NULL;
	}
	struct vhost_user_vring *r = &c->s->vrings[index];
	if (must_be_stopped && r->started) {
		vhost_user_fatal(c, "ring %u changed while started", (unsigned)index);
		return NULL;
	}
	return r;
}

/* Points queue q at the ring's translated addresses and makes it ready, at index base (start)
 * or where it was (the memory table changed under a started ring). Device lock held. */
int vhost_user_ring_resolve(struct request_ctx *c, unsigned q, int keep_position)
{
	struct vhost_user_vring *r = &c->s->vrings[q];
	struct vq *v = &c->s->dev.queues[q];
	uint16_t last = keep_position ? v->last_avail : r->base;
	uint16_t used = v->used_idx;
	if (!r->addr_set)
		return vhost_user_fatal(c, "ring %u started before SET_VRING_ADDR", q);
	uint64_t desc, avail, usedg;
	if (vhost_user_uva_to_gpa(c->s, r->desc_uva, &desc) ||
	    vhost_user_uva_to_gpa(c->s, r->avail_uva, &avail) ||
	    vhost_user_uva_to_gpa(c->s, r->used_uva, &usedg))
		return vhost_user_fatal(c, "ring %u: an address lies outside the memory table", q);
	v->ready = 0;
	v->num = (uint16_t)r->num;
	v->desc_gpa = desc;
	v->avail_gpa = avail;
	v->used_gpa = usedg;
	v->event_idx = (c->s->dev.features >> VIRTIO_F_EVENT_IDX) & 1;
	const char *w;
	/* The front end, not the model, chose the size: QEMU's virtio-mmio offers the guest
	 * 1,024 entries whatever the device's own queue size. */
	if (vq_enable(v, &c->s->mem, VIRTQ_MAX_SIZE, &w)) {
		snprintf(c->why, c->whylen, "ring %u: %s", q, w);
		return REQ_FATAL;
	}
	v->last_avail = last;
	/* A new start continues from the used index the ring holds (0 for a new driver). */
	v->used_idx = keep_position ? used : __atomic_load_n(&v->used->idx, __ATOMIC_ACQUIRE);
	v->signalled_used = v->used_idx;
	return REQ_DONE;
}

int vhost_user_set_vring_num(struct request_ctx *c)
{
	const struct vhost_user_vring_state *st = &c->msg->payload.state;
	struct vhost_user_vring *r = request_ring(c, st->index, 1);
	if (!r)
		return REQ_FATAL;
	if (st->num == 0 || st->num > VIRTQ_MAX_SIZE || (st->num & (st->num - 1)))
		return vhost_user_fatal(c, "ring size %u is not a power of two up to %u", st->num,
		                        VIRTQ_MAX_SIZE);
	r->num = st->num;
	return REQ_DONE;
}

int vhost_user_set_vring_addr(struct request_ctx *c)
{
	const struct vhost_user_vring_addr *a = &c->msg->payload.addr;
	struct vhost_user_vring *r = request_ring(c, a->index, 1);
	if (!r)
		return REQ_FATAL;
	if (a->flags & VHOST_VRING_F_LOG)
		return vhost_user_fatal(c, "ring %u asks for dirty logging (not offered)",
		                        a->index);
	r->desc_uva = a->desc_user_addr;
	r->avail_uva = a->avail_user_addr;
	r->used_uva = a->used_user_addr;
	r->addr_set = 1;
	return REQ_DONE;
}

int vhost_user_set_vring_base(struct request_ctx *c)
{
	const struct vhost_user_vring_state *st = &c->msg->payload.state;
	struct vhost_user_vring *r = request_ring(c, st->index, 1);
	if (!r)
		return REQ_FATAL;
	if (st->num > UINT16_MAX)
		return vhost_user_fatal(c, "ring base %u does not fit a split ring's 16-bit index",
		                        st->num);
	r->base = (uint16_t)st->num;
	return REQ_DONE;
}

static void ring_forget_kick(struct vhost_user_server *s, struct vhost_user_vring *r)
{
	if (r->kick_fd < 0)
		return;
	epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, r->kick_fd, NULL);
	close(r->kick_fd);
	r->kick_fd = -1;
}

/* Stops the ring and tells where it stopped: the next available index it would have read. */
int vhost_user_get_vring_base(struct request_ctx *c)
{
	const struct vhost_user_vring_state *st = &c->msg->payload.state;
	struct vhost_user_vring *r = request_ring(c, st->index, 0);
	if (!r)
		return REQ_FATAL;
	struct vq *v = &c->s->dev.queues[st->index];
	if (r->started)
		r->base = v->last_avail;
	r->started = 0;
	r->enabled = 0;
	v->ready = 0;
	ring_forget_kick(c->s, r);
	c->reply->hdr.size = sizeof(*st);
	c->reply->payload.state = (struct vhost_user_vring_state){st->index, r->base};
	return REQ_REPLY;
}

/* The eventfd of a SET_VRING_KICK/CALL/ERR message, or -1 for "none" (the NOFD flag); *q its
 * ring. Returns REQ_DONE or REQ_FATAL. */
static int ring_eventfd(struct request_ctx *c, const char *what, unsigned *q, int *fd)
{
	uint64_t v = c->msg->payload.u64;
	if (v & ~(VHOST_USER_VRING_INDEX_MASK | VHOST_USER_VRING_NOFD))
		return vhost_user_fatal(c, "%s with unknown bits in %#llx", what,
		                        (unsigned long long)v);
	unsigned want = (v & VHOST_USER_VRING_NOFD) ? 0 : 1;
	if (c->nfds != want) {
		snprintf(c->why, c->whylen,
		         "%s for ring %u came with %u file descriptors (want %u)", what,
		         (unsigned)(v & VHOST_USER_VRING_INDEX_MASK), c->nfds, want);
		return REQ_FATAL;
	}
	if (!request_ring(c, v & VHOST_USER_VRING_INDEX_MASK, 0))
		return REQ_FATAL;
	*q = (unsigned)(v & VHOST_USER_VRING_INDEX_MASK);
	*fd = want ? c->fds[0] : -1;
	c->nfds = 0; /* taken over */
	/* Never block the event thread on a front end's eventfd. */
	if (*fd >= 0)
		fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) | O_NONBLOCK);
	return REQ_DONE;
}

/* The ring starts on its kick eventfd (polling rings, with no eventfd, are not served). */
int vhost_user_set_vring_kick(struct request_ctx *c)
{
	struct vhost_user_server *s = c->s;
	unsigned q;
	int fd;
	if (ring_eventfd(c, "SET_VRING_KICK", &q, &fd))
		return REQ_FATAL;
	if (fd < 0)
		return vhost_user_fatal(c, "ring %u without a kick eventfd (polling is not served)",
		                        q);
	struct vhost_user_vring *r = &s->vrings[q];
	ring_forget_kick(s, r);
	r->kick_fd = fd;
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = q};
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &e) < 0)
		return vhost_user_fatal(c, "ring %u: the kick file descriptor cannot be polled", q);
	if (!r->started) {
		if (vhost_user_ring_resolve(c, q, 0))
			return REQ_FATAL;
		r->started = 1;
		/* Without protocol features a ring is enabled as it starts; with them it waits
		 * for SET_VRING_ENABLE (which may have come first). */
		if (!s->protocol_features_acked)
			r->enabled = 1;
	}
	vhost_user_server_notify(s, q); /* buffers made available before the kick fd existed */
	return REQ_DONE;
}

static int set_vring_call_or_err(struct request_ctx *c, int err)
{
	unsigned q;
	int fd;
	if (ring_eventfd(c, err ? "SET_VRING_ERR" : "SET_VRING_CALL", &q, &fd))
		return REQ_FATAL;
	int *slot = err ? &c->s->vrings[q].err_fd : &c->s->vrings[q].call_fd;
	if (*slot >= 0)
		close(*slot);
	*slot = fd;
	return REQ_DONE;
}

int vhost_user_set_vring_call(struct request_ctx *c)
{
	return set_vring_call_or_err(c, 0);
}

int vhost_user_set_vring_err(struct request_ctx *c)
{
	return set_vring_call_or_err(c, 1);
}

int vhost_user_set_vring_enable(struct request_ctx *c)
{
	const struct vhost_user_vring_state *st = &c->msg->payload.state;
	struct vhost_user_vring *r = request_ring(c, st->index, 0);
	if (!r)
		return REQ_FATAL;
	if (st->num > 1)
		return vhost_user_fatal(c, "SET_VRING_ENABLE %u for ring %u (want 0 or 1)", st->num,
		                        st->index);
	r->enabled = (int)st->num;
	if (r->enabled)
		vhost_user_server_notify(c->s, st->index);
	return REQ_DONE;
}
