/* The event thread's epoll loop (see event.h). Each source is its own allocation, so a source
 * pointer stays valid while it is watched; one removed while a batch is being dispatched is
 * marked and freed after the batch, as a later entry of the same batch may still name it.
 * Arming or changing a source is one epoll_ctl, which is thread-safe. */
#include "event.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "error.h"

#define EVENT_BATCH 64

int event_init(struct event_loop *ev, char *err, size_t errlen)
{
	memset(ev, 0, sizeof(*ev));
	ev->stop_fd = -1;
	ev->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (ev->epoll_fd < 0)
		return error_set(err, errlen, "epoll_create1: %s", strerror(errno));
	ev->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ev->stop_fd < 0)
		return error_set(err, errlen, "eventfd: %s", strerror(errno));
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
	if (epoll_ctl(ev->epoll_fd, EPOLL_CTL_ADD, ev->stop_fd, &e) < 0)
		return error_set(err, errlen, "epoll_ctl: %s", strerror(errno));
	return 0;
}

static void event_free_removed(struct event_loop *ev)
{
	while (ev->removed) {
		struct event_source *s = ev->removed;
		ev->removed = s->next_removed;
		free(s);
	}
}

void event_destroy(struct event_loop *ev)
{
	event_free_removed(ev);
	if (ev->epoll_fd >= 0)
		close(ev->epoll_fd);
	if (ev->stop_fd >= 0)
		close(ev->stop_fd);
	ev->epoll_fd = ev->stop_fd = -1;
}

struct event_source *event_add(struct event_loop *ev, int fd, uint32_t events, event_fn fn,
                               void *ctx)
{
	struct event_source *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	*s = (struct event_source){.fd = fd, .fn = fn, .ctx = ctx, .events = events};
	struct epoll_event e = {.events = events, .data.ptr = s};
	if (epoll_ctl(ev->epoll_fd, EPOLL_CTL_ADD, fd, &e) < 0) {
		int saved = errno;
		free(s);
		errno = saved;
		return NULL;
	}
	ev->nsources++;
	return s;
}

int event_watch(struct event_loop *ev, struct event_source *s, uint32_t events)
{
	if (s->events == events)
		return 0;
	struct epoll_event e = {.events = events, .data.ptr = s};
	if (epoll_ctl(ev->epoll_fd, EPOLL_CTL_MOD, s->fd, &e) < 0)
		return -1;
	s->events = events;
	return 0;
}

void event_remove(struct event_loop *ev, struct event_source *s)
{
	/* A closed fd has left the set already; the call then fails harmlessly. */
	epoll_ctl(ev->epoll_fd, EPOLL_CTL_DEL, s->fd, NULL);
	ev->nsources--;
	if (!ev->dispatching) {
		free(s);
		return;
	}
	s->removed = 1;
	s->next_removed = ev->removed;
	ev->removed = s;
}

struct event_source *event_add_input(struct event_loop *ev, int fd, event_fn fn, void *ctx)
{
	return event_add(ev, fd, EPOLLIN, fn, ctx);
}

/* One-shot with no events: an error or hang-up reports once, then nothing until armed (a closed
 * stdout would otherwise wake the loop without end). */
struct event_source *event_add_output(struct event_loop *ev, int fd, event_fn fn, void *ctx)
{
	return event_add(ev, fd, EPOLLONESHOT, fn, ctx);
}

void event_arm(struct event_loop *ev, struct event_source *s, uint32_t events)
{
	struct epoll_event e = {.events = events | EPOLLONESHOT, .data.ptr = s};
	epoll_ctl(ev->epoll_fd, EPOLL_CTL_MOD, s->fd, &e);
}

void event_arm_output(struct event_loop *ev, struct event_source *s)
{
	event_arm(ev, s, EPOLLOUT);
}

void event_arm_input(struct event_loop *ev, struct event_source *s)
{
	event_arm(ev, s, EPOLLIN);
}

int event_poll(struct event_loop *ev, int timeout_ms)
{
	struct epoll_event got[EVENT_BATCH];
	ev->dispatcher = pthread_self();
	int n = epoll_wait(ev->epoll_fd, got, EVENT_BATCH, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	int stop = 0;
	errno = 0;
	ev->dispatching = 1;
	for (int i = 0; i < n; i++) {
		struct event_source *s = got[i].data.ptr;
		if (!s)
			stop = 1; /* stop_fd */
		else if (!s->removed) {
			if (s->events & EPOLLONESHOT)
				s->events = 0; /* disarmed by the kernel until watched again */
			s->fn(s->ctx, got[i].events);
		}
	}
	ev->dispatching = 0;
	event_free_removed(ev);
	if (stop)
		errno = 0;
	return stop ? -1 : n;
}

int event_on_loop_thread(const struct event_loop *ev)
{
	return pthread_equal(pthread_self(), ev->dispatcher);
}

static void *event_thread(void *arg)
{
	struct event_loop *ev = arg;
	while (event_poll(ev, -1) >= 0)
		;
	if (errno)
		fprintf(stderr, "toro: event thread: epoll_wait: %s\n", strerror(errno));
	return NULL;
}

int event_start(struct event_loop *ev, char *err, size_t errlen)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = pthread_create(&ev->thread, NULL, event_thread, ev);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return error_set(err, errlen, "cannot start the event thread: %s", strerror(r));
	ev->dispatcher = ev->thread;
	ev->running = 1;
	return 0;
}

void event_stop(struct event_loop *ev)
{
	if (!ev->running)
		return;
	uint64_t one = 1;
	if (write(ev->stop_fd, &one, sizeof(one)) != sizeof(one))
		return; /* cannot happen for an eventfd far from its limit */
	pthread_join(ev->thread, NULL);
	ev->running = 0;
}
