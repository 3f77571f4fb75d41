/* The application's stdio (docs/architecture.md, "Console routing"): per argument, "split"
 * writes a line to stdout and one to stderr; "echo" copies stdin to stdout until its end, then
 * says on stderr how many bytes came and that read returned 0; "tty" says on stderr whether
 * descriptors 0, 1 and 2 are terminals and, for each that is, its size; "nonblock" reads stdin
 * with O_NONBLOCK (EAGAIN or data, never a wait) and polls it; "notice" makes the kernel print a
 * notice (an unimplemented system call). tests/e2e/stdio.sh runs it with
 * redirections, pipes and files, under both monitors. */
// BUILD:
// CASE: split | --console virtio -- split | 0 | ^stdout line$ && ^stderr line$
// CASE: eof | --console virtio -- echo | 0 | ^echo: 0 bytes, then end of input$
// CASE: eof-serial | --console serial -- echo | 0 | ^echo: 0 bytes, then end of input$
// CASE: not-tty | --console virtio -- tty | 0 | ^tty: 0=0 1=0 2=0$
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int echo(void)
{
	static char buf[65536];
	long total = 0;
	ssize_t n;
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(1, buf + done, (size_t)(n - done));
			if (w <= 0)
				return 3;
			done += w;
		}
		total += n;
	}
	if (n < 0) {
		fprintf(stderr, "echo: read failed: %s\n", strerror(errno));
		return 4;
	}
	/* The end stays the end. */
	n = read(0, buf, 1);
	fprintf(stderr, "echo: %ld bytes, then end of input%s\n", total, n == 0 ? "" : " (not kept)");
	return 0;
}

static void tty(void)
{
	fprintf(stderr, "tty: 0=%d 1=%d 2=%d\n", isatty(0), isatty(1), isatty(2));
	for (int fd = 0; fd < 3; fd++) {
		struct winsize ws;
		if (ioctl(fd, TIOCGWINSZ, &ws) == 0)
			fprintf(stderr, "winsize %d: %dx%d\n", fd, ws.ws_row, ws.ws_col);
	}
}

static int nonblock(void)
{
	int fl = fcntl(0, F_GETFL);
	fcntl(0, F_SETFL, fl | O_NONBLOCK);
	char c;
	ssize_t n = read(0, &c, 1);
	fprintf(stderr, "nonblock: %s\n",
	        n < 0 && errno == EAGAIN ? "EAGAIN" : n == 0 ? "eof" : n == 1 ? "data" : "error");
	fcntl(0, F_SETFL, fl);
	struct pollfd p = {.fd = 0, .events = POLLIN};
	int r = poll(&p, 1, 10000);
	fprintf(stderr, "poll: %d %s\n", r, r == 1 && (p.revents & POLLIN) ? "readable" : "not");
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;
	for (int i = 1; i < argc && rc == 0; i++) {
		if (strcmp(argv[i], "split") == 0) {
			printf("stdout line\n");
			fflush(stdout);
			fprintf(stderr, "stderr line\n");
		} else if (strcmp(argv[i], "echo") == 0) {
			rc = echo();
		} else if (strcmp(argv[i], "tty") == 0) {
			tty();
		} else if (strcmp(argv[i], "notice") == 0) {
			/* A call the kernel does not implement: its one-line notice is a kernel
			 * message, so it goes to stderr. */
			syscall(425 /* io_uring_setup */, 1, NULL);
		} else if (strcmp(argv[i], "nonblock") == 0) {
			rc = nonblock();
		} else {
			fprintf(stderr, "unknown word %s\n", argv[i]);
			rc = 2;
		}
	}
	return rc;
}
