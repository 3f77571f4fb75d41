/* The vhost-user server's connection (see server.h): the listening socket, receiving messages
 * with their file descriptors, kicks, the transport ops a model calls, and the session's end.
 * The requests themselves are handled in requests.c. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "error.h"
#include "vhost-user/memory.h"
#include "vhost-user/requests.h"

/* epoll data of the server's own sources; a kick is its ring index. */
#define TAG_LISTEN (VIRTIO_MAX_QUEUES + 1)
#define TAG_CONN   (VIRTIO_MAX_QUEUES + 2)

static struct vhost_user_server *server_of(struct virtio_dev *d)
{
	return (struct vhost_user_server *)((char *)d - offsetof(struct vhost_user_server, dev));
}

static void server_log(const struct vhost_user_server *s, const char *what)
{
	if (!s->quiet)
		fprintf(stderr, "toro: vhost-user %s: %s\n", s->dev.ops->name, what);
}

/* Queue q has new used buffers: signal the call eventfd unless the driver asked not to be. */
static void vhost_user_used(struct virtio_dev *d, unsigned q)
{
	struct vhost_user_server *s = server_of(d);
	if (q >= VIRTIO_MAX_QUEUES || s->vrings[q].call_fd < 0 || !d->queues[q].ready)
		return;
	if (!vq_wants_interrupt(&d->queues[q]))
		return;
	uint64_t one = 1;
	/* An eventfd only refuses a write when its counter is near overflow; the front end has
	 * then not read it for 2^64 interrupts, and one more changes nothing. */
	if (write(s->vrings[q].call_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		server_log(s, "cannot signal the call eventfd");
}

/* The driver broke the device: say so once, stop serving the model, and tell the front end
 * through each ring's error eventfd (there is no DEVICE_NEEDS_RESET to set from here). */
static void vhost_user_fail(struct virtio_dev *d, const char *why)
{
	struct vhost_user_server *s = server_of(d);
	if (s->failed)
		return;
	s->failed = 1;
	char msg[200];
	snprintf(msg, sizeof(msg), "%s; device stopped until the front end resets it", why);
	server_log(s, msg);
	uint64_t one = 1;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		if (s->vrings[i].err_fd >= 0 && write(s->vrings[i].err_fd, &one, sizeof(one)) < 0)
			server_log(s, "cannot signal the error eventfd");
}

static const struct virtio_transport_ops vhost_user_transport = {
    .used = vhost_user_used,
    .fail = vhost_user_fail,
};

static void vring_clear(struct vhost_user_vring *r)
{
	memset(r, 0, sizeof(*r));
	r->kick_fd = r->call_fd = r->err_fd = -1;
}

int vhost_user_server_init(struct vhost_user_server *s, const struct virtio_device_ops *ops,
                           void *priv, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->listen_fd = s->conn_fd = -1;
	s->offered_protocol_features = VHOST_USER_PROTOCOL_FEATURES;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vring_clear(&s->vrings[i]);
	virtio_dev_init(&s->dev, ops, priv, &s->mem, &vhost_user_transport);
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epoll_fd < 0)
		return error_set(err, errlen, "epoll_create1: %s", strerror(errno));
	return 0;
}

static int server_watch(struct vhost_user_server *s, int fd, uint64_t tag)
{
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = tag};
	return epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &e);
}

int vhost_user_server_listen(struct vhost_user_server *s, const char *path, char *err,
                             size_t errlen)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path))
		return error_set(err, errlen, "%s: socket path longer than %zu bytes", path,
		                 sizeof(a.sun_path) - 1);
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return error_set(err, errlen, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		error_set(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	s->path = strdup(path);
	if (!s->path || listen(fd, 1) < 0 || server_watch(s, fd, TAG_LISTEN) < 0) {
		error_set(err, errlen, "%s: cannot listen: %s", path, strerror(errno));
		unlink(path);
		free(s->path);
		s->path = NULL;
		close(fd);
		return -1;
	}
	s->listen_fd = fd;
	return 0;
}

int vhost_user_server_attach(struct vhost_user_server *s, int fd, char *err, size_t errlen)
{
	vhost_user_server_disconnect(s, NULL);
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    server_watch(s, fd, TAG_CONN) < 0) {
		error_set(err, errlen, "cannot serve the connection: %s", strerror(errno));
		close(fd);
		return -1;
	}
	s->conn_fd = fd;
	s->why[0] = '\0';
	return 0;
}

static void vring_close_fds(struct vhost_user_server *s, struct vhost_user_vring *r)
{
	if (r->kick_fd >= 0) {
		epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, r->kick_fd, NULL);
		close(r->kick_fd);
	}
	if (r->call_fd >= 0)
		close(r->call_fd);
	if (r->err_fd >= 0)
		close(r->err_fd);
	vring_clear(r);
}

void vhost_user_server_reset_device(struct vhost_user_server *s)
{
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		s->vrings[i].started = s->vrings[i].enabled = 0;
	virtio_dev_reset(&s->dev);
	s->failed = 0;
	vhost_user_memory_release(s, 0);
}

void vhost_user_server_disconnect(struct vhost_user_server *s, const char *why)
{
	if (s->conn_fd < 0)
		return;
	if (why) {
		snprintf(s->why, sizeof(s->why), "%s", why);
		char msg[260];
		snprintf(msg, sizeof(msg), "%s; connection closed", why);
		server_log(s, msg);
	}
	pthread_mutex_lock(&s->dev.lock);
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vring_close_fds(s, &s->vrings[i]);
	virtio_dev_reset(&s->dev);
	vhost_user_memory_release(s, 1);
	pthread_mutex_unlock(&s->dev.lock);
	epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, s->conn_fd, NULL);
	close(s->conn_fd);
	s->conn_fd = -1;
	for (unsigned i = 0; i < s->rx_nfds; i++)
		close(s->rx_fds[i]);
	s->rx_nfds = 0;
	s->rx_len = 0;
	s->owner = 0;
	s->protocol_features = 0;
	s->protocol_features_acked = 0;
	s->failed = 0;
}

void vhost_user_server_close(struct vhost_user_server *s)
{
	vhost_user_server_disconnect(s, NULL);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->listen_fd = -1;
	if (s->path)
		unlink(s->path);
	free(s->path);
	s->path = NULL;
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	s->epoll_fd = -1;
	pthread_mutex_destroy(&s->dev.lock);
}

int vhost_user_server_send(struct vhost_user_server *s, const struct vhost_user_msg *msg)
{
	uint8_t wire[VHOST_USER_MSG_MAX];
	size_t len = sizeof(msg->hdr) + msg->hdr.size;
	memcpy(wire, &msg->hdr, sizeof(msg->hdr));
	memcpy(wire + sizeof(msg->hdr), &msg->payload, msg->hdr.size);
	ssize_t n = send(s->conn_fd, wire, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	return n == (ssize_t)len ? 0 : -1;
}

static void server_accept(struct vhost_user_server *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (s->conn_fd >= 0) {
		/* One front end at a time: a second is turned away, the first keeps its device. */
		server_log(s, "a second front end connected while one is served; refused");
		close(fd);
		return;
	}
	char err[200];
	if (vhost_user_server_attach(s, fd, err, sizeof(err)))
		server_log(s, err);
}

/* Keeps the descriptors of a cmsg, or closes them all when there are more than a message may
 * carry. Returns 0, or -1 if any had to be closed. */
static int server_take_fds(struct vhost_user_server *s, struct msghdr *mh)
{
	int rc = (mh->msg_flags & MSG_CTRUNC) ? -1 : 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		unsigned n = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (unsigned i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (s->rx_nfds < VHOST_USER_MAX_FDS)
				s->rx_fds[s->rx_nfds++] = fd;
			else {
				close(fd);
				rc = -1;
			}
		}
	}
	return rc;
}

/* How many more bytes the message being received needs: the rest of the header, then the rest
 * of the payload. 0 once it is complete; -1 (connection closed) for a payload too large. */
static ssize_t server_rx_wanted(struct vhost_user_server *s)
{
	struct vhost_user_header h;
	if (s->rx_len < sizeof(h))
		return (ssize_t)(sizeof(h) - s->rx_len);
	memcpy(&h, s->rx, sizeof(h));
	if (h.size > sizeof(union vhost_user_payload)) {
		char why[100];
		snprintf(why, sizeof(why), "request %u with a %u-byte payload (too large)",
		         h.request, h.size);
		vhost_user_server_disconnect(s, why);
		return -1;
	}
	return (ssize_t)(sizeof(h) + h.size - s->rx_len);
}

/* Hands the complete message in the receive buffer, and its descriptors, to the handler.
 * Returns -1 once the connection was closed. */
static int server_deliver(struct vhost_user_server *s)
{
	struct vhost_user_msg msg;
	memset(&msg, 0, sizeof(msg));
	memcpy(&msg.hdr, s->rx, sizeof(msg.hdr));
	memcpy(&msg.payload, s->rx + sizeof(msg.hdr), msg.hdr.size);
	int fds[VHOST_USER_MAX_FDS];
	unsigned nfds = s->rx_nfds;
	memcpy(fds, s->rx_fds, nfds * sizeof(int));
	s->rx_nfds = 0;
	s->rx_len = 0;
	return vhost_user_server_handle(s, &msg, fds, nfds);
}

/* Reads what the connection has, one message at a time and never past the end of the one
 * being received: a stream socket glues a message without descriptors to the next one that
 * has some (QEMU sends SET_FEATURES then SET_MEM_TABLE), and only reading message by message
 * tells which message the descriptors came with. */
static void server_receive(struct vhost_user_server *s)
{
	for (;;) {
		ssize_t want = server_rx_wanted(s);
		if (want < 0)
			return;
		if (want == 0) {
			if (server_deliver(s))
				return;
			continue;
		}
		union {
			char buf[CMSG_SPACE(VHOST_USER_MAX_FDS * sizeof(int))];
			struct cmsghdr align;
		} control;
		struct iovec iov = {s->rx + s->rx_len, (size_t)want};
		struct msghdr mh = {.msg_iov = &iov,
		                    .msg_iovlen = 1,
		                    .msg_control = control.buf,
		                    .msg_controllen = sizeof(control.buf)};
		ssize_t n = recvmsg(s->conn_fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			vhost_user_server_disconnect(s, strerror(errno));
			return;
		}
		if (server_take_fds(s, &mh)) {
			vhost_user_server_disconnect(
			    s, "more file descriptors than a message carries");
			return;
		}
		if (n == 0) {
			/* The front end went away: not an error, and not worth a line. */
			vhost_user_server_disconnect(s, s->rx_len ? "front end closed mid-message"
			                                          : NULL);
			return;
		}
		s->rx_len += (size_t)n;
	}
}

/* A kick on ring q: the driver made buffers available. */
static void server_kick(struct vhost_user_server *s, unsigned q)
{
	struct vhost_user_vring *r = &s->vrings[q];
	uint64_t count;
	if (r->kick_fd < 0 || read(r->kick_fd, &count, sizeof(count)) < 0)
		return;
	pthread_mutex_lock(&s->dev.lock);
	vhost_user_server_notify(s, q);
	pthread_mutex_unlock(&s->dev.lock);
}

void vhost_user_server_notify(struct vhost_user_server *s, unsigned q)
{
	struct vhost_user_vring *r = &s->vrings[q];
	if (r->started && r->enabled && !s->failed && s->dev.queues[q].ready)
		s->dev.ops->notify_vq(&s->dev, q);
}

void vhost_user_server_event(void *ctx, uint32_t events)
{
	(void)events;
	struct vhost_user_server *s = ctx;
	struct epoll_event got[VIRTIO_MAX_QUEUES + 2];
	int n = epoll_wait(s->epoll_fd, got, VIRTIO_MAX_QUEUES + 2, 0);
	for (int i = 0; i < n; i++) {
		uint64_t tag = got[i].data.u64;
		if (tag == TAG_LISTEN)
			server_accept(s);
		else if (tag == TAG_CONN && s->conn_fd >= 0)
			server_receive(s);
		else if (tag < VIRTIO_MAX_QUEUES)
			server_kick(s, (unsigned)tag);
	}
}
