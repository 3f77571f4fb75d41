/* Files for POSIX programs (kernel/sys/fs.c, stat.c, path.c over kernel/fs). "noshare": the
 * kernel's /dev nodes and /proc, the current directory, and the errors Linux gives (ENOENT rather
 * than ENOSYS for a file no share holds). "share CRC SIZE CRC0..CRC3": the shares
 * tests/e2e/files.sh makes (rw at /, read-only at /ro, rw at /mnt/data): a 10 MiB file's checksum
 * against the host's, four threads on two cores reading four files at once, write, read back,
 * append, truncate, chown and record locks, 1,000 directory entries, rename, unlink, rmdir, the
 * errors, symbolic links planted in a share that must not reach the host, and mount points and
 * /dev, /proc listed in the share directories they lie in. "cache CRC SIZE": the page cache
 * evicting (test_cache). Results go to stdout, one line per
 * check; the exit status is the number of failed checks. */
// BUILD:
// clang-format off
// CASE: noshare | -- noshare | 0 | ^dev-null-read: ok$ && ^enoent-passwd: ok$ && ^getcwd-root: ok$ && ^readdir-dev: ok$ && ^read-into-readonly: ok$ && ^proc-self-exe: ok$ && ^proc-fd-file: ok$ && ^proc-cpuinfo: ok$ && ^long-paths: ok$ && ^checks: [0-9]+ passed, 0 failed$
// CASE: proc-2cpus | --cpus 2 -- noshare | 0 | ^proc-cpuinfo: ok$ && ^proc-meminfo: ok$ && ^checks: [0-9]+ passed, 0 failed$
// clang-format on
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static int passed, failed;

/* One line per check: "NAME: ok", or "NAME: FAIL (got RC, errno E)". */
static void check(const char *name, int ok, long rc)
{
	if (ok)
		printf("%s: ok\n", name);
	else
		printf("%s: FAIL (got %ld, errno %d %s)\n", name, rc, errno, strerror(errno));
	ok ? passed++ : failed++;
}

/* rc is -1 with errno e. */
static void check_err(const char *name, long rc, int e)
{
	check(name, rc == -1 && errno == e, rc);
}

static void test_dev(void)
{
	char buf[64];
	int fd = open("/dev/null", O_RDWR);
	check("dev-null-open", fd >= 0, fd);
	check("dev-null-read", read(fd, buf, sizeof(buf)) == 0, 0);
	check("dev-null-write", write(fd, "abc", 3) == 3, 0);
	struct stat st;
	check("dev-null-fstat", fstat(fd, &st) == 0 && S_ISCHR(st.st_mode), st.st_mode);
	close(fd);

	fd = open("/dev/zero", O_RDONLY);
	memset(buf, 1, sizeof(buf));
	long n = read(fd, buf, sizeof(buf));
	int zero = n == (long)sizeof(buf);
	for (size_t i = 0; i < sizeof(buf); i++)
		zero &= buf[i] == 0;
	check("dev-zero-read", zero, n);
	void *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	check("dev-zero-mmap", m != MAP_FAILED && ((char *)m)[8191] == 0, (long)m);
	/* A buffer mapped read-only is refused, not written behind the program's back. */
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check_err("read-into-readonly", read(fd, ro, 16), EFAULT);
	close(fd);

	unsigned char r1[32] = {0}, r2[32] = {0};
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	check("dev-urandom-cloexec", fcntl(fd, F_GETFD) == FD_CLOEXEC, fd);
	read(fd, r1, sizeof(r1));
	read(fd, r2, sizeof(r2));
	check("dev-urandom-read", memcmp(r1, r2, sizeof(r1)) != 0, 0);
	close(fd);

	check("stat-dev-null", stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode), 0);
	check("stat-dev-dir", stat("/dev", &st) == 0 && S_ISDIR(st.st_mode), 0);
	check("access-dev-null", access("/dev/null", R_OK | W_OK) == 0, 0);
	check_err("enotdir-dev-null", open("/dev/null/x", O_RDONLY), ENOTDIR);
	check_err("readlink-not-link", readlink("/dev/null", (char *)buf, sizeof(buf)), EINVAL);
}

static void test_noshare_errors(void)
{
	check_err("enoent-passwd", open("/etc/passwd", O_RDONLY), ENOENT);
	check_err("enoent-dotdot", open("../../etc/passwd", O_RDONLY), ENOENT);
	check_err("enoent-empty", open("", O_RDONLY), ENOENT);
	struct stat st;
	check_err("stat-enoent", stat("/nothing/here", &st), ENOENT);
	check_err("mkdir-erofs", mkdir("/newdir", 0755), EROFS);
	check_err("creat-erofs", open("/newfile", O_CREAT | O_WRONLY, 0644), EROFS);
	check_err("mkdir-eexist", mkdir("/dev", 0755), EEXIST);
	check_err("unlink-erofs", unlink("/dev/null"), EROFS);
	check_err("rmdir-root", rmdir("/"), EBUSY);
	check_err("open-dir-write", open("/dev", O_WRONLY), EISDIR);
	check_err("odirectory-file", open("/dev/null", O_RDONLY | O_DIRECTORY), ENOTDIR);
	check_err("excl-exists", open("/dev/null", O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST);
	char *longname = malloc(PATH_MAX + 10);
	memset(longname, 'a', PATH_MAX + 9);
	longname[0] = '/';
	longname[PATH_MAX + 9] = 0;
	check_err("enametoolong", open(longname, O_RDONLY), ENAMETOOLONG);
	memset(longname + 1, 'b', 300);
	longname[301] = 0;
	check_err("name-too-long", open(longname, O_RDONLY), ENAMETOOLONG);
	/* The kernel copies a path of up to 255 bytes onto its stack and a longer one elsewhere:
	 * "/dev" + slashes + "/null", of lengths either side of that and up to PATH_MAX - 1. */
	static const size_t lens[] = {254, 255, 256, 257, 300, 511, 512, 513, PATH_MAX - 1};
	int long_ok = 1;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(longname, '/', lens[i]);
		memcpy(longname, "/dev", 4);
		memcpy(longname + lens[i] - 5, "/null", 6);
		long_ok &= stat(longname, &st) == 0 && S_ISCHR(st.st_mode);
	}
	check("long-paths", long_ok, 0);
	free(longname);
	check_err("efault-path", syscall(SYS_open, 16, O_RDONLY), EFAULT);
	check_err("ebadf-dirfd", openat(77, "x", O_RDONLY), EBADF);
	check_err("enotdir-dirfd", openat(1, "x", O_RDONLY), ENOTDIR);
	check_err("pread-pipe", pread(0, &st, 1, 0), ESPIPE);
}

static void test_cwd(void)
{
	char buf[PATH_MAX];
	check("getcwd-root", getcwd(buf, sizeof(buf)) && !strcmp(buf, "/"), 0);
	check("chdir-dev", chdir("/dev") == 0 && getcwd(buf, sizeof(buf)) && !strcmp(buf, "/dev"),
	      0);
	int fd = open("zero", O_RDONLY);
	check("open-relative", fd >= 0, fd);
	close(fd);
	check("chdir-dotdot",
	      chdir("../dev/../..") == 0 && getcwd(buf, sizeof(buf)) && !strcmp(buf, "/"), 0);
	check_err("chdir-file", chdir("/dev/null"), ENOTDIR);
	check_err("chdir-enoent", chdir("/nowhere"), ENOENT);
	check("getcwd-erange", getcwd(buf, 1) == NULL && errno == ERANGE, 0);
	int dir = open("/dev", O_RDONLY | O_DIRECTORY);
	check("fchdir",
	      dir >= 0 && fchdir(dir) == 0 && getcwd(buf, sizeof(buf)) && !strcmp(buf, "/dev"),
	      dir);
	int z = openat(dir, "zero", O_RDONLY);
	check("openat-dirfd", z >= 0, z);
	close(z);
	close(dir);
	chdir("/");
}

static void test_readdir(void)
{
	DIR *d = opendir("/dev");
	int seen = 0, dots = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, "null") || !strcmp(e->d_name, "zero") ||
		    !strcmp(e->d_name, "urandom"))
			seen++;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			dots++;
	}
	check("readdir-dev", d && seen == 3 && dots == 2, seen);
	if (d)
		closedir(d);
	struct statfs sf;
	check("statfs-dev", statfs("/dev", &sf) == 0, 0);
}

/* POSIX cksum's CRC (what the host's `cksum` prints): CRC-32, polynomial 0x04C11DB7, most
 * significant bit first, over the bytes and then the length. */
static uint32_t crc_table[256];

static uint32_t crc_update(uint32_t crc, const unsigned char *p, size_t n)
{
	if (!crc_table[1]) {
		for (uint32_t b = 0; b < 256; b++) {
			uint32_t c = b << 24;
			for (int i = 0; i < 8; i++)
				c = c & 0x80000000u ? (c << 1) ^ 0x04c11db7u : c << 1;
			crc_table[b] = c;
		}
	}
	while (n--)
		crc = (crc << 8) ^ crc_table[(crc >> 24) ^ *p++];
	return crc;
}

static uint32_t crc_finish(uint32_t crc, uint64_t len)
{
	for (; len; len >>= 8) {
		unsigned char b = (unsigned char)len;
		crc = crc_update(crc, &b, 1);
	}
	return ~crc;
}

/* The cksum CRC of a whole file, reading it in pieces of chunk bytes; the size into *size. */
static long file_crc(const char *path, size_t chunk, uint32_t *crc, uint64_t *size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	unsigned char *buf = malloc(chunk);
	uint32_t c = 0;
	uint64_t total = 0;
	long n;
	while ((n = read(fd, buf, chunk)) > 0) {
		c = crc_update(c, buf, (size_t)n);
		total += (uint64_t)n;
	}
	free(buf);
	close(fd);
	*crc = crc_finish(c, total);
	*size = total;
	return n;
}

/* Whether the read-only share's big file (through the page cache) gives at offset what the
 * read-write share's copy (no cache: every byte from the host) gives: pread of len bytes, the
 * count the same. */
static int pread_same(int cached, int direct, int64_t offset, size_t len)
{
	static unsigned char a[9000], b[9000];
	long x = pread(cached, a, len, offset), y = pread(direct, b, len, offset);
	return x == y && x >= 0 && !memcmp(a, b, (size_t)x);
}

/* "cache CRC SIZE": the read-only share's big file through a page cache much smaller than it
 * (tests/e2e/files.sh gives toro.pagecache=256K), so that pages are evicted all the time and
 * those read again get their second chance: three whole reads in pieces that straddle pages,
 * then pread at offsets across pages and at the end, readv over three buffers, and the file
 * position after them, each against the read-write share's copy. */
static void test_cache(char **argv)
{
	uint32_t want = (uint32_t)strtoul(argv[2], NULL, 10);
	uint64_t size = strtoull(argv[3], NULL, 10);
	static const char *const names[] = {"small-cache-cold", "small-cache-again",
	                                    "small-cache-third"};
	for (int pass = 0; pass < 3; pass++) {
		uint32_t crc = 0;
		uint64_t got = 0;
		long rc = file_crc("/ro/big.bin", 3000 + 1096 * (size_t)pass, &crc, &got);
		check(names[pass], rc == 0 && crc == want && got == size, (long)crc);
	}
	int fd = open("/ro/big.bin", O_RDONLY), direct = open("/big.bin", O_RDONLY);
	int64_t end = (int64_t)size;
	check("cache-pread-across-pages",
	      pread_same(fd, direct, 4095, 9000) && pread_same(fd, direct, 8191, 2) &&
	          pread_same(fd, direct, 123457, 4096),
	      0);
	unsigned char tail[64];
	check("cache-pread-short-at-end",
	      pread(fd, tail, sizeof(tail), end - 10) == 10 && pread_same(fd, direct, end - 10, 64),
	      0);
	check("cache-pread-past-end",
	      pread(fd, tail, sizeof(tail), end) == 0 && pread(fd, tail, 8, end + 5) == 0, 0);
	check_err("cache-pread-negative", pread(fd, tail, 8, -1), EINVAL);
	static unsigned char x[100], y[5000], z[3], all[5103];
	struct iovec v[3] = {{x, sizeof(x)}, {y, sizeof(y)}, {z, sizeof(z)}};
	lseek(fd, 4000, SEEK_SET);
	long n = readv(fd, v, 3);
	int same = n == 5103 && pread(direct, all, sizeof(all), 4000) == 5103 &&
	           !memcmp(all, x, sizeof(x)) && !memcmp(all + 100, y, sizeof(y)) &&
	           !memcmp(all + 5100, z, sizeof(z));
	check("cache-readv", same, n);
	check("cache-position", lseek(fd, 0, SEEK_CUR) == 9103, 0);
	close(fd);
	close(direct);
}

struct reader {
	int index;
	uint32_t want, got;
	long rc;
	int cpu;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(r->index % 2, &set);
	sched_setaffinity(0, sizeof(set), &set);
	r->cpu = sched_getcpu();
	char path[32];
	snprintf(path, sizeof(path), "/t%d.bin", r->index);
	uint64_t size;
	r->rc = file_crc(path, 4096 + 512 * (size_t)r->index, &r->got, &size);
	return NULL;
}

static void test_share_read(char **argv)
{
	uint32_t crc;
	uint64_t size;
	long rc = file_crc("/big.bin", 1 << 20, &crc, &size);
	check("big-checksum",
	      rc == 0 && crc == strtoul(argv[2], NULL, 10) && size == strtoull(argv[3], NULL, 10),
	      (long)crc);
	printf("big: %llu bytes, cksum %u\n", (unsigned long long)size, crc);
	/* The same file on the read-only share, through the page cache: read cold (each miss
	 * READs 128 KiB into pages the cache keeps), then hot, in pieces that straddle pages. */
	for (int pass = 0; pass < 2; pass++) {
		uint32_t ro_crc = 0;
		uint64_t ro_size = 0;
		rc = file_crc("/ro/big.bin", 3000, &ro_crc, &ro_size);
		check(pass ? "page-cache-hot-checksum" : "page-cache-cold-checksum",
		      rc == 0 && ro_crc == crc && ro_size == size, (long)ro_crc);
	}
	struct reader r[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		r[i] =
		    (struct reader){.index = i, .want = (uint32_t)strtoul(argv[4 + i], NULL, 10)};
		pthread_create(&t[i], NULL, reader_main, &r[i]);
	}
	int ok = 1, cores = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ok &= r[i].rc == 0 && r[i].got == r[i].want;
		cores |= 1 << r[i].cpu;
	}
	check("threads-read", ok, 0);
	check("threads-two-cores", cores == 3, cores);
}

static void test_share_write(void)
{
	char buf[64] = {0};
	check("mkdir", mkdir("/work", 0755) == 0, 0);
	int fd = open("/work/f.txt", O_CREAT | O_EXCL | O_RDWR, 0644);
	check("create", fd >= 0, fd);
	check("write", write(fd, "hello", 5) == 5, 0);
	check("read-back", pread(fd, buf, sizeof(buf), 0) == 5 && !memcmp(buf, "hello", 5), 0);
	close(fd);
	fd = open("/work/f.txt", O_WRONLY | O_APPEND);
	check("append", write(fd, " world", 6) == 6, 0);
	close(fd);
	fd = open("/work/f.txt", O_RDONLY);
	memset(buf, 0, sizeof(buf));
	check("read-appended", read(fd, buf, sizeof(buf)) == 11 && !strcmp(buf, "hello world"), 0);
	close(fd);
	struct stat st;
	check("truncate",
	      truncate("/work/f.txt", 3) == 0 && stat("/work/f.txt", &st) == 0 && st.st_size == 3,
	      (long)st.st_size);
	fd = open("/work/f.txt", O_RDWR);
	check("ftruncate", ftruncate(fd, 0) == 0 && fstat(fd, &st) == 0 && st.st_size == 0, 0);
	check("pwrite-hole",
	      pwrite(fd, "x", 1, 4096) == 1 && fstat(fd, &st) == 0 && st.st_size == 4097,
	      (long)st.st_size);
	check("fsync", fsync(fd) == 0, 0);
	/* chown that changes nothing succeeds (SQLite does it to its journals as root); a change
	 * is EPERM, since the host's user owns the share. Record locks are granted. */
	check("fchown-same", fstat(fd, &st) == 0 && fchown(fd, st.st_uid, st.st_gid) == 0, 0);
	check("chown-unchanged", chown("/work/f.txt", (uid_t)-1, (gid_t)-1) == 0, 0);
	check_err("chown-other", chown("/work/f.txt", st.st_uid + 1, (gid_t)-1), EPERM);
	check_err("lchown-missing", lchown("/work/missing", 0, 0), ENOENT);
	struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	check("setlk-share", fcntl(fd, F_SETLK, &lk) == 0, 0);
	close(fd);
	mode_t old = umask(077);
	fd = open("/work/private", O_CREAT | O_WRONLY, 0666);
	check("umask-applied", fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0600,
	      (long)st.st_mode);
	close(fd);
	umask(old);
	unlink("/work/private");
	check_err("excl-exists", open("/work/f.txt", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	check_err("mkdir-exists", mkdir("/work", 0755), EEXIST);
	check_err("open-dir-write", open("/work", O_WRONLY), EISDIR);
	check_err("enoent", open("/work/missing", O_RDONLY), ENOENT);
	check_err("enotdir", open("/work/f.txt/x", O_RDONLY), ENOTDIR);
	check_err("rmdir-notempty", rmdir("/work"), ENOTEMPTY);
	check_err("unlink-dir", unlink("/work"), EISDIR);

	/* A large file written in one call (split into requests) and read back. */
	enum { LARGE = 3 << 20 };
	unsigned char *big = malloc(LARGE), *back = malloc(LARGE);
	for (int i = 0; i < LARGE; i++)
		big[i] = (unsigned char)(i * 131 + (i >> 12));
	fd = open("/work/large", O_CREAT | O_RDWR | O_TRUNC, 0644);
	check("write-large", write(fd, big, LARGE) == LARGE, 0);
	check("read-large", pread(fd, back, LARGE, 0) == LARGE && !memcmp(big, back, LARGE), 0);
	close(fd);
	fd = open("/work/large", O_RDONLY);
	void *m = mmap(NULL, LARGE, PROT_READ, MAP_PRIVATE, fd, 0);
	check("mmap-file", m != MAP_FAILED && !memcmp(m, big, LARGE), (long)m);
	close(fd);
	free(big);
	free(back);
}

static void test_share_dirs(void)
{
	char name[64];
	int ok = mkdir("/work/many", 0755) == 0;
	for (int i = 0; ok && i < 1000; i++) {
		snprintf(name, sizeof(name), "/work/many/file-%04d", i);
		int fd = open(name, O_CREAT | O_WRONLY, 0644);
		ok = fd >= 0 && close(fd) == 0;
	}
	check("create-1000", ok, 0);
	DIR *d = opendir("/work/many");
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += strncmp(e->d_name, "file-", 5) == 0;
	if (d)
		closedir(d);
	check("readdir-1000", n == 1000, n);
	check("rename",
	      rename("/work/many/file-0000", "/work/renamed") == 0 &&
	          access("/work/renamed", F_OK) == 0 && access("/work/many/file-0000", F_OK) == -1,
	      0);
	check_err("rename-noreplace",
	          syscall(SYS_renameat2, AT_FDCWD, "/work/renamed", AT_FDCWD, "/work/f.txt", 1),
	          EEXIST);
	check_err("rename-exdev", rename("/work/renamed", "/mnt/data/renamed"), EXDEV);
	ok = 1;
	for (int i = 1; i < 1000; i++) {
		snprintf(name, sizeof(name), "/work/many/file-%04d", i);
		ok &= unlink(name) == 0;
	}
	check("unlink-999", ok, 0);
	check("rmdir", rmdir("/work/many") == 0 && access("/work/many", F_OK) == -1, 0);
	check("symlink", symlink("f.txt", "/work/link") == 0, 0);
	char target[64] = {0};
	check("readlink",
	      readlink("/work/link", target, sizeof(target)) == 5 && !strcmp(target, "f.txt"), 0);
	struct stat st;
	check("lstat-link", lstat("/work/link", &st) == 0 && S_ISLNK(st.st_mode), 0);
	check("stat-through-link", stat("/work/link", &st) == 0 && S_ISREG(st.st_mode), 0);
	check_err("open-nofollow", open("/work/link", O_RDONLY | O_NOFOLLOW), ELOOP);
	check("link",
	      link("/work/f.txt", "/work/hard") == 0 && stat("/work/hard", &st) == 0 &&
	          st.st_nlink == 2,
	      (long)st.st_nlink);
	int dfd = open("/work", O_RDONLY | O_DIRECTORY);
	check("unlinkat", unlinkat(dfd, "hard", 0) == 0 && unlinkat(dfd, "link", 0) == 0, 0);
	check("fstatat", fstatat(dfd, "f.txt", &st, 0) == 0 && S_ISREG(st.st_mode), 0);
	close(dfd);
	check("chdir-share", chdir("/work") == 0 && access("f.txt", R_OK) == 0, 0);
	chdir("/");
}

static void test_share_mounts(char **argv)
{
	char buf[128] = {0};
	int fd = open("/ro/a.txt", O_RDONLY);
	/* A page-cached file's read is not probed first (kernel/sys/io.c): its copy faults instead,
	 * into memory mapped read-only or not at all, and the position stays where it was. */
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check_err("ro-read-into-readonly", read(fd, ro, 16), EFAULT);
	check_err("ro-read-into-unmapped", read(fd, none, 16), EFAULT);
	check("ro-read",
	      fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 &&
	          !strncmp(buf, argv[8], strlen(argv[8])),
	      fd);
	close(fd);
	munmap(ro, 4096);
	munmap(none, 4096);
	check_err("ro-write", open("/ro/a.txt", O_WRONLY), EROFS);
	check_err("ro-create", open("/ro/new", O_CREAT | O_WRONLY, 0644), EROFS);
	check_err("ro-mkdir", mkdir("/ro/d", 0755), EROFS);
	check_err("ro-unlink", unlink("/ro/a.txt"), EROFS);
	check_err("ro-access", access("/ro/a.txt", W_OK), EROFS);
	check_err("ro-chown", chown("/ro/a.txt", (uid_t)-1, (gid_t)-1), EROFS);
	struct statfs sf;
	check("ro-statfs", statfs("/ro", &sf) == 0 && (sf.f_flags & 1), (long)sf.f_flags);
	fd = open("/mnt/data/from-guest", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	check("second-rw-share", fd >= 0 && write(fd, "written by the guest\n", 21) == 21, fd);
	close(fd);
	char cwd[64];
	check("dotdot-mount-root",
	      chdir("/mnt/data/..") == 0 && getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, "/mnt"), 0);
	chdir("/");
	/* Escapes: none reaches the host's files. The share at / has its own etc/passwd. */
	memset(buf, 0, sizeof(buf));
	fd = open("../../etc/passwd", O_RDONLY);
	check("dotdot-stays",
	      fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 && !strncmp(buf, "share passwd", 12),
	      fd);
	close(fd);
	memset(buf, 0, sizeof(buf));
	fd = open("/ro/escape/passwd", O_RDONLY);
	check("symlink-climbs-in-guest",
	      fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 && !strncmp(buf, "share passwd", 12),
	      fd);
	close(fd);
	memset(buf, 0, sizeof(buf));
	fd = open("/ro/abs", O_RDONLY);
	check("symlink-absolute-in-guest",
	      fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 && !strncmp(buf, "share passwd", 12),
	      fd);
	close(fd);
	check_err("ro-dotdot-no-host", open("/ro/../../../../root", O_RDONLY), ENOENT);
}

/* How many entries named name the directory path lists. */
static int dir_count(const char *path, const char *name)
{
	DIR *d = opendir(path);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += !strcmp(e->d_name, name);
	if (d)
		closedir(d);
	return d ? n : -1;
}

/* How many lines of the file path start with prefix, and the number after the first one's ':'. */
static int file_lines(const char *path, const char *prefix, unsigned long long *value)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, prefix, strlen(prefix)))
			continue;
		const char *colon = strchr(line, ':');
		if (!n++ && colon)
			*value = strtoull(colon + 1, NULL, 10);
	}
	if (f)
		fclose(f);
	return f ? n : -1;
}

/* /proc (kernel/fs/proc.c): the program's link, its descriptors, memory and CPUs. */
static void test_proc(const char *argv0)
{
	char target[256], want[256];
	snprintf(want, sizeof(want), "/%s", argv0);
	ssize_t n = readlink("/proc/self/exe", target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = 0;
	check("proc-self-exe", n > 0 && !strcmp(target, want), n);
	struct stat st;
	check("proc-self-exe-lstat", lstat("/proc/self/exe", &st) == 0 && S_ISLNK(st.st_mode), 0);
	int fd = open("/dev/zero", O_RDONLY);
	snprintf(want, sizeof(want), "/proc/self/fd/%d", fd);
	n = readlink(want, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = 0;
	check("proc-fd-file", n > 0 && !strcmp(target, "/dev/zero"), n);
	char name[16];
	snprintf(name, sizeof(name), "%d", fd);
	check("proc-fd-listed",
	      dir_count("/proc/self/fd", name) == 1 && dir_count("/proc/self/fd", "2") == 1, fd);
	/* Following the link opens what the descriptor is open on. */
	int again = open(want, O_RDONLY);
	check("proc-fd-follow", again >= 0 && fstat(again, &st) == 0 && S_ISCHR(st.st_mode), again);
	close(again);
	close(fd);
	check_err("proc-fd-closed", readlink(want, target, sizeof(target)), ENOENT);
	n = readlink("/proc/self/fd/1", target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = 0;
	check("proc-fd-console", n > 0 && !strcmp(target, "/dev/console"), n);
	int p[2];
	check("proc-fd-pipe",
	      pipe(p) == 0 &&
	          (snprintf(want, sizeof(want), "/proc/self/fd/%d", p[0]),
	           n = readlink(want, target, sizeof(target) - 1)) > 0 &&
	          !strncmp(target, "pipe:[", 6),
	      n);
	close(p[0]);
	close(p[1]);

	unsigned long long total = 0, cpus = 0;
	struct sysinfo si;
	check("proc-meminfo",
	      file_lines("/proc/meminfo", "MemTotal:", &total) == 1 && sysinfo(&si) == 0 &&
	          total * 1024 == (unsigned long long)si.totalram * si.mem_unit,
	      (long)total);
	check_err("proc-meminfo-readonly", open("/proc/meminfo", O_WRONLY), EACCES);
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	check("proc-cpuinfo", file_lines("/proc/cpuinfo", "processor", &cpus) == online, online);
	check("proc-cpuinfo-flags", file_lines("/proc/cpuinfo", "flags", &cpus) == online, online);
	check("proc-listed",
	      dir_count("/", "proc") == 1 && dir_count("/proc", "self") == 1 &&
	          dir_count("/proc", "meminfo") == 1 && dir_count("/proc/self", "exe") == 1,
	      0);
}

/* Mount points and the kernel's directories are entries of the share directories they lie in:
 * the share at / has its own "mnt" (tests/e2e/files.sh makes it) but no "ro", "dev" or "proc". */
static void test_share_listing(void)
{
	check("share-lists-mounts", dir_count("/", "ro") == 1 && dir_count("/", "mnt") == 1, 0);
	check("share-lists-kernel-dirs", dir_count("/", "dev") == 1 && dir_count("/", "proc") == 1,
	      0);
	check("share-dir-lists-mount", dir_count("/mnt", "data") == 1, 0);
	check("share-lists-own", dir_count("/", "etc") == 1, 0);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		printf("usage: posix_files noshare | share CRC SIZE CRC0 CRC1 CRC2 CRC3 RO-TEXT | "
		       "cache CRC SIZE\n");
		return 100;
	}
	if (!strcmp(argv[1], "noshare")) {
		test_dev();
		test_noshare_errors();
		test_cwd();
		test_readdir();
		test_proc(argv[0]);
	} else if (!strcmp(argv[1], "cache") && argc == 4) {
		test_cache(argv);
	} else if (!strcmp(argv[1], "share") && argc == 9) {
		test_share_read(argv);
		test_share_write();
		test_share_dirs();
		test_share_mounts(argv);
		test_share_listing();
	} else {
		printf("usage: posix_files noshare | share CRC SIZE CRC0 CRC1 CRC2 CRC3 RO-TEXT | "
		       "cache CRC SIZE\n");
		return 100;
	}
	printf("checks: %d passed, %d failed\n", passed, failed);
	return failed;
}
