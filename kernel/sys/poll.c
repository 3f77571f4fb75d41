/* poll, ppoll, select and pselect6 over the files' poll operation (kernel/core/file.c): scan the
 * descriptors, and while none is ready sleep until a file's owner notifies or the timeout
 * passes. With no descriptors they are a sleep. Signal masks (ppoll, pselect6) are ignored. */
#include "syscall.h"

#include <kernel/fd.h>
#include <kernel/time.h>
#include <toro/abi/linux.h>

#define NSEC_PER_MSEC  1000000ull
#define NSEC_PER_USEC  1000ull
#define USEC_PER_SEC   1000000ull
#define POLL_CHUNK     32 /* pollfds read from the application at a time */
#define POLL_ALWAYS    (LINUX_POLLERR | LINUX_POLLHUP | LINUX_POLLNVAL)
#define SELECT_IN      (LINUX_POLLIN | LINUX_POLLHUP | LINUX_POLLERR)
#define SELECT_OUT     (LINUX_POLLOUT | LINUX_POLLERR)
#define SELECT_EX      LINUX_POLLPRI
#define FD_SET_WORDS   (FD_MAX / 64)

/* The readiness of fd now, or POLLNVAL if it is not open. */
static unsigned fd_readiness(unsigned fd)
{
	struct file *f = fd_get(fd);
	if (!f)
		return LINUX_POLLNVAL;
	unsigned mask = file_poll(f);
	file_put(f);
	return mask;
}

/* One pass over the pollfds: writes every revents back and returns how many are non-zero, or
 * -EFAULT. */
static long poll_scan(uint64_t ufds, uint64_t nfds)
{
	struct linux_pollfd chunk[POLL_CHUNK];
	long ready = 0;
	for (uint64_t i = 0; i < nfds; i += POLL_CHUNK) {
		size_t n = nfds - i < POLL_CHUNK ? nfds - i : POLL_CHUNK;
		uint64_t at = ufds + i * sizeof(chunk[0]);
		if (copy_from_user(chunk, at, n * sizeof(chunk[0])))
			return -LINUX_EFAULT;
		for (size_t k = 0; k < n; k++) {
			unsigned events = (uint16_t)chunk[k].events | POLL_ALWAYS;
			unsigned revents = 0;
			if (chunk[k].fd >= 0)
				revents = fd_readiness((unsigned)chunk[k].fd) & events;
			chunk[k].revents = (int16_t)revents;
			ready += revents != 0;
		}
		if (copy_to_user(at, chunk, n * sizeof(chunk[0])))
			return -LINUX_EFAULT;
	}
	return ready;
}

/* deadline: 0 waits for ever; timeout_zero: only one pass. */
static long poll_files(uint64_t ufds, uint64_t nfds, uint64_t deadline, int timeout_zero)
{
	if (nfds > FD_MAX)
		return -LINUX_EINVAL;
	for (;;) {
		uint64_t generation = file_poll_generation();
		long ready = poll_scan(ufds, nfds);
		if (ready != 0 || timeout_zero)
			return ready;
		if (file_poll_wait(generation, deadline))
			return 0; /* every revents was written 0 by the last pass */
	}
}

long sys_poll(const struct syscall_args *a)
{
	int timeout_ms = (int)a->arg[2];
	uint64_t deadline = 0;
	if (timeout_ms > 0)
		deadline = sys_deadline((uint64_t)timeout_ms * NSEC_PER_MSEC, 0, 0);
	return poll_files(a->arg[0], a->arg[1], deadline, timeout_ms == 0);
}

long sys_ppoll(const struct syscall_args *a)
{
	uint64_t deadline;
	int zero;
	long err = sys_timeout_deadline(a->arg[2], 0, 0, &deadline, &zero);
	if (err)
		return err;
	return poll_files(a->arg[0], a->arg[1], deadline, zero);
}

/* The three descriptor sets of select, in kernel memory. */
struct select_sets {
	uint64_t in[FD_SET_WORDS], out[FD_SET_WORDS], ex[FD_SET_WORDS];
};

static int fd_in_set(const uint64_t *set, unsigned fd)
{
	return (set[fd / 64] >> (fd % 64)) & 1;
}

/* One pass: fills *ready with the ready descriptors of *want and returns how many bits are set,
 * or -EBADF if a descriptor in a set is not open. */
static long select_scan(unsigned n, const struct select_sets *want, struct select_sets *ready)
{
	long count = 0;
	*ready = (struct select_sets){0};
	for (unsigned fd = 0; fd < n; fd++) {
		int in = fd_in_set(want->in, fd), out = fd_in_set(want->out, fd);
		int ex = fd_in_set(want->ex, fd);
		if (!in && !out && !ex)
			continue;
		unsigned mask = fd_readiness(fd);
		if (mask & LINUX_POLLNVAL)
			return -LINUX_EBADF;
		uint64_t bit = 1ull << (fd % 64);
		if (in && (mask & SELECT_IN)) {
			ready->in[fd / 64] |= bit;
			count++;
		}
		if (out && (mask & SELECT_OUT)) {
			ready->out[fd / 64] |= bit;
			count++;
		}
		if (ex && (mask & SELECT_EX)) {
			ready->ex[fd / 64] |= bit;
			count++;
		}
	}
	return count;
}

/* Reads or writes the sets the application passed (a NULL set is empty and not written). */
static int select_copy(uint64_t uset[3], struct select_sets *s, size_t bytes, int to_user)
{
	uint64_t *sets[3] = {s->in, s->out, s->ex};
	for (int i = 0; i < 3; i++) {
		if (!uset[i])
			continue;
		int err = to_user ? copy_to_user(uset[i], sets[i], bytes)
		                  : copy_from_user(sets[i], uset[i], bytes);
		if (err)
			return err;
	}
	return 0;
}

static long select_files(uint64_t nfds, uint64_t uset[3], uint64_t deadline, int timeout_zero)
{
	if ((int64_t)(int)nfds < 0)
		return -LINUX_EINVAL;
	unsigned n = (unsigned)nfds > FD_MAX ? FD_MAX : (unsigned)nfds;
	/* Linux reads and writes whole longs: (n + 63) / 64 of them. */
	size_t bytes = (n + 63) / 64 * sizeof(uint64_t);
	struct select_sets want = {0}, ready;
	if (select_copy(uset, &want, bytes, 0))
		return -LINUX_EFAULT;
	for (;;) {
		uint64_t generation = file_poll_generation();
		long count = select_scan(n, &want, &ready);
		if (count < 0)
			return count;
		if (count > 0 || timeout_zero || file_poll_wait(generation, deadline)) {
			if (count == 0)
				ready = (struct select_sets){0};
			return select_copy(uset, &ready, bytes, 1) ? -LINUX_EFAULT : count;
		}
	}
}

long sys_select(const struct syscall_args *a)
{
	uint64_t uset[3] = {a->arg[1], a->arg[2], a->arg[3]}, utv = a->arg[4];
	uint64_t deadline = 0;
	int zero = 0;
	if (utv) {
		struct linux_timeval tv;
		if (copy_from_user(&tv, utv, sizeof(tv)))
			return -LINUX_EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0 || (uint64_t)tv.tv_usec >= USEC_PER_SEC)
			return -LINUX_EINVAL;
		uint64_t ns = (uint64_t)tv.tv_sec * (USEC_PER_SEC * NSEC_PER_USEC) +
		              (uint64_t)tv.tv_usec * NSEC_PER_USEC;
		zero = ns == 0;
		deadline = sys_deadline(ns, 0, 0);
	}
	long rc = select_files(a->arg[0], uset, deadline, zero);
	if (rc >= 0 && utv) {
		/* Linux writes back the time left; programs that loop on select rely on it. */
		uint64_t now = time_monotonic_ns(), left = deadline > now ? deadline - now : 0;
		struct linux_timeval tv = {(int64_t)(left / (USEC_PER_SEC * NSEC_PER_USEC)),
		                           (int64_t)(left / NSEC_PER_USEC % USEC_PER_SEC)};
		if (copy_to_user(utv, &tv, sizeof(tv)))
			return -LINUX_EFAULT;
	}
	return rc;
}

long sys_pselect6(const struct syscall_args *a)
{
	uint64_t uset[3] = {a->arg[1], a->arg[2], a->arg[3]};
	uint64_t deadline;
	int zero;
	long err = sys_timeout_deadline(a->arg[4], 0, 0, &deadline, &zero);
	if (err)
		return err;
	return select_files(a->arg[0], uset, deadline, zero);
}
