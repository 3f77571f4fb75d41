/* epoll: an instance is a struct file (so poll, select and other instances can watch it) holding
 * a list of watched descriptors. epoll_wait checks them with file_poll and, while none is ready,
 * sleeps as poll does (file_poll_generation and file_poll_wait, kernel/core/file.c): there is no
 * per-file callback, so each wake costs one pass over the instance's items. An edge-triggered
 * item reports again only after a file_notify of its file (the file's notification count moved).
 * An item lives until EPOLL_CTL_DEL or until its descriptor is closed or names another file,
 * which the next pass over the items finds; Linux keeps it while any duplicate of the file is
 * open, here closing the descriptor is enough. Instances watching instances: epoll_nest.c. Part
 * of the `event` system-call group (an image that calls no epoll or eventfd function links none
 * of it: docs/architecture.md, "Build"). */
#include "epoll.h"

#include "syscall.h"
#include "syscall_groups.h"

#include <kernel/fd.h>
#include <toro/abi/linux.h>
#include <toro/memory.h>
#include <kernel/time.h>

/* Linux's EP_MAX_EVENTS: the byte count of the events array fits in an int. */
#define EPOLL_MAX_EVENTS ((long)(INT32_MAX / sizeof(struct linux_epoll_event)))
/* Reported whether asked for or not. */
#define EPOLL_ALWAYS (LINUX_POLLERR | LINUX_POLLHUP)
#define EPOLL_FLAGS  (LINUX_EPOLLET | LINUX_EPOLLONESHOT | LINUX_EPOLLEXCLUSIVE | LINUX_EPOLLWAKEUP)
/* What EPOLLEXCLUSIVE may come with (Linux's EPOLLEXCLUSIVE_OK_BITS, with the RD/WRNORM bits). */
#define EPOLL_EXCLUSIVE_OK                                                                         \
	(LINUX_POLLIN | LINUX_POLLOUT | LINUX_POLLERR | LINUX_POLLHUP | 0x040 | 0x100 |            \
	 LINUX_EPOLLWAKEUP | LINUX_EPOLLET | LINUX_EPOLLEXCLUSIVE)

static const struct file_ops epoll_ops;

void sleep_lock_take(struct sleep_lock *l)
{
	wait_queue_lock(&l->wait);
	while (l->held) {
		wait_queue_sleep(&l->wait);
		wait_queue_lock(&l->wait);
	}
	l->held = 1;
	wait_queue_unlock(&l->wait);
}

void sleep_lock_drop(struct sleep_lock *l)
{
	wait_queue_lock(&l->wait);
	l->held = 0;
	wait_queue_unlock(&l->wait);
	wait_queue_wake_one(&l->wait);
}

struct epoll *epoll_of(struct file *f)
{
	return f->ops == &epoll_ops ? f->private : NULL;
}

/* The file the item watches, with a reference, or NULL if its descriptor was closed or now
 * names another file (then the item is stale). */
struct file *epoll_item_file(const struct epoll_item *it)
{
	struct file *f = fd_get(it->fd);
	if (f && f != it->file) {
		file_put(f);
		return NULL;
	}
	return f;
}

/* What moves when the file's readiness may have changed. An instance is notified by no one
 * (its items' files are), so for a watched instance any notification counts. */
static uint64_t epoll_change_count(struct file *f)
{
	if (epoll_of(f))
		return file_poll_generation();
	return __atomic_load_n(&f->notifications, __ATOMIC_ACQUIRE);
}

/* The events the item reports now, 0 if none. With consume, the report counts as made: an
 * edge-triggered item waits for the next change, a one-shot item is disarmed. */
static uint32_t epoll_item_ready(struct epoll_item *it, struct file *f, int consume)
{
	if (it->disarmed)
		return 0;
	uint64_t changes = epoll_change_count(f); /* before the poll: a later change is not lost */
	uint32_t ready = file_poll(f) & it->events & ~EPOLL_FLAGS;
	if (!ready)
		return 0;
	if (it->events & LINUX_EPOLLET) {
		if (!it->fresh && changes == it->seen)
			return 0;
		if (consume) {
			it->seen = changes;
			it->fresh = 0;
		}
	}
	if (consume && (it->events & LINUX_EPOLLONESHOT))
		it->disarmed = 1;
	return ready;
}

/* With the instance locked: unlinks and frees *link's item. */
static void epoll_item_remove(struct epoll_item **link)
{
	struct epoll_item *it = *link;
	*link = it->next;
	toro_free(it);
}

/* With the instance locked: moves the items before *link to the end of the list, so that the
 * next pass starts with the ones this pass did not reach (ready items take turns, as in Linux). */
static void epoll_rotate(struct epoll *ep, struct epoll_item **link)
{
	if (!*link || link == &ep->items)
		return;
	struct epoll_item *first = ep->items, *tail = *link;
	while (tail->next)
		tail = tail->next;
	ep->items = *link;
	*link = NULL;
	tail->next = first;
}

/* With the instance locked: one pass over the items, writing up to max ready events to the
 * application's array at uevents (max 0: only whether any is ready, nothing consumed). Stale
 * items are dropped. Returns the count, or -EFAULT if the first write failed. */
static long epoll_collect(struct epoll *ep, uint64_t uevents, long max)
{
	long count = 0;
	struct epoll_item **link = &ep->items;
	while (*link && (max == 0 ? count == 0 : count < max)) {
		struct epoll_item *it = *link;
		struct file *f = epoll_item_file(it);
		if (!f) {
			epoll_item_remove(link);
			continue;
		}
		uint32_t ready = epoll_item_ready(it, f, max != 0);
		file_put(f);
		link = &it->next;
		if (!ready)
			continue;
		if (max) {
			struct linux_epoll_event e = {ready, it->data};
			uint64_t at = uevents + (uint64_t)count * sizeof(e);
			if (copy_to_user(at, &e, sizeof(e)))
				return count ? count : -LINUX_EFAULT;
		}
		count++;
	}
	if (max)
		epoll_rotate(ep, link);
	return count;
}

static unsigned epoll_poll(struct file *f)
{
	struct epoll *ep = f->private;
	sleep_lock_take(&ep->lock);
	long ready = epoll_collect(ep, 0, 0);
	sleep_lock_drop(&ep->lock);
	return ready > 0 ? LINUX_POLLIN : 0;
}

static void epoll_release(struct file *f)
{
	struct epoll *ep = f->private;
	while (ep->items)
		epoll_item_remove(&ep->items);
	toro_free(ep);
}

static const struct file_ops epoll_ops = {
    .poll = epoll_poll,
    .stat = sys_anon_stat,
    .release = epoll_release,
};

static long epoll_open(uint64_t flags)
{
	if (flags & ~(uint64_t)LINUX_EPOLL_CLOEXEC)
		return -LINUX_EINVAL;
	struct epoll *ep = toro_calloc(1, sizeof(*ep));
	if (!ep)
		return -LINUX_ENOMEM;
	wait_queue_init(&ep->lock.wait);
	file_init(&ep->file, &epoll_ops, LINUX_O_RDWR, ep);
	return fd_install_or_put(&ep->file, 0, flags != 0);
}

long sys_epoll_create(const struct syscall_args *a)
{
	if ((int)a->arg[0] <= 0)
		return -LINUX_EINVAL;
	return epoll_open(0);
}

long sys_epoll_create1(const struct syscall_args *a)
{
	return epoll_open(a->arg[0]);
}

/* With the instance locked: the live item for (fd, f), or NULL. Stale items met are dropped. */
static struct epoll_item **epoll_find(struct epoll *ep, unsigned fd, struct file *f)
{
	for (struct epoll_item **link = &ep->items; *link;) {
		struct epoll_item *it = *link;
		if (it->fd != fd) {
			link = &it->next;
			continue;
		}
		if (it->file == f)
			return link;
		epoll_item_remove(link); /* fd now names another file */
	}
	return NULL;
}

static void epoll_item_set(struct epoll_item *it, const struct linux_epoll_event *e)
{
	it->events = e->events | EPOLL_ALWAYS;
	it->data = e->data;
	it->fresh = 1;
	it->disarmed = 0;
}

/* With the instance locked (and the nesting lock, for an instance target). */
static long epoll_ctl_locked(struct epoll *ep, int op, unsigned fd, struct file *target,
                             const struct linux_epoll_event *e)
{
	struct epoll_item **link = epoll_find(ep, fd, target);
	switch (op) {
	case LINUX_EPOLL_CTL_ADD: {
		if (link)
			return -LINUX_EEXIST;
		struct epoll_item *it = toro_calloc(1, sizeof(*it));
		if (!it)
			return -LINUX_ENOMEM;
		it->file = target;
		it->fd = fd;
		epoll_item_set(it, e);
		it->next = ep->items;
		ep->items = it;
		return 0;
	}
	case LINUX_EPOLL_CTL_MOD:
		if (!link)
			return -LINUX_ENOENT;
		if ((*link)->events & LINUX_EPOLLEXCLUSIVE)
			return -LINUX_EINVAL;
		epoll_item_set(*link, e);
		return 0;
	case LINUX_EPOLL_CTL_DEL:
		if (!link)
			return -LINUX_ENOENT;
		epoll_item_remove(link);
		return 0;
	default:
		return -LINUX_EINVAL;
	}
}

/* The argument checks, in Linux's order (fs/eventpoll.c, do_epoll_ctl). */
static long epoll_ctl_check(int op, struct file *epf, struct file *target,
                            const struct linux_epoll_event *e)
{
	struct file_stat st;
	if (file_stat(target, &st) == 0 && ((st.mode & LINUX_S_IFMT) == LINUX_S_IFREG ||
	                                    (st.mode & LINUX_S_IFMT) == LINUX_S_IFDIR))
		return -LINUX_EPERM; /* regular files and directories are always ready: no epoll */
	if (op != LINUX_EPOLL_CTL_DEL && (e->events & LINUX_EPOLLEXCLUSIVE)) {
		if (op == LINUX_EPOLL_CTL_MOD || epoll_of(target) ||
		    (e->events & ~(uint32_t)EPOLL_EXCLUSIVE_OK))
			return -LINUX_EINVAL;
	}
	if (epf == target || !epoll_of(epf))
		return -LINUX_EINVAL;
	return 0;
}

long sys_epoll_ctl(const struct syscall_args *a)
{
	int op = (int)a->arg[1];
	unsigned fd = (unsigned)a->arg[2];
	struct linux_epoll_event e = {0};
	if (op != LINUX_EPOLL_CTL_DEL && copy_from_user(&e, a->arg[3], sizeof(e)))
		return -LINUX_EFAULT;
	struct file *epf = fd_get((unsigned)a->arg[0]);
	if (!epf)
		return -LINUX_EBADF;
	struct file *target = fd_get(fd);
	long rc = target ? epoll_ctl_check(op, epf, target, &e) : -LINUX_EBADF;
	if (rc == 0) {
		struct epoll *ep = epf->private;
		int nesting = op == LINUX_EPOLL_CTL_ADD && epoll_of(target);
		if (nesting)
			rc = epoll_nest_begin(ep, target->private);
		if (rc == 0) {
			sleep_lock_take(&ep->lock);
			rc = epoll_ctl_locked(ep, op, fd, target, &e);
			sleep_lock_drop(&ep->lock);
		}
		if (nesting)
			epoll_nest_end(ep, target->private, rc == 0);
	}
	if (target)
		file_put(target);
	file_put(epf);
	return rc;
}

/* deadline 0: wait for ever; zero: one pass only. */
static long epoll_wait_events(uint64_t epfd, uint64_t uevents, long max, uint64_t deadline,
                              int zero)
{
	if (max <= 0 || max > EPOLL_MAX_EVENTS)
		return -LINUX_EINVAL;
	if (!sys_range_writable(uevents, (uint64_t)max * sizeof(struct linux_epoll_event)))
		return -LINUX_EFAULT;
	struct file *f = fd_get((unsigned)epfd);
	if (!f)
		return -LINUX_EBADF;
	struct epoll *ep = epoll_of(f);
	long count = -LINUX_EINVAL;
	while (ep) {
		uint64_t generation = file_poll_generation();
		sleep_lock_take(&ep->lock);
		count = epoll_collect(ep, uevents, max);
		sleep_lock_drop(&ep->lock);
		if (count != 0 || zero)
			break;
		if (file_poll_wait(generation, deadline))
			break;
	}
	file_put(f);
	return count;
}

/* epoll_wait, and epoll_pwait (the same but for a signal mask, ignored as ppoll's is): a timeout
 * in milliseconds, negative for none. */
long sys_epoll_wait(const struct syscall_args *a)
{
	int timeout_ms = (int)a->arg[3];
	uint64_t deadline = 0;
	if (timeout_ms > 0)
		deadline = sys_deadline((uint64_t)timeout_ms * NSEC_PER_MSEC, 0, 0);
	return epoll_wait_events(a->arg[0], a->arg[1], (int)a->arg[2], deadline, timeout_ms == 0);
}

/* epoll_pwait2: the timeout is a struct timespec, NULL for none. */
long sys_epoll_pwait2(const struct syscall_args *a)
{
	uint64_t deadline;
	int zero;
	long err = sys_timeout_deadline(a->arg[3], 0, 0, &deadline, &zero);
	if (err)
		return err;
	return epoll_wait_events(a->arg[0], a->arg[1], (int)a->arg[2], deadline, zero);
}
