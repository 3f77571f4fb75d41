/* Quoting and building the kernel command line (see cmdline.h). Kept free of side effects other
 * than reading the clock and TORO_KERNEL_OPTIONS, so the unit tests can drive it. */
#include "cmdline.h"
#include "error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <toro/abi/start_info.h>

/* A string being built word by word, its length kept so appends stay linear. */
struct words {
	char *buf;
	size_t len, cap;
};

static int words_add(struct words *w, const char *word)
{
	int quote = *word == '\0' || strpbrk(word, " \t\n\"\\") != NULL;
	size_t need = w->len + (quote ? 2 : 0) + (w->len ? 1 : 0);
	for (const char *p = word; *p; p++)
		need += (*p == '"' || *p == '\\') ? 2 : 1;
	if (need + 1 > w->cap)
		return -1;
	char *out = w->buf + w->len;
	if (w->len)
		*out++ = ' ';
	if (quote)
		*out++ = '"';
	for (const char *p = word; *p; p++) {
		if (*p == '"' || *p == '\\')
			*out++ = '\\';
		*out++ = *p;
	}
	if (quote)
		*out++ = '"';
	*out = '\0';
	w->len = (size_t)(out - w->buf);
	return 0;
}

int cmdline_append_word(char *buf, size_t cap, const char *word)
{
	struct words w = {buf, strlen(buf), cap};
	return words_add(&w, word);
}

void image_program_name(const char *path, char *buf, size_t len)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".elf") == 0)
		n -= 4;
	if (n >= len)
		n = len - 1;
	memcpy(buf, base, n);
	buf[n] = '\0';
}

char *cmdline_build(const char *image_path, const char *extra, int nenv, char *const *env,
                    int nargs, char *const *args, char **module, size_t *module_len)
{
	const char *env_options = getenv("TORO_KERNEL_OPTIONS");
	/* Quoting at most doubles a word and adds two quotes and a space. */
	size_t tail_cap = TORO_ARGS_MAGIC_LEN + 8;
	for (int i = 0; i < nenv; i++)
		tail_cap += 2 * strlen(env[i]) + 3;
	for (int i = 0; i < nargs; i++)
		tail_cap += 2 * strlen(args[i]) + 3;
	size_t cap = 96 + (extra ? strlen(extra) : 0) + 2 * strlen(image_path) +
	             (env_options ? 3 * strlen(env_options) : 0) + tail_cap;
	struct words line = {calloc(1, cap), 0, cap};
	/* The application's part, after room for the module's magic. */
	char *tail_buf = calloc(1, tail_cap);
	struct words tail = {tail_buf ? tail_buf + TORO_ARGS_MAGIC_LEN : NULL, 0,
	                     tail_cap - TORO_ARGS_MAGIC_LEN};
	if (!line.buf || !tail_buf) {
		free(line.buf);
		free(tail_buf);
		return NULL;
	}
	char name[256], opt[300];
	image_program_name(image_path, name, sizeof(name));
	snprintf(opt, sizeof(opt), "toro.argv0=%s", name);
	int bad = words_add(&line, opt);
	/* The guest has no battery-backed clock: it takes the wall clock from here. */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(opt, sizeof(opt), "toro.realtime=%llu",
	         (unsigned long long)now.tv_sec * 1000000000ull + (unsigned long long)now.tv_nsec);
	bad |= words_add(&line, opt);
	if (extra && *extra) {
		line.len += (size_t)snprintf(line.buf + line.len, cap - line.len, " %s", extra);
	}
	/* Diagnostic kernel options (toro.madt, toro.xapic) from the environment, word by word. */
	if (env_options && *env_options) {
		char *words = strdup(env_options), *save = NULL;
		if (!words) {
			free(line.buf);
			free(tail_buf);
			return NULL;
		}
		for (char *w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
			bad |= words_add(&line, w);
		free(words);
	}
	for (int i = 0; i < nenv; i++)
		bad |= words_add(&tail, env[i]);
	bad |= words_add(&tail, "--");
	for (int i = 0; i < nargs; i++)
		bad |= words_add(&tail, args[i]);
	if (bad) {
		free(line.buf);
		free(tail_buf);
		return NULL;
	}
	if (module && tail.len > CMDLINE_ARGS_INLINE_MAX) {
		uint64_t magic = TORO_ARGS_MAGIC;
		memcpy(tail_buf, &magic, TORO_ARGS_MAGIC_LEN);
		*module = tail_buf;
		*module_len = TORO_ARGS_MAGIC_LEN + tail.len + 1;
		return line.buf;
	}
	if (module)
		*module = NULL;
	if (module_len)
		*module_len = 0;
	line.len += (size_t)snprintf(line.buf + line.len, cap - line.len, " %s", tail.buf);
	free(tail_buf);
	return line.buf;
}

int cmdline_check(const char *line, char *err, size_t errlen)
{
	size_t n = strlen(line);
	if (n < TORO_CMDLINE_MAX)
		return 0;
	return error_set(err, errlen,
	                 "kernel command line too long: its options take %zu bytes, the kernel "
	                 "takes at most %u",
	                 n, TORO_CMDLINE_MAX - 1);
}

int cmdline_check_module(size_t len, uint64_t mem, char *err, size_t errlen)
{
	/* As Linux bounds arguments by a quarter of the stack limit, we bound them by a quarter
	 * of RAM: the kernel needs the rest. */
	if (len <= mem / 4)
		return 0;
	return error_set(err, errlen,
	                 "arguments and environment take %zu bytes, more than a quarter of the "
	                 "guest's %llu MiB of RAM (give it more with --mem)",
	                 len, (unsigned long long)(mem >> 20));
}

void cmdline_tty_word(char *buf, size_t len, int separate)
{
	int in = separate && isatty(STDIN_FILENO), out = isatty(STDOUT_FILENO);
	int err = separate ? isatty(STDERR_FILENO) : out;
	int n = snprintf(buf, len, "toro.tty=%d%d%d", in, out, err);
	struct winsize ws;
	const int fds[3] = {STDOUT_FILENO, STDERR_FILENO, STDIN_FILENO};
	const int tty[3] = {out, err, in};
	for (int i = 0; i < 3 && n > 0 && (size_t)n < len; i++)
		if (tty[i] && ioctl(fds[i], TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
			snprintf(buf + n, len - (size_t)n, ",%u,%u", ws.ws_row, ws.ws_col);
			break;
		}
}
