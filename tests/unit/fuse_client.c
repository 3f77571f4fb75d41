/* The FUSE client and the VFS (kernel/fs/) against a fake FUSE server in the same process, which
 * keeps a small tree in memory and answers through a fake virtio-fs transport: mounts from
 * toro.mounts=, the walk ("..", mount points, symbolic links and their bound), create, write,
 * read back, append, truncate, reads and writes split into requests of max_write, a directory of
 * 1,000 entries, rename, unlink, rmdir and the errors Linux gives, the page cache of a read-only
 * share (a second read sends no READ), attribute timeouts, FORGET of evicted nodes (the server's
 * lookup counts balance), and replies the client must refuse (wrong unique, wrong length). */
// clang-format off
// SOURCES: kernel/fs/fuse.c kernel/fs/node.c kernel/fs/mount.c kernel/fs/walk.c kernel/fs/ops.c kernel/fs/file.c kernel/fs/dir.c kernel/fs/dev.c kernel/fs/proc.c kernel/fs/pagecache.c kernel/core/cmdline.c kernel/core/file.c kernel/lib/format.c
// clang-format on
#include <kernel/arch.h>
#include <kernel/cmdline.h>
#include <kernel/cpu.h>
#include <kernel/mm.h>
#include <kernel/time.h>
#include <kernel/sched.h>
#include <kernel/vfs.h>
#include <kernel/virtio_fs.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <toro/abi/fuse.h>
#include <toro/abi/linux.h>

#include "check.h"

/* --- Test doubles for the kernel ---------------------------------------------------------- */

static uint64_t fake_now = 1000000000ull;
uint64_t time_monotonic_ns(void)
{
	return fake_now;
}
/* A time stamp counter of one tick a nanosecond, from boot (time_ns_to_tsc below). */
uint64_t arch_timestamp(void)
{
	return fake_now;
}
void *toro_malloc(size_t n)
{
	return malloc(n);
}
void *toro_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}
void toro_free(void *p)
{
	free(p);
}
/* Pages as the kernel's allocator gives them: any run of a block may be freed on its own (a
 * page-cache miss reads into a block whose pages the cache then keeps and frees one by one), so
 * each block counts its pages still out and goes back to the heap with the last. */
struct page_block {
	struct page_block *next;
	char *base;
	size_t pages, out;
};
static struct page_block *page_blocks;

void *mm_pages_alloc(size_t n)
{
	struct page_block *b = malloc(sizeof(*b));
	char *base = aligned_alloc(PAGE_SIZE, n * PAGE_SIZE);
	if (!b || !base) {
		free(b);
		free(base);
		return NULL;
	}
	*b = (struct page_block){page_blocks, base, n, n};
	page_blocks = b;
	return base;
}
void *mm_pages_zalloc(size_t n)
{
	void *p = mm_pages_alloc(n);
	return p ? memset(p, 0, n * PAGE_SIZE) : NULL;
}
void mm_pages_free(void *p, size_t n)
{
	for (struct page_block **l = &page_blocks; *l; l = &(*l)->next) {
		struct page_block *b = *l;
		if ((char *)p < b->base ||
		    (char *)p + n * PAGE_SIZE > b->base + b->pages * PAGE_SIZE)
			continue;
		if (n > b->out)
			abort(); /* more pages freed than were out: a double free */
		if ((b->out -= n) == 0) {
			*l = b->next;
			free(b->base);
			free(b);
		}
		return;
	}
	abort(); /* pages this allocator never gave */
}
void mm_get_stats(struct mm_stats *out)
{
	*out = (struct mm_stats){.total_pages = 1u << 20, .free_pages = 1u << 19};
}
void arch_random(void *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)rand();
}
long arch_user_copy(void *dst, const void *src, size_t len)
{
	memcpy(dst, src, len);
	return 0;
}
long arch_user_fill(void *dst, int byte, size_t len)
{
	memset(dst, byte, len);
	return 0;
}
unsigned cpu_count = 1;
struct cpu *cpus[CPU_MAX];
uint64_t time_ns_to_tsc(uint64_t ns)
{
	return ns;
}
void arch_cpu_info(struct arch_cpu_info *out)
{
	*out = (struct arch_cpu_info){.vendor = "TestVendor", .model_name = "test", .flags = "fpu"};
}
void printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
void thread_yield(void)
{
}
void wait_queue_init(struct wait_queue *wq)
{
	(void)wq;
}
int wait_queue_wake_all(struct wait_queue *wq)
{
	(void)wq;
	return 0;
}
int sched_wake(struct thread *t)
{
	(void)t;
	return 0;
}
void sched_prepare_block(int io_wait)
{
	(void)io_wait;
}
void sched_block(void)
{
}
int sched_block_until(uint64_t d)
{
	(void)d;
	return 1;
}

/* --- The fake server: a tree of nodes in memory --------------------------------------------- */

#define MAX_NODES 4096
struct fnode {
	int used;
	uint64_t parent;
	char name[256];
	uint32_t mode;
	uint8_t *data;
	uint64_t size;
	char target[256];
	int64_t nlookup; /* lookups the client holds */
	uint32_t nlink;
};

struct server {
	const char *tag;
	struct fnode nodes[MAX_NODES];
	uint64_t attr_valid; /* seconds, in replies */
	uint64_t requests[64];
	uint64_t forgets;
	int corrupt; /* 1: wrong unique, 2: a length that is not what was written */
};

static struct server servers[2];

static uint64_t node_new(struct server *s, uint64_t parent, const char *name, uint32_t mode)
{
	for (uint64_t i = 2; i < MAX_NODES; i++) {
		if (!s->nodes[i].used) {
			s->nodes[i] =
			    (struct fnode){.used = 1, .parent = parent, .mode = mode, .nlink = 1};
			strcpy(s->nodes[i].name, name);
			return i;
		}
	}
	return 0;
}

static uint64_t node_find(struct server *s, uint64_t dir, const char *name)
{
	for (uint64_t i = 2; i < MAX_NODES; i++)
		if (s->nodes[i].used && s->nodes[i].parent == dir &&
		    !strcmp(s->nodes[i].name, name))
			return i;
	return 0;
}

static void server_init(struct server *s, const char *tag)
{
	memset(s, 0, sizeof(*s));
	s->tag = tag;
	s->nodes[FUSE_ROOT_ID] =
	    (struct fnode){.used = 1, .mode = LINUX_S_IFDIR | 0755, .nlink = 2};
	s->attr_valid = 1;
}

static void attr_of(struct server *s, uint64_t id, struct fuse_attr *a)
{
	struct fnode *n = &s->nodes[id];
	*a = (struct fuse_attr){.ino = id,
	                        .size = n->size,
	                        .mode = n->mode,
	                        .nlink = n->nlink,
	                        .blksize = 4096,
	                        .blocks = (n->size + 511) / 512};
}

static void entry_of(struct server *s, uint64_t id, struct fuse_entry_out *e)
{
	*e = (struct fuse_entry_out){.nodeid = id, .attr_valid = s->attr_valid, .entry_valid = 1};
	attr_of(s, id, &e->attr);
	s->nodes[id].nlookup++;
}

static int has_children(struct server *s, uint64_t dir)
{
	for (uint64_t i = 2; i < MAX_NODES; i++)
		if (s->nodes[i].used && s->nodes[i].parent == dir)
			return 1;
	return 0;
}

/* Handles one request; returns the reply body's length or -errno. */
static long serve(struct server *s, const struct fuse_in_header *h, const uint8_t *body,
                  uint8_t *out, size_t out_max)
{
	uint64_t id = h->nodeid;
	if (h->opcode == FUSE_INIT || h->opcode == FUSE_BATCH_FORGET)
		id = FUSE_ROOT_ID;
	if (id >= MAX_NODES || !s->nodes[id].used)
		return -LINUX_ENOENT;
	struct fnode *n = &s->nodes[id];
	const char *name = (const char *)body;
	switch (h->opcode) {
	case FUSE_INIT: {
		struct fuse_init_out *o = (void *)out;
		*o = (struct fuse_init_out){.major = 7,
		                            .minor = 31,
		                            .max_write = 64 << 10,
		                            .max_readahead = 64 << 10,
		                            .flags = ((const struct fuse_init_in *)body)->flags};
		return sizeof(*o);
	}
	case FUSE_LOOKUP: {
		uint64_t c = node_find(s, id, name);
		if (!c)
			return -LINUX_ENOENT;
		entry_of(s, c, (void *)out);
		return sizeof(struct fuse_entry_out);
	}
	case FUSE_FORGET:
		n->nlookup -= (int64_t)((const struct fuse_forget_in *)body)->nlookup;
		s->forgets++;
		return 0;
	case FUSE_BATCH_FORGET: {
		const struct fuse_batch_forget_in *b = (const void *)body;
		const struct fuse_forget_one *f = (const void *)(b + 1);
		for (uint32_t i = 0; i < b->count; i++)
			s->nodes[f[i].nodeid].nlookup -= (int64_t)f[i].nlookup;
		s->forgets += b->count;
		return 0;
	}
	case FUSE_GETATTR:
	case FUSE_SETATTR: {
		if (h->opcode == FUSE_SETATTR) {
			const struct fuse_setattr_in *in = (const void *)body;
			if (in->valid & FATTR_SIZE) {
				n->data = realloc(n->data, in->size ? in->size : 1);
				if (in->size > n->size)
					memset(n->data + n->size, 0, in->size - n->size);
				n->size = in->size;
			}
			if (in->valid & FATTR_MODE)
				n->mode = (n->mode & LINUX_S_IFMT) | in->mode;
		}
		struct fuse_attr_out *o = (void *)out;
		*o = (struct fuse_attr_out){.attr_valid = s->attr_valid};
		attr_of(s, id, &o->attr);
		return sizeof(*o);
	}
	case FUSE_OPEN:
	case FUSE_OPENDIR: {
		const struct fuse_open_in *in = (const void *)body;
		if (in->flags & LINUX_O_TRUNC)
			n->size = 0;
		*(struct fuse_open_out *)out = (struct fuse_open_out){.fh = id + 1000};
		return sizeof(struct fuse_open_out);
	}
	case FUSE_CREATE: {
		const struct fuse_create_in *in = (const void *)body;
		const char *nm = (const char *)(in + 1);
		if (node_find(s, id, nm))
			return -LINUX_EEXIST;
		uint64_t c = node_new(s, id, nm, in->mode);
		entry_of(s, c, (void *)out);
		*(struct fuse_open_out *)(out + sizeof(struct fuse_entry_out)) =
		    (struct fuse_open_out){.fh = c + 1000};
		return sizeof(struct fuse_entry_out) + sizeof(struct fuse_open_out);
	}
	case FUSE_READ: {
		const struct fuse_read_in *in = (const void *)body;
		if (in->fh != id + 1000)
			return -LINUX_EBADF;
		if (in->offset >= n->size)
			return 0;
		size_t len = n->size - in->offset < in->size ? n->size - in->offset : in->size;
		memcpy(out, n->data + in->offset, len);
		return (long)len;
	}
	case FUSE_WRITE: {
		const struct fuse_write_in *in = (const void *)body;
		if (in->size > (64u << 10))
			return -LINUX_EINVAL; /* more than max_write */
		if (in->offset + in->size > n->size) {
			n->data = realloc(n->data, in->offset + in->size);
			memset(n->data + n->size, 0, in->offset + in->size - n->size);
			n->size = in->offset + in->size;
		}
		memcpy(n->data + in->offset, in + 1, in->size);
		*(struct fuse_write_out *)out = (struct fuse_write_out){.size = in->size};
		return sizeof(struct fuse_write_out);
	}
	case FUSE_FLUSH:
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_FSYNC:
		return 0;
	case FUSE_READDIRPLUS: {
		const struct fuse_read_in *in = (const void *)body;
		size_t at = 0;
		uint64_t i = in->offset;
		for (; i < MAX_NODES; i++) {
			const char *nm;
			uint64_t c;
			if (i == 0 || i == 1) {
				nm = i == 0 ? "." : "..";
				c = 0;
			} else if (s->nodes[i].used && s->nodes[i].parent == id) {
				nm = s->nodes[i].name;
				c = i;
			} else {
				continue;
			}
			size_t rec = FUSE_DIRENT_ALIGN(sizeof(struct fuse_direntplus) + strlen(nm));
			if (at + rec > in->size || at + rec > out_max)
				break;
			struct fuse_direntplus *d = (void *)(out + at);
			memset(d, 0, rec);
			if (c)
				entry_of(s, c, &d->entry_out);
			d->dirent = (struct fuse_dirent){.ino = c ? c : id,
			                                 .off = i + 1,
			                                 .namelen = (uint32_t)strlen(nm),
			                                 .type = 4};
			memcpy(d->dirent.name, nm, strlen(nm));
			at += rec;
		}
		return (long)at;
	}
	case FUSE_MKDIR:
	case FUSE_SYMLINK: {
		const char *nm =
		    h->opcode == FUSE_MKDIR ? name + sizeof(struct fuse_mkdir_in) : name;
		if (node_find(s, id, nm))
			return -LINUX_EEXIST;
		uint64_t c =
		    node_new(s, id, nm,
		             h->opcode == FUSE_MKDIR ? LINUX_S_IFDIR | 0755 : LINUX_S_IFLNK | 0777);
		if (h->opcode == FUSE_SYMLINK)
			strcpy(s->nodes[c].target, nm + strlen(nm) + 1);
		entry_of(s, c, (void *)out);
		return sizeof(struct fuse_entry_out);
	}
	case FUSE_READLINK:
		if ((n->mode & LINUX_S_IFMT) != LINUX_S_IFLNK)
			return -LINUX_EINVAL;
		memcpy(out, n->target, strlen(n->target));
		return (long)strlen(n->target);
	case FUSE_UNLINK:
	case FUSE_RMDIR: {
		uint64_t c = node_find(s, id, name);
		if (!c)
			return -LINUX_ENOENT;
		int dir = (s->nodes[c].mode & LINUX_S_IFMT) == LINUX_S_IFDIR;
		if (h->opcode == FUSE_RMDIR && !dir)
			return -LINUX_ENOTDIR;
		if (h->opcode == FUSE_UNLINK && dir)
			return -LINUX_EISDIR;
		if (dir && has_children(s, c))
			return -LINUX_ENOTEMPTY;
		s->nodes[c].parent = 0; /* unlinked; the node lives on while looked up */
		s->nodes[c].name[0] = 0;
		return 0;
	}
	case FUSE_RENAME2: {
		const struct fuse_rename2_in *in = (const void *)body;
		const char *from = (const char *)(in + 1), *to = from + strlen(from) + 1;
		uint64_t c = node_find(s, id, from);
		if (!c)
			return -LINUX_ENOENT;
		uint64_t old = node_find(s, in->newdir, to);
		if (old && (in->flags & LINUX_RENAME_NOREPLACE))
			return -LINUX_EEXIST;
		if (old)
			s->nodes[old].parent = 0;
		s->nodes[c].parent = in->newdir;
		strcpy(s->nodes[c].name, to);
		return 0;
	}
	case FUSE_LINK: {
		const struct fuse_link_in *in = (const void *)body;
		const char *nm = (const char *)(in + 1);
		uint64_t c = node_new(s, id, nm, s->nodes[in->oldnodeid].mode);
		s->nodes[c] = s->nodes[in->oldnodeid]; /* a copy stands for the second name */
		s->nodes[c].parent = id;
		strcpy(s->nodes[c].name, nm);
		s->nodes[c].nlookup = 0;
		entry_of(s, c, (void *)out);
		return sizeof(struct fuse_entry_out);
	}
	case FUSE_STATFS: {
		struct fuse_statfs_out *o = (void *)out;
		*o = (struct fuse_statfs_out){
		    .st = {.blocks = 100, .bfree = 50, .bsize = 4096, .namelen = 255}};
		return sizeof(*o);
	}
	default:
		return -LINUX_ENOSYS;
	}
}

/* --- The fake transport ------------------------------------------------------------------- */

struct virtio_fs {
	struct server *s;
};
static struct virtio_fs fake_devices[2] = {{&servers[0]}, {&servers[1]}};

struct virtio_fs *virtio_fs_find(const char *tag)
{
	for (int i = 0; i < 2; i++)
		if (!strcmp(servers[i].tag, tag))
			return &fake_devices[i];
	return NULL;
}

long virtio_fs_request(struct virtio_fs *fs, const struct virtio_fs_buf *bufs, unsigned n_out,
                       unsigned n_in, int hiprio)
{
	static uint8_t req[1 << 20], rep[1 << 20];
	size_t len = 0;
	for (unsigned i = 0; i < n_out; i++) {
		memcpy(req + len, bufs[i].addr, bufs[i].len);
		len += bufs[i].len;
	}
	const struct fuse_in_header *h = (const void *)req;
	CHECK(h->len == len);
	CHECK(hiprio == (h->opcode == FUSE_FORGET || h->opcode == FUSE_BATCH_FORGET));
	struct server *s = fs->s;
	if (h->opcode < 64)
		s->requests[h->opcode]++;
	size_t room = 0;
	for (unsigned i = n_out; i < n_out + n_in; i++)
		room += bufs[i].len;
	long r = serve(s, h, req + sizeof(*h), rep + sizeof(struct fuse_out_header),
	               room > sizeof(struct fuse_out_header) ? room - sizeof(struct fuse_out_header)
	                                                     : 0);
	if (n_in == 0)
		return 0;
	struct fuse_out_header *o = (void *)rep;
	*o = (struct fuse_out_header){.len = (uint32_t)(sizeof(*o) + (r > 0 ? r : 0)),
	                              .error = r < 0 ? (int32_t)r : 0,
	                              .unique = h->unique};
	if (s->corrupt == 1)
		o->unique++;
	size_t total = o->len;
	if (s->corrupt == 2)
		o->len += 8;
	CHECK(total <= room);
	size_t at = 0;
	for (unsigned i = n_out; i < n_out + n_in && at < total; i++) {
		size_t n = total - at < bufs[i].len ? total - at : bufs[i].len;
		memcpy(bufs[i].addr, rep + at, n);
		at += n;
	}
	return (long)total;
}

/* --- Tests -------------------------------------------------------------------------------- */

static struct file *open_ok(const char *path, unsigned flags)
{
	struct file *f = NULL;
	int r = vfs_open(NULL, path, flags, 0644, &f);
	if (r)
		fprintf(stderr, "open %s: %d\n", path, r);
	CHECK(r == 0);
	return f;
}

static long rw(struct file *f, void *buf, size_t len, int write)
{
	struct file_iovec iov = {buf, len};
	return write ? file_write(f, &iov, 1) : file_read(f, &iov, 1);
}

static void test_write_read(void)
{
	enum { BIG = 300 * 1024 };
	uint8_t *data = malloc(BIG), *back = malloc(BIG);
	for (int i = 0; i < BIG; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	struct file *f = open_ok("/big", LINUX_O_CREAT | LINUX_O_RDWR | LINUX_O_EXCL);
	uint64_t writes = servers[0].requests[FUSE_WRITE];
	CHECK(rw(f, data, BIG, 1) == BIG);
	/* 300 KiB in requests of at most the server's max_write, 64 KiB. */
	CHECK(servers[0].requests[FUSE_WRITE] - writes == 5);
	CHECK(file_lseek(f, 0, LINUX_SEEK_SET) == 0);
	CHECK(rw(f, back, BIG, 0) == BIG && !memcmp(data, back, BIG));
	CHECK(rw(f, back, 10, 0) == 0);
	file_put(f);

	struct file_stat st;
	CHECK(vfs_stat(NULL, "/big", 0, &st) == 0 && st.size == BIG &&
	      (st.mode & LINUX_S_IFMT) == LINUX_S_IFREG);
	f = open_ok("/big", LINUX_O_WRONLY | LINUX_O_APPEND);
	CHECK(rw(f, "tail", 4, 1) == 4);
	file_put(f);
	CHECK(vfs_stat(NULL, "/big", 0, &st) == 0 && st.size == BIG + 4);
	CHECK(vfs_truncate(NULL, "/big", 10) == 0);
	CHECK(vfs_stat(NULL, "/big", 0, &st) == 0 && st.size == 10);
	f = open_ok("/big", LINUX_O_RDWR | LINUX_O_TRUNC);
	CHECK(vfs_file_stat(f, &st) == 0 && st.size == 0);
	file_put(f);
	struct file *g;
	CHECK(vfs_open(NULL, "/big", LINUX_O_CREAT | LINUX_O_EXCL | LINUX_O_RDWR, 0644, &g) ==
	      -LINUX_EEXIST);
	/* A created file knows its own path: relative to it, nothing is found (it is no directory).
	 */
	f = open_ok("/fresh", LINUX_O_CREAT | LINUX_O_RDWR);
	CHECK(f && !strcmp(vfs_file_path(f), "/fresh"));
	CHECK(vfs_open(vfs_file_path(f), "big", LINUX_O_RDONLY, 0, &g) == -LINUX_ENOTDIR);
	file_put(f);
	free(data);
	free(back);
}

static int count_emit(void *ctx, uint64_t ino, unsigned type, const char *name, size_t len)
{
	(void)ino;
	(void)type;
	(void)name;
	(void)len;
	++*(int *)ctx;
	return 0;
}

static void test_dirs(void)
{
	CHECK(vfs_mkdir(NULL, "/d", 0755) == 0);
	CHECK(vfs_mkdir(NULL, "/d", 0755) == -LINUX_EEXIST);
	char name[64];
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "/d/entry-%04d", i);
		struct file *f = open_ok(name, LINUX_O_CREAT | LINUX_O_WRONLY);
		file_put(f);
	}
	struct file *d = open_ok("/d", LINUX_O_RDONLY | LINUX_O_DIRECTORY);
	int n = 0;
	long r;
	while ((r = vfs_readdir(d, count_emit, &n)) > 0)
		;
	CHECK(r == 0 && n == 1002); /* with "." and ".." */
	file_put(d);
	CHECK(vfs_rmdir(NULL, "/d") == -LINUX_ENOTEMPTY);
	CHECK(vfs_unlink(NULL, "/d") == -LINUX_EISDIR);
	CHECK(vfs_rmdir(NULL, "/d/entry-0000") == -LINUX_ENOTDIR);
	CHECK(vfs_rename(NULL, "/d/entry-0001", NULL, "/renamed", 0) == 0);
	struct file_stat st;
	CHECK(vfs_stat(NULL, "/renamed", 0, &st) == 0);
	CHECK(vfs_stat(NULL, "/d/entry-0001", 0, &st) == -LINUX_ENOENT);
	CHECK(vfs_rename(NULL, "/renamed", NULL, "/d/entry-0002", LINUX_RENAME_NOREPLACE) ==
	      -LINUX_EEXIST);
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "d/entry-%04d", i);
		int u = vfs_unlink("/", name);
		CHECK(u == (i == 1 ? -LINUX_ENOENT : 0));
	}
	CHECK(vfs_rmdir(NULL, "/d") == 0);
	CHECK(vfs_stat(NULL, "/d", 0, &st) == -LINUX_ENOENT);
	CHECK(vfs_open(NULL, "/renamed/x", LINUX_O_RDONLY, 0, &d) == -LINUX_ENOTDIR);
	CHECK(vfs_open(NULL, "/renamed/", LINUX_O_RDONLY, 0, &d) == -LINUX_ENOTDIR);
	CHECK(vfs_link(NULL, "/renamed", NULL, "/hard", 0) == 0);
	CHECK(vfs_stat(NULL, "/hard", 0, &st) == 0);
}

static void test_walk(void)
{
	char cwd[VFS_PATH_MAX];
	CHECK(vfs_mkdir(NULL, "/a", 0755) == 0 && vfs_mkdir(NULL, "/a/b", 0755) == 0);
	CHECK(vfs_chdir(NULL, "/a/b") == 0);
	CHECK(vfs_getcwd(cwd, sizeof(cwd)) == 5 && !strcmp(cwd, "/a/b"));
	CHECK(vfs_chdir(NULL, "../../../..") == 0 && vfs_getcwd(cwd, sizeof(cwd)) > 0 &&
	      !strcmp(cwd, "/"));
	CHECK(vfs_getcwd(cwd, 1) == -LINUX_ERANGE);
	/* The read-only share at /mnt/ro: ".." at its root is /mnt, a directory the kernel makes
	 * (share0 has none), and ".." of that is share0's root. */
	CHECK(vfs_chdir(NULL, "/mnt/ro/sub/../..") == 0 && vfs_getcwd(cwd, sizeof(cwd)) > 0 &&
	      !strcmp(cwd, "/mnt"));
	struct file_stat st;
	CHECK(vfs_stat(NULL, "ro/../../a/b", 0, &st) == 0 &&
	      (st.mode & LINUX_S_IFMT) == LINUX_S_IFDIR);
	vfs_chdir(NULL, "/");

	/* Symbolic links: followed in the guest, relative to their directory; absolute ones from
	 * the guest's "/", so one planted in the read-only share pointing at "/etc" or climbing out
	 * with "../../.." lands in share0, never on the host. */
	CHECK(vfs_symlink("b", NULL, "/a/lb") == 0);
	CHECK(vfs_stat(NULL, "/a/lb", 0, &st) == 0 && (st.mode & LINUX_S_IFMT) == LINUX_S_IFDIR);
	CHECK(vfs_stat(NULL, "/a/lb", VFS_NOFOLLOW, &st) == 0 &&
	      (st.mode & LINUX_S_IFMT) == LINUX_S_IFLNK);
	char target[64];
	CHECK(vfs_readlink(NULL, "/a/lb", target, sizeof(target)) == 1 && target[0] == 'b');
	CHECK(vfs_symlink("loop2", NULL, "/loop1") == 0 &&
	      vfs_symlink("loop1", NULL, "/loop2") == 0);
	CHECK(vfs_stat(NULL, "/loop1", 0, &st) == -LINUX_ELOOP);
	struct file *f;
	CHECK(vfs_open(NULL, "/a/lb", LINUX_O_RDONLY | LINUX_O_NOFOLLOW, 0, &f) == -LINUX_ELOOP);
	uint64_t esc = node_new(&servers[1], FUSE_ROOT_ID, "escape", LINUX_S_IFLNK | 0777);
	strcpy(servers[1].nodes[esc].target, "../../../../../a");
	CHECK(vfs_stat(NULL, "/mnt/ro/escape/b", 0, &st) == 0);
	CHECK(vfs_open(NULL, "/mnt/ro/../../../../etc/passwd", LINUX_O_RDONLY, 0, &f) ==
	      -LINUX_ENOENT);
	/* Forty links in a row are followed; the forty-first is -ELOOP. */
	char name[32], next[32];
	for (int i = 0; i < 41; i++) {
		snprintf(name, sizeof(name), "/chain%d", i);
		snprintf(next, sizeof(next), i == 40 ? "a" : "chain%d", i + 1);
		CHECK(vfs_symlink(next, NULL, name) == 0);
	}
	CHECK(vfs_stat(NULL, "/chain1", 0, &st) == 0);
	CHECK(vfs_stat(NULL, "/chain0", 0, &st) == -LINUX_ELOOP);
	/* Kernel nodes win over the share, and "/dev" is listed with them. */
	CHECK(vfs_stat(NULL, "/dev/null", 0, &st) == 0 &&
	      (st.mode & LINUX_S_IFMT) == LINUX_S_IFCHR);
}

static void test_readonly_and_cache(void)
{
	struct server *s = &servers[1];
	uint64_t id = node_new(s, FUSE_ROOT_ID, "data", LINUX_S_IFREG | 0644);
	s->nodes[id].size = 200000;
	s->nodes[id].data = malloc(200000);
	for (int i = 0; i < 200000; i++)
		s->nodes[id].data[i] = (uint8_t)(i ^ (i >> 8));
	uint8_t *buf = malloc(200000);
	struct file *f = open_ok("/mnt/ro/data", LINUX_O_RDONLY);
	uint64_t reads = s->requests[FUSE_READ];
	CHECK(rw(f, buf, 200000, 0) == 200000 && !memcmp(buf, s->nodes[id].data, 200000));
	uint64_t first = s->requests[FUSE_READ] - reads;
	CHECK(first == 4); /* 64 KiB a request */
	file_put(f);
	f = open_ok("/mnt/ro/data", LINUX_O_RDONLY);
	memset(buf, 0, 200000);
	CHECK(rw(f, buf, 200000, 0) == 200000 && !memcmp(buf, s->nodes[id].data, 200000));
	CHECK(s->requests[FUSE_READ] - reads == first); /* the second read: all from memory */
	CHECK(vfs_fuse_requests("/mnt/ro/data", FUSE_READ) == (long)s->requests[FUSE_READ]);
	file_put(f);
	/* Changed on the host (size): seen once the attributes time out, and the pages dropped. */
	s->nodes[id].size = 100;
	fake_now += 2000000000ull;
	f = open_ok("/mnt/ro/data", LINUX_O_RDONLY);
	CHECK(rw(f, buf, 200000, 0) == 100);
	/* An open file trusts the size until the attributes time out, then asks again. */
	s->nodes[id].size = 50;
	CHECK(vfs_file_pread(f, &(struct file_iovec){buf, 200000}, 1, 0) == 100);
	fake_now += 2000000000ull;
	CHECK(vfs_file_pread(f, &(struct file_iovec){buf, 200000}, 1, 0) == 50);
	CHECK(vfs_file_pread(f, &(struct file_iovec){buf, 8}, 1, 50) == 0);
	CHECK(rw(f, buf, 200000, 0) == 0); /* at 100, past the end */
	file_put(f);

	CHECK(vfs_open(NULL, "/mnt/ro/data", LINUX_O_RDWR, 0, &f) == -LINUX_EROFS);
	CHECK(vfs_open(NULL, "/mnt/ro/new", LINUX_O_CREAT | LINUX_O_WRONLY, 0644, &f) ==
	      -LINUX_EROFS);
	CHECK(vfs_mkdir(NULL, "/mnt/ro/dir", 0755) == -LINUX_EROFS);
	CHECK(vfs_unlink(NULL, "/mnt/ro/data") == -LINUX_EROFS);
	CHECK(vfs_truncate(NULL, "/mnt/ro/data", 0) == -LINUX_EROFS);
	CHECK(vfs_rename(NULL, "/renamed", NULL, "/mnt/ro/x", 0) == -LINUX_EROFS);
	CHECK(vfs_rmdir(NULL, "/mnt/ro") == -LINUX_EBUSY);
	CHECK(vfs_access(NULL, "/mnt/ro/data", 0, LINUX_W_OK) == -LINUX_EROFS);
	CHECK(vfs_access(NULL, "/mnt/ro/data", 0, LINUX_R_OK) == 0);
	struct vfs_statfs sf;
	CHECK(vfs_statfs(NULL, "/mnt/ro", &sf) == 0 && sf.readonly && sf.blocks == 100);
	free(buf);
}

static void test_exdev(void)
{
	servers[1].nodes[FUSE_ROOT_ID].mode = LINUX_S_IFDIR | 0755;
	CHECK(vfs_link(NULL, "/mnt/ro/data", NULL, "/xlink", 0) == -LINUX_EXDEV);
}

/* Nodes beyond the cache's bound are forgotten: the server's counts stay bounded and every
 * lookup it counted is either held by the client or given back. */
static void test_forget(void)
{
	struct server *s = &servers[0];
	CHECK(vfs_mkdir(NULL, "/many", 0755) == 0);
	char name[64];
	for (int i = 0; i < 700; i++) {
		snprintf(name, sizeof(name), "/many/f%d", i);
		struct file *f = open_ok(name, LINUX_O_CREAT | LINUX_O_WRONLY);
		file_put(f);
	}
	struct file_stat st;
	uint64_t forgets = s->forgets;
	for (int i = 0; i < 700; i++) {
		snprintf(name, sizeof(name), "/many/f%d", i);
		CHECK(vfs_stat(NULL, name, 0, &st) == 0);
	}
	CHECK(s->forgets > forgets);
	/* A node the client keeps may carry many lookups (one per LOOKUP reply, all given back
	 * at once when it is evicted); what is bounded is how many nodes it keeps. */
	int64_t held = 0;
	int negative = 0;
	for (int i = 2; i < MAX_NODES; i++) {
		held += s->nodes[i].nlookup > 0;
		negative |= s->nodes[i].nlookup < 0;
	}
	CHECK(!negative);
	CHECK(held <= 512 + 4); /* the cache's bound, and the few nodes still referenced */
}

/* Entry timeouts: a name is looked up once while its entry is valid (1 s from this server), and
 * a name removed on the host stays visible until then, as on Linux. */
static void test_entry_timeout(void)
{
	struct server *s = &servers[0];
	struct file_stat st;
	struct file *f = open_ok("/cached", LINUX_O_CREAT | LINUX_O_WRONLY);
	file_put(f);
	fake_now += 5000000000ull;
	CHECK(vfs_stat(NULL, "/cached", 0, &st) == 0);
	uint64_t lookups = s->requests[FUSE_LOOKUP];
	for (int i = 0; i < 10; i++)
		CHECK(vfs_stat(NULL, "/cached", 0, &st) == 0);
	CHECK(s->requests[FUSE_LOOKUP] == lookups);
	uint64_t id = node_find(s, FUSE_ROOT_ID, "cached");
	s->nodes[id].parent = 0; /* removed on the host */
	CHECK(vfs_stat(NULL, "/cached", 0, &st) == 0);
	fake_now += 1500000000ull;
	CHECK(vfs_stat(NULL, "/cached", 0, &st) == -LINUX_ENOENT);
	/* Removed by the guest: gone at once. */
	f = open_ok("/cached2", LINUX_O_CREAT | LINUX_O_WRONLY);
	file_put(f);
	CHECK(vfs_stat(NULL, "/cached2", 0, &st) == 0 && vfs_unlink(NULL, "/cached2") == 0);
	CHECK(vfs_stat(NULL, "/cached2", 0, &st) == -LINUX_ENOENT);
	CHECK(vfs_stat(NULL, "/renamed", 0, &st) == 0 &&
	      vfs_rename(NULL, "/renamed", NULL, "/renamed2", 0) == 0);
	CHECK(vfs_stat(NULL, "/renamed", 0, &st) == -LINUX_ENOENT);
	CHECK(vfs_rename(NULL, "/renamed2", NULL, "/renamed", 0) == 0);
}

static void test_bad_replies(void)
{
	struct file_stat st;
	fake_now += 5000000000ull; /* no cached attributes */
	servers[0].corrupt = 1;
	CHECK(vfs_stat(NULL, "/renamed", 0, &st) == -LINUX_EIO);
	servers[0].corrupt = 2;
	CHECK(vfs_stat(NULL, "/renamed", 0, &st) == -LINUX_EIO);
	servers[0].corrupt = 0;
	CHECK(vfs_stat(NULL, "/renamed", 0, &st) == 0);
}

/* Names a listing gave, one emit accepted per call when one_each is set (so the listing resumes
 * across calls, as getdents64 with a small buffer does). */
struct names {
	char all[1024];
	int one_each, taken;
};

static int names_emit(void *ctx, uint64_t ino, unsigned type, const char *name, size_t len)
{
	struct names *n = ctx;
	(void)ino;
	(void)type;
	if (n->one_each && n->taken)
		return 1;
	n->taken = 1;
	size_t at = strlen(n->all);
	snprintf(n->all + at, sizeof(n->all) - at, "%.*s ", (int)len, name);
	return 0;
}

static void list_names(const char *path, int one_each, struct names *out)
{
	*out = (struct names){.one_each = one_each};
	struct file *d = open_ok(path, LINUX_O_RDONLY | LINUX_O_DIRECTORY);
	long r;
	do {
		out->taken = 0;
		r = vfs_readdir(d, names_emit, out);
	} while (r > 0);
	CHECK(r == 0);
	file_put(d);
}

/* How often " name " occurs in a listing (names are space-separated, with one in front). */
static int listed(const struct names *n, const char *name)
{
	char all[1100], want[300];
	snprintf(all, sizeof(all), " %s", n->all);
	snprintf(want, sizeof(want), " %s ", name);
	int count = 0;
	for (const char *p = all; (p = strstr(p, want)); p++)
		count++;
	return count;
}

/* A share's directory lists the kernel's entries beneath it that it lacks: /dev, /proc and the
 * mount points (/mnt for /mnt/ro, x for the mount that failed), once each, also when it has one
 * of those names itself, and across calls that take one entry each; rewinding lists them again. */
static void test_kernel_entries_listed(void)
{
	struct names n;
	for (int one_each = 0; one_each < 2; one_each++) {
		list_names("/", one_each, &n);
		CHECK(listed(&n, "dev") == 1 && listed(&n, "proc") == 1 && listed(&n, "mnt") == 1);
		CHECK(listed(&n, "x") == 1 && listed(&n, ".") == 1 && listed(&n, "..") == 1);
	}
	node_new(&servers[0], FUSE_ROOT_ID, "mnt", LINUX_S_IFDIR | 0755);
	for (int one_each = 0; one_each < 2; one_each++) {
		list_names("/", one_each, &n);
		CHECK(listed(&n, "mnt") == 1 && listed(&n, "dev") == 1);
		list_names("/mnt", one_each, &n);
		CHECK(listed(&n, "ro") == 1);
	}
	list_names("/proc", 0, &n);
	CHECK(listed(&n, "self") == 1 && listed(&n, "meminfo") == 1 && listed(&n, "cpuinfo") == 1);
	list_names("/proc/self", 0, &n);
	CHECK(listed(&n, "exe") == 1 && listed(&n, "fd") == 1);
	/* A native image has no descriptors: /proc/self/fd is empty but for its dots. */
	list_names("/proc/self/fd", 0, &n);
	CHECK(!strcmp(n.all, ". .. "));
	char target[64] = {0};
	CHECK(vfs_readlink(NULL, "/proc/self/exe", target, sizeof(target)) == 4 &&
	      !memcmp(target, "/app", 4));
	struct file_stat st;
	CHECK(vfs_stat(NULL, "/proc/self/exe", VFS_NOFOLLOW, &st) == 0 &&
	      (st.mode & LINUX_S_IFMT) == LINUX_S_IFLNK);
	CHECK(vfs_stat(NULL, "/proc/self/exe", 0, &st) == -LINUX_ENOENT);
	static struct cpu cpu0 = {.online = 1};
	cpus[0] = &cpu0;
	struct file *f;
	CHECK(vfs_open(NULL, "/proc/meminfo", LINUX_O_WRONLY, 0, &f) == -LINUX_EACCES);
	f = open_ok("/proc/cpuinfo", LINUX_O_RDONLY);
	char text[512] = {0};
	struct file_iovec iov = {text, sizeof(text) - 1};
	CHECK(file_read(f, &iov, 1) > 0 &&
	      !strncmp(text, "processor\t: 0\nvendor_id\t: TestVendor", 34));
	file_put(f);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	server_init(&servers[0], "share0");
	server_init(&servers[1], "share1");
	node_new(&servers[1], FUSE_ROOT_ID, "sub", LINUX_S_IFDIR | 0755);
	static char opt[] =
	    "toro.mounts=share0:/:rw,share1:/mnt/ro:ro,nosuch:/x:rw,bad,share0:/y/../z:rw";
	static char *opts[] = {opt};
	cmdline_options = opts;
	cmdline_option_count = 1;

	test_write_read();
	test_dirs();
	test_walk();
	test_readonly_and_cache();
	test_exdev();
	test_forget();
	test_entry_timeout();
	test_bad_replies();
	test_kernel_entries_listed();
	CHECK(servers[0].requests[FUSE_INIT] == 1 && servers[1].requests[FUSE_INIT] == 1);
	return check_summary("fuse_client");
}
