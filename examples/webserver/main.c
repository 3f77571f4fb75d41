/* Toro's StaticWebServer on the native API: serves the files of the machine's share over
 * HTTP/1.1 on a vsock port (the host reaches it through `--forward`). The accept loop runs on
 * core 0 and gives each connection a thread on the next core in turn; http.c does the protocol.
 * `toro run build/examples/webserver.elf -d ./www -f 4000:80` serves ./www on localhost:4000;
 * `-- --no-log` leaves out the access log. */
#include <toro/console.h>
#include <toro/file.h>
#include <toro/memory.h>
#include <toro/socket.h>
#include <toro/system.h>
#include <toro/thread.h>

#include "http.h"

#define DEFAULT_PORT 80
#define BACKLOG      128
#define CHUNK        (64 * 1024) /* a file is sent in pieces of this size */
#define ERR_ACCESS   13          /* Linux's EACCES, which include/toro/file.h does not name */

struct conn {
	toro_socket *sock;
	size_t len; /* bytes of buf received and not yet answered */
	char buf[HTTP_HEAD_MAX];
	struct http_request req;
	char out[CHUNK]; /* a response head, then file data */
};

/* Sends len bytes of the connection's out buffer; false once the client is gone. */
static int send_out(struct conn *c, size_t len)
{
	return toro_send(c->sock, c->out, len, 0) == (long)len;
}

/* The access log, a line per request on the console; --no-log turns it off (benchmarks). */
static int access_log = 1;

static void log_request(const struct http_request *req, int status, uint64_t bytes)
{
	if (!access_log)
		return;
	char line[HTTP_LOG_MAX + 64];
	toro_write(line, http_log_line(line, sizeof line, req, status, bytes, toro_core_id()));
}

/* Finds the regular file req->path names, index.html for a directory (whose name then ends in
 * '/'; one that does not gets a redirect). Returns 0 with *st, or the status to answer: 301,
 * 403, 404 or 500. */
static int find_file(struct http_request *req, struct toro_stat *st)
{
	int err = toro_stat(req->path, st);
	if (!err && (st->mode & TORO_S_IFMT) == TORO_S_IFDIR) {
		size_t n = 0;
		while (req->path[n])
			n++;
		if (req->path[n - 1] != '/')
			return 301;
		const char *index = "index.html";
		if (n + 10 > HTTP_TARGET_MAX)
			return 404;
		for (size_t i = 0; i <= 10; i++)
			req->path[n + i] = index[i];
		err = toro_stat(req->path, st);
	}
	if (err == -TORO_ENOENT || err == -TORO_ENOTDIR || err == -TORO_ENAMETOOLONG)
		return 404;
	if (err == -TORO_EPERM || err == -ERR_ACCESS)
		return 403;
	if (err)
		return 500;
	/* Only regular files: not the kernel's /dev nodes, which never end. */
	return (st->mode & TORO_S_IFMT) == TORO_S_IFREG ? 0 : 404;
}

/* Answers an error or a redirect. False if the client is gone. */
static int answer_error(struct conn *c, int status)
{
	char location[HTTP_TARGET_MAX + 2];
	const char *where = 0;
	if (status == 301) {
		size_t n = 0;
		for (; c->req.path[n]; n++)
			location[n] = c->req.path[n];
		location[n] = '/';
		location[n + 1] = 0;
		where = location;
	}
	uint64_t body;
	size_t len = http_error_answer(c->out, sizeof c->out, &c->req, status, where, &body);
	log_request(&c->req, status, body);
	return send_out(c, len);
}

/* Answers the request in c->req. False when the connection must end: the client is gone, or
 * the answer could not be completed. */
static int answer(struct conn *c)
{
	struct http_request *req = &c->req;
	if (req->status)
		return answer_error(c, req->status) && req->keep_alive;
	struct toro_stat st;
	int status = find_file(req, &st);
	toro_file *f = 0;
	if (!status && toro_file_open(req->path, TORO_O_RDONLY, 0, &f))
		status = 500;
	if (status)
		return answer_error(c, status) && req->keep_alive;

	struct http_answer ans;
	http_choose_answer(req, st.size, st.mtime_sec, &ans);
	size_t head = http_file_head(c->out, sizeof c->out, req, &ans, st.size, st.mtime_sec);
	uint64_t left = req->method == HTTP_HEAD ? 0 : ans.count, offset = ans.first;
	size_t fill = head;
	int ok = 1;
	/* The head goes out with the first piece of the file; large files go in CHUNK pieces, so
	 * memory stays the same whatever their size. */
	do {
		size_t want = sizeof c->out - fill;
		if (want > left)
			want = (size_t)left;
		long n = want ? toro_file_pread(f, c->out + fill, want, (int64_t)offset) : 0;
		if (n < 0 || (want && n == 0)) { /* a read error, or the file shrank */
			ok = 0;
			break;
		}
		offset += (uint64_t)n;
		left -= (uint64_t)n;
		if (!send_out(c, fill + (size_t)n)) {
			ok = 0;
			break;
		}
		fill = 0;
	} while (left);
	toro_file_close(f);
	uint64_t sent = (req->method == HTTP_HEAD ? 0 : ans.count) - left;
	log_request(req, ans.status, sent);
	return ok && req->keep_alive;
}

/* A connection's thread: answers requests in order (several may arrive in one piece, which is
 * pipelining) until the client closes, asks to close, idles for HTTP_IDLE_MS or errs. */
static void *serve_connection(void *arg)
{
	struct conn *c = arg;
	for (;;) {
		size_t used = http_parse_request(c->buf, c->len, sizeof c->buf, &c->req);
		if (used) {
			if (!answer(c))
				break;
			c->len -= used;
			for (size_t i = 0; i < c->len; i++)
				c->buf[i] = c->buf[used + i];
			continue;
		}
		struct toro_pollsock ps = {c->sock, TORO_POLLIN, 0};
		if (toro_poll(&ps, 1, (int64_t)HTTP_IDLE_MS * 1000000) <= 0)
			break;
		long n = toro_recv(c->sock, c->buf + c->len, sizeof c->buf - c->len, 0);
		if (n <= 0)
			break;
		c->len += (size_t)n;
	}
	toro_close(c->sock);
	toro_free(c);
	return 0;
}

/* Digits only, 1 .. 2^32 - 2 (vsock ports are 32-bit), else 0. */
static uint32_t parse_port(const char *s)
{
	uint64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 0xffffffffu)
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v < 0xffffffffu ? (uint32_t)v : 0;
}

static int is_no_log(const char *arg)
{
	const char *want = "--no-log";
	while (*arg && *arg == *want) {
		arg++;
		want++;
	}
	return *arg == *want;
}

int main(int argc, char **argv)
{
	uint32_t port = DEFAULT_PORT;
	if (argc > 1 && is_no_log(argv[1])) {
		access_log = 0;
		argc--;
		argv++;
	}
	if (argc > 2 || (argc == 2 && !(port = parse_port(argv[1])))) {
		toro_printf("usage: webserver [--no-log] [PORT]  (default %d)\n", DEFAULT_PORT);
		return 2;
	}
	toro_socket *listener;
	int err = toro_listen(port, BACKLOG, &listener);
	if (err) {
		toro_printf("webserver: cannot listen on port %u (%d)%s\n", port, err,
		            err == -TORO_ENODEV ? ": no vsock device, give toro run --forward"
		                                : "");
		return 1;
	}
	unsigned cores = toro_core_count(), next = 0;
	toro_printf("listening on port %u, %u cores\n", port, cores);
	for (;;) {
		toro_socket *s;
		err = toro_accept(listener, &s, 0);
		if (err) {
			toro_printf("webserver: accept failed (%d)\n", err);
			toro_sleep_ms(10);
			continue;
		}
		struct conn *c = toro_malloc(sizeof *c);
		toro_thread *t = 0;
		if (c) {
			c->sock = s;
			c->len = 0;
			t = toro_thread_create(next, serve_connection, c, 0);
			next = (next + 1) % cores;
		}
		if (!t) {
			toro_printf("webserver: out of memory, connection refused\n");
			if (c)
				toro_free(c);
			toro_close(s);
			continue;
		}
		toro_thread_detach(t);
	}
}
