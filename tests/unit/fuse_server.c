/* The FUSE server (vmm/backend/fuse.c) on a temp dir: every request's normal path and its
 * errors (ENOENT, EEXIST, EISDIR, ENOTDIR, ENOTEMPTY, EROFS on a read-only share, EBADF for
 * forged handles and node ids), INIT's negotiation, the opcode table's size checks, a 1,000-
 * entry READDIRPLUS across several calls, a 1 MiB file written and read in max_write pieces,
 * and the bounds on nodes and handles. */
// clang-format off
// SOURCES: vmm/backend/fuse.c vmm/backend/fuse_nodes.c vmm/backend/fuse_ops.c common/error.c
// clang-format on
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/fs.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "check.h"
#include "fuse_test.h"

static char root[64];

static struct fuse_server *open_share(int writable, const struct fuse_server_limits *lim)
{
	char err[256];
	struct fuse_server *s = fuse_server_open(root, writable, lim, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "fuse_server_open: %s\n", err);
		exit(1);
	}
	return s;
}

static void host_path(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", root, rel);
}

static void test_init(void)
{
	struct fuse_server *s = open_share(1, NULL);
	uint64_t node;
	/* Nothing before INIT. */
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "x", &node, NULL) == -EIO);
	struct fuse_init_in in = {.major = 8, .minor = 31};
	CHECK(ft_call(s, FUSE_INIT, 0, &in, sizeof(in)) == -EPROTO);
	in.major = 7;
	in.minor = 30;
	CHECK(ft_call(s, FUSE_INIT, 0, &in, sizeof(in)) == -EPROTO);
	CHECK(ft_call(s, FUSE_INIT, 0, &in, 8) == -EINVAL); /* shorter than 7.31's */
	in.minor = 99;
	in.max_readahead = 1 << 30;
	in.flags = FUSE_DO_READDIRPLUS | FUSE_POSIX_ACL | FUSE_MAX_PAGES;
	CHECK(ft_call(s, FUSE_INIT, 0, &in, sizeof(in)) == 0);
	const struct fuse_init_out *out = (const void *)ft_reply;
	CHECK(ft_reply_len == sizeof(*out));
	CHECK(out->major == 7 && out->minor == FUSE_KERNEL_MINOR_VERSION);
	CHECK(out->max_write == FUSE_SERVER_IO_MAX);
	CHECK(out->max_readahead == FUSE_SERVER_IO_MAX);
	CHECK(out->flags == (FUSE_DO_READDIRPLUS | FUSE_MAX_PAGES)); /* not POSIX ACLs */
	CHECK(out->max_pages == FUSE_SERVER_IO_MAX / 4096);
	CHECK(ft_call(s, FUSE_INIT, 0, &in, sizeof(in)) == -EPROTO); /* twice */
	/* The opcode table: unknown opcodes, xattrs, sizes. */
	CHECK(ft_call(s, 99, FUSE_ROOT_ID, NULL, 0) == -ENOSYS);
	CHECK(ft_call(s, 4096, FUSE_ROOT_ID, NULL, 0) == -ENOSYS);
	CHECK(ft_call(s, 0x7fffffff, FUSE_ROOT_ID, NULL, 0) == -ENOSYS);
	CHECK(ft_call_name(s, FUSE_GETXATTR, FUSE_ROOT_ID, "\0\0\0\0\0\0\0\0", 8, "user.x") ==
	      -ENOSYS);
	CHECK(ft_call(s, FUSE_LISTXATTR, FUSE_ROOT_ID, "\0\0\0\0\0\0\0\0", 8) == -ENOSYS);
	CHECK(ft_call(s, FUSE_SETXATTR, FUSE_ROOT_ID, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) ==
	      -ENOSYS);
	CHECK(ft_call(s, FUSE_GETATTR, FUSE_ROOT_ID, NULL, 0) == -EINVAL); /* no getattr_in */
	CHECK(ft_call(s, FUSE_READ, FUSE_ROOT_ID, "12345678", 8) == -EINVAL);
	/* Reply room too small for an entry: refused before the lookup counts. */
	unsigned before = fuse_server_nodes_in_use(s);
	ft_room = sizeof(struct fuse_out_header) + 10;
	CHECK(ft_call_name(s, FUSE_LOOKUP, FUSE_ROOT_ID, NULL, 0, "file") == -EINVAL);
	CHECK(fuse_server_nodes_in_use(s) == before);
	/* No room even for a header: no reply. */
	ft_room = 8;
	CHECK(ft_call(s, FUSE_STATFS, FUSE_ROOT_ID, NULL, 0) == 1);
	/* Fewer bytes than a header: no reply; a header claiming more than the chain: EINVAL. */
	struct iovec in_short = {ft_in, 20}, out64 = {ft_out, 64};
	CHECK(fuse_server_handle(s, &in_short, 1, &out64, 1) == 0);
	struct fuse_in_header h = {
	    .len = 4000, .opcode = FUSE_STATFS, .unique = 5, .nodeid = FUSE_ROOT_ID};
	struct iovec in_h = {&h, sizeof(h)};
	CHECK(fuse_server_handle(s, &in_h, 1, &out64, 1) == sizeof(struct fuse_out_header));
	CHECK(((struct fuse_out_header *)ft_out)->error == -EINVAL);
	h.len = 10; /* shorter than the header itself */
	CHECK(fuse_server_handle(s, &in_h, 1, &out64, 1) == sizeof(struct fuse_out_header));
	CHECK(((struct fuse_out_header *)ft_out)->error == -EINVAL);
	/* DESTROY: back to before INIT. */
	CHECK(ft_call(s, FUSE_DESTROY, 0, NULL, 0) == 0);
	CHECK(ft_call(s, FUSE_STATFS, FUSE_ROOT_ID, NULL, 0) == -EIO);
	CHECK(ft_init(s) == 0);
	CHECK(ft_call(s, FUSE_STATFS, FUSE_ROOT_ID, NULL, 0) == 0);
	const struct fuse_statfs_out *st = (const void *)ft_reply;
	CHECK(st->st.namelen == 255 && st->st.bsize > 0 && st->st.blocks > 0);
	fuse_server_close(s);
}

static void test_lookup_getattr(void)
{
	struct fuse_server *s = open_share(0, NULL);
	CHECK(ft_init(s) == 0);
	uint64_t node, again, sub;
	struct fuse_attr a;
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "hello.txt", &node, &a) == 0);
	CHECK(a.size == 6 && S_ISREG(a.mode));
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "hello.txt", &again, NULL) == 0 && again == node);
	CHECK(fuse_server_nodes_in_use(s) == 2);
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "missing", &sub, NULL) == -ENOENT);
	CHECK(ft_lookup(s, node, "x", &sub, NULL) == -ENOTDIR);
	CHECK(ft_getattr(s, FUSE_ROOT_ID, &a) == 0 && S_ISDIR(a.mode));
	CHECK(ft_getattr(s, node, &a) == 0 && a.size == 6);
	/* Two lookups, so one FORGET of 1 leaves it; the second frees it. */
	CHECK(ft_forget(s, node, 1) == 1);
	CHECK(ft_getattr(s, node, &a) == 0);
	CHECK(ft_forget(s, node, 1) == 1);
	CHECK(ft_getattr(s, node, &a) == -EBADF);
	CHECK(fuse_server_nodes_in_use(s) == 1);
	/* A node id used again after its slot was freed does not match. */
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "hello.txt", &again, NULL) == 0);
	CHECK(again != node && ft_getattr(s, node, &a) == -EBADF);
	/* A child keeps its parent: forget the directory, the file inside still works. */
	uint64_t dir, inner;
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "dir", &dir, NULL) == 0);
	CHECK(ft_lookup(s, dir, "inner", &inner, NULL) == 0);
	CHECK(ft_forget(s, dir, 1) == 1);
	uint64_t fh;
	CHECK(ft_open(s, FUSE_OPEN, inner, O_RDONLY, &fh) == 0);
	CHECK(ft_read(s, FUSE_READ, inner, fh, 0, 100) == 0 && ft_reply_len == 5 &&
	      memcmp(ft_reply, "inner", 5) == 0);
	CHECK(ft_release(s, FUSE_RELEASE, inner, fh) == 0);
	CHECK(ft_forget(s, inner, 1) == 1);
	CHECK(fuse_server_nodes_in_use(s) == 2); /* the root and hello.txt */
	/* FORGET is never answered: not for a forged id, nor when too short. */
	CHECK(ft_forget(s, 0xdead00000007ull, 1) == 1);
	CHECK(ft_forget(s, inner, 1) == 1);
	CHECK(ft_call(s, FUSE_FORGET, again, "1234", 4) == 1);
	CHECK(ft_call(s, FUSE_INTERRUPT, 0, NULL, 0) == 1);
	/* BATCH_FORGET, with a forged id among real ones and a count beyond the request. */
	struct {
		struct fuse_batch_forget_in in;
		struct fuse_forget_one one[2];
	} batch = {{.count = 1000}, {{again, 1}, {0xdead00000007ull, 1}}};
	CHECK(ft_call(s, FUSE_BATCH_FORGET, 0, &batch, sizeof(batch)) == 1);
	CHECK(fuse_server_nodes_in_use(s) == 1);
	fuse_server_close(s);
}

static void test_files(void)
{
	struct fuse_server *s = open_share(1, NULL);
	CHECK(ft_init(s) == 0);
	uint64_t node, fh, fh2, dirnode;
	CHECK(ft_create(s, FUSE_ROOT_ID, "new.txt", O_RDWR | O_EXCL, &node, &fh) == 0);
	CHECK(ft_write(s, node, fh, 0, "abcdef", 6) == 6);
	CHECK(ft_write(s, node, fh, 10, "xyz", 3) == 3);
	CHECK(ft_read(s, FUSE_READ, node, fh, 0, 100) == 0 && ft_reply_len == 13);
	CHECK(memcmp(ft_reply, "abcdef\0\0\0\0xyz", 13) == 0);
	CHECK(ft_read(s, FUSE_READ, node, fh, 13, 100) == 0 && ft_reply_len == 0); /* EOF */
	struct fuse_flush_in fl = {.fh = fh};
	CHECK(ft_call(s, FUSE_FLUSH, node, &fl, sizeof(fl)) == 0);
	struct fuse_fsync_in fs = {.fh = fh, .fsync_flags = 1};
	CHECK(ft_call(s, FUSE_FSYNC, node, &fs, sizeof(fs)) == 0);
	struct fuse_lseek_in ls = {.fh = fh, .offset = 0, .whence = SEEK_END};
	CHECK(ft_call(s, FUSE_LSEEK, node, &ls, sizeof(ls)) == 0 &&
	      ((struct fuse_lseek_out *)(void *)ft_reply)->offset == 13);
	ls.whence = 77;
	CHECK(ft_call(s, FUSE_LSEEK, node, &ls, sizeof(ls)) == -EINVAL);
	/* A write claiming more data than it carries. */
	struct fuse_write_in w = {.fh = fh, .offset = 0, .size = 100};
	CHECK(ft_call3(s, FUSE_WRITE, node, &w, sizeof(w), "abc", 3, NULL, 0) == -EINVAL);
	CHECK(ft_create(s, FUSE_ROOT_ID, "new.txt", O_RDWR | O_EXCL, NULL, &fh2) == -EEXIST);
	CHECK(ft_release(s, FUSE_RELEASE, node, fh) == 0);
	CHECK(ft_release(s, FUSE_RELEASE, node, fh) == -EBADF); /* twice */
	CHECK(ft_read(s, FUSE_READ, node, fh, 0, 10) == -EBADF);
	CHECK(fuse_server_handles_in_use(s) == 0);
	/* Read-only handle: no writes; write-only: no reads. */
	CHECK(ft_open(s, FUSE_OPEN, node, O_RDONLY, &fh) == 0);
	CHECK(ft_write(s, node, fh, 0, "q", 1) == -EBADF);
	CHECK(ft_release(s, FUSE_RELEASE, node, fh) == 0);
	CHECK(ft_open(s, FUSE_OPEN, node, O_WRONLY | O_TRUNC, &fh) == 0);
	CHECK(ft_read(s, FUSE_READ, node, fh, 0, 10) == -EBADF);
	struct fuse_attr a;
	CHECK(ft_getattr(s, node, &a) == 0 && a.size == 0); /* O_TRUNC */
	CHECK(ft_release(s, FUSE_RELEASE, node, fh) == 0);
	CHECK(ft_open(s, FUSE_OPEN, node, O_ACCMODE, &fh) == -EINVAL);
	CHECK(ft_open(s, FUSE_OPEN, FUSE_ROOT_ID, O_RDONLY, &fh) == -EISDIR);
	CHECK(ft_open(s, FUSE_OPENDIR, node, O_RDONLY, &fh) == -ENOTDIR);
	/* SETATTR: size, mode (set-user-ID dropped), times, through a handle too. */
	struct fuse_setattr_in sa = {.valid = FATTR_SIZE | FATTR_MODE | FATTR_MTIME,
	                             .size = 4096,
	                             .mode = 04640,
	                             .mtime = 1000000000,
	                             .mtimensec = 5};
	CHECK(ft_call(s, FUSE_SETATTR, node, &sa, sizeof(sa)) == 0);
	a = ((struct fuse_attr_out *)(void *)ft_reply)->attr;
	CHECK(a.size == 4096 && (a.mode & 07777) == 0640 && a.mtime == 1000000000 &&
	      a.mtimensec == 5);
	sa.mtimensec = 2000000000;
	CHECK(ft_call(s, FUSE_SETATTR, node, &sa, sizeof(sa)) == -EINVAL);
	CHECK(ft_open(s, FUSE_OPEN, node, O_RDWR, &fh) == 0);
	sa = (struct fuse_setattr_in){.valid = FATTR_SIZE | FATTR_FH, .fh = fh, .size = 7};
	CHECK(ft_call(s, FUSE_SETATTR, node, &sa, sizeof(sa)) == 0);
	CHECK(((struct fuse_attr_out *)(void *)ft_reply)->attr.size == 7);
	sa.fh = fh + 1;
	CHECK(ft_call(s, FUSE_SETATTR, node, &sa, sizeof(sa)) == -EBADF);
	CHECK(ft_release(s, FUSE_RELEASE, node, fh) == 0);
	sa = (struct fuse_setattr_in){.valid = FATTR_SIZE, .size = 1};
	CHECK(ft_call(s, FUSE_SETATTR, FUSE_ROOT_ID, &sa, sizeof(sa)) == -EISDIR);
	/* ACCESS. */
	struct fuse_access_in ac = {.mask = R_OK | W_OK};
	CHECK(ft_call(s, FUSE_ACCESS, node, &ac, sizeof(ac)) == 0);
	ac.mask = 0100;
	CHECK(ft_call(s, FUSE_ACCESS, node, &ac, sizeof(ac)) == -EINVAL);
	/* Directories: MKDIR, ENOTEMPTY, ENOTDIR, EISDIR, UNLINK, RMDIR. */
	CHECK(ft_mkdir(s, FUSE_ROOT_ID, "d", &dirnode) == 0);
	CHECK(ft_mkdir(s, FUSE_ROOT_ID, "d", NULL) == -EEXIST);
	CHECK(ft_mkdir(s, node, "x", NULL) == -ENOTDIR);
	CHECK(ft_create(s, dirnode, "f", O_WRONLY, NULL, &fh) == 0);
	CHECK(ft_release(s, FUSE_RELEASE, 0, fh) == 0);
	CHECK(ft_call_name(s, FUSE_RMDIR, FUSE_ROOT_ID, NULL, 0, "d") == -ENOTEMPTY);
	CHECK(ft_call_name(s, FUSE_RMDIR, FUSE_ROOT_ID, NULL, 0, "new.txt") == -ENOTDIR);
	CHECK(ft_call_name(s, FUSE_UNLINK, FUSE_ROOT_ID, NULL, 0, "d") == -EISDIR);
	CHECK(ft_call_name(s, FUSE_UNLINK, dirnode, NULL, 0, "f") == 0);
	CHECK(ft_call_name(s, FUSE_UNLINK, dirnode, NULL, 0, "f") == -ENOENT);
	CHECK(ft_call_name(s, FUSE_RMDIR, FUSE_ROOT_ID, NULL, 0, "d") == 0);
	CHECK(ft_getattr(s, dirnode, &a) == 0 && a.nlink == 0); /* the node outlives its name */
	/* MKNOD is refused on a writable share too. */
	struct fuse_mknod_in mk = {.mode = S_IFIFO | 0644};
	CHECK(ft_call_name(s, FUSE_MKNOD, FUSE_ROOT_ID, &mk, sizeof(mk), "fifo") == -EPERM);
	/* RENAME2: plain, NOREPLACE, EXCHANGE; the node follows its file. */
	uint64_t other;
	CHECK(ft_create(s, FUSE_ROOT_ID, "other", O_WRONLY, &other, &fh) == 0);
	CHECK(ft_release(s, FUSE_RELEASE, other, fh) == 0);
	CHECK(ft_rename(s, FUSE_ROOT_ID, "new.txt", FUSE_ROOT_ID, "other", RENAME_NOREPLACE) ==
	      -EEXIST);
	CHECK(ft_rename(s, FUSE_ROOT_ID, "new.txt", FUSE_ROOT_ID, "renamed", 0) == 0);
	CHECK(ft_open(s, FUSE_OPEN, node, O_RDONLY, &fh) == 0); /* by its new name */
	CHECK(ft_release(s, FUSE_RELEASE, node, fh) == 0);
	CHECK(ft_rename(s, FUSE_ROOT_ID, "renamed", FUSE_ROOT_ID, "other", RENAME_EXCHANGE) == 0);
	CHECK(ft_open(s, FUSE_OPEN, node, O_RDONLY, &fh) == 0 &&
	      ft_release(s, FUSE_RELEASE, node, fh) == 0);
	CHECK(ft_open(s, FUSE_OPEN, other, O_RDONLY, &fh) == 0 &&
	      ft_release(s, FUSE_RELEASE, other, fh) == 0);
	CHECK(ft_getattr(s, node, &a) == 0 && a.size == 7);
	CHECK(ft_rename(s, FUSE_ROOT_ID, "other", FUSE_ROOT_ID, "x", RENAME_WHITEOUT) == -EINVAL);
	CHECK(ft_rename(s, FUSE_ROOT_ID, "nothing", FUSE_ROOT_ID, "x", 0) == -ENOENT);
	struct fuse_rename_in rn = {.newdir = FUSE_ROOT_ID};
	CHECK(ft_call3(s, FUSE_RENAME, FUSE_ROOT_ID, &rn, sizeof(rn), "other", 6, "plain", 6) == 0);
	/* LINK, SYMLINK, READLINK. */
	uint64_t linked, sym;
	CHECK(ft_link(s, node, FUSE_ROOT_ID, "hard", &linked) == 0 && linked == node);
	CHECK(ft_getattr(s, node, &a) == 0 && a.nlink == 2);
	CHECK(ft_link(s, node, FUSE_ROOT_ID, "hard", NULL) == -EEXIST);
	CHECK(ft_link(s, FUSE_ROOT_ID, FUSE_ROOT_ID, "rootlink", NULL) == -EPERM);
	CHECK(ft_symlink(s, FUSE_ROOT_ID, "sym", "some/where/../else", &sym) == 0);
	CHECK(ft_getattr(s, sym, &a) == 0 && S_ISLNK(a.mode));
	CHECK(ft_call(s, FUSE_READLINK, sym, NULL, 0) == 0 && ft_reply_len == 18 &&
	      memcmp(ft_reply, "some/where/../else", 18) == 0);
	CHECK(ft_call(s, FUSE_READLINK, node, NULL, 0) == -EINVAL);
	CHECK(ft_symlink(s, FUSE_ROOT_ID, "sym", "x", NULL) == -EEXIST);
	CHECK(ft_symlink(s, FUSE_ROOT_ID, "empty", "", NULL) == -ENOENT);
	CHECK(ft_open(s, FUSE_OPEN, sym, O_RDONLY, &fh) == -ELOOP);
	/* Names: 255 bytes are fine, 256 are too long. */
	char name[300];
	memset(name, 'n', 255);
	name[255] = '\0';
	CHECK(ft_mkdir(s, FUSE_ROOT_ID, name, NULL) == 0);
	name[255] = 'n';
	name[256] = '\0';
	CHECK(ft_mkdir(s, FUSE_ROOT_ID, name, NULL) == -ENAMETOOLONG);
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "", &other, NULL) == -EINVAL);
	fuse_server_close(s);
}

/* A 1 MiB file written and read back in max_write pieces, and a READ bigger than the guest's
 * buffers cut to them. */
static void test_big_io(void)
{
	struct fuse_server *s = open_share(1, NULL);
	CHECK(ft_init(s) == 0);
	enum { SIZE = 1 << 20 };
	static uint8_t data[SIZE];
	for (size_t i = 0; i < SIZE; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 12));
	uint64_t node, fh;
	CHECK(ft_create(s, FUSE_ROOT_ID, "big", O_RDWR, &node, &fh) == 0);
	int bad = 0;
	for (size_t off = 0; off < SIZE; off += FUSE_SERVER_IO_MAX)
		bad |= ft_write(s, node, fh, off, data + off, FUSE_SERVER_IO_MAX) !=
		       (int)FUSE_SERVER_IO_MAX;
	CHECK(!bad);
	struct fuse_write_in w = {.fh = fh, .size = FUSE_SERVER_IO_MAX + 1};
	static uint8_t more[FUSE_SERVER_IO_MAX + 1];
	CHECK(ft_call3(s, FUSE_WRITE, node, &w, sizeof(w), more, sizeof(more), NULL, 0) == -E2BIG);
	size_t got = 0;
	for (size_t off = 0; off < SIZE; off += FUSE_SERVER_IO_MAX) {
		if (ft_read(s, FUSE_READ, node, fh, off, FUSE_SERVER_IO_MAX) ||
		    ft_reply_len != FUSE_SERVER_IO_MAX ||
		    memcmp(ft_reply, data + off, ft_reply_len))
			bad = 1;
		got += ft_reply_len;
	}
	CHECK(!bad && got == SIZE);
	/* Asking for more than max_write, or more than the buffers hold, gives what fits. */
	CHECK(ft_read(s, FUSE_READ, node, fh, 0, SIZE) == 0 && ft_reply_len == FUSE_SERVER_IO_MAX);
	ft_room = sizeof(struct fuse_out_header) + 1000;
	CHECK(ft_read(s, FUSE_READ, node, fh, 5, 4096) == 0 && ft_reply_len == 1000 &&
	      memcmp(ft_reply, data + 5, 1000) == 0);
	char path[128];
	host_path(path, sizeof(path), "big");
	struct stat st;
	CHECK(stat(path, &st) == 0 && st.st_size == SIZE);
	CHECK(ft_release(s, FUSE_RELEASE, node, fh) == 0);
	fuse_server_close(s);
}

/* 1,000 entries through READDIRPLUS in several calls, each from the last offset. */
static void test_readdir(void)
{
	enum { N = 1000 };
	char path[128];
	host_path(path, sizeof(path), "many");
	mkdir(path, 0755);
	for (int i = 0; i < N; i++) {
		char f[160];
		snprintf(f, sizeof(f), "%s/entry-%04d", path, i);
		ft_write_file(f, "");
	}
	struct fuse_server *s = open_share(0, NULL);
	CHECK(ft_init(s) == 0);
	uint64_t dir, fh;
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "many", &dir, NULL) == 0);
	for (int plus = 0; plus < 2; plus++) {
		CHECK(ft_open(s, FUSE_OPENDIR, dir, O_RDONLY, &fh) == 0);
		static char seen[N];
		memset(seen, 0, sizeof(seen));
		int dots = 0, calls = 0, dup = 0, bad = 0;
		uint64_t off = 0;
		static uint64_t nodes[N];
		for (;;) {
			int rc =
			    ft_read(s, plus ? FUSE_READDIRPLUS : FUSE_READDIR, dir, fh, off, 4096);
			if (rc || ft_reply_len == 0)
				break;
			calls++;
			for (uint32_t p = 0; p < ft_reply_len;) {
				const struct fuse_direntplus *dp = (const void *)(ft_reply + p);
				const struct fuse_dirent *d =
				    plus ? &dp->dirent : (const void *)(ft_reply + p);
				char name[256];
				snprintf(name, sizeof(name), "%.*s", (int)d->namelen, d->name);
				int i;
				if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
					dots++;
					bad |= plus && dp->entry_out.nodeid != 0;
				} else if (sscanf(name, "entry-%d", &i) == 1 && i >= 0 && i < N) {
					dup += seen[i]++;
					if (plus)
						nodes[i] = dp->entry_out.nodeid;
					bad |= plus && !S_ISREG(dp->entry_out.attr.mode);
				} else {
					bad = 1;
				}
				off = d->off;
				p += plus ? FUSE_DIRENTPLUS_SIZE(dp) : FUSE_DIRENT_SIZE(d);
			}
		}
		int all = 1;
		for (int i = 0; i < N; i++)
			all &= seen[i] == 1;
		CHECK(all && dots == 2 && dup == 0 && !bad);
		CHECK(calls > 5);
		if (plus) {
			/* Each entry was looked up once: a node that answers, and FORGET frees it.
			 */
			CHECK(fuse_server_nodes_in_use(s) == 2 + N);
			struct fuse_attr a;
			CHECK(ft_getattr(s, nodes[500], &a) == 0 && S_ISREG(a.mode));
			int forgot = 0;
			for (int i = 0; i < N; i++)
				forgot += ft_forget(s, nodes[i], 1) == 1;
			CHECK(forgot == N && fuse_server_nodes_in_use(s) == 2);
		}
		struct fuse_fsync_in fs = {.fh = fh};
		CHECK(ft_call(s, FUSE_FSYNCDIR, dir, &fs, sizeof(fs)) == 0);
		CHECK(ft_release(s, FUSE_RELEASEDIR, dir, fh) == 0);
		CHECK(ft_call(s, FUSE_FSYNCDIR, dir, &fs, sizeof(fs)) == -EBADF);
	}
	CHECK(ft_read(s, FUSE_READDIR, dir, fh, 0, 4096) == -EBADF); /* released */
	uint64_t file, ffh;
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "hello.txt", &file, NULL) == 0);
	CHECK(ft_open(s, FUSE_OPEN, file, O_RDONLY, &ffh) == 0);
	CHECK(ft_read(s, FUSE_READDIR, file, ffh, 0, 4096) == -EBADF); /* a file's handle */
	CHECK(ft_read(s, FUSE_READ, FUSE_ROOT_ID, ffh, 0, 4096) == 0);
	CHECK(ft_release(s, FUSE_RELEASEDIR, file, ffh) == -EBADF);
	CHECK(ft_release(s, FUSE_RELEASE, file, ffh) == 0);
	fuse_server_close(s);
}

/* A read-only share: every request that would change it answers EROFS. */
static void test_read_only(void)
{
	struct fuse_server *s = open_share(0, NULL);
	CHECK(ft_init(s) == 0);
	uint64_t node, fh;
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "hello.txt", &node, NULL) == 0);
	CHECK(ft_create(s, FUSE_ROOT_ID, "new", O_WRONLY, NULL, &fh) == -EROFS);
	CHECK(ft_mkdir(s, FUSE_ROOT_ID, "d", NULL) == -EROFS);
	CHECK(ft_call_name(s, FUSE_UNLINK, FUSE_ROOT_ID, NULL, 0, "hello.txt") == -EROFS);
	CHECK(ft_call_name(s, FUSE_RMDIR, FUSE_ROOT_ID, NULL, 0, "dir") == -EROFS);
	CHECK(ft_rename(s, FUSE_ROOT_ID, "hello.txt", FUSE_ROOT_ID, "x", 0) == -EROFS);
	struct fuse_rename_in rn = {.newdir = FUSE_ROOT_ID};
	CHECK(ft_call3(s, FUSE_RENAME, FUSE_ROOT_ID, &rn, sizeof(rn), "hello.txt", 10, "x", 2) ==
	      -EROFS);
	CHECK(ft_symlink(s, FUSE_ROOT_ID, "s", "t", NULL) == -EROFS);
	CHECK(ft_link(s, node, FUSE_ROOT_ID, "l", NULL) == -EROFS);
	struct fuse_mknod_in mk = {.mode = S_IFREG | 0644};
	CHECK(ft_call_name(s, FUSE_MKNOD, FUSE_ROOT_ID, &mk, sizeof(mk), "n") == -EROFS);
	struct fuse_setattr_in sa = {.valid = FATTR_MODE, .mode = 0600};
	CHECK(ft_call(s, FUSE_SETATTR, node, &sa, sizeof(sa)) == -EROFS);
	CHECK(ft_open(s, FUSE_OPEN, node, O_WRONLY, &fh) == -EROFS);
	CHECK(ft_open(s, FUSE_OPEN, node, O_RDWR, &fh) == -EROFS);
	CHECK(ft_open(s, FUSE_OPEN, node, O_RDONLY | O_TRUNC, &fh) == -EROFS);
	struct fuse_access_in ac = {.mask = W_OK};
	CHECK(ft_call(s, FUSE_ACCESS, node, &ac, sizeof(ac)) == -EROFS);
	ac.mask = R_OK;
	CHECK(ft_call(s, FUSE_ACCESS, node, &ac, sizeof(ac)) == 0);
	CHECK(ft_open(s, FUSE_OPEN, node, O_RDONLY, &fh) == 0);
	const struct fuse_open_out *oo = (const void *)ft_reply;
	CHECK(oo->open_flags & FOPEN_KEEP_CACHE);
	CHECK(ft_write(s, node, fh, 0, "x", 1) == -EROFS);
	CHECK(ft_read(s, FUSE_READ, node, fh, 0, 100) == 0 && ft_reply_len == 6 &&
	      memcmp(ft_reply, "hello\n", 6) == 0);
	CHECK(ft_release(s, FUSE_RELEASE, node, fh) == 0);
	char path[128];
	host_path(path, sizeof(path), "hello.txt");
	struct stat st;
	CHECK(stat(path, &st) == 0 && st.st_size == 6 && (st.st_mode & 0777) == 0644);
	fuse_server_close(s);
}

/* chmod where the kernel has no fchmodat2 (before Linux 6.6, Debian 12's 6.1): a child whose
 * seccomp filter answers ENOSYS to it must still change a file's and a directory's mode. */
static int chmod_without_fchmodat2(void)
{
	struct sock_filter filter[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 452 /* fchmodat2 */, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(filter) / sizeof(filter[0]), filter};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return 2;
	if (syscall(452, AT_FDCWD, "/", 0755, 0) == 0 || errno != ENOSYS)
		return 3; /* the filter is not in force */
	struct fuse_server *s = open_share(1, NULL);
	uint64_t file, dir;
	struct fuse_setattr_in sa = {.valid = FATTR_MODE, .mode = 0604};
	int bad = ft_init(s) || ft_lookup(s, FUSE_ROOT_ID, "spare", &file, NULL) ||
	          ft_lookup(s, FUSE_ROOT_ID, "dir", &dir, NULL) ||
	          ft_call(s, FUSE_SETATTR, file, &sa, sizeof(sa)) ||
	          (((struct fuse_attr_out *)(void *)ft_reply)->attr.mode & 07777) != 0604;
	sa.mode = 0711;
	bad = bad || ft_call(s, FUSE_SETATTR, dir, &sa, sizeof(sa)) ||
	      (((struct fuse_attr_out *)(void *)ft_reply)->attr.mode & 07777) != 0711;
	fuse_server_close(s);
	return bad;
}

static void test_chmod_fallback(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(chmod_without_fchmodat2());
	int status = -1;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	char path[128];
	struct stat st;
	host_path(path, sizeof(path), "spare");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0604);
	host_path(path, sizeof(path), "dir");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0711);
	chmod(path, 0755);
}

/* The bounds: handles and nodes beyond the limits answer ENFILE, and work again once freed. */
static void test_limits(void)
{
	struct fuse_server_limits lim = {.nodes = 4, .handles = 3};
	struct fuse_server *s = open_share(0, &lim);
	CHECK(ft_init(s) == 0);
	uint64_t node, fh[4], a, b, c;
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "hello.txt", &node, NULL) == 0);
	for (int i = 0; i < 3; i++)
		CHECK(ft_open(s, FUSE_OPEN, node, O_RDONLY, &fh[i]) == 0);
	CHECK(ft_open(s, FUSE_OPEN, node, O_RDONLY, &fh[3]) == -ENFILE);
	CHECK(ft_open(s, FUSE_OPENDIR, FUSE_ROOT_ID, O_RDONLY, &fh[3]) == -ENFILE);
	CHECK(ft_release(s, FUSE_RELEASE, node, fh[1]) == 0);
	CHECK(ft_open(s, FUSE_OPEN, node, O_RDONLY, &fh[3]) == 0 && fh[3] != fh[1]);
	CHECK(ft_read(s, FUSE_READ, node, fh[1], 0, 10) == -EBADF); /* the old fh is stale */
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "dir", &a, NULL) == 0);
	CHECK(ft_lookup(s, a, "inner", &b, NULL) == 0);
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "spare", &c, NULL) == -ENFILE);
	CHECK(ft_forget(s, b, 1) == 1);
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "spare", &c, NULL) == 0);
	CHECK(fuse_server_nodes_in_use(s) == 4);
	fuse_server_reset(s);
	CHECK(fuse_server_nodes_in_use(s) == 1 && fuse_server_handles_in_use(s) == 0);
	CHECK(ft_init(s) == 0);
	CHECK(ft_getattr(s, c, NULL) == -EBADF);
	fuse_server_close(s);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/fuse-server-XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	char path[128];
	host_path(path, sizeof(path), "hello.txt");
	ft_write_file(path, "hello\n");
	chmod(path, 0644);
	host_path(path, sizeof(path), "spare");
	ft_write_file(path, "");
	host_path(path, sizeof(path), "dir");
	mkdir(path, 0755);
	host_path(path, sizeof(path), "dir/inner");
	ft_write_file(path, "inner");

	test_init();
	test_lookup_getattr();
	test_read_only();
	test_limits();
	test_chmod_fallback();
	test_files();
	test_big_io();
	test_readdir();
	ft_rm_rf(root);
	return check_summary("fuse_server");
}
