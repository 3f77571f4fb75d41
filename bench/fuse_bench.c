/* The FUSE server's own cost (vmm/backend/fuse.c), on the host, without a guest: a 64 MiB file
 * read sequentially with 128 KiB READs (MiB/s), twice, and 10,000 files each looked up, their
 * attributes taken and forgotten (LOOKUP + GETATTR + FORGET, files/s); beside each, the same
 * work with plain system calls (pread of the file, fstatat of each name) in the same run. The
 * guest's figures add the virtqueue and the exits on top of these. Usage: fuse_bench DIR */
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend/fuse.h"

#define FILE_SIZE (64u << 20)
#define NFILES    10000

static uint8_t in[8192], out[FUSE_SERVER_IO_MAX + 4096];
static uint64_t unique;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const struct fuse_out_header *call(struct fuse_server *s, uint32_t opcode, uint64_t node,
                                          const void *arg, size_t len)
{
	struct fuse_in_header *h = (void *)in;
	*h = (struct fuse_in_header){.len = (uint32_t)(sizeof(*h) + len),
	                             .opcode = opcode,
	                             .unique = ++unique,
	                             .nodeid = node};
	memcpy(in + sizeof(*h), arg, len);
	struct iovec iv = {in, h->len}, ov = {out, sizeof(out)};
	fuse_server_handle(s, &iv, 1, &ov, 1);
	const struct fuse_out_header *oh = (const void *)out;
	if (opcode != FUSE_FORGET && oh->error) {
		fprintf(stderr, "fuse_bench: opcode %u: error %d\n", opcode, oh->error);
		exit(1);
	}
	return oh;
}

static uint64_t lookup(struct fuse_server *s, uint64_t dir, const char *name)
{
	call(s, FUSE_LOOKUP, dir, name, strlen(name) + 1);
	return ((const struct fuse_entry_out *)(const void *)(out + 16))->nodeid;
}

static double read_server(struct fuse_server *s)
{
	uint64_t node = lookup(s, FUSE_ROOT_ID, "big");
	struct fuse_open_in oi = {0};
	call(s, FUSE_OPEN, node, &oi, sizeof(oi));
	uint64_t fh = ((const struct fuse_open_out *)(const void *)(out + 16))->fh;
	double t = now();
	for (uint64_t off = 0; off < FILE_SIZE; off += FUSE_SERVER_IO_MAX) {
		struct fuse_read_in ri = {.fh = fh, .offset = off, .size = FUSE_SERVER_IO_MAX};
		call(s, FUSE_READ, node, &ri, sizeof(ri));
	}
	t = now() - t;
	struct fuse_release_in rel = {.fh = fh};
	call(s, FUSE_RELEASE, node, &rel, sizeof(rel));
	struct fuse_forget_in fi = {1};
	call(s, FUSE_FORGET, node, &fi, sizeof(fi));
	return FILE_SIZE / t / (1 << 20);
}

static double read_plain(const char *dir)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/big", dir);
	int fd = open(path, O_RDONLY);
	double t = now();
	for (uint64_t off = 0; off < FILE_SIZE; off += FUSE_SERVER_IO_MAX)
		if (pread(fd, out, FUSE_SERVER_IO_MAX, (off_t)off) != FUSE_SERVER_IO_MAX)
			exit(1);
	t = now() - t;
	close(fd);
	return FILE_SIZE / t / (1 << 20);
}

static double stat_server(struct fuse_server *s, uint64_t dir)
{
	char name[32];
	struct fuse_getattr_in gi = {0};
	struct fuse_forget_in fi = {1};
	double t = now();
	for (int i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "f%05d", i);
		uint64_t node = lookup(s, dir, name);
		call(s, FUSE_GETATTR, node, &gi, sizeof(gi));
		call(s, FUSE_FORGET, node, &fi, sizeof(fi));
	}
	return NFILES / (now() - t);
}

static double stat_plain(int dirfd)
{
	char name[32];
	struct stat st;
	double t = now();
	for (int i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "f%05d", i);
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
			exit(1);
	}
	return NFILES / (now() - t);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	const char *dir = argv[1];
	char err[256];
	struct fuse_server *s = fuse_server_open(dir, 0, NULL, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "fuse_bench: %s\n", err);
		return 1;
	}
	struct fuse_init_in ii = {.major = 7, .minor = 31, .max_readahead = 1 << 20};
	call(s, FUSE_INIT, 0, &ii, sizeof(ii));
	char path[4200];
	snprintf(path, sizeof(path), "%s/many", dir);
	int dirfd = open(path, O_PATH | O_DIRECTORY);
	uint64_t many = lookup(s, FUSE_ROOT_ID, "many");
	for (int round = 0; round < 2; round++) {
		printf("  read 64 MiB, 128 KiB READs:   %7.0f MiB/s   (pread: %7.0f MiB/s)\n",
		       read_server(s), read_plain(dir));
		printf("  LOOKUP+GETATTR+FORGET x10000: %7.0f files/s (fstatat: %7.0f files/s)\n",
		       stat_server(s, many), stat_plain(dirfd));
	}
	close(dirfd);
	fuse_server_close(s);
	return 0;
}
