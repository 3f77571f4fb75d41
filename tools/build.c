/* `toro build`: compile an application and link it with the kernel (build/libtoro.a) into a
 * bootable image. POSIX programs (the default) are compiled against musl and start at musl's
 * _start; native ones (--native) against include/toro and start at main. The image is linked
 * twice: the second link adds the table of function symbols the kernel uses to name addresses
 * in fault reports (section .toro.symtab, last in the image, so nothing else moves). */
#include "toro.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <toro/abi/symtab.h>

#define MUSL_INCLUDE "/usr/include/x86_64-linux-musl"
#define MUSL_LIB     "/usr/lib/x86_64-linux-musl"
#define MAX_ARGS     512

struct argv_list {
	const char *v[MAX_ARGS];
	int n;
};

static int argv_add(struct argv_list *l, const char *s)
{
	if (l->n + 1 >= MAX_ARGS) {
		toro_error("build: too many arguments");
		return -1;
	}
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
	return 0;
}

static char *str_printf(const char *fmt, const char *a, const char *b)
{
	size_t n = strlen(fmt) + strlen(a) + (b ? strlen(b) : 0) + 1;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, fmt, a, b ? b : "");
	return s;
}

static int run_command(const struct argv_list *l, int verbose)
{
	if (verbose) {
		for (int i = 0; i < l->n; i++)
			fprintf(stderr, "%s%s", i ? " " : "", l->v[i]);
		fputc('\n', stderr);
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		execvp(l->v[0], (char *const *)l->v);
		fprintf(stderr, "toro: build: cannot run %s: %s\n", l->v[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		return -1;
	int status;
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* The first line gcc prints for a query option, in buf; fallback if gcc says nothing. */
static const char *gcc_query(const char *command, char *buf, size_t len, const char *fallback)
{
	if (buf[0])
		return buf;
	FILE *p = popen(command, "r");
	if (!p || !fgets(buf, (int)len, p))
		snprintf(buf, len, "%s", fallback);
	if (p)
		pclose(p);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static const char *gcc_include_dir(void)
{
	static char dir[512];
	return gcc_query("gcc -print-file-name=include", dir, sizeof(dir),
	                 "/usr/lib/gcc/x86_64-linux-gnu/12/include");
}

static const char *libgcc_path(void)
{
	static char path[512];
	return gcc_query("gcc -print-libgcc-file-name", path, sizeof(path),
	                 "/usr/lib/gcc/x86_64-linux-gnu/12/libgcc.a");
}

struct build {
	int native, no_fpu, verbose, have_opt;
	const char *output;
	struct argv_list cflags;  /* user's -O -g -I -D -U -W -f -std= */
	struct argv_list sources; /* .c .S .s */
	struct argv_list objects; /* .o .a, and -l libraries, kept in order */
	char tmpdir[64];
};

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && strcmp(s + n - k, suffix) == 0;
}

static int parse_build_args(int argc, char **argv, struct build *b)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-o") == 0) {
			if (i + 1 >= argc) {
				toro_error("build: -o needs a file name");
				return -1;
			}
			b->output = argv[++i];
		} else if (strcmp(a, "--native") == 0) {
			b->native = 1;
		} else if (strcmp(a, "--no-fpu") == 0) {
			b->no_fpu = 1;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			b->verbose = 1;
		} else if ((a[1] == 'I' || a[1] == 'D' || a[1] == 'U') && a[0] == '-') {
			if (argv_add(&b->cflags, a))
				return -1;
			if (a[2] == '\0') {
				if (i + 1 >= argc) {
					toro_error("build: %s needs a value", a);
					return -1;
				}
				if (argv_add(&b->cflags, argv[++i]))
					return -1;
			}
		} else if (a[0] == '-' && (a[1] == 'O' || a[1] == 'g' || a[1] == 'W' ||
		                           a[1] == 'f' || strncmp(a, "-std=", 5) == 0)) {
			if (a[1] == 'O')
				b->have_opt = 1;
			if (argv_add(&b->cflags, a))
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

static int compile_one(struct build *b, const char *src, const char *obj)
{
	struct argv_list l = {.n = 0};
	const char *home = toro_home();
	argv_add(&l, "gcc");
	argv_add(&l, "-c");
	argv_add(&l, "-std=gnu11");
	if (!b->have_opt)
		argv_add(&l, "-O2");
	argv_add(&l, "-g");
	argv_add(&l, "-fno-pie");
	argv_add(&l, "-fno-pic");
	argv_add(&l, "-fno-omit-frame-pointer");
	argv_add(&l, "-mno-omit-leaf-frame-pointer");
	argv_add(&l, "-fno-asynchronous-unwind-tables");
	argv_add(&l, "-ffunction-sections");
	argv_add(&l, "-fdata-sections");
	argv_add(&l, "-march=x86-64");
	argv_add(&l, "-nostdinc");
	if (b->no_fpu)
		argv_add(&l, "-mgeneral-regs-only");
	if (b->native) {
		argv_add(&l, "-ffreestanding");
		argv_add(&l, "-fno-stack-protector");
		argv_add(&l, "-isystem");
		argv_add(&l, gcc_include_dir());
	} else {
		argv_add(&l, "-isystem");
		argv_add(&l, MUSL_INCLUDE);
		argv_add(&l, "-isystem");
		argv_add(&l, gcc_include_dir());
		argv_add(&l, "-idirafter");
		argv_add(&l, str_printf("%s/uapi", home, NULL));
	}
	argv_add(&l, "-I");
	argv_add(&l, str_printf("%s/include", home, NULL));
	for (int i = 0; i < b->cflags.n; i++)
		argv_add(&l, b->cflags.v[i]);
	argv_add(&l, src);
	argv_add(&l, "-o");
	if (argv_add(&l, obj))
		return -1;
	if (run_command(&l, b->verbose)) {
		toro_error("build: compiling %s failed", src);
		return -1;
	}
	return 0;
}

static int link_image(struct build *b, const char *out, const char *symtab_src)
{
	struct argv_list l = {.n = 0};
	const char *home = toro_home();
	argv_add(&l, "gcc");
	argv_add(&l, "-nostdlib");
	argv_add(&l, "-static");
	argv_add(&l, "-no-pie");
	argv_add(&l, str_printf("-Wl,-T,%s/toro.ld", home, NULL));
	argv_add(&l, "-Wl,--gc-sections");
	argv_add(&l, "-Wl,--build-id=none");
	argv_add(&l, "-Wl,-z,noexecstack");
	argv_add(&l, "-Wl,-z,max-page-size=4096");
	/* Loaders copy segments by file offset: no need to pad the file to page boundaries. */
	argv_add(&l, "-Wl,--nmagic");
	argv_add(&l, b->native ? "-Wl,-u,toro_app_native" : "-Wl,-u,toro_app_posix");
	if (b->no_fpu)
		argv_add(&l, "-Wl,-u,toro_image_no_fpu");
	if (!b->native) {
		argv_add(&l, MUSL_LIB "/crt1.o");
		argv_add(&l, MUSL_LIB "/crti.o");
	}
	for (int i = 0; i < b->sources.n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "/%d.o", i);
		argv_add(&l, str_printf("%s%s", b->tmpdir, name));
	}
	if (symtab_src)
		argv_add(&l, symtab_src);
	if (!b->native)
		argv_add(&l, "-L" MUSL_LIB);
	for (int i = 0; i < b->objects.n; i++)
		argv_add(&l, b->objects.v[i]);
	/* libtoro.a first: its malloc (kernel/sys/malloc.c) must be found before musl's. */
	argv_add(&l, "-Wl,--start-group");
	argv_add(&l, str_printf("%s/libtoro.a", home, NULL));
	if (!b->native)
		argv_add(&l, MUSL_LIB "/libc.a");
	argv_add(&l, libgcc_path());
	argv_add(&l, "-Wl,--end-group");
	if (!b->native)
		argv_add(&l, MUSL_LIB "/crtn.o");
	argv_add(&l, "-o");
	if (argv_add(&l, out))
		return -1;
	if (run_command(&l, b->verbose)) {
		toro_error("build: linking %s failed", b->output);
		return -1;
	}
	return 0;
}

/* The embedded symbol table: function symbols sorted by address, one per address. */
struct sym {
	uint64_t addr, size;
	const char *name;
};

struct sym_list {
	struct sym *v;
	size_t n, cap;
};

static void collect_symbol(void *ctx, const char *name, uint64_t addr, uint64_t size)
{
	struct sym_list *s = ctx;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct sym *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = (struct sym){addr, size, name};
}

/* By address; among aliases, a public-looking name (no leading '_') first. */
static int sym_compare(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	int xu = x->name[0] == '_', yu = y->name[0] == '_';
	if (xu != yu)
		return xu - yu;
	return strcmp(x->name, y->name);
}

static int write_symtab(const char *elf, const char *bin_path, const char *src_path)
{
	struct image img;
	char err[256];
	if (image_open(elf, &img, err, sizeof(err))) {
		toro_error("build: %s: %s", elf, err);
		return -1;
	}
	struct sym_list s = {0};
	if (image_symbols(&img, collect_symbol, &s, err, sizeof(err)) < 0) {
		toro_error("build: %s: %s", elf, err);
		image_close(&img);
		return -1;
	}
	qsort(s.v, s.n, sizeof(*s.v), sym_compare);
	size_t kept = 0;
	for (size_t i = 0; i < s.n; i++)
		if (kept == 0 || s.v[kept - 1].addr != s.v[i].addr)
			s.v[kept++] = s.v[i];

	/* Entries: each function, and a gap marker (name offset 0, the empty string) where a
	 * function ends before the next begins. */
	struct toro_symtab_entry *entries = calloc(2 * kept + 1, sizeof(*entries));
	uint32_t nentries = 0, name_off = 1;
	int rc = entries ? 0 : -1;
	for (size_t i = 0; entries && i < kept; i++) {
		uint64_t end = s.v[i].addr + s.v[i].size;
		if (end > UINT32_MAX) {
			toro_error("build: %s: function %s lies above 4 GiB", elf, s.v[i].name);
			rc = -1;
			break;
		}
		entries[nentries++] = (struct toro_symtab_entry){(uint32_t)s.v[i].addr, name_off};
		name_off += (uint32_t)strlen(s.v[i].name) + 1;
		if (s.v[i].size && (i + 1 == kept || s.v[i + 1].addr > end))
			entries[nentries++] = (struct toro_symtab_entry){(uint32_t)end, 0};
	}
	FILE *f = rc ? NULL : fopen(bin_path, "wb");
	if (!f)
		rc = -1;
	struct toro_symtab_header h = {TORO_SYMTAB_MAGIC, nentries};
	if (f) {
		fwrite(&h, sizeof(h), 1, f);
		fwrite(entries, sizeof(*entries), nentries, f);
		fputc('\0', f);
	}
	for (size_t i = 0; f && i < kept; i++)
		fwrite(s.v[i].name, strlen(s.v[i].name) + 1, 1, f);
	free(entries);
	if (f && fclose(f) != 0)
		rc = -1;
	free(s.v);
	image_close(&img);

	FILE *src = rc ? NULL : fopen(src_path, "w");
	if (!src || rc) {
		toro_error("build: cannot write %s", src ? bin_path : src_path);
		if (src)
			fclose(src);
		return -1;
	}
	fprintf(src, "\t.section .toro.symtab, \"a\"\n\t.incbin \"%s\"\n", bin_path);
	return fclose(src) == 0 ? 0 : -1;
}

static void remove_tmpdir(struct build *b)
{
	if (!b->tmpdir[0])
		return;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->tmpdir);
	if (system(cmd) != 0)
		toro_error("build: could not remove %s", b->tmpdir);
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
	snprintf(b.tmpdir, sizeof(b.tmpdir), "/tmp/toro-build-XXXXXX");
	if (!mkdtemp(b.tmpdir)) {
		toro_error("build: cannot create a temporary directory: %s", strerror(errno));
		return 1;
	}
	int rc = 1;
	for (int i = 0; i < b.sources.n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "/%d.o", i);
		if (compile_one(&b, b.sources.v[i], str_printf("%s%s", b.tmpdir, name)))
			goto out;
	}
	char *pass1 = str_printf("%s/%s", b.tmpdir, "pass1.elf");
	char *bin = str_printf("%s/%s", b.tmpdir, "symtab.bin");
	char *src = str_printf("%s/%s", b.tmpdir, "symtab.s");
	char *tmp_out = str_printf("%s.tmp%s", b.output, NULL);
	if (link_image(&b, pass1, NULL) || write_symtab(pass1, bin, src) ||
	    link_image(&b, tmp_out, src))
		goto out;
	if (rename(tmp_out, b.output) != 0) {
		toro_error("build: %s: %s", b.output, strerror(errno));
		unlink(tmp_out);
		goto out;
	}
	rc = 0;
out:
	remove_tmpdir(&b);
	return rc;
}
