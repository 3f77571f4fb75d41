/* HTTP/1.1 request parsing and response heads for the static file servers (http.h). RFC 9110
 * (semantics: methods, conditional requests, ranges) and RFC 9112 (message syntax). No library
 * calls: the native server has no libc. */
#include "http.h"

/* --- small string helpers ------------------------------------------------------------------ */

static size_t text_len(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* a[0..n) equals the NUL-terminated b, ignoring case. */
static int same_nocase(const char *a, size_t n, const char *b)
{
	for (size_t i = 0; i < n; i++)
		if (!b[i] || lower(a[i]) != lower(b[i]))
			return 0;
	return b[n] == 0;
}

/* The field name s[0..n) is the literal name, ignoring case; the lengths are compared first. */
#define FIELD_IS(s, n, name) ((n) == sizeof(name) - 1 && same_nocase(s, n, name))

/* The token `word` appears in the comma-separated list v[0..n) (Connection's value). */
static int list_has(const char *v, size_t n, const char *word)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t start = i;
		while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
			i++;
		if (i > start && same_nocase(v + start, i - start, word))
			return 1;
	}
	return 0;
}

/* Appending to a buffer that never overflows: what does not fit is dropped. */
struct out {
	char *p;
	size_t len, cap;
};

/* Appends s[0..n). memcpy is one call a piece, not a loop a byte: GCC expects it in every
 * freestanding environment, and the native server has the kernel's (kernel/lib/memcpy.c). */
static void put_n(struct out *o, const char *s, size_t n)
{
	if (n > o->cap - 1 - o->len)
		n = o->cap - 1 - o->len;
	__builtin_memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = 0;
}

static void put(struct out *o, const char *s)
{
	put_n(o, s, text_len(s));
}

/* A string literal, its length known when compiling. */
#define PUT_LITERAL(o, literal) put_n(o, literal, sizeof(literal) - 1)

static void put_u64(struct out *o, uint64_t v)
{
	char digits[20];
	size_t n = sizeof digits;
	do
		digits[--n] = (char)('0' + v % 10);
	while ((v /= 10));
	put_n(o, digits + n, sizeof digits - n);
}

static void copy_value(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = v[i];
	dst[n] = 0;
}

/* --- dates ---------------------------------------------------------------------------------- */

static const char weekdays[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 of a date in the proleptic Gregorian calendar (the count of days in
 * whole 400-year eras plus the day within the era, with years starting in March so that the
 * leap day is the era's last). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void put_2digits(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

void http_format_date(char out[30], int64_t t)
{
	if (t < 0)
		t = 0;
	int64_t days = t / 86400, secs = t % 86400, y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	if (y > 9999)
		y = 9999;
	/* "Sun, 06 Nov 1994 08:49:37 GMT" */
	const char *wd = weekdays[days % 7];
	out[0] = wd[0], out[1] = wd[1], out[2] = wd[2], out[3] = ',', out[4] = ' ';
	put_2digits(out + 5, d);
	out[7] = ' ';
	out[8] = months[m - 1][0], out[9] = months[m - 1][1], out[10] = months[m - 1][2];
	out[11] = ' ';
	put_2digits(out + 12, (unsigned)(y / 100));
	put_2digits(out + 14, (unsigned)(y % 100));
	out[16] = ' ';
	put_2digits(out + 17, (unsigned)(secs / 3600));
	out[19] = ':';
	put_2digits(out + 20, (unsigned)(secs / 60 % 60));
	out[22] = ':';
	put_2digits(out + 23, (unsigned)(secs % 60));
	out[25] = ' ', out[26] = 'G', out[27] = 'M', out[28] = 'T', out[29] = 0;
}

/* n decimal digits at s, or -1. */
static int64_t digits_at(const char *s, int n)
{
	int64_t v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int64_t http_parse_date(const char *s)
{
	/* Only IMF-fixdate, the form every current client sends; RFC 9110 §13.1.3 says an invalid
	 * date makes the condition be ignored, which -1 does. */
	if (text_len(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
	    s[16] != ' ' || s[19] != ':' || s[22] != ':' || !same_nocase(s + 25, 4, " GMT"))
		return -1;
	unsigned m = 0;
	while (m < 12 && !(s[8] == months[m][0] && s[9] == months[m][1] && s[10] == months[m][2]))
		m++;
	int64_t d = digits_at(s + 5, 2), y = digits_at(s + 12, 4), hh = digits_at(s + 17, 2),
	        mm = digits_at(s + 20, 2), ss = digits_at(s + 23, 2);
	if (m == 12 || d < 1 || d > 31 || y < 1970 || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
	    ss < 0 || ss > 60)
		return -1;
	return days_from_civil(y, m + 1, (unsigned)d) * 86400 + hh * 3600 + mm * 60 + ss;
}

/* --- the request ---------------------------------------------------------------------------- */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Sets of ASCII characters as a bit per character (bytes from 128 are in none). A method or a
 * field name is a token: letters, digits and !#$%&'*+-.^_`|~ (RFC 9110 §5.6.2). A plain path
 * byte is a visible character the decoding copies as it is: all but '%', '/', '?' and '#'. */
static const uint64_t token_chars[2] = {0x03ff6cfa00000000ull, 0x57ffffffc7fffffeull};
static const uint64_t plain_path_chars[2] = {0x7fff7fd600000000ull, 0x7fffffffffffffffull};

static int in_set(const uint64_t set[2], unsigned char c)
{
	return c < 128 && (set[c / 64] >> (c % 64) & 1);
}

static int is_token(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!in_set(token_chars, (unsigned char)s[i]))
			return 0;
	return 1;
}

/* The end of the line starting at s (the '\n'), or NULL if it is not in s[0..n). Eight bytes a
 * step: a word XOR '\n' in every byte has a zero byte where the '\n' is, and the lowest bit the
 * test sets is in the first such byte. */
static const char *line_end(const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, newlines = ones * '\n';
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v;
		__builtin_memcpy(&v, s + i, 8);
		v ^= newlines;
		uint64_t found = (v - ones) & ~v & (ones << 7);
		if (found)
			return s + i + __builtin_ctzll(found) / 8;
	}
	for (; i < n; i++)
		if (s[i] == '\n')
			return s + i;
	return 0;
}

/* The line s..nl without its '\r'. */
static size_t line_length(const char *s, const char *nl)
{
	size_t n = (size_t)(nl - s);
	return n && s[n - 1] == '\r' ? n - 1 : n;
}

/* The decoded path ends in a ".." segment: path[0..len) ends in "/..". */
static int ends_in_dotdot(const char *path, size_t len)
{
	return len >= 3 && path[len - 1] == '.' && path[len - 2] == '.' && path[len - 3] == '/';
}

/* The request line s[0..n), in one pass over the target that checks its bytes and decodes its
 * path (the query dropped) into req->path. Returns 0 or the status to answer, the first of: 400
 * (no method token, two spaces or version; a space, control or non-ASCII byte in the target),
 * 505 (not HTTP/1.x), 414 (a target over HTTP_TARGET_MAX bytes), 400 (a target not starting with
 * '/', a bad '%' escape or an escaped NUL) and 403 (a ".." segment in any spelling: %2e%2e and
 * %2f are plain dots and slashes once decoded; the share's own sandbox stands behind this). */
static int parse_request_line(const char *s, size_t n, struct http_request *req)
{
	req->line = s;
	req->line_len = n;
	size_t sp1;
	if (n > 4 && s[0] == 'G' && s[1] == 'E' && s[2] == 'T' && s[3] == ' ') {
		req->method = HTTP_GET;
		sp1 = 3;
	} else if (n > 5 && s[0] == 'H' && s[1] == 'E' && s[2] == 'A' && s[3] == 'D' &&
	           s[4] == ' ') {
		req->method = HTTP_HEAD;
		sp1 = 4;
	} else {
		req->method = HTTP_OTHER;
		for (sp1 = 0; sp1 < n && s[sp1] != ' ';)
			sp1++;
		if (!is_token(s, sp1))
			return 400;
	}
	if (sp1 >= n) /* no space */
		return 400;
	const char *t = s + sp1 + 1;
	size_t tn = n - sp1 - 1, i = 0, len = 0;
	char *path = req->path;
	/* The path, decoded as it is read, up to '?', '#' or the space, within HTTP_TARGET_MAX
	 * bytes of target: each byte gives one byte of path at most, so path has room. bad: the
	 * target is not a path or has a bad escape (400). */
	int bad = !tn || t[0] != '/', dotdot = 0, space = 0;
	size_t end = bad ? 0 : tn < HTTP_TARGET_MAX ? tn : HTTP_TARGET_MAX;
	for (; i < end; i++) {
		unsigned char c = (unsigned char)t[i];
		if ((unsigned)(c | 0x20) - 'a' < 26 || in_set(plain_path_chars, c)) {
			path[len++] = (char)c;
			continue;
		}
		if (c == ' ') {
			space = 1;
			break;
		}
		if (c <= ' ' || c >= 127)
			return 400;
		if (c == '?' || c == '#')
			break;
		if (c == '%') {
			int hi = i + 2 < tn ? hex_value(t[i + 1]) : -1;
			int lo = hi >= 0 ? hex_value(t[i + 2]) : -1;
			if (lo < 0 || (hi | lo) == 0) {
				bad = 1;
				break;
			}
			c = (unsigned char)(hi * 16 + lo);
			i += 2; /* two hex digits: visible bytes, nothing more to check */
		}
		if (c == '/' && ends_in_dotdot(path, len))
			dotdot = 1;
		path[len++] = (char)c;
	}
	path[len] = 0;
	/* The rest of the target (a query, or what was not decoded) is only checked. */
	for (; !space && i < tn; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c == ' ')
			break;
		if (c <= ' ' || c >= 127)
			return 400;
	}
	if (i == tn) /* no second space */
		return 400;
	const char *version = t + i + 1;
	size_t version_len = tn - i - 1;
	if (version_len != 8)
		return 400;
	if (!__builtin_memcmp(version, "HTTP/1.1", 8)) {
		req->version_minor = 1;
	} else {
		if (!same_nocase(version, 5, "HTTP/") || version[6] != '.' || version[5] < '0' ||
		    version[5] > '9' || version[7] < '0' || version[7] > '9')
			return 400;
		if (version[5] != '1')
			return 505;
		req->version_minor = version[7] - '0';
	}
	req->keep_alive = req->version_minor >= 1; /* 1.1 keeps the connection unless told not to */
	if (i > HTTP_TARGET_MAX)
		return 414;
	if (bad)
		return 400;
	return dotdot || ends_in_dotdot(path, len) ? 403 : 0;
}

/* One header field line; the fields the server acts on are kept. */
static int parse_field(const char *s, size_t n, struct http_request *req, int *has_host)
{
	size_t colon = 0;
	for (; colon < n; colon++) {
		unsigned char c = (unsigned char)s[colon];
		if ((unsigned)(c | 0x20) - 'a' >= 26 && c != '-' && !in_set(token_chars, c))
			break;
	}
	/* No colon, or whitespace before it or at the line's start (obsolete line folding). */
	if (colon == 0 || colon == n || s[colon] != ':')
		return 400;
	const char *v = s + colon + 1;
	size_t vn = n - colon - 1;
	while (vn && (*v == ' ' || *v == '\t'))
		v++, vn--;
	while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
		vn--;
	if (FIELD_IS(s, colon, "host"))
		*has_host = 1;
	else if (FIELD_IS(s, colon, "connection")) {
		if (list_has(v, vn, "close"))
			req->keep_alive = 0;
		else if (list_has(v, vn, "keep-alive"))
			req->keep_alive = 1;
	} else if (FIELD_IS(s, colon, "content-length")) {
		/* GET and HEAD carry no body; one announced is refused rather than read. */
		for (size_t i = 0; i < vn; i++)
			if (v[i] != '0')
				return 413;
	} else if (FIELD_IS(s, colon, "transfer-encoding")) {
		return 413;
	} else if (FIELD_IS(s, colon, "if-modified-since")) {
		char date[HTTP_VALUE_MAX];
		copy_value(date, sizeof date, v, vn);
		req->if_modified_since = http_parse_date(date);
	} else if (FIELD_IS(s, colon, "range")) {
		copy_value(req->range, sizeof req->range, v, vn);
	} else if (FIELD_IS(s, colon, "if-range")) {
		copy_value(req->if_range, sizeof req->if_range, v, vn);
	}
	return 0;
}

size_t http_parse_request(const char *buf, size_t len, size_t cap, struct http_request *req)
{
	if (len == 0)
		return 0;
	/* Empty lines before a request are allowed (RFC 9112 §2.2). */
	size_t skip = 0;
	while (skip < len && (buf[skip] == '\r' || buf[skip] == '\n'))
		skip++;
	const char *s = buf + skip, *end = buf + len;

	req->method = HTTP_OTHER;
	req->keep_alive = 0;
	req->version_minor = 0;
	req->status = 0;
	req->line = s;
	req->line_len = 0;
	req->path[0] = 0;
	req->if_modified_since = -1;
	req->range[0] = 0;
	req->if_range[0] = 0;

	/* One pass: each line is found once and parsed as it is found; the head is complete only
	 * with an empty line after the fields. The fields are read even after a 403 or 405 from
	 * the request line: those keep the connection, unless a field (Connection: close, a body)
	 * says otherwise. After a bad field the rest are only passed over. */
	const char *nl = line_end(s, (size_t)(end - s)), *p = 0;
	int has_host = 0, field_status = 0;
	if (nl) {
		req->status = parse_request_line(s, line_length(s, nl), req);
		for (const char *f = nl + 1; f < end;) {
			const char *fe = line_end(f, (size_t)(end - f));
			if (!fe)
				break;
			size_t fn = line_length(f, fe);
			if (fn == 0) {
				p = fe;
				break;
			}
			if (!field_status)
				field_status = parse_field(f, fn, req, &has_host);
			f = fe + 1;
		}
	}
	if (!p) {
		if (len < cap)
			return 0;
		/* The request line, or what came of it, for the log. */
		parse_request_line(s, nl ? line_length(s, nl) : (size_t)(end - s), req);
		req->status = nl ? 431 : 414;
		req->keep_alive = 0;
		return len;
	}
	if (field_status)
		req->status = field_status;
	/* RFC 9112 §3.2: a 1.1 request without Host is answered 400. */
	if (!req->status && !has_host && req->version_minor >= 1)
		req->status = 400;
	if (!req->status && req->method == HTTP_OTHER)
		req->status = 405;
	if (req->status && req->status != 403 && req->status != 405)
		req->keep_alive = 0;
	return (size_t)(p + 1 - buf);
}

/* --- answers -------------------------------------------------------------------------------- */

/* Parses decimal digits s[*i..) into *v; false if there are none or too many. */
static int parse_u64(const char *s, size_t *i, uint64_t *v)
{
	size_t start = *i;
	*v = 0;
	while (s[*i] >= '0' && s[*i] <= '9') {
		if (*v > (UINT64_MAX - 9) / 10)
			return 0;
		*v = *v * 10 + (uint64_t)(s[(*i)++] - '0');
	}
	return *i > start;
}

/* Range: bytes=FIRST-[LAST] or bytes=-SUFFIX (RFC 9110 §14.1.2). Returns 206 with the range,
 * 416 when it lies outside the file, or 200 when the field is to be ignored (another unit,
 * several ranges, bad syntax: §14.2 lets a server ignore those). */
static int choose_range(const char *r, uint64_t size, uint64_t *first, uint64_t *count)
{
	const char *unit = "bytes=";
	size_t i = 0;
	while (unit[i] && lower(r[i]) == unit[i])
		i++;
	if (unit[i])
		return 200;
	uint64_t a, b;
	if (r[i] == '-') {
		i++;
		if (!parse_u64(r, &i, &b) || r[i])
			return 200;
		if (b == 0 || size == 0)
			return 416;
		*count = b < size ? b : size;
		*first = size - *count;
		return 206;
	}
	if (!parse_u64(r, &i, &a) || r[i++] != '-')
		return 200;
	b = UINT64_MAX;
	if (r[i] && (!parse_u64(r, &i, &b) || b < a))
		return 200;
	if (r[i])
		return 200;
	if (a >= size)
		return 416;
	if (b >= size)
		b = size - 1;
	*first = a;
	*count = b - a + 1;
	return 206;
}

void http_choose_answer(const struct http_request *req, uint64_t size, int64_t mtime,
                        struct http_answer *ans)
{
	ans->status = 200;
	ans->first = 0;
	ans->count = size;
	/* RFC 9110 §13.2.2: If-Modified-Since before Range. */
	if (req->if_modified_since >= 0 && mtime <= req->if_modified_since) {
		ans->status = 304;
		ans->count = 0;
		return;
	}
	if (!req->range[0])
		return;
	/* If-Range with a date: the range only if the file is unchanged since (an entity tag never
	 * matches, as this server sends none). */
	if (req->if_range[0] && http_parse_date(req->if_range) != mtime)
		return;
	uint64_t first = 0, count = 0;
	ans->status = choose_range(req->range, size, &first, &count);
	if (ans->status == 206)
		ans->first = first, ans->count = count;
	else if (ans->status == 416)
		ans->count = 0;
	else
		ans->status = 200;
}

static const struct {
	int status;
	const char *reason;
} reasons[] = {
    {200, "OK"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {416, "Range Not Satisfiable"},
    {431, "Request Header Fields Too Large"},
    {505, "HTTP Version Not Supported"},
};

/* The reason phrase of a status; any other is a 500. */
static const char *reason(int status)
{
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Internal Server Error";
}

static void put_status_line(struct out *o, int status)
{
	PUT_LITERAL(o, "HTTP/1.1 ");
	put_u64(o, (uint64_t)status);
	PUT_LITERAL(o, " ");
	put(o, reason(status));
	PUT_LITERAL(o, "\r\nServer: toro-webserver\r\n");
}

static void put_connection(struct out *o, int keep_alive)
{
	if (keep_alive)
		PUT_LITERAL(o, "Connection: keep-alive\r\n\r\n");
	else
		PUT_LITERAL(o, "Connection: close\r\n\r\n");
}

size_t http_file_head(char *out, size_t cap, const struct http_request *req,
                      const struct http_answer *ans, uint64_t size, int64_t mtime)
{
	size_t n = http_file_fields(out, cap, req, ans, size, mtime);
	return n + http_head_end(out + n, cap - n, req->keep_alive);
}

size_t http_head_end(char *out, size_t cap, int keep_alive)
{
	struct out o = {out, 0, cap};
	put_connection(&o, keep_alive);
	return o.len;
}

size_t http_file_fields(char *out, size_t cap, const struct http_request *req,
                        const struct http_answer *ans, uint64_t size, int64_t mtime)
{
	struct out o = {out, 0, cap};
	char date[30];
	http_format_date(date, mtime);
	put_status_line(&o, ans->status);
	PUT_LITERAL(&o, "Last-Modified: ");
	put_n(&o, date, 29);
	PUT_LITERAL(&o, "\r\nAccept-Ranges: bytes\r\n");
	if (ans->status != 304) {
		PUT_LITERAL(&o, "Content-Type: ");
		put(&o, http_content_type(req->path));
		PUT_LITERAL(&o, "\r\nContent-Length: ");
		put_u64(&o, ans->count);
		PUT_LITERAL(&o, "\r\n");
	}
	if (ans->status == 206) {
		PUT_LITERAL(&o, "Content-Range: bytes ");
		put_u64(&o, ans->first);
		PUT_LITERAL(&o, "-");
		put_u64(&o, ans->first + ans->count - 1);
		PUT_LITERAL(&o, "/");
		put_u64(&o, size);
		PUT_LITERAL(&o, "\r\n");
	} else if (ans->status == 416) {
		PUT_LITERAL(&o, "Content-Range: bytes */");
		put_u64(&o, size);
		PUT_LITERAL(&o, "\r\n");
	}
	return o.len;
}

size_t http_error_answer(char *out, size_t cap, const struct http_request *req, int status,
                         const char *location, uint64_t *body_len)
{
	/* The body: "<h1>404 Not Found</h1>\n" in a minimal page. */
	char body[128];
	struct out b = {body, 0, sizeof body};
	PUT_LITERAL(&b, "<!DOCTYPE html>\n<title>");
	put_u64(&b, (uint64_t)status);
	PUT_LITERAL(&b, " ");
	put(&b, reason(status));
	PUT_LITERAL(&b, "</title>\n<h1>");
	put_u64(&b, (uint64_t)status);
	PUT_LITERAL(&b, " ");
	put(&b, reason(status));
	PUT_LITERAL(&b, "</h1>\n");

	struct out o = {out, 0, cap};
	put_status_line(&o, status);
	if (status == 405)
		PUT_LITERAL(&o, "Allow: GET, HEAD\r\n");
	if (location) {
		PUT_LITERAL(&o, "Location: ");
		put(&o, location);
		PUT_LITERAL(&o, "\r\n");
	}
	PUT_LITERAL(&o, "Content-Type: text/html; charset=utf-8\r\nContent-Length: ");
	put_u64(&o, b.len);
	PUT_LITERAL(&o, "\r\n");
	put_connection(&o, req->keep_alive);
	*body_len = req->method == HTTP_HEAD ? 0 : b.len;
	if (req->method != HTTP_HEAD)
		put_n(&o, body, b.len);
	return o.len;
}

size_t http_log_line(char *out, size_t cap, const struct http_request *req, int status,
                     uint64_t bytes, unsigned core)
{
	struct out o = {out, 0, cap};
	PUT_LITERAL(&o, "\"");
	/* The request line, shortened and with what is not printable shown as '?': eight bytes a
	 * step while a word is all printable (no byte below ' ', none from DEL up). */
	const uint64_t ones = 0x0101010101010101ull, high = ones << 7;
	size_t shown = req->line_len < HTTP_LOG_MAX ? req->line_len : HTTP_LOG_MAX, i = 0;
	if (shown > o.cap - 1 - o.len)
		shown = o.cap - 1 - o.len;
	char *to = o.p + o.len;
	for (; i + 8 <= shown; i += 8) {
		uint64_t v;
		__builtin_memcpy(&v, req->line + i, 8);
		if (((v - ones * ' ') & ~v & high) || ((v + ones) | v) & high)
			break;
		__builtin_memcpy(to + i, &v, 8);
	}
	for (; i < shown; i++) {
		char c = req->line[i];
		to[i] = c >= ' ' && c < 127 ? c : '?';
	}
	o.len += shown;
	PUT_LITERAL(&o, "\" ");
	put_u64(&o, (uint64_t)status);
	PUT_LITERAL(&o, " ");
	put_u64(&o, bytes);
	PUT_LITERAL(&o, " core ");
	put_u64(&o, core);
	PUT_LITERAL(&o, "\n");
	return o.len;
}

const char *http_content_type(const char *path)
{
	static const char *const types[][2] = {
	    {"html", "text/html; charset=utf-8"},
	    {"htm", "text/html; charset=utf-8"},
	    {"css", "text/css"},
	    {"js", "text/javascript"},
	    {"json", "application/json"},
	    {"txt", "text/plain; charset=utf-8"},
	    {"xml", "application/xml"},
	    {"svg", "image/svg+xml"},
	    {"png", "image/png"},
	    {"jpg", "image/jpeg"},
	    {"jpeg", "image/jpeg"},
	    {"gif", "image/gif"},
	    {"webp", "image/webp"},
	    {"ico", "image/x-icon"},
	    {"pdf", "application/pdf"},
	    {"wasm", "application/wasm"},
	    {"woff2", "font/woff2"},
	    {"mp4", "video/mp4"},
	    {"gz", "application/gzip"},
	    {"zip", "application/zip"},
	};
	size_t n = text_len(path), dot = n;
	while (dot > 0 && path[dot - 1] != '.' && path[dot - 1] != '/')
		dot--;
	if (dot == 0 || path[dot - 1] != '.')
		return "application/octet-stream";
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (same_nocase(path + dot, n - dot, types[i][0]))
			return types[i][1];
	return "application/octet-stream";
}
