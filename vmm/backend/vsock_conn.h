/* The vsock muxer's insides, shared by its two files: vsock.c (listeners, the connection table,
 * timers, the event loop) and vsock_conn.c (one connection's stream protocol and credit). */
#ifndef VMM_BACKEND_VSOCK_CONN_H
#define VMM_BACKEND_VSOCK_CONN_H

#include <stdint.h>
#include <sys/uio.h>

#include "backend/vsock.h"

/* What we grant the guest for each connection, and so the most we ever buffer for one host peer
 * that reads slowly (Linux's default vsock buffer size). */
#define VSOCK_BUF_ALLOC (256u * 1024)
#define VSOCK_CONN_MAX  4096 /* connections at once; more are refused */
/* Host connections held for a guest that refused them: not listening yet, or its backlog full. */
#define VSOCK_HELD_MAX     1024
#define VSOCK_RETRY_MS     100 /* between REQUESTs to a guest that is not listening yet */
#define VSOCK_HASH_BUCKETS 1024
#define VSOCK_REPLIES_MAX  64 /* RSTs to packets of no connection, waiting for receive buffers */
#define VSOCK_LINE_MAX     32 /* "CONNECT 4294967295\n" fits */
#define VSOCK_LOCAL_PORT_FIRST                                                                     \
	(1u << 30) /* ports of host-initiated connections, as Firecracker                          \
	            */

enum vsock_conn_state {
	CONN_HANDSHAKE,   /* a Unix client; its CONNECT line is being read */
	CONN_CONNECTING,  /* a host client; our REQUEST is queued or sent */
	CONN_HELD,        /* the guest answered RST; REQUEST again soon, until the deadline */
	CONN_ESTABLISHED, /* data flows */
	CONN_CLOSING,     /* host side closed; our RST to the guest is queued */
};

/* What a connection has to tell the guest (bits of vsock_conn.send). */
#define SEND_REQUEST  1u
#define SEND_RESPONSE 2u
#define SEND_SHUTDOWN 4u
#define SEND_CREDIT   8u
#define SEND_RST      16u

struct vsock_conn {
	struct vsock_muxer *m;
	struct vsock_conn *hash_next;
	struct vsock_conn *all_prev, *all_next; /* every connection of m */
	struct vsock_conn *rx_prev, *rx_next; /* on m's list of connections with a packet to send */
	struct vsock_conn *wait_prev, *wait_next; /* on m's list of connections with a deadline */
	int on_rx, on_wait, hashed;
	int fd; /* the host socket; -1 once closed */
	struct event_source *src;
	enum vsock_conn_state state;
	uint32_t local_port;     /* ours (the host's) */
	uint32_t peer_port;      /* the guest's */
	int unix_client;         /* owed "OK <local_port>\n" when the guest answers */
	unsigned send;           /* SEND_* */
	uint32_t shutdown_flags; /* of our SHUTDOWN: VIRTIO_VSOCK_SHUTDOWN_* */
	int host_readable;       /* the host socket said it has input we have not drained */
	int host_eof;            /* it said end of stream */
	int host_shut_wr;        /* we shut its write half (the guest sends no more) */
	int guest_no_send, guest_no_recv; /* the guest's SHUTDOWN flags */
	/* Host to guest: the guest's buffer and what it consumed, what we sent. */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	/* Guest to host: what arrived, went to the host socket, and the fwd_cnt the guest knows. */
	uint32_t rx_cnt, fwd_cnt, fwd_cnt_sent;
	char *pending; /* VSOCK_BUF_ALLOC bytes while the host socket lags, else NULL */
	uint32_t pending_off, pending_len;
	double deadline, retry_at; /* monotonic seconds */
	char line[VSOCK_LINE_MAX];
	unsigned line_len;
};

struct vsock_listener {
	struct vsock_muxer *m;
	int fd;
	struct event_source *src;
	int is_unix;
	uint32_t guest_port; /* a forward's */
};

struct vsock_muxer {
	struct vsock_config cfg;
	char *uds_path; /* cfg.uds_path, ours */
	int uds_bound;  /* we made the socket file at uds_path */
	struct virtio_dev *dev;
	struct event_loop *ev;
	struct vsock_listener listeners[VSOCK_FORWARDS_MAX + 1];
	int nlisteners;
	int kick_fd, timer_fd; /* eventfd: a notification from another thread; timerfd: deadlines */
	struct event_source *kick_src, *timer_src;
	int timer_armed;
	int listeners_paused; /* out of descriptors: not accepting until a connection ends */
	int reset_pending;    /* the driver reset the device from another thread */
	struct vsock_conn *buckets[VSOCK_HASH_BUCKETS];
	struct vsock_conn *rx_head, *rx_tail, *wait_head, *all;
	int nconns, nheld;
	uint32_t next_local_port;
	struct virtio_vsock_hdr replies[VSOCK_REPLIES_MAX];
	unsigned replies_head, nreplies;
	struct vsock_muxer_stats stats;
};

/* vsock.c: the table and lists. */
struct vsock_conn *vsock_conn_find(struct vsock_muxer *m, uint32_t local_port, uint32_t peer_port);
void vsock_conn_hash(struct vsock_conn *c);
void vsock_rx_enqueue(struct vsock_conn *c);
void vsock_rx_dequeue(struct vsock_conn *c);
void vsock_wait_add(struct vsock_conn *c, double deadline);
void vsock_wait_remove(struct vsock_conn *c);
struct vsock_conn *vsock_conn_new(struct vsock_muxer *m, int fd, enum vsock_conn_state state);
/* A local port for a new host-initiated connection to the guest's peer_port. */
uint32_t vsock_local_port(struct vsock_muxer *m, uint32_t peer_port);
/* Unhooks c from everything, closes its fd and frees it. */
void vsock_conn_free(struct vsock_conn *c);
/* Queues an RST answering h (a packet of no connection); a no-op for an RST. */
void vsock_reply_rst(struct vsock_muxer *m, const struct virtio_vsock_hdr *h);
double vsock_now(void);

/* vsock.c: the event handlers' frame. vsock_lock takes the device lock and carries out a reset
 * asked for on another thread (returns 1 if it did: connections may be gone); vsock_unlock does
 * the queues' work and lets go. */
int vsock_lock(struct vsock_muxer *m);
void vsock_unlock(struct vsock_muxer *m);
void vsock_kick_event(void *ctx, uint32_t events);
void vsock_timer_event(void *ctx, uint32_t events);
void vsock_timer_set(struct vsock_muxer *m, int on);
/* Every connection ends. */
void vsock_free_all(struct vsock_muxer *m);

/* vsock_setup.c: the listeners. */
/* Watches the listeners again, or not (out of file descriptors). */
void vsock_listeners_watch(struct vsock_muxer *m, int on);

/* vsock_conn.c: one connection. */
/* A packet from the guest for c. */
void vsock_conn_recv(struct vsock_conn *c, const struct virtio_vsock_hdr *h,
                     const struct iovec *payload, int niov);
/* The guest connects to the host's port h->dst_port (no connection has its ports). */
void vsock_conn_guest_connect(struct vsock_muxer *m, const struct virtio_vsock_hdr *h);
/* Writes c's next packet for the guest. Returns 1, or 0 when it has none. */
int vsock_conn_fill(struct vsock_conn *c, struct virtio_vsock_hdr *h, const struct iovec *iov,
                    int niov, size_t room);
/* Whether c has a packet for the guest. */
int vsock_conn_has_rx(const struct vsock_conn *c);
/* The host socket reported events. */
void vsock_conn_host_event(struct vsock_conn *c, uint32_t events);
/* Sends REQUEST for a host client to the guest's port. */
void vsock_conn_request(struct vsock_conn *c);
/* The host side is gone: tell the guest with an RST (when it knows the connection), else free. */
void vsock_conn_reset(struct vsock_conn *c);
/* Arms c's host socket for what c waits for now. */
void vsock_conn_watch(struct vsock_conn *c);
/* The deadline or retry time passed. */
void vsock_conn_timer(struct vsock_conn *c, double now);

#endif
