/* The system calls Linux programs expect beyond stdio and threads: sysinfo and sysconf,
 * resource limits and usage, times, clock_getres, pipes (in one thread and across two cores),
 * poll and select, affinity, ids, umask, the one-process refusals, and EFAULT for bad pointers in
 * every call that takes one (the program must go on after each). */
// BUILD:
// CASE: sysinfo | --mem 256M -- sysinfo | 0 | ^sysinfo: ok$ && ^phys_pages: ok$
// CASE: limits | -- limits | 0 | ^rlimit: ok$ && ^rusage: ok$ && ^times: ok$ && ^clock_getres: ok$ && ^ids: ok$ && ^umask: ok$ && ^fork: ENOSYS$ && ^affinity: ok$
// CASE: pipe-1 | --cpus 1 -- pipe | 0 | ^pipe: round trip ok$ && ^pipe: eof ok$ && ^pipe: epipe ok$ && ^pipe: eagain ok$ && ^pipe: 1048576 bytes across threads ok$ && ^poll: ok$ && ^select: slept ok$
// CASE: pipe-2 | --cpus 2 -- pipe | 0 | ^pipe: round trip ok$ && ^pipe: 1048576 bytes across threads ok \(2 cores\)$ && ^poll: ok$ && ^select: slept ok$
// CASE: efault | -- efault | 0 | ^efault: 24 of 24$ && ^efault: done$
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024ul * 1024)
#define TRANSFER (1 * MIB)

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			printf("FAILED at line %d: %s (errno %d)\n", __LINE__, #cond, errno); \
			return 1;                                                      \
		}                                                                      \
	} while (0)

static int check_sysinfo(void)
{
	struct sysinfo si;
	CHECK(sysinfo(&si) == 0);
	CHECK(si.mem_unit == 1 && si.procs == 1);
	/* --mem 256M: nearly all of it is the page allocator's (the image and tables are not). */
	CHECK(si.totalram > 200 * MIB && si.totalram <= 256 * MIB);
	CHECK(si.freeram > 0 && si.freeram <= si.totalram);
	printf("sysinfo: ok\n");
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	CHECK(pages > 0 && (unsigned long)pages * (unsigned long)page == si.totalram);
	printf("phys_pages: ok\n");
	return 0;
}

static int check_limits(void)
{
	struct rlimit r;
	CHECK(getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur == 1024 && r.rlim_max == 1024);
	CHECK(getrlimit(RLIMIT_STACK, &r) == 0 && r.rlim_cur >= 64 * 1024 && r.rlim_cur != RLIM_INFINITY);
	CHECK(getrlimit(RLIMIT_CPU, &r) == 0 && r.rlim_cur == RLIM_INFINITY);
	r = (struct rlimit){256, 512};
	CHECK(setrlimit(RLIMIT_NOFILE, &r) == 0);
	CHECK(getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur == 256 && r.rlim_max == 512);
	r = (struct rlimit){256, 1024};
	CHECK(setrlimit(RLIMIT_NOFILE, &r) == -1 && errno == EPERM);
	r = (struct rlimit){600, 512};
	CHECK(setrlimit(RLIMIT_NOFILE, &r) == -1 && errno == EINVAL);
	struct rlimit old;
	CHECK(prlimit(0, RLIMIT_NOFILE, NULL, &old) == 0 && old.rlim_cur == 256);
	printf("rlimit: ok\n");

	struct rusage ru;
	CHECK(getrusage(RUSAGE_SELF, &ru) == 0);
	CHECK(ru.ru_utime.tv_sec > 0 || ru.ru_utime.tv_usec > 0);
	CHECK(ru.ru_maxrss == 0 && ru.ru_nvcsw == 0);
	printf("rusage: ok\n");

	struct tms t;
	clock_t c1 = times(&t);
	struct timespec ts = {0, 30 * 1000 * 1000};
	nanosleep(&ts, NULL);
	clock_t c2 = times(NULL);
	CHECK(c1 != (clock_t)-1 && c2 >= c1 + 2);
	printf("times: ok\n");

	struct timespec res = {7, 7};
	CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec == 1);
	CHECK(clock_getres(CLOCK_REALTIME, NULL) == 0);
	CHECK(clock_getres(12345, &res) == -1 && errno == EINVAL);
	CHECK(syscall(SYS_clock_getres, CLOCK_MONOTONIC, 16) == -1 && errno == EFAULT);
	printf("clock_getres: ok\n");

	CHECK(getppid() == 0 && getuid() == 0 && geteuid() == 0 && getgid() == 0 && getegid() == 0);
	printf("ids: ok\n");
	CHECK(umask(077) == 022 && umask(022) == 077);
	printf("umask: ok\n");
	errno = 0;
	CHECK(syscall(SYS_fork) == -1 && errno == ENOSYS);
	/* posix_spawn clones a process: ENOSYS too, so system() fails saying so. */
	errno = 0;
	CHECK(system("true") == -1 && errno == ENOSYS);
	CHECK(syscall(SYS_execve, "/bin/sh", NULL, NULL) == -1 && errno == ENOSYS);
	CHECK(syscall(SYS_wait4, -1, NULL, 0, NULL) == -1 && errno == ENOSYS);
	printf("fork: ENOSYS\n");

	cpu_set_t set;
	CHECK(sched_getaffinity(0, sizeof(set), &set) == 0);
	CHECK(CPU_COUNT(&set) == sysconf(_SC_NPROCESSORS_ONLN));
	struct utsname u;
	CHECK(uname(&u) == 0 && strcmp(u.release, "6.1.0-toro") == 0);
	printf("affinity: ok\n");
	return 0;
}

struct transfer {
	int fd;
	int cpu; /* the core the writer moved to */
};

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + (i >> 12));
}

static void *writer(void *arg)
{
	struct transfer *t = arg;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(sysconf(_SC_NPROCESSORS_ONLN) - 1, &set);
	sched_setaffinity(0, sizeof(set), &set);
	t->cpu = sched_getcpu();
	static unsigned char buf[10000];
	for (size_t done = 0; done < TRANSFER;) {
		size_t n = TRANSFER - done < sizeof(buf) ? TRANSFER - done : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(done + i);
		ssize_t w = write(t->fd, buf, n);
		if (w <= 0)
			return (void *)1;
		done += (size_t)w;
	}
	close(t->fd);
	return NULL;
}

static int check_pipe_threads(void)
{
	int p[2];
	CHECK(pipe(p) == 0);
	struct transfer t = {p[1], -1};
	pthread_t th;
	CHECK(pthread_create(&th, NULL, writer, &t) == 0);
	static unsigned char buf[7777];
	size_t total = 0;
	for (;;) {
		ssize_t n = read(p[0], buf, sizeof(buf));
		CHECK(n >= 0);
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			CHECK(buf[i] == pattern(total + (size_t)i));
		total += (size_t)n;
	}
	void *rc;
	CHECK(pthread_join(th, &rc) == 0 && rc == NULL);
	CHECK(total == TRANSFER);
	close(p[0]);
	int sched_cpu = sched_getcpu();
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1 && t.cpu != sched_cpu)
		printf("pipe: %zu bytes across threads ok (2 cores)\n", total);
	else
		printf("pipe: %zu bytes across threads ok\n", total);
	return 0;
}

static int check_pipe(void)
{
	int p[2];
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	CHECK(fcntl(p[0], F_GETFD) == FD_CLOEXEC && fcntl(p[1], F_GETFL) == O_WRONLY);
	struct stat st;
	CHECK(fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode));
	struct iovec iov[2] = {{"hello, ", 7}, {"pipe", 4}};
	CHECK(writev(p[1], iov, 2) == 11);
	char buf[64] = {0};
	CHECK(read(p[0], buf, sizeof(buf)) == 11 && strcmp(buf, "hello, pipe") == 0);
	printf("pipe: round trip ok\n");

	struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
	CHECK(poll(pf, 2, 0) == 1 && pf[0].revents == 0 && pf[1].revents == POLLOUT);
	CHECK(write(p[1], "x", 1) == 1);
	CHECK(poll(pf, 1, 1000) == 1 && pf[0].revents == POLLIN);
	CHECK(read(p[0], buf, 1) == 1);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(poll(pf, 1, 50) == 0 && pf[0].revents == 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	CHECK(ms >= 45);
	printf("poll: ok\n");

	close(p[1]);
	CHECK(poll(pf, 1, 0) == 1 && (pf[0].revents & POLLHUP));
	CHECK(read(p[0], buf, sizeof(buf)) == 0);
	printf("pipe: eof ok\n");
	close(p[0]);

	CHECK(pipe2(p, O_NONBLOCK) == 0);
	CHECK(read(p[0], buf, 1) == -1 && errno == EAGAIN);
	static char big[70000];
	CHECK(write(p[1], big, sizeof(big)) == 65536);
	CHECK(write(p[1], "y", 1) == -1 && errno == EAGAIN);
	printf("pipe: eagain ok\n");
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	CHECK(write(p[1], "z", 1) == -1 && errno == EPIPE);
	close(p[1]);
	printf("pipe: epipe ok\n");

	if (check_pipe_threads())
		return 1;

	fd_set rfds;
	CHECK(pipe(p) == 0);
	FD_ZERO(&rfds);
	FD_SET(p[0], &rfds);
	struct timeval tv = {0, 0};
	CHECK(select(p[0] + 1, &rfds, NULL, NULL, &tv) == 0 && !FD_ISSET(p[0], &rfds));
	CHECK(write(p[1], "s", 1) == 1);
	FD_SET(p[0], &rfds);
	CHECK(select(p[0] + 1, &rfds, NULL, NULL, NULL) == 1 && FD_ISSET(p[0], &rfds));
	close(p[0]);
	close(p[1]);
	tv = (struct timeval){0, 100000};
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(select(0, NULL, NULL, NULL, &tv) == 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	CHECK(ms >= 95 && ms < 5000);
	printf("select: slept ok\n");
	return 0;
}

/* Every call gets each bad address and must fail with EFAULT; the program goes on. */
extern char boot_pml4[]; /* the kernel's page tables, in the same image */

static int efault_ok, efault_total;

/* rc is a raw syscall() result: it must be -1 with errno EFAULT. */
static void expect_efault(const char *call, const void *p, long rc)
{
	efault_total++;
	if (rc == -1 && errno == EFAULT)
		efault_ok++;
	else
		printf("efault: %s(%p) gave %ld, errno %d\n", call, p, rc, errno);
	errno = 0;
}

static int check_efault(void)
{
	void *bad[3] = {(void *)8, (void *)0x8000000000ull, boot_pml4};
	for (int i = 0; i < 3; i++) {
		void *p = bad[i];
		int pfd[2];
		expect_efault("write", p, syscall(SYS_write, 1, p, 10));
		if (pipe(pfd) != 0 || write(pfd[1], "0123456789", 10) != 10)
			return 1;
		expect_efault("read", p, syscall(SYS_read, pfd[0], p, 10));
		close(pfd[0]);
		close(pfd[1]);
		expect_efault("clock_gettime", p, syscall(SYS_clock_gettime, 0, p));
		expect_efault("nanosleep", p, syscall(SYS_nanosleep, p, NULL));
		expect_efault("uname", p, syscall(SYS_uname, p));
		expect_efault("getrandom", p, syscall(SYS_getrandom, p, 16, 0));
		expect_efault("writev", p, syscall(SYS_writev, 1, p, 1));
		expect_efault("fstat", p, syscall(SYS_fstat, 1, p));
	}
	printf("efault: %d of %d\n", efault_ok, efault_total);
	/* The rest still works. */
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 1;
	printf("efault: done\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (strcmp(what, "sysinfo") == 0)
		return check_sysinfo();
	if (strcmp(what, "limits") == 0)
		return check_limits();
	if (strcmp(what, "pipe") == 0)
		return check_pipe();
	if (strcmp(what, "efault") == 0)
		return check_efault();
	printf("usage: posix_syscalls sysinfo|limits|pipe|efault\n");
	return 2;
}
