/* What kernel/sys/epoll.c (instances, items, the calls) and epoll_nest.c (instances watching
 * instances) share. Private to kernel/sys. */
#ifndef KERNEL_SYS_EPOLL_H
#define KERNEL_SYS_EPOLL_H

#include <stdint.h>

#include <kernel/file.h>

/* A lock that may be held across blocking calls (a file's poll or the release a file_put runs),
 * which a spin lock may not: waiters sleep on the wait queue. */
struct sleep_lock {
	struct wait_queue wait;
	int held;
};

struct epoll_item {
	struct epoll_item *next;
	/* Not a reference (the item must not keep the file open): compared with what fd names. */
	struct file *file;
	unsigned fd;
	uint32_t events; /* asked for, with EPOLLERR | EPOLLHUP and the flags */
	uint64_t data;
	uint64_t seen; /* edge-triggered: the file's change count when last reported */
	int fresh;     /* edge-triggered: added or modified since its last report */
	int disarmed;  /* EPOLLONESHOT: reported; silent until EPOLL_CTL_MOD */
};

struct epoll {
	struct file file;
	struct sleep_lock lock; /* guards items; taken parent before child when nested */
	struct epoll_item *items;
	/* Under the nesting lock: how many instances may be watching this one through each other
	 * (0: none). Raised when it is added to an instance, never lowered (removals would need
	 * links back to the watchers), so a program that nests, removes and nests again may get
	 * ELOOP where Linux would not. */
	int level;
};

/* Taking and dropping a sleep lock (epoll.c). Zero is an unlocked lock with no waiters. */
void sleep_lock_take(struct sleep_lock *l);
void sleep_lock_drop(struct sleep_lock *l);

/* The instance f is, or NULL when f is another kind of file (epoll.c). */
struct epoll *epoll_of(struct file *f);

/* The file the item watches, with a reference, or NULL if its descriptor was closed or now
 * names another file (then the item is stale) (epoll.c). */
struct file *epoll_item_file(const struct epoll_item *it);

/* Around EPOLL_CTL_ADD of instance target to ep (epoll_nest.c): begin takes the nesting lock and
 * says whether the add would close a loop or make a chain longer than Linux allows (-ELOOP) or
 * may go ahead (0); end, called in both cases, records an add that was made and drops the lock.
 * Never called with an instance locked. */
int epoll_nest_begin(struct epoll *ep, struct epoll *target);
void epoll_nest_end(struct epoll *ep, struct epoll *target, int added);

#endif
