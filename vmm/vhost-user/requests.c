/* One handler per vhost-user request, in a table indexed by request number and checked against
 * its size (kvmtool's 9p server does the same with opcodes): the dispatcher checks the version,
 * the payload size, the file descriptors and SET_OWNER before a handler runs, so a handler sees
 * only well-formed input. Anything the server does not serve closes the connection. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <toro/abi/virtio.h>

#include "vhost-user/memory.h"
#include "vhost-user/requests.h"

/* What a handler returns. */
enum {
	REQ_FATAL = -1,  /* the front end broke the protocol: close (why says how) */
	REQ_DONE = 0,    /* done; REPLY_ACK answers 0 */
	REQ_REPLY = 1,   /* the reply payload is filled in */
	REQ_REFUSED = 2, /* not done, the connection stays; REPLY_ACK answers 1 */
};

#define VARIABLE_SIZE (-1)
#define NEEDS_OWNER   1u /* only after SET_OWNER */
#define TAKES_FDS     2u /* may come with file descriptors (the handler checks how many) */

struct request_ctx {
	struct vhost_user_server *s;
	const struct vhost_user_msg *msg;
	const int *fds;
	unsigned nfds;
	struct vhost_user_msg *reply;
	char *why;
	size_t whylen;
};

struct request_handler {
	const char *name;
	int (*fn)(struct request_ctx *c);
	int size; /* payload bytes, or VARIABLE_SIZE (the handler checks) */
	unsigned flags;
};

static int fatal(struct request_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fatal(struct request_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, c->whylen, fmt, ap);
	va_end(ap);
	return REQ_FATAL;
}

static int reply_u64(struct request_ctx *c, uint64_t v)
{
	c->reply->hdr.size = sizeof(uint64_t);
	c->reply->payload.u64 = v;
	return REQ_REPLY;
}

static uint64_t offered_features(const struct vhost_user_server *s)
{
	return virtio_dev_offered_features(&s->dev) | (1ull << VHOST_USER_F_PROTOCOL_FEATURES);
}

static int any_ring_started(const struct vhost_user_server *s)
{
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		if (s->vrings[i].started)
			return 1;
	return 0;
}

/* The ring a state, address or eventfd message names, or NULL (why set) if the device has no
 * such queue, or if it is started and must not be (must_be_stopped). */
static struct vhost_user_vring *request_ring(struct request_ctx *c, uint64_t index,
                                             int must_be_stopped)
{
	if (index >= c->s->dev.ops->num_queues) {
		fatal(c, "ring %llu does not exist (the device has %u)", (unsigned long long)index,
		      c->s->dev.ops->num_queues);
		return NULL;
	}
	struct vhost_user_vring *r = &c->s->vrings[index];
	if (must_be_stopped && r->started) {
		fatal(c, "ring %u changed while started", (unsigned)index);
		return NULL;
	}
	return r;
}

/* Points queue q at the ring's translated addresses and makes it ready, at index base (start)
 * or where it was (the memory table changed under a started ring). Device lock held. */
static int ring_resolve(struct request_ctx *c, unsigned q, int keep_position)
{
	struct vhost_user_vring *r = &c->s->vrings[q];
	struct vq *v = &c->s->dev.queues[q];
	uint16_t last = keep_position ? v->last_avail : r->base;
	uint16_t used = v->used_idx;
	if (!r->addr_set)
		return fatal(c, "ring %u started before SET_VRING_ADDR", q);
	uint64_t desc, avail, usedg;
	if (vhost_user_uva_to_gpa(c->s, r->desc_uva, &desc) ||
	    vhost_user_uva_to_gpa(c->s, r->avail_uva, &avail) ||
	    vhost_user_uva_to_gpa(c->s, r->used_uva, &usedg))
		return fatal(c, "ring %u: an address lies outside the memory table", q);
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

static int get_features(struct request_ctx *c)
{
	return reply_u64(c, offered_features(c->s));
}

/* A new feature set means a driver (re)started the device: the model starts afresh. */
static int set_features(struct request_ctx *c)
{
	struct vhost_user_server *s = c->s;
	uint64_t f = c->msg->payload.u64;
	if (f & ~offered_features(s))
		return fatal(c, "SET_FEATURES %#llx names features not offered",
		             (unsigned long long)f);
	if (!(f & (1ull << VIRTIO_F_VERSION_1)))
		return fatal(c, "SET_FEATURES without VIRTIO_F_VERSION_1 (legacy devices are not "
		                "served)");
	if (any_ring_started(s))
		return fatal(c, "SET_FEATURES while rings are started");
	vhost_user_server_reset_device(s);
	s->dev.features = f & ~(1ull << VHOST_USER_F_PROTOCOL_FEATURES);
	s->protocol_features_acked = (f >> VHOST_USER_F_PROTOCOL_FEATURES) & 1;
	return REQ_DONE;
}

static int set_owner(struct request_ctx *c)
{
	if (c->s->owner)
		return fatal(c, "SET_OWNER twice");
	c->s->owner = 1;
	return REQ_DONE;
}

/* Deprecated; the spec suggests disabling the rings, which a device reset does. */
static int reset_device(struct request_ctx *c)
{
	vhost_user_server_reset_device(c->s);
	return REQ_DONE;
}

static int set_mem_table(struct request_ctx *c)
{
	const struct vhost_user_memory *m = &c->msg->payload.memory;
	uint32_t size = c->msg->hdr.size;
	if (size < 8)
		return fatal(c, "SET_MEM_TABLE with a %u-byte payload", size);
	if (m->nregions > VHOST_USER_MAX_REGIONS)
		return fatal(c, "SET_MEM_TABLE with %u regions (at most %d)", m->nregions,
		             VHOST_USER_MAX_REGIONS);
	if (size != 8 + m->nregions * sizeof(struct vhost_user_region))
		return fatal(c, "SET_MEM_TABLE with a %u-byte payload for %u regions", size,
		             m->nregions);
	int rc = vhost_user_memory_set(c->s, m, c->fds, c->nfds, c->why, c->whylen);
	c->nfds = 0; /* taken over */
	if (rc)
		return REQ_FATAL;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		if (c->s->vrings[q].started && ring_resolve(c, q, 1))
			return REQ_FATAL;
	return REQ_DONE;
}

static int set_vring_num(struct request_ctx *c)
{
	const struct vhost_user_vring_state *st = &c->msg->payload.state;
	struct vhost_user_vring *r = request_ring(c, st->index, 1);
	if (!r)
		return REQ_FATAL;
	if (st->num == 0 || st->num > VIRTQ_MAX_SIZE || (st->num & (st->num - 1)))
		return fatal(c, "ring size %u is not a power of two up to %u", st->num,
		             VIRTQ_MAX_SIZE);
	r->num = st->num;
	return REQ_DONE;
}

static int set_vring_addr(struct request_ctx *c)
{
	const struct vhost_user_vring_addr *a = &c->msg->payload.addr;
	struct vhost_user_vring *r = request_ring(c, a->index, 1);
	if (!r)
		return REQ_FATAL;
	if (a->flags & VHOST_VRING_F_LOG)
		return fatal(c, "ring %u asks for dirty logging (not offered)", a->index);
	r->desc_uva = a->desc_user_addr;
	r->avail_uva = a->avail_user_addr;
	r->used_uva = a->used_user_addr;
	r->addr_set = 1;
	return REQ_DONE;
}

static int set_vring_base(struct request_ctx *c)
{
	const struct vhost_user_vring_state *st = &c->msg->payload.state;
	struct vhost_user_vring *r = request_ring(c, st->index, 1);
	if (!r)
		return REQ_FATAL;
	if (st->num > UINT16_MAX)
		return fatal(c, "ring base %u does not fit a split ring's 16-bit index", st->num);
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
static int get_vring_base(struct request_ctx *c)
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
		return fatal(c, "%s with unknown bits in %#llx", what, (unsigned long long)v);
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
static int set_vring_kick(struct request_ctx *c)
{
	struct vhost_user_server *s = c->s;
	unsigned q;
	int fd;
	if (ring_eventfd(c, "SET_VRING_KICK", &q, &fd))
		return REQ_FATAL;
	if (fd < 0)
		return fatal(c, "ring %u without a kick eventfd (polling is not served)", q);
	struct vhost_user_vring *r = &s->vrings[q];
	ring_forget_kick(s, r);
	r->kick_fd = fd;
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = q};
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &e) < 0)
		return fatal(c, "ring %u: the kick file descriptor cannot be polled", q);
	if (!r->started) {
		if (ring_resolve(c, q, 0))
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

static int set_vring_call(struct request_ctx *c)
{
	return set_vring_call_or_err(c, 0);
}

static int set_vring_err(struct request_ctx *c)
{
	return set_vring_call_or_err(c, 1);
}

static int get_protocol_features(struct request_ctx *c)
{
	return reply_u64(c, c->s->offered_protocol_features);
}

static int set_protocol_features(struct request_ctx *c)
{
	uint64_t f = c->msg->payload.u64;
	if (f & ~c->s->offered_protocol_features)
		return fatal(c, "SET_PROTOCOL_FEATURES %#llx names features not offered",
		             (unsigned long long)f);
	c->s->protocol_features = f;
	return REQ_DONE;
}

static int get_queue_num(struct request_ctx *c)
{
	return reply_u64(c, c->s->dev.ops->num_queues);
}

static int set_vring_enable(struct request_ctx *c)
{
	const struct vhost_user_vring_state *st = &c->msg->payload.state;
	struct vhost_user_vring *r = request_ring(c, st->index, 0);
	if (!r)
		return REQ_FATAL;
	if (st->num > 1)
		return fatal(c, "SET_VRING_ENABLE %u for ring %u (want 0 or 1)", st->num,
		             st->index);
	r->enabled = (int)st->num;
	if (r->enabled)
		vhost_user_server_notify(c->s, st->index);
	return REQ_DONE;
}

/* The config access a GET_CONFIG/SET_CONFIG describes, checked against the message; returns
 * whether it lies inside the model's config space. */
static int config_request(struct request_ctx *c, const struct vhost_user_config **cfg, int *ok)
{
	const struct vhost_user_server *s = c->s;
	if (!(s->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_CONFIG)))
		return fatal(c, "config request %u without the CONFIG protocol feature",
		             c->msg->hdr.request);
	*cfg = &c->msg->payload.config;
	uint32_t size = c->msg->hdr.size;
	if (size < VHOST_USER_CONFIG_HEADER_SIZE || (*cfg)->size > VHOST_USER_MAX_CONFIG_SIZE ||
	    size != VHOST_USER_CONFIG_HEADER_SIZE + (*cfg)->size)
		return fatal(c, "config request with a %u-byte payload for %u bytes of config",
		             size, (*cfg)->size);
	uint32_t cs = s->dev.ops->config_size;
	*ok = (*cfg)->offset <= cs && (*cfg)->size <= cs - (*cfg)->offset;
	return REQ_DONE;
}

/* An access outside the config space is answered with an empty payload, as the spec says. */
static int get_config(struct request_ctx *c)
{
	const struct vhost_user_config *cfg;
	int ok;
	if (config_request(c, &cfg, &ok))
		return REQ_FATAL;
	struct vhost_user_config *out = &c->reply->payload.config;
	c->reply->hdr.size = 0;
	if (!ok || !c->s->dev.ops->get_config)
		return REQ_REPLY;
	*out = *cfg;
	memset(out->region, 0, sizeof(out->region));
	if (cfg->size)
		c->s->dev.ops->get_config(&c->s->dev, cfg->offset, out->region, cfg->size);
	c->reply->hdr.size = VHOST_USER_CONFIG_HEADER_SIZE + cfg->size;
	return REQ_REPLY;
}

static int set_config(struct request_ctx *c)
{
	const struct vhost_user_config *cfg;
	int ok;
	if (config_request(c, &cfg, &ok))
		return REQ_FATAL;
	if (!ok || !c->s->dev.ops->set_config)
		return REQ_REFUSED;
	if (cfg->size)
		c->s->dev.ops->set_config(&c->s->dev, cfg->offset, cfg->region, cfg->size);
	return REQ_DONE;
}

static const struct request_handler handlers[VHOST_USER_REQUEST_MAX] = {
    [VHOST_USER_GET_FEATURES] = {"GET_FEATURES", get_features, 0, 0},
    [VHOST_USER_SET_FEATURES] = {"SET_FEATURES", set_features, 8, 0},
    [VHOST_USER_SET_OWNER] = {"SET_OWNER", set_owner, 0, 0},
    [VHOST_USER_RESET_OWNER] = {"RESET_OWNER", reset_device, 0, NEEDS_OWNER},
    [VHOST_USER_SET_MEM_TABLE] = {"SET_MEM_TABLE", set_mem_table, VARIABLE_SIZE,
                                  NEEDS_OWNER | TAKES_FDS},
    [VHOST_USER_SET_VRING_NUM] = {"SET_VRING_NUM", set_vring_num, 8, NEEDS_OWNER},
    [VHOST_USER_SET_VRING_ADDR] = {"SET_VRING_ADDR", set_vring_addr, 40, NEEDS_OWNER},
    [VHOST_USER_SET_VRING_BASE] = {"SET_VRING_BASE", set_vring_base, 8, NEEDS_OWNER},
    [VHOST_USER_GET_VRING_BASE] = {"GET_VRING_BASE", get_vring_base, 8, NEEDS_OWNER},
    [VHOST_USER_SET_VRING_KICK] = {"SET_VRING_KICK", set_vring_kick, 8, NEEDS_OWNER | TAKES_FDS},
    [VHOST_USER_SET_VRING_CALL] = {"SET_VRING_CALL", set_vring_call, 8, NEEDS_OWNER | TAKES_FDS},
    [VHOST_USER_SET_VRING_ERR] = {"SET_VRING_ERR", set_vring_err, 8, NEEDS_OWNER | TAKES_FDS},
    [VHOST_USER_GET_PROTOCOL_FEATURES] = {"GET_PROTOCOL_FEATURES", get_protocol_features, 0, 0},
    [VHOST_USER_SET_PROTOCOL_FEATURES] = {"SET_PROTOCOL_FEATURES", set_protocol_features, 8, 0},
    [VHOST_USER_GET_QUEUE_NUM] = {"GET_QUEUE_NUM", get_queue_num, 0, 0},
    [VHOST_USER_SET_VRING_ENABLE] = {"SET_VRING_ENABLE", set_vring_enable, 8, NEEDS_OWNER},
    [VHOST_USER_GET_CONFIG] = {"GET_CONFIG", get_config, VARIABLE_SIZE, 0},
    [VHOST_USER_SET_CONFIG] = {"SET_CONFIG", set_config, VARIABLE_SIZE, 0},
    [VHOST_USER_RESET_DEVICE] = {"RESET_DEVICE", reset_device, 0, NEEDS_OWNER},
};

/* Checks what every request shares. Returns the handler, or NULL with why set. */
static const struct request_handler *request_check(struct request_ctx *c)
{
	const struct vhost_user_header *h = &c->msg->hdr;
	const struct request_handler *rh =
	    h->request < VHOST_USER_REQUEST_MAX && handlers[h->request].fn ? &handlers[h->request]
	                                                                   : NULL;
	if ((h->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION)
		fatal(c, "message version %u (want 1)", h->flags & VHOST_USER_VERSION_MASK);
	else if (!rh)
		fatal(c, "request %u is unknown or not served", h->request);
	else if (h->size > sizeof(union vhost_user_payload))
		fatal(c, "%s with a %u-byte payload (too large)", rh->name, h->size);
	else if (rh->size != VARIABLE_SIZE && h->size != (uint32_t)rh->size)
		snprintf(c->why, c->whylen, "%s with a %u-byte payload (want %d)", rh->name,
		         h->size, rh->size);
	else if (!(rh->flags & TAKES_FDS) && c->nfds)
		snprintf(c->why, c->whylen, "%s came with %u file descriptors (want none)",
		         rh->name, c->nfds);
	else if ((rh->flags & NEEDS_OWNER) && !c->s->owner)
		snprintf(c->why, c->whylen, "%s before SET_OWNER", rh->name);
	else
		return rh;
	return NULL;
}

int vhost_user_server_handle(struct vhost_user_server *s, const struct vhost_user_msg *msg,
                             const int *fds, unsigned nfds)
{
	char why[200] = "";
	struct vhost_user_msg reply;
	memset(&reply, 0, sizeof(reply));
	struct request_ctx c = {s, msg, fds, nfds, &reply, why, sizeof(why)};
	const struct request_handler *rh = request_check(&c);
	if (s->trace)
		fprintf(stderr, "toro: vhost-user %s: %s (%u bytes, %u fds, flags %#x)\n",
		        s->dev.ops->name, rh ? rh->name : "?", msg->hdr.size, nfds, msg->hdr.flags);
	int rc = REQ_FATAL;
	if (rh) {
		pthread_mutex_lock(&s->dev.lock);
		rc = rh->fn(&c);
		pthread_mutex_unlock(&s->dev.lock);
	}
	for (unsigned i = 0; i < c.nfds; i++)
		close(c.fds[i]); /* those the handler did not take */
	reply.hdr.request = msg->hdr.request;
	reply.hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY;
	int ack = (msg->hdr.flags & VHOST_USER_NEED_REPLY) &&
	          (s->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK));
	if (rc != REQ_REPLY && ack) {
		reply.hdr.size = sizeof(uint64_t);
		reply.payload.u64 = rc == REQ_DONE ? 0 : 1;
	}
	if ((rc == REQ_REPLY || ack) && vhost_user_server_send(s, &reply) && rc != REQ_FATAL) {
		rc = REQ_FATAL;
		snprintf(why, sizeof(why), "the front end does not take our replies");
	}
	if (rc == REQ_FATAL) {
		vhost_user_server_disconnect(s, why);
		return -1;
	}
	return 0;
}
