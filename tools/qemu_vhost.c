/* The devices `toro run --vmm qemu` gives QEMU over vhost-user: QEMU 7.2 has
 * vhost-user-vsock-device and vhost-user-fs-device for microvm's virtio-mmio bus, so the vsock
 * device and its host side (--vsock, --forward, --cid) and one virtio-fs device per --share run
 * here, in this process, on the same models and back ends as in the built-in monitor, served on
 * sockets in a private directory (mode 0700, in $TMPDIR or /tmp) that is removed when the run
 * ends, however it ends. The guest CID reaches QEMU through the vsock device's config space
 * (GET_CONFIG), which is where QEMU's device takes it from; a share's tag is QEMU's tag=. */
#include "qemu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "share.h"

void qemu_slot_word(unsigned slot, char *buf, size_t len)
{
	snprintf(buf, len, "virtio_mmio.device=%u@%#x:%u", QEMU_VIRTIO_SIZE,
	         QEMU_VIRTIO_BASE + slot * QEMU_VIRTIO_SIZE, QEMU_VIRTIO_FIRST_IRQ + slot);
}

/* Records the next device's QEMU arguments (type, on slot, with tag if not NULL) and its
 * kernel word. */
static void qemu_vhost_describe(struct qemu_vhost *v, const char *type, const char *path,
                                unsigned slot, const char *tag)
{
	unsigned i = v->ndevices++;
	snprintf(v->chardev[i], sizeof(v->chardev[i]), "socket,id=torovhost%u,path=%s", i, path);
	snprintf(v->device[i], sizeof(v->device[i]),
	         "%s,chardev=torovhost%u,bus=virtio-mmio-bus.%u%s%s", type, i, slot,
	         tag ? ",tag=" : "", tag ? tag : "");
	char word[64];
	qemu_slot_word(slot, word, sizeof(word));
	size_t used = strlen(v->words);
	snprintf(v->words + used, sizeof(v->words) - used, "%s%s", used ? " " : "", word);
}

/* Adds o's devices to the service, on slots from slot. Returns 0, or -1 with err. */
static int qemu_vhost_add(struct qemu_vhost *v, const struct run_options *o, unsigned slot,
                          char *err, size_t errlen)
{
	char path[sizeof(v->dir) + 24];
	if (o->vsock.enabled) {
		snprintf(path, sizeof(path), "%s/vsock.sock", v->dir);
		if (vhost_user_service_add_vsock(&v->svc, &o->vsock, path, err, errlen))
			return -1;
		qemu_vhost_describe(v, "vhost-user-vsock-device", path, slot++, NULL);
	}
	for (int i = 0; i < o->nshares; i++) {
		char tag[SHARE_TAG_LEN];
		share_tag(i, tag, sizeof(tag));
		snprintf(path, sizeof(path), "%s/fs%d.sock", v->dir, i);
		if (vhost_user_service_add_fs(&v->svc, o->shares[i].dir, o->shares[i].writable, tag,
		                              path, err, errlen))
			return -1;
		qemu_vhost_describe(v, "vhost-user-fs-device", path, slot++, tag);
	}
	/* Where the guest mounts each share (toro.mounts=), as the built-in monitor says it. */
	if (share_append_mounts_word(o->shares, o->nshares, v->words, sizeof(v->words)))
		return error_set(err, errlen,
		                 "the shares' mount points do not fit the command line");
	return 0;
}

int qemu_vhost_start(struct qemu_vhost *v, const struct run_options *o, unsigned first_slot)
{
	memset(v, 0, sizeof(*v));
	unsigned want = (o->vsock.enabled ? 1u : 0u) + (unsigned)o->nshares;
	if (want == 0)
		return 0;
	if (first_slot + want > QEMU_VIRTIO_SLOTS) {
		toro_error("run: %u virtio devices do not fit the %u virtio-mmio slots of QEMU's "
		           "microvm",
		           first_slot + want, QEMU_VIRTIO_SLOTS);
		return TORO_EXIT_USAGE;
	}
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
	if (qemu_vhost_add(v, o, first_slot, err, sizeof(err))) {
		toro_error("run: %s", err);
		qemu_vhost_stop(v);
		return TORO_EXIT_USAGE;
	}
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
