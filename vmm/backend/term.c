/* Guest console output to stdout and stderr, console input from stdin (see term.h). Write
 * errors (a closed pipe) drop the output: the guest keeps running, as on a real serial line with
 * nothing attached. */
#include "term.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define TERM_BUF_SIZE 1024

static pthread_mutex_t term_lock = PTHREAD_MUTEX_INITIALIZER;
static char term_buf[TERM_BUF_SIZE];
static size_t term_len;
static int term_fd = STDOUT_FILENO; /* where COM1's buffer goes */

void term_set_serial_fd(int fd)
{
	pthread_mutex_lock(&term_lock);
	term_fd = fd;
	pthread_mutex_unlock(&term_lock);
}

static void term_write_all(const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(term_fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void term_flush_locked(void)
{
	term_write_all(term_buf, term_len);
	term_len = 0;
}

void term_flush(void)
{
	pthread_mutex_lock(&term_lock);
	term_flush_locked();
	pthread_mutex_unlock(&term_lock);
}

void term_write(const void *data, size_t len)
{
	pthread_mutex_lock(&term_lock);
	if (len > TERM_BUF_SIZE - term_len) {
		term_flush_locked();
		if (len >= TERM_BUF_SIZE) {
			term_write_all(data, len);
			pthread_mutex_unlock(&term_lock);
			return;
		}
	}
	memcpy(term_buf + term_len, data, len);
	term_len += len;
	if (memchr(data, '\n', len))
		term_flush_locked();
	pthread_mutex_unlock(&term_lock);
}

void term_output(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	term_write(data, len);
}

/* Whether a write to fd can go ahead now. A file that cannot be polled (a regular file,
 * /dev/null) polls writable, and its writes do not wait on a reader. */
static int term_writable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	return poll(&p, 1, 0) > 0 && p.revents;
}

/* One write of at most PIPE_BUF bytes once fd polls writable: to a pipe with a free slot it
 * goes whole, so it does not block. Returns bytes written (len when dropped on an error), or 0. */
static size_t term_write_once(int fd, const char *p, size_t len)
{
	if (!term_writable(fd))
		return 0;
	size_t n = len < PIPE_BUF ? len : PIPE_BUF;
	ssize_t w;
	do
		w = write(fd, p, n);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return errno == EAGAIN ? 0 : len;
	return (size_t)w;
}

size_t term_try_write(int fd, const void *data, size_t len)
{
	size_t done = 0;
	pthread_mutex_lock(&term_lock);
	/* What COM1 left in the buffer (a partial line) for the same fd goes first, to keep the
	 * order. */
	while (fd == term_fd && term_len > 0) {
		size_t n = term_write_once(fd, term_buf, term_len);
		if (n == 0)
			goto out;
		if (n >= term_len) {
			term_len = 0;
			break;
		}
		memmove(term_buf, term_buf + n, term_len - n);
		term_len -= n;
	}
	done = term_write_once(fd, data, len);
out:
	pthread_mutex_unlock(&term_lock);
	return done;
}

long term_read(void *buf, size_t len)
{
	struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
	int r = poll(&p, 1, 0);
	if (r == 0)
		return -1;
	/* Readable (or hung up, or an error): one read takes what is there without waiting. A
	 * descriptor that cannot be read (closed) is an empty input. */
	ssize_t n;
	do
		n = read(STDIN_FILENO, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -1 : 0;
	return n;
}
