/* One handler per vhost-user request, in a table indexed by request number and checked against
 * its size (kvmtool's 9p server does the same with opcodes): the dispatcher checks the version,
 * the payload size, the file descriptors and SET_OWNER before a handler runs, so a handler sees
 * only well-formed input. Anything the server does not serve closes the connection. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <toro/abi/virtio.h>

#include "vhost-user/memory.h"
#include "vhost-user/requests.h"

#define VARIABLE_SIZE (-1)
#define NEEDS_OWNER   1u /* only after SET_OWNER */
#define TAKES_FDS     2u /* may come with file descriptors (the handler checks how many) */

struct request_handler {
	const char *name;
	int (*fn)(struct request_ctx *c);
	int size; /* payload bytes, or VARIABLE_SIZE (the handler checks) */
	unsigned flags;
};

int vhost_user_fatal(struct request_ctx *c, const char *fmt, ...)
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
		return vhost_user_fatal(c, "SET_FEATURES %#llx names features not offered",
		                        (unsigned long long)f);
	if (!(f & (1ull << VIRTIO_F_VERSION_1)))
		return vhost_user_fatal(
		    c, "SET_FEATURES without VIRTIO_F_VERSION_1 (legacy devices are not "
		       "served)");
	if (any_ring_started(s))
		return vhost_user_fatal(c, "SET_FEATURES while rings are started");
	vhost_user_server_reset_device(s);
	s->dev.features = f & ~(1ull << VHOST_USER_F_PROTOCOL_FEATURES);
	s->protocol_features_acked = (f >> VHOST_USER_F_PROTOCOL_FEATURES) & 1;
	return REQ_DONE;
}

static int set_owner(struct request_ctx *c)
{
	if (c->s->owner)
		return vhost_user_fatal(c, "SET_OWNER twice");
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
		return vhost_user_fatal(c, "SET_MEM_TABLE with a %u-byte payload", size);
	if (m->nregions > VHOST_USER_MAX_REGIONS)
		return vhost_user_fatal(c, "SET_MEM_TABLE with %u regions (at most %d)",
		                        m->nregions, VHOST_USER_MAX_REGIONS);
	if (size != 8 + m->nregions * sizeof(struct vhost_user_region))
		return vhost_user_fatal(c, "SET_MEM_TABLE with a %u-byte payload for %u regions",
		                        size, m->nregions);
	int rc = vhost_user_memory_set(c->s, m, c->fds, c->nfds, c->why, c->whylen);
	c->nfds = 0; /* taken over */
	if (rc)
		return REQ_FATAL;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		if (c->s->vrings[q].started && vhost_user_ring_resolve(c, q, 1))
			return REQ_FATAL;
	return REQ_DONE;
}

static int get_protocol_features(struct request_ctx *c)
{
	return reply_u64(c, c->s->offered_protocol_features);
}

static int set_protocol_features(struct request_ctx *c)
{
	uint64_t f = c->msg->payload.u64;
	if (f & ~c->s->offered_protocol_features)
		return vhost_user_fatal(c, "SET_PROTOCOL_FEATURES %#llx names features not offered",
		                        (unsigned long long)f);
	c->s->protocol_features = f;
	return REQ_DONE;
}

static int get_queue_num(struct request_ctx *c)
{
	return reply_u64(c, c->s->dev.ops->num_queues);
}

/* The config access a GET_CONFIG/SET_CONFIG describes, checked against the message; returns
 * whether it lies inside the model's config space. */
static int config_request(struct request_ctx *c, const struct vhost_user_config **cfg, int *ok)
{
	const struct vhost_user_server *s = c->s;
	if (!(s->protocol_features & (1ull << VHOST_USER_PROTOCOL_F_CONFIG)))
		return vhost_user_fatal(c, "config request %u without the CONFIG protocol feature",
		                        c->msg->hdr.request);
	*cfg = &c->msg->payload.config;
	uint32_t size = c->msg->hdr.size;
	if (size < VHOST_USER_CONFIG_HEADER_SIZE || (*cfg)->size > VHOST_USER_MAX_CONFIG_SIZE ||
	    size != VHOST_USER_CONFIG_HEADER_SIZE + (*cfg)->size)
		return vhost_user_fatal(
		    c, "config request with a %u-byte payload for %u bytes of config", size,
		    (*cfg)->size);
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
    [VHOST_USER_SET_VRING_NUM] = {"SET_VRING_NUM", vhost_user_set_vring_num, 8, NEEDS_OWNER},
    [VHOST_USER_SET_VRING_ADDR] = {"SET_VRING_ADDR", vhost_user_set_vring_addr, 40, NEEDS_OWNER},
    [VHOST_USER_SET_VRING_BASE] = {"SET_VRING_BASE", vhost_user_set_vring_base, 8, NEEDS_OWNER},
    [VHOST_USER_GET_VRING_BASE] = {"GET_VRING_BASE", vhost_user_get_vring_base, 8, NEEDS_OWNER},
    [VHOST_USER_SET_VRING_KICK] = {"SET_VRING_KICK", vhost_user_set_vring_kick, 8,
                                   NEEDS_OWNER | TAKES_FDS},
    [VHOST_USER_SET_VRING_CALL] = {"SET_VRING_CALL", vhost_user_set_vring_call, 8,
                                   NEEDS_OWNER | TAKES_FDS},
    [VHOST_USER_SET_VRING_ERR] = {"SET_VRING_ERR", vhost_user_set_vring_err, 8,
                                  NEEDS_OWNER | TAKES_FDS},
    [VHOST_USER_GET_PROTOCOL_FEATURES] = {"GET_PROTOCOL_FEATURES", get_protocol_features, 0, 0},
    [VHOST_USER_SET_PROTOCOL_FEATURES] = {"SET_PROTOCOL_FEATURES", set_protocol_features, 8, 0},
    [VHOST_USER_GET_QUEUE_NUM] = {"GET_QUEUE_NUM", get_queue_num, 0, 0},
    [VHOST_USER_SET_VRING_ENABLE] = {"SET_VRING_ENABLE", vhost_user_set_vring_enable, 8,
                                     NEEDS_OWNER},
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
		vhost_user_fatal(c, "message version %u (want 1)",
		                 h->flags & VHOST_USER_VERSION_MASK);
	else if (!rh)
		vhost_user_fatal(c, "request %u is unknown or not served", h->request);
	else if (h->size > sizeof(union vhost_user_payload))
		vhost_user_fatal(c, "%s with a %u-byte payload (too large)", rh->name, h->size);
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
