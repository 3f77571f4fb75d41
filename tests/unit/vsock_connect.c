/* `toro vsock-connect` (tools/vsock_connect.c): the hybrid vsock handshake against a peer that
 * answers well, badly or not at all (no byte after the answer line is taken from the guest's
 * stream), and the relay: both directions, the end of our input passed on as a half close, the
 * guest's end ending it, and a reader that went away. */
// SOURCES: tools/vsock_connect.c tools/cli.c tools/help.c common/error.c
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "toro.h"

/* The handshake on one end of a socket pair whose other end already holds answer (and is closed
 * for writing after it). Returns its result, the line it sent in sent, and the reason in err. */
static int handshake(const char *answer, size_t answer_len, unsigned port, char *sent,
                     size_t sent_len, char *err, size_t errlen, int *ours)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -2;
	if (answer_len && write(sv[1], answer, answer_len) != (ssize_t)answer_len)
		return -2;
	shutdown(sv[1], SHUT_WR);
	int rc = vsock_connect_handshake(sv[0], port, err, errlen);
	ssize_t n = read(sv[1], sent, sent_len - 1);
	sent[n > 0 ? n : 0] = '\0';
	close(sv[1]);
	*ours = sv[0];
	return rc;
}

static void test_handshake(void)
{
	char sent[64], err[256], rest[16];
	int fd;
	static const char ok[] = "OK 1073741824\nGUEST";
	CHECK(handshake(ok, strlen(ok), 1234, sent, sizeof(sent), err, sizeof(err), &fd) == 0);
	CHECK_STR(sent, "CONNECT 1234\n");
	ssize_t n = read(fd, rest, sizeof(rest) - 1);
	rest[n > 0 ? n : 0] = '\0';
	CHECK_STR(rest, "GUEST"); /* the answer line only was taken */
	close(fd);

	CHECK(handshake("", 0, 7, sent, sizeof(sent), err, sizeof(err), &fd) == -1);
	CHECK_STR(err, "the socket closed without an answer (is the guest listening on vsock "
	               "port 7?)");
	close(fd);

	static const char *const bad[] = {"NO\n", "OK \n", "OK\n", "OK 12x\n", "ok 5\n", "\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(handshake(bad[i], strlen(bad[i]), 7, sent, sizeof(sent), err, sizeof(err),
		                &fd) == -1);
		CHECK(strncmp(err, "answered '", 10) == 0);
		close(fd);
	}
	char lng[100];
	memset(lng, '1', sizeof(lng));
	memcpy(lng, "OK ", 3);
	CHECK(handshake(lng, sizeof(lng), 7, sent, sizeof(sent), err, sizeof(err), &fd) == -1);
	CHECK_STR(err, "the answer is longer than 64 bytes");
	close(fd);
	/* Without its newline, an answer is not one. */
	CHECK(handshake("OK 5", 4, 7, sent, sizeof(sent), err, sizeof(err), &fd) == -1);
	close(fd);
}

/* The guest's side, in a child: reads to the end of the stream, answers "got N" and closes. */
static void peer_counts(int fd)
{
	char buf[64];
	size_t total = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	int len = snprintf(buf, sizeof(buf), "got %zu", total);
	_exit(write(fd, buf, (size_t)len) == len ? 0 : 1);
}

static void test_relay(void)
{
	int sv[2], in[2], out[2], status;
	char buf[64];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(pipe(in) == 0 && pipe(out) == 0);
	CHECK(write(in[1], "ping", 4) == 4);
	close(in[1]); /* our input ends after it: passed on as a half close */
	pid_t child = fork();
	if (child == 0) {
		close(sv[0]);
		peer_counts(sv[1]);
	}
	close(sv[1]);
	CHECK(vsock_relay(in[0], out[1], sv[0]) == 0);
	close(out[1]);
	ssize_t n = read(out[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR(buf, "got 4");
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(sv[0]);
	close(in[0]);
	close(out[0]);

	/* The guest's side ends first: what it sent is delivered, and the relay ends. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(pipe(in) == 0 && pipe(out) == 0);
	CHECK(write(sv[1], "pong", 4) == 4);
	close(sv[1]);
	CHECK(vsock_relay(in[0], out[1], sv[0]) == 0);
	close(out[1]);
	n = read(out[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR(buf, "pong");
	close(sv[0]);
	close(in[0]);
	close(in[1]);
	close(out[0]);

	/* The reader is gone: the relay ends quietly. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(pipe(in) == 0 && pipe(out) == 0);
	close(out[0]);
	CHECK(write(sv[1], "data", 4) == 4);
	CHECK(vsock_relay(in[0], out[1], sv[0]) == 0);
	close(sv[0]);
	close(sv[1]);
	close(in[0]);
	close(in[1]);
	close(out[1]);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_handshake();
	test_relay();
	return check_summary("vsock_connect");
}
