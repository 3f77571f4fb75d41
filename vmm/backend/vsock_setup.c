/* The vsock muxer's listeners (see vsock.h): binding them when the muxer opens, so that a bad
 * --vsock path or a --forward port in use is refused before the guest boots; accepting host
 * connections; attaching to an event loop; and tearing everything down. */
#include "vsock_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "error.h"

/* Room a PATH_P name needs beyond PATH: "_4294967295". */
#define VSOCK_PORT_SUFFIX_MAX 11

void vsock_listeners_watch(struct vsock_muxer *m, int on)
{
	m->listeners_paused = !on;
	for (int i = 0; i < m->nlisteners; i++)
		if (m->listeners[i].src)
			event_watch(m->ev, m->listeners[i].src, on ? EPOLLIN : 0);
}

static void vsock_accept(struct vsock_muxer *m, struct vsock_listener *l)
{
	int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
		/* The connection stays queued and the listener readable: stop watching the
		 * listeners until a connection ends and frees a descriptor. */
		vsock_listeners_watch(m, 0);
		return;
	}
	if (fd < 0)
		return;
	struct vsock_conn *c = NULL;
	if (m->nconns < VSOCK_CONN_MAX)
		c = vsock_conn_new(m, fd, l->is_unix ? CONN_HANDSHAKE : CONN_CONNECTING);
	if (!c) {
		close(fd); /* over the limit: the client sees its connection closed */
		return;
	}
	vsock_wait_add(c, vsock_now() + m->cfg.hold_ms / 1000.0);
	if (l->is_unix) {
		c->unix_client = 1;
		vsock_conn_watch(c);
		return;
	}
	c->peer_port = l->guest_port;
	c->local_port = vsock_local_port(m, c->peer_port);
	vsock_conn_hash(c);
	vsock_conn_request(c);
}

static void vsock_listener_event(void *ctx, uint32_t events)
{
	struct vsock_listener *l = ctx;
	struct vsock_muxer *m = l->m;
	(void)events;
	vsock_lock(m);
	/* One connection per event: the listener is level-triggered, and others take turns. */
	vsock_accept(m, l);
	vsock_unlock(m);
}

static int vsock_listen_unix(struct vsock_muxer *m, char *err, size_t errlen)
{
	const char *path = m->uds_path;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (!*path)
		return error_set(err, errlen, "--vsock: no socket path given");
	if (strlen(path) + VSOCK_PORT_SUFFIX_MAX >= sizeof(a.sun_path))
		return error_set(err, errlen,
		                 "--vsock %s: socket path too long (at most %zu bytes, so that "
		                 "PATH_PORT fits too)",
		                 path, sizeof(a.sun_path) - 1 - VSOCK_PORT_SUFFIX_MAX);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return error_set(err, errlen, "--vsock %s: exists and is not a socket",
			                 path);
		/* A socket someone still listens on is in use; one no one answers is stale. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int live = probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof(a)) == 0;
		if (probe >= 0)
			close(probe);
		if (live)
			return error_set(err, errlen, "--vsock %s: in use by another program",
			                 path);
		unlink(path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_set(err, errlen, "--vsock %s: socket: %s", path, strerror(errno));
	struct vsock_listener *l = &m->listeners[m->nlisteners++];
	l->fd = fd;
	l->is_unix = 1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return error_set(err, errlen, "--vsock %s: %s", path, strerror(errno));
	m->uds_bound = 1; /* ours to remove from now on */
	if (listen(fd, SOMAXCONN) < 0)
		return error_set(err, errlen, "--vsock %s: %s", path, strerror(errno));
	return 0;
}

static int vsock_listen_tcp(struct vsock_muxer *m, const struct vsock_forward *f, char *err,
                            size_t errlen)
{
	char addr[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &f->addr, addr, sizeof(addr));
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_set(err, errlen, "--forward %s:%u: socket: %s", addr, f->host_port,
		                 strerror(errno));
	struct vsock_listener *l = &m->listeners[m->nlisteners++];
	l->fd = fd;
	l->guest_port = f->guest_port;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(f->host_port)};
	a.sin_addr.s_addr = f->addr;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, SOMAXCONN) < 0) {
		if (errno == EADDRINUSE)
			return error_set(err, errlen, "--forward %s:%u:%u: port %u is in use", addr,
			                 f->host_port, f->guest_port, f->host_port);
		return error_set(err, errlen, "--forward %s:%u:%u: %s", addr, f->host_port,
		                 f->guest_port, strerror(errno));
	}
	return 0;
}

/* A thousand connections need more descriptors than the usual soft limit of 1,024. */
static void vsock_raise_fd_limit(void)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

static int vsock_open_fds(struct vsock_muxer *m, char *err, size_t errlen)
{
	if (m->uds_path && vsock_listen_unix(m, err, errlen))
		return -1;
	for (int i = 0; i < m->cfg.nforwards; i++)
		if (vsock_listen_tcp(m, &m->cfg.forwards[i], err, errlen))
			return -1;
	m->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (m->kick_fd < 0 || m->timer_fd < 0)
		return error_set(err, errlen, "vsock: %s", strerror(errno));
	return 0;
}

struct vsock_muxer *vsock_muxer_open(const struct vsock_config *cfg, char *err, size_t errlen)
{
	struct vsock_muxer *m = calloc(1, sizeof(*m));
	if (!m) {
		error_set(err, errlen, "vsock: out of memory");
		return NULL;
	}
	m->cfg = *cfg;
	if (!m->cfg.hold_ms)
		m->cfg.hold_ms = VSOCK_HOLD_MS_DEFAULT;
	m->kick_fd = m->timer_fd = -1;
	m->next_local_port = VSOCK_LOCAL_PORT_FIRST;
	if (cfg->uds_path && !(m->uds_path = strdup(cfg->uds_path))) {
		error_set(err, errlen, "vsock: out of memory");
		free(m);
		return NULL;
	}
	if (vsock_open_fds(m, err, errlen)) {
		vsock_muxer_close(m);
		return NULL;
	}
	vsock_raise_fd_limit();
	return m;
}

int vsock_muxer_attach(struct vsock_muxer *m, struct virtio_dev *d, struct event_loop *ev,
                       char *err, size_t errlen)
{
	m->dev = d;
	m->ev = ev;
	for (int i = 0; i < m->nlisteners; i++) {
		struct vsock_listener *l = &m->listeners[i];
		l->m = m;
		l->src = event_add_input(ev, l->fd, vsock_listener_event, l);
		if (!l->src)
			return error_set(err, errlen, "vsock: epoll_ctl: %s", strerror(errno));
	}
	m->kick_src = event_add_input(ev, m->kick_fd, vsock_kick_event, m);
	m->timer_src = event_add_input(ev, m->timer_fd, vsock_timer_event, m);
	if (!m->kick_src || !m->timer_src)
		return error_set(err, errlen, "vsock: epoll_ctl: %s", strerror(errno));
	return 0;
}

void vsock_muxer_close(struct vsock_muxer *m)
{
	if (!m)
		return;
	vsock_free_all(m);
	for (int i = 0; i < m->nlisteners; i++) {
		if (m->listeners[i].src)
			event_remove(m->ev, m->listeners[i].src);
		if (m->listeners[i].fd >= 0)
			close(m->listeners[i].fd);
	}
	if (m->kick_src)
		event_remove(m->ev, m->kick_src);
	if (m->timer_src)
		event_remove(m->ev, m->timer_src);
	if (m->kick_fd >= 0)
		close(m->kick_fd);
	if (m->timer_fd >= 0)
		close(m->timer_fd);
	if (m->uds_bound)
		unlink(m->uds_path);
	free(m->uds_path);
	free(m);
}
