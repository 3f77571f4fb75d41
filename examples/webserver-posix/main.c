/* The static web server of examples/webserver as an ordinary POSIX program: TCP sockets, poll,
 * sendfile, a thread per connection, and per connection the small files it served kept in memory.
 * On Linux it serves over TCP (`cc -O2 -pthread *.c`); built with `toro build` it serves over
 * vsock, its AF_INET socket carried by the kernel's mapping (docs/networking.md). http.c and
 * http.h are links to examples/webserver's.
 *
 *   webserver-posix [--no-log] [PORT [ROOT]]   PORT 80 by default (0: a free one), ROOT ".";
 *                                              --no-log: no access log */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define DEFAULT_PORT 80
#define BACKLOG      128
#define CHUNK        (1024 * 1024) /* sendfile is asked for at most this much at a time */
#define LINGER_MS    1000          /* a closing connection's input is read this long... */
#define LINGER_MAX   (256 * 1024)  /* ...or up to this much */

#define CACHE_ENTRIES  8           /* small files kept per connection... */
#define CACHE_FILE_MAX (16 * 1024) /* ...of this size or less */
#define HEAD_MAX       512         /* a file's response head fits in this */
/* A cached file is served this long after a stat found it unchanged without another stat, as
 * nginx's open_file_cache_valid. No longer than Toro's share attribute timeout (1 s,
 * docs/files.md), so a file changed on the host is seen within about twice that. */
#define CACHE_VALID_NS 1000000000ull

static const char *root = ".";
static size_t root_len = 1;

struct cached;

struct conn {
	int fd;
	size_t len; /* bytes of buf received and not yet answered */
	char buf[HTTP_HEAD_MAX];
	struct http_request req;
	char out[4096];
	char path[4096 + HTTP_TARGET_MAX + 16];
	struct cached *cache[CACHE_ENTRIES];
	unsigned cache_next; /* the entry to take next */
};

/* Sends the n pieces of iov whole (it changes them); false once the client is gone. */
static int send_iov(int fd, struct iovec *iov, int n)
{
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = n};
	while (msg.msg_iovlen) {
		ssize_t sent = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent <= 0)
			return 0;
		while (msg.msg_iovlen && (size_t)sent >= msg.msg_iov->iov_len) {
			sent -= (ssize_t)msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen) {
			msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + sent;
			msg.msg_iov->iov_len -= (size_t)sent;
		}
	}
	return 1;
}

/* Writes all len bytes; false once the client is gone. */
static int send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

/* The access log, a line per request on stdout; --no-log turns it off (benchmarks). */
static int access_log = 1;

static void log_request(const struct conn *c, int status, uint64_t bytes)
{
	if (!access_log)
		return;
	char line[HTTP_LOG_MAX + 64];
	int cpu = sched_getcpu();
	size_t n =
	    http_log_line(line, sizeof line, &c->req, status, bytes, cpu < 0 ? 0 : (unsigned)cpu);
	/* One write per line, so lines of different threads never mix. */
	if (write(STDOUT_FILENO, line, n) < 0)
		return;
}

/* Finds the regular file req.path names under root, index.html for a directory (whose name
 * then ends in '/'; one that does not gets a redirect), in c->path. Returns 0 with *st, or the
 * status to answer: 301, 403, 404 or 500. */
static int find_file(struct conn *c, struct stat *st)
{
	struct http_request *req = &c->req;
	size_t n = strlen(req->path);
	memcpy(c->path, root, root_len);
	memcpy(c->path + root_len, req->path, n + 1);
	int err = stat(c->path, st) ? errno : 0;
	if (!err && S_ISDIR(st->st_mode)) {
		if (req->path[n - 1] != '/')
			return 301;
		if (n + 10 > HTTP_TARGET_MAX)
			return 404;
		strcpy(req->path + n, "index.html"); /* for the Content-Type */
		strcpy(c->path + root_len + n, "index.html");
		err = stat(c->path, st) ? errno : 0;
	}
	if (err == ENOENT || err == ENOTDIR || err == ENAMETOOLONG)
		return 404;
	if (err == EACCES || err == EPERM)
		return 403;
	if (err)
		return 500;
	return S_ISREG(st->st_mode) ? 0 : 404;
}

static int answer_error(struct conn *c, int status)
{
	char location[HTTP_TARGET_MAX + 2];
	if (status == 301)
		snprintf(location, sizeof location, "%s/", c->req.path);
	uint64_t body;
	size_t len = http_error_answer(c->out, sizeof c->out, &c->req, status,
	                               status == 301 ? location : NULL, &body);
	log_request(c, status, body);
	return send_all(c->fd, c->out, len);
}

/* --- the cache of small files ----------------------------------------------------------------
 * Each connection keeps the last CACHE_ENTRIES small files it served (CACHE_FILE_MAX bytes or
 * less), each in one allocation: the request path, the file's path, the file's stat when it was
 * read, and the 200 answer to a keep-alive request, head and contents in one piece (the head's
 * fields alone serve other answers). A request for a cached path costs one send from the entry,
 * and a stat once CACHE_VALID_NS have passed since the last (the clock is read each request):
 * the entry is used only if device, inode, size and modification time (to the nanosecond) are
 * still those it was read with, so a changed file is served changed at most CACHE_VALID_NS after
 * stat would show the change. Only the connection's thread touches it. */
struct cached {
	size_t key_len;  /* mem[0..key_len): the request's path */
	size_t file_len; /* the file's path (under root) at cached_file(), NUL-terminated */
	/* The 200 answer's head for a keep-alive request, head_len bytes ending at cached_data(),
	 * where the contents start (st.st_size bytes); its first fields_len bytes are the fields
	 * before Connection. */
	size_t head_len, fields_len;
	struct stat st;
	uint64_t checked; /* monotonic_ns() just before the last stat that found the file unchanged */
	char mem[];
};

static char *cached_file(struct cached *e)
{
	return e->mem + e->key_len;
}

static char *cached_data(struct cached *e)
{
	return e->mem + e->key_len + e->file_len + 1 + HEAD_MAX;
}

static char *cached_head(struct cached *e)
{
	return cached_data(e) - e->head_len;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_mode == b->st_mode;
}

/* CLOCK_MONOTONIC in nanoseconds; 0 if it cannot be read (then every entry is checked). */
static uint64_t monotonic_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The entry for req.path whose file is unchanged, or was when checked less than CACHE_VALID_NS
 * before now, or NULL; a changed one is dropped. */
static struct cached *cache_find(struct conn *c, uint64_t now)
{
	size_t len = strlen(c->req.path);
	for (unsigned i = 0; i < CACHE_ENTRIES; i++) {
		struct cached *e = c->cache[i];
		if (!e || e->key_len != len || memcmp(e->mem, c->req.path, len))
			continue;
		if (now && e->checked && now - e->checked < CACHE_VALID_NS)
			return e;
		struct stat st;
		if (stat(cached_file(e), &st) == 0 && same_file(&st, &e->st)) {
			e->checked = now;
			return e;
		}
		free(e);
		c->cache[i] = NULL;
		return NULL;
	}
	return NULL;
}

/* Reads the regular file at c->path (find_file's, with *st, made at `checked`) into a new entry
 * for the request path req.path[0..key_len). Returns it, or NULL when the file is too large or
 * did not read whole and unchanged. */
static struct cached *cache_fill(struct conn *c, size_t key_len, const struct stat *st,
                                 uint64_t checked)
{
	size_t file_len = strlen(c->path), size = (size_t)st->st_size;
	if (st->st_size > CACHE_FILE_MAX)
		return NULL;
	struct cached *e = malloc(sizeof *e + key_len + file_len + 1 + HEAD_MAX + size);
	if (!e)
		return NULL;
	e->key_len = key_len;
	e->file_len = file_len;
	char *data = cached_data(e);
	int file = open(c->path, O_RDONLY | O_CLOEXEC);
	struct stat after;
	int ok = file >= 0 && (size == 0 || pread(file, data, size, 0) == (ssize_t)size) &&
	         fstat(file, &after) == 0 && same_file(&after, st); /* unchanged while read */
	if (file >= 0)
		close(file);
	if (!ok) {
		free(e);
		return NULL;
	}
	e->st = *st;
	e->checked = checked;
	memcpy(e->mem, c->req.path, key_len);
	memcpy(cached_file(e), c->path, file_len + 1);
	struct http_answer all = {200, 0, size};
	char head[HEAD_MAX];
	e->fields_len = http_file_fields(head, sizeof head, &c->req, &all, size, st->st_mtime);
	e->head_len =
	    e->fields_len + http_head_end(head + e->fields_len, sizeof head - e->fields_len, 1);
	memcpy(data - e->head_len, head, e->head_len);
	unsigned slot = c->cache_next;
	c->cache_next = (slot + 1) % CACHE_ENTRIES;
	free(c->cache[slot]);
	c->cache[slot] = e;
	return e;
}

/* Answers the request from a cache entry, as answer() would from the file. */
static int answer_cached(struct conn *c, struct cached *e)
{
	struct http_request *req = &c->req;
	uint64_t size = (uint64_t)e->st.st_size;
	struct http_answer ans;
	http_choose_answer(req, size, e->st.st_mtime, &ans);
	uint64_t body = req->method == HTTP_HEAD ? 0 : ans.count;
	log_request(c, ans.status, body);
	if (ans.status == 200 && req->keep_alive) /* as kept */
		return send_all(c->fd, cached_head(e), e->head_len + body);
	struct iovec iov[3];
	if (ans.status == 200) {
		iov[0] = (struct iovec){cached_head(e), e->fields_len};
	} else {
		/* Its Content-Type comes from the path. */
		memcpy(req->path, cached_file(e) + root_len, e->file_len - root_len + 1);
		iov[0] = (struct iovec){c->out, http_file_fields(c->out, sizeof c->out, req, &ans,
		                                                 size, e->st.st_mtime)};
	}
	char end[64];
	iov[1] = (struct iovec){end, http_head_end(end, sizeof end, req->keep_alive)};
	iov[2] = (struct iovec){cached_data(e) + ans.first, body};
	return send_iov(c->fd, iov, 3) && req->keep_alive;
}

/* Answers the request in c->req. False when the connection must end. */
static int answer(struct conn *c)
{
	struct http_request *req = &c->req;
	if (req->status)
		return answer_error(c, req->status) && req->keep_alive;
	uint64_t now = monotonic_ns();
	struct cached *e = cache_find(c, now);
	if (e)
		return answer_cached(c, e);
	size_t key_len = strlen(req->path);
	struct stat st;
	int status = find_file(c, &st);
	if (!status && (e = cache_fill(c, key_len, &st, now)))
		return answer_cached(c, e);
	int file = -1;
	if (!status && (file = open(c->path, O_RDONLY | O_CLOEXEC)) < 0)
		status = errno == EACCES ? 403 : 500;
	if (status)
		return answer_error(c, status) && req->keep_alive;

	struct http_answer ans;
	http_choose_answer(req, (uint64_t)st.st_size, st.st_mtime, &ans);
	size_t head =
	    http_file_head(c->out, sizeof c->out, req, &ans, (uint64_t)st.st_size, st.st_mtime);
	int ok = send_all(c->fd, c->out, head);
	uint64_t left = req->method == HTTP_HEAD ? 0 : ans.count;
	off_t offset = (off_t)ans.first;
	/* The file goes from the page cache (or the share) to the socket without passing through
	 * this program, and in pieces, so its size does not matter. */
	while (ok && left) {
		ssize_t n = sendfile(c->fd, file, &offset, left < CHUNK ? (size_t)left : CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ok = 0; /* the client is gone, a read error, or the file shrank */
		else
			left -= (uint64_t)n;
	}
	close(file);
	log_request(c, ans.status, (req->method == HTTP_HEAD ? 0 : ans.count) - left);
	return ok && req->keep_alive;
}

/* A connection's thread: answers requests in order (pipelined ones included) until the client
 * closes, asks to close, idles for HTTP_IDLE_MS or errs. The idle time is the socket's receive
 * timeout, so that waiting for a request is the recv alone; where SO_RCVTIMEO is refused, poll
 * waits. */
static void *serve_connection(void *arg)
{
	struct conn *c = arg;
	struct timeval idle = {HTTP_IDLE_MS / 1000, HTTP_IDLE_MS % 1000 * 1000};
	int timed = setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle) == 0;
	for (;;) {
		size_t used = http_parse_request(c->buf, c->len, sizeof c->buf, &c->req);
		if (used) {
			if (!answer(c))
				break;
			c->len -= used;
			memmove(c->buf, c->buf + used, c->len);
			continue;
		}
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int r = timed ? 1 : poll(&p, 1, HTTP_IDLE_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) /* the end, an error, or idle for SO_RCVTIMEO (EAGAIN) */
			break;
		c->len += (size_t)n;
	}
	/* A close with unread bytes (a request body refused with 413, say) makes TCP reset the
	 * connection, and the client may lose the answer; so end sending first and read what is
	 * left, for a while, as nginx's lingering close does. */
	shutdown(c->fd, SHUT_WR);
	size_t drained = 0;
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	while (drained < LINGER_MAX && poll(&p, 1, LINGER_MS) > 0) {
		ssize_t n = recv(c->fd, c->buf, sizeof c->buf, 0);
		if (n <= 0)
			break;
		drained += (size_t)n;
	}
	close(c->fd);
	for (unsigned i = 0; i < CACHE_ENTRIES; i++)
		free(c->cache[i]);
	free(c);
	return NULL;
}

static int usage(void)
{
	fprintf(stderr,
	        "usage: webserver-posix [--no-log] [PORT [ROOT]]  (default port %d, root .)\n",
	        DEFAULT_PORT);
	return 2;
}

int main(int argc, char **argv)
{
	long port = DEFAULT_PORT;
	if (argc > 1 && strcmp(argv[1], "--no-log") == 0) {
		access_log = 0;
		argc--;
		argv++;
	}
	if (argc > 3)
		return usage();
	if (argc > 1) {
		char *end;
		errno = 0;
		port = strtol(argv[1], &end, 10);
		if (errno || *end || end == argv[1] || port < 0 || port > 65535)
			return usage();
	}
	if (argc > 2) {
		root = argv[2];
		root_len = strlen(root);
		while (root_len > 1 && root[root_len - 1] == '/')
			root_len--;
		struct stat st;
		if (stat(root, &st) || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "webserver-posix: %s: not a directory\n", root);
			return 2;
		}
	}
	char *trimmed = strndup(root, root_len);
	if (!trimmed)
		return 1;
	root = strcmp(trimmed, "/") ? trimmed : ""; /* "/" + "/index.html" must not be "//..." */
	root_len = strlen(root);

	int listener = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	struct sockaddr_in addr = {.sin_family = AF_INET,
	                           .sin_port = htons((uint16_t)port),
	                           .sin_addr.s_addr = htonl(INADDR_ANY)};
	socklen_t alen = sizeof addr;
	if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, BACKLOG) ||
	    getsockname(listener, (struct sockaddr *)&addr, &alen)) {
		fprintf(stderr, "webserver-posix: cannot listen on port %ld: %s\n", port,
		        strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN); /* sendfile to a closed connection: EPIPE, not death */
	printf("listening on port %u, serving %s\n", ntohs(addr.sin_port), *root ? root : "/");
	fflush(stdout);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		int fd = accept(listener, NULL, NULL);
		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				perror("webserver-posix: accept");
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
				usleep(10000);
			continue;
		}
		struct conn *c = malloc(sizeof *c);
		pthread_t t;
		if (c) {
			c->fd = fd;
			c->len = 0;
			memset(c->cache, 0, sizeof c->cache);
			c->cache_next = 0;
		}
		if (!c || pthread_create(&t, &attr, serve_connection, c)) {
			fprintf(stderr, "webserver-posix: no memory for a connection\n");
			free(c);
			close(fd);
		}
	}
}
