/* The devices `toro run --vmm qemu` gives QEMU over vhost-user: QEMU 7.2 has
 * vhost-user-vsock-device for microvm's virtio-mmio bus, so the vsock device and its host side
 * (--vsock, --forward, --cid) run here, in this process, on the same model and muxer as in the
 * built-in monitor, served on a socket in a private directory (mode 0700) that is removed when
 * the run ends, however it ends ($TMPDIR or /tmp). The guest CID reaches QEMU through the device's
 * config space (GET_CONFIG), which is where QEMU's device takes it from. */
#include "qemu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void qemu_slot_word(unsigned slot, char *buf, size_t len)
{
	snprintf(buf, len, "virtio_mmio.device=%u@%#x:%u", QEMU_VIRTIO_SIZE,
	         QEMU_VIRTIO_BASE + slot * QEMU_VIRTIO_SIZE, QEMU_VIRTIO_FIRST_IRQ + slot);
}

/* Records device i's QEMU arguments and kernel word: QEMU's device type, on slot. */
static void qemu_vhost_describe(struct qemu_vhost *v, const char *type, const char *path,
                                unsigned slot)
{
	unsigned i = v->ndevices++;
	snprintf(v->chardev[i], sizeof(v->chardev[i]), "socket,id=torovhost%u,path=%s", i, path);
	snprintf(v->device[i], sizeof(v->device[i]),
	         "%s,chardev=torovhost%u,bus=virtio-mmio-bus.%u", type, i, slot);
	char word[64];
	qemu_slot_word(slot, word, sizeof(word));
	size_t used = strlen(v->words);
	snprintf(v->words + used, sizeof(v->words) - used, "%s%s", used ? " " : "", word);
}

int qemu_vhost_start(struct qemu_vhost *v, const struct run_options *o, unsigned first_slot)
{
	memset(v, 0, sizeof(*v));
	if (!o->vsock.enabled)
		return 0;
	char err[300];
	/* $TMPDIR if a socket path fits under it (sun_path holds 107 bytes), else /tmp. */
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp || strlen(tmp) > sizeof(v->dir) - sizeof("/toro-vhost-XXXXXX"))
		tmp = "/tmp";
	snprintf(v->dir, sizeof(v->dir), "%s/toro-vhost-XXXXXX", tmp);
	if (!mkdtemp(v->dir)) {
		toro_error("cannot create a directory for the vhost-user sockets: %s",
		           strerror(errno));
		return 1;
	}
	if (vhost_user_service_init(&v->svc, err, sizeof(err))) {
		toro_error("%s", err);
		rmdir(v->dir);
		return 1;
	}
	v->active = 1;
	char path[sizeof(v->dir) + 16];
	snprintf(path, sizeof(path), "%s/vsock.sock", v->dir);
	if (vhost_user_service_add_vsock(&v->svc, &o->vsock, path, err, sizeof(err))) {
		toro_error("%s", err);
		qemu_vhost_stop(v);
		return TORO_EXIT_USAGE;
	}
	qemu_vhost_describe(v, "vhost-user-vsock-device", path, first_slot);
	if (getenv("TORO_VHOST_USER_TRACE"))
		for (unsigned i = 0; i < v->svc.ndevices; i++)
			v->svc.devices[i]->server.trace = 1;
	if (vhost_user_service_start(&v->svc, err, sizeof(err))) {
		toro_error("%s", err);
		qemu_vhost_stop(v);
		return 1;
	}
	return 0;
}

int qemu_vhost_args(const struct qemu_vhost *v, const char **argv, int n)
{
	for (unsigned i = 0; i < v->ndevices; i++) {
		argv[n++] = "-chardev";
		argv[n++] = v->chardev[i];
		argv[n++] = "-device";
		argv[n++] = v->device[i];
	}
	return n;
}

void qemu_vhost_stop(struct qemu_vhost *v)
{
	if (!v->active)
		return;
	vhost_user_service_stop(&v->svc);
	rmdir(v->dir);
	v->active = 0;
}
