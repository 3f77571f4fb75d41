/* The `toro` command: `toro build` links an application with the kernel into an image, `toro run`
 * boots an image. */
#include "toro.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: toro build SRC... -o IMAGE [--native] [--no-fpu] [-O2] [-g] [-IDIR] [-DNAME[=V]]\n"
    "                  [-lLIB]\n"
    "       toro run IMAGE [--mem SIZE] [--cpus N] [--timeout SEC] [--vmm auto|toro|qemu]\n"
    "                [--accel tcg|kvm] [--console serial|virtio] [--stats] [-- ARGS...]\n"
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

int host_kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

int host_kvm_is_software(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return TORO_EXIT_USAGE;
	}
	if (strcmp(argv[1], "build") == 0)
		return toro_build(argc - 2, argv + 2);
	if (strcmp(argv[1], "run") == 0)
		return toro_run(argc - 2, argv + 2);
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("toro %s\n", TORO_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	toro_error("unknown command '%s'", argv[1]);
	fputs(usage, stderr);
	return TORO_EXIT_USAGE;
}
