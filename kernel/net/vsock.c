/* vsock stream sockets (kernel/include/kernel/vsock.h): the protocol of virtio 1.2 §5.10.6 —
 * connection set-up and teardown, credit flow control, listen backlogs — over any transport
 * (kernel/net/net.h). Built into the kernel over the virtio-vsock driver, and on the host by
 * tests/unit/vsock_proto.c against a fake peer.
 *
 * Locking: net.lock guards the two tables (bound ports, connections), the timer list and the
 * port allocator; each socket's lock guards the socket. The two are never held together, so
 * there is no lock order to keep. The tables hold references: a socket lives while the user, a
 * table, a timer or a caller in the middle of a call holds one. No spin lock is held across a
 * transport send, which may wait for room in the device's queue. */
#include <kernel/spinlock.h>
#include <kernel/string.h>
#include <kernel/vsock.h>
#include <toro/abi/linux.h>

#include "net.h"

#define VSOCK_BUF_DEFAULT (256u << 10) /* buf_alloc advertised, as Linux's default */
#define VSOCK_BUF_MIN     4096u
#define VSOCK_BUF_MAX     (4u << 20)
/* A credit update goes out when the peer's view of our free space falls below this (and we
 * have freed space it was not told about): low enough to batch, high enough to keep it sending. */
#define VSOCK_CREDIT_LOW_MAX (64u << 10)
/* Received packets with at most this much payload are appended to the last queued packet when
 * it has room, so that a peer sending tiny packets cannot pin a page per byte or so. */
#define VSOCK_MERGE_MAX 1024u
#define VSOCK_CONNECT_TIMEOUT_NS (2ull * 1000000000ull) /* Linux's default */
/* A closed connection waits this long for the peer's RST after our SHUTDOWN (Linux: 8 s). */
#define VSOCK_CLOSE_TIMEOUT_NS (8ull * 1000000000ull)
#define VSOCK_EPHEMERAL_FIRST 49152u
#define VSOCK_BUCKETS 256u
#define VSOCK_SHUTDOWN_BOTH (VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND)

enum vsock_state {
	VSOCK_UNCONNECTED, /* new, bound, or after a failed connect */
	VSOCK_LISTENING,
	VSOCK_CONNECTING,
	VSOCK_CONNECTED,
	VSOCK_CLOSED, /* the connection ended (RST, the peer's full shutdown, transport reset) */
};

/* A socket's place in one of net's lists (a bucket of a table, or the timer list), under
 * net.lock: the next socket, and whether it is in the list at all. */
struct sock_link {
	struct vsock *next;
	int in;
};

struct vsock {
	struct spinlock lock;
	int refs; /* atomic */
	enum vsock_state state;
	uint32_t local_port;
	uint64_t peer_cid;
	uint32_t peer_port;
	/* Under net.lock: membership of the tables (bound ports; connections by local port and
	 * peer) and of the timer list. */
	struct sock_link port_link, conn_link, timer_link;
	uint64_t deadline_ns; /* the timer's, when timed */
	int orphan;           /* closed by its user; waits for the peer's RST */

	/* Listening: established connections waiting for accept (each holds the user reference
	 * it will hand to the accepting caller), and REQUESTs still being answered. */
	struct vsock *accept_head, *accept_tail, *accept_next;
	int backlog, accept_count;

	/* Receiving: the queue of packets, and the counters of §5.10.6.3. */
	struct vsock_packet *rx_head, *rx_tail;
	uint32_t buf_alloc;    /* our receive buffer, advertised */
	uint32_t rx_cnt;       /* payload bytes received */
	uint32_t fwd_cnt;      /* payload bytes the application has read */
	uint32_t fwd_cnt_sent; /* fwd_cnt as last told to the peer */

	/* Sending: never more than the peer's credit in flight. */
	uint32_t tx_cnt;
	uint32_t peer_buf_alloc, peer_fwd_cnt;
	int sending; /* a send is between reserving credit and the transport; others wait */

	unsigned local_shut, peer_shut; /* VIRTIO_VSOCK_SHUTDOWN_* */
	int error;                      /* SO_ERROR */
	int reset;                      /* reads give ECONNRESET once the queue is empty */
	uint64_t connect_timeout_ns;
	uint64_t recv_timeout_ns; /* SO_RCVTIMEO: a receive or accept waits this long; 0: no limit */

	struct vsock_waiter *waiters;
	void (*notify)(void *ctx);
	void *notify_ctx;
	int notifying; /* calls of notify in progress (atomic) */
};

static struct {
	struct spinlock lock;
	struct vsock *ports[VSOCK_BUCKETS];
	struct vsock *conns[VSOCK_BUCKETS];
	struct vsock *timers;
	uint32_t next_ephemeral;
	/* Pollers over many sockets (vsock_poll_wait), under poll_lock. */
	struct spinlock poll_lock;
	uint64_t poll_generation;
	struct vsock_waiter *pollers;
} net;

/* ---- References, waiting and waking. */

static void sock_get(struct vsock *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

static void sock_put(struct vsock *s)
{
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	struct vsock_packet *p = s->rx_head;
	while (p) {
		struct vsock_packet *next = p->next;
		vsock_transport_packet_free(p);
		p = next;
	}
	vsock_env_free(s);
}

/* Parks the caller until the socket changes or deadline_ns (0: none). Called with s->lock held;
 * returns with it held. Returns 0 when woken, 1 if the deadline passed with no wake, -EINTR if a
 * signal ended the wait. */
static int sock_wait(struct vsock *s, uint64_t deadline_ns)
{
	struct vsock_waiter w = {0};
	w.next = s->waiters;
	s->waiters = &w;
	vsock_env_wait_prepare(&w, 1);
	spin_unlock(&s->lock);
	int r = vsock_env_wait_block(&w, deadline_ns);
	spin_lock(&s->lock);
	if (w.woken)
		return 0;
	vsock_waiter_unlink(&s->waiters, &w);
	return r; /* 1 only when the deadline passed; 0 for a wake-up from elsewhere */
}

/* After a change to s, with s->lock dropped: its file's pollers and vsock_poll_wait. The
 * callback runs without the lock (it may look at the socket again); notifying counts the calls
 * in progress, so that vsock_set_notify and vsock_close can wait until none uses the old one. */
static void sock_changed(struct vsock *s)
{
	spin_lock(&s->lock);
	void (*fn)(void *) = s->notify;
	void *ctx = s->notify_ctx;
	if (fn)
		s->notifying++;
	spin_unlock(&s->lock);
	if (fn) {
		fn(ctx);
		__atomic_sub_fetch(&s->notifying, 1, __ATOMIC_RELEASE);
	}
	spin_lock(&net.poll_lock);
	net.poll_generation++;
	vsock_waiters_wake(&net.pollers);
	spin_unlock(&net.poll_lock);
}

/* Waits until no call of the previous notify callback is still running (s->lock not held). Such
 * a call runs on another core: on this one nothing preempts the caller. */
static void sock_notify_quiesce(struct vsock *s)
{
	while (__atomic_load_n(&s->notifying, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

uint64_t vsock_poll_generation(void)
{
	return __atomic_load_n(&net.poll_generation, __ATOMIC_ACQUIRE);
}

int vsock_poll_wait(uint64_t generation, uint64_t deadline_ns)
{
	struct vsock_waiter w = {0};
	spin_lock(&net.poll_lock);
	if (net.poll_generation != generation) {
		spin_unlock(&net.poll_lock);
		return 0;
	}
	w.next = net.pollers;
	net.pollers = &w;
	vsock_env_wait_prepare(&w, 1);
	spin_unlock(&net.poll_lock);
	vsock_env_wait_block(&w, deadline_ns);
	spin_lock(&net.poll_lock);
	int woken = w.woken;
	if (!woken)
		vsock_waiter_unlink(&net.pollers, &w);
	spin_unlock(&net.poll_lock);
	return !woken;
}

/* ---- The tables. */

static unsigned port_bucket(uint32_t port)
{
	return (port * 2654435761u) >> 24 & (VSOCK_BUCKETS - 1);
}

static unsigned conn_bucket(uint32_t local_port, uint64_t peer_cid, uint32_t peer_port)
{
	uint64_t h = ((uint64_t)local_port << 32 | peer_port) ^ peer_cid * 0x9e3779b97f4a7c15ull;
	h *= 0xff51afd7ed558ccdull;
	return (unsigned)(h >> 56) & (VSOCK_BUCKETS - 1);
}

#define PORT_LINK  offsetof(struct vsock, port_link)
#define CONN_LINK  offsetof(struct vsock, conn_link)
#define TIMER_LINK offsetof(struct vsock, timer_link)

static struct sock_link *link_of(struct vsock *s, size_t link)
{
	return (struct sock_link *)((char *)s + link);
}

/* Under net.lock: puts s at the front of the list at *head through its link at offset link
 * (PORT_LINK, CONN_LINK, TIMER_LINK). The list holds a reference. */
static void list_enter(struct vsock **head, struct vsock *s, size_t link)
{
	struct sock_link *l = link_of(s, link);
	l->next = *head;
	l->in = 1;
	*head = s;
	sock_get(s);
}

/* Under net.lock: takes s out of the list at *head if it is in it, and says whether it was;
 * the caller then owns the list's reference. */
static int list_leave(struct vsock **head, struct vsock *s, size_t link)
{
	struct sock_link *l = link_of(s, link);
	if (!l->in)
		return 0;
	for (struct vsock **p = head; *p; p = &link_of(*p, link)->next) {
		if (*p == s) {
			*p = l->next;
			break;
		}
	}
	l->in = 0;
	return 1;
}

/* Takes s out of the list at *head, if it is in it, taking net.lock, and drops the list's
 * reference. */
static void sock_leave(struct vsock **head, struct vsock *s, size_t link)
{
	spin_lock(&net.lock);
	int was = list_leave(head, s, link);
	spin_unlock(&net.lock);
	if (was)
		sock_put(s);
}

/* Lookups, on the receive path: each walks its own link directly. Under net.lock. */
static struct vsock *port_find(uint32_t port)
{
	for (struct vsock *s = net.ports[port_bucket(port)]; s; s = s->port_link.next)
		if (s->local_port == port)
			return s;
	return NULL;
}

static struct vsock *conn_find(uint32_t local_port, uint64_t peer_cid, uint32_t peer_port)
{
	for (struct vsock *s = net.conns[conn_bucket(local_port, peer_cid, peer_port)]; s;
	     s = s->conn_link.next)
		if (s->local_port == local_port && s->peer_cid == peer_cid &&
		    s->peer_port == peer_port)
			return s;
	return NULL;
}

/* Binds s to port (VSOCK_PORT_ANY: a free ephemeral one). The table holds a reference. */
static int port_bind(struct vsock *s, uint32_t port)
{
	int err = 0;
	spin_lock(&net.lock);
	if (s->port_link.in) {
		err = -LINUX_EINVAL;
	} else if (port == VSOCK_PORT_ANY) {
		uint32_t tries = 0;
		do {
			if (net.next_ephemeral < VSOCK_EPHEMERAL_FIRST ||
			    net.next_ephemeral == VSOCK_PORT_ANY)
				net.next_ephemeral = VSOCK_EPHEMERAL_FIRST;
			port = net.next_ephemeral++;
		} while (port_find(port) && ++tries < (1u << 20));
		if (port_find(port))
			err = -LINUX_EADDRINUSE;
	} else if (port_find(port)) {
		err = -LINUX_EADDRINUSE;
	}
	if (!err) {
		s->local_port = port;
		list_enter(&net.ports[port_bucket(port)], s, PORT_LINK);
	}
	spin_unlock(&net.lock);
	return err;
}

static void port_unbind(struct vsock *s)
{
	sock_leave(&net.ports[port_bucket(s->local_port)], s, PORT_LINK);
}

/* Enters s into the connection table under its (local port, peer) key. Returns -EADDRINUSE if
 * that key is taken. */
static int conn_hash(struct vsock *s)
{
	int err = 0;
	spin_lock(&net.lock);
	if (conn_find(s->local_port, s->peer_cid, s->peer_port))
		err = -LINUX_EADDRINUSE;
	else
		list_enter(&net.conns[conn_bucket(s->local_port, s->peer_cid, s->peer_port)], s,
		           CONN_LINK);
	spin_unlock(&net.lock);
	return err;
}

static void conn_unhash(struct vsock *s)
{
	sock_leave(&net.conns[conn_bucket(s->local_port, s->peer_cid, s->peer_port)], s, CONN_LINK);
}

/* Sets (or moves) s's timer to deadline_ns. */
static void timer_set(struct vsock *s, uint64_t deadline_ns)
{
	spin_lock(&net.lock);
	s->deadline_ns = deadline_ns;
	if (!s->timer_link.in)
		list_enter(&net.timers, s, TIMER_LINK);
	spin_unlock(&net.lock);
	vsock_transport_timer_changed();
}

static void timer_cancel(struct vsock *s)
{
	sock_leave(&net.timers, s, TIMER_LINK);
}

/* ---- Packets out. */

/* A header from s to its peer, carrying our credit (s->lock held). */
static void sock_header(struct vsock *s, struct virtio_vsock_hdr *h, uint16_t op, uint32_t flags,
                        uint32_t len)
{
	*h = (struct virtio_vsock_hdr){
	    .dst_cid = s->peer_cid,
	    .src_port = s->local_port,
	    .dst_port = s->peer_port,
	    .len = len,
	    .type = VIRTIO_VSOCK_TYPE_STREAM,
	    .op = op,
	    .flags = flags,
	    .buf_alloc = s->buf_alloc,
	    .fwd_cnt = s->fwd_cnt,
	};
	s->fwd_cnt_sent = s->fwd_cnt;
}

static int send_control(const struct virtio_vsock_hdr *h)
{
	return vsock_transport_send(h, NULL, 0, 0, 0);
}

/* Answers a packet that reached no socket (or one that cannot take it) with RST. */
static void reply_rst(const struct virtio_vsock_hdr *in)
{
	if (in->op == VIRTIO_VSOCK_OP_RST)
		return;
	struct virtio_vsock_hdr h = {
	    .dst_cid = in->src_cid,
	    .src_port = in->dst_port,
	    .dst_port = in->src_port,
	    .type = in->type,
	    .op = VIRTIO_VSOCK_OP_RST,
	};
	send_control(&h);
}

/* Whether our free space as the peer last heard of it is low, with freed space to tell it of
 * (s->lock held). */
static int credit_update_due(const struct vsock *s)
{
	uint32_t peer_view_used = s->rx_cnt - s->fwd_cnt_sent;
	uint32_t low = s->buf_alloc / 2 < VSOCK_CREDIT_LOW_MAX ? s->buf_alloc / 2 : VSOCK_CREDIT_LOW_MAX;
	return s->fwd_cnt != s->fwd_cnt_sent && s->state == VSOCK_CONNECTED &&
	       !(s->peer_shut & VIRTIO_VSOCK_SHUTDOWN_SEND) &&
	       (peer_view_used > s->buf_alloc || s->buf_alloc - peer_view_used < low);
}

/* The credit the peer gives us now: never send more (s->lock held). */
static uint32_t peer_credit(const struct vsock *s)
{
	uint32_t in_flight = s->tx_cnt - s->peer_fwd_cnt;
	return in_flight >= s->peer_buf_alloc ? 0 : s->peer_buf_alloc - in_flight;
}

/* ---- Sockets. */

/* When a receive or accept that starts waiting now gives up: 0 for never (s->lock held). */
static uint64_t recv_deadline(const struct vsock *s)
{
	uint64_t t = __atomic_load_n(&s->recv_timeout_ns, __ATOMIC_RELAXED);
	return t ? vsock_env_now_ns() + t : 0;
}

static struct vsock *sock_new(uint32_t buf_alloc, uint64_t connect_timeout_ns)
{
	struct vsock *s = vsock_env_alloc(sizeof(*s));
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->refs = 1;
	s->state = VSOCK_UNCONNECTED;
	s->buf_alloc = buf_alloc;
	s->connect_timeout_ns = connect_timeout_ns;
	return s;
}

uint64_t vsock_local_cid(void)
{
	return vsock_transport_cid();
}

int vsock_create(struct vsock **out)
{
	struct vsock *s = sock_new(VSOCK_BUF_DEFAULT, VSOCK_CONNECT_TIMEOUT_NS);
	if (!s)
		return -LINUX_ENOMEM;
	*out = s;
	return 0;
}

int vsock_bind(struct vsock *s, uint32_t port)
{
	return port_bind(s, port);
}

int vsock_listen(struct vsock *s, int backlog)
{
	if (backlog < 0)
		backlog = 0;
	if (!vsock_transport_cid())
		return -LINUX_ENODEV;
	if (!s->port_link.in) {
		int err = port_bind(s, VSOCK_PORT_ANY);
		if (err && err != -LINUX_EINVAL)
			return err;
	}
	spin_lock(&s->lock);
	int err = 0;
	if (s->state == VSOCK_UNCONNECTED || s->state == VSOCK_LISTENING) {
		s->state = VSOCK_LISTENING;
		s->backlog = backlog;
	} else {
		err = -LINUX_EINVAL;
	}
	spin_unlock(&s->lock);
	return err;
}

int vsock_accept(struct vsock *s, struct vsock **out, unsigned flags)
{
	uint64_t deadline = 0;
	spin_lock(&s->lock);
	for (;;) {
		if (s->state != VSOCK_LISTENING) {
			spin_unlock(&s->lock);
			return -LINUX_EINVAL;
		}
		if (s->accept_head)
			break;
		if (flags & VSOCK_NONBLOCK) {
			spin_unlock(&s->lock);
			return -LINUX_EAGAIN;
		}
		if (!deadline)
			deadline = recv_deadline(s);
		int r = sock_wait(s, deadline);
		if (r) {
			spin_unlock(&s->lock);
			return r < 0 ? -LINUX_EINTR : -LINUX_EAGAIN;
		}
	}
	struct vsock *c = s->accept_head;
	s->accept_head = c->accept_next;
	if (!s->accept_head)
		s->accept_tail = NULL;
	c->accept_next = NULL;
	s->accept_count--;
	spin_unlock(&s->lock);
	*out = c;
	return 0;
}

/* Ends s's connection (s->lock held): no more traffic either way; readers see the end of the
 * stream (or err once the queue is empty), writers EPIPE. */
static void sock_end(struct vsock *s, int err)
{
	s->state = VSOCK_CLOSED;
	s->peer_shut = VSOCK_SHUTDOWN_BOTH;
	if (err) {
		s->error = err;
		s->reset = 1;
	}
	vsock_waiters_wake(&s->waiters);
}

int vsock_connect(struct vsock *s, uint64_t cid, uint32_t port, unsigned flags)
{
	spin_lock(&s->lock);
	enum vsock_state st = s->state;
	spin_unlock(&s->lock);
	if (st == VSOCK_CONNECTED || st == VSOCK_CLOSED)
		return -LINUX_EISCONN;
	if (st == VSOCK_CONNECTING)
		return -LINUX_EALREADY;
	if (st == VSOCK_LISTENING)
		return -LINUX_EINVAL;
	if (!vsock_transport_cid())
		return -LINUX_ENODEV;
	if (!s->port_link.in) {
		int err = port_bind(s, VSOCK_PORT_ANY);
		if (err && err != -LINUX_EINVAL)
			return err;
	}
	spin_lock(&s->lock);
	if (s->state != VSOCK_UNCONNECTED) {
		spin_unlock(&s->lock);
		return -LINUX_EALREADY;
	}
	s->peer_cid = cid;
	s->peer_port = port;
	s->state = VSOCK_CONNECTING;
	s->error = 0;
	s->reset = 0;
	s->local_shut = s->peer_shut = 0;
	s->tx_cnt = s->rx_cnt = s->fwd_cnt = 0;
	struct virtio_vsock_hdr h;
	sock_header(s, &h, VIRTIO_VSOCK_OP_REQUEST, 0, 0);
	spin_unlock(&s->lock);

	int err = conn_hash(s);
	if (!err)
		err = send_control(&h);
	if (err) {
		conn_unhash(s);
		spin_lock(&s->lock);
		s->state = VSOCK_UNCONNECTED;
		spin_unlock(&s->lock);
		return err;
	}
	uint64_t deadline = vsock_env_now_ns() + s->connect_timeout_ns;
	if (flags & VSOCK_NONBLOCK) {
		timer_set(s, deadline);
		return -LINUX_EINPROGRESS;
	}
	spin_lock(&s->lock);
	int waited = 0;
	while (s->state == VSOCK_CONNECTING && waited == 0)
		waited = sock_wait(s, deadline);
	if (s->state == VSOCK_CONNECTED) {
		spin_unlock(&s->lock);
		return 0;
	}
	if (s->state == VSOCK_CONNECTING) {
		/* Timed out or interrupted: tell the peer to forget the request, in case its
		 * answer is only late. */
		sock_header(s, &h, VIRTIO_VSOCK_OP_RST, 0, 0);
		s->state = VSOCK_UNCONNECTED;
		spin_unlock(&s->lock);
		send_control(&h);
		conn_unhash(s);
		return waited < 0 ? waited : -LINUX_ETIMEDOUT;
	}
	err = s->error ? -s->error : -LINUX_ECONNREFUSED;
	s->error = 0;
	s->state = VSOCK_UNCONNECTED;
	spin_unlock(&s->lock);
	conn_unhash(s);
	return err;
}

/* Total bytes in iov[0..count). */
static size_t iov_total(const struct file_iovec *iov, size_t count)
{
	size_t n = 0;
	for (size_t i = 0; i < count; i++)
		n += iov[i].len;
	return n;
}

long vsock_send(struct vsock *s, const struct file_iovec *iov, size_t count, unsigned flags)
{
	size_t total = iov_total(iov, count);
	size_t done = 0;
	long err = 0;
	spin_lock(&s->lock);
	while (s->sending) {
		int r = flags & VSOCK_NONBLOCK ? -LINUX_EAGAIN : sock_wait(s, 0);
		if (r < 0) {
			spin_unlock(&s->lock);
			return r;
		}
	}
	s->sending = 1;
	do {
		if (s->state != VSOCK_CONNECTED && s->state != VSOCK_CLOSED) {
			err = s->state == VSOCK_CONNECTING && (flags & VSOCK_NONBLOCK) ? -LINUX_EAGAIN
			                                                                : -LINUX_ENOTCONN;
			break;
		}
		if (s->state == VSOCK_CLOSED || (s->local_shut & VIRTIO_VSOCK_SHUTDOWN_SEND) ||
		    (s->peer_shut & VIRTIO_VSOCK_SHUTDOWN_RCV)) {
			err = -LINUX_EPIPE;
			break;
		}
		uint32_t credit = peer_credit(s);
		if (credit == 0) {
			if (flags & VSOCK_NONBLOCK) {
				err = -LINUX_EAGAIN;
				break;
			}
			int r = sock_wait(s, 0);
			if (r < 0) {
				err = r;
				break;
			}
			continue;
		}
		size_t n = total - done;
		if (n > credit)
			n = credit;
		if (n > VSOCK_PACKET_PAYLOAD)
			n = VSOCK_PACKET_PAYLOAD;
		struct virtio_vsock_hdr h;
		sock_header(s, &h, VIRTIO_VSOCK_OP_RW, 0, (uint32_t)n);
		s->tx_cnt += (uint32_t)n;
		spin_unlock(&s->lock);
		int r = vsock_transport_send(&h, iov, count, done, (flags & VSOCK_NONBLOCK) != 0);
		spin_lock(&s->lock);
		if (r) {
			s->tx_cnt -= (uint32_t)n;
			err = r;
			break;
		}
		done += n;
	} while (done < total);
	s->sending = 0;
	vsock_waiters_wake(&s->waiters);
	spin_unlock(&s->lock);
	return done || total == 0 ? (long)done : err;
}

/* Copies up to want bytes of the receive queue into iov from offset at (s->lock held); consumes
 * them unless peek. Returns the count. */
static size_t rx_copy(struct vsock *s, const struct file_iovec *iov, size_t count, size_t at,
                      size_t want, int peek)
{
	size_t done = 0, i = 0, iov_off = at;
	while (i < count && iov_off >= iov[i].len)
		iov_off -= iov[i++].len;
	struct vsock_packet *p = s->rx_head;
	uint32_t p_off = p ? p->off : 0;
	while (p && done < want && i < count) {
		size_t n = p->hdr.len - p_off;
		if (n > iov[i].len - iov_off)
			n = iov[i].len - iov_off;
		if (n > want - done)
			n = want - done;
		memcpy((char *)iov[i].base + iov_off, p->data + p_off, n);
		done += n;
		p_off += (uint32_t)n;
		iov_off += n;
		if (iov_off == iov[i].len) {
			i++;
			iov_off = 0;
		}
		if (p_off == p->hdr.len) {
			struct vsock_packet *next = p->next;
			if (!peek) {
				s->rx_head = next;
				if (!next)
					s->rx_tail = NULL;
				vsock_transport_packet_free(p);
			}
			p = next;
			p_off = p ? p->off : 0;
		} else if (!peek) {
			p->off = p_off;
		}
	}
	if (!peek)
		s->fwd_cnt += (uint32_t)done;
	return done;
}

long vsock_recv(struct vsock *s, const struct file_iovec *iov, size_t count, unsigned flags)
{
	size_t want = iov_total(iov, count);
	size_t done = 0;
	long err = 0;
	uint64_t deadline = 0;
	spin_lock(&s->lock);
	while (done < want) {
		if (s->rx_head) {
			size_t n = rx_copy(s, iov, count, done, want - done, flags & VSOCK_PEEK);
			done += n;
			if (!(flags & VSOCK_WAITALL) || (flags & VSOCK_PEEK))
				break;
			continue;
		}
		if (s->state == VSOCK_UNCONNECTED || s->state == VSOCK_LISTENING ||
		    s->state == VSOCK_CONNECTING) {
			err = -LINUX_ENOTCONN;
			break;
		}
		if (s->reset) {
			err = -LINUX_ECONNRESET;
			break;
		}
		if (s->state == VSOCK_CLOSED || (s->peer_shut & VIRTIO_VSOCK_SHUTDOWN_SEND) ||
		    (s->local_shut & VIRTIO_VSOCK_SHUTDOWN_RCV))
			break;
		if (flags & VSOCK_NONBLOCK) {
			err = -LINUX_EAGAIN;
			break;
		}
		if (!deadline)
			deadline = recv_deadline(s);
		int r = sock_wait(s, deadline);
		if (r) {
			err = r < 0 ? r : -LINUX_EAGAIN;
			break;
		}
	}
	struct virtio_vsock_hdr h;
	int update = !(flags & VSOCK_PEEK) && credit_update_due(s);
	if (update)
		sock_header(s, &h, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, 0);
	spin_unlock(&s->lock);
	if (update)
		send_control(&h);
	return done || want == 0 ? (long)done : err;
}

int vsock_shutdown(struct vsock *s, int how)
{
	static const unsigned bits_of[] = {
	    [VSOCK_SHUT_RD] = VIRTIO_VSOCK_SHUTDOWN_RCV,
	    [VSOCK_SHUT_WR] = VIRTIO_VSOCK_SHUTDOWN_SEND,
	    [VSOCK_SHUT_RDWR] = VSOCK_SHUTDOWN_BOTH,
	};
	if (how < VSOCK_SHUT_RD || how > VSOCK_SHUT_RDWR)
		return -LINUX_EINVAL;
	unsigned bits = bits_of[how];
	spin_lock(&s->lock);
	if (s->state != VSOCK_CONNECTED && s->state != VSOCK_CLOSED) {
		spin_unlock(&s->lock);
		return -LINUX_ENOTCONN;
	}
	int send = s->state == VSOCK_CONNECTED && (bits & ~s->local_shut);
	s->local_shut |= bits;
	struct virtio_vsock_hdr h;
	if (send)
		sock_header(s, &h, VIRTIO_VSOCK_OP_SHUTDOWN, bits, 0);
	vsock_waiters_wake(&s->waiters);
	spin_unlock(&s->lock);
	int err = send ? send_control(&h) : 0;
	sock_changed(s);
	return err;
}

/* Resets an established connection nobody will use (s->lock not held): RST, out of the table. */
static void sock_abort(struct vsock *s)
{
	struct virtio_vsock_hdr h;
	spin_lock(&s->lock);
	int send = s->state == VSOCK_CONNECTED;
	if (send)
		sock_header(s, &h, VIRTIO_VSOCK_OP_RST, 0, 0);
	sock_end(s, 0);
	spin_unlock(&s->lock);
	if (send)
		send_control(&h);
	timer_cancel(s);
	conn_unhash(s);
}

void vsock_close(struct vsock *s)
{
	struct vsock *children = NULL;
	struct virtio_vsock_hdr h;
	int send = 0, linger = 0;
	spin_lock(&s->lock);
	s->notify = NULL;
	switch (s->state) {
	case VSOCK_LISTENING:
		children = s->accept_head;
		s->accept_head = s->accept_tail = NULL;
		s->accept_count = 0;
		s->state = VSOCK_UNCONNECTED;
		break;
	case VSOCK_CONNECTING:
		sock_header(s, &h, VIRTIO_VSOCK_OP_RST, 0, 0);
		send = 1;
		s->state = VSOCK_UNCONNECTED;
		break;
	case VSOCK_CONNECTED:
		/* What was not read is dropped; the peer hears SHUTDOWN and answers RST, which
		 * (or the close timeout) frees the connection. */
		while (s->rx_head) {
			struct vsock_packet *p = s->rx_head;
			s->rx_head = p->next;
			vsock_transport_packet_free(p);
		}
		s->rx_tail = NULL;
		s->local_shut = VSOCK_SHUTDOWN_BOTH;
		s->orphan = 1;
		sock_header(s, &h, VIRTIO_VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_BOTH, 0);
		send = linger = 1;
		break;
	case VSOCK_UNCONNECTED:
	case VSOCK_CLOSED:
		break;
	}
	vsock_waiters_wake(&s->waiters);
	spin_unlock(&s->lock);
	sock_notify_quiesce(s); /* the caller may free what the callback used */
	if (linger)
		timer_set(s, vsock_env_now_ns() + VSOCK_CLOSE_TIMEOUT_NS);
	if (send && send_control(&h))
		linger = 0;
	if (!linger) {
		timer_cancel(s);
		conn_unhash(s);
	}
	port_unbind(s);
	while (children) {
		struct vsock *c = children;
		children = c->accept_next;
		sock_abort(c);
		sock_put(c);
	}
	sock_put(s);
}

unsigned vsock_poll(struct vsock *s)
{
	unsigned mask = 0;
	spin_lock(&s->lock);
	if (s->error)
		mask |= LINUX_POLLERR;
	switch (s->state) {
	case VSOCK_LISTENING:
		if (s->accept_head)
			mask |= LINUX_POLLIN;
		break;
	case VSOCK_CONNECTING:
		break;
	case VSOCK_UNCONNECTED:
		mask |= LINUX_POLLOUT | LINUX_POLLHUP;
		break;
	case VSOCK_CONNECTED:
	case VSOCK_CLOSED:
		if (s->rx_head || s->state == VSOCK_CLOSED ||
		    (s->peer_shut & VIRTIO_VSOCK_SHUTDOWN_SEND) ||
		    (s->local_shut & VIRTIO_VSOCK_SHUTDOWN_RCV))
			mask |= LINUX_POLLIN;
		if (s->peer_shut & VIRTIO_VSOCK_SHUTDOWN_SEND)
			mask |= LINUX_POLLRDHUP;
		if (s->state == VSOCK_CLOSED || s->local_shut == VSOCK_SHUTDOWN_BOTH ||
		    s->peer_shut == VSOCK_SHUTDOWN_BOTH)
			mask |= LINUX_POLLHUP;
		if (s->state == VSOCK_CLOSED || (s->local_shut & VIRTIO_VSOCK_SHUTDOWN_SEND) ||
		    (s->peer_shut & VIRTIO_VSOCK_SHUTDOWN_RCV) || peer_credit(s) > 0)
			mask |= LINUX_POLLOUT; /* writable, or a write would fail at once */
		break;
	}
	spin_unlock(&s->lock);
	return mask;
}

void vsock_set_notify(struct vsock *s, void (*fn)(void *ctx), void *ctx)
{
	spin_lock(&s->lock);
	s->notify = fn;
	s->notify_ctx = ctx;
	spin_unlock(&s->lock);
	sock_notify_quiesce(s);
}

int vsock_getname(const struct vsock *s, int peer, uint64_t *cid, uint32_t *port)
{
	struct vsock *m = (struct vsock *)s;
	int err = 0;
	spin_lock(&m->lock);
	if (peer) {
		if (m->state == VSOCK_CONNECTED || m->state == VSOCK_CLOSED) {
			*cid = m->peer_cid;
			*port = m->peer_port;
		} else {
			err = -LINUX_ENOTCONN;
		}
	} else {
		*cid = vsock_transport_cid();
		*port = m->port_link.in || m->state != VSOCK_UNCONNECTED ? m->local_port : VSOCK_PORT_ANY;
	}
	spin_unlock(&m->lock);
	return err;
}

int vsock_take_error(struct vsock *s)
{
	spin_lock(&s->lock);
	int err = s->error;
	s->error = 0;
	spin_unlock(&s->lock);
	return err;
}

int vsock_set_buffer_size(struct vsock *s, uint32_t bytes)
{
	if (bytes < VSOCK_BUF_MIN)
		bytes = VSOCK_BUF_MIN;
	if (bytes > VSOCK_BUF_MAX)
		bytes = VSOCK_BUF_MAX;
	spin_lock(&s->lock);
	s->buf_alloc = bytes;
	spin_unlock(&s->lock);
	return 0;
}

uint32_t vsock_buffer_size(const struct vsock *s)
{
	return __atomic_load_n(&s->buf_alloc, __ATOMIC_RELAXED);
}

void vsock_set_connect_timeout(struct vsock *s, uint64_t ns)
{
	__atomic_store_n(&s->connect_timeout_ns, ns, __ATOMIC_RELAXED);
}

uint64_t vsock_connect_timeout(const struct vsock *s)
{
	return __atomic_load_n(&s->connect_timeout_ns, __ATOMIC_RELAXED);
}

void vsock_set_recv_timeout(struct vsock *s, uint64_t ns)
{
	__atomic_store_n(&s->recv_timeout_ns, ns, __ATOMIC_RELAXED);
}

uint64_t vsock_recv_timeout(const struct vsock *s)
{
	return __atomic_load_n(&s->recv_timeout_ns, __ATOMIC_RELAXED);
}

/* ---- Packets in (the transport's thread). */

/* A REQUEST to listener l: a new connection, answered and queued for accept, or RST when the
 * backlog is full (as Linux: backlog + 1 may wait). */
static void listen_request(struct vsock *l, const struct virtio_vsock_hdr *in)
{
	spin_lock(&l->lock);
	if (l->state != VSOCK_LISTENING || l->accept_count > l->backlog) {
		spin_unlock(&l->lock);
		reply_rst(in);
		return;
	}
	l->accept_count++; /* the slot is held while we answer */
	struct vsock *c = sock_new(l->buf_alloc, l->connect_timeout_ns);
	if (c) /* inherited, as Linux's accepted sockets do */
		c->recv_timeout_ns = vsock_recv_timeout(l);
	spin_unlock(&l->lock);
	struct virtio_vsock_hdr h;
	if (c) {
		c->state = VSOCK_CONNECTED;
		c->local_port = in->dst_port;
		c->peer_cid = in->src_cid;
		c->peer_port = in->src_port;
		c->peer_buf_alloc = in->buf_alloc;
		c->peer_fwd_cnt = in->fwd_cnt;
		sock_header(c, &h, VIRTIO_VSOCK_OP_RESPONSE, 0, 0);
	}
	if (!c || conn_hash(c) || send_control(&h)) {
		if (c) {
			conn_unhash(c);
			sock_put(c);
		}
		spin_lock(&l->lock);
		l->accept_count--;
		spin_unlock(&l->lock);
		reply_rst(in);
		return;
	}
	spin_lock(&l->lock);
	int queued = l->state == VSOCK_LISTENING;
	if (queued) {
		if (l->accept_tail)
			l->accept_tail->accept_next = c;
		else
			l->accept_head = c;
		l->accept_tail = c;
		vsock_waiters_wake(&l->waiters);
	}
	spin_unlock(&l->lock);
	if (queued) {
		sock_changed(l);
	} else {
		sock_abort(c);
		sock_put(c);
	}
}

/* Appends an RW packet's payload to s's queue (s->lock held). Returns 1 if it kept p. */
static int rx_enqueue(struct vsock *s, struct vsock_packet *p)
{
	uint32_t len = p->hdr.len;
	uint32_t used = s->rx_cnt - s->fwd_cnt;
	if (len > s->buf_alloc - used)
		return 0; /* the peer overran its credit: dropped, as Linux does */
	s->rx_cnt += len;
	struct vsock_packet *tail = s->rx_tail;
	if (len <= VSOCK_MERGE_MAX && tail && tail->room - tail->hdr.len >= len) {
		memcpy(tail->data + tail->hdr.len, p->data, len);
		tail->hdr.len += len;
		return 0;
	}
	p->next = NULL;
	p->off = 0;
	if (tail)
		tail->next = p;
	else
		s->rx_head = p;
	s->rx_tail = p;
	return 1;
}

/* A packet for an existing connection (or connection attempt) s. Returns 1 if it kept p. */
static int conn_receive(struct vsock *s, struct vsock_packet *p)
{
	const struct virtio_vsock_hdr *in = &p->hdr;
	struct virtio_vsock_hdr h;
	int send = 0, finished = 0, kept = 0, rst_reply = 0, connected = 0;
	spin_lock(&s->lock);
	switch (s->state) {
	case VSOCK_CONNECTING:
		if (in->op == VIRTIO_VSOCK_OP_RESPONSE) {
			s->state = VSOCK_CONNECTED;
			s->peer_buf_alloc = in->buf_alloc;
			s->peer_fwd_cnt = in->fwd_cnt;
			s->error = 0;
			connected = 1;
		} else {
			if (in->op != VIRTIO_VSOCK_OP_RST) {
				sock_header(s, &h, VIRTIO_VSOCK_OP_RST, 0, 0);
				send = 1;
			}
			s->state = VSOCK_UNCONNECTED;
			s->error = in->op == VIRTIO_VSOCK_OP_RST ? LINUX_ECONNREFUSED : LINUX_ECONNRESET;
			finished = 1;
		}
		break;
	case VSOCK_CONNECTED:
		s->peer_buf_alloc = in->buf_alloc;
		s->peer_fwd_cnt = in->fwd_cnt;
		switch (in->op) {
		case VIRTIO_VSOCK_OP_RW:
			if (!s->orphan && in->len)
				kept = rx_enqueue(s, p);
			break;
		case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
			sock_header(s, &h, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, 0);
			send = 1;
			break;
		case VIRTIO_VSOCK_OP_SHUTDOWN:
			s->peer_shut |= in->flags & VSOCK_SHUTDOWN_BOTH;
			/* Both halves closed by the peer and nothing left to read: the connection
			 * is over, and the side that did not start the close sends RST. */
			if (s->peer_shut == VSOCK_SHUTDOWN_BOTH && !s->rx_head) {
				sock_header(s, &h, VIRTIO_VSOCK_OP_RST, 0, 0);
				send = 1;
				sock_end(s, 0);
				finished = 1;
			}
			break;
		case VIRTIO_VSOCK_OP_RST:
			sock_end(s, 0);
			finished = 1;
			break;
		default: /* CREDIT_UPDATE: the credit is taken above; REQUEST, RESPONSE: ignored */
			break;
		}
		break;
	default:
		rst_reply = 1;
		break;
	}
	vsock_waiters_wake(&s->waiters);
	spin_unlock(&s->lock);
	if (send)
		send_control(&h);
	if (rst_reply)
		reply_rst(in);
	if (finished || connected)
		timer_cancel(s); /* a non-blocking connect's */
	if (finished)
		conn_unhash(s);
	sock_changed(s);
	return kept;
}

void vsock_net_receive(struct vsock_packet *p)
{
	const struct virtio_vsock_hdr *in = &p->hdr;
	if (in->dst_cid != vsock_transport_cid()) {
		vsock_transport_packet_free(p); /* not for us: dropped */
		return;
	}
	if (in->type != VIRTIO_VSOCK_TYPE_STREAM) {
		reply_rst(in);
		vsock_transport_packet_free(p);
		return;
	}
	spin_lock(&net.lock);
	struct vsock *s = conn_find(in->dst_port, in->src_cid, in->src_port);
	int listener = 0;
	if (!s && in->op == VIRTIO_VSOCK_OP_REQUEST) {
		s = port_find(in->dst_port);
		listener = s != NULL;
	}
	if (s)
		sock_get(s);
	spin_unlock(&net.lock);
	int kept = 0;
	if (!s)
		reply_rst(in);
	else if (listener)
		listen_request(s, in);
	else
		kept = conn_receive(s, p);
	if (s)
		sock_put(s);
	if (!kept)
		vsock_transport_packet_free(p);
}

/* Takes any one socket out of a list head array or list under net.lock, with its table
 * reference; NULL when none is left. */
static struct vsock *conn_take_any(void)
{
	struct vsock *s = NULL;
	spin_lock(&net.lock);
	for (unsigned b = 0; b < VSOCK_BUCKETS && !s; b++) {
		s = net.conns[b];
		if (s)
			list_leave(&net.conns[b], s, CONN_LINK);
	}
	spin_unlock(&net.lock);
	return s;
}

void vsock_net_reset(void)
{
	struct vsock *s;
	while ((s = conn_take_any())) {
		spin_lock(&s->lock);
		if (s->state == VSOCK_CONNECTING) {
			s->state = VSOCK_UNCONNECTED;
			s->error = LINUX_ECONNRESET;
			vsock_waiters_wake(&s->waiters);
		} else {
			sock_end(s, LINUX_ECONNRESET);
		}
		spin_unlock(&s->lock);
		timer_cancel(s);
		sock_changed(s);
		sock_put(s);
	}
}

int vsock_net_timers_pending(void)
{
	return __atomic_load_n(&net.timers, __ATOMIC_RELAXED) != NULL;
}

uint64_t vsock_net_tick(uint64_t now_ns)
{
	for (;;) {
		struct vsock *s = NULL;
		uint64_t next = 0;
		spin_lock(&net.lock);
		for (struct vsock **link = &net.timers; *link;) {
			struct vsock *t = *link;
			if (!s && t->deadline_ns <= now_ns) {
				*link = t->timer_link.next;
				t->timer_link.in = 0;
				s = t;
				continue;
			}
			if (!next || t->deadline_ns < next)
				next = t->deadline_ns;
			link = &t->timer_link.next;
		}
		spin_unlock(&net.lock);
		if (!s)
			return next;
		struct virtio_vsock_hdr h;
		int send = 0;
		spin_lock(&s->lock);
		if (s->state == VSOCK_CONNECTING) {
			s->state = VSOCK_UNCONNECTED;
			s->error = LINUX_ETIMEDOUT;
			sock_header(s, &h, VIRTIO_VSOCK_OP_RST, 0, 0);
			send = 1;
			vsock_waiters_wake(&s->waiters);
		} else if (s->state == VSOCK_CONNECTED && s->orphan) { /* the peer never answered */
			sock_header(s, &h, VIRTIO_VSOCK_OP_RST, 0, 0);
			send = 1;
			sock_end(s, 0);
		}
		spin_unlock(&s->lock);
		if (send)
			send_control(&h);
		conn_unhash(s);
		sock_changed(s);
		sock_put(s);
	}
}
