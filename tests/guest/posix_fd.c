/* The descriptor table and the console as a file (kernel/sys/fd.c, kernel/sys/io.c,
 * kernel/core/console_file.c, kernel/sys/lock.c): writes through 1, 2 and their copies,
 * dup/dup2/dup3, fcntl and its record locks,
 * close, lowest-free allocation, and the errors Linux gives. Results go out with write(2) on
 * fd 2, since fd 1 is closed on purpose; the exit status is the number of failed checks. */
// BUILD:
// CASE: fd | | 0 | ^w1 ok$ && ^w2 ok$ && ^wv1 ok$ && ^wv2 ok$ && ^dup ok$ && ^dup2 ok$ && ^dup3 ok$ && ^fcntl-dupfd ok$ && ^setlk-write: ok$ && ^getlk-unlocked: ok$ && ^setlk-read-on-wronly: ok$ && ^restored ok$ && ^checks: [0-9]+ passed, 0 failed$
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static int passed, failed;

static void say(const char *s)
{
	write(2, s, strlen(s));
}

/* One line per check: "NAME: ok", or "NAME: FAIL (got RC, errno E)". */
static void check(const char *name, int ok, long rc)
{
	char line[160];
	if (ok)
		snprintf(line, sizeof(line), "%s: ok\n", name);
	else
		snprintf(line, sizeof(line), "%s: FAIL (got %ld, errno %d)\n", name, rc, errno);
	say(line);
	ok ? passed++ : failed++;
}

/* rc is -1 with errno e. */
static void check_err(const char *name, long rc, int e)
{
	check(name, rc == -1 && errno == e, rc);
}

static void check_write(const char *name, int fd, const char *text)
{
	long rc = write(fd, text, strlen(text));
	check(name, rc == (long)strlen(text), rc);
}

static void check_writev(const char *name, int fd, const char *a, const char *b)
{
	struct iovec iov[3] = {{(void *)a, strlen(a)}, {NULL, 0}, {(void *)b, strlen(b)}};
	long rc = writev(fd, iov, 3);
	check(name, rc == (long)(strlen(a) + strlen(b)), rc);
}

static void test_writes(void)
{
	check_write("write-1", 1, "w1 ok\n");
	check_write("write-2", 2, "w2 ok\n");
	check_writev("writev-1", 1, "wv1 ", "ok\n");
	check_writev("writev-2", 2, "wv2 ", "ok\n");
	check("write-empty", write(1, NULL, 0) == 0, 0);
	check_err("write-efault", syscall(SYS_write, 1, 16, 4), EFAULT);
	char c;
	long rc = read(0, &c, 1);
	check("read-0-eof", rc == 0, rc);
	struct iovec iov = {&c, 1};
	rc = readv(0, &iov, 1);
	check("readv-0-eof", rc == 0, rc);
}

static void test_dup(void)
{
	long d = dup(1);
	check("dup-lowest", d == 3, d);
	check_write("dup-write", (int)d, "dup ok\n");
	long d2 = dup2(1, 10);
	check("dup2-target", d2 == 10, d2);
	check_write("dup2-write", 10, "dup2 ok\n");
	check("dup2-same", dup2(10, 10) == 10, 0);
	check_err("dup2-same-closed", dup2(40, 40), EBADF);
	long d3 = dup3(1, 11, O_CLOEXEC);
	check("dup3-target", d3 == 11, d3);
	check("dup3-cloexec", fcntl(11, F_GETFD) == FD_CLOEXEC, 0);
	check_write("dup3-write", 11, "dup3 ok\n");
	check_err("dup3-same", syscall(SYS_dup3, 1, 1, 0), EINVAL);
	check_err("dup3-flags", syscall(SYS_dup3, 1, 12, 1), EINVAL);
	check_err("dup2-closed", dup2(33, 12), EBADF);
	check_err("dup2-too-big", dup2(1, 5000), EBADF);

	/* Lowest free: 3, 10, 11 are taken; 4 and 5 come next, and 4 again once closed. */
	long a = dup(1), b = dup(1);
	check("dup-next", a == 4 && b == 5, a * 100 + b);
	check("close", close((int)a) == 0, 0);
	long again = dup(1);
	check("dup-reuses-lowest", again == 4, again);
	check_err("close-twice", close(40), EBADF);
	for (int fd = 3; fd <= 11; fd++)
		close(fd);
}

static void test_fcntl(void)
{
	check("getfd-0", fcntl(1, F_GETFD) == 0, 0);
	long d = dup(1);
	check("setfd", fcntl(1, F_SETFD, FD_CLOEXEC) == 0, 0);
	check("getfd-set", fcntl(1, F_GETFD) == FD_CLOEXEC, 0);
	check("cloexec-per-descriptor", fcntl((int)d, F_GETFD) == 0, 0);
	fcntl(1, F_SETFD, 0);
	long fl = fcntl(1, F_GETFL);
	check("getfl-wronly", fl >= 0 && (fl & O_ACCMODE) == O_WRONLY, fl);
	check("setfl", fcntl(1, F_SETFL, fl | O_NONBLOCK | O_APPEND) == 0, 0);
	fl = fcntl((int)d, F_GETFL);
	check("status-flags-shared", (fl & (O_NONBLOCK | O_APPEND)) == (O_NONBLOCK | O_APPEND), fl);
	fcntl(1, F_SETFL, fl & ~(O_NONBLOCK | O_APPEND));
	check("setfl-cleared", (fcntl(1, F_GETFL) & (O_NONBLOCK | O_APPEND)) == 0, 0);
	check("accmode-kept", (fcntl(1, F_GETFL) & O_ACCMODE) == O_WRONLY, 0);
	close((int)d);

	long f = fcntl(1, F_DUPFD, 20), g = fcntl(1, F_DUPFD_CLOEXEC, 20);
	check("f-dupfd", f == 20 && fcntl(20, F_GETFD) == 0, f);
	check("f-dupfd-cloexec", g == 21 && fcntl(21, F_GETFD) == FD_CLOEXEC, g);
	check_write("fcntl-dupfd-write", 21, "fcntl-dupfd ok\n");
	check_err("f-dupfd-range", syscall(SYS_fcntl, 1, F_DUPFD, 5000), EINVAL);
	check_err("fcntl-unknown", syscall(SYS_fcntl, 1, 9999, 0), EINVAL);
	check_err("fcntl-closed", fcntl(30, F_GETFD), EBADF);
	close(20);
	close(21);
}

static void test_errors(void)
{
	char c = 'x';
	check_err("write-large-fd", write(4096, &c, 1), EBADF);
	check_err("write-negative-fd", write(-1, &c, 1), EBADF);
	check_err("read-closed-fd", read(77, &c, 1), EBADF);
	check_err("close-negative", close(-1), EBADF);
	check_err("lseek-console", lseek(1, 0, SEEK_CUR), ESPIPE);
	check_err("lseek-closed", lseek(50, 0, SEEK_SET), EBADF);
	check_err("ioctl-closed", syscall(SYS_ioctl, 50, 0x5413, &c), EBADF);

	struct stat st;
	check("fstat-chr", fstat(1, &st) == 0 && S_ISCHR(st.st_mode), (long)st.st_mode);
	check_err("fstat-closed", syscall(SYS_fstat, 500, &st), EBADF);
	check_err("fstat-efault", syscall(SYS_fstat, 1, 16), EFAULT);
	/* tests/run.sh gives the run files, not terminals. */
	check("isatty", !isatty(0) && !isatty(1) && !isatty(2), 0);
}

/* Record locks: one process never conflicts with itself, so every valid request is granted and
 * F_GETLK finds nothing in the way; the lock's type must match the descriptor's access mode. */
static void test_record_locks(void)
{
	struct flock w = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100};
	struct flock r = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 0};
	check("setlk-write", fcntl(1, F_SETLK, &w) == 0, 0);
	check("setlk-again", fcntl(1, F_SETLKW, &w) == 0, 0);
	struct flock q = w;
	check("getlk-unlocked", fcntl(1, F_GETLK, &q) == 0 && q.l_type == F_UNLCK, q.l_type);
	check("setlk-read", fcntl(0, F_SETLK, &r) == 0, 0);
	check_err("setlk-read-on-wronly", fcntl(1, F_SETLK, &r), EBADF);
	check_err("setlk-write-on-rdonly", fcntl(0, F_SETLK, &w), EBADF);
	struct flock u = {.l_type = F_UNLCK, .l_whence = SEEK_SET};
	check("setlk-unlock", fcntl(1, F_SETLK, &u) == 0, 0);
	check_err("getlk-unlck", fcntl(1, F_GETLK, &u), EINVAL);
	struct flock bad = {.l_type = 7, .l_whence = SEEK_SET};
	check_err("setlk-bad-type", fcntl(1, F_SETLK, &bad), EINVAL);
	struct flock neg = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = -1};
	check_err("setlk-negative-start", fcntl(1, F_SETLK, &neg), EINVAL);
	check_err("setlk-efault", syscall(SYS_fcntl, 1, F_SETLK, 16), EFAULT);
	check_err("setlk-closed", fcntl(40, F_SETLK, &w), EBADF);
}

/* close(1), then write(1) fails; dup2(2, 1) brings it back. */
static void test_close_stdout(void)
{
	check("close-1", close(1) == 0, 0);
	check_err("write-closed-1", write(1, "x", 1), EBADF);
	long d = dup(2);
	check("dup-takes-1", d == 1, d);
	close(1);
	check("dup2-restores-1", dup2(2, 1) == 1, 0);
	check_write("write-restored", 1, "restored ok\n");
}

int main(void)
{
	test_writes();
	test_dup();
	test_fcntl();
	test_record_locks();
	test_errors();
	test_close_stdout();
	char line[64];
	snprintf(line, sizeof(line), "checks: %d passed, %d failed\n", passed, failed);
	say(line);
	return failed;
}
