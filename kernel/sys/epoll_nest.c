/* Instances watching instances (kernel/sys/epoll.h): an EPOLL_CTL_ADD of an instance may close
 * no loop and make no chain of more than 5 instances, as Linux checks (fs/eventpoll.c,
 * ep_loop_check): the chain below is walked through the items; the one above is each instance's
 * level, raised when it is added and never lowered. */
#include "epoll.h"

#include <toro/abi/linux.h>
#include <toro/memory.h>

/* Linux's EP_MAX_NESTS: at most this many instances watched through one another. */
#define EPOLL_MAX_NESTS 4

/* Adding an instance to another takes this, so that two such calls cannot close a loop between
 * them; it guards the instances' levels. Nothing takes it while holding an instance's lock.
 * Zero is an unlocked lock with no waiters. */
static struct sleep_lock epoll_nesting;

/* With the nesting lock held: the instances ep watches, with references, in an array the caller
 * frees (NULL when there are none, or memory ran out: then *error is set). */
static struct epoll **epoll_children(struct epoll *ep, size_t *count, int *error)
{
	struct epoll **out = NULL;
	size_t n = 0, cap = 0;
	sleep_lock_take(&ep->lock);
	for (struct epoll_item *it = ep->items; it; it = it->next) {
		if (!epoll_of(it->file))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			struct epoll **grown = toro_realloc(out, cap * sizeof(*out));
			if (!grown) {
				*error = 1;
				break;
			}
			out = grown;
		}
		struct file *f = epoll_item_file(it);
		if (f)
			out[n++] = f->private;
	}
	sleep_lock_drop(&ep->lock);
	*count = n;
	return out;
}

static void epoll_children_put(struct epoll **children, size_t n)
{
	for (size_t i = 0; i < n; i++)
		file_put(&children[i]->file);
	toro_free(children);
}

/* With the nesting lock held: the longest chain of instances watched from ep down (0: ep
 * watches none), or more than EPOLL_MAX_NESTS once it is too long, reaches avoid (a loop) or
 * memory ran out. */
static int epoll_depth_below(struct epoll *ep, const struct epoll *avoid, int depth)
{
	if (ep == avoid || depth > EPOLL_MAX_NESTS)
		return EPOLL_MAX_NESTS + 1;
	size_t n;
	int error = 0, deepest = 0;
	struct epoll **children = epoll_children(ep, &n, &error);
	for (size_t i = 0; i < n && deepest <= EPOLL_MAX_NESTS; i++) {
		int d = 1 + epoll_depth_below(children[i], avoid, depth + 1);
		if (d > deepest)
			deepest = d;
	}
	epoll_children_put(children, n);
	return error ? EPOLL_MAX_NESTS + 1 : deepest;
}

/* Adding instance target to ep must close no loop and make no chain longer than Linux allows:
 * 0 or -ELOOP. With the nesting lock held. */
static int epoll_nesting_check(struct epoll *ep, struct epoll *target)
{
	int below = epoll_depth_below(target, ep, 0);
	return below > EPOLL_MAX_NESTS || ep->level + 1 + below > EPOLL_MAX_NESTS ? -LINUX_ELOOP
	                                                                          : 0;
}

/* With the nesting lock held: ep is now watched level deep; so are the ones it watches, deeper. */
static void epoll_raise_level(struct epoll *ep, int level)
{
	if (ep->level >= level)
		return;
	ep->level = level;
	size_t n;
	int error = 0;
	struct epoll **children = epoll_children(ep, &n, &error);
	for (size_t i = 0; i < n; i++)
		epoll_raise_level(children[i], level + 1);
	epoll_children_put(children, n);
}

int epoll_nest_begin(struct epoll *ep, struct epoll *target)
{
	sleep_lock_take(&epoll_nesting);
	return epoll_nesting_check(ep, target);
}

void epoll_nest_end(struct epoll *ep, struct epoll *target, int added)
{
	if (added)
		epoll_raise_level(target, ep->level + 1);
	sleep_lock_drop(&epoll_nesting);
}
