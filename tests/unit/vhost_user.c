/* The vhost-user server (vmm/vhost-user/) serving the virtio-console model to a fake front end
 * over a socketpair, with guest memory in a memfd that both map, as QEMU and the server do: the
 * handshake QEMU makes, a ring started, disabled and enabled, stopped with GET_VRING_BASE and
 * restarted where it stopped, interrupts on the call eventfd, the memory table replaced under a
 * started ring, RESET_OWNER, ring sizes up to 32768; then malformed and out-of-order
 * messages (bad sizes, unknown requests, too many regions, missing and extra file descriptors,
 * rings outside memory), each of which must close the connection with a reason and leave the
 * server ready for the next front end; and a driver that breaks its ring (the error eventfd). */
// clang-format off
// SOURCES: vmm/vhost-user/server.c vmm/vhost-user/requests.c vmm/vhost-user/rings.c vmm/vhost-user/memory.c vmm/virtio/device.c vmm/virtio/queue.c vmm/virtio/console.c vmm/kvm/guest.c common/error.c tests/support/vhost_front.c
// clang-format on
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <toro/abi/virtio.h>

#include "check.h"
#include "fake_driver.h"
#include "vhost_front.h"
#include "vhost-user/server.h"
#include "virtio/console.h"

#define RAM_SIZE  (1u << 20)
#define RAM_GPA   0x100000ull /* guest-physical base of the one region */
#define QNUM      8
#define TXQ       VIRTIO_CONSOLE_TX_QUEUE
#define DESC_OFF  DRV_DESC_OFF(TXQ)
#define AVAIL_OFF DRV_AVAIL_OFF(TXQ)
#define USED_OFF  DRV_USED_OFF(TXQ)
#define BUF_OFF   DRV_BUF_OFF

static struct vhost_user_server srv;
static struct virtio_console console;
static int fe = -1;    /* the front end's end of the connection */
static int ram_fd;     /* the memfd behind guest RAM */
static uint8_t *ram;   /* the front end's mapping of it: its "user addresses" */
static int kick, call, errfd;
static char out[4096];
static size_t out_len;
static struct fake_driver drv = {.qnum = QNUM}; /* the rings alone */
static int hold; /* send without letting the server read, so messages queue up in the socket */

static size_t capture(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	size_t keep = len < sizeof(out) - out_len ? len : sizeof(out) - out_len;
	memcpy(out + out_len, data, keep);
	out_len += keep;
	return len;
}

static void no_wait(void *ctx)
{
	(void)ctx;
}

static uint64_t uva(uint32_t off)
{
	return (uint64_t)(uintptr_t)(ram + off);
}

static void send_msg(uint32_t req, uint32_t flags, const void *payload, uint32_t size,
                     const int *fds, unsigned nfds)
{
	uint8_t buf[VHOST_USER_MSG_MAX + 64];
	struct vhost_user_header h = {req, flags ? flags : VHOST_USER_VERSION, size};
	memcpy(buf, &h, sizeof(h));
	if (size)
		memcpy(buf + sizeof(h), payload, size);
	CHECK(vu_front_send(fe, buf, sizeof(h) + size, fds, nfds, 0) ==
	      (ssize_t)(sizeof(h) + size));
	if (!hold)
		vhost_user_server_event(&srv, 0);
}

static void send_u64(uint32_t req, uint64_t v, const int *fds, unsigned nfds)
{
	send_msg(req, 0, &v, sizeof(v), fds, nfds);
}

static void send_state(uint32_t req, uint32_t index, uint32_t num)
{
	struct vhost_user_vring_state st = {index, num};
	send_msg(req, 0, &st, sizeof(st), NULL, 0);
}

/* The next reply, which must be there already (the server answers as it handles). Returns
 * its payload size, or -1. */
static int recv_reply(uint32_t req, void *payload, size_t cap)
{
	uint8_t buf[VHOST_USER_MSG_MAX];
	ssize_t n = recv(fe, buf, sizeof(buf), MSG_DONTWAIT);
	struct vhost_user_header h;
	if (n < (ssize_t)sizeof(h))
		return -1;
	memcpy(&h, buf, sizeof(h));
	CHECK(h.request == req);
	CHECK(h.flags == (VHOST_USER_VERSION | VHOST_USER_REPLY));
	CHECK(n == (ssize_t)(sizeof(h) + h.size));
	if (h.size > cap)
		return -1;
	memcpy(payload, buf + sizeof(h), h.size);
	return (int)h.size;
}

static uint64_t recv_u64(uint32_t req)
{
	uint64_t v = ~0ull;
	CHECK(recv_reply(req, &v, sizeof(v)) == 8);
	return v;
}

static void connect_front_end(void)
{
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	char err[200];
	CHECK(vhost_user_server_attach(&srv, sv[1], err, sizeof(err)) == 0);
	if (fe >= 0)
		close(fe);
	fe = sv[0];
}

/* Whether the server closed our connection: no connection left, EOF on our end. */
static int closed_with(const char *why)
{
	char b;
	int eof = recv(fe, &b, 1, MSG_DONTWAIT) == 0;
	if (srv.conn_fd >= 0 || !eof || !strstr(srv.why, why)) {
		fprintf(stderr, "  want closed with \"%s\"; got \"%s\" (conn %d, eof %d)\n", why,
		        srv.why, srv.conn_fd, eof);
		return 0;
	}
	return 1;
}

static void set_mem_table(void)
{
	struct vhost_user_memory m = {.nregions = 1};
	m.regions[0] = (struct vhost_user_region){RAM_GPA, RAM_SIZE, uva(0), 0};
	send_msg(VHOST_USER_SET_MEM_TABLE, VHOST_USER_VERSION | VHOST_USER_NEED_REPLY, &m,
	         8 + sizeof(m.regions[0]), &ram_fd, 1);
	CHECK(recv_u64(VHOST_USER_SET_MEM_TABLE) == 0);
}

/* QEMU's start of a device: features, memory, then each ring's size, base, addresses, kick. */
static void handshake(uint32_t base)
{
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	send_msg(VHOST_USER_GET_FEATURES, 0, NULL, 0, NULL, 0);
	uint64_t f = recv_u64(VHOST_USER_GET_FEATURES);
	CHECK(f & (1ull << VHOST_USER_F_PROTOCOL_FEATURES));
	CHECK(f & (1ull << VIRTIO_F_VERSION_1));
	send_msg(VHOST_USER_GET_PROTOCOL_FEATURES, 0, NULL, 0, NULL, 0);
	uint64_t pf = recv_u64(VHOST_USER_GET_PROTOCOL_FEATURES);
	CHECK(pf & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK));
	CHECK(pf & (1ull << VHOST_USER_PROTOCOL_F_CONFIG));
	send_u64(VHOST_USER_SET_PROTOCOL_FEATURES, pf, NULL, 0);
	send_msg(VHOST_USER_GET_QUEUE_NUM, 0, NULL, 0, NULL, 0);
	CHECK(recv_u64(VHOST_USER_GET_QUEUE_NUM) == 2);
	/* As QEMU does: SET_FEATURES and SET_MEM_TABLE back to back, so the socket glues the
	 * first's bytes to the second's, which carry the memory's descriptor. */
	hold = 1;
	send_u64(VHOST_USER_SET_FEATURES,
	         (1ull << VIRTIO_F_VERSION_1) | (1ull << VHOST_USER_F_PROTOCOL_FEATURES), NULL, 0);
	hold = 0;
	set_mem_table();
	send_u64(VHOST_USER_SET_VRING_CALL, TXQ, &call, 1);
	send_u64(VHOST_USER_SET_VRING_ERR, TXQ, &errfd, 1);
	send_state(VHOST_USER_SET_VRING_NUM, TXQ, QNUM);
	send_state(VHOST_USER_SET_VRING_BASE, TXQ, base);
	struct vhost_user_vring_addr a = {TXQ, 0, uva(DESC_OFF), uva(USED_OFF), uva(AVAIL_OFF), 0};
	send_msg(VHOST_USER_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0);
	send_u64(VHOST_USER_SET_VRING_KICK, TXQ, &kick, 1);
}

/* The driver puts text in one buffer on the transmit ring; kick says so. */
static void driver_send(const char *text, int do_kick)
{
	unsigned slot = drv_avail(&drv, TXQ)->idx % QNUM;
	uint64_t off = BUF_OFF + slot * 256;
	memcpy(ram + off, text, strlen(text));
	drv_set_desc(&drv, TXQ, slot, RAM_GPA + off, (uint32_t)strlen(text), 0, 0);
	drv_push(&drv, TXQ, (uint16_t)slot);
	if (do_kick) {
		uint64_t one = 1;
		CHECK(write(kick, &one, sizeof(one)) == sizeof(one));
		vhost_user_server_event(&srv, 0);
	}
}

static uint64_t eventfd_count(int fd)
{
	uint64_t v = 0;
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void test_happy_path(void)
{
	memset(ram, 0, RAM_SIZE);
	out_len = 0;
	connect_front_end();
	handshake(0);
	CHECK(srv.conn_fd >= 0);
	CHECK(srv.dev.queues[TXQ].ready);

	/* Protocol features were acked: the ring waits for SET_VRING_ENABLE. */
	driver_send("hello ", 1);
	CHECK(out_len == 0);
	send_state(VHOST_USER_SET_VRING_ENABLE, TXQ, 1);
	CHECK(out_len == 6 && memcmp(out, "hello ", 6) == 0);
	CHECK(drv_used(&drv, TXQ)->idx == 1);
	CHECK(eventfd_count(call) == 1);

	/* The config space, through GET_CONFIG (the console's is 12 zero bytes). */
	struct vhost_user_config cfg = {0, sizeof(struct virtio_console_config), 0, {1, 2, 3}};
	send_msg(VHOST_USER_GET_CONFIG, 0, &cfg, VHOST_USER_CONFIG_HEADER_SIZE + cfg.size, NULL, 0);
	struct vhost_user_config got;
	CHECK(recv_reply(VHOST_USER_GET_CONFIG, &got, sizeof(got)) ==
	      (int)(VHOST_USER_CONFIG_HEADER_SIZE + cfg.size));
	CHECK(got.size == cfg.size && got.region[0] == 0 && got.region[2] == 0);
	/* Beyond it: an empty reply, and the connection stays. */
	cfg.offset = 8;
	cfg.size = 8;
	send_msg(VHOST_USER_GET_CONFIG, 0, &cfg, VHOST_USER_CONFIG_HEADER_SIZE + 8, NULL, 0);
	CHECK(recv_reply(VHOST_USER_GET_CONFIG, &got, sizeof(got)) == 0);
	CHECK(srv.conn_fd >= 0);

	/* Interrupt suppression: no call while the driver says NO_INTERRUPT. */
	drv_avail(&drv, TXQ)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	driver_send("quiet ", 1);
	CHECK(drv_used(&drv, TXQ)->idx == 2);
	CHECK(eventfd_count(call) == 0);
	drv_avail(&drv, TXQ)->flags = 0;

	/* GET_VRING_BASE stops the ring where it stopped; buffers made available meanwhile wait. */
	struct vhost_user_vring_state st = {TXQ, 0};
	send_msg(VHOST_USER_GET_VRING_BASE, 0, &st, sizeof(st), NULL, 0);
	CHECK(recv_reply(VHOST_USER_GET_VRING_BASE, &st, sizeof(st)) == 8);
	CHECK(st.index == TXQ && st.num == 2);
	driver_send("later", 1);
	CHECK(drv_used(&drv, TXQ)->idx == 2);
	/* Restart at that base, as QEMU does after a stop: the waiting buffer goes out. */
	send_state(VHOST_USER_SET_VRING_BASE, TXQ, st.num);
	struct vhost_user_vring_addr a = {TXQ, 0, uva(DESC_OFF), uva(USED_OFF), uva(AVAIL_OFF), 0};
	send_msg(VHOST_USER_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0);
	send_u64(VHOST_USER_SET_VRING_KICK, TXQ, &kick, 1);
	send_state(VHOST_USER_SET_VRING_ENABLE, TXQ, 1);
	CHECK(drv_used(&drv, TXQ)->idx == 3);
	CHECK(out_len == 17 && memcmp(out, "hello quiet later", 17) == 0);

	/* The memory table replaced under a started ring (QEMU does when its memory map changes):
	 * the ring goes on in the new mapping, the old one stays mapped until a reset. */
	set_mem_table();
	CHECK(srv.nmaps == 2 && srv.mem.nregions == 1);
	driver_send("!", 1);
	CHECK(out_len == 18 && out[17] == '!');

	/* A need-reply on a message with no reply of its own gets an ack. */
	st.num = 1;
	send_msg(VHOST_USER_SET_VRING_ENABLE, VHOST_USER_VERSION | VHOST_USER_NEED_REPLY, &st,
	         sizeof(st), NULL, 0);
	CHECK(recv_u64(VHOST_USER_SET_VRING_ENABLE) == 0);
	CHECK(srv.conn_fd >= 0);

	/* The driver breaks the ring: a descriptor outside guest memory. The error eventfd
	 * fires, the connection stays, the device does nothing more until a reset. */
	unsigned slot = drv_avail(&drv, TXQ)->idx % QNUM;
	drv_set_desc(&drv, TXQ, slot, 0x1000, 16, 0, 0);
	drv_push(&drv, TXQ, (uint16_t)slot);
	uint64_t one = 1;
	CHECK(write(kick, &one, sizeof(one)) == sizeof(one));
	vhost_user_server_event(&srv, 0);
	CHECK(srv.failed);
	CHECK(eventfd_count(errfd) == 1);
	CHECK(srv.conn_fd >= 0);
	driver_send("ignored", 1);
	CHECK(out_len == 18);

	/* RESET_OWNER stops the rings and resets the model, which may drop the replaced
	 * table's mappings; the failure is forgotten. */
	send_msg(VHOST_USER_RESET_OWNER, 0, NULL, 0, NULL, 0);
	CHECK(!srv.vrings[TXQ].started && !srv.failed);
	CHECK(srv.nmaps == 1);
	CHECK(srv.conn_fd >= 0);

	/* Ring sizes are the front end's choice up to 32768 (QEMU offers the guest 1024). */
	send_state(VHOST_USER_SET_VRING_NUM, TXQ, 1024);
	send_state(VHOST_USER_SET_VRING_NUM, TXQ, 32768);
	CHECK(srv.conn_fd >= 0 && srv.vrings[TXQ].num == 32768);

	/* The front end goes away: the server keeps nothing of the session. */
	close(fe);
	fe = -1;
	vhost_user_server_event(&srv, 0);
	CHECK(srv.conn_fd < 0);
	CHECK(srv.nmaps == 0 && srv.mem.nregions == 0);
	CHECK(!srv.dev.queues[TXQ].ready);
	CHECK(srv.why[0] == '\0');
}

/* A message in pieces, with its descriptor on the first piece, is put back together. */
static void test_split_message(void)
{
	memset(ram, 0, RAM_SIZE);
	connect_front_end();
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	uint8_t buf[64];
	struct vhost_user_header h = {VHOST_USER_SET_VRING_CALL, VHOST_USER_VERSION, 8};
	uint64_t q = TXQ;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &q, sizeof(q));
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {buf, 5};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.b,
	                    .msg_controllen = sizeof(control.b)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &call, sizeof(int));
	CHECK(sendmsg(fe, &mh, 0) == 5);
	vhost_user_server_event(&srv, 0);
	CHECK(srv.vrings[TXQ].call_fd < 0);
	CHECK(write(fe, buf + 5, sizeof(h) + 8 - 5) == (ssize_t)(sizeof(h) + 8 - 5));
	vhost_user_server_event(&srv, 0);
	CHECK(srv.vrings[TXQ].call_fd >= 0);
	CHECK(srv.conn_fd >= 0);
}

/* Each malformed or out-of-order message closes the connection, saying why. */
static void test_malformed(void)
{
	uint64_t v = 0;
	struct vhost_user_memory m = {.nregions = 1};
	m.regions[0] = (struct vhost_user_region){RAM_GPA, RAM_SIZE, uva(0), 0};
	uint32_t one_region = 8 + sizeof(m.regions[0]);

	connect_front_end();
	send_msg(VHOST_USER_SET_FEATURES, 0, &v, 4, NULL, 0);
	CHECK(closed_with("SET_FEATURES with a 4-byte payload (want 8)"));

	connect_front_end();
	send_msg(99, 0, NULL, 0, NULL, 0);
	CHECK(closed_with("request 99 is unknown"));

	connect_front_end();
	send_msg(0, 0, NULL, 0, NULL, 0);
	CHECK(closed_with("request 0 is unknown"));

	connect_front_end();
	send_msg(VHOST_USER_GET_FEATURES, 2, NULL, 0, NULL, 0);
	CHECK(closed_with("message version 2"));

	connect_front_end();
	{
		uint8_t big[16];
		struct vhost_user_header h = {VHOST_USER_SET_MEM_TABLE, VHOST_USER_VERSION, 100000};
		memcpy(big, &h, sizeof(h));
		CHECK(write(fe, big, sizeof(h)) == sizeof(h));
		vhost_user_server_event(&srv, 0);
		CHECK(closed_with("100000-byte payload (too large)"));
	}

	connect_front_end();
	send_state(VHOST_USER_SET_VRING_NUM, TXQ, QNUM);
	CHECK(closed_with("SET_VRING_NUM before SET_OWNER"));

	connect_front_end();
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	CHECK(closed_with("SET_OWNER twice"));

	connect_front_end();
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, &call, 1);
	CHECK(closed_with("SET_OWNER came with 1 file descriptors (want none)"));

	connect_front_end();
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	m.nregions = 9;
	send_msg(VHOST_USER_SET_MEM_TABLE, 0, &m, 8, NULL, 0);
	CHECK(closed_with("SET_MEM_TABLE with 9 regions (at most 8)"));
	m.nregions = 1;

	connect_front_end();
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	send_msg(VHOST_USER_SET_MEM_TABLE, 0, &m, one_region + 4, &ram_fd, 1);
	CHECK(closed_with("SET_MEM_TABLE with a 44-byte payload for 1 regions"));

	connect_front_end();
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	send_msg(VHOST_USER_SET_MEM_TABLE, 0, &m, one_region, NULL, 0);
	CHECK(closed_with("memory table of 1 regions came with 0 file descriptors"));

	/* A region larger than its file would fault when touched: refused. */
	connect_front_end();
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	m.regions[0].memory_size = 2 * RAM_SIZE;
	send_msg(VHOST_USER_SET_MEM_TABLE, 0, &m, one_region, &ram_fd, 1);
	CHECK(closed_with("not a file of at least 0x200000 bytes"));
	m.regions[0].memory_size = RAM_SIZE;

	connect_front_end();
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	{
		struct vhost_user_memory two = {.nregions = 2};
		two.regions[0] = (struct vhost_user_region){RAM_GPA, RAM_SIZE / 2, uva(0), 0};
		two.regions[1] = (struct vhost_user_region){RAM_GPA + 4096, 4096, uva(0) + RAM_SIZE,
		                                            0};
		int fds[2] = {ram_fd, ram_fd};
		send_msg(VHOST_USER_SET_MEM_TABLE, 0, &two, 8 + 2 * sizeof(two.regions[0]), fds, 2);
		CHECK(closed_with("overlaps another"));
	}

	connect_front_end();
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	send_state(VHOST_USER_SET_VRING_NUM, 5, QNUM);
	CHECK(closed_with("ring 5 does not exist (the device has 2)"));

	connect_front_end();
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	send_state(VHOST_USER_SET_VRING_NUM, TXQ, 3);
	CHECK(closed_with("ring size 3 is not a power of two"));

	connect_front_end();
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	send_state(VHOST_USER_SET_VRING_NUM, TXQ, 65536);
	CHECK(closed_with("ring size 65536 is not a power of two up to 32768"));

	connect_front_end();
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	send_u64(VHOST_USER_SET_VRING_KICK, TXQ, NULL, 0);
	CHECK(closed_with("SET_VRING_KICK for ring 1 came with 0 file descriptors (want 1)"));

	connect_front_end();
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	send_u64(VHOST_USER_SET_VRING_KICK, TXQ | VHOST_USER_VRING_NOFD, NULL, 0);
	CHECK(closed_with("polling is not served"));

	connect_front_end();
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	send_u64(VHOST_USER_SET_VRING_CALL, TXQ | (1ull << 20), &call, 1);
	CHECK(closed_with("unknown bits"));

	/* A ring whose addresses lie outside the memory table, or at the table's edge. */
	connect_front_end();
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	send_u64(VHOST_USER_SET_FEATURES, 1ull << VIRTIO_F_VERSION_1, NULL, 0);
	send_msg(VHOST_USER_SET_MEM_TABLE, 0, &m, one_region, &ram_fd, 1);
	send_state(VHOST_USER_SET_VRING_NUM, TXQ, QNUM);
	{
		struct vhost_user_vring_addr a = {TXQ, 0, uva(0) + RAM_SIZE, uva(USED_OFF),
		                                  uva(AVAIL_OFF), 0};
		send_msg(VHOST_USER_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0);
		send_u64(VHOST_USER_SET_VRING_KICK, TXQ, &kick, 1);
		CHECK(closed_with("ring 1: an address lies outside the memory table"));

		connect_front_end();
		send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
		send_msg(VHOST_USER_SET_MEM_TABLE, 0, &m, one_region, &ram_fd, 1);
		send_state(VHOST_USER_SET_VRING_NUM, TXQ, QNUM);
		a.desc_user_addr = uva(RAM_SIZE - 16); /* the table starts inside, ends outside */
		send_msg(VHOST_USER_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0);
		send_u64(VHOST_USER_SET_VRING_KICK, TXQ, &kick, 1);
		CHECK(closed_with("ring 1: queue ring outside guest RAM"));
	}

	connect_front_end();
	send_msg(VHOST_USER_SET_OWNER, 0, NULL, 0, NULL, 0);
	send_state(VHOST_USER_SET_VRING_NUM, TXQ, QNUM);
	send_u64(VHOST_USER_SET_VRING_KICK, TXQ, &kick, 1);
	CHECK(closed_with("ring 1 started before SET_VRING_ADDR"));

	connect_front_end();
	send_u64(VHOST_USER_SET_FEATURES, 1ull << 40, NULL, 0);
	CHECK(closed_with("names features not offered"));

	connect_front_end();
	send_u64(VHOST_USER_SET_FEATURES, 0, NULL, 0);
	CHECK(closed_with("without VIRTIO_F_VERSION_1"));

	connect_front_end();
	send_u64(VHOST_USER_SET_PROTOCOL_FEATURES, 1ull << 1, NULL, 0);
	CHECK(closed_with("SET_PROTOCOL_FEATURES 0x2 names features not offered"));

	connect_front_end();
	{
		struct vhost_user_config cfg = {0, 4, 0, {0}};
		send_msg(VHOST_USER_GET_CONFIG, 0, &cfg, VHOST_USER_CONFIG_HEADER_SIZE + 4, NULL, 0);
		CHECK(closed_with("without the CONFIG protocol feature"));
		connect_front_end();
		send_u64(VHOST_USER_SET_PROTOCOL_FEATURES, 1ull << VHOST_USER_PROTOCOL_F_CONFIG, NULL,
		         0);
		send_msg(VHOST_USER_GET_CONFIG, 0, &cfg, VHOST_USER_CONFIG_HEADER_SIZE + 2, NULL, 0);
		CHECK(closed_with("config request with a 14-byte payload for 4 bytes"));
	}

	/* A started ring cannot be moved under the model. */
	memset(ram, 0, RAM_SIZE);
	connect_front_end();
	handshake(0);
	send_state(VHOST_USER_SET_VRING_NUM, TXQ, QNUM);
	CHECK(closed_with("ring 1 changed while started"));
}

/* The listening socket: a front end connects by path, a second is turned away while the first
 * is served, and closing the server removes the socket file. */
static void test_listen(void)
{
	char dir[] = "/tmp/toro-vhost-test-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[128], err[200];
	snprintf(path, sizeof(path), "%s/sock", dir);
	CHECK(vhost_user_server_listen(&srv, path, err, sizeof(err)) == 0);
	/* The path exists now: a second server cannot take it. */
	struct vhost_user_server other;
	CHECK(vhost_user_server_init(&other, &virtio_console_ops, &console, err, sizeof(err)) == 0);
	CHECK(vhost_user_server_listen(&other, path, err, sizeof(err)) == -1);
	CHECK(strstr(err, "Address already in use") != NULL);
	vhost_user_server_close(&other);
	CHECK(access(path, F_OK) == 0);

	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, path);
	int c1 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(connect(c1, (struct sockaddr *)&a, sizeof(a)) == 0);
	vhost_user_server_event(&srv, 0);
	CHECK(srv.conn_fd >= 0);
	CHECK(connect(c2, (struct sockaddr *)&a, sizeof(a)) == 0);
	vhost_user_server_event(&srv, 0);
	char b;
	CHECK(recv(c2, &b, 1, 0) == 0); /* turned away */
	struct vhost_user_header h = {VHOST_USER_GET_QUEUE_NUM, VHOST_USER_VERSION, 0};
	CHECK(write(c1, &h, sizeof(h)) == sizeof(h));
	vhost_user_server_event(&srv, 0);
	uint8_t r[20];
	CHECK(recv(c1, r, sizeof(r), MSG_DONTWAIT) == 20);
	close(c1);
	close(c2);
	vhost_user_server_close(&srv);
	CHECK(access(path, F_OK) == -1 && errno == ENOENT);
	CHECK(rmdir(dir) == 0);
	CHECK(vhost_user_server_listen(&srv, "/nonexistent-dir/sock", err, sizeof(err)) == -1);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

int main(void)
{
	char err[200];
	struct virtio_console_backend be = {capture, no_wait, NULL};
	virtio_console_init(&console, &be);
	ram_fd = memfd_create("guest-ram", MFD_CLOEXEC);
	CHECK(ram_fd >= 0 && ftruncate(ram_fd, RAM_SIZE) == 0);
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
	drv.ram = ram;
	CHECK(ram != MAP_FAILED);
	kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	errfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int fds_before = count_fds();

	CHECK(vhost_user_server_init(&srv, &virtio_console_ops, &console, err, sizeof(err)) == 0);
	srv.quiet = 1;
	test_happy_path();
	test_split_message();
	test_malformed();
	close(fe);
	fe = -1;
	vhost_user_server_event(&srv, 0);
	CHECK(srv.conn_fd < 0 && srv.nmaps == 0);
	test_listen();
	/* Every descriptor the sessions received was closed: only the server's own epoll set
	 * was open, and close took it. */
	CHECK(count_fds() == fds_before);
	return check_summary("vhost_user");
}
