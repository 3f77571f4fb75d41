/* The web servers' HTTP code (examples/webserver/http.c) on its own, with ASan and UBSan: request
 * heads complete, incomplete and pipelined; every error status the parser gives; ".." in each
 * spelling refused; dates both ways; the answer chosen for If-Modified-Since and each Range
 * form (RFC 9110 §13.1.3, §14.1.2); and the heads formatted. */
// SOURCES: examples/webserver/http.c
#include "../../examples/webserver/http.h"

#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>

#include "check.h"

static struct http_request req;

/* Parses text as a whole buffer; returns what http_parse_request returned. */
static size_t parse(const char *text)
{
	return http_parse_request(text, strlen(text), HTTP_HEAD_MAX, &req);
}

static int status_of(const char *text)
{
	return parse(text) ? req.status : -1;
}

static void test_requests(void)
{
	const char *two = "GET /a%20b.html?x=1 HTTP/1.1\r\nHost: t\r\nRange: bytes=1-2\r\n\r\n"
	                  "HEAD / HTTP/1.0\r\n\r\n";
	size_t first = parse(two);
	CHECK(first == strlen(two) - strlen("HEAD / HTTP/1.0\r\n\r\n"));
	CHECK(req.status == 0 && req.method == HTTP_GET && req.keep_alive);
	CHECK_STR(req.path, "/a b.html");
	CHECK_STR(req.range, "bytes=1-2");
	CHECK(http_parse_request(two + first, strlen(two + first), HTTP_HEAD_MAX, &req) ==
	      strlen(two + first));
	CHECK(req.status == 0 && req.method == HTTP_HEAD && !req.keep_alive); /* 1.0 closes */
	CHECK(req.line_len == 15 && memcmp(req.line, "HEAD / HTTP/1.0", 15) == 0);

	CHECK(parse("GET / HTTP/1.1\r\nHost: t\r\n") == 0);                  /* no empty line yet */
	CHECK(parse("GET / HTTP/1.1\nHost: t\n\n") != 0 && req.status == 0); /* bare LF */
	CHECK(parse("GET / HTTP/1.1\r\nHost: t\r\nConnection: Close\r\n\r\n") && !req.keep_alive);
	CHECK(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") && req.keep_alive);

	CHECK(status_of("GET /../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n") == 403);
	CHECK(req.keep_alive);
	CHECK(status_of("GET /%2e%2E/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n") == 403);
	CHECK(!req.keep_alive); /* the fields are read after a 403 */
	CHECK(status_of("GET /a/.%2e HTTP/1.1\r\nHost: t\r\n\r\n") == 403);
	CHECK(status_of("GET /a%2f..%2fb HTTP/1.1\r\nHost: t\r\n\r\n") == 403);
	CHECK(status_of("GET /..a/b. HTTP/1.1\r\nHost: t\r\n\r\n") == 0); /* names, not ".." */
	CHECK(status_of("POST / HTTP/1.1\r\nHost: t\r\n\r\n") == 405);
	CHECK(status_of("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\n") == 413);
	CHECK(status_of("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n") == 0);
	CHECK(status_of("GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n") == 413);
	CHECK(status_of("GET / HTTP/1.1\r\n\r\n") == 400);               /* no Host */
	CHECK(status_of("GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n") == 400); /* bad escape */
	CHECK(status_of("GET /%00 HTTP/1.1\r\nHost: t\r\n\r\n") == 400); /* NUL */
	CHECK(status_of("GET /% HTTP/1.1\r\nHost: t\r\n\r\n") == 400);   /* cut escape */
	CHECK(status_of("GET x HTTP/1.1\r\nHost: t\r\n\r\n") == 400);    /* not a path */
	CHECK(status_of("GET / HTTP/1.1\r\n Host: t\r\n\r\n") == 400);   /* folding */
	CHECK(status_of("GET / HTTP/1.1\r\nNo colon\r\n\r\n") == 400);
	CHECK(status_of("G(T / HTTP/1.1\r\nHost: t\r\n\r\n") == 400);
	CHECK(status_of("GET / HTTP/2.0\r\nHost: t\r\n\r\n") == 505);
	CHECK(status_of("GET / FTP/1.1\r\nHost: t\r\n\r\n") == 400);
	CHECK(!req.keep_alive);

	static char big[HTTP_HEAD_MAX];
	memset(big, 'a', sizeof big);
	memcpy(big, "GET /", 5);
	CHECK(http_parse_request(big, sizeof big, sizeof big, &req) == sizeof big);
	CHECK(req.status == 414 && !req.keep_alive);
	static char target[HTTP_TARGET_MAX + 64];
	snprintf(target, sizeof target, "GET /%0*d HTTP/1.1\r\nHost: t\r\n\r\n", HTTP_TARGET_MAX,
	         0);
	CHECK(status_of(target) == 414);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	CHECK(http_parse_request(big, sizeof big, sizeof big, &req) == sizeof big);
	CHECK(req.status == 431);
}

/* The request line's checks and decoding as separate passes, as RFC 9112 and RFC 3986 read: the
 * model the one-pass parser is compared with. Returns the status; path as decoded. */
static int model_status(const char *s, size_t n, char *path)
{
	size_t sp1 = 0, sp2;
	while (sp1 < n && s[sp1] != ' ')
		sp1++;
	for (sp2 = sp1 + 1; sp2 < n && s[sp2] != ' ';)
		sp2++;
	if (sp1 == 0 || sp2 >= n)
		return 400;
	for (size_t i = 0; i < sp1; i++)
		if (!strchr("!#$%&'*+-.^_`|~", s[i]) && !(s[i] > 0 && isalnum((unsigned char)s[i])))
			return 400;
	const char *t = s + sp1 + 1, *v = s + sp2 + 1;
	size_t tn = sp2 - sp1 - 1;
	for (size_t i = 0; i < tn; i++)
		if ((unsigned char)t[i] <= ' ' || (unsigned char)t[i] >= 127)
			return 400;
	if (n - sp2 - 1 != 8 || strncasecmp(v, "HTTP/", 5) || !isdigit((unsigned char)v[5]) ||
	    v[6] != '.' || !isdigit((unsigned char)v[7]))
		return 400;
	if (v[5] != '1')
		return 505;
	if (tn > HTTP_TARGET_MAX)
		return 414;
	if (tn == 0 || t[0] != '/')
		return 400;
	size_t len = 0;
	for (size_t i = 0; i < tn && t[i] != '?' && t[i] != '#'; i++) {
		unsigned hi, lo;
		char c = t[i];
		if (c == '%') {
			if (i + 2 >= tn || !isxdigit((unsigned char)t[i + 1]) ||
			    !isxdigit((unsigned char)t[i + 2]))
				return 400;
			sscanf((char[]){t[i + 1], 0}, "%x", &hi);
			sscanf((char[]){t[i + 2], 0}, "%x", &lo);
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == 0)
			return 400;
		path[len++] = c;
	}
	path[len] = 0;
	for (char *p = path; (p = strstr(p, "/..")); p++)
		if (p[3] == '/' || p[3] == 0)
			return 403;
	return 0;
}

/* Request lines made of the pieces that matter to the parser, each parsed as a whole request
 * and compared with the model. */
static void test_request_lines(void)
{
	static const char *const methods[] = {"GET", "HEAD", "POST", "G(T", "", "GET "};
	static const char *const versions[] = {"HTTP/1.1", "HTTP/1.0",  "HTTP/2.0", "http/1.1",
	                                       "HTTP/1.x", "HTTP/1.1 ", "HTTP/1"};
	static const char *const pieces[] = {"/",   ".",   "..", "%2e",  "%2E", "%2f", "%2F",
	                                     "%41", "%3f", "a",  "?",    "#",   "%00", "%4",
	                                     "%",   "%zz", "\t", "\200", " ",   "\001"};
	unsigned seed = 1;
	for (int round = 0; round < 100000; round++) {
		char text[160], line[128], target[64], path[64];
		size_t tn = 0;
		seed = seed * 1103515245 + 12345;
		size_t pick = seed >> 16;
		size_t want = pick % 7;
		for (size_t k = 0; k < want; k++) {
			seed = seed * 1103515245 + 12345;
			size_t r = seed >> 16;
			const char *piece = pieces[r % 8 ? r % 12 : r % 20]; /* bad ones seldom */
			tn += (size_t)snprintf(target + tn, sizeof target - tn, "%s", piece);
		}
		target[tn] = 0;
		if (pick / 7 % 4 && tn)
			target[0] = '/';
		snprintf(line, sizeof line, "%s %s %s", methods[pick / 28 % 6], target,
		         versions[pick / 168 % 7]);
		snprintf(text, sizeof text, "%s\r\nHost: t\r\n\r\n", line);
		int want_status = model_status(line, strlen(line), path);
		if (want_status == 0 && strncmp(line, "GET ", 4) && strncmp(line, "HEAD ", 5))
			want_status = 405;
		CHECK(parse(text) == strlen(text));
		if (req.status != want_status) {
			printf("\"%s\": status %d, want %d\n", line, req.status, want_status);
			CHECK(req.status == want_status);
		}
		if (!want_status || want_status == 403 || want_status == 405)
			CHECK_STR(req.path, path);
		CHECK(req.line_len == strlen(line));
	}
}

static void test_dates(void)
{
	char text[30];
	http_format_date(text, 784111777);
	CHECK_STR(text, "Sun, 06 Nov 1994 08:49:37 GMT"); /* RFC 9110's example */
	http_format_date(text, 0);
	CHECK_STR(text, "Thu, 01 Jan 1970 00:00:00 GMT");
	http_format_date(text, 951782400); /* a leap day of a year divisible by 400 */
	CHECK_STR(text, "Tue, 29 Feb 2000 00:00:00 GMT");
	CHECK(http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
	CHECK(http_parse_date("Tue, 29 Feb 2000 00:00:00 GMT") == 951782400);
	CHECK(http_parse_date("Sunday, 06-Nov-94 08:49:37 GMT") == -1); /* RFC 850: ignored */
	CHECK(http_parse_date("Sun, 06 Xyz 1994 08:49:37 GMT") == -1);
	CHECK(http_parse_date("Sun, 06 Nov 1994 25:49:37 GMT") == -1);
	CHECK(http_parse_date("") == -1);
	for (int64_t t = 0; t < 4102444800; t += 86399 * 37) {
		http_format_date(text, t);
		CHECK(http_parse_date(text) == t);
	}
}

/* The answer for a 1000-byte file modified at time 5000, for a request with these fields. */
static struct http_answer choose(const char *fields)
{
	char text[256];
	snprintf(text, sizeof text, "GET /f HTTP/1.1\r\nHost: t\r\n%s\r\n", fields);
	CHECK(parse(text) && req.status == 0);
	struct http_answer ans;
	http_choose_answer(&req, 1000, 5000, &ans);
	return ans;
}

static void test_answers(void)
{
	char date[30], field[80];
	struct http_answer a = choose("");
	CHECK(a.status == 200 && a.first == 0 && a.count == 1000);
	http_format_date(date, 5000);
	snprintf(field, sizeof field, "If-Modified-Since: %s\r\n", date);
	CHECK(choose(field).status == 304);
	http_format_date(date, 4999);
	snprintf(field, sizeof field, "If-Modified-Since: %s\r\n", date);
	CHECK(choose(field).status == 200);

	a = choose("Range: bytes=10-19\r\n");
	CHECK(a.status == 206 && a.first == 10 && a.count == 10);
	a = choose("Range: bytes=990-\r\n");
	CHECK(a.status == 206 && a.first == 990 && a.count == 10);
	a = choose("Range: bytes=500-5000\r\n");
	CHECK(a.status == 206 && a.first == 500 && a.count == 500);
	a = choose("Range: bytes=-100\r\n");
	CHECK(a.status == 206 && a.first == 900 && a.count == 100);
	a = choose("Range: bytes=-5000\r\n");
	CHECK(a.status == 206 && a.first == 0 && a.count == 1000);
	CHECK(choose("Range: bytes=1000-\r\n").status == 416);
	CHECK(choose("Range: bytes=-0\r\n").status == 416);
	CHECK(choose("Range: bytes=0-1,5-6\r\n").status == 200); /* several: the whole file */
	CHECK(choose("Range: bytes=9-3\r\n").status == 200);     /* invalid: ignored */
	CHECK(choose("Range: items=0-1\r\n").status == 200);
	CHECK(choose("Range: bytes=99999999999999999999999-\r\n").status == 200);
	http_format_date(date, 5000);
	snprintf(field, sizeof field, "Range: bytes=0-0\r\nIf-Range: %s\r\n", date);
	CHECK(choose(field).status == 206);
	CHECK(choose("Range: bytes=0-0\r\nIf-Range: \"etag\"\r\n").status == 200);
}

static void test_heads(void)
{
	char out[1024];
	CHECK(parse("GET /docs/a.CSS HTTP/1.1\r\nHost: t\r\n\r\n"));
	struct http_answer ans = {206, 10, 10};
	size_t n = http_file_head(out, sizeof out, &req, &ans, 1000, 784111777);
	CHECK(n == strlen(out));
	CHECK(strstr(out, "HTTP/1.1 206 Partial Content\r\n") == out);
	CHECK(strstr(out, "\r\nContent-Type: text/css\r\n"));
	CHECK(strstr(out, "\r\nContent-Length: 10\r\n"));
	CHECK(strstr(out, "\r\nContent-Range: bytes 10-19/1000\r\n"));
	CHECK(strstr(out, "\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
	CHECK(strstr(out, "\r\nConnection: keep-alive\r\n\r\n"));
	/* The same head in the two pieces a server caches the first of. */
	char pieces[1024];
	size_t fields = http_file_fields(pieces, sizeof pieces, &req, &ans, 1000, 784111777);
	CHECK(!strstr(pieces, "Connection:") && fields > 0);
	CHECK(fields + http_head_end(pieces + fields, sizeof pieces - fields, req.keep_alive) == n);
	CHECK(strcmp(pieces, out) == 0);

	uint64_t body;
	CHECK(parse("PUT /x HTTP/1.1\r\nHost: t\r\n\r\n") && req.status == 405);
	n = http_error_answer(out, sizeof out, &req, 405, NULL, &body);
	CHECK(strstr(out, "\r\nAllow: GET, HEAD\r\n"));
	CHECK(body > 0 && strcmp(out + n - body, "") != 0 && strstr(out + n - body, "405"));
	CHECK(parse("HEAD /docs HTTP/1.1\r\nHost: t\r\n\r\n"));
	n = http_error_answer(out, sizeof out, &req, 301, "/docs/", &body);
	CHECK(body == 0 && strstr(out, "\r\nLocation: /docs/\r\n"));
	CHECK(n >= 4 && strcmp(out + n - 4, "\r\n\r\n") == 0); /* HEAD: no body */

	CHECK_STR(http_content_type("/index.html"), "text/html; charset=utf-8");
	CHECK_STR(http_content_type("/x.tar.gz"), "application/gzip");
	CHECK_STR(http_content_type("/README"), "application/octet-stream");
	CHECK_STR(http_content_type("/dir.d/file"), "application/octet-stream");
	CHECK(http_log_line(out, sizeof out, &req, 301, 0, 3) == strlen(out));
	CHECK_STR(out, "\"HEAD /docs HTTP/1.1\" 301 0 core 3\n");
	/* What is not printable shows as '?', in the first eight bytes or later ones. */
	CHECK(status_of("GET /abcdefghij\001k\177\200 HTTP/1.1\r\nHost: t\r\n\r\n") == 400);
	http_log_line(out, sizeof out, &req, 400, 0, 0);
	CHECK_STR(out, "\"GET /abcdefghij?k?? HTTP/1.1\" 400 0 core 0\n");
	CHECK(status_of("G\tT / HTTP/1.1\r\nHost: t\r\n\r\n") == 400);
	http_log_line(out, sizeof out, &req, 400, 0, 0);
	CHECK_STR(out, "\"G?T / HTTP/1.1\" 400 0 core 0\n");
	/* A long request line is cut at HTTP_LOG_MAX bytes. */
	char longer[HTTP_LOG_MAX + 64];
	snprintf(longer, sizeof longer, "GET /%0*d HTTP/1.1\r\nHost: t\r\n\r\n", HTTP_LOG_MAX, 0);
	CHECK(status_of(longer) == 0);
	CHECK(http_log_line(out, sizeof out, &req, 200, 5, 1) ==
	      1 + HTTP_LOG_MAX + strlen("\" 200 5 core 1\n"));
	CHECK(memcmp(out + 1, longer, HTTP_LOG_MAX) == 0);
}

int main(void)
{
	test_requests();
	test_request_lines();
	test_dates();
	test_answers();
	test_heads();
	return check_summary("http");
}
