/* What the vhost-user server's files share (server.c: connection and transport; requests.c: one
 * handler per front-end request, in a table indexed by request; rings.c: the ring requests).
 * Private to vmm/vhost-user/. */
#ifndef VMM_VHOST_USER_REQUESTS_H
#define VMM_VHOST_USER_REQUESTS_H

#include <stddef.h>

#include "vhost-user/server.h"

/* Sends a reply; returns 0, or -1 if the front end did not take all of it. */
int vhost_user_server_send(struct vhost_user_server *s, const struct vhost_user_msg *msg);

/* Calls the model's notify_vq for ring q if it is started, enabled and the device has not
 * failed. Device lock held. */
void vhost_user_server_notify(struct vhost_user_server *s, unsigned q);

/* Stops every ring and resets the model and the queues (a new driver, RESET_OWNER,
 * RESET_DEVICE); tables replaced meanwhile are unmapped. Device lock held. */
void vhost_user_server_reset_device(struct vhost_user_server *s);

/* What a request handler returns. */
enum {
	REQ_FATAL = -1,  /* the front end broke the protocol: close (why says how) */
	REQ_DONE = 0,    /* done; REPLY_ACK answers 0 */
	REQ_REPLY = 1,   /* the reply payload is filled in */
	REQ_REFUSED = 2, /* not done, the connection stays; REPLY_ACK answers 1 */
};

/* One request being handled: the message and its descriptors (a handler that keeps them sets
 * nfds to 0), the reply, and where a fatal error says why. */
struct request_ctx {
	struct vhost_user_server *s;
	const struct vhost_user_msg *msg;
	const int *fds;
	unsigned nfds;
	struct vhost_user_msg *reply;
	char *why;
	size_t whylen;
};

/* Formats why and returns REQ_FATAL. */
int vhost_user_fatal(struct request_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The ring requests (rings.c); device lock held. */
int vhost_user_set_vring_num(struct request_ctx *c);
int vhost_user_set_vring_addr(struct request_ctx *c);
int vhost_user_set_vring_base(struct request_ctx *c);
int vhost_user_get_vring_base(struct request_ctx *c);
int vhost_user_set_vring_kick(struct request_ctx *c);
int vhost_user_set_vring_call(struct request_ctx *c);
int vhost_user_set_vring_err(struct request_ctx *c);
int vhost_user_set_vring_enable(struct request_ctx *c);

/* Points queue q at its ring's addresses, translated and checked, and makes it ready: at the
 * ring's base (a start), or where it was (keep_position: the memory table changed under a
 * started ring). Returns REQ_DONE or REQ_FATAL. */
int vhost_user_ring_resolve(struct request_ctx *c, unsigned q, int keep_position);

#endif
