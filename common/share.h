/* Shared host directories (`toro run --share DIR[:rw][:/MOUNT]`, and CloudIt's `-d DIR`): the
 * option's syntax and checks, and the one kernel command-line word that tells the guest where
 * to mount each share, used by the built-in monitor and the QEMU path alike.
 *
 * Share i is served as a virtio-fs device with tag "share<i>", and the guest learns the mount
 * points from `toro.mounts=share0:/:ro,share1:/mnt/data:rw` (tag:path:ro|rw, comma-separated;
 * paths are absolute, normalised, and contain neither ',' nor ':'). docs/files.md. */
#ifndef COMMON_SHARE_H
#define COMMON_SHARE_H

#include <stddef.h>

#define SHARE_MAX        8
#define SHARE_MOUNT_MAX  256 /* bytes of a mount point, with its NUL */
#define SHARE_TAG_PREFIX "share"
#define SHARE_TAG_LEN    24 /* room for a tag and its NUL */
#define SHARE_MOUNTS_KEY "toro.mounts"

struct share {
	char *dir;                   /* the host directory, as given (malloc'd) */
	int writable;                /* ":rw"; read-only otherwise */
	char mount[SHARE_MOUNT_MAX]; /* where the guest mounts it, "/" by default */
};

/* Adds the share spec describes to list[0..*n): checks the directory exists and is one, the
 * mount point's syntax, and that no other share has that mount point. opt names the option in
 * errors ("--share", "-d"). Returns 0, or -1 with one line in err. */
int share_add(struct share *list, int *n, const char *opt, const char *spec, char *err,
              size_t errlen);

void share_free(struct share *list, int n);

/* The guest's tag of share i: "share<i>". */
void share_tag(int i, char *buf, size_t len);

/* Appends the toro.mounts word for list[0..n) to buf (cap bytes, NUL-terminated, quoted as
 * cmdline_append_word does); nothing when n is 0. Returns 0, or -1 if it does not fit. */
int share_append_mounts_word(const struct share *list, int n, char *buf, size_t cap);

#endif
