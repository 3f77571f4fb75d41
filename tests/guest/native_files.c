/* The native file API (include/toro/file.h, kernel/api/file_api.c). "noshare": the kernel's
 * /dev nodes and /proc/cpuinfo, directory listing, stat, and the errors (ENOENT for a file no share
 * holds, EROFS for changes where there is no share). "share SIZE RO-TEXT": the shares
 * tests/e2e/files.sh makes (rw at /, read-only at /ro, rw at /mnt/data): the page cache serving a
 * second read of a read-only file with no FUSE READ, four threads on two cores reading /big.bin at
 * once, write and read back, readdir, rename, EROFS, EXDEV, and toro_stat_until's time on each
 * kind of share. The exit status is the number of failed checks. */
// BUILD: --native --no-fpu
// clang-format off
// CASE: noshare | -- noshare | 0 | ^dev-zero: ok$ && ^enoent: ok$ && ^readdir-dev: ok$ && ^proc-cpuinfo: ok$ && ^checks: [0-9]+ passed, 0 failed$
// CASE: proc-2cpus | --cpus 2 -- noshare | 0 | ^proc-cpuinfo: ok$ && ^checks: [0-9]+ passed, 0 failed$
// clang-format on
#include <toro/console.h>
#include <toro/file.h>
#include <toro/memory.h>
#include <toro/thread.h>

#include "native_test.h"

static int passed, failed;

static int starts_with(const char *s, const char *prefix)
{
	while (*prefix && *s == *prefix) {
		s++;
		prefix++;
	}
	return !*prefix;
}

static void check(const char *name, int ok, long rc)
{
	if (ok)
		toro_printf("%s: ok\n", name);
	else
		toro_printf("%s: FAIL (got %ld)\n", name, rc);
	ok ? passed++ : failed++;
}

static void test_noshare(void)
{
	toro_file *f;
	char buf[64];
	int r = toro_file_open("/dev/zero", TORO_O_RDONLY, 0, &f);
	long n = r ? r : toro_file_read(f, buf, sizeof(buf));
	int zero = n == (long)sizeof(buf);
	for (unsigned i = 0; zero && i < sizeof(buf); i++)
		zero = buf[i] == 0;
	check("dev-zero", zero, n);
	if (!r)
		toro_file_close(f);
	r = toro_file_open("dev/null", TORO_O_RDWR, 0, &f);
	check("dev-null-relative",
	      r == 0 && toro_file_write(f, "x", 1) == 1 && toro_file_read(f, buf, 1) == 0, r);
	if (!r)
		toro_file_close(f);
	check("enoent", toro_file_open("/etc/passwd", TORO_O_RDONLY, 0, &f) == -TORO_ENOENT, 0);
	check("enoent-dotdot",
	      toro_file_open("/../../etc/passwd", TORO_O_RDONLY, 0, &f) == -TORO_ENOENT, 0);
	check("mkdir-erofs", toro_mkdir("/x", 0755) == -TORO_EROFS, 0);
	check("unlink-enoent", toro_unlink("/nothing") == -TORO_ENOENT, 0);
	check("rename-erofs", toro_rename("/dev/null", "/dev/null2") == -TORO_EROFS, 0);
	check("bad-flags", toro_file_open("/dev/null", 3, 0, &f) == -TORO_EINVAL, 0);
	struct toro_stat st;
	r = toro_stat("/dev", &st);
	check("stat-dir", r == 0 && (st.mode & TORO_S_IFMT) == TORO_S_IFDIR, r);
	r = toro_stat("/dev/urandom", &st);
	check("stat-chr", r == 0 && (st.mode & TORO_S_IFMT) == TORO_S_IFCHR, r);

	r = toro_file_open("/dev", TORO_O_RDONLY | TORO_O_DIRECTORY, 0, &f);
	int seen = 0;
	struct toro_dirent ents[2];
	long got;
	while (r == 0 && (got = toro_readdir(f, ents, 2)) > 0)
		for (long i = 0; i < got; i++)
			seen += streq(ents[i].name, "null") || streq(ents[i].name, "zero") ||
			        streq(ents[i].name, "urandom") || streq(ents[i].name, ".");
	check("readdir-dev", seen == 4, seen);
	if (!r)
		toro_file_close(f);
	check("fs-requests-noshare", toro_fs_requests("/", TORO_FS_REQ_READ) == -TORO_ENOENT, 0);

	/* /proc/cpuinfo: a block per CPU, each starting "processor\t: N". */
	static char text[8192];
	r = toro_file_open("/proc/cpuinfo", TORO_O_RDONLY, 0, &f);
	long total = 0;
	while (r == 0 &&
	       (got = toro_file_read(f, text + total, sizeof(text) - 1 - (size_t)total)) > 0)
		total += got;
	text[total] = 0;
	int cpus = 0;
	for (long i = 0; i < total; i++)
		cpus += (i == 0 || text[i - 1] == '\n') && starts_with(text + i, "processor\t: ");
	check("proc-cpuinfo", cpus == (int)toro_core_count(), cpus);
	if (!r)
		toro_file_close(f);
	r = toro_stat("/proc/meminfo", &st);
	check("proc-meminfo-stat", r == 0 && (st.mode & TORO_S_IFMT) == TORO_S_IFREG, r);
}

static long read_all(const char *path, char *buf, size_t len)
{
	toro_file *f;
	int r = toro_file_open(path, TORO_O_RDONLY, 0, &f);
	if (r)
		return r;
	long total = 0, n;
	while ((n = toro_file_read(f, buf + total, len - (size_t)total)) > 0)
		total += n;
	toro_file_close(f);
	return n < 0 ? n : total;
}

static void test_page_cache(const char *text)
{
	char buf[256] = {0};
	long reads = toro_fs_requests("/ro/a.txt", TORO_FS_REQ_READ);
	long n = read_all("/ro/a.txt", buf, sizeof(buf) - 1);
	long first = toro_fs_requests("/ro/a.txt", TORO_FS_REQ_READ) - reads;
	check("ro-read", n > 0 && buf[0] == text[0], n);
	n = read_all("/ro/a.txt", buf, sizeof(buf) - 1);
	long second = toro_fs_requests("/ro/a.txt", TORO_FS_REQ_READ) - reads - first;
	check("page-cache-first-read-fetches", first == 1, first);
	check("page-cache-second-read-from-memory", n > 0 && second == 0, second);
	toro_printf("page cache: first read %ld READ, second %ld\n", first, second);
	/* The read-write share is not cached: every read goes to the host, two READs a pass (the
	 * data, then read_all's next call at the end of the file). */
	reads = toro_fs_requests("/rw.txt", TORO_FS_REQ_READ);
	read_all("/rw.txt", buf, sizeof(buf));
	read_all("/rw.txt", buf, sizeof(buf));
	long rw_reads = toro_fs_requests("/rw.txt", TORO_FS_REQ_READ) - reads;
	check("rw-share-uncached", rw_reads == 4, rw_reads);
}

/* Pieces of 256 KiB and a little (8-byte multiples, not page multiples), a different size each. */
#define READER_CHUNK ((256u << 10) + 104)

struct reader {
	unsigned core;
	uint64_t size, sum;
	long rc;
};

/* Sums /big.bin in pieces of a size of its own (not a multiple of a page). */
static void *reader_main(void *arg)
{
	struct reader *r = arg;
	toro_file *f;
	r->rc = toro_file_open("/big.bin", TORO_O_RDONLY, 0, &f);
	if (r->rc)
		return NULL;
	size_t chunk = READER_CHUNK + 4096 * r->core;
	uint64_t *buf = toro_malloc(chunk);
	long n;
	/* A sum of 64-bit words at their places (the file is a multiple of 8 bytes): a piece read
	 * to the wrong offset changes it. */
	while ((n = toro_file_read(f, buf, chunk)) > 0) {
		for (long i = 0; i < n / 8; i++)
			r->sum += buf[i] * (r->size / 8 + (uint64_t)i + 1);
		r->size += (uint64_t)n;
	}
	r->rc = n;
	toro_free(buf);
	toro_file_close(f);
	return NULL;
}

static void test_threads(uint64_t size)
{
	struct reader r[4] = {{0}};
	toro_thread *t[4];
	for (unsigned i = 0; i < 4; i++) {
		r[i].core = i;
		t[i] = toro_thread_create(i % toro_core_count(), reader_main, &r[i], 0);
	}
	int ok = 1;
	for (unsigned i = 0; i < 4; i++) {
		toro_thread_join(t[i]);
		ok &= r[i].rc == 0 && r[i].size == size && r[i].sum == r[0].sum;
	}
	check("threads-read", ok, (long)r[0].size);
	check("threads-two-cores", toro_core_count() == 2, toro_core_count());
}

static void test_share_changes(void)
{
	toro_file *f;
	char buf[32] = {0};
	check("mkdir", toro_mkdir("/native", 0755) == 0, 0);
	int r = toro_file_open("/native/f", TORO_O_CREAT | TORO_O_EXCL | TORO_O_RDWR, 0644, &f);
	check("create", r == 0, r);
	if (r == 0) {
		check("write", toro_file_write(f, "native data", 11) == 11, 0);
		check("seek", toro_file_seek(f, 7, TORO_SEEK_SET) == 7, 0);
		check("read-back", toro_file_read(f, buf, sizeof(buf)) == 4 && streq(buf, "data"),
		      0);
		struct toro_stat st;
		check("fstat", toro_file_stat(f, &st) == 0 && st.size == 11, 0);
		toro_file_close(f);
	}
	check("eexist", toro_mkdir("/native", 0755) == -TORO_EEXIST, 0);
	check("rename", toro_rename("/native/f", "/native/g") == 0, 0);
	r = toro_file_open("/native", TORO_O_RDONLY, 0, &f);
	struct toro_dirent e[4];
	long n = r ? r : toro_readdir(f, e, 4);
	int seen = 0;
	for (long i = 0; i < n; i++)
		seen += streq(e[i].name, "g") && e[i].type == TORO_DT_REG;
	check("readdir", seen == 1, n);
	if (!r)
		toro_file_close(f);
	check("enotempty", toro_rmdir("/native") == -TORO_ENOTEMPTY, 0);
	check("exdev", toro_rename("/native/g", "/mnt/data/g") == -TORO_EXDEV, 0);
	check("unlink", toro_unlink("/native/g") == 0, 0);
	check("rmdir", toro_rmdir("/native") == 0, 0);
	check("erofs", toro_file_open("/ro/a.txt", TORO_O_WRONLY, 0, &f) == -TORO_EROFS, 0);
	check("erofs-mkdir", toro_mkdir("/ro/x", 0755) == -TORO_EROFS, 0);
	check("eisdir", toro_file_open("/ro", TORO_O_RDWR, 0, &f) == -TORO_EISDIR, 0);
}

/* toro_stat_until: on the read-only share a time to come, and the same again before it (the
 * kernel asks the host nothing before then); 0 on the read-write share and for /dev nodes. */
static void test_stat_until(void)
{
	struct toro_stat st, again;
	uint64_t until = 0, until2 = 0, now = toro_time_ns();
	int r = toro_stat_until("/ro/a.txt", &st, &until);
	check("stat-until-ro", r == 0 && until > now && (st.mode & TORO_S_IFMT) == TORO_S_IFREG, r);
	r = toro_stat_until("/ro/a.txt", &again, &until2);
	check("stat-until-ro-stands",
	      r == 0 && again.ino == st.ino && (until2 == until || toro_time_ns() >= until), r);
	until = 1;
	r = toro_stat_until("/ro", &st, &until);
	check("stat-until-ro-root", r == 0 && until > now, r);
	until = 1;
	r = toro_stat_until("/rw.txt", &st, &until);
	check("stat-until-rw", r == 0 && until == 0, r);
	until = 1;
	r = toro_stat_until("/dev/null", &st, &until);
	check("stat-until-dev", r == 0 && until == 0, r);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && streq(argv[1], "noshare")) {
		test_noshare();
	} else if (argc == 4 && streq(argv[1], "share")) {
		test_page_cache(argv[3]);
		test_threads((uint64_t)to_int(argv[2]));
		test_share_changes();
		test_stat_until();
	} else
		check("arguments", 0, argc);
	toro_printf("checks: %d passed, %d failed\n", passed, failed);
	return failed;
}
