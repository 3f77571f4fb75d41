/* `toro build`: compile an application and link it with the kernel (build/libtoro.a) into a
 * bootable image. POSIX programs (the default) are compiled against musl and start at musl's
 * _start; native ones (--native) against include/toro and start at main. Sources compile in
 * parallel through the object cache (compile.c); the image is linked by link.c. */
#include "toro.h"
#include "build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_JOBS 256

struct build {
	struct build_flags flags;
	const char *output;
	int jobs;
	struct argv_list sources; /* .c .S .s */
	struct argv_list objects; /* .o .a, and -l libraries, kept in order */
};

/* -j N, -jN: how many sources compile at once. */
static int parse_jobs(int argc, char **argv, int *i, int *jobs)
{
	const char *v = argv[*i][2] ? argv[*i] + 2 : (*i + 1 < argc ? argv[++*i] : "");
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (!*v || *end || errno || n < 1 || n > MAX_JOBS) {
		toro_error("build: -j %s: must be a number from 1 to %d", v, MAX_JOBS);
		return -1;
	}
	*jobs = (int)n;
	return 0;
}

static int parse_build_args(int argc, char **argv, struct build *b)
{
	struct build_flags *f = &b->flags;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-o") == 0) {
			if (i + 1 >= argc) {
				toro_error("build: -o needs a file name");
				return -1;
			}
			b->output = argv[++i];
		} else if (strcmp(a, "--native") == 0) {
			f->native = 1;
		} else if (strcmp(a, "--no-fpu") == 0) {
			f->no_fpu = 1;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			f->verbose = 1;
		} else if (strncmp(a, "-j", 2) == 0) {
			if (parse_jobs(argc, argv, &i, &b->jobs))
				return -1;
		} else if ((a[1] == 'I' || a[1] == 'D' || a[1] == 'U') && a[0] == '-') {
			if (argv_add(&f->cflags, a))
				return -1;
			if (a[2] == '\0') {
				if (i + 1 >= argc) {
					toro_error("build: %s needs a value", a);
					return -1;
				}
				if (argv_add(&f->cflags, argv[++i]))
					return -1;
			}
		} else if (a[0] == '-' && (a[1] == 'O' || a[1] == 'g' || a[1] == 'W' ||
		                           a[1] == 'f' || strncmp(a, "-std=", 5) == 0)) {
			if (a[1] == 'O')
				f->have_opt = 1;
			if (a[1] == 'g')
				f->debug = strcmp(a, "-g0") != 0;
			if (argv_add(&f->cflags, a))
				return -1;
		} else if (a[0] == '-' && a[1] == 'l') {
			if (argv_add(&b->objects, a))
				return -1;
		} else if (a[0] == '-') {
			toro_error("build: unknown option '%s'", a);
			return -1;
		} else if (has_suffix(a, ".c") || has_suffix(a, ".S") || has_suffix(a, ".s")) {
			if (access(a, R_OK) != 0) {
				toro_error("build: %s: %s", a, strerror(errno));
				return -1;
			}
			if (argv_add(&b->sources, a))
				return -1;
		} else if (has_suffix(a, ".o") || has_suffix(a, ".a")) {
			if (argv_add(&b->objects, a))
				return -1;
		} else {
			toro_error("build: %s: not a source (.c .S .s) or object (.o .a) file", a);
			return -1;
		}
	}
	if (!b->output) {
		toro_error("build: no output image (-o IMAGE)");
		return -1;
	}
	if (b->sources.n == 0 && b->objects.n == 0) {
		toro_error("build: no source files");
		return -1;
	}
	return 0;
}

static int default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > MAX_JOBS ? MAX_JOBS : (int)n;
}

int toro_build(int argc, char **argv)
{
	if (toro_wants_help(argc, argv)) {
		toro_usage(stdout);
		return 0;
	}
	struct build b;
	memset(&b, 0, sizeof(b));
	if (parse_build_args(argc, argv, &b))
		return TORO_EXIT_USAGE;
	char tmpdir[64];
	if (make_tmpdir(tmpdir))
		return 1;
	struct argv_list inputs = {0};
	int rc = compile_sources(&b.flags, &b.sources, NULL, tmpdir,
	                         b.jobs ? b.jobs : default_jobs(), &inputs);
	for (int i = 0; rc == 0 && i < b.objects.n; i++)
		rc = argv_add(&inputs, b.objects.v[i]);
	if (rc == 0)
		rc = link_image(&b.flags, &inputs, b.output);
	for (int i = 0; i < b.sources.n && i < inputs.n; i++)
		free((char *)inputs.v[i]);
	argv_free(&inputs);
	remove_tmpdir(tmpdir);
	return rc ? 1 : 0;
}
