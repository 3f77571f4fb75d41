/* HTTP/1.1 for a static file server: parsing a request head, choosing the answer for a file
 * (200, 206, 304, 416) and formatting response heads. Shared by examples/webserver (native, no
 * libc) and examples/webserver-posix (through symbolic links), so it uses no library at all:
 * each server does its own I/O and calls these on bytes in its buffers. */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX   8192  /* a request head (line and header fields) must fit in this */
#define HTTP_TARGET_MAX 2048  /* a longer request target is answered 414 */
#define HTTP_LOG_MAX    160   /* the access log shows this much of the request line */
#define HTTP_VALUE_MAX  64    /* Range, If-Range, If-Modified-Since values kept */
#define HTTP_IDLE_MS    15000 /* an idle keep-alive connection is closed after this */

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OTHER };

struct http_request {
	enum http_method method;
	int version_minor;              /* HTTP/1.0 or 1.1 */
	int keep_alive;                 /* the connection stays open after the answer */
	int status;                     /* 0, or the error to answer */
	const char *line;               /* the request line in the caller's buffer, for the log: */
	size_t line_len;                /* valid while the buffer is (line_len 0: none) */
	char path[HTTP_TARGET_MAX + 1]; /* the decoded path: starts with '/', no ".." segment */
	int64_t if_modified_since;      /* seconds since 1970, or -1 */
	char range[HTTP_VALUE_MAX];     /* the Range field's value, or "" */
	char if_range[HTTP_VALUE_MAX];  /* the If-Range field's value, or "" */
};

/* Looks for a complete request head at the start of buf (len bytes, in a buffer of cap bytes).
 * Returns 0 when more bytes are needed; otherwise the number of bytes the head takes, with req
 * filled in. A bad request gets req->status: 403 (a ".." segment) and 405 (another method) keep
 * the connection as the fields say; 400, 413, 414 and 505 end it (keep_alive 0), as does a head
 * that cannot fit in cap (431, or 414 in its request line), for which len is returned. */
size_t http_parse_request(const char *buf, size_t len, size_t cap, struct http_request *req);

/* What to send for a regular file of `size` bytes modified at `mtime` (seconds since 1970):
 * status 200 (all of it), 206 (bytes first .. first + count - 1), 304 or 416 (no body). */
struct http_answer {
	int status;
	uint64_t first, count;
};
void http_choose_answer(const struct http_request *req, uint64_t size, int64_t mtime,
                        struct http_answer *ans);

/* Formats the head of the answer for the file at req->path into out (cap bytes, 512 are
 * plenty): Content-Type from the path's extension, Content-Length, Last-Modified, Accept-Ranges,
 * Content-Range for 206 and 416, Connection. Returns its length. */
size_t http_file_head(char *out, size_t cap, const struct http_request *req,
                      const struct http_answer *ans, uint64_t size, int64_t mtime);

/* http_file_head in two pieces, so that a server can keep the first for the next request: the
 * fields but Connection, then Connection (keep-alive or close) and the empty line that ends the
 * head. */
size_t http_file_fields(char *out, size_t cap, const struct http_request *req,
                        const struct http_answer *ans, uint64_t size, int64_t mtime);
size_t http_head_end(char *out, size_t cap, int keep_alive);

/* Formats a whole error or redirect answer (a short HTML body, none for HEAD) into out (cap
 * bytes, 1024 are plenty; longer locations are cut). location is for 301, else NULL. Returns its
 * length; *body_len gets the body's size for the log. */
size_t http_error_answer(char *out, size_t cap, const struct http_request *req, int status,
                         const char *location, uint64_t *body_len);

/* Formats the access-log line: the request line, status and body bytes sent, and the core or
 * thread that served it. Returns its length (with the '\n'). */
size_t http_log_line(char *out, size_t cap, const struct http_request *req, int status,
                     uint64_t bytes, unsigned core);

/* RFC 9110 dates (IMF-fixdate): seconds since 1970 to the 29-character text, and back (-1 for
 * text that is not one). */
void http_format_date(char out[30], int64_t t);
int64_t http_parse_date(const char *s);

/* The media type for a path, from its extension. */
const char *http_content_type(const char *path);

#endif
