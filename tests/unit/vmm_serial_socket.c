/* COM2 for gdb: the 16550 model (vmm/dev/serial.c) with its socket back end
 * (vmm/backend/serial_socket.c) against real TCP and Unix clients, the event loop run on this
 * thread: what the guest sees before a client, bytes both ways through LSR/RBR/THR, the receive
 * interrupt, one client
 * at a time and the next after it goes, a client that does not read (THRE clears, nothing is
 * lost, the monitor holds a bounded amount), a client that sends more than the buffer, a client
 * that closes with the buffer full (no busy loop), and a guest hammering every register. */
// SOURCES: vmm/dev/serial.c vmm/backend/serial_socket.c vmm/event.c common/error.c
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "backend/serial_socket.h"
#include "check.h"
#include "dev/serial.h"
#include "event.h"

#define LSR      5
#define LSR_DR   0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

static struct event_loop ev;
static struct serial uart;
static int irqs;
static unsigned irq_line;

static void irq(void *ctx, unsigned line)
{
	(void)ctx;
	irqs++;
	irq_line = line;
}

static void wr(uint64_t off, uint8_t v)
{
	serial_write(&uart, off, &v, 1);
}

static uint8_t rd(uint64_t off)
{
	uint8_t v;
	serial_read(&uart, off, &v, 1);
	return v;
}

/* Runs the loop until nothing is left to dispatch. Only for what needs no other process:
 * the loop's own output to a socket; what a client sends may take a while to arrive on a loaded
 * machine, and is waited for with WAIT_FOR. */
static void settle(void)
{
	for (int i = 0; i < 1000 && event_poll(&ev, 20) > 0; i++)
		;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the loop until cond holds, for up to 10 s. */
#define WAIT_FOR(cond)                                                                             \
	for (double until_ = now() + 10; !(cond) && now() < until_;)                               \
	event_poll(&ev, 5)

#define RX_READY (rd(LSR) & LSR_DR)

static int listen_tcp(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(fd, 4) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static int connect_tcp(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons(port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	return fd;
}

/* Reads exactly len bytes (waiting up to 2 s for each piece). Returns how many came. */
static size_t read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 2000) != 1)
			break;
		ssize_t n = recv(fd, (char *)buf + got, len - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* Whether the peer closed fd (a read gives the end of the stream, or a reset), running the loop
 * meanwhile for up to 10 s. */
static int closed_by_peer(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	char c;
	WAIT_FOR(poll(&p, 1, 0) == 1);
	return poll(&p, 1, 0) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

/* A new client that gets the port: the one before may not have been seen going yet, and until it
 * has, a new one is refused; so connect until c reaches the guest. Returns the client. */
static int connect_until_served(uint16_t port, char c)
{
	for (int tries = 0; tries < 50; tries++) {
		int fd = connect_tcp(port);
		CHECK(send(fd, &c, 1, 0) == 1);
		struct pollfd p = {fd, POLLIN, 0};
		WAIT_FOR(RX_READY || poll(&p, 1, 0) == 1);
		if (RX_READY)
			return fd;
		close(fd); /* refused */
	}
	return -1;
}

/* What the guest reads until RBR is empty, into buf; returns the count. */
static size_t guest_drain(uint8_t *buf, size_t cap)
{
	size_t n = 0;
	while (n < cap && (rd(LSR) & LSR_DR))
		buf[n++] = rd(0);
	return n;
}

static void test_no_client(void)
{
	CHECK(rd(LSR) == (LSR_THRE | LSR_TEMT));
	CHECK(rd(0) == 0);    /* nothing received */
	CHECK(rd(2) == 0x01); /* IIR: no interrupt, ever */
	wr(0, 'x');           /* no one to hear it: dropped, never held */
	CHECK(rd(LSR) == (LSR_THRE | LSR_TEMT));
	wr(1, 0x0f); /* every interrupt enabled: still none (the port is polled) */
	CHECK(rd(2) == 0x01);
	wr(1, 0);
}

static void test_both_ways(int client)
{
	CHECK(send(client, "abc", 3, 0) == 3);
	WAIT_FOR(RX_READY);
	uint8_t got[8];
	CHECK(rd(LSR) & LSR_DR);
	CHECK(guest_drain(got, sizeof(got)) == 3 && memcmp(got, "abc", 3) == 0);
	CHECK(!(rd(LSR) & LSR_DR) && rd(0) == 0);
	const char *msg = "$OK#9a";
	for (const char *p = msg; *p; p++) {
		CHECK(rd(LSR) & LSR_THRE);
		wr(0, (uint8_t)*p);
	}
	settle();
	char back[8] = {0};
	CHECK(read_all(client, back, 6) == 6 && memcmp(back, msg, 6) == 0);
	CHECK(rd(LSR) == (LSR_THRE | LSR_TEMT));
}

/* With IER's "received data" bit, data arriving interrupts on IRQ 3 and IIR says why until RBR
 * is read empty; enabling the bit with data waiting interrupts at once. */
static void test_rx_interrupt(int client)
{
	serial_set_irq(&uart, irq, NULL, SERIAL_COM2_IRQ);
	wr(1, 0x01);
	CHECK(irqs == 0 && rd(2) == 0x01);
	CHECK(send(client, "\x03", 1, 0) == 1);
	WAIT_FOR(irqs == 1);
	CHECK(irqs == 1 && irq_line == SERIAL_COM2_IRQ);
	CHECK(rd(2) == 0x04);
	CHECK(rd(0) == 0x03);
	CHECK(rd(2) == 0x01);
	wr(1, 0);
	CHECK(send(client, "xy", 2, 0) == 2);
	WAIT_FOR(RX_READY);
	CHECK(irqs == 1); /* not enabled: no interrupt */
	wr(1, 0x01);
	CHECK(irqs == 2 && rd(2) == 0x04);
	CHECK(rd(0) == 'x' && rd(0) == 'y' && rd(2) == 0x01);
	wr(1, 0x02); /* "transmitter empty" on a port with a line: never */
	wr(0, '+');
	CHECK(irqs == 2 && rd(2) == 0x01);
	wr(1, 0);
	settle();
	char c = 0;
	CHECK(read_all(client, &c, 1) == 1 && c == '+');
}

/* The divisor latch hides RBR and THR: no data moves through offset 0 while DLAB is set. */
static void test_dlab(int client)
{
	CHECK(send(client, "q", 1, 0) == 1);
	WAIT_FOR(RX_READY);
	wr(3, 0x80);
	wr(0, 0x01);
	CHECK(rd(0) == 0x01 && (rd(LSR) & LSR_DR));
	wr(3, 0x03);
	CHECK(rd(0) == 'q');
	settle();
	char c;
	CHECK(recv(client, &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN);
}

/* A client that does not read: the guest writes while THRE says there is room, the loop flushes
 * what the socket takes, and at some point THRE stays clear; nothing written is lost and the
 * amount held stays bounded. Writes that ignore THRE are dropped, not buffered. */
static void test_slow_client(int client)
{
	size_t sent = 0;
	int stalled = 0;
	while (sent < 64u << 20 && stalled < 50) {
		if (rd(LSR) & LSR_THRE) {
			/* THRE: a whole FIFO may follow, as drivers write it. */
			for (int i = 0; i < SERIAL_FIFO_SIZE; i++, sent++)
				wr(0, (uint8_t)('a' + sent % 26));
			stalled = 0;
		} else {
			event_poll(&ev, 10);
			stalled++;
		}
	}
	fprintf(stderr, "slow client: guest sent %zu bytes before THRE stayed clear\n", sent);
	CHECK(uart.overruns == 0);
	CHECK(stalled == 50);    /* the client's silence stopped the guest ... */
	CHECK(sent < 32u << 20); /* ... long before 64 MiB: the host's socket buffers
	                          * and our SERIAL_SOCKET_BUF hold the rest */
	CHECK(!(rd(LSR) & LSR_TEMT));
	/* Ignoring THRE: what fits is taken, the first byte that does not is dropped and
	 * counted. */
	for (int i = 0; i <= SERIAL_FIFO_SIZE && uart.overruns == 0; i++) {
		wr(0, (uint8_t)('a' + sent % 26));
		sent += uart.overruns == 0;
	}
	CHECK(uart.overruns == 1);
	/* The client reads now: every byte, in order, then the buffer empties. */
	char *buf = malloc(sent);
	size_t got = 0;
	while (got < sent) {
		event_poll(&ev, 0);
		struct pollfd p = {client, POLLIN, 0};
		if (poll(&p, 1, 2000) != 1)
			break;
		ssize_t n = recv(client, buf + got, sent - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	CHECK(got == sent);
	int in_order = 1;
	for (size_t i = 0; i < got; i++)
		in_order &= buf[i] == (char)('a' + i % 26);
	CHECK(in_order);
	free(buf);
	settle();
	CHECK(rd(LSR) == (LSR_THRE | LSR_TEMT));
}

/* A client that sends far more than the receive buffer: the guest gets all of it, in order, as
 * it reads (the socket is read again once there is room). */
static void test_big_input(int client)
{
	enum { N = 256 * 1024 };
	uint8_t *out = malloc(N), *in = malloc(N);
	for (size_t i = 0; i < N; i++)
		out[i] = (uint8_t)(i * 7 + i / 256);
	size_t put = 0, got = 0;
	for (double until = now() + 20; got < N && now() < until;) {
		if (put < N) {
			ssize_t n = send(client, out + put, N - put, MSG_DONTWAIT);
			if (n > 0)
				put += (size_t)n;
		}
		event_poll(&ev, 1);
		got += guest_drain(in + got, N - got);
	}
	CHECK(got == N && memcmp(in, out, N) == 0);
	free(out);
	free(in);
}

/* A second client is closed at once while the first stays; when the first goes, the next one
 * gets the port. */
static void test_one_at_a_time(int listen_port, int *client)
{
	int second = connect_tcp((uint16_t)listen_port);
	CHECK(closed_by_peer(second));
	close(second);
	CHECK(send(*client, "1", 1, 0) == 1);
	WAIT_FOR(RX_READY);
	CHECK(rd(0) == '1');

	wr(0, 'z'); /* pending for the client that is about to go: dropped with it */
	close(*client);
	*client = connect_until_served((uint16_t)listen_port, '2');
	CHECK(*client >= 0 && rd(0) == '2');
	wr(0, 'k');
	settle();
	char c = 0;
	CHECK(read_all(*client, &c, 1) == 1 && c == 'k');
}

/* A client that fills the receive buffer and closes: the loop must not report the hang-up over
 * and over while the guest does not read, and the guest still gets what was sent. */
static void test_close_when_full(int listen_port)
{
	enum { N = SERIAL_SOCKET_BUF * 3 };
	static uint8_t data[N];
	for (size_t i = 0; i < N; i++)
		data[i] = (uint8_t)(i % 251);
	int c = connect_until_served((uint16_t)listen_port, (char)data[0]);
	CHECK(send(c, data + 1, N - 1, 0) == N - 1);
	close(c);
	/* The receive buffer fills and the end of the stream waits behind it. */
	for (double until = now() + 2; now() < until;)
		event_poll(&ev, 5);
	int busy = 0;
	for (int i = 0; i < 20; i++)
		busy += event_poll(&ev, 5) > 0;
	CHECK(busy < 3);
	static uint8_t in[N];
	size_t got = 0;
	for (double until = now() + 10; got < N && now() < until;) {
		got += guest_drain(in + got, N - got);
		event_poll(&ev, 1);
	}
	CHECK(got == N && memcmp(in, data, N) == 0);
	/* The port is free again. */
	c = connect_until_served((uint16_t)listen_port, 'u');
	CHECK(c >= 0 && rd(0) == 'u');
	close(c);
}

/* A guest doing anything at all on the eight ports, any size, with a client sending and never
 * reading: no crash, no sanitizer report, and LSR stays a 16550's. */
static void test_hostile_guest(int listen_port)
{
	int c = connect_tcp((uint16_t)listen_port);
	settle();
	uint32_t x = 12345;
	for (int i = 0; i < 200000; i++) {
		x = x * 1103515245u + 12345u;
		uint64_t off = (x >> 8) % 9; /* 8 is past the device: the bus never sends it, but */
		unsigned size = 1u << ((x >> 4) % 3);
		uint32_t v = x >> 12;
		if (x & 1)
			serial_write(&uart, off, &v, size);
		else
			serial_read(&uart, off, &v, size);
		if (i % 1000 == 0) {
			send(c, "$g#67", 5, MSG_DONTWAIT);
			event_poll(&ev, 0);
		}
	}
	wr(3, 0x03); /* DLAB off again */
	CHECK((rd(LSR) & ~(LSR_DR | LSR_THRE | LSR_TEMT)) == 0);
	close(c);
	settle();
	uint8_t sink[SERIAL_SOCKET_BUF];
	guest_drain(sink, sizeof(sink));
}

static void test_unix(void)
{
	char path[] = "/tmp/toro-serial-XXXXXX";
	int tmp = mkstemp(path);
	close(tmp);
	unlink(path);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	CHECK(bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 1) == 0);
	char err[256];
	struct serial_socket *ss = serial_socket_open(l, err, sizeof(err));
	struct serial u2;
	serial_socket_connect_uart(ss, &u2);
	CHECK(serial_socket_attach(ss, &ev, err, sizeof(err)) == 0);
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0);
	settle();
	uint8_t v = 'u';
	serial_write(&u2, 0, &v, 1);
	settle();
	char got = 0;
	CHECK(read_all(c, &got, 1) == 1 && got == 'u');
	CHECK(send(c, "+", 1, 0) == 1);
	settle();
	serial_read(&u2, 0, &v, 1);
	CHECK(v == '+');
	close(c);
	serial_socket_close(ss);
	unlink(path);
}

int main(void)
{
	char err[256];
	CHECK(event_init(&ev, err, sizeof(err)) == 0);
	uint16_t port;
	int l = listen_tcp(&port);
	struct serial_socket *ss = serial_socket_open(l, err, sizeof(err));
	CHECK(ss != NULL);
	serial_socket_connect_uart(ss, &uart);
	CHECK(serial_socket_attach(ss, &ev, err, sizeof(err)) == 0);

	test_no_client();
	int client = connect_tcp(port);
	settle();
	test_both_ways(client);
	test_rx_interrupt(client);
	test_dlab(client);
	test_slow_client(client);
	test_big_input(client);
	test_one_at_a_time(port, &client);
	close(client);
	settle();
	test_close_when_full(port);
	test_hostile_guest(port);
	test_unix();

	serial_socket_close(ss);
	event_destroy(&ev);
	return check_summary("vmm_serial_socket");
}
