/* Linking an image: the application's objects, the kernel (build/libtoro.a), libgcc and, for
 * POSIX programs, musl's start files and libc.a. The image is linked twice: the second link adds
 * the table of function symbols the kernel uses to name addresses in fault reports (section
 * .toro.symtab, last in the image, so nothing else moves). A POSIX image whose first link holds
 * a musl function of an optional system-call group (kernel/sys/syscall_groups.h) is linked once
 * more first, with the group's anchor, so that only programs that use sockets carry them. */
#include "toro.h"
#include "build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <toro/abi/symtab.h>

#define MUSL_LIB "/usr/lib/x86_64-linux-musl"

static const char *libgcc_path(void)
{
	static char path[512];
	return gcc_query("gcc -print-libgcc-file-name", path, sizeof(path),
	                 "/usr/lib/gcc/x86_64-linux-gnu/12/libgcc.a");
}

/* The optional system-call groups: each anchor, and the musl functions (by their names in
 * musl's libc.a) that issue one of the group's calls, directly or through a system call made in
 * line (fopen opens with SYS_open, not through open). A program that issues one by syscall()
 * links the group itself with -Wl,-u,ANCHOR. */
struct syscall_group {
	const char *anchor;
	const char *const *functions; /* NULL-terminated */
};

static const char *const group_event[] = {
    "epoll_create", "epoll_create1", "epoll_ctl",     "epoll_wait", "epoll_pwait",
    "eventfd",      "eventfd_read",  "eventfd_write", "signalfd",   NULL,
};

static const char *const group_sendfile[] = {"sendfile", NULL};

static const char *const group_net[] = {
    "socket",     "socketpair", "connect",  "bind",     "listen",      "accept",      "accept4",
    "getsockopt", "setsockopt", "send",     "sendto",   "sendmsg",     "sendmmsg",    "recv",
    "recvfrom",   "recvmsg",    "recvmmsg", "shutdown", "getsockname", "getpeername", NULL,
};

static const char *const group_fs[] = {
    "open",       "openat",     "creat",     "fopen",     "freopen",   "tmpfile",  "mkstemp",
    "mkostemp",   "stat",       "lstat",     "fstatat",   "statvfs",   "statfs",   "opendir",
    "scandir",    "nftw",       "ftw",       "glob",      "getdents",  "mkdir",    "mkdirat",
    "rmdir",      "unlink",     "unlinkat",  "remove",    "rename",    "renameat", "link",
    "symlink",    "access",     "faccessat", "chdir",     "fchdir",    "getcwd",   "readlink",
    "readlinkat", "truncate",   "ftruncate", "realpath",  "chmod",     "fchmod",   "chown",
    "fchown",     "utimensat",  "mknod",     "fsync",     "fdatasync", "pread",    "pwrite",
    "preadv",     "pwritev",    "fchmodat",  "linkat",    "symlinkat", "fstatvfs", "fdopendir",
    "futimens",   "utime",      "utimes",    "futimesat", "lutimes",   "mkdtemp",  "mkstemps",
    "mkostemps",  "euidaccess", "eaccess",   "renameat2", "statx",     NULL,
};

/* Calls musl makes only in these wrappers (getpgrp is getpgid(0)); glibc's programs under run
 * --exec make them on their own, and that image links every group. */
static const char *const group_compat[] = {
    "getgroups", "getresuid", "getresgid",  "getpgid",    "getpgrp", "getsid",
    "prctl",     "mlock",     "munlock",    "mlock2",     "mlockall", "munlockall",
    "mincore",   NULL,
};

/* sigwaitinfo's call is here too: musl's SIGEV_THREAD timers wait in it. So are ITIMER_REAL's
 * and timerfd's. */
static const char *const group_timer[] = {
    "timer_create",   "timer_settime",   "timer_gettime",   "timer_getoverrun", "timer_delete",
    "sigwaitinfo",    "sigtimedwait",    "sigwait",         "setitimer",        "getitimer",
    "alarm",          "ualarm",          "timerfd_create",  "timerfd_settime",  "timerfd_gettime",
    NULL,
};

/* Not a system-call group but linked the same way: the virtio console's input half
 * (kernel/drivers/virtio/console_input.c, whose console_read the console file refers to weakly),
 * for programs with a musl function that can read descriptor 0 or wait for it. Without it stdin
 * is at its end, as with no input device. syscall() is here because it can issue any read. */
static const char *const group_stdin[] = {
    "read",     "readv",  "__stdio_read",    "poll",    "ppoll", "select", "pselect", "epoll_ctl",
    "sendfile", "splice", "copy_file_range", "syscall", NULL,
};

static const struct syscall_group syscall_groups[] = {
    {"toro_sys_event", group_event},   {"toro_sys_sendfile", group_sendfile},
    {"toro_sys_net", group_net},       {"toro_sys_fs", group_fs},
    {"toro_sys_compat", group_compat}, {"toro_sys_timer", group_timer},
    {"console_read", group_stdin},
};

#define SYSCALL_GROUP_COUNT (sizeof(syscall_groups) / sizeof(syscall_groups[0]))

/* Which groups an image needs: a bit per syscall_groups entry. */
struct group_scan {
	unsigned needed;
};

static void note_group_function(void *ctx, const char *name, uint64_t addr, uint64_t size)
{
	struct group_scan *scan = ctx;
	(void)addr;
	(void)size;
	for (size_t g = 0; g < SYSCALL_GROUP_COUNT; g++)
		for (const char *const *fn = syscall_groups[g].functions; *fn; fn++)
			if (strcmp(name, *fn) == 0)
				scan->needed |= 1u << g;
}

/* The groups the linked image elf calls into (a bit each), or -1 after one line on stderr. */
static int image_groups(const char *elf)
{
	struct image img;
	char err[256];
	if (image_open(elf, &img, err, sizeof(err))) {
		toro_error("build: %s: %s", elf, err);
		return -1;
	}
	struct group_scan scan = {0};
	int rc = image_symbols(&img, note_group_function, &scan, err, sizeof(err));
	image_close(&img);
	if (rc < 0) {
		toro_error("build: %s: %s", elf, err);
		return -1;
	}
	return (int)scan.needed;
}

static const char *const gdb_link_flags[] = {
    "-Wl,-u,toro_gdb",
    "-Wl,--wrap=drivers_init",
    "-Wl,--wrap=thread_alloc",
    "-Wl,--wrap=sched_exit",
    "-Wl,--wrap=arch_exit",
    "-Wl,--wrap=arch_timer_arm",
    "-Wl,--wrap=irq_dispatch",
};

static int link_once(const struct build_flags *f, const struct argv_list *inputs, const char *out,
                     const char *symtab_src, unsigned groups)
{
	struct argv_list l = {0};
	const char *home = toro_home();
	static const char *const fixed[] = {
	    "gcc",
	    "-nostdlib",
	    "-static",
	    "-no-pie",
	    "-Wl,--gc-sections",
	    "-Wl,--build-id=none",
	    "-Wl,-z,noexecstack",
	    "-Wl,-z,max-page-size=4096",
	    /* Loaders copy segments by file offset: no need to pad the file to page boundaries. */
	    "-Wl,--nmagic",
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		argv_add(&l, fixed[i]);
	argv_add(&l, str_printf("-Wl,-T,%s/toro.ld", home, NULL));
	/* The kernel is built with -g; without -g the image keeps its symbols (for .toro.symtab
	 * and tools such as nm) but no DWARF, which is most of its size. */
	if (!f->debug)
		argv_add(&l, "-Wl,--strip-debug");
	/* -g brings the gdb stub (kernel/gdb/, started by toro.gdb=com2): its anchor, and the calls
	 * it wraps to see the boot's end, threads coming and going, and the exit. */
	if (f->debug)
		for (size_t i = 0; i < sizeof(gdb_link_flags) / sizeof(gdb_link_flags[0]); i++)
			argv_add(&l, gdb_link_flags[i]);
	argv_add(&l, f->exec_image ? "-Wl,-u,toro_app_exec"
	             : f->native   ? "-Wl,-u,toro_app_native"
	                           : "-Wl,-u,toro_app_posix");
	if (f->no_fpu)
		argv_add(&l, "-Wl,-u,toro_image_no_fpu");
	for (size_t g = 0; g < SYSCALL_GROUP_COUNT; g++)
		if (groups & (1u << g))
			argv_add(&l, str_printf("-Wl,-u,%s", syscall_groups[g].anchor, NULL));
	int musl = !f->native && !f->exec_image;
	if (musl) {
		/* The kernel's memmove, whoever asks for it first: when only musl code (inet_ntop,
		 * realpath...) calls it, the search would take musl's, whose __memcpy_fwd brings
		 * musl's memcpy beside the kernel's, and the link would fail on two definitions. */
		argv_add(&l, "-Wl,-u,memmove");
		argv_add(&l, MUSL_LIB "/crt1.o");
		argv_add(&l, MUSL_LIB "/crti.o");
	}
	for (int i = 0; i < f->link_flags.n; i++)
		argv_add(&l, f->link_flags.v[i]);
	if (symtab_src)
		argv_add(&l, symtab_src);
	if (musl)
		argv_add(&l, "-L" MUSL_LIB);
	for (int i = 0; i < inputs->n; i++)
		argv_add(&l, inputs->v[i]);
	/* libtoro.a first: its malloc (kernel/sys/malloc.c) must be found before musl's. */
	argv_add(&l, "-Wl,--start-group");
	argv_add(&l, str_printf("%s/libtoro.a", home, NULL));
	if (musl)
		argv_add(&l, MUSL_LIB "/libc.a");
	argv_add(&l, libgcc_path());
	argv_add(&l, "-Wl,--end-group");
	if (musl)
		argv_add(&l, MUSL_LIB "/crtn.o");
	argv_add(&l, "-o");
	int rc = argv_add(&l, out) ? -1 : run_command(&l, f->verbose);
	argv_free(&l);
	return rc == 0 ? 0 : -1;
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

int make_tmpdir(char *dir)
{
	snprintf(dir, 64, "/tmp/toro-build-XXXXXX");
	if (mkdtemp(dir))
		return 0;
	toro_error("build: cannot create a temporary directory: %s", strerror(errno));
	dir[0] = '\0';
	return -1;
}

void remove_tmpdir(const char *dir)
{
	if (!dir[0])
		return;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		toro_error("build: could not remove %s", dir);
}

/* The archive a -lNAME input names: libNAME.a (for -l:FILE, FILE) in the -L directories in
 * their order, then in musl's for POSIX images. Left to gcc, the search would go on into the
 * host's own library directories and take a library built for glibc (configure's "-lz" test
 * links against the host's libz.a), which links and then misbehaves in the image. Images are
 * static, so only archives count. -lgcc is libgcc, which every image links already. Returns an
 * allocated path, or NULL after one line of error. */
static char *library_path(const struct build_flags *f, const char *lib)
{
	const char *name = lib + 2;
	if (strcmp(name, "gcc") == 0)
		return str_printf("%s", libgcc_path(), NULL);
	char *file =
	    name[0] == ':' ? str_printf("%s", name + 1, NULL) : str_printf("lib%s.a", name, NULL);
	if (!file)
		return NULL;
	struct argv_list dirs = {0};
	for (int i = 0; i < f->link_flags.n; i++) {
		const char *a = f->link_flags.v[i];
		if (strcmp(a, "-L") == 0 && i + 1 < f->link_flags.n)
			argv_add(&dirs, f->link_flags.v[++i]);
		else if (strncmp(a, "-L", 2) == 0)
			argv_add(&dirs, a + 2);
		else if (strcmp(a, "-Xlinker") == 0)
			i++; /* its value is the linker's, never a directory of ours */
	}
	if (!f->native)
		argv_add(&dirs, MUSL_LIB);
	char *path = NULL;
	for (int i = 0; i < dirs.n && !path; i++) {
		char *p = str_printf("%s/%s", dirs.v[i], file);
		if (p && access(p, R_OK) == 0)
			path = p;
		else
			free(p);
	}
	if (!path)
		toro_error(
		    "build: %s: no %s in the -L directories%s (a host library built for glibc "
		    "cannot go into an image)",
		    lib, file, f->native ? "" : " or musl's " MUSL_LIB);
	argv_free(&dirs);
	free(file);
	return path;
}

/* inputs with every -lNAME replaced by its archive's path (library_path); the paths are added to
 * owned, which the caller frees. */
static int resolve_libraries(const struct build_flags *f, const struct argv_list *inputs,
                             struct argv_list *resolved, struct argv_list *owned)
{
	for (int i = 0; i < inputs->n; i++) {
		const char *a = inputs->v[i];
		if (strncmp(a, "-l", 2) != 0) {
			if (argv_add(resolved, a))
				return -1;
			continue;
		}
		char *path = library_path(f, a);
		if (!path || argv_add(owned, path) || argv_add(resolved, path))
			return -1;
	}
	return 0;
}

static void free_owned(struct argv_list *owned)
{
	for (int i = 0; i < owned->n; i++)
		free((char *)owned->v[i]);
	argv_free(owned);
}

int link_image(const struct build_flags *f, const struct argv_list *given, const char *output)
{
	struct argv_list resolved = {0}, owned = {0};
	if (resolve_libraries(f, given, &resolved, &owned)) {
		argv_free(&resolved);
		free_owned(&owned);
		return -1;
	}
	const struct argv_list *inputs = &resolved;
	char tmpdir[64];
	if (make_tmpdir(tmpdir)) {
		argv_free(&resolved);
		free_owned(&owned);
		return -1;
	}
	char *pass1 = str_printf("%s/%s", tmpdir, "pass1.elf");
	char *bin = str_printf("%s/%s", tmpdir, "symtab.bin");
	char *src = str_printf("%s/%s", tmpdir, "symtab.s");
	char *tmp_out = str_printf("%s.tmp%s", output, NULL);
	int rc = -1;
	if (!pass1 || !bin || !src || !tmp_out)
		goto out;
	if (f->progress) {
		printf("  %-8s%s\n", "LINK", output);
		fflush(stdout);
	}
	/* The image of run --exec runs programs that may make any call: every group. */
	unsigned groups = f->exec_image ? (1u << SYSCALL_GROUP_COUNT) - 1 : 0;
	int link_failed = link_once(f, inputs, pass1, NULL, groups);
	if (!link_failed && !f->native && !f->exec_image) {
		int needed = image_groups(pass1);
		if (needed < 0)
			goto out;
		groups = (unsigned)needed;
		if (groups)
			link_failed = link_once(f, inputs, pass1, NULL, groups);
	}
	if (!link_failed) {
		if (write_symtab(pass1, bin, src))
			goto out;
		link_failed = link_once(f, inputs, tmp_out, src, groups);
	}
	if (link_failed) {
		toro_error("build: linking %s failed", output);
		unlink(tmp_out);
		goto out;
	}
	if (rename(tmp_out, output) != 0) {
		toro_error("build: %s: %s", output, strerror(errno));
		unlink(tmp_out);
		goto out;
	}
	rc = 0;
out:
	free(pass1);
	free(bin);
	free(src);
	free(tmp_out);
	remove_tmpdir(tmpdir);
	argv_free(&resolved);
	free_owned(&owned);
	return rc;
}
