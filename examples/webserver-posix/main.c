/* The static web server of examples/webserver as an ordinary POSIX program: TCP sockets, poll,
 * sendfile and a thread per connection. On Linux it serves over TCP (`cc -O2 -pthread *.c`);
 * built with `toro build` it serves over vsock, its AF_INET socket carried by the kernel's
 * mapping (docs/networking.md). http.c and http.h are links to examples/webserver's.
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
#include <unistd.h>

#include "http.h"

#define DEFAULT_PORT 80
#define BACKLOG      128
#define CHUNK        (1024 * 1024) /* sendfile is asked for at most this much at a time */
#define LINGER_MS    1000          /* a closing connection's input is read this long... */
#define LINGER_MAX   (256 * 1024)  /* ...or up to this much */

static const char *root = ".";
static size_t root_len = 1;

struct conn {
	int fd;
	size_t len; /* bytes of buf received and not yet answered */
	char buf[HTTP_HEAD_MAX];
	struct http_request req;
	char out[4096];
	char path[4096 + HTTP_TARGET_MAX + 16];
};

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
	snprintf(c->path, sizeof c->path, "%s%s", root, req->path);
	int err = stat(c->path, st) ? errno : 0;
	if (!err && S_ISDIR(st->st_mode)) {
		size_t n = strlen(req->path);
		if (req->path[n - 1] != '/')
			return 301;
		if (n + 10 > HTTP_TARGET_MAX)
			return 404;
		strcpy(req->path + n, "index.html"); /* for the Content-Type */
		snprintf(c->path, sizeof c->path, "%s%s", root, req->path);
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

/* Answers the request in c->req. False when the connection must end. */
static int answer(struct conn *c)
{
	struct http_request *req = &c->req;
	if (req->status)
		return answer_error(c, req->status) && req->keep_alive;
	struct stat st;
	int status = find_file(c, &st);
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
 * closes, asks to close, idles for HTTP_IDLE_MS or errs. */
static void *serve_connection(void *arg)
{
	struct conn *c = arg;
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
		int r = poll(&p, 1, HTTP_IDLE_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
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
		}
		if (!c || pthread_create(&t, &attr, serve_connection, c)) {
			fprintf(stderr, "webserver-posix: no memory for a connection\n");
			free(c);
			close(fd);
		}
	}
}
