/* `toro build`: compile an application and link it with the kernel (build/libtoro.a) into a
 * bootable image. POSIX programs (the default) are compiled against musl and start at musl's
 * _start; native ones (--native) against include/toro and start at main. Sources compile in
 * parallel through the object cache (compile.c); the image is linked by link.c. */
#include "toro.h"
#include "build.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_JOBS 256

struct build {
	struct build_flags flags;
	const char *output;
	int jobs;
	struct argv_list sources; /* .c .S .s */
	struct argv_list objects; /* .o .a, and -l libraries, kept in order */
	struct argv_list owned;   /* the source paths found in directories, freed at the end */
	const char *dir;          /* the one directory given, for the default image name */
	int ndirs;
	int quiet; /* -q: no summary line */
};

static int is_source(const char *name)
{
	return has_suffix(name, ".c") || has_suffix(name, ".S") || has_suffix(name, ".s");
}

static int source_entry(const struct dirent *e)
{
	return e->d_name[0] != '.' && is_source(e->d_name);
}

/* A directory argument: its .c .S .s files (not its subdirectories), in name order. */
static int add_directory(struct build *b, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, source_entry, alphasort);
	if (n < 0) {
		toro_error("build: %s: %s", dir, strerror(errno));
		return -1;
	}
	int rc = 0, added = 0;
	for (int i = 0; i < n; i++) {
		char *path = NULL;
		struct stat st;
		if (rc == 0 && asprintf(&path, "%s/%s", dir, names[i]->d_name) < 0) {
			toro_error("build: out of memory");
			path = NULL;
			rc = -1;
		}
		if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			rc = argv_add(&b->owned, path) || argv_add(&b->sources, path) ? -1 : 0;
			added += rc == 0;
			path = rc == 0 ? NULL : path;
		}
		free(path);
		free(names[i]);
	}
	free(names);
	if (rc == 0 && !added)
		toro_error("build: %s: no source files (.c .S .s) in it", dir);
	b->dir = dir;
	b->ndirs++;
	return rc || !added ? -1 : 0;
}

/* Without -o, one directory builds BASENAME.elf here (BASENAME the directory's own name). */
static int default_output(struct build *b, char *buf, size_t len)
{
	char real[PATH_MAX];
	if (b->ndirs != 1 || !realpath(b->dir, real))
		return -1;
	const char *base = strrchr(real, '/');
	base = base && base[1] ? base + 1 : "image";
	snprintf(buf, len, "%s.elf", base);
	b->output = buf;
	return 0;
}

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

static int is_directory(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int parse_build_args(int argc, char **argv, struct build *b, char *output, size_t len)
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
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			b->quiet = 1;
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
		} else if (is_directory(a)) {
			if (add_directory(b, a))
				return -1;
		} else if (is_source(a)) {
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
	if (!b->output && default_output(b, output, len)) {
		toro_error("build: no output image (-o IMAGE)");
		return -1;
	}
	if (b->sources.n == 0 && b->objects.n == 0) {
		toro_error("build: no source files");
		return -1;
	}
	return 0;
}

static void build_free(struct build *b)
{
	for (int i = 0; i < b->owned.n; i++)
		free((char *)b->owned.v[i]);
	argv_free(&b->owned);
	argv_free(&b->sources);
	argv_free(&b->objects);
}

/* "built app.elf: POSIX image from 2 sources, 1.2 MiB" on stdout. */
static void print_summary(const struct build *b)
{
	struct stat st;
	if (stat(b->output, &st))
		return;
	char size[32];
	if (st.st_size >= 1 << 20)
		snprintf(size, sizeof(size), "%.1f MiB", (double)st.st_size / (1 << 20));
	else
		snprintf(size, sizeof(size), "%lld KiB", ((long long)st.st_size + 1023) / 1024);
	int n = b->sources.n + b->objects.n;
	printf("built %s: %s image from %d input%s, %s\n", b->output,
	       b->flags.native ? "native" : "POSIX", n, n == 1 ? "" : "s", size);
}

static int default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > MAX_JOBS ? MAX_JOBS : (int)n;
}

int toro_build(int argc, char **argv)
{
	if (toro_wants_help(argc, argv)) {
		toro_command_help(stdout, "build");
		return 0;
	}
	struct build b;
	memset(&b, 0, sizeof(b));
	char output[PATH_MAX];
	if (parse_build_args(argc, argv, &b, output, sizeof(output))) {
		build_free(&b);
		return TORO_EXIT_USAGE;
	}
	/* Progress where a person waits: on a terminal, as make shows it; elsewhere (a log, a
	 * pipe, a test) only the summary. */
	b.flags.progress = !b.quiet && isatty(STDOUT_FILENO);
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
	if (rc == 0 && !b.quiet)
		print_summary(&b);
	build_free(&b);
	return rc ? 1 : 0;
}
