/* What the vhost-user server's files share (server.c: connection and transport; requests.c: one
 * handler per front-end request, in a table indexed by request). Private to vmm/vhost-user/. */
#ifndef VMM_VHOST_USER_REQUESTS_H
#define VMM_VHOST_USER_REQUESTS_H

#include "vhost-user/server.h"

/* Sends a reply; returns 0, or -1 if the front end did not take all of it. */
int vhost_user_server_send(struct vhost_user_server *s, const struct vhost_user_msg *msg);

/* Calls the model's notify_vq for ring q if it is started, enabled and the device has not
 * failed. Device lock held. */
void vhost_user_server_notify(struct vhost_user_server *s, unsigned q);

/* Stops every ring and resets the model and the queues (a new driver, RESET_OWNER,
 * RESET_DEVICE); tables replaced meanwhile are unmapped. Device lock held. */
void vhost_user_server_reset_device(struct vhost_user_server *s);

#endif
