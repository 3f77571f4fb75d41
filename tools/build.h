/* The build side of the `toro` command, shared by `toro build` (build.c) and `toro cc` (cc.c):
 * how application code is compiled (compile.c, with the object cache and parallel jobs) and how
 * objects become a bootable image (link.c, the two-pass link). */
#ifndef TOOLS_BUILD_H
#define TOOLS_BUILD_H

#include <stddef.h>

/* A NULL-terminated argument vector that grows; the strings are not owned. */
struct argv_list {
	const char **v;
	int n, cap;
};

int argv_add(struct argv_list *l, const char *s);
void argv_free(struct argv_list *l);

/* What decides how application code is compiled and linked. */
struct build_flags {
	int native;                  /* against include/toro, no libc (--native) */
	int no_fpu;                  /* no SSE/x87 (--no-fpu) */
	int debug;                   /* -g given: compile with DWARF and keep it in the image */
	int have_opt;                /* an -O given: no default -O2 */
	int verbose;                 /* print the commands (and cache hits) on stderr */
	int progress;                /* a make-like line per source and for the link on stdout */
	struct argv_list cflags;     /* the user's compile flags, in order */
	struct argv_list link_flags; /* -L, -Wl, -Xlinker, in order */
};

/* "s" with every "%s" in fmt filled in: malloc'ed, or NULL. */
char *str_printf(const char *fmt, const char *a, const char *b);
int has_suffix(const char *s, const char *suffix);

/* Runs l (l->v[0] found in $PATH); its exit status, or -1 if it could not run. */
int run_command(const struct argv_list *l, int verbose);

/* The first line gcc prints for a query command, kept in buf (asked once: an empty buf means not
 * yet); fallback if gcc says nothing. */
const char *gcc_query(const char *command, char *buf, size_t len, const char *fallback);

/* gcc and the options that compile application code for Toro, without the user's flags, the
 * input or the output: appended to l. */
int compile_base_args(const struct build_flags *f, struct argv_list *l);

/* The options that come after the user's, because the kernel needs them whatever was asked. */
int compile_final_args(const struct build_flags *f, struct argv_list *l);

/* Compiles sources into objects (appended to objects, in order; files under tmpdir or in the
 * object cache), up to jobs at a time. extra: more compile flags (dependency output) that
 * disable the cache. With f->progress, a line per source as its job ends ("  CC      a.c", or
 * "  CACHED  a.c" when the cache had its object). 0, or -1 after one line on stderr. */
int compile_sources(const struct build_flags *f, const struct argv_list *sources,
                    const struct argv_list *extra, const char *tmpdir, int jobs,
                    struct argv_list *objects);

/* Links inputs (objects, archives, -lNAME in order) with the kernel into the image output,
 * twice (the second link adds .toro.symtab); with f->progress, "  LINK    output" first. 0, or
 * -1 after one line on stderr. */
int link_image(const struct build_flags *f, const struct argv_list *inputs, const char *output);

/* A new directory /tmp/toro-build-XXXXXX (into dir, 64 bytes), and its removal. */
int make_tmpdir(char *dir);
void remove_tmpdir(const char *dir);

#endif
