/* libFuzzer target for the vhost-user server (vmm/vhost-user/) serving the virtio console: the
 * input is a series of records, each either a message sent over the connection (its bytes as
 * on the wire, with up to three file descriptors: guest memory or eventfds), a write into guest
 * memory, or a kick. The server must never crash, leak or hang, whatever the bytes; every
 * connection it has not closed is closed at the end of the input.
 *
 * Record: one byte K, then
 *   K & 0xc0 == 0x00: a message; K & 3 descriptors, a memfd of guest memory if K & 4, else the
 *                     kick eventfd; then the 12-byte header and the payload bytes that remain,
 *                     up to its size field (the size field itself is sent unchanged);
 *   K & 0xc0 == 0x40: guest memory write: 2-byte offset, 1-byte length, the bytes;
 *   K & 0xc0 == 0x80: a kick (the eventfd the messages send is written).
 * tests/fuzz/vhost_user.seeds/handshake is a seed in this form: QEMU's handshake, a memory
 * table, ring 1 started and enabled, "hello" put on it and kicked, the ring stopped, GET_CONFIG.
 * used-over-avail, which this target found, enables a ring whose used ring lies on its available
 * ring: the server once served it for ever (vq_enable in vmm/virtio/queue.c refuses it now). */
// clang-format off
// SOURCES: vmm/vhost-user/server.c vmm/vhost-user/requests.c vmm/vhost-user/rings.c vmm/vhost-user/memory.c vmm/virtio/device.c vmm/virtio/queue.c vmm/virtio/console.c vmm/kvm/guest.c common/error.c tests/support/vhost_front.c
// clang-format on
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vhost-user/server.h"
#include "vhost_front.h"
#include "virtio/console.h"

#define FUZZ_RAM_SIZE (64u * 1024)

static struct vhost_user_server srv;
static struct virtio_console console;
static int ram_fd, kick_fd;
static uint8_t *ram;

static size_t discard(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	(void)data;
	return len;
}

static void no_wait(void *ctx)
{
	(void)ctx;
}

static void fuzz_setup(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	struct virtio_console_backend be = {discard, no_wait, NULL};
	virtio_console_init(&console, &be);
	char err[200];
	if (vhost_user_server_init(&srv, &virtio_console_ops, &console, err, sizeof(err)))
		abort();
	srv.quiet = 1;
	ram_fd = memfd_create("fuzz-ram", MFD_CLOEXEC);
	if (ram_fd < 0 || ftruncate(ram_fd, FUZZ_RAM_SIZE) < 0)
		abort();
	ram = mmap(NULL, FUZZ_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
	kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ram == MAP_FAILED || kick_fd < 0)
		abort();
}

static void send_message(int fe, const uint8_t *bytes, size_t len, unsigned nfds, int memory)
{
	int fds[3];
	for (unsigned i = 0; i < nfds; i++)
		fds[i] = memory ? ram_fd : kick_fd;
	if (vu_front_send(fe, bytes, len, fds, nfds, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return;
	vhost_user_server_event(&srv, 0);
	char sink[512];
	while (recv(fe, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_setup();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	char err[200];
	if (vhost_user_server_attach(&srv, sv[1], err, sizeof(err)))
		abort();
	memset(ram, 0, FUZZ_RAM_SIZE);
	size_t at = 0;
	while (at < size && srv.conn_fd >= 0) {
		uint8_t k = data[at++];
		if ((k & 0xc0) == 0x00) {
			struct vhost_user_header h;
			if (size - at < sizeof(h))
				break;
			memcpy(&h, data + at, sizeof(h));
			size_t len = sizeof(h) + (h.size < size - at - sizeof(h) ? h.size
			                                                         : size - at - sizeof(h));
			send_message(sv[0], data + at, len, k & 3, k & 4);
			at += len;
		} else if ((k & 0xc0) == 0x40) {
			if (size - at < 3)
				break;
			uint16_t off = (uint16_t)(data[at] | data[at + 1] << 8);
			size_t n = data[at + 2];
			at += 3;
			if (n > size - at)
				n = size - at;
			if (n > FUZZ_RAM_SIZE - off)
				n = FUZZ_RAM_SIZE - off;
			memcpy(ram + off, data + at, n);
			at += n;
		} else {
			uint64_t one = 1;
			if (write(kick_fd, &one, sizeof(one)) == sizeof(one))
				vhost_user_server_event(&srv, 0);
		}
	}
	close(sv[0]);
	vhost_user_server_event(&srv, 0);
	vhost_user_server_disconnect(&srv, NULL);
	uint64_t drain;
	if (read(kick_fd, &drain, sizeof(drain)) < 0)
		drain = 0;
	return 0;
}
