/* The virtio-fs device model (vmm/virtio/fs.c, virtio 1.2 §5.11) behind the virtio-mmio
 * transport, driven by a fake driver in fake guest memory over a FUSE server on a temp dir:
 * the config space (tag, num_request_queues), FUSE requests on the request queue and a FORGET
 * on the hiprio queue with their reply lengths, a reply split over several writable buffers,
 * a chain with a readable buffer after a writable one (DEVICE_NEEDS_RESET), and a driver reset
 * that forgets the guest's nodes. */
// clang-format off
// SOURCES: vmm/dev/virtio_mmio.c vmm/virtio/device.c vmm/virtio/queue.c vmm/virtio/fs.c vmm/kvm/guest.c vmm/backend/term.c vmm/backend/fuse.c vmm/backend/fuse_nodes.c vmm/backend/fuse_ops.c common/error.c tests/support/fake_driver.c
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
#include "fake_driver.h"
#include "kvm/guest.h"
#include "virtio/fs.h"

#define RAM_SIZE (1u << 20)
#define QNUM     8
#define TEST_IRQ 5
#define BUF_GPA  DRV_BUF_OFF

static struct guest_mem mem;
static uint8_t *ram;
static struct virtio_mmio dev;
static struct virtio_fs fs;
static struct fake_driver drv = {.qnum = QNUM, .dev = &dev};
static int irqs;

static void count_irq(void *ctx, unsigned irq)
{
	(void)ctx;
	CHECK(irq == TEST_IRQ);
	irqs++;
}

static void driver_init(void)
{
	static const unsigned queues[] = {VIRTIO_FS_HIPRIO_QUEUE, VIRTIO_FS_REQUEST_QUEUE};
	drv_start(&drv, 1ull << VIRTIO_F_VERSION_1, queues, 2);
	irqs = 0;
}

/* One request on queue q: the request as one readable buffer at BUF_GPA, then nout writable
 * buffers of outlen bytes each. Returns the used length, or -1 if the chain was not used. */
static long submit(unsigned q, const void *req, uint32_t len, unsigned nout, uint32_t outlen,
                   int readable_last)
{
	memcpy(ram + BUF_GPA, req, len);
	unsigned n = 0;
	if (!readable_last)
		drv_set_desc(&drv, q, n++, BUF_GPA, len, VIRTQ_DESC_F_NEXT, 1);
	for (unsigned i = 0; i < nout; i++, n++)
		drv_set_desc(&drv, q, n, BUF_GPA + 0x10000 + i * outlen, outlen,
		             VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, (uint16_t)(n + 1));
	if (readable_last)
		drv_set_desc(&drv, q, n++, BUF_GPA, len, 0, 0);
	drv_desc(&drv, q, n - 1)->flags &= (uint16_t)~VIRTQ_DESC_F_NEXT;
	drv_submit(&drv, q, 0);
	struct virtq_used_elem e;
	return drv_take_used(&drv, q, &e) ? (long)e.len : -1;
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
	if (drv_ram_init(&drv, &mem, RAM_SIZE))
		return 1;
	ram = drv.ram;
	virtio_mmio_init(&dev, &virtio_fs_ops, &fs, &mem, 0xd0000000, TEST_IRQ, count_irq, NULL);

	/* §5.11.4: the tag, NUL-padded, and one request queue. */
	CHECK(drv_rd(&drv, VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_FS);
	char tag[36];
	for (unsigned i = 0; i < sizeof(tag); i++)
		virtio_mmio_read(&dev, VIRTIO_MMIO_CONFIG + i, &tag[i], 1);
	CHECK(memcmp(tag, "share0\0\0\0\0", 10) == 0);
	CHECK(drv_rd(&drv, VIRTIO_MMIO_CONFIG + 36) == 1);
	drv_wr(&drv, VIRTIO_MMIO_QUEUE_SEL, 1);
	CHECK(drv_rd(&drv, VIRTIO_MMIO_QUEUE_NUM_MAX) == VQ_NUM_MAX);
	drv_wr(&drv, VIRTIO_MMIO_QUEUE_SEL, 2);
	CHECK(drv_rd(&drv, VIRTIO_MMIO_QUEUE_NUM_MAX) == 0);

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
	CHECK(!drv_needs_reset(&drv));
	CHECK(submit(VIRTIO_FS_REQUEST_QUEUE, &lk, lk.h.len, 1, 4096, 1) == -1);
	CHECK(drv_needs_reset(&drv));
	driver_init();
	CHECK(!drv_needs_reset(&drv));
	CHECK(fs.requests == 5); /* the broken chain was not served */

	fuse_server_close(server);
	unlink(path);
	rmdir(root);
	free(ram);
	return check_summary("vmm_virtio_fs");
}
