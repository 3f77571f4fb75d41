/* Formatted console output (printk, vprintk_stream), written through the console registry (console.c);
 * the native console API (kernel/api/console_api.c) formats through vprintk_stream too, onto the application's stdout. Output is
 * formatted into a small buffer so that a line reaches the console in few writes. */
#include <kernel/printk.h>

#include <kernel/console.h>
#include <kernel/format.h>

#define PRINT_BUFFER 256

struct print_buffer {
	char data[PRINT_BUFFER];
	size_t used;
	enum console_stream stream;
};

static void print_buffer_sink(void *ctx, const char *s, size_t len)
{
	struct print_buffer *b = ctx;
	while (len > 0) {
		if (b->used == PRINT_BUFFER) {
			console_write_stream(b->stream, b->data, b->used);
			b->used = 0;
		}
		size_t n = PRINT_BUFFER - b->used;
		if (n > len)
			n = len;
		for (size_t i = 0; i < n; i++)
			b->data[b->used + i] = s[i];
		b->used += n;
		s += n;
		len -= n;
	}
}

int vprintk_stream(enum console_stream stream, const char *fmt, va_list ap)
{
	struct print_buffer b;
	b.used = 0;
	b.stream = stream;
	size_t n = format_v(print_buffer_sink, &b, fmt, ap);
	console_write_stream(stream, b.data, b.used);
	return (int)n;
}

void printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintk_stream(CONSOLE_ERR, fmt, ap);
	va_end(ap);
}
