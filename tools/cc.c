/* `toro cc`: a C compiler driver for build systems (make CC="toro cc", ./configure CC="toro cc").
 * With -c, -S, -E, -M or -MM it runs gcc with Toro's compile options and the user's arguments in
 * their order; otherwise it compiles any sources (compile.c) and links a bootable image (link.c),
 * to a.out unless -o names it. Flags that only make sense for a hosted toolchain are accepted
 * and ignored; shared objects are refused: images are static. */
#include "toro.h"
#include "build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum cc_mode { CC_LINK, CC_COMPILE_ONLY };

struct cc {
	struct build_flags flags;
	enum cc_mode mode;
	const char *output;
	struct argv_list gcc_args;  /* compile-only modes: the user's arguments for gcc, in order */
	struct argv_list dep_flags; /* -MD -MMD -MF -MT -MQ -MP, for link-mode compiles */
	struct argv_list sources;   /* link mode: what to compile */
	struct argv_list inputs; /* link mode: objects, archives, -lNAME and the sources' slots */
};

/* gcc options whose value is the next argument (when not attached). */
static int takes_value(const char *a)
{
	static const char *const with_value[] = {
	    "-I",
	    "-D",
	    "-U",
	    "-include",
	    "-imacros",
	    "-isystem",
	    "-iquote",
	    "-idirafter",
	    "-iprefix",
	    "-iwithprefix",
	    "-iwithprefixbefore",
	    "-isysroot",
	    "-x",
	    "-MF",
	    "-MT",
	    "-MQ",
	    "-Xpreprocessor",
	    "-Xassembler",
	    "--param",
	    "-aux-info",
	};
	for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
		if (strcmp(a, with_value[i]) == 0)
			return 1;
	return 0;
}

static int is_source(const char *a)
{
	return has_suffix(a, ".c") || has_suffix(a, ".S") || has_suffix(a, ".s") ||
	       has_suffix(a, ".i") || has_suffix(a, ".sx");
}

/* Accepted so that existing Makefiles and configure scripts work, and ignored: musl has
 * pthreads, libm and the rest in libc.a, and an image is always a static, non-PIE executable. */
static int is_ignored(const char *a)
{
	static const char *const ignored[] = {
	    "-pthread",  "-pthreads",      "-static", "-static-pie", "-pie",
	    "-no-pie",   "-fPIE",          "-fpie",   "-fno-PIE",    "-fno-pie",
	    "-rdynamic", "-static-libgcc", "-pipe",
	};
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (strcmp(a, ignored[i]) == 0)
			return 1;
	return 0;
}

/* One line and exit 2 for what an image cannot be. */
static const char *refused(const char *a)
{
	if (strcmp(a, "-shared") == 0 || strcmp(a, "-fPIC") == 0 || strcmp(a, "-fpic") == 0)
		return "Toro images are static: shared objects and position-independent code are "
		       "not supported";
	if (strcmp(a, "-m32") == 0 || strcmp(a, "-m16") == 0 || strcmp(a, "-mx32") == 0)
		return "Toro images are x86-64";
	if (has_suffix(a, ".so") || strstr(a, ".so."))
		return "Toro images are static: link the .a library instead";
	return NULL;
}

static int is_dep_flag(const char *a)
{
	return strcmp(a, "-MD") == 0 || strcmp(a, "-MMD") == 0 || strcmp(a, "-MP") == 0 ||
	       strcmp(a, "-MG") == 0 || strcmp(a, "-MF") == 0 || strcmp(a, "-MT") == 0 ||
	       strcmp(a, "-MQ") == 0 || strncmp(a, "-MF", 3) == 0 || strncmp(a, "-MT", 3) == 0 ||
	       strncmp(a, "-MQ", 3) == 0;
}

/* One argument (and its value, if it takes one) of `toro cc`; -1 after one line of error. */
static int parse_one(struct cc *c, int argc, char **argv, int *i)
{
	struct build_flags *f = &c->flags;
	const char *a = argv[*i], *why = refused(a);
	if (why) {
		toro_error("cc: %s: %s", a, why);
		return -1;
	}
	if (strcmp(a, "-o") == 0 || (a[0] == '-' && takes_value(a)) || strcmp(a, "-L") == 0 ||
	    strcmp(a, "-l") == 0 || strcmp(a, "-Xlinker") == 0) {
		if (*i + 1 >= argc) {
			toro_error("cc: %s needs a value", a);
			return -1;
		}
	}
	if (strcmp(a, "-o") == 0) {
		c->output = argv[++*i];
		return argv_add(&c->gcc_args, a) || argv_add(&c->gcc_args, c->output);
	}
	if (strcmp(a, "--native") == 0)
		f->native = 1;
	else if (strcmp(a, "--no-fpu") == 0)
		f->no_fpu = 1;
	else if (strcmp(a, "-v") == 0)
		f->verbose = 1;
	else if (is_ignored(a))
		return 0;
	else if (strcmp(a, "-c") == 0 || strcmp(a, "-S") == 0 || strcmp(a, "-E") == 0 ||
	         strcmp(a, "-M") == 0 || strcmp(a, "-MM") == 0) {
		c->mode = CC_COMPILE_ONLY;
		return argv_add(&c->gcc_args, a);
	} else if (strcmp(a, "-L") == 0 || strcmp(a, "-Xlinker") == 0) {
		return argv_add(&f->link_flags, a) || argv_add(&f->link_flags, argv[++*i]);
	} else if (strncmp(a, "-L", 2) == 0 || strncmp(a, "-Wl,", 4) == 0) {
		return argv_add(&f->link_flags, a);
	} else if (strcmp(a, "-l") == 0) {
		return argv_add(&c->inputs, str_printf("-l%s", argv[++*i], NULL));
	} else if (strncmp(a, "-l", 2) == 0) {
		return argv_add(&c->inputs, a);
	} else if (strcmp(a, "-s") == 0) {
		f->debug = 0; /* strip: an image without DWARF; .toro.symtab stays */
		return 0;
	} else if (is_dep_flag(a)) {
		int rc = argv_add(&c->dep_flags, a) || argv_add(&c->gcc_args, a);
		if (takes_value(a)) {
			rc = rc || argv_add(&c->dep_flags, argv[*i + 1]) ||
			     argv_add(&c->gcc_args, argv[*i + 1]);
			++*i;
		}
		return rc;
	} else if (a[0] == '-' && a[1]) {
		/* A compile option (-I -D -U -O -g -W -f -std= -march= -mtune= ...): gcc judges
		 * any we do not know. */
		if (a[1] == 'O')
			f->have_opt = 1;
		if (a[1] == 'g')
			f->debug = strcmp(a, "-g0") != 0;
		int rc = argv_add(&f->cflags, a) || argv_add(&c->gcc_args, a);
		if (takes_value(a)) {
			rc = rc || argv_add(&f->cflags, argv[*i + 1]) ||
			     argv_add(&c->gcc_args, argv[*i + 1]);
			++*i;
		}
		return rc;
	} else {
		/* An input: a source is compiled where it stands in the link, as gcc does. */
		if (argv_add(&c->gcc_args, a))
			return -1;
		if (!is_source(a))
			return argv_add(&c->inputs, a);
		return argv_add(&c->sources, a) || argv_add(&c->inputs, a);
	}
	return 0;
}

static void print_version(FILE *out)
{
	fprintf(out, "toro cc %s (Toro in C: x86-64 unikernel images; gcc with musl)\n",
	        TORO_VERSION);
	fflush(out);
}

/* Queries that configure scripts and libtool make of the compiler, answered before anything. */
static int answer_query(int argc, char **argv, struct cc *c, int *rc)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--version") == 0) {
			print_version(stdout);
			*rc = system("gcc --version | tail -n +2") == 0 ? 0 : 1;
			return 1;
		}
		if (strcmp(a, "-dumpmachine") == 0) {
			puts(c->flags.native ? "x86_64-elf" : "x86_64-linux-musl");
			*rc = 0;
			return 1;
		}
		if (strncmp(a, "-dump", 5) == 0 || strncmp(a, "-print-", 7) == 0) {
			struct argv_list l = {0};
			argv_add(&l, "gcc");
			argv_add(&l, a);
			*rc = run_command(&l, 0) == 0 ? 0 : 1;
			argv_free(&l);
			return 1;
		}
	}
	return 0;
}

/* -c, -S, -E, -M, -MM: gcc with Toro's options, then the user's arguments in their order. */
static int cc_compile_only(struct cc *c)
{
	struct argv_list l = {0};
	int rc = compile_base_args(&c->flags, &l);
	for (int i = 0; !rc && i < c->gcc_args.n; i++)
		rc = argv_add(&l, c->gcc_args.v[i]);
	if (!rc)
		rc = compile_final_args(&c->flags, &l);
	rc = rc ? 1 : run_command(&l, c->flags.verbose);
	argv_free(&l);
	return rc == 0 ? 0 : 1;
}

/* Sources compiled (through the cache unless dependency files are asked for), then the link. */
static int cc_link(struct cc *c)
{
	char tmpdir[64];
	if (make_tmpdir(tmpdir))
		return 1;
	struct argv_list objects = {0};
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int rc = compile_sources(&c->flags, &c->sources, &c->dep_flags, tmpdir,
	                         cores < 1 ? 1 : (int)cores, &objects);
	/* Each source's slot in the inputs takes its object, so the link order is the user's. */
	for (int i = 0, s = 0; rc == 0 && i < c->inputs.n; i++)
		if (s < c->sources.n && c->inputs.v[i] == c->sources.v[s])
			c->inputs.v[i] = objects.v[s++];
	if (rc == 0)
		rc = link_image(&c->flags, &c->inputs, c->output ? c->output : "a.out");
	for (int i = 0; i < objects.n; i++)
		free((char *)objects.v[i]);
	argv_free(&objects);
	remove_tmpdir(tmpdir);
	return rc ? 1 : 0;
}

int toro_cc(int argc, char **argv)
{
	struct cc c;
	memset(&c, 0, sizeof(c));
	int rc;
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--native") == 0)
			c.flags.native = 1;
	if (answer_query(argc, argv, &c, &rc))
		return rc;
	for (int i = 0; i < argc; i++)
		if (parse_one(&c, argc, argv, &i))
			return TORO_EXIT_USAGE;
	if (c.flags.verbose)
		print_version(stderr);
	if (c.gcc_args.n == 0 && c.inputs.n == 0) {
		if (c.flags.verbose)
			return 0; /* `cc -v`: the version, as gcc answers */
		toro_error("cc: no input files");
		return TORO_EXIT_USAGE;
	}
	if (c.mode == CC_COMPILE_ONLY)
		rc = cc_compile_only(&c);
	else if (c.inputs.n == 0)
		rc = (toro_error("cc: no input files to link"), TORO_EXIT_USAGE);
	else
		rc = cc_link(&c);
	argv_free(&c.gcc_args);
	argv_free(&c.dep_flags);
	argv_free(&c.sources);
	argv_free(&c.inputs);
	argv_free(&c.flags.cflags);
	argv_free(&c.flags.link_flags);
	return rc;
}
