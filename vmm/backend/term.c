/* Buffered guest console output to stdout (see term.h). Write errors (a closed pipe) drop the
 * output: the guest keeps running, as on a real serial line with nothing attached. */
#include "term.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define TERM_BUF_SIZE 1024

static char term_buf[TERM_BUF_SIZE];
static size_t term_len;

static void term_write_all(const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

void term_flush(void)
{
	term_write_all(term_buf, term_len);
	term_len = 0;
}

void term_write(const void *data, size_t len)
{
	if (len > TERM_BUF_SIZE - term_len) {
		term_flush();
		if (len >= TERM_BUF_SIZE) {
			term_write_all(data, len);
			return;
		}
	}
	memcpy(term_buf + term_len, data, len);
	term_len += len;
	if (memchr(data, '\n', len))
		term_flush();
}

void term_output(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	term_write(data, len);
}
