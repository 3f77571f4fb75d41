/* The FUSE wire protocol (version 7.31) as the kernel's virtio-fs client speaks it and the
 * monitor's FUSE server answers it: message headers, the opcodes used, and the request and reply
 * bodies of those opcodes, with the layouts Linux's UAPI gives them. Self-contained; sizes checked.
 * Every message is a fuse_in_header, then the opcode's body (and names, NUL-terminated); a reply
 * is a fuse_out_header, then the opcode's reply body unless error is set (a negative errno). */
#ifndef TORO_ABI_FUSE_H
#define TORO_ABI_FUSE_H

#include <stdint.h>

#define FUSE_KERNEL_VERSION       7
#define FUSE_KERNEL_MINOR_VERSION 31

#define FUSE_ROOT_ID 1 /* the nodeid of a share's root, known without a LOOKUP */

/* Opcodes. */
#define FUSE_LOOKUP       1
#define FUSE_FORGET       2 /* no reply */
#define FUSE_GETATTR      3
#define FUSE_SETATTR      4
#define FUSE_READLINK     5
#define FUSE_SYMLINK      6
#define FUSE_MKNOD        8
#define FUSE_MKDIR        9
#define FUSE_UNLINK       10
#define FUSE_RMDIR        11
#define FUSE_RENAME       12
#define FUSE_LINK         13
#define FUSE_OPEN         14
#define FUSE_READ         15
#define FUSE_WRITE        16
#define FUSE_STATFS       17
#define FUSE_RELEASE      18
#define FUSE_FSYNC        20
#define FUSE_FLUSH        25
#define FUSE_INIT         26
#define FUSE_OPENDIR      27
#define FUSE_READDIR      28
#define FUSE_RELEASEDIR   29
#define FUSE_ACCESS       34
#define FUSE_CREATE       35
#define FUSE_DESTROY      38
#define FUSE_BATCH_FORGET 42 /* no reply */
#define FUSE_READDIRPLUS  44
#define FUSE_RENAME2      45

/* INIT flags the client may offer. */
#define FUSE_ASYNC_READ     (1u << 0)
#define FUSE_ATOMIC_O_TRUNC (1u << 3)
#define FUSE_BIG_WRITES     (1u << 5)
#define FUSE_DO_READDIRPLUS (1u << 13)
#define FUSE_MAX_PAGES      (1u << 22)

/* SETATTR valid bits. */
#define FATTR_MODE      (1u << 0)
#define FATTR_SIZE      (1u << 3)
#define FATTR_ATIME     (1u << 4)
#define FATTR_MTIME     (1u << 5)
#define FATTR_FH        (1u << 6)
#define FATTR_ATIME_NOW (1u << 7)
#define FATTR_MTIME_NOW (1u << 8)

/* OPEN reply flags. */
#define FOPEN_DIRECT_IO  (1u << 0)
#define FOPEN_KEEP_CACHE (1u << 1)

/* FSYNC flags: only the data (fdatasync). */
#define FUSE_FSYNC_FDATASYNC (1u << 0)

/* GETATTR flags: fh is valid. */
#define FUSE_GETATTR_FH (1u << 0)

struct fuse_in_header {
	uint32_t len; /* the whole request, header included */
	uint32_t opcode;
	uint64_t unique; /* echoed in the reply; 0 is never used */
	uint64_t nodeid;
	uint32_t uid;
	uint32_t gid;
	uint32_t pid;
	uint16_t total_extlen;
	uint16_t padding;
};

struct fuse_out_header {
	uint32_t len;  /* the whole reply, header included */
	int32_t error; /* 0 or -errno */
	uint64_t unique;
};

struct fuse_attr {
	uint64_t ino;
	uint64_t size;
	uint64_t blocks;
	uint64_t atime;
	uint64_t mtime;
	uint64_t ctime;
	uint32_t atimensec;
	uint32_t mtimensec;
	uint32_t ctimensec;
	uint32_t mode;
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint32_t rdev;
	uint32_t blksize;
	uint32_t flags;
};

struct fuse_kstatfs {
	uint64_t blocks;
	uint64_t bfree;
	uint64_t bavail;
	uint64_t files;
	uint64_t ffree;
	uint32_t bsize;
	uint32_t namelen;
	uint32_t frsize;
	uint32_t padding;
	uint32_t spare[6];
};

/* Timeouts are seconds plus nanoseconds from the moment the reply arrives. */
struct fuse_entry_out {
	uint64_t nodeid;
	uint64_t generation;
	uint64_t entry_valid;
	uint64_t attr_valid;
	uint32_t entry_valid_nsec;
	uint32_t attr_valid_nsec;
	struct fuse_attr attr;
};

struct fuse_forget_in {
	uint64_t nlookup;
};

struct fuse_forget_one {
	uint64_t nodeid;
	uint64_t nlookup;
};

/* Followed by count fuse_forget_one. */
struct fuse_batch_forget_in {
	uint32_t count;
	uint32_t dummy;
};

struct fuse_getattr_in {
	uint32_t getattr_flags;
	uint32_t dummy;
	uint64_t fh;
};

struct fuse_attr_out {
	uint64_t attr_valid;
	uint32_t attr_valid_nsec;
	uint32_t dummy;
	struct fuse_attr attr;
};

/* Followed by the name. */
struct fuse_mkdir_in {
	uint32_t mode;
	uint32_t umask;
};

/* Followed by the old name and the new name. */
struct fuse_rename2_in {
	uint64_t newdir;
	uint32_t flags; /* RENAME_NOREPLACE, RENAME_EXCHANGE as renameat2 takes them */
	uint32_t padding;
};

/* Followed by the new name. */
struct fuse_link_in {
	uint64_t oldnodeid;
};

struct fuse_setattr_in {
	uint32_t valid; /* FATTR_* */
	uint32_t padding;
	uint64_t fh;
	uint64_t size;
	uint64_t lock_owner;
	uint64_t atime;
	uint64_t mtime;
	uint64_t ctime;
	uint32_t atimensec;
	uint32_t mtimensec;
	uint32_t ctimensec;
	uint32_t mode;
	uint32_t unused4;
	uint32_t uid;
	uint32_t gid;
	uint32_t unused5;
};

struct fuse_open_in {
	uint32_t flags; /* O_* as open takes them, without O_CREAT/O_EXCL/O_NOCTTY */
	uint32_t open_flags;
};

/* Followed by the name. */
struct fuse_create_in {
	uint32_t flags;
	uint32_t mode;
	uint32_t umask;
	uint32_t open_flags;
};

struct fuse_open_out {
	uint64_t fh;
	uint32_t open_flags; /* FOPEN_* */
	uint32_t padding;
};

struct fuse_release_in {
	uint64_t fh;
	uint32_t flags;
	uint32_t release_flags;
	uint64_t lock_owner;
};

struct fuse_flush_in {
	uint64_t fh;
	uint32_t unused;
	uint32_t padding;
	uint64_t lock_owner;
};

/* Also the body of READDIR and READDIRPLUS (offset: the last entry's off, 0 at first). */
struct fuse_read_in {
	uint64_t fh;
	uint64_t offset;
	uint32_t size;
	uint32_t read_flags;
	uint64_t lock_owner;
	uint32_t flags;
	uint32_t padding;
};

/* Followed by size bytes of data. */
struct fuse_write_in {
	uint64_t fh;
	uint64_t offset;
	uint32_t size;
	uint32_t write_flags;
	uint64_t lock_owner;
	uint32_t flags;
	uint32_t padding;
};

struct fuse_write_out {
	uint32_t size;
	uint32_t padding;
};

struct fuse_statfs_out {
	struct fuse_kstatfs st;
};

struct fuse_fsync_in {
	uint64_t fh;
	uint32_t fsync_flags;
	uint32_t padding;
};

/* 7.31's INIT request is the first 16 bytes; the client sends the 64-byte form of later minors
 * with the rest zero, which servers of either kind accept. */
struct fuse_init_in {
	uint32_t major;
	uint32_t minor;
	uint32_t max_readahead;
	uint32_t flags;
	uint32_t flags2;
	uint32_t unused[11];
};

/* A server of minor 23 or later replies with all of it; an older one with the first 24 bytes. */
struct fuse_init_out {
	uint32_t major;
	uint32_t minor;
	uint32_t max_readahead;
	uint32_t flags;
	uint16_t max_background;
	uint16_t congestion_threshold;
	uint32_t max_write;
	uint32_t time_gran;
	uint16_t max_pages;
	uint16_t map_alignment;
	uint32_t flags2;
	uint32_t unused[7];
};
#define FUSE_COMPAT_22_INIT_OUT_SIZE 24

/* A directory entry in a READDIR reply: the name follows, records are 8-byte aligned. off is the
 * offset to ask for to continue after this entry. type is the DT_* of mode >> 12. */
struct fuse_dirent {
	uint64_t ino;
	uint64_t off;
	uint32_t namelen;
	uint32_t type;
	char name[];
};

/* READDIRPLUS: each entry with its LOOKUP result (nodeid 0: no lookup was made, nothing to
 * forget). */
struct fuse_direntplus {
	struct fuse_entry_out entry_out;
	struct fuse_dirent dirent;
};

#define FUSE_DIRENT_ALIGN(x) (((x) + 7) & ~(uint64_t)7)

_Static_assert(sizeof(struct fuse_in_header) == 40, "fuse_in_header layout");
_Static_assert(sizeof(struct fuse_out_header) == 16, "fuse_out_header layout");
_Static_assert(sizeof(struct fuse_attr) == 88, "fuse_attr layout");
_Static_assert(sizeof(struct fuse_kstatfs) == 80, "fuse_kstatfs layout");
_Static_assert(sizeof(struct fuse_entry_out) == 128, "fuse_entry_out layout");
_Static_assert(sizeof(struct fuse_forget_one) == 16, "fuse_forget_one layout");
_Static_assert(sizeof(struct fuse_batch_forget_in) == 8, "fuse_batch_forget_in layout");
_Static_assert(sizeof(struct fuse_getattr_in) == 16, "fuse_getattr_in layout");
_Static_assert(sizeof(struct fuse_attr_out) == 104, "fuse_attr_out layout");
_Static_assert(sizeof(struct fuse_mkdir_in) == 8, "fuse_mkdir_in layout");
_Static_assert(sizeof(struct fuse_rename2_in) == 16, "fuse_rename2_in layout");
_Static_assert(sizeof(struct fuse_link_in) == 8, "fuse_link_in layout");
_Static_assert(sizeof(struct fuse_setattr_in) == 88, "fuse_setattr_in layout");
_Static_assert(sizeof(struct fuse_open_in) == 8, "fuse_open_in layout");
_Static_assert(sizeof(struct fuse_create_in) == 16, "fuse_create_in layout");
_Static_assert(sizeof(struct fuse_open_out) == 16, "fuse_open_out layout");
_Static_assert(sizeof(struct fuse_release_in) == 24, "fuse_release_in layout");
_Static_assert(sizeof(struct fuse_flush_in) == 24, "fuse_flush_in layout");
_Static_assert(sizeof(struct fuse_read_in) == 40, "fuse_read_in layout");
_Static_assert(sizeof(struct fuse_write_in) == 40, "fuse_write_in layout");
_Static_assert(sizeof(struct fuse_write_out) == 8, "fuse_write_out layout");
_Static_assert(sizeof(struct fuse_statfs_out) == 80, "fuse_statfs_out layout");
_Static_assert(sizeof(struct fuse_fsync_in) == 16, "fuse_fsync_in layout");
_Static_assert(sizeof(struct fuse_init_in) == 64, "fuse_init_in layout");
_Static_assert(sizeof(struct fuse_init_out) == 64, "fuse_init_out layout");
_Static_assert(sizeof(struct fuse_dirent) == 24, "fuse_dirent layout");
_Static_assert(sizeof(struct fuse_direntplus) == 152, "fuse_direntplus layout");

#endif
