/* What the QEMU path's two files share: qemu.c builds QEMU's command line and runs it;
 * qemu_vhost.c serves the devices QEMU reaches over vhost-user (vsock, shares) from this
 * process. */
#ifndef TOOLS_QEMU_H
#define TOOLS_QEMU_H

#include <stddef.h>

#include "toro.h"
#include "vhost-user/service.h"

/* QEMU 7.2 microvm (acpi=off) creates 8 virtio-mmio transports, transport i at
 * 0xfeb00000 + 512 * i on IRQ 5 + i (hw/i386/microvm.c), on bus "virtio-mmio-bus.<i>". */
#define QEMU_VIRTIO_SLOTS     8
#define QEMU_VIRTIO_BASE      0xfeb00000u
#define QEMU_VIRTIO_SIZE      512u
#define QEMU_VIRTIO_FIRST_IRQ 5u

/* The kernel's word for transport slot: "virtio_mmio.device=512@0xfeb00000:5". */
void qemu_slot_word(unsigned slot, char *buf, size_t len);

/* The vhost-user devices of one run, served on sockets in a private directory. */
struct qemu_vhost {
	int active;   /* devices are being served */
	char dir[80]; /* fits sun_path with "/vsock.sock" */
	struct vhost_user_service svc;
	unsigned ndevices;
	char chardev[VHOST_USER_SERVICE_MAX][160];
	char device[VHOST_USER_SERVICE_MAX][160];
	char words[4096]; /* the kernel's words: virtio_mmio.device=... and toro.mounts= */
};

/* Starts serving the devices o asks for (none: nothing, and 0) on microvm slots from
 * first_slot. Returns 0, or an exit status after printing why. */
int qemu_vhost_start(struct qemu_vhost *v, const struct run_options *o, unsigned first_slot);

/* Appends the -chardev and -device arguments of v's devices to argv[n..]; returns the new n. */
int qemu_vhost_args(const struct qemu_vhost *v, const char **argv, int n);

/* Stops serving: connections, listeners, socket files and the directory go. */
void qemu_vhost_stop(struct qemu_vhost *v);

#endif
