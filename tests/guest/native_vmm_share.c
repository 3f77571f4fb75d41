/* A guest end of a shared directory for tests/e2e/share.sh, before the kernel has a virtio-fs
 * driver: a polled request queue on the virtio-fs device that the built-in monitor put on a
 * virtio-mmio slot (found from the virtio_mmio.device= words), and a few FUSE requests built by
 * hand. `read NAME` prints the file's content, `write NAME TEXT` creates it with TEXT; both
 * print the toro.mounts word, the device's tag and the errors the server gave ("..", EROFS).
 * It has no CASE lines: the script runs it with the shares it makes. */
// BUILD: --native --no-fpu
#include <toro/abi/virtio.h>
#include <toro/console.h>

#include <stdint.h>

#include "native_test.h"

/* Kernel-internal (kernel/include/kernel/cmdline.h): the option words, for the test to read. */
extern char **cmdline_options;
extern int cmdline_option_count;

/* The FUSE wire structs this test uses (linux/fuse.h, protocol 7.31). */
struct fuse_in_header {
	uint32_t len, opcode;
	uint64_t unique, nodeid;
	uint32_t uid, gid, pid;
	uint16_t total_extlen, padding;
};
struct fuse_out_header {
	uint32_t len;
	int32_t error;
	uint64_t unique;
};
_Static_assert(sizeof(struct fuse_in_header) == 40, "fuse_in_header");
#define FUSE_LOOKUP    1
#define FUSE_OPEN      14
#define FUSE_READ      15
#define FUSE_WRITE     16
#define FUSE_RELEASE   18
#define FUSE_INIT      26
#define FUSE_CREATE    35
#define FUSE_ROOT_ID   1
#define ENTRY_OUT_SIZE 128 /* fuse_entry_out; its nodeid comes first */
#define OPEN_OUT_SIZE  16  /* fuse_open_out; its fh comes first */
#define QNUM           4
#define REQUEST_QUEUE  1

static struct virtq_desc desc[QNUM] __attribute__((aligned(4096)));
static uint8_t avail_mem[4096] __attribute__((aligned(4096)));
static uint8_t used_mem[4096] __attribute__((aligned(4096)));
static uint8_t request[8192] __attribute__((aligned(4096)));
static uint8_t reply[8192] __attribute__((aligned(4096)));
static volatile uint8_t *mmio;
static uint64_t unique;

static uint32_t rd(unsigned off)
{
	return *(volatile uint32_t *)(mmio + off);
}

static void wr(unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(mmio + off) = v;
}

static int starts_with(const char *s, const char *prefix)
{
	while (*prefix && *s == *prefix) {
		s++;
		prefix++;
	}
	return *prefix == '\0';
}

static uint64_t parse_hex(const char *s)
{
	uint64_t v = 0;
	for (;; s++) {
		if (*s >= '0' && *s <= '9')
			v = v * 16 + (uint64_t)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			v = v * 16 + (uint64_t)(*s - 'a' + 10);
		else
			return v;
	}
}

static unsigned length(const char *s)
{
	unsigned n = 0;
	while (s[n])
		n++;
	return n;
}

static void copy(void *dst, const void *src, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		((uint8_t *)dst)[i] = ((const uint8_t *)src)[i];
}

/* The first virtio-fs device among the virtio_mmio.device=SIZE@0xADDR:IRQ words. */
static int find_device(void)
{
	for (int i = 0; i < cmdline_option_count; i++) {
		const char *w = cmdline_options[i];
		if (starts_with(w, "toro.mounts="))
			toro_printf("%s\n", w);
	}
	for (int i = 0; i < cmdline_option_count; i++) {
		const char *w = cmdline_options[i];
		if (!starts_with(w, "virtio_mmio.device="))
			continue;
		while (*w && *w != '@')
			w++;
		if (!starts_with(w, "@0x"))
			continue;
		mmio = (volatile uint8_t *)(uintptr_t)parse_hex(w + 3);
		if (rd(VIRTIO_MMIO_MAGIC_VALUE) == VIRTIO_MMIO_MAGIC &&
		    rd(VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_FS)
			return 0;
	}
	return -1;
}

/* §3.1.1, with the request queue only and no interrupts (the queue is polled). */
static int setup_device(void)
{
	char tag[37];
	for (int i = 0; i < 36; i++)
		tag[i] = (char)mmio[VIRTIO_MMIO_CONFIG + i];
	tag[36] = '\0';
	toro_printf("tag %s, %u request queue(s)\n", tag, rd(VIRTIO_MMIO_CONFIG + 36));
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VIRTIO_F_VERSION_1 */
	wr(VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	if (!(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		return -1;
	wr(VIRTIO_MMIO_QUEUE_SEL, REQUEST_QUEUE);
	wr(VIRTIO_MMIO_QUEUE_NUM, QNUM);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(uintptr_t)desc);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(uintptr_t)avail_mem);
	wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
	wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(uintptr_t)used_mem);
	wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
	((struct virtq_avail *)avail_mem)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	                           VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	return 0;
}

/* Sends opcode for nodeid with args (len bytes); returns the reply's error, the payload in
 * reply + 16. */
static int fuse_call(uint32_t opcode, uint64_t nodeid, const void *args, unsigned len)
{
	struct fuse_in_header *h = (void *)request;
	*h = (struct fuse_in_header){.len = (uint32_t)sizeof(*h) + len,
	                             .opcode = opcode,
	                             .unique = ++unique,
	                             .nodeid = nodeid};
	copy(request + sizeof(*h), args, len);
	desc[0] = (struct virtq_desc){(uintptr_t)request, h->len, VIRTQ_DESC_F_NEXT, 1};
	desc[1] = (struct virtq_desc){(uintptr_t)reply, sizeof(reply), VIRTQ_DESC_F_WRITE, 0};
	struct virtq_avail *a = (void *)avail_mem;
	volatile struct virtq_used *u = (void *)used_mem;
	uint16_t before = u->idx;
	a->ring[a->idx % QNUM] = 0;
	/* The ring entry before the index that publishes it (§2.7.13). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	a->idx++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, REQUEST_QUEUE);
	for (long spin = 0; u->idx == before; spin++) {
		if (spin > 2000000000L)
			return -9999;
		__builtin_ia32_pause();
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	const struct fuse_out_header *oh = (const void *)reply;
	if (oh->unique != h->unique)
		return -9998;
	return oh->error;
}

/* A name argument: the name and its NUL after fixed bytes of args. */
static unsigned with_name(uint8_t *args, unsigned fixed, const char *name)
{
	unsigned n = length(name) + 1;
	copy(args + fixed, name, n);
	return fixed + n;
}

int main(int argc, char **argv)
{
	if (argc < 3 || find_device() || setup_device()) {
		toro_printf("usage: read NAME | write NAME TEXT, with a --share\n");
		return 1;
	}
	uint32_t init[16] = {7, 31, 65536, 0};
	int rc = fuse_call(FUSE_INIT, 0, init, 16);
	toro_printf("init: %d\n", rc);
	uint8_t args[512] = {0};
	rc = fuse_call(FUSE_LOOKUP, FUSE_ROOT_ID, args, with_name(args, 0, ".."));
	toro_printf("lookup ..: %d\n", rc);
	uint64_t node, fh;
	if (streq(argv[1], "write")) {
		uint32_t create[4] = {1 /* O_WRONLY */, 0644, 0, 0};
		copy(args, create, sizeof(create));
		rc = fuse_call(FUSE_CREATE, FUSE_ROOT_ID, args, with_name(args, 16, argv[2]));
		toro_printf("create %s: %d\n", argv[2], rc);
		if (rc)
			return 0;
		copy(&node, reply + 16, 8);
		copy(&fh, reply + 16 + ENTRY_OUT_SIZE, 8);
		uint64_t write_in[5] = {fh, 0, length(argv[3]), 0, 0};
		copy(args, write_in, sizeof(write_in));
		copy(args + sizeof(write_in), argv[3], length(argv[3]));
		rc = fuse_call(FUSE_WRITE, node, args, sizeof(write_in) + length(argv[3]));
		uint32_t written;
		copy(&written, reply + 16, 4);
		toro_printf("write: %d, %u bytes\n", rc, rc ? 0 : written);
	} else {
		rc = fuse_call(FUSE_LOOKUP, FUSE_ROOT_ID, args, with_name(args, 0, argv[2]));
		toro_printf("lookup %s: %d\n", argv[2], rc);
		if (rc)
			return 0;
		copy(&node, reply + 16, 8);
		uint32_t open_in[2] = {0 /* O_RDONLY */, 0};
		rc = fuse_call(FUSE_OPEN, node, open_in, sizeof(open_in));
		if (rc) {
			toro_printf("open: %d\n", rc);
			return 0;
		}
		copy(&fh, reply + 16, 8);
		uint64_t read_in[5] = {fh, 0, 4096, 0, 0};
		rc = fuse_call(FUSE_READ, node, read_in, sizeof(read_in));
		const struct fuse_out_header *oh = (const void *)reply;
		unsigned n = rc ? 0 : oh->len - 16;
		reply[16 + n] = '\0';
		toro_printf("read: %d, %u bytes: %s\n", rc, n, (const char *)reply + 16);
	}
	uint64_t release_in[3] = {fh, 0, 0};
	toro_printf("release: %d\n", fuse_call(FUSE_RELEASE, node, release_in, sizeof(release_in)));
	return 0;
}
