/* The virtio-fs device model (vmm/virtio/fs.c, virtio 1.2 §5.11) behind the virtio-mmio
 * transport, driven by a fake driver in fake guest memory over a FUSE server on a temp dir:
 * the config space (tag, num_request_queues), FUSE requests on the request queue and a FORGET
 * on the hiprio queue with their reply lengths, a reply split over several writable buffers,
 * a chain with a readable buffer after a writable one (DEVICE_NEEDS_RESET), and a driver reset
 * that forgets the guest's nodes. */
// clang-format off
// SOURCES: vmm/dev/virtio_mmio.c vmm/virtio/device.c vmm/virtio/queue.c vmm/virtio/fs.c vmm/kvm/guest.c vmm/backend/term.c vmm/backend/fuse.c vmm/backend/fuse_nodes.c vmm/backend/fuse_ops.c common/error.c
// clang-format on
#include <errno.h>
#include <linux/fuse.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <toro/abi/virtio.h>

#include "check.h"
#include "dev/virtio_mmio.h"
#include "kvm/guest.h"
#include "virtio/fs.h"

#define RAM_SIZE (1u << 20)
#define QNUM     8
#define TEST_IRQ 5
/* Per queue q: rings at 0x10000 + q * 0x4000; buffers from 0x40000. */
#define RING_GPA(q) (0x10000ull + (uint64_t)(q)*0x4000)
#define BUF_GPA     0x40000ull

static struct guest_mem mem;
static uint8_t *ram;
static struct virtio_mmio dev;
static struct virtio_fs fs;
static int irqs;

static void count_irq(void *ctx, unsigned irq)
{
	(void)ctx;
	CHECK(irq == TEST_IRQ);
	irqs++;
}

static uint32_t rd(uint64_t off)
{
	uint32_t v;
	virtio_mmio_read(&dev, off, &v, 4);
	return v;
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_mmio_write(&dev, off, &v, 4);
}

static struct virtq_desc *desc(unsigned q, unsigned i)
{
	return (struct virtq_desc *)(ram + RING_GPA(q)) + i;
}

static struct virtq_avail *avail(unsigned q)
{
	return (void *)(ram + RING_GPA(q) + 0x1000);
}

static struct virtq_used *used(unsigned q)
{
	return (void *)(ram + RING_GPA(q) + 0x2000);
}

static void driver_init(void)
{
	memset(ram, 0, RAM_SIZE);
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < 2; q++) {
		wr(VIRTIO_MMIO_QUEUE_SEL, q);
		wr(VIRTIO_MMIO_QUEUE_NUM, QNUM);
		wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RING_GPA(q));
		wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)RING_GPA(q) + 0x1000);
		wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)RING_GPA(q) + 0x2000);
		wr(VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	                           VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	irqs = 0;
}

static int needs_reset(void)
{
	return (rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) != 0;
}

/* One request on queue q: the request as one readable buffer at BUF_GPA, then nout writable
 * buffers of outlen bytes each. Returns the used length, or -1 if the chain was not used. */
static long submit(unsigned q, const void *req, uint32_t len, unsigned nout, uint32_t outlen,
                   int readable_last)
{
	memcpy(ram + BUF_GPA, req, len);
	unsigned n = 0;
	if (!readable_last)
		*desc(q, n++) = (struct virtq_desc){BUF_GPA, len, VIRTQ_DESC_F_NEXT, 1};
	for (unsigned i = 0; i < nout; i++, n++)
		*desc(q, n) =
		    (struct virtq_desc){BUF_GPA + 0x10000 + i * outlen, outlen,
		                        VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, (uint16_t)(n + 1)};
	if (readable_last)
		*desc(q, n++) = (struct virtq_desc){BUF_GPA, len, 0, 0};
	desc(q, n - 1)->flags &= (uint16_t)~VIRTQ_DESC_F_NEXT;
	uint16_t before = used(q)->idx;
	struct virtq_avail *a = avail(q);
	a->ring[a->idx % QNUM] = 0;
	a->idx++;
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, q);
	if (used(q)->idx == before)
		return -1;
	return used(q)->ring[before % QNUM].len;
}

static const struct fuse_out_header *reply(void)
{
	return (const void *)(ram + BUF_GPA + 0x10000);
}

struct req_lookup {
	struct fuse_in_header h;
	char name[8];
};

int main(void)
{
	char root[] = "/tmp/virtio-fs-XXXXXX";
	if (!mkdtemp(root))
		return 1;
	char path[64];
	snprintf(path, sizeof(path), "%s/f", root);
	FILE *f = fopen(path, "w");
	if (f)
		fclose(f);
	char err[256];
	struct fuse_server *server = fuse_server_open(root, 0, NULL, err, sizeof(err));
	CHECK(server != NULL);
	CHECK(virtio_fs_init(&fs, server, "") == -1);
	CHECK(virtio_fs_init(&fs, server, "0123456789012345678901234567890123456") == -1);
	CHECK(virtio_fs_init(&fs, server, "share0") == 0);
	ram = calloc(1, RAM_SIZE);
	guest_mem_layout(&mem, RAM_SIZE);
	guest_mem_set_host(&mem, ram);
	virtio_mmio_init(&dev, &virtio_fs_ops, &fs, &mem, 0xd0000000, TEST_IRQ, count_irq, NULL);

	/* §5.11.4: the tag, NUL-padded, and one request queue. */
	CHECK(rd(VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_FS);
	char tag[36];
	for (unsigned i = 0; i < sizeof(tag); i++)
		virtio_mmio_read(&dev, VIRTIO_MMIO_CONFIG + i, &tag[i], 1);
	CHECK(memcmp(tag, "share0\0\0\0\0", 10) == 0);
	CHECK(rd(VIRTIO_MMIO_CONFIG + 36) == 1);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	CHECK(rd(VIRTIO_MMIO_QUEUE_NUM_MAX) == VQ_NUM_MAX);
	wr(VIRTIO_MMIO_QUEUE_SEL, 2);
	CHECK(rd(VIRTIO_MMIO_QUEUE_NUM_MAX) == 0);

	driver_init();
	struct {
		struct fuse_in_header h;
		struct fuse_init_in in;
	} init = {{sizeof(init), FUSE_INIT, 1, 0, 0, 0, 0, 0, 0}, {7, 31, 65536, 0, 0, {0}}};
	CHECK(submit(VIRTIO_FS_REQUEST_QUEUE, &init, sizeof(init), 1, 4096, 0) ==
	      (long)(sizeof(struct fuse_out_header) + sizeof(struct fuse_init_out)));
	CHECK(reply()->error == 0 && reply()->unique == 1);
	CHECK(irqs == 1);
	/* A LOOKUP whose entry reply spans three 40-byte buffers. */
	struct req_lookup lk = {
	    {sizeof(struct fuse_in_header) + 2, FUSE_LOOKUP, 2, FUSE_ROOT_ID, 0, 0, 0, 0, 0}, "f"};
	long n = submit(VIRTIO_FS_REQUEST_QUEUE, &lk, lk.h.len, 5, 40, 0);
	CHECK(n == (long)(sizeof(struct fuse_out_header) + sizeof(struct fuse_entry_out)));
	CHECK(reply()->error == 0 && reply()->unique == 2);
	uint64_t nodeid;
	memcpy(&nodeid, (const uint8_t *)reply() + sizeof(struct fuse_out_header), 8);
	CHECK(nodeid != 0 && fuse_server_nodes_in_use(server) == 2);
	/* FORGET on the hiprio queue: used with length 0. */
	struct {
		struct fuse_in_header h;
		struct fuse_forget_in in;
	} forget = {{sizeof(forget), FUSE_FORGET, 3, nodeid, 0, 0, 0, 0, 0}, {1}};
	CHECK(submit(VIRTIO_FS_HIPRIO_QUEUE, &forget, sizeof(forget), 0, 0, 0) == 0);
	CHECK(fuse_server_nodes_in_use(server) == 1);
	/* A reset forgets what the driver had looked up. */
	CHECK(submit(VIRTIO_FS_REQUEST_QUEUE, &lk, lk.h.len, 1, 4096, 0) > 0);
	CHECK(fuse_server_nodes_in_use(server) == 2);
	driver_init();
	CHECK(fuse_server_nodes_in_use(server) == 1);
	CHECK(submit(VIRTIO_FS_REQUEST_QUEUE, &lk, lk.h.len, 1, 4096, 0) > 0);
	CHECK(reply()->error == -EIO); /* before INIT again */
	/* §2.7.4.2: readable buffers come first; otherwise the device needs a reset. */
	CHECK(!needs_reset());
	CHECK(submit(VIRTIO_FS_REQUEST_QUEUE, &lk, lk.h.len, 1, 4096, 1) == -1);
	CHECK(needs_reset());
	driver_init();
	CHECK(!needs_reset());
	CHECK(fs.requests == 5); /* the broken chain was not served */

	fuse_server_close(server);
	unlink(path);
	rmdir(root);
	free(ram);
	return check_summary("vmm_virtio_fs");
}
