/* What every `toro` command shares: whether it is asked for --help, one-line errors, and where the
 * tool's own files are. Apart from toro.c (main) so that the commands do not call back into the
 * file that calls them. */
#include "toro.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int toro_wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

int toro_quiet;

void toro_note(const char *fmt, ...)
{
	if (toro_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("toro: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void toro_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("toro: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

const char *toro_home(void)
{
	static char home[PATH_MAX];
	if (home[0])
		return home;
	const char *env = getenv("TORO_HOME");
	if (env && *env) {
		snprintf(home, sizeof(home), "%s", env);
		return home;
	}
	ssize_t n = readlink("/proc/self/exe", home, sizeof(home) - 1);
	if (n <= 0) {
		snprintf(home, sizeof(home), ".");
		return home;
	}
	home[n] = '\0';
	char *slash = strrchr(home, '/');
	if (slash)
		*slash = '\0';
	return home;
}
