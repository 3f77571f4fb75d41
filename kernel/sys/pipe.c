/* Pipes: a 64 KiB ring buffer with a read end and a write end, each a struct file (kernel/core/
 * file.c) behind the descriptor table. Readers and writers block on one wait queue, which any
 * core may wake; end of file once the write end is closed, -EPIPE once the read end is. */
#include "syscall.h"

#include <kernel/fd.h>
#include <kernel/mm.h>
#include <kernel/sched.h>
#include <toro/abi/linux.h>

#define PIPE_SIZE  (64ul << 10) /* Linux's default pipe capacity */
#define PIPE_PAGES (PIPE_SIZE / PAGE_SIZE)
#define PIPE_BUF   4096 /* writes up to this size are never interleaved with others */
#define PIPE_FLAGS (LINUX_O_CLOEXEC | LINUX_O_NONBLOCK)

/* One allocation: the ring's pages, then this structure on a page of its own. */
struct pipe {
	/* Its lock guards everything below; readers and writers sleep on it for data or room. */
	struct wait_queue wait;
	uint8_t *ring;
	size_t head;  /* the next byte to read */
	size_t count; /* bytes in the ring */
	int readers, writers; /* 1 while that end's file is open */
	int ends;             /* atomic: ends not yet released; the last release frees the pipe */
	struct file read_end, write_end;
};

/* Walks an iovec array as one stream of bytes. */
struct iov_cursor {
	const struct file_iovec *iov;
	size_t count, index, offset;
};

/* The next contiguous piece of the stream, at most max bytes; 0 at its end. */
static size_t cursor_next(struct iov_cursor *c, uint8_t **base, size_t max)
{
	while (c->index < c->count && c->offset == c->iov[c->index].len) {
		c->index++;
		c->offset = 0;
	}
	if (c->index == c->count)
		return 0;
	size_t n = c->iov[c->index].len - c->offset;
	*base = (uint8_t *)c->iov[c->index].base + c->offset;
	return n < max ? n : max;
}

static size_t iov_total(const struct file_iovec *iov, size_t count)
{
	size_t total = 0;
	for (size_t i = 0; i < count; i++)
		total += iov[i].len;
	return total;
}

/* With the lock held: moves up to n bytes between the ring and the application's buffers (into
 * the ring when to_ring). Returns the bytes moved, or -EFAULT if nothing could be. */
static long pipe_transfer(struct pipe *p, struct iov_cursor *c, size_t n, int to_ring)
{
	size_t done = 0;
	while (done < n) {
		size_t at = to_ring ? (p->head + p->count) % PIPE_SIZE : p->head;
		size_t run = PIPE_SIZE - at; /* up to the ring's end */
		uint8_t *user;
		size_t piece = cursor_next(c, &user, n - done < run ? n - done : run);
		if (piece == 0)
			break;
		int err = to_ring ? copy_from_user(p->ring + at, (uintptr_t)user, piece)
		                  : copy_to_user((uintptr_t)user, p->ring + at, piece);
		if (err)
			return done ? (long)done : err;
		c->offset += piece;
		done += piece;
		if (to_ring) {
			p->count += piece;
		} else {
			p->head = (p->head + piece) % PIPE_SIZE;
			p->count -= piece;
		}
	}
	return (long)done;
}

/* After the state changed: wakes blocked readers and writers, and pollers of both ends. */
static void pipe_wake(struct pipe *p)
{
	wait_queue_wake_all(&p->wait);
	file_notify(&p->read_end);
	file_notify(&p->write_end);
}

static int nonblocking(const struct file *f)
{
	return __atomic_load_n(&f->flags, __ATOMIC_RELAXED) & LINUX_O_NONBLOCK;
}

static long pipe_read(struct file *f, const struct file_iovec *iov, size_t count)
{
	struct pipe *p = f->private;
	struct iov_cursor c = {iov, count, 0, 0};
	size_t want = iov_total(iov, count);
	if (want == 0)
		return 0;
	wait_queue_lock(&p->wait);
	while (p->count == 0 && p->writers) {
		if (nonblocking(f)) {
			wait_queue_unlock(&p->wait);
			return -LINUX_EAGAIN;
		}
		wait_queue_sleep(&p->wait); /* returns unlocked */
		wait_queue_lock(&p->wait);
	}
	long got = pipe_transfer(p, &c, want < p->count ? want : p->count, 0);
	wait_queue_unlock(&p->wait);
	if (got > 0)
		pipe_wake(p);
	return got; /* 0: empty with no writer, end of file */
}

/* Blocks until every byte is in the ring, as Linux does; a write of at most PIPE_BUF bytes goes
 * in at once, never split around another writer's. */
static long pipe_write(struct file *f, const struct file_iovec *iov, size_t count)
{
	struct pipe *p = f->private;
	struct iov_cursor c = {iov, count, 0, 0};
	size_t want = iov_total(iov, count), done = 0;
	size_t needed = want <= PIPE_BUF ? want : 1; /* room to wait for before copying */
	if (want == 0)
		return 0;
	wait_queue_lock(&p->wait);
	while (done < want) {
		if (!p->readers) {
			wait_queue_unlock(&p->wait);
			return done ? (long)done : -LINUX_EPIPE;
		}
		size_t room = PIPE_SIZE - p->count;
		if (room < needed) {
			if (nonblocking(f)) {
				wait_queue_unlock(&p->wait);
				return done ? (long)done : -LINUX_EAGAIN;
			}
			wait_queue_sleep(&p->wait);
			wait_queue_lock(&p->wait);
			continue;
		}
		long moved = pipe_transfer(p, &c, want - done < room ? want - done : room, 1);
		if (moved < 0) {
			wait_queue_unlock(&p->wait);
			return done ? (long)done : moved;
		}
		done += (size_t)moved;
		/* Wake readers now: the rest of a large write may wait for them to make room. */
		wait_queue_unlock(&p->wait);
		pipe_wake(p);
		wait_queue_lock(&p->wait);
	}
	wait_queue_unlock(&p->wait);
	return (long)done;
}

static unsigned pipe_poll(struct file *f)
{
	struct pipe *p = f->private;
	unsigned mask = 0;
	wait_queue_lock(&p->wait);
	if (f == &p->read_end) {
		if (p->count)
			mask |= LINUX_POLLIN;
		if (!p->writers)
			mask |= LINUX_POLLHUP;
	} else {
		if (p->count < PIPE_SIZE)
			mask |= LINUX_POLLOUT;
		if (!p->readers)
			mask |= LINUX_POLLERR;
	}
	wait_queue_unlock(&p->wait);
	return mask;
}

static int pipe_stat(struct file *f, struct file_stat *st)
{
	(void)f;
	st->mode = LINUX_S_IFIFO | 0600;
	st->blksize = PAGE_SIZE;
	return 0;
}

/* One end's last reference is gone: the other end's threads learn it (end of file, EPIPE).
 * The pipe is freed by whichever release comes last, after its wake, never before. */
static void pipe_release(struct file *f)
{
	struct pipe *p = f->private;
	wait_queue_lock(&p->wait);
	if (f == &p->read_end)
		p->readers = 0;
	else
		p->writers = 0;
	wait_queue_unlock(&p->wait);
	pipe_wake(p);
	if (__atomic_sub_fetch(&p->ends, 1, __ATOMIC_ACQ_REL) == 0)
		mm_pages_free(p->ring, PIPE_PAGES + 1);
}

static const struct file_ops pipe_ops = {
    .read = pipe_read,
    .write = pipe_write,
    .poll = pipe_poll,
    .stat = pipe_stat,
    .release = pipe_release,
};

static struct pipe *pipe_create(unsigned status)
{
	uint8_t *ring = mm_pages_alloc(PIPE_PAGES + 1);
	if (!ring)
		return NULL;
	struct pipe *p = (struct pipe *)(ring + PIPE_SIZE);
	*p = (struct pipe){.ring = ring, .readers = 1, .writers = 1, .ends = 2};
	wait_queue_init(&p->wait);
	file_init(&p->read_end, &pipe_ops, LINUX_O_RDONLY | status, p);
	file_init(&p->write_end, &pipe_ops, LINUX_O_WRONLY | status, p);
	return p;
}

static long pipe_open(uint64_t ufds, uint64_t flags)
{
	if (flags & ~(uint64_t)PIPE_FLAGS)
		return -LINUX_EINVAL;
	if (!sys_range_writable(ufds, 2 * sizeof(int)))
		return -LINUX_EFAULT;
	struct pipe *p = pipe_create((unsigned)(flags & LINUX_O_NONBLOCK));
	if (!p)
		return -LINUX_ENOMEM;
	int cloexec = (flags & LINUX_O_CLOEXEC) != 0;
	long rfd = fd_install(&p->read_end, 0, cloexec);
	if (rfd < 0) {
		file_put(&p->read_end);
		file_put(&p->write_end);
		return rfd;
	}
	long wfd = fd_install(&p->write_end, 0, cloexec);
	if (wfd < 0) {
		file_put(&p->write_end);
		fd_close((unsigned)rfd);
		return wfd;
	}
	int fds[2] = {(int)rfd, (int)wfd};
	if (copy_to_user(ufds, fds, sizeof(fds))) {
		fd_close((unsigned)rfd);
		fd_close((unsigned)wfd);
		return -LINUX_EFAULT;
	}
	return 0;
}

long sys_pipe(const struct syscall_args *a)
{
	return pipe_open(a->arg[0], 0);
}

long sys_pipe2(const struct syscall_args *a)
{
	return pipe_open(a->arg[0], a->arg[1]);
}
