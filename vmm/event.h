/* The event thread: one epoll loop that does the devices' queue work off the vCPU threads
 * (kvmtool's and Firecracker's shape). Sources come and go at run time: the ioeventfds KVM
 * signals on a queue notification and stdout, watched for room on demand, are added before the
 * loop starts; the vsock muxer adds and removes its host sockets as connections come and go. */
#ifndef VMM_EVENT_H
#define VMM_EVENT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* Runs on the loop's thread with the epoll events that arrived. */
typedef void (*event_fn)(void *ctx, uint32_t events);

struct event_source {
	int fd;
	event_fn fn;
	void *ctx;
	uint32_t events; /* what it is watched for now (EPOLLIN, EPOLLOUT, ...) */
	int removed;     /* by event_remove: reports nothing more, freed after the batch */
	struct event_source *next_removed;
};

struct event_loop {
	int epoll_fd, stop_fd; /* stop_fd: an eventfd that ends the loop */
	int nsources;          /* watched now */
	/* Removed during the batch being dispatched: freed once no pending event names them. */
	struct event_source *removed;
	pthread_t thread;     /* the thread started by event_start */
	pthread_t dispatcher; /* the thread that last dispatched (event_start's or event_poll's) */
	int running, dispatching;
};

/* Creates the epoll set. Returns 0, or -1 with one line in err. */
int event_init(struct event_loop *ev, char *err, size_t errlen);

/* Closes the epoll set and frees every source still there (not their fds). The loop is not
 * running. */
void event_destroy(struct event_loop *ev);

/* Watches fd for input (level-triggered: fn must consume it). Returns the source, or NULL with
 * errno set (EPERM: fd cannot be polled, such as a regular file). */
struct event_source *event_add_input(struct event_loop *ev, int fd, event_fn fn, void *ctx);

/* Watches fd for events (EPOLLIN, EPOLLOUT or both, or 0 for nothing yet), level-triggered.
 * Returns the source, or NULL with errno set. */
struct event_source *event_add(struct event_loop *ev, int fd, uint32_t events, event_fn fn,
                               void *ctx);

/* Changes what s is watched for (a no-op when it is that already). Returns 0 or -1 (errno). */
int event_watch(struct event_loop *ev, struct event_source *s, uint32_t events);

/* Stops watching s and frees it; fn is not called for it again, even for an event already
 * gathered in the batch being dispatched. The caller still owns (and closes) the fd. Only the
 * dispatching thread may call it while the loop runs. */
void event_remove(struct event_loop *ev, struct event_source *s);

/* Adds fd unarmed: it reports nothing until event_arm_output. Returns the source or NULL. */
struct event_source *event_add_output(struct event_loop *ev, int fd, event_fn fn, void *ctx);

/* Calls the source's fn once, on the event thread, when its fd has room (or an error); any
 * thread may call it, any number of times before that. */
void event_arm_output(struct event_loop *ev, struct event_source *s);

/* The same for input: calls fn once, on the event thread, when the fd of s (added with
 * event_add(..., EPOLLONESHOT, ...)) has input, its end or an error. Any thread may call it. */
void event_arm_input(struct event_loop *ev, struct event_source *s);

/* The same for any of EPOLLIN and EPOLLOUT at once (or neither: only an error or hang-up), for
 * a source added with EPOLLONESHOT. Any thread may call it. */
void event_arm(struct event_loop *ev, struct event_source *s, uint32_t events);

/* Starts and stops the thread (every signal blocked on it). Returns 0, or -1 with err. */
int event_start(struct event_loop *ev, char *err, size_t errlen);
void event_stop(struct event_loop *ev);

/* For a caller that runs the loop itself (a vhost-user server, the unit tests): waits up to
 * timeout_ms (-1: for ever) and dispatches what arrived on the calling thread. Returns the
 * number of events, 0 on timeout, or -1 once event_stop's signal arrived (errno 0) or on an
 * error (errno set). */
int event_poll(struct event_loop *ev, int timeout_ms);

/* Whether the calling thread is the one dispatching ev's events (so it may add, remove and
 * change sources and run what they would run). */
int event_on_loop_thread(const struct event_loop *ev);

#endif
