/* `toro vsock-connect PATH PORT`: this process's stdin and stdout joined to the guest's vsock
 * PORT through a hybrid vsock Unix socket (Firecracker's vsock device, or `toro run --vsock
 * PATH`, vmm/backend/vsock.h): connect to PATH, send "CONNECT PORT\n", take the "OK HOSTPORT\n"
 * answer, then copy bytes both ways until the guest's side ends. gdb runs it as its line:
 * `target remote | toro vsock-connect PATH PORT` reaches a stub started with toro.gdb=vsock:PORT
 * where no TCP forward exists (docs/debugging.md). */
#include "toro.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "error.h"

/* The longest answer line we take: "OK " and a port (Firecracker sends the host-side port). */
#define ANSWER_MAX 64

int vsock_connect_handshake(int fd, unsigned port, char *err, size_t errlen)
{
	char line[32], answer[ANSWER_MAX + 1];
	int n = snprintf(line, sizeof(line), "CONNECT %u\n", port);
	for (int done = 0; done < n;) {
		ssize_t w = write(fd, line + done, (size_t)(n - done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return error_set(err, errlen, "cannot send the CONNECT line: %s",
			                 w < 0 ? strerror(errno) : "closed");
		done += (int)w;
	}
	/* A byte at a time: what follows the line is the guest's, and stays in the socket. */
	size_t len = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return error_set(err, errlen, "reading the answer: %s", strerror(errno));
		if (r == 0)
			return error_set(
			    err, errlen,
			    "the socket closed without an answer (is the guest listening "
			    "on vsock port %u?)",
			    port);
		if (c == '\n')
			break;
		if (len == ANSWER_MAX)
			return error_set(err, errlen, "the answer is longer than %d bytes",
			                 ANSWER_MAX);
		answer[len++] = c;
	}
	answer[len] = '\0';
	if (strncmp(answer, "OK ", 3) != 0 || !answer[3] ||
	    strspn(answer + 3, "0123456789") != len - 3)
		return error_set(err, errlen, "answered '%s', not 'OK PORT'", answer);
	return 0;
}

/* Writes all of [buf, buf + len) to fd: 0, or -1. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int vsock_relay(int in, int out, int sock)
{
	char buf[16384];
	int in_open = 1;
	for (;;) {
		struct pollfd p[2] = {{sock, POLLIN, 0}, {in, POLLIN, 0}};
		if (poll(p, in_open ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[0].revents) {
			ssize_t n = read(sock, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return n < 0 ? -1 : 0; /* the guest's side ended */
			if (write_all(out, buf, (size_t)n))
				return 0; /* our reader (gdb) is gone: nothing more to do */
		}
		if (in_open && p[1].revents) {
			ssize_t n = read(in, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				/* Our input ended: the guest reads the end of the stream and may
				 * still answer. */
				in_open = 0;
				shutdown(sock, SHUT_WR);
			} else if (write_all(sock, buf, (size_t)n)) {
				return -1;
			}
		}
	}
}

int toro_vsock_connect(int argc, char **argv)
{
	if (toro_wants_help(argc, argv)) {
		toro_command_help(stdout, "vsock-connect");
		return 0;
	}
	if (argc != 2) {
		toro_error("vsock-connect: expected PATH PORT");
		return TORO_EXIT_USAGE;
	}
	const char *path = argv[0], *p = argv[1];
	char *end;
	errno = 0;
	unsigned long port = strtoul(p, &end, 10);
	if (!*p || *p == '-' || *end || errno || port > 0xfffffffeul) {
		toro_error("vsock-connect: port '%s': must be a number from 0 to 4294967294", p);
		return TORO_EXIT_USAGE;
	}
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path)) {
		toro_error("vsock-connect: %s: socket path too long (at most %zu bytes)", path,
		           sizeof(a.sun_path) - 1);
		return TORO_EXIT_USAGE;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		toro_error("vsock-connect: %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN); /* a reader that goes away ends the relay, not us */
	char err[256];
	if (vsock_connect_handshake(fd, (unsigned)port, err, sizeof(err))) {
		toro_error("vsock-connect: %s port %lu: %s", path, port, err);
		close(fd);
		return 1;
	}
	int rc = vsock_relay(STDIN_FILENO, STDOUT_FILENO, fd);
	close(fd);
	if (rc) {
		toro_error("vsock-connect: %s port %lu: %s", path, port, strerror(errno));
		return 1;
	}
	return 0;
}
