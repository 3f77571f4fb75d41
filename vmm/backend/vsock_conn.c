/* One vsock stream connection between a host socket and a guest port (virtio 1.2 §5.10.6.4-6):
 * the REQUEST/RESPONSE handshake, data both ways, half-close and reset, and credit. Data from
 * the host is read straight into the guest's receive buffers, never more than the guest's
 * credit (buf_alloc - (tx_cnt - fwd_cnt)); data from the guest is written straight to the host
 * socket, and what it cannot take waits in one buffer of VSOCK_BUF_ALLOC bytes, which is all
 * the credit we grant, so a slow host reader stalls its own connection and nothing else. */
#include "vsock_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static uint32_t conn_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;
	return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

static int conn_may_read_host(const struct vsock_conn *c)
{
	return c->state == CONN_ESTABLISHED && !c->host_eof && !c->guest_no_recv;
}

int vsock_conn_has_rx(const struct vsock_conn *c)
{
	return c->send || (conn_may_read_host(c) && c->host_readable && conn_credit(c) > 0);
}

void vsock_conn_watch(struct vsock_conn *c)
{
	if (!c->src)
		return;
	uint32_t want = 0;
	if (c->state == CONN_HANDSHAKE ||
	    (conn_may_read_host(c) && !c->host_readable && conn_credit(c) > 0))
		want |= EPOLLIN;
	if (c->pending_len)
		want |= EPOLLOUT;
	/* One-shot: a hang-up reports once even while we want nothing, not without end. */
	if (want || c->src->events)
		event_watch(c->m->ev, c->src, want | EPOLLONESHOT);
}

/* After any change: c's place on the list of connections with something for the guest (at the
 * tail, so connections take turns) and what its host socket is watched for. */
static void conn_update(struct vsock_conn *c)
{
	vsock_rx_dequeue(c);
	if (vsock_conn_has_rx(c))
		vsock_rx_enqueue(c);
	vsock_conn_watch(c);
}

void vsock_conn_reset(struct vsock_conn *c)
{
	int guest_knows = c->state == CONN_ESTABLISHED ||
	                  (c->state == CONN_CONNECTING && !(c->send & SEND_REQUEST));
	if (!guest_knows) {
		vsock_conn_free(c);
		return;
	}
	if (c->src)
		event_remove(c->m->ev, c->src);
	c->src = NULL;
	close(c->fd);
	c->fd = -1;
	free(c->pending);
	c->pending = NULL;
	c->pending_len = 0;
	vsock_wait_remove(c);
	c->state = CONN_CLOSING;
	c->send = SEND_RST;
	conn_update(c);
}

void vsock_conn_request(struct vsock_conn *c)
{
	if (c->state == CONN_HELD)
		c->m->nheld--;
	c->state = CONN_CONNECTING;
	c->send |= SEND_REQUEST;
	conn_update(c);
}

/* The guest has nothing more to send and everything it sent is with the host: shut the host
 * socket's write half; when the guest will not receive either, the connection is over, and
 * (as Linux does on a full SHUTDOWN) we end it with an RST. Returns 0 if c is gone. */
static int conn_check_finish(struct vsock_conn *c)
{
	if (c->state != CONN_ESTABLISHED || c->pending_len || !c->guest_no_send)
		return 1;
	if (!c->host_shut_wr) {
		shutdown(c->fd, SHUT_WR);
		c->host_shut_wr = 1;
	}
	if (c->guest_no_recv) {
		vsock_conn_reset(c);
		return 0;
	}
	return 1;
}

/* Tells the guest how much we consumed when its view of our free space is below half. */
static void conn_maybe_credit(struct vsock_conn *c)
{
	if (c->fwd_cnt == c->fwd_cnt_sent)
		return;
	uint32_t seen_used = c->rx_cnt - c->fwd_cnt_sent;
	uint32_t seen_free = seen_used >= VSOCK_BUF_ALLOC ? 0 : VSOCK_BUF_ALLOC - seen_used;
	if (seen_free < VSOCK_BUF_ALLOC / 2)
		c->send |= SEND_CREDIT;
}

/* Writes buffered guest data to the host socket. Returns 0 if c is gone (reset). */
static int conn_flush(struct vsock_conn *c)
{
	while (c->pending_len) {
		ssize_t n = send(c->fd, c->pending + c->pending_off, c->pending_len,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		if (n <= 0) {
			vsock_conn_reset(c);
			return 0;
		}
		c->pending_off += (uint32_t)n;
		c->pending_len -= (uint32_t)n;
		c->fwd_cnt += (uint32_t)n;
	}
	if (!c->pending_len) {
		free(c->pending);
		c->pending = NULL;
		c->pending_off = 0;
	}
	conn_maybe_credit(c);
	return conn_check_finish(c);
}

/* Keeps what the host socket did not take, skipping the first done bytes of payload. */
static int conn_buffer(struct vsock_conn *c, const struct iovec *payload, int niov, size_t done)
{
	if (!c->pending) {
		c->pending = malloc(VSOCK_BUF_ALLOC);
		if (!c->pending)
			return -1;
		c->pending_off = 0;
	}
	if (c->pending_off) {
		memmove(c->pending, c->pending + c->pending_off, c->pending_len);
		c->pending_off = 0;
	}
	for (int i = 0; i < niov; i++) {
		size_t len = payload[i].iov_len;
		if (done >= len) {
			done -= len;
			continue;
		}
		memcpy(c->pending + c->pending_len, (const char *)payload[i].iov_base + done,
		       len - done);
		c->pending_len += (uint32_t)(len - done);
		done = 0;
	}
	return 0;
}

/* An RW packet. Returns 0 if c is gone. */
static int conn_data_from_guest(struct vsock_conn *c, uint32_t len, const struct iovec *payload,
                                int niov)
{
	/* More than the credit we granted, or data after it said it would send none: a broken
	 * or hostile driver; the connection ends, nothing else is hurt. */
	if (c->guest_no_send || (uint64_t)c->pending_len + len > VSOCK_BUF_ALLOC) {
		vsock_conn_reset(c);
		return 0;
	}
	c->rx_cnt += len;
	c->m->stats.bytes_from_guest += len;
	size_t done = 0;
	if (!c->pending_len && len) {
		struct msghdr msg = {.msg_iov = (struct iovec *)payload,
		                     .msg_iovlen = (size_t)niov};
		ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			vsock_conn_reset(c);
			return 0;
		}
		if (n > 0) {
			done = (size_t)n;
			c->fwd_cnt += (uint32_t)n;
		}
	}
	if (done < len && conn_buffer(c, payload, niov, done)) {
		vsock_conn_reset(c);
		return 0;
	}
	conn_maybe_credit(c);
	return 1;
}

/* The guest accepted our REQUEST. Returns 0 if c is gone. */
static int conn_established(struct vsock_conn *c)
{
	c->state = CONN_ESTABLISHED;
	vsock_wait_remove(c);
	if (!c->unix_client)
		return 1;
	char ok[32];
	int n = snprintf(ok, sizeof(ok), "OK %u\n", c->local_port);
	if (send(c->fd, ok, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		vsock_conn_reset(c);
		return 0;
	}
	return 1;
}

/* The guest answered our REQUEST with RST: no one listens on its port yet. Hold the host
 * connection and ask again soon, until its deadline; the host client sees nothing of it.
 * Returns 0 if c is gone. */
static int conn_refused(struct vsock_conn *c)
{
	struct vsock_muxer *m = c->m;
	double now = vsock_now();
	if (now >= c->deadline || m->nheld >= VSOCK_HELD_MAX) {
		vsock_conn_free(c);
		return 0;
	}
	c->state = CONN_HELD;
	c->send = 0;
	m->nheld++;
	c->retry_at = now + VSOCK_RETRY_MS / 1000.0;
	return 1;
}

/* The deadline bounds a client that never sends its CONNECT line and a connection held for a
 * guest that is not listening yet (its RST past the deadline ends it, in conn_refused). A
 * REQUEST still on its way or unanswered is the guest's to answer: a listening guest busy with
 * other connections may take longer than the deadline, and closing the client then would lose
 * a connection the guest is about to accept. */
void vsock_conn_timer(struct vsock_conn *c, double now)
{
	if (now >= c->deadline && c->state != CONN_CONNECTING) {
		vsock_conn_free(c); /* the host client sees its connection closed */
		return;
	}
	if (c->state == CONN_HELD && now >= c->retry_at)
		vsock_conn_request(c);
}

/* Returns 0 if c is gone. */
static int conn_recv_op(struct vsock_conn *c, const struct virtio_vsock_hdr *h,
                        const struct iovec *payload, int niov)
{
	int established = c->state == CONN_ESTABLISHED;
	switch (h->op) {
	case VIRTIO_VSOCK_OP_RESPONSE:
		if (c->state == CONN_CONNECTING && !(c->send & SEND_REQUEST))
			return conn_established(c);
		break;
	case VIRTIO_VSOCK_OP_RST:
		if (c->state == CONN_CONNECTING)
			return conn_refused(c);
		vsock_conn_free(c);
		return 0;
	case VIRTIO_VSOCK_OP_RW:
		if (established)
			return conn_data_from_guest(c, h->len, payload, niov);
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		if (!established)
			break;
		c->guest_no_send |= (h->flags & VIRTIO_VSOCK_SHUTDOWN_SEND) != 0;
		c->guest_no_recv |= (h->flags & VIRTIO_VSOCK_SHUTDOWN_RCV) != 0;
		return conn_check_finish(c);
	case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
		return 1; /* the header's credit fields are taken already */
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		c->send |= SEND_CREDIT;
		return 1;
	default:
		break;
	}
	/* A REQUEST on a live connection, an op out of place or unknown: end the connection. */
	vsock_conn_reset(c);
	return 0;
}

void vsock_conn_recv(struct vsock_conn *c, const struct virtio_vsock_hdr *h,
                     const struct iovec *payload, int niov)
{
	if (c->state != CONN_CONNECTING && c->state != CONN_ESTABLISHED)
		return; /* held (the guest knows nothing of it) or closing (our RST is on its way)
		         */
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	if (conn_recv_op(c, h, payload, niov))
		conn_update(c);
}

void vsock_conn_guest_connect(struct vsock_muxer *m, const struct virtio_vsock_hdr *h)
{
	if (!m->uds_path || m->nconns >= VSOCK_CONN_MAX) {
		vsock_reply_rst(m, h);
		return;
	}
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int n = snprintf(a.sun_path, sizeof(a.sun_path), "%s_%u", m->uds_path, h->dst_port);
	int fd = -1;
	if (n > 0 && (size_t)n < sizeof(a.sun_path))
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* A Unix connect does not wait: it succeeds, or fails at once (EAGAIN: backlog full). */
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		fd = -1;
	}
	struct vsock_conn *c = fd >= 0 ? vsock_conn_new(m, fd, CONN_ESTABLISHED) : NULL;
	if (!c) {
		if (fd >= 0)
			close(fd);
		vsock_reply_rst(m, h);
		return;
	}
	c->local_port = h->dst_port;
	c->peer_port = h->src_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	vsock_conn_hash(c);
	c->send = SEND_RESPONSE;
	conn_update(c);
}

static void conn_header(struct vsock_conn *c, struct virtio_vsock_hdr *h, uint16_t op)
{
	h->type = VIRTIO_VSOCK_TYPE_STREAM;
	h->op = op;
	h->src_port = c->local_port;
	h->dst_port = c->peer_port;
	h->buf_alloc = VSOCK_BUF_ALLOC;
	h->fwd_cnt = c->fwd_cnt;
	h->flags = 0;
	h->len = 0;
	c->fwd_cnt_sent = c->fwd_cnt;
	c->send &= ~SEND_CREDIT; /* every header carries our credit */
}

/* Reads up to max bytes of the host socket into the guest's buffers. Returns the count, 0 at
 * the end of the stream, -1 when there is nothing now, -2 on an error. */
static ssize_t conn_read_host(struct vsock_conn *c, const struct iovec *iov, int niov, size_t max)
{
	struct iovec cut[VSOCK_IOV_MAX];
	int n = 0;
	for (int i = 0; i < niov && max; i++) {
		size_t len = iov[i].iov_len < max ? iov[i].iov_len : max;
		cut[n++] = (struct iovec){iov[i].iov_base, len};
		max -= len;
	}
	ssize_t r = readv(c->fd, cut, n);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
	return r;
}

/* Data for the guest, or the end of the host's stream. Returns 1 with h written, 0 when there
 * was none, -1 when the connection broke (reset; c is then CLOSING). */
static int conn_fill_data(struct vsock_conn *c, struct virtio_vsock_hdr *h, const struct iovec *iov,
                          int niov, size_t room)
{
	uint32_t credit = conn_credit(c);
	size_t max = room < credit ? room : credit;
	if (!max)
		return 0;
	ssize_t r = conn_read_host(c, iov, niov, max);
	if (r == -2)
		return -1;
	c->host_readable = 0;
	if (r < 0)
		return 0;
	if (r == 0) {
		c->host_eof = 1;
		c->send |= SEND_SHUTDOWN;
		c->shutdown_flags |= VIRTIO_VSOCK_SHUTDOWN_SEND;
		return 0;
	}
	/* A short read drained the socket, most likely: wait for its next input. */
	if ((size_t)r == max)
		c->host_readable = 1;
	conn_header(c, h, VIRTIO_VSOCK_OP_RW);
	h->len = (uint32_t)r;
	c->tx_cnt += (uint32_t)r;
	c->m->stats.bytes_to_guest += (uint64_t)r;
	return 1;
}

int vsock_conn_fill(struct vsock_conn *c, struct virtio_vsock_hdr *h, const struct iovec *iov,
                    int niov, size_t room)
{
	if (c->send & SEND_RST) {
		conn_header(c, h, VIRTIO_VSOCK_OP_RST);
		c->m->stats.rst_sent++;
		vsock_conn_free(c);
		return 1;
	}
	uint16_t op = VIRTIO_VSOCK_OP_INVALID;
	if (c->send & SEND_REQUEST) {
		c->send &= ~SEND_REQUEST;
		op = VIRTIO_VSOCK_OP_REQUEST;
	} else if (c->send & SEND_RESPONSE) {
		c->send &= ~SEND_RESPONSE;
		op = VIRTIO_VSOCK_OP_RESPONSE;
	} else if (conn_may_read_host(c) && c->host_readable) {
		int r = conn_fill_data(c, h, iov, niov, room);
		if (r < 0) {
			vsock_conn_reset(c);
			return vsock_conn_fill(c, h, iov, niov, room);
		}
		if (r > 0) {
			conn_update(c);
			return 1;
		}
	}
	if (op == VIRTIO_VSOCK_OP_INVALID && (c->send & SEND_SHUTDOWN)) {
		c->send &= ~SEND_SHUTDOWN;
		conn_header(c, h, VIRTIO_VSOCK_OP_SHUTDOWN);
		h->flags = c->shutdown_flags;
		conn_update(c);
		return 1;
	}
	if (op == VIRTIO_VSOCK_OP_INVALID && (c->send & SEND_CREDIT))
		op = VIRTIO_VSOCK_OP_CREDIT_UPDATE;
	if (op == VIRTIO_VSOCK_OP_INVALID) {
		conn_update(c); /* off the list: nothing to send after all */
		return 0;
	}
	conn_header(c, h, op);
	conn_update(c);
	return 1;
}

/* A Unix client's first line, "CONNECT <port>\n", read a byte at a time so that no byte of the
 * stream after it is taken. A bad line closes the connection, as Firecracker does. */
static void conn_read_line(struct vsock_conn *c)
{
	for (;;) {
		char ch;
		ssize_t n = recv(c->fd, &ch, 1, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		if (n <= 0 || c->line_len == VSOCK_LINE_MAX - 1) {
			vsock_conn_free(c);
			return;
		}
		if (ch != '\n') {
			c->line[c->line_len++] = ch;
			continue;
		}
		c->line[c->line_len] = '\0';
		if (c->line_len && c->line[c->line_len - 1] == '\r')
			c->line[c->line_len - 1] = '\0';
		char *end;
		const char *num = c->line + strlen("CONNECT ");
		errno = 0;
		unsigned long port = strtoul(num, &end, 10);
		if (strncmp(c->line, "CONNECT ", strlen("CONNECT ")) != 0 || *num < '0' ||
		    *num > '9' || *end || errno || port > UINT32_MAX) {
			vsock_conn_free(c);
			return;
		}
		c->peer_port = (uint32_t)port;
		c->local_port = vsock_local_port(c->m, c->peer_port);
		vsock_conn_hash(c);
		vsock_conn_request(c);
		return;
	}
	vsock_conn_watch(c);
}

void vsock_conn_host_event(struct vsock_conn *c, uint32_t events)
{
	switch (c->state) {
	case CONN_HANDSHAKE:
		conn_read_line(c);
		return;
	case CONN_CONNECTING:
	case CONN_HELD:
		if (events & (EPOLLHUP | EPOLLERR))
			vsock_conn_reset(c); /* the host client gave up */
		else
			vsock_conn_watch(c);
		return;
	case CONN_ESTABLISHED:
		if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && c->pending_len && !conn_flush(c))
			return;
		if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			c->host_readable = 1;
		conn_update(c);
		return;
	case CONN_CLOSING:
		return;
	}
}
