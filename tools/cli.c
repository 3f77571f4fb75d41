/* What every `toro` command shares: the usage text and --help, one-line errors, and where the
 * tool's own files are. Apart from toro.c (main) so that the commands do not call back into the
 * file that calls them. */
#include "toro.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: toro build SRC... -o IMAGE [--native] [--no-fpu] [-O2] [-g] [-IDIR] [-DNAME[=V]]\n"
    "                  [-lLIB] [-j N] [-v]\n"
    "       toro cc [--native] [--no-fpu] [-c|-S|-E] GCC-OPTIONS... FILES... [-o OUT]\n"
    "       toro run IMAGE [--mem SIZE] [--cpus N] [--timeout SEC] [--vmm auto|toro|qemu]\n"
    "                [--accel tcg|kvm] [--console serial|virtio] [--stats]\n"
    "                [--vsock PATH] [-f|--forward [ADDR:]HOSTPORT:GUESTPORT] [--cid N]\n"
    "                [--share|-d DIR[:rw][:/MOUNT]]...\n"
    "                [-e|--env NAME=VALUE] [--env-file FILE] [NAME=VALUE] [-- ARGS...]\n"
    "       toro vhost-user vsock --socket PATH [--vsock PATH] [-f|--forward ...] [--cid N]\n"
    "       toro vhost-user fs --socket PATH --share DIR[:rw]\n"
    "       toro version\n";

void toro_usage(FILE *f)
{
	fputs(usage, f);
}

int toro_wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
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
