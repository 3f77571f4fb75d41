/* A serial port on a listening socket (see serial_socket.h). The UART calls output, status and
 * receive on a vCPU thread; the listener and the client are served on the event thread; one
 * mutex covers the buffers and the client. The client's source is one-shot and re-armed, under
 * the mutex, for what the buffers want now: input while the receive buffer has room, output
 * while the transmit buffer holds something. */
#include "serial_socket.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"

struct serial_ring {
	uint8_t data[SERIAL_SOCKET_BUF];
	size_t start, len;
};

struct serial_socket {
	pthread_mutex_t lock;
	int listen_fd, client_fd; /* client_fd -1: no client */
	struct event_loop *ev;
	struct event_source *listener, *client;
	struct serial *uart;   /* told when data arrives, for its interrupt */
	struct serial_ring rx; /* from the client, for the guest */
	struct serial_ring tx; /* from the guest, for the client */
};

/* The free space after the ring's end, up to the array's end: where the next bytes go. */
static size_t serial_ring_tail_room(struct serial_ring *r, uint8_t **at)
{
	size_t end = (r->start + r->len) % SERIAL_SOCKET_BUF;
	*at = r->data + end;
	size_t room = SERIAL_SOCKET_BUF - r->len;
	size_t to_edge = SERIAL_SOCKET_BUF - end;
	return room < to_edge ? room : to_edge;
}

/* The bytes from the ring's start, up to the array's end. */
static size_t serial_ring_head(const struct serial_ring *r, const uint8_t **at)
{
	*at = r->data + r->start;
	size_t to_edge = SERIAL_SOCKET_BUF - r->start;
	return r->len < to_edge ? r->len : to_edge;
}

static void serial_ring_consume(struct serial_ring *r, size_t n)
{
	r->start = (r->start + n) % SERIAL_SOCKET_BUF;
	r->len -= n;
}

/* Re-arms the client's source for what the buffers want. With the lock held. */
static void serial_socket_arm(struct serial_socket *ss)
{
	if (!ss->client)
		return;
	uint32_t want = 0;
	if (ss->rx.len < SERIAL_SOCKET_BUF)
		want |= EPOLLIN;
	if (ss->tx.len)
		want |= EPOLLOUT;
	event_arm(ss->ev, ss->client, want);
}

/* On the event thread, with the lock held: the client is gone, what was waiting for it too.
 * What it sent and the guest has not read yet stays. */
static void serial_socket_drop_client(struct serial_socket *ss)
{
	event_remove(ss->ev, ss->client);
	ss->client = NULL;
	close(ss->client_fd);
	ss->client_fd = -1;
	ss->tx.start = ss->tx.len = 0;
}

/* Reads what the client sent while the receive buffer has room. Returns 0, or -1 once the
 * client has gone (end of stream or an error). */
static int serial_socket_read_client(struct serial_socket *ss)
{
	for (;;) {
		uint8_t *at;
		size_t room = serial_ring_tail_room(&ss->rx, &at);
		if (!room)
			return 0;
		ssize_t n = recv(ss->client_fd, at, room, MSG_DONTWAIT);
		if (n > 0) {
			ss->rx.len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -1;
	}
}

/* Sends what the guest transmitted while the client takes it. Returns 0, or -1 on an error. */
static int serial_socket_flush(struct serial_socket *ss)
{
	while (ss->tx.len) {
		const uint8_t *at;
		size_t len = serial_ring_head(&ss->tx, &at);
		ssize_t n = send(ss->client_fd, at, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			serial_ring_consume(&ss->tx, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return -1;
	}
	return 0;
}

static void serial_socket_client_event(void *ctx, uint32_t events)
{
	struct serial_socket *ss = ctx;
	pthread_mutex_lock(&ss->lock);
	int gone = 0;
	size_t before = ss->rx.len;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		gone = serial_socket_read_client(ss);
	int arrived = ss->rx.len > before;
	/* A hang-up with no room to read the end of stream would report again at once, for ever;
	 * the client is gone either way. */
	if (events & (EPOLLHUP | EPOLLERR) && ss->rx.len == SERIAL_SOCKET_BUF)
		gone = 1;
	if (!gone && events & EPOLLOUT)
		gone = serial_socket_flush(ss);
	if (gone)
		serial_socket_drop_client(ss);
	else
		serial_socket_arm(ss);
	pthread_mutex_unlock(&ss->lock);
	if (arrived && ss->uart)
		serial_received(ss->uart);
}

static void serial_socket_listener_event(void *ctx, uint32_t events)
{
	struct serial_socket *ss = ctx;
	(void)events;
	int fd = accept4(ss->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	pthread_mutex_lock(&ss->lock);
	if (ss->client_fd >= 0) {
		pthread_mutex_unlock(&ss->lock);
		close(fd);
		fprintf(stderr, "toro: --gdb: refused a second connection (one gdb at a time)\n");
		return;
	}
	/* gdb's packets are small and each waits for an answer: no Nagle delay (fails harmlessly
	 * on a Unix socket). */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ss->client = event_add(ss->ev, fd, EPOLLONESHOT, serial_socket_client_event, ss);
	if (!ss->client) {
		pthread_mutex_unlock(&ss->lock);
		close(fd);
		fprintf(stderr, "toro: --gdb: cannot watch the connection: %s\n", strerror(errno));
		return;
	}
	ss->client_fd = fd;
	serial_socket_arm(ss);
	pthread_mutex_unlock(&ss->lock);
}

struct serial_socket *serial_socket_open(int listen_fd, char *err, size_t errlen)
{
	struct serial_socket *ss = calloc(1, sizeof(*ss));
	if (!ss) {
		error_set(err, errlen, "out of memory for the serial socket");
		return NULL;
	}
	pthread_mutex_init(&ss->lock, NULL);
	ss->listen_fd = listen_fd;
	ss->client_fd = -1;
	return ss;
}

void serial_socket_connect_uart(struct serial_socket *ss, struct serial *uart)
{
	serial_init(uart, serial_socket_output, ss);
	ss->uart = uart;
	const struct serial_line line = {serial_socket_status, serial_socket_receive, ss};
	serial_set_line(uart, &line);
}

int serial_socket_attach(struct serial_socket *ss, struct event_loop *ev, char *err, size_t errlen)
{
	ss->ev = ev;
	ss->listener = event_add_input(ev, ss->listen_fd, serial_socket_listener_event, ss);
	if (!ss->listener)
		return error_set(err, errlen, "epoll_ctl (gdb listener): %s", strerror(errno));
	return 0;
}

void serial_socket_close(struct serial_socket *ss)
{
	if (!ss)
		return;
	if (ss->client)
		event_remove(ss->ev, ss->client);
	if (ss->listener)
		event_remove(ss->ev, ss->listener);
	if (ss->client_fd >= 0)
		close(ss->client_fd);
	close(ss->listen_fd);
	pthread_mutex_destroy(&ss->lock);
	free(ss);
}

void serial_socket_output(void *ctx, const void *data, size_t len)
{
	struct serial_socket *ss = ctx;
	const uint8_t *p = data;
	pthread_mutex_lock(&ss->lock);
	if (ss->client_fd < 0) {
		pthread_mutex_unlock(&ss->lock);
		return; /* no one to hear it */
	}
	int was_empty = ss->tx.len == 0;
	while (len) {
		uint8_t *at;
		size_t room = serial_ring_tail_room(&ss->tx, &at);
		if (!room)
			break; /* the UART checked for room; a caller that did not loses the rest */
		size_t n = len < room ? len : room;
		memcpy(at, p, n);
		ss->tx.len += n;
		p += n;
		len -= n;
	}
	if (was_empty && ss->tx.len)
		serial_socket_arm(ss);
	pthread_mutex_unlock(&ss->lock);
}

unsigned serial_socket_status(void *ctx)
{
	struct serial_socket *ss = ctx;
	pthread_mutex_lock(&ss->lock);
	unsigned st = 0;
	if (ss->rx.len)
		st |= SERIAL_LINE_RX_READY;
	if (ss->tx.len < SERIAL_SOCKET_BUF)
		st |= SERIAL_LINE_TX_ROOM;
	if (ss->tx.len <= SERIAL_SOCKET_BUF - SERIAL_FIFO_SIZE)
		st |= SERIAL_LINE_TX_FIFO;
	if (!ss->tx.len)
		st |= SERIAL_LINE_TX_IDLE;
	pthread_mutex_unlock(&ss->lock);
	return st;
}

int serial_socket_receive(void *ctx)
{
	struct serial_socket *ss = ctx;
	pthread_mutex_lock(&ss->lock);
	int c = -1;
	if (ss->rx.len) {
		int was_full = ss->rx.len == SERIAL_SOCKET_BUF;
		c = ss->rx.data[ss->rx.start];
		serial_ring_consume(&ss->rx, 1);
		if (was_full)
			serial_socket_arm(ss); /* room again: read the client */
	}
	pthread_mutex_unlock(&ss->lock);
	return c;
}
