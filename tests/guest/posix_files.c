/* Files for POSIX programs (kernel/sys/fs.c, stat.c, path.c over kernel/fs): with no share, the
 * kernel's /dev nodes, the current directory, and the errors Linux gives (ENOENT rather than
 * ENOSYS for a file no share holds). tests/e2e/files.sh runs the same image on shares ("share"
 * argument). Results go to stdout, one line per check; the exit status is the number of failed
 * checks. */
// BUILD:
// CASE: noshare | -- noshare | 0 | ^dev-null-read: ok$ && ^enoent-passwd: ok$ && ^getcwd-root: ok$ && ^readdir-dev: ok$ && ^checks: [0-9]+ passed, 0 failed$
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
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
	free(longname);
	check_err("efault-path", syscall(SYS_open, 16, O_RDONLY), EFAULT);
	check_err("ebadf-dirfd", openat(77, "x", O_RDONLY), EBADF);
	check_err("enotdir-dirfd", openat(1, "x", O_RDONLY), ENOTDIR);
	check_err("pread-pipe", pread(1, &st, 1, 0), ESPIPE);
}

static void test_cwd(void)
{
	char buf[PATH_MAX];
	check("getcwd-root", getcwd(buf, sizeof(buf)) && !strcmp(buf, "/"), 0);
	check("chdir-dev", chdir("/dev") == 0 && getcwd(buf, sizeof(buf)) && !strcmp(buf, "/dev"), 0);
	int fd = open("zero", O_RDONLY);
	check("open-relative", fd >= 0, fd);
	close(fd);
	check("chdir-dotdot", chdir("../dev/../..") == 0 && getcwd(buf, sizeof(buf)) &&
	                          !strcmp(buf, "/"), 0);
	check_err("chdir-file", chdir("/dev/null"), ENOTDIR);
	check_err("chdir-enoent", chdir("/nowhere"), ENOENT);
	check("getcwd-erange", getcwd(buf, 1) == NULL && errno == ERANGE, 0);
	int dir = open("/dev", O_RDONLY | O_DIRECTORY);
	check("fchdir", dir >= 0 && fchdir(dir) == 0 && getcwd(buf, sizeof(buf)) &&
	                    !strcmp(buf, "/dev"), dir);
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

int main(int argc, char **argv)
{
	if (argc < 2) {
		printf("usage: posix_files noshare\n");
		return 100;
	}
	if (!strcmp(argv[1], "noshare")) {
		test_dev();
		test_noshare_errors();
		test_cwd();
		test_readdir();
	}
	printf("checks: %d passed, %d failed\n", passed, failed);
	return failed;
}
