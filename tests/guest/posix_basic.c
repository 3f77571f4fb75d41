/* POSIX boot through musl: printf, arguments, the environment toro run passes (-e, NAME=value), exit codes
 * through return and exit(), and the system calls musl's startup and stdio need. */
// BUILD:
// CASE: boot | | 0 | ^posix boot ok$ && ^argc=1$ && ^argv\[0\]=posix_basic$
// CASE: args | -- a "b c" "" d | 0 | ^argc=5$ && ^argv\[1\]=<a>$ && ^argv\[2\]=<b c>$ && ^argv\[3\]=<>$ && ^argv\[4\]=<d>$
// CASE: exit-0 | -- exit 0 | 0 | ^posix boot ok$
// CASE: exit-1 | -- exit 1 | 1 |
// CASE: exit-42 | -- exit 42 | 42 |
// CASE: exit-255 | -- exit 255 | 255 |
// CASE: exit-call | -- exitcall 3 | 3 | ^atexit ran$
// CASE: mem-2M | --mem 2M | 0 | ^posix boot ok$
// CASE: mem-128M | --mem 128M | 0 | ^posix boot ok$
// CASE: mem-4G | --mem 4G | 0 | ^posix boot ok$
// CASE: syscalls | -- syscalls | 0 | ^uname: Toro x86_64$ && ^pid=1$ && ^clock: ok$ && ^realtime: from the host$ && ^random: ok$ && ^enosys: ok$ && ^winsize: not a terminal$ && ^stdin: eof$ && ^tls: ok$
// CASE: env | -e "A=two words" --env 'B=x"y\z=w' -e C= D=plain --env=E=first -e E=last -e 'F=-- a.b' -- env | 0 | ^A=<two words>$ && ^B=<x"y\\z=w>$ && ^C=<>$ && ^D=<plain>$ && ^E=<last>$ && ^F=<-- a.b>$ && ^G=unset$ && ^argc=2$
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static __thread int tls_value = 1234;

static void on_exit_handler(void)
{
	printf("atexit ran\n");
}

static int check_syscalls(void)
{
	struct utsname u;
	if (uname(&u) != 0)
		return 1;
	printf("uname: %s %s\n", u.sysname, u.machine);
	printf("pid=%d\n", (int)getpid());

	struct timespec a, b;
	if (clock_gettime(CLOCK_MONOTONIC, &a) || clock_gettime(CLOCK_MONOTONIC, &b))
		return 2;
	int ordered = b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec);
	printf("clock: %s\n", ordered ? "ok" : "went backwards");
	/* toro run gives the guest the host's wall clock: it is after 2020 and near the host's. */
	time_t now = time(NULL);
	printf("realtime: %s\n", now > 1577836800 ? "from the host" : "missing");

	unsigned char r1[32], r2[32];
	if (getrandom(r1, sizeof(r1), 0) != sizeof(r1) || getrandom(r2, sizeof(r2), 0) != sizeof(r2))
		return 3;
	printf("random: %s\n", memcmp(r1, r2, sizeof(r1)) ? "ok" : "repeated");

	/* A system call the kernel does not implement must fail with ENOSYS, not crash. */
	long rc = syscall(SYS_io_uring_setup, 1, NULL);
	printf("enosys: %s\n", rc == -1 && errno == ENOSYS ? "ok" : "wrong");

	struct winsize ws;
	/* The run's stdout is a file, not a terminal: TIOCGWINSZ says so. */
	if (ioctl(1, TIOCGWINSZ, &ws) == 0)
		printf("winsize: %dx%d\n", ws.ws_row, ws.ws_col);
	else
		printf("winsize: %s\n", errno == ENOTTY ? "not a terminal" : "error");

	char c;
	printf("stdin: %s\n", read(0, &c, 1) == 0 ? "eof" : "data");
	printf("tls: %s\n", tls_value == 1234 ? "ok" : "broken");
	return 0;
}

/* The variables the env case sets with toro run -e/--env and NAME=value, and one it does not. */
static int print_env(void)
{
	const char *names[] = {"A", "B", "C", "D", "E", "F", "G"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = getenv(names[i]);
		if (v)
			printf("%s=<%s>\n", names[i], v);
		else
			printf("%s=unset\n", names[i]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	printf("posix boot ok\n");
	printf("argc=%d\n", argc);
	if (argc == 1) {
		printf("argv[0]=%s\n", argv[0]);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "exit") == 0)
		return atoi(argv[2]);
	if (argc == 3 && strcmp(argv[1], "exitcall") == 0) {
		atexit(on_exit_handler);
		exit(atoi(argv[2]));
	}
	if (argc == 2 && strcmp(argv[1], "syscalls") == 0)
		return check_syscalls();
	if (argc == 2 && strcmp(argv[1], "env") == 0)
		return print_env();
	for (int i = 1; i < argc; i++)
		printf("argv[%d]=<%s>\n", i, argv[i]);
	return argv[argc] == NULL ? 0 : 99;
}
