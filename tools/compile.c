/* Compiling application code for Toro: the gcc options (musl's headers for POSIX programs,
 * include/toro for native ones), and compiling many sources at once, in parallel jobs, through
 * an object cache keyed by the preprocessed source and the whole command line. */
#include "toro.h"
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MUSL_INCLUDE "/usr/include/x86_64-linux-musl"

int argv_add(struct argv_list *l, const char *s)
{
	if (!s)
		return -1;
	if (l->n + 2 > l->cap) {
		int cap = l->cap ? 2 * l->cap : 32;
		const char **v = realloc(l->v, (size_t)cap * sizeof(*v));
		if (!v) {
			toro_error("build: out of memory");
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
	return 0;
}

void argv_free(struct argv_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

char *str_printf(const char *fmt, const char *a, const char *b)
{
	size_t n = strlen(fmt) + strlen(a) + (b ? strlen(b) : 0) + 1;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, fmt, a, b ? b : "");
	return s;
}

int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && strcmp(s + n - k, suffix) == 0;
}

static void print_command(const struct argv_list *l)
{
	for (int i = 0; i < l->n; i++)
		fprintf(stderr, "%s%s", i ? " " : "", l->v[i]);
	fputc('\n', stderr);
}

/* Runs l with its standard output into out_fd (or inherited if -1); the child's pid. */
static pid_t start_command(const struct argv_list *l, int out_fd)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0)
			_exit(127);
		execvp(l->v[0], (char *const *)l->v);
		fprintf(stderr, "toro: build: cannot run %s: %s\n", l->v[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static int wait_status(pid_t pid)
{
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_command(const struct argv_list *l, int verbose)
{
	if (verbose)
		print_command(l);
	return wait_status(start_command(l, -1));
}

const char *gcc_query(const char *command, char *buf, size_t len, const char *fallback)
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

static const char *gcc_version(void)
{
	static char version[256];
	return gcc_query("gcc --version", version, sizeof(version), "gcc");
}

int compile_base_args(const struct build_flags *f, struct argv_list *l)
{
	const char *home = toro_home();
	static const char *const common[] = {
	    "gcc",
	    "-std=gnu11",
	    "-fno-pie",
	    "-fno-pic",
	    "-fno-omit-frame-pointer",
	    "-mno-omit-leaf-frame-pointer",
	    "-fno-asynchronous-unwind-tables",
	    "-ffunction-sections",
	    "-fdata-sections",
	    "-march=x86-64",
	    "-nostdinc",
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		rc |= argv_add(l, common[i]);
	if (!f->have_opt)
		rc |= argv_add(l, "-O2");
	if (f->no_fpu)
		rc |= argv_add(l, "-mgeneral-regs-only");
	if (f->native) {
		rc |= argv_add(l, "-ffreestanding");
		rc |= argv_add(l, "-fno-stack-protector");
		rc |= argv_add(l, "-isystem");
		rc |= argv_add(l, gcc_include_dir());
	} else {
		/* A frame larger than a page probes each page on the way down, so an overflow
		 * cannot step over the guard page below a stack (kernel/arch/x86_64/paging.c). */
		rc |= argv_add(l, "-fstack-clash-protection");
		rc |= argv_add(l, "-isystem");
		rc |= argv_add(l, MUSL_INCLUDE);
		rc |= argv_add(l, "-isystem");
		rc |= argv_add(l, gcc_include_dir());
		rc |= argv_add(l, "-idirafter");
		rc |= argv_add(l, str_printf("%s/uapi", home, NULL));
	}
	rc |= argv_add(l, "-I");
	rc |= argv_add(l, str_printf("%s/include", home, NULL));
	return rc ? -1 : 0;
}

int compile_final_args(const struct build_flags *f, struct argv_list *l)
{
	(void)f;
	/* The kernel saves a thread's FPU state with FXSAVE and never enables XSAVE, so AVX
	 * registers would be neither usable (#UD) nor preserved: whatever -march asks for,
	 * application code may use up to SSE4.2 and the non-vector extensions. */
	return argv_add(l, "-mno-avx");
}

/* --- the object cache ----------------------------------------------------------------------------
 * An object is stored under a 128-bit FNV-1a hash of everything that decides its bytes: the
 * compiler's version, the whole command line but the output, the directory (with -g, DWARF
 * names it) and the preprocessed source, so a changed header changes the key. Objects are
 * written under a temporary name and renamed, so concurrent builds share the cache safely. */

typedef unsigned __int128 hash128;

#define FNV128_OFFSET ((hash128)0x6c62272e07bb0142ULL << 64 | 0x62b821756295c58dULL)
#define FNV128_PRIME  ((hash128)1 << 88 | 0x13b)

static void hash_bytes(hash128 *h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++) {
		*h ^= p[i];
		*h *= FNV128_PRIME;
	}
}

/* A string and its terminator, so that ("ab", "c") and ("a", "bc") differ. */
static void hash_string(hash128 *h, const char *s)
{
	hash_bytes(h, s, strlen(s) + 1);
}

static int hash_fd(hash128 *h, int fd)
{
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		hash_bytes(h, buf, (size_t)n);
	return n < 0 ? -1 : 0;
}

/* Hashes what `gcc -E` makes of src with the compile command cc (without "-c" and output);
 * a .s file is not preprocessed: its bytes are hashed. */
static int hash_source(hash128 *h, const struct argv_list *cc, const char *src)
{
	if (has_suffix(src, ".s")) {
		int fd = open(src, O_RDONLY);
		int rc = fd < 0 ? -1 : hash_fd(h, fd);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	struct argv_list l = {0};
	for (int i = 0; i < cc->n; i++)
		argv_add(&l, cc->v[i]);
	argv_add(&l, "-E");
	if (argv_add(&l, src))
		return -1;
	int pipefd[2];
	if (pipe(pipefd) < 0) {
		argv_free(&l);
		return -1;
	}
	pid_t pid = start_command(&l, pipefd[1]);
	close(pipefd[1]);
	int rc = hash_fd(h, pipefd[0]);
	close(pipefd[0]);
	if (wait_status(pid) != 0)
		rc = -1;
	argv_free(&l);
	return rc;
}

static int mkdir_p(const char *path)
{
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -1;
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(dir, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* $TORO_CACHE_DIR, else $XDG_CACHE_HOME/toro, else ~/.cache/toro; NULL when it is "off" or
 * cannot be created (then objects are compiled into the temporary directory). */
static const char *cache_dir(void)
{
	static char dir[PATH_MAX];
	static int decided;
	if (decided)
		return dir[0] ? dir : NULL;
	decided = 1;
	const char *env = getenv("TORO_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	if (env && strcmp(env, "off") == 0)
		return NULL;
	if (env && *env)
		snprintf(dir, sizeof(dir), "%s", env);
	else if (xdg && *xdg)
		snprintf(dir, sizeof(dir), "%s/toro", xdg);
	else if (home && *home)
		snprintf(dir, sizeof(dir), "%s/.cache/toro", home);
	if (dir[0] && mkdir_p(dir) < 0) {
		toro_error("build: cannot create the object cache %s (%s); compiling without it",
		           dir, strerror(errno));
		dir[0] = '\0';
	}
	return dir[0] ? dir : NULL;
}

/* The compile command for src into obj: cc (base, user's flags, extra, final), -c src -o obj. */
static int compile_to(const struct argv_list *cc, const char *src, const char *obj, int verbose)
{
	struct argv_list l = {0};
	for (int i = 0; i < cc->n; i++)
		argv_add(&l, cc->v[i]);
	argv_add(&l, "-c");
	argv_add(&l, src);
	argv_add(&l, "-o");
	int rc = argv_add(&l, obj) ? -1 : run_command(&l, verbose);
	argv_free(&l);
	return rc == 0 ? 0 : -1;
}

/* How a compile job's process ends: its exit status. */
enum { JOB_COMPILED = 0, JOB_FAILED = 1, JOB_CACHED = 3 };

/* One source, in a child process: obj becomes the object, or a link to the cached one. Returns
 * 0 when it compiled, 1 when the cache had the object, -1 on failure. */
static int compile_job(const struct build_flags *f, const struct argv_list *cc, int cached,
                       const char *src, const char *obj)
{
	const char *dir = cached ? cache_dir() : NULL;
	if (!dir)
		return compile_to(cc, src, obj, f->verbose);
	hash128 h = FNV128_OFFSET;
	char cwd[PATH_MAX];
	hash_string(&h, gcc_version());
	hash_string(&h, TORO_VERSION);
	for (int i = 0; i < cc->n; i++)
		hash_string(&h, cc->v[i]);
	hash_string(&h, src);
	if (f->debug && getcwd(cwd, sizeof(cwd)))
		hash_string(&h, cwd);
	if (hash_source(&h, cc, src) < 0)
		return compile_to(cc, src, obj, f->verbose); /* gcc reports the error */
	char key[33], path[PATH_MAX], tmp[PATH_MAX + 32];
	snprintf(key, sizeof(key), "%016llx%016llx", (unsigned long long)(h >> 64),
	         (unsigned long long)h);
	if (snprintf(path, sizeof(path), "%s/%.2s/%s.o", dir, key, key + 2) >= (int)sizeof(path))
		return compile_to(cc, src, obj, f->verbose);
	int hit = access(path, R_OK) == 0;
	if (hit) {
		if (f->verbose)
			fprintf(stderr, "toro: build: %s unchanged: cached %s\n", src, path);
	} else {
		char sub[PATH_MAX];
		int n = snprintf(sub, sizeof(sub), "%s/%.2s", dir, key);
		snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
		if (n >= (int)sizeof(sub) || mkdir_p(sub) < 0 ||
		    compile_to(cc, src, tmp, f->verbose) < 0) {
			unlink(tmp);
			return -1;
		}
		if (rename(tmp, path) < 0) {
			toro_error("build: %s: %s", path, strerror(errno));
			unlink(tmp);
			return -1;
		}
	}
	if (symlink(path, obj) < 0) {
		toro_error("build: %s: %s", obj, strerror(errno));
		return -1;
	}
	return hit;
}

/* The make-like line for a job that ended well. */
static void job_progress(const struct build_flags *f, int status, const char *src)
{
	if (!f->progress)
		return;
	printf("  %-8s%s\n", status == JOB_CACHED ? "CACHED" : "CC", src);
	fflush(stdout);
}

int compile_sources(const struct build_flags *f, const struct argv_list *sources,
                    const struct argv_list *extra, const char *tmpdir, int jobs,
                    struct argv_list *objects)
{
	struct argv_list cc = {0};
	int rc = compile_base_args(f, &cc);
	for (int i = 0; !rc && i < f->cflags.n; i++)
		rc = argv_add(&cc, f->cflags.v[i]);
	for (int i = 0; !rc && extra && i < extra->n; i++)
		rc = argv_add(&cc, extra->v[i]);
	if (!rc)
		rc = compile_final_args(f, &cc);
	const int cached = !extra || extra->n == 0;
	if (!cached || jobs < 1)
		jobs = 1; /* dependency files are written beside the sources: one at a time */
	pid_t *pids = calloc((size_t)sources->n + 1, sizeof(*pids));
	if (rc || !pids) {
		free(pids);
		argv_free(&cc);
		return -1;
	}
	int running = 0, failed = 0, next = 0;
	(void)cache_dir(); /* decided (and any warning printed) once, before the jobs fork */
	while (next < sources->n || running > 0) {
		if (!failed && next < sources->n && running < jobs) {
			char name[32];
			snprintf(name, sizeof(name), "/%d.o", next);
			char *obj = str_printf("%s%s", tmpdir, name);
			if (argv_add(objects, obj)) {
				failed = 1;
				continue;
			}
			fflush(NULL);
			pids[next] = fork();
			if (pids[next] == 0) {
				int r = compile_job(f, &cc, cached, sources->v[next], obj);
				_exit(r < 0 ? JOB_FAILED : r ? JOB_CACHED : JOB_COMPILED);
			}
			if (pids[next] < 0) {
				toro_error("build: fork: %s", strerror(errno));
				failed = 1;
			} else {
				running++;
			}
			next++;
			continue;
		}
		if (running == 0)
			break;
		int status;
		pid_t pid = wait(&status);
		if (pid < 0)
			break;
		for (int i = 0; i < next; i++) {
			if (pids[i] != pid)
				continue;
			running--;
			int code = WIFEXITED(status) ? WEXITSTATUS(status) : JOB_FAILED;
			if (code == JOB_COMPILED || code == JOB_CACHED) {
				job_progress(f, code, sources->v[i]);
			} else {
				toro_error("build: compiling %s failed", sources->v[i]);
				failed = 1;
			}
		}
	}
	free(pids);
	argv_free(&cc);
	return failed ? -1 : 0;
}
