/* The host's side of tests/e2e/vsock-native.sh: a small client and server for the monitor's
 * vsock ends, since the nested test VM has only bash and busybox (whose nc knows no Unix
 * sockets). Built by the Makefile into build/tests/guest/, which the nested VM carries.
 *   vsock-peer send ADDR                 sends stdin, shuts down writing, prints what comes back
 *   vsock-peer serve PATH                accepts one connection on the Unix socket PATH, reads
 *                                        to the end, answers "host got <count>: <bytes>"
 *   vsock-peer rate ADDR N               N connections one after another, each sending one byte
 *                                        and reading to the end; prints "N connections in S s"
 *   vsock-peer many ADDR N BYTES         N connections at once, each sending BYTES bytes of its
 *                                        own pattern and checking the guest's
 *                                        "sum=<a>,<b> bytes=<count>" answer
 *   vsock-peer pingpong ADDR SIZE N      one connection: N times, sends SIZE bytes and reads the
 *                                        SIZE bytes echoed before sending more (bench/vsock.sh
 *                                        counts the guest's instructions per round trip)
 * ADDR is tcp:HOST:PORT (a --forward port) or unix:PATH:PORT (Firecracker's hybrid vsock:
 * "CONNECT PORT\n", then "OK ...\n"). Exit status 0 when everything checked out. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <fcntl.h>

static void die(const char *what)
{
	fprintf(stderr, "vsock-peer: %s: %s\n", what, errno ? strerror(errno) : "failed");
	exit(1);
}

/* Reads one line (up to '\n', at most size - 1 bytes) byte by byte, so nothing after it is
 * consumed. */
static int read_line(int fd, char *line, size_t size)
{
	size_t n = 0;
	while (n + 1 < size) {
		ssize_t r = read(fd, line + n, 1);
		if (r <= 0) {
			line[n] = 0;
			return -1;
		}
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = 0;
	return 0;
}

static int connect_addr(const char *addr)
{
	char copy[512];
	snprintf(copy, sizeof(copy), "%s", addr);
	if (strncmp(copy, "tcp:", 4) == 0) {
		char *host = copy + 4, *port = strrchr(host, ':');
		if (!port)
			die("tcp address without a port");
		*port++ = 0;
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
		if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
			die("bad IPv4 address");
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
			die("connect (tcp)");
		return fd;
	}
	if (strncmp(copy, "unix:", 5) == 0) {
		char *path = copy + 5, *port = strrchr(path, ':');
		if (!port)
			die("unix address without a port");
		*port++ = 0;
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		if (strlen(path) >= sizeof(sun.sun_path)) {
			errno = ENAMETOOLONG;
			die(path);
		}
		memcpy(sun.sun_path, path, strlen(path) + 1);
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
			die("connect (unix)");
		char req[64], line[128] = "";
		int len = snprintf(req, sizeof(req), "CONNECT %s\n", port);
		if (write(fd, req, (size_t)len) != len)
			die("write CONNECT");
		if (read_line(fd, line, sizeof(line)) || strncmp(line, "OK ", 3) != 0) {
			errno = 0;
			fprintf(stderr, "vsock-peer: CONNECT %s answered \"%s\"%s\n", port, line,
			        line[0] ? "" : " (closed)");
			exit(1);
		}
		return fd;
	}
	errno = 0;
	die("address is neither tcp:HOST:PORT nor unix:PATH:PORT");
	return -1;
}

/* Sends stdin and copies what comes back to stdout at the same time: an echo of more than the
 * sockets' buffers hold would otherwise stall with both sides waiting for the other to read. */
static int send_stdin(const char *addr)
{
	int fd = connect_addr(addr);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	static char out[65536], in[65536];
	size_t have = 0, off = 0;
	int input_done = 0;
	for (;;) {
		if (!have && !input_done) {
			ssize_t r = read(0, out, sizeof(out));
			if (r < 0)
				die("read stdin");
			if (r == 0) {
				input_done = 1;
				shutdown(fd, SHUT_WR);
			}
			have = (size_t)r;
			off = 0;
		}
		struct pollfd p = {fd, (short)(POLLIN | (have ? POLLOUT : 0)), 0};
		if (poll(&p, 1, 60000) <= 0)
			die("poll (stuck for 60 s)");
		if (have && (p.revents & POLLOUT)) {
			ssize_t w = write(fd, out + off, have);
			if (w < 0 && errno != EAGAIN)
				die("write");
			if (w > 0) {
				off += (size_t)w;
				have -= (size_t)w;
			}
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = read(fd, in, sizeof(in));
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r < 0)
				die("read");
			if (r == 0)
				break;
			if (fwrite(in, 1, (size_t)r, stdout) != (size_t)r)
				die("write stdout");
		}
	}
	return 0;
}

static int serve(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		die(path);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	unlink(path);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sun, sizeof(sun)) || listen(l, 4))
		die("listen (unix)");
	printf("ready\n");
	fflush(stdout);
	int fd = accept(l, NULL, NULL);
	if (fd < 0)
		die("accept");
	static char buf[1 << 20];
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - n)) > 0)
		n += (size_t)r;
	char head[64];
	int len = snprintf(head, sizeof(head), "host got %zu: ", n);
	if (write(fd, head, (size_t)len) != len || write(fd, buf, n) != (ssize_t)n)
		die("write");
	close(fd);
	close(l);
	unlink(path);
	return 0;
}

struct conn {
	int fd;
	size_t sent, total;
	uint32_t seed;
	uint32_t a, b; /* the sum of what was sent (tests/guest/native_vsock.c's sum_add) */
	char reply[128];
	size_t got;
	int done;
};

static uint8_t pattern_byte(struct conn *c, size_t i)
{
	return (uint8_t)((i * 131 + c->seed * 7919 + (i >> 9)) & 0xff);
}

static int many(const char *addr, int n, size_t bytes)
{
	struct conn *c = calloc((size_t)n, sizeof(*c));
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	if (!c || !p)
		die("memory");
	for (int i = 0; i < n; i++) {
		c[i].fd = connect_addr(addr);
		c[i].total = bytes;
		c[i].seed = (uint32_t)i;
		fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
	}
	int left = n, bad = 0;
	uint8_t chunk[16384];
	while (left) {
		for (int i = 0; i < n; i++) {
			p[i].fd = c[i].done ? -1 : c[i].fd;
			p[i].events = c[i].sent < c[i].total ? POLLIN | POLLOUT : POLLIN;
		}
		if (poll(p, (nfds_t)n, 30000) <= 0)
			die("poll (stuck for 30 s)");
		for (int i = 0; i < n; i++) {
			struct conn *k = &c[i];
			if (k->done)
				continue;
			if ((p[i].revents & POLLOUT) && k->sent < k->total) {
				size_t len = k->total - k->sent < sizeof(chunk) ? k->total - k->sent : sizeof(chunk);
				for (size_t j = 0; j < len; j++)
					chunk[j] = pattern_byte(k, k->sent + j);
				ssize_t w = write(k->fd, chunk, len);
				if (w < 0 && errno != EAGAIN)
					die("write");
				for (ssize_t j = 0; j < w; j++) {
					k->a += chunk[j];
					k->b += k->a;
				}
				if (w > 0)
					k->sent += (size_t)w;
				if (k->sent == k->total)
					shutdown(k->fd, SHUT_WR);
			}
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				ssize_t r = read(k->fd, k->reply + k->got, sizeof(k->reply) - 1 - k->got);
				if (r < 0 && errno == EAGAIN)
					continue;
				if (r > 0) {
					k->got += (size_t)r;
					continue;
				}
				k->reply[k->got] = 0;
				char want[128];
				snprintf(want, sizeof(want), "sum=%u,%u bytes=%zu\n", k->a, k->b, k->total);
				if (k->sent != k->total || strcmp(k->reply, want) != 0) {
					fprintf(stderr, "connection %d: sent %zu, reply \"%s\", expected \"%s\"\n",
					        i, k->sent, k->reply, want);
					bad++;
				}
				close(k->fd);
				k->done = 1;
				left--;
			}
		}
	}
	printf("%d connections, %d bad\n", n, bad);
	return bad != 0;
}

static int rate(const char *addr, int n)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) {
		int fd = connect_addr(addr);
		char b = 'x';
		if (write(fd, &b, 1) != 1)
			die("write");
		shutdown(fd, SHUT_WR);
		char buf[64];
		ssize_t r;
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			;
		if (r < 0)
			die("read");
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%d connections in %.3f s\n", n,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}

static int pingpong(const char *addr, size_t size, int n)
{
	static char out[65536], in[65536];
	if (size == 0 || size > sizeof(out)) {
		errno = EINVAL;
		die("pingpong size (1 to 65536 bytes)");
	}
	int fd = connect_addr(addr);
	for (size_t i = 0; i < size; i++)
		out[i] = (char)(i * 131 + (i >> 8));
	for (int k = 0; k < n; k++) {
		if (write(fd, out, size) != (ssize_t)size)
			die("write");
		for (size_t got = 0; got < size;) {
			ssize_t r = read(fd, in + got, size - got);
			if (r <= 0) {
				errno = r ? errno : 0;
				die("read (the echo ended early)");
			}
			got += (size_t)r;
		}
		if (memcmp(in, out, size) != 0) {
			errno = 0;
			die("the echo differs");
		}
	}
	shutdown(fd, SHUT_WR);
	char buf[64];
	if (read(fd, buf, sizeof(buf)) != 0) {
		errno = 0;
		die("more than the echo came back");
	}
	close(fd);
	printf("%d round trips of %zu bytes\n", n, size);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "send") == 0)
		return send_stdin(argv[2]);
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2]);
	if (argc == 4 && strcmp(argv[1], "rate") == 0)
		return rate(argv[2], atoi(argv[3]));
	if (argc == 5 && strcmp(argv[1], "many") == 0)
		return many(argv[2], atoi(argv[3]), (size_t)strtoull(argv[4], NULL, 10));
	if (argc == 5 && strcmp(argv[1], "pingpong") == 0)
		return pingpong(argv[2], (size_t)strtoull(argv[3], NULL, 10), atoi(argv[4]));
	fprintf(stderr,
	        "usage: vsock-peer send ADDR | serve PATH | rate ADDR N | many ADDR N BYTES | "
	        "pingpong ADDR SIZE N\n");
	return 2;
}
