/* What the FUSE server's tests share: building requests the way a guest driver does (header,
 * fixed arguments, names), sending them through fuse_server_handle split over several buffers
 * each way, and reading the replies back; and small helpers for the host side of a temp dir. */
#ifndef TESTS_UNIT_FUSE_TEST_H
#define TESTS_UNIT_FUSE_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/fuse.h"

#define FT_OUT_MAX (FUSE_SERVER_IO_MAX + 4096)
#define FT_IN_MAX  (FUSE_SERVER_IO_MAX + 8192)

static uint8_t ft_in[FT_IN_MAX];
static uint8_t ft_out[FT_OUT_MAX];
static uint8_t *ft_reply;           /* the last reply's payload */
static uint32_t ft_reply_len;       /* its length */
static size_t ft_room = FT_OUT_MAX; /* the guest's writable bytes for the next request */
static uint64_t ft_unique;
/* Called with every reply (the escape suite looks for its secret in each). */
static void (*ft_reply_hook)(const void *reply, size_t len);

/* Sends opcode for nodeid with up to three argument parts; returns the reply's error (0 or
 * -errno), or 1 when there was no reply. */
static int ft_call3(struct fuse_server *s, uint32_t opcode, uint64_t nodeid, const void *a,
                    size_t alen, const void *b, size_t blen, const void *c, size_t clen)
{
	struct fuse_in_header *h = (void *)ft_in;
	size_t len = sizeof(*h) + alen + blen + clen;
	if (len > sizeof(ft_in)) {
		fprintf(stderr, "ft_call3: request too big\n");
		exit(1);
	}
	memset(h, 0, sizeof(*h));
	h->len = (uint32_t)len;
	h->opcode = opcode;
	h->unique = ++ft_unique;
	h->nodeid = nodeid;
	uint8_t *p = ft_in + sizeof(*h);
	if (alen)
		memcpy(p, a, alen);
	if (blen)
		memcpy(p + alen, b, blen);
	if (clen)
		memcpy(p + alen + blen, c, clen);
	/* Split both ways at odd places, as a guest's scattered pages would be. */
	size_t cut = len > 45 ? 45 : len;
	struct iovec in[3] = {{ft_in, 17}, {ft_in + 17, cut - 17}, {ft_in + cut, len - cut}};
	if (cut < 17) {
		in[0].iov_len = cut;
		in[1].iov_len = 0;
	}
	size_t room = ft_room;
	size_t first = room < 21 ? room : 21;
	struct iovec out[2] = {{ft_out, first}, {ft_out + first, room - first}};
	memset(ft_out, 0xa5, sizeof(struct fuse_out_header));
	size_t n = fuse_server_handle(s, in, 3, out, 2);
	ft_room = FT_OUT_MAX;
	if (n == 0) {
		ft_reply = NULL;
		ft_reply_len = 0;
		return 1;
	}
	const struct fuse_out_header *oh = (const void *)ft_out;
	if (oh->len != n || oh->unique != h->unique || n < sizeof(*oh)) {
		fprintf(stderr, "ft_call3: reply length %u for %zu bytes, unique %llu\n", oh->len,
		        n, (unsigned long long)oh->unique);
		exit(1);
	}
	if (ft_reply_hook)
		ft_reply_hook(ft_out, n);
	ft_reply = ft_out + sizeof(*oh);
	ft_reply_len = (uint32_t)(n - sizeof(*oh));
	return oh->error;
}

static int ft_call(struct fuse_server *s, uint32_t opcode, uint64_t nodeid, const void *a,
                   size_t alen)
{
	return ft_call3(s, opcode, nodeid, a, alen, NULL, 0, NULL, 0);
}

/* A request whose argument is a fixed part and a NUL-terminated name. */
static int ft_call_name(struct fuse_server *s, uint32_t opcode, uint64_t nodeid, const void *a,
                        size_t alen, const char *name)
{
	return ft_call3(s, opcode, nodeid, a, alen, name, strlen(name) + 1, NULL, 0);
}

static int ft_init(struct fuse_server *s)
{
	struct fuse_init_in in = {.major = 7,
	                          .minor = 31,
	                          .max_readahead = 1 << 20,
	                          .flags = FUSE_DO_READDIRPLUS | FUSE_MAX_PAGES | FUSE_BIG_WRITES};
	return ft_call(s, FUSE_INIT, 0, &in, offsetof(struct fuse_init_in, flags2));
}

/* LOOKUP; *node gets the node id (0 on error). */
static int ft_lookup(struct fuse_server *s, uint64_t parent, const char *name, uint64_t *node,
                     struct fuse_attr *attr)
{
	*node = 0;
	int rc = ft_call_name(s, FUSE_LOOKUP, parent, NULL, 0, name);
	if (rc == 0) {
		const struct fuse_entry_out *e = (const void *)ft_reply;
		*node = e->nodeid;
		if (attr)
			*attr = e->attr;
	}
	return rc;
}

static int ft_entry_reply(int rc, uint64_t *node)
{
	if (node)
		*node =
		    rc == 0 ? ((const struct fuse_entry_out *)(const void *)ft_reply)->nodeid : 0;
	return rc;
}

static int ft_mkdir(struct fuse_server *s, uint64_t parent, const char *name, uint64_t *node)
{
	struct fuse_mkdir_in in = {.mode = 0755};
	return ft_entry_reply(ft_call_name(s, FUSE_MKDIR, parent, &in, sizeof(in), name), node);
}

static int ft_create(struct fuse_server *s, uint64_t parent, const char *name, uint32_t flags,
                     uint64_t *node, uint64_t *fh)
{
	struct fuse_create_in in = {.flags = flags, .mode = 0644};
	int rc = ft_call_name(s, FUSE_CREATE, parent, &in, sizeof(in), name);
	ft_entry_reply(rc, node);
	if (fh)
		*fh =
		    rc == 0
		        ? ((const struct fuse_open_out *)(const void *)(ft_reply +
		                                                        sizeof(
		                                                            struct fuse_entry_out)))
		              ->fh
		        : 0;
	return rc;
}

static int ft_open(struct fuse_server *s, uint32_t opcode, uint64_t node, uint32_t flags,
                   uint64_t *fh)
{
	struct fuse_open_in in = {.flags = flags};
	int rc = ft_call(s, opcode, node, &in, sizeof(in));
	*fh = rc == 0 ? ((const struct fuse_open_out *)(const void *)ft_reply)->fh : 0;
	return rc;
}

static int ft_release(struct fuse_server *s, uint32_t opcode, uint64_t node, uint64_t fh)
{
	struct fuse_release_in in = {.fh = fh};
	return ft_call(s, opcode, node, &in, sizeof(in));
}

/* READ: the data is at ft_reply, ft_reply_len bytes. */
static int ft_read(struct fuse_server *s, uint32_t opcode, uint64_t node, uint64_t fh, uint64_t off,
                   uint32_t size)
{
	struct fuse_read_in in = {.fh = fh, .offset = off, .size = size};
	return ft_call(s, opcode, node, &in, sizeof(in));
}

/* WRITE: returns -errno, or the count written. */
static int ft_write(struct fuse_server *s, uint64_t node, uint64_t fh, uint64_t off,
                    const void *data, uint32_t len)
{
	struct fuse_write_in in = {.fh = fh, .offset = off, .size = len};
	int rc = ft_call3(s, FUSE_WRITE, node, &in, sizeof(in), data, len, NULL, 0);
	return rc ? rc : (int)((const struct fuse_write_out *)(const void *)ft_reply)->size;
}

static int ft_getattr(struct fuse_server *s, uint64_t node, struct fuse_attr *attr)
{
	struct fuse_getattr_in in = {0};
	int rc = ft_call(s, FUSE_GETATTR, node, &in, sizeof(in));
	if (rc == 0 && attr)
		*attr = ((const struct fuse_attr_out *)(const void *)ft_reply)->attr;
	return rc;
}

static int ft_forget(struct fuse_server *s, uint64_t node, uint64_t n)
{
	struct fuse_forget_in in = {.nlookup = n};
	return ft_call(s, FUSE_FORGET, node, &in, sizeof(in));
}

static int ft_rename(struct fuse_server *s, uint64_t olddir, const char *oldname, uint64_t newdir,
                     const char *newname, uint32_t flags)
{
	struct fuse_rename2_in in = {.newdir = newdir, .flags = flags};
	return ft_call3(s, FUSE_RENAME2, olddir, &in, sizeof(in), oldname, strlen(oldname) + 1,
	                newname, strlen(newname) + 1);
}

static int ft_link(struct fuse_server *s, uint64_t oldnode, uint64_t newdir, const char *name,
                   uint64_t *node)
{
	struct fuse_link_in in = {.oldnodeid = oldnode};
	return ft_entry_reply(ft_call_name(s, FUSE_LINK, newdir, &in, sizeof(in), name), node);
}

static int ft_symlink(struct fuse_server *s, uint64_t dir, const char *name, const char *target,
                      uint64_t *node)
{
	return ft_entry_reply(ft_call3(s, FUSE_SYMLINK, dir, name, strlen(name) + 1, target,
	                               strlen(target) + 1, NULL, 0),
	                      node);
}

/* Host side. */
static void ft_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void ft_rm_rf(const char *path)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
}

#endif
