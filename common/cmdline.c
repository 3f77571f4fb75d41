/* Quoting and building the kernel command line (see cmdline.h). Kept free of side effects other
 * than reading the clock and TORO_KERNEL_OPTIONS, so the unit tests can drive it. */
#include "cmdline.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <toro/abi/start_info.h>

int cmdline_append_word(char *buf, size_t cap, const char *word)
{
	size_t n = strlen(buf);
	int quote = *word == '\0' || strpbrk(word, " \t\n\"\\") != NULL;
	char tmp[4];
	size_t need = n + (quote ? 2 : 0) + (n ? 1 : 0);
	for (const char *p = word; *p; p++)
		need += (*p == '"' || *p == '\\') ? 2 : 1;
	if (need + 1 > cap)
		return -1;
	char *out = buf + n;
	if (n)
		*out++ = ' ';
	if (quote)
		*out++ = '"';
	for (const char *p = word; *p; p++) {
		size_t k = 0;
		if (*p == '"' || *p == '\\')
			tmp[k++] = '\\';
		tmp[k++] = *p;
		memcpy(out, tmp, k);
		out += k;
	}
	if (quote)
		*out++ = '"';
	*out = '\0';
	return 0;
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
                    int nargs, char *const *args)
{
	const char *env_options = getenv("TORO_KERNEL_OPTIONS");
	/* Quoting at most doubles a word and adds two quotes and a space. */
	size_t cap = 96 + (extra ? strlen(extra) : 0) + 2 * strlen(image_path) +
	             (env_options ? 3 * strlen(env_options) : 0);
	for (int i = 0; i < nenv; i++)
		cap += 2 * strlen(env[i]) + 3;
	for (int i = 0; i < nargs; i++)
		cap += 2 * strlen(args[i]) + 3;
	char *buf = calloc(1, cap);
	if (!buf)
		return NULL;
	char name[256], opt[300];
	image_program_name(image_path, name, sizeof(name));
	snprintf(opt, sizeof(opt), "toro.argv0=%s", name);
	int bad = cmdline_append_word(buf, cap, opt);
	/* The guest has no battery-backed clock: it takes the wall clock from here. */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(opt, sizeof(opt), "toro.realtime=%llu",
	         (unsigned long long)now.tv_sec * 1000000000ull + (unsigned long long)now.tv_nsec);
	bad |= cmdline_append_word(buf, cap, opt);
	if (extra && *extra) {
		size_t n = strlen(buf);
		snprintf(buf + n, cap - n, " %s", extra);
	}
	for (int i = 0; i < nenv; i++)
		bad |= cmdline_append_word(buf, cap, env[i]);
	/* Diagnostic kernel options (toro.madt, toro.xapic) from the environment, word by word. */
	if (env_options && *env_options) {
		char *words = strdup(env_options), *save = NULL;
		if (!words) {
			free(buf);
			return NULL;
		}
		for (char *w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
			bad |= cmdline_append_word(buf, cap, w);
		free(words);
	}
	bad |= cmdline_append_word(buf, cap, "--");
	for (int i = 0; i < nargs; i++)
		bad |= cmdline_append_word(buf, cap, args[i]);
	if (bad) {
		free(buf);
		return NULL;
	}
	return buf;
}

int cmdline_check(const char *line, char *err, size_t errlen)
{
	size_t n = strlen(line);
	if (n < TORO_CMDLINE_MAX)
		return 0;
	return error_set(err, errlen,
	                 "arguments and environment too long: the kernel command line would be %zu "
	                 "bytes, the kernel takes at most %u",
	                 n, TORO_CMDLINE_MAX - 1);
}
