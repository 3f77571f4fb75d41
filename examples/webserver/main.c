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

/* Sends len bytes at p; false once the client is gone. */
static int send_bytes(struct conn *c, const char *p, size_t len)
{
	return toro_send(c->sock, p, len, 0) == (long)len;
}

/* Sends len bytes of the connection's out buffer. */
static int send_out(struct conn *c, size_t len)
{
	return send_bytes(c, c->out, len);
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
 * '/'; one that does not gets a redirect). Returns 0 with *st and *until (toro_stat_until's), or
 * the status to answer: 301, 403, 404 or 500. */
static int find_file(struct http_request *req, struct toro_stat *st, uint64_t *until)
{
	int err = toro_stat_until(req->path, st, until);
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
		err = toro_stat_until(req->path, st, until);
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

/* --- the cache of small files ----------------------------------------------------------------
 * Each core keeps its last CACHE_ENTRIES small files (CACHE_FILE_MAX bytes or less): the request
 * path, the file it named (index.html for a directory), the file's inode, size and mtime when it
 * was read, and the 200 answer to a keep-alive request, head and contents in one piece, which is
 * sent from the entry (the head's fields alone serve other answers). An entry is
 * used only if inode, size and mtime (to the nanosecond) are still those it was read with, so a
 * changed file is never served stale once its new mtime or size is visible to stat. Until the
 * time toro_stat_until gave (on a read-only share, while the kernel would not ask the host
 * again) a stat could only say the same, so none is made: a request for a cached path then
 * costs no call but the send; after it, one stat. Only threads of the core touch its cache and
 * the scheduler is cooperative, so no lock is needed: an entry being filled is marked busy
 * across the reads that may block, one being sent from counts its senders, and neither is
 * taken for another file. */
#define CACHE_ENTRIES  8
#define CACHE_FILE_MAX (16 * 1024)
#define CACHE_PATH_MAX 256
#define CACHE_HEAD_MAX 512
#define CACHE_CORES    64 /* cores beyond this serve without a cache */

struct cached {
	int busy;                  /* being filled: not to be used or taken */
	unsigned senders;          /* sends from it under way: not to be taken */
	size_t key_len;            /* 0: empty */
	char key[CACHE_PATH_MAX];  /* the request's path */
	char file[CACHE_PATH_MAX]; /* the file it named */
	size_t file_len;
	struct toro_stat st; /* the file's, when read */
	uint64_t until;      /* toro_time_ns() before which st needs no new stat */
	/* The 200 answer's head for a keep-alive request, head_len bytes ending at
	 * mem + CACHE_HEAD_MAX, where the contents start (st.size bytes); its first fields_len
	 * bytes are the fields before Connection. */
	size_t head_len, fields_len;
	char mem[CACHE_HEAD_MAX + CACHE_FILE_MAX];
};

static const char *cached_head(const struct cached *e)
{
	return e->mem + CACHE_HEAD_MAX - e->head_len;
}

struct cache {
	unsigned next; /* the entry to take next */
	struct cached e[CACHE_ENTRIES];
};

static struct cache *caches[CACHE_CORES];

static size_t text_len(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* The calling core's cache, made on its first use; NULL when there is none. */
static struct cache *core_cache(void)
{
	unsigned core = toro_core_id();
	if (core >= CACHE_CORES)
		return 0;
	if (!caches[core]) {
		struct cache *k = toro_malloc(sizeof *k);
		if (!k)
			return 0;
		k->next = 0;
		for (unsigned i = 0; i < CACHE_ENTRIES; i++)
			k->e[i].busy = 0, k->e[i].senders = 0, k->e[i].key_len = 0;
		caches[core] = k;
	}
	return caches[core];
}

static int same_file(const struct toro_stat *a, const struct toro_stat *b)
{
	return a->ino == b->ino && a->size == b->size && a->mtime_sec == b->mtime_sec &&
	       a->mtime_nsec == b->mtime_nsec && a->mode == b->mode;
}

/* The entry for req->path (len bytes) whose file is unchanged, or NULL; a changed one is
 * dropped. */
static struct cached *cache_find(struct cache *k, const struct http_request *req, size_t len)
{
	for (unsigned i = 0; i < CACHE_ENTRIES; i++) {
		struct cached *e = &k->e[i];
		if (e->busy || e->key_len != len || __builtin_memcmp(e->key, req->path, len))
			continue;
		if (toro_time_ns() < e->until)
			return e;
		/* The stat may block and let another thread of the core take the entry: what it
		 * looks at is a copy, and the entry is checked again after. */
		char file[CACHE_PATH_MAX];
		struct toro_stat st, was = e->st;
		uint64_t until;
		__builtin_memcpy(file, e->file, e->file_len + 1);
		int err = toro_stat_until(file, &st, &until);
		if (e->busy || e->key_len != len || __builtin_memcmp(e->key, req->path, len) ||
		    !same_file(&was, &e->st))
			return 0;
		if (err || !same_file(&st, &e->st)) {
			e->key_len = 0;
			return 0;
		}
		e->until = until;
		return e;
	}
	return 0;
}

/* Reads the regular file req->path (as find_file left it, with *st and until) into an entry
 * keyed on key[0..key_len). Returns the entry, or NULL when the file is not one to keep or did
 * not read whole and unchanged. */
static struct cached *cache_fill(struct cache *k, const char *key, size_t key_len,
                                 const struct http_request *req, const struct toro_stat *st,
                                 uint64_t until)
{
	size_t file_len = text_len(req->path);
	if (st->size > CACHE_FILE_MAX || key_len >= CACHE_PATH_MAX || file_len >= CACHE_PATH_MAX)
		return 0;
	struct cached *e = 0;
	for (unsigned i = 0; i < CACHE_ENTRIES && !e; i++) {
		struct cached *t = &k->e[(k->next + i) % CACHE_ENTRIES];
		if (!t->busy && !t->senders)
			e = t;
	}
	if (!e)
		return 0;
	k->next = (unsigned)(e - k->e + 1) % CACHE_ENTRIES;
	e->busy = 1;
	e->key_len = 0;
	toro_file *f = 0;
	struct toro_stat after;
	int ok = !toro_file_open(req->path, TORO_O_RDONLY, 0, &f);
	if (ok) {
		long n = st->size ? toro_file_pread(f, e->mem + CACHE_HEAD_MAX, st->size, 0) : 0;
		/* Whole, and the file unchanged while it was read. */
		ok = n == (long)st->size && !toro_file_stat(f, &after) && same_file(&after, st);
		toro_file_close(f);
	}
	e->busy = 0;
	if (!ok)
		return 0;
	__builtin_memcpy(e->key, key, key_len);
	e->key_len = key_len;
	__builtin_memcpy(e->file, req->path, file_len + 1);
	e->file_len = file_len;
	e->st = *st;
	e->until = until;
	struct http_answer all = {200, 0, st->size};
	char head[CACHE_HEAD_MAX];
	e->fields_len = http_file_fields(head, sizeof head, req, &all, st->size, st->mtime_sec);
	e->head_len =
	    e->fields_len + http_head_end(head + e->fields_len, sizeof head - e->fields_len, 1);
	__builtin_memcpy(e->mem + CACHE_HEAD_MAX - e->head_len, head, e->head_len);
	return e;
}

/* Answers the request from a cache entry, as answer() would from the file. The log's console
 * write may block too: the entry is counted as sent from, or copied, before it. */
static int answer_cached(struct conn *c, struct cached *e)
{
	struct http_request *req = &c->req;
	struct http_answer ans;
	http_choose_answer(req, e->st.size, e->st.mtime_sec, &ans);
	uint64_t body = req->method == HTTP_HEAD ? 0 : ans.count;
	if (ans.status == 200 && req->keep_alive) { /* as kept: sent from the entry */
		e->senders++;
		log_request(req, ans.status, body);
		int ok = send_bytes(c, cached_head(e), e->head_len + body);
		e->senders--;
		return ok;
	}
	size_t len;
	if (ans.status == 200) {
		__builtin_memcpy(c->out, cached_head(e), e->fields_len);
		len = e->fields_len;
	} else {
		__builtin_memcpy(req->path, e->file, e->file_len + 1); /* its Content-Type */
		len =
		    http_file_fields(c->out, sizeof c->out, req, &ans, e->st.size, e->st.mtime_sec);
	}
	len += http_head_end(c->out + len, sizeof c->out - len, req->keep_alive);
	__builtin_memcpy(c->out + len, e->mem + CACHE_HEAD_MAX + ans.first, body);
	log_request(req, ans.status, body);
	return send_out(c, len + body) && req->keep_alive;
}

/* Answers the request in c->req. False when the connection must end: the client is gone, or
 * the answer could not be completed. */
static int answer(struct conn *c)
{
	struct http_request *req = &c->req;
	if (req->status)
		return answer_error(c, req->status) && req->keep_alive;
	struct cache *k = core_cache();
	size_t key_len = text_len(req->path);
	char key[CACHE_PATH_MAX];
	if (k && key_len < CACHE_PATH_MAX) {
		struct cached *e = cache_find(k, req, key_len);
		if (e)
			return answer_cached(c, e);
		__builtin_memcpy(key, req->path, key_len);
	}
	struct toro_stat st;
	uint64_t until;
	int status = find_file(req, &st, &until);
	if (!status && k && key_len < CACHE_PATH_MAX) {
		struct cached *e = cache_fill(k, key, key_len, req, &st, until);
		if (e)
			return answer_cached(c, e);
	}
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
 * pipelining) until the client closes, asks to close, idles for HTTP_IDLE_MS (the socket's
 * receive timeout) or errs. */
static void *serve_connection(void *arg)
{
	struct conn *c = arg;
	toro_set_recv_timeout(c->sock, (uint64_t)HTTP_IDLE_MS * 1000000);
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
		long n = toro_recv(c->sock, c->buf + c->len, sizeof c->buf - c->len, 0);
		if (n <= 0) /* the end, an error, or idle (-TORO_EAGAIN) */
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
