/* Native vsock sockets (include/toro/socket.h) from inside the guest. The first argument picks
 * a role; tests/e2e/vsock-native.sh plays the host's side through the monitor's --vsock and
 * --forward, and the cases below need no host program.
 *   nodevice             no vsock device: the calls say ENODEV
 *   echo PORT N          serves N connections one after another, echoing until the end of each
 *   serve PORT N         serves N connections at once, one thread each (cores in turn): reads
 *                        until the end of the stream, answers "sum=<a>,<b> bytes=<count>"
 *   halfclose PORT       one connection: reads to the end, then answers "got <count>" and closes
 *   connect PORT MSG     connects to the host's PORT, sends MSG, prints what comes back
 *   refused PORT         connects to the host's PORT and expects ECONNREFUSED
 *   exitopen PORT        accepts one connection, waits up to 200 ms (a receive timeout) for
 *                        anything the host sends: "recv timed out", or the end of its stream;
 *                        then sends "bye" and exits with the connection still open
 * Lines for the script: "listening <port>", then results; "FAIL ..." with exit status 1. */
// BUILD: --native --no-fpu
// CASE: nodevice | -- nodevice | 0 | ^cid 0$ && ^listen: -19$ && ^connect: -19$ && ^done$
#include <toro/console.h>
#include <toro/socket.h>
#include <toro/system.h>
#include <toro/thread.h>

#include "native_test.h"

static int fail(const char *what, long err)
{
	toro_printf("FAIL %s: %ld\n", what, err);
	return 1;
}

static toro_socket *listen_on(int port)
{
	toro_socket *l;
	int err = toro_listen((uint32_t)port, 64, &l);
	if (err) {
		fail("listen", err);
		toro_exit(1);
	}
	toro_printf("listening %d\n", port);
	return l;
}

static toro_socket *accept_one(toro_socket *l)
{
	toro_socket *c;
	int err = toro_accept(l, &c, 0);
	if (err) {
		fail("accept", err);
		toro_exit(1);
	}
	return c;
}

static char buf[65536];

/* Appends text and then the decimal v to out at *len (no libc in a native image). */
static void put(char *out, int *len, const char *text, uint64_t v)
{
	while (*text)
		out[(*len)++] = *text++;
	char digits[20];
	int n = 0;
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		out[(*len)++] = digits[--n];
}

static int echo(int port, int n)
{
	toro_socket *l = listen_on(port);
	for (int i = 0; i < n; i++) {
		toro_socket *c = accept_one(l);
		long total = 0, r;
		while ((r = toro_recv(c, buf, sizeof(buf), 0)) > 0) {
			long w = toro_send(c, buf, (size_t)r, 0);
			if (w != r)
				return fail("send", w);
			total += r;
		}
		if (r < 0)
			return fail("recv", r);
		toro_close(c);
		toro_printf("echoed %ld\n", total);
	}
	toro_close(l);
	return 0;
}

/* A position-dependent sum of a byte stream, kept across calls: a is the sum of the bytes, b
 * the sum of the running a (Fletcher's, modulo 2^32: two additions a byte, so that the check
 * costs little next to the transfer). Loss, duplication and reordering all change b. */
struct sum {
	uint32_t a, b;
	uint64_t bytes;
};

static void sum_add(struct sum *s, const uint8_t *p, long n)
{
	uint32_t a = s->a, b = s->b;
	for (long i = 0; i < n; i++) {
		a += p[i];
		b += a;
	}
	s->a = a;
	s->b = b;
	s->bytes += (uint64_t)n;
}

static void *serve_one(void *arg)
{
	toro_socket *c = arg;
	uint8_t local[8192];
	struct sum s = {0, 0, 0};
	long r;
	while ((r = toro_recv(c, local, sizeof(local), 0)) > 0)
		sum_add(&s, local, r);
	if (r < 0) {
		toro_printf("FAIL recv in a connection: %ld\n", r);
		toro_close(c);
		return (void *)1;
	}
	int len = 0;
	put((char *)local, &len, "sum=", s.a);
	put((char *)local, &len, ",", s.b);
	put((char *)local, &len, " bytes=", s.bytes);
	local[len++] = '\n';
	long w = toro_send(c, local, (size_t)len, 0);
	toro_close(c);
	return w == len ? NULL : (void *)1;
}

static int serve(int port, int n)
{
	toro_socket *l = listen_on(port);
	static toro_thread *threads[1024];
	if (n > 1024)
		n = 1024;
	for (int i = 0; i < n; i++) {
		toro_socket *c = accept_one(l);
		threads[i] = toro_thread_create((unsigned)i % toro_core_count(), serve_one, c, 0);
		if (!threads[i])
			return fail("thread", i);
	}
	int bad = 0;
	for (int i = 0; i < n; i++)
		bad += toro_thread_join(threads[i]) != NULL;
	toro_close(l);
	toro_printf("served %d, %d failed\n", n, bad);
	return bad != 0;
}

static int halfclose(int port)
{
	toro_socket *l = listen_on(port);
	toro_socket *c = accept_one(l);
	long total = 0, r;
	while ((r = toro_recv(c, buf, sizeof(buf), 0)) > 0)
		total += r;
	if (r < 0)
		return fail("recv", r);
	int len = 0;
	put(buf, &len, "got ", (uint64_t)total);
	buf[len++] = '\n';
	long w = toro_send(c, buf, (size_t)len, 0);
	if (w != len)
		return fail("send after the peer's shutdown", w);
	toro_close(c);
	toro_close(l);
	toro_printf("halfclose %ld\n", total);
	return 0;
}

static int connect_out(int port, const char *msg)
{
	toro_socket *s;
	int err = toro_connect(TORO_CID_HOST, (uint32_t)port, 0, 0, &s);
	if (err)
		return fail("connect", err);
	size_t len = 0;
	while (msg[len])
		len++;
	long w = toro_send(s, msg, len, 0);
	if (w != (long)len)
		return fail("send", w);
	toro_shutdown(s, TORO_SHUT_WR);
	long total = 0, r;
	while ((r = toro_recv(s, buf + total, sizeof(buf) - 1 - (size_t)total, 0)) > 0)
		total += r;
	if (r < 0)
		return fail("recv", r);
	buf[total] = 0;
	toro_printf("reply: %s\n", buf);
	toro_close(s);
	return 0;
}

static int refused(int port)
{
	toro_socket *s;
	int err = toro_connect(TORO_CID_HOST, (uint32_t)port, 0, 0, &s);
	if (err != -TORO_ECONNREFUSED)
		return fail("connect to a port nobody listens on", err);
	toro_printf("refused\n");
	return 0;
}

static int exitopen(int port)
{
	toro_socket *l = listen_on(port);
	toro_socket *c = accept_one(l);
	toro_set_recv_timeout(c, 200000000);
	uint64_t t0 = toro_time_ns();
	long r = toro_recv(c, buf, sizeof(buf), 0);
	uint64_t waited_ms = (toro_time_ns() - t0) / 1000000;
	if (r == 0)
		toro_printf("recv: the end of the stream\n"); /* a host that shut down sending */
	else if (r == -TORO_EAGAIN && waited_ms >= 190)
		toro_printf("recv timed out\n");
	else
		return fail("recv with a 200 ms timeout (want -EAGAIN)", r);
	if (toro_send(c, "bye\n", 4, 0) != 4)
		return fail("send", 0);
	toro_printf("exiting with a connection open\n");
	return 0;
}

static int nodevice(void)
{
	toro_printf("cid %lu\n", (unsigned long)toro_socket_cid());
	toro_socket *s;
	toro_printf("listen: %d\n", toro_listen(1234, 1, &s));
	toro_printf("connect: %d\n", toro_connect(TORO_CID_HOST, 1234, 0, 0, &s));
	return 0;
}

int main(int argc, char **argv)
{
	int r = 2;
	const char *role = argc > 1 ? argv[1] : "";
	int port = argc > 2 ? to_int(argv[2]) : 0;
	int n = argc > 3 ? to_int(argv[3]) : 1;
	if (streq(role, "nodevice"))
		r = nodevice();
	else if (streq(role, "echo"))
		r = echo(port, n);
	else if (streq(role, "serve"))
		r = serve(port, n);
	else if (streq(role, "halfclose"))
		r = halfclose(port);
	else if (streq(role, "connect") && argc > 3)
		r = connect_out(port, argv[3]);
	else if (streq(role, "refused"))
		r = refused(port);
	else if (streq(role, "exitopen"))
		r = exitopen(port);
	else
		toro_printf("FAIL unknown role %s\n", role);
	toro_printf("done\n");
	return r;
}
