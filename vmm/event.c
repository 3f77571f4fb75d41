/* The event thread's epoll loop (see event.h). Sources are only added before the thread starts,
 * so the table needs no lock; arming a source is one epoll_ctl, which is thread-safe. */
#include "event.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "error.h"

#define EVENT_BATCH 16

int event_init(struct event_loop *ev, char *err, size_t errlen)
{
	memset(ev, 0, sizeof(*ev));
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

static struct event_source *event_add(struct event_loop *ev, int fd, uint32_t events, event_fn fn,
                                      void *ctx)
{
	if (ev->nsources == EVENT_SOURCES_MAX) {
		errno = ENOSPC;
		return NULL;
	}
	struct event_source *s = &ev->sources[ev->nsources];
	*s = (struct event_source){fd, fn, ctx};
	struct epoll_event e = {.events = events, .data.ptr = s};
	if (epoll_ctl(ev->epoll_fd, EPOLL_CTL_ADD, fd, &e) < 0)
		return NULL;
	ev->nsources++;
	return s;
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

void event_arm_output(struct event_loop *ev, struct event_source *s)
{
	struct epoll_event e = {.events = EPOLLOUT | EPOLLONESHOT, .data.ptr = s};
	epoll_ctl(ev->epoll_fd, EPOLL_CTL_MOD, s->fd, &e);
}

static void *event_thread(void *arg)
{
	struct event_loop *ev = arg;
	struct epoll_event got[EVENT_BATCH];
	for (;;) {
		int n = epoll_wait(ev->epoll_fd, got, EVENT_BATCH, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "toro: event thread: epoll_wait: %s\n", strerror(errno));
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			struct event_source *s = got[i].data.ptr;
			if (!s)
				return NULL; /* stop_fd */
			s->fn(s->ctx, got[i].events);
		}
	}
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
