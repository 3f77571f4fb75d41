/* printf-style formatting for the kernel console and snprintf. No floating point: the kernel is
 * built -mgeneral-regs-only. */
#include <kernel/format.h>

#include <stdint.h>

enum {
	FLAG_LEFT = 1,
	FLAG_ZERO = 2,
	FLAG_PLUS = 4,
	FLAG_SPACE = 8,
	FLAG_ALT = 16,
};

struct spec {
	unsigned flags;
	int width;
	int precision; /* -1: none */
};

struct out {
	format_sink sink;
	void *ctx;
	size_t count;
};

static void out_put(struct out *o, const char *s, size_t len)
{
	if (len == 0)
		return;
	o->sink(o->ctx, s, len);
	o->count += len;
}

static void out_pad(struct out *o, char c, int n)
{
	char pad[16];
	for (int i = 0; i < (int)sizeof(pad); i++)
		pad[i] = c;
	while (n > 0) {
		int chunk = n < (int)sizeof(pad) ? n : (int)sizeof(pad);
		out_put(o, pad, (size_t)chunk);
		n -= chunk;
	}
}

static size_t bounded_strlen(const char *s, int max)
{
	size_t n = 0;
	while ((max < 0 || n < (size_t)max) && s[n])
		n++;
	return n;
}

static void put_string(struct out *o, const struct spec *sp, const char *s)
{
	if (!s)
		s = "(null)";
	size_t len = bounded_strlen(s, sp->precision);
	int pad = sp->width - (int)len;
	if (!(sp->flags & FLAG_LEFT))
		out_pad(o, ' ', pad);
	out_put(o, s, len);
	if (sp->flags & FLAG_LEFT)
		out_pad(o, ' ', pad);
}

/* Formats one integer: sign or prefix, zero padding from precision or the '0' flag, width. */
static void put_number(struct out *o, const struct spec *sp, uint64_t value, int negative,
                       unsigned base, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int len = 0, nonzero = value != 0;
	while (value) {
		// cppcheck-suppress zerodivcond ; base is 8, 10 or 16, never 0
		buf[sizeof(buf) - 1 - len++] = digits[value % base];
		value /= base;
	}
	if (len == 0 && sp->precision != 0)
		buf[sizeof(buf) - 1 - len++] = '0';

	const char *prefix = "";
	if (negative)
		prefix = "-";
	else if (sp->flags & FLAG_PLUS)
		prefix = "+";
	else if (sp->flags & FLAG_SPACE)
		prefix = " ";
	else if ((sp->flags & FLAG_ALT) && base == 16 && nonzero)
		prefix = upper ? "0X" : "0x";
	else if ((sp->flags & FLAG_ALT) && base == 8 && buf[sizeof(buf) - len] != '0')
		prefix = "0";
	int prefix_len = (int)bounded_strlen(prefix, -1);

	int zeros = sp->precision > len ? sp->precision - len : 0;
	int total = prefix_len + zeros + len;
	if ((sp->flags & FLAG_ZERO) && !(sp->flags & FLAG_LEFT) && sp->precision < 0 &&
	    sp->width > total) {
		zeros += sp->width - total;
		total = sp->width;
	}
	if (!(sp->flags & FLAG_LEFT))
		out_pad(o, ' ', sp->width - total);
	out_put(o, prefix, (size_t)prefix_len);
	out_pad(o, '0', zeros);
	out_put(o, buf + sizeof(buf) - len, (size_t)len);
	if (sp->flags & FLAG_LEFT)
		out_pad(o, ' ', sp->width - total);
}

static const char *parse_flags(const char *p, struct spec *sp)
{
	for (;; p++) {
		switch (*p) {
		case '-':
			sp->flags |= FLAG_LEFT;
			break;
		case '0':
			sp->flags |= FLAG_ZERO;
			break;
		case '+':
			sp->flags |= FLAG_PLUS;
			break;
		case ' ':
			sp->flags |= FLAG_SPACE;
			break;
		case '#':
			sp->flags |= FLAG_ALT;
			break;
		default:
			return p;
		}
	}
}

static const char *parse_int(const char *p, int *value)
{
	int v = 0;
	while (*p >= '0' && *p <= '9') {
		if (v < 100000)
			v = v * 10 + (*p - '0');
		p++;
	}
	*value = v;
	return p;
}

/* Length modifiers, counted in units of "how many longs": 0 int, 1 long, 2 long long, -1 short,
 * -2 char; size_t, ptrdiff_t and intmax_t are all 64-bit here. */
static const char *parse_length(const char *p, int *length)
{
	*length = 0;
	switch (*p) {
	case 'h':
		*length = p[1] == 'h' ? -2 : -1;
		return p + (p[1] == 'h' ? 2 : 1);
	case 'l':
		*length = p[1] == 'l' ? 2 : 1;
		return p + (p[1] == 'l' ? 2 : 1);
	case 'z':
	case 't':
	case 'j':
		*length = 1;
		return p + 1;
	default:
		return p;
	}
}

static int64_t fetch_signed(va_list *ap, int length)
{
	switch (length) {
	case -2:
		return (signed char)va_arg(*ap, int);
	case -1:
		return (short)va_arg(*ap, int);
	case 0:
		return va_arg(*ap, int);
	case 1:
		return va_arg(*ap, long);
	default:
		return va_arg(*ap, long long);
	}
}

static uint64_t fetch_unsigned(va_list *ap, int length)
{
	switch (length) {
	case -2:
		return (unsigned char)va_arg(*ap, unsigned);
	case -1:
		return (unsigned short)va_arg(*ap, unsigned);
	case 0:
		return va_arg(*ap, unsigned);
	case 1:
		return va_arg(*ap, unsigned long);
	default:
		return va_arg(*ap, unsigned long long);
	}
}

size_t format_v(format_sink sink, void *ctx, const char *fmt, va_list ap_in)
{
	struct out o = {sink, ctx, 0};
	va_list ap;
	va_copy(ap, ap_in);
	const char *p = fmt;
	while (*p) {
		const char *run = p;
		while (*p && *p != '%')
			p++;
		out_put(&o, run, (size_t)(p - run));
		if (!*p)
			break;
		p++;

		struct spec sp = {0, 0, -1};
		p = parse_flags(p, &sp);
		if (*p == '*') {
			sp.width = va_arg(ap, int);
			if (sp.width < 0) {
				sp.flags |= FLAG_LEFT;
				sp.width = -sp.width;
			}
			p++;
		} else {
			p = parse_int(p, &sp.width);
		}
		if (*p == '.') {
			p++;
			if (*p == '*') {
				sp.precision = va_arg(ap, int);
				if (sp.precision < 0)
					sp.precision = -1;
				p++;
			} else {
				p = parse_int(p, &sp.precision);
			}
		}
		int length;
		p = parse_length(p, &length);

		char c = *p ? *p++ : '\0';
		switch (c) {
		case 'd':
		case 'i': {
			int64_t v = fetch_signed(&ap, length);
			uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
			put_number(&o, &sp, mag, v < 0, 10, 0);
			break;
		}
		case 'u':
			put_number(&o, &sp, fetch_unsigned(&ap, length), 0, 10, 0);
			break;
		case 'x':
			put_number(&o, &sp, fetch_unsigned(&ap, length), 0, 16, 0);
			break;
		case 'X':
			put_number(&o, &sp, fetch_unsigned(&ap, length), 0, 16, 1);
			break;
		case 'o':
			put_number(&o, &sp, fetch_unsigned(&ap, length), 0, 8, 0);
			break;
		case 'p':
			sp.flags |= FLAG_ALT;
			put_number(&o, &sp, (uintptr_t)va_arg(ap, void *), 0, 16, 0);
			break;
		case 's':
			put_string(&o, &sp, va_arg(ap, const char *));
			break;
		case 'c': {
			char ch = (char)va_arg(ap, int);
			int pad = sp.width - 1;
			if (!(sp.flags & FLAG_LEFT))
				out_pad(&o, ' ', pad);
			out_put(&o, &ch, 1);
			if (sp.flags & FLAG_LEFT)
				out_pad(&o, ' ', pad);
			break;
		}
		case '%':
			out_put(&o, "%", 1);
			break;
		case '\0':
			out_put(&o, "%", 1);
			break;
		default: {
			/* Unknown conversion: print it as written so the mistake is visible. */
			char bad[2] = {'%', c};
			out_put(&o, bad, 2);
			break;
		}
		}
	}
	va_end(ap);
	return o.count;
}

struct buffer {
	char *buf;
	size_t size;
	size_t used;
};

static void buffer_sink(void *ctx, const char *s, size_t len)
{
	struct buffer *b = ctx;
	for (size_t i = 0; i < len && b->used + 1 < b->size; i++)
		b->buf[b->used++] = s[i];
}

size_t format_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buffer b = {buf, size, 0};
	size_t n = format_v(buffer_sink, &b, fmt, ap);
	if (size > 0)
		buf[b.used] = '\0';
	return n;
}

size_t format_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = format_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
