/* The event thread: one epoll loop that does the devices' queue work off the vCPU threads
 * (kvmtool's and Firecracker's shape). File descriptors are added before the loop starts: the
 * ioeventfds KVM signals on a queue notification, and stdout, watched for room on demand. */
#ifndef VMM_EVENT_H
#define VMM_EVENT_H

#include <pthread.h>
#include <stdint.h>

#define EVENT_SOURCES_MAX 64

/* Runs on the event thread with the epoll events that arrived. */
typedef void (*event_fn)(void *ctx, uint32_t events);

struct event_source {
	int fd;
	event_fn fn;
	void *ctx;
};

struct event_loop {
	int epoll_fd, stop_fd; /* stop_fd: an eventfd that ends the loop */
	int nsources;
	struct event_source sources[EVENT_SOURCES_MAX];
	pthread_t thread;
	int running;
};

/* Creates the epoll set. Returns 0, or -1 with one line in err. */
int event_init(struct event_loop *ev, char *err, size_t errlen);

/* Watches fd for input (level-triggered: fn must consume it). Returns the source, or NULL with
 * errno set (EPERM: fd cannot be polled, such as a regular file). */
struct event_source *event_add_input(struct event_loop *ev, int fd, event_fn fn, void *ctx);

/* Adds fd unarmed: it reports nothing until event_arm_output. Returns the source or NULL. */
struct event_source *event_add_output(struct event_loop *ev, int fd, event_fn fn, void *ctx);

/* Calls the source's fn once, on the event thread, when its fd has room (or an error); any
 * thread may call it, any number of times before that. */
void event_arm_output(struct event_loop *ev, struct event_source *s);

/* Starts and stops the thread (every signal blocked on it). Returns 0, or -1 with err. */
int event_start(struct event_loop *ev, char *err, size_t errlen);
void event_stop(struct event_loop *ev);

#endif
