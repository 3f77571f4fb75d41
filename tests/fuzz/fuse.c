/* libFuzzer target for the FUSE server (vmm/backend/fuse.c): each input is a session on a
 * fresh server over a temp dir (read-only or writable, as the first byte says), INIT done, then
 * requests built from records of the input, which may use the node ids and file handles that
 * earlier replies gave. Beside the share lies a secret file: a reply that holds it, or
 * anything appearing next to it, is an escape and aborts. `make fuzz` runs it; tests/e2e/fuzz.sh
 * makes a short run in `make check`. */
// SOURCES: vmm/backend/fuse.c vmm/backend/fuse_nodes.c vmm/backend/fuse_ops.c common/error.c
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/fuse.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/fuse.h"

#define SECRET "FUZZ-SECRET-c0ffee-do-not-leak"

static char base[64], share[96], outside[96];
static uint8_t out[FUSE_SERVER_IO_MAX + 4096];

static void put(const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", share, rel);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void link_to(const char *target, const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", share, rel);
	if (symlink(target, p))
		perror(p);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		remove(path);
	return 0;
}

/* The share's contents, made again after a writable session changed them. */
static void make_share(void)
{
	chmod(share, 0755);
	nftw(share, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	char p[256];
	snprintf(p, sizeof(p), "%s/dir", share);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/dir/sub", share);
	mkdir(p, 0755);
	put("file", "0123456789abcdef");
	put("dir/inner", "inner");
	snprintf(p, sizeof(p), "%s/secret", outside);
	link_to(p, "abs_secret");
	link_to("../outside/secret", "rel_secret");
	link_to("/", "root");
	link_to("../../../outside", "dir/sub/up");
}

static void check_outside(void)
{
	DIR *d = opendir(outside);
	struct dirent *e;
	int others = 0;
	while (d && (e = readdir(d)))
		others += strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		          strcmp(e->d_name, "secret");
	if (d)
		closedir(d);
	char p[256], buf[64] = "";
	snprintf(p, sizeof(p), "%s/secret", outside);
	FILE *f = fopen(p, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	if (others || strcmp(buf, SECRET) != 0) {
		fprintf(stderr, "ESCAPE: something changed outside the share\n");
		abort();
	}
}

static void cleanup(void)
{
	chmod(share, 0755);
	nftw(base, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	rmdir(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* tmpfs where there is one: a writable session's share is made again after each input,
	 * and ext4 makes and removes inodes far more slowly. */
	snprintf(base, sizeof(base), "/dev/shm/fuse-fuzz-XXXXXX");
	if (!mkdtemp(base)) {
		snprintf(base, sizeof(base), "/tmp/fuse-fuzz-XXXXXX");
		if (!mkdtemp(base))
			abort();
	}
	snprintf(share, sizeof(share), "%s/share", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	mkdir(share, 0755);
	mkdir(outside, 0755);
	char p[256];
	snprintf(p, sizeof(p), "%s/secret", outside);
	FILE *f = fopen(p, "w");
	if (!f)
		abort();
	fputs(SECRET, f);
	fclose(f);
	make_share();
	atexit(cleanup);
	return 0;
}

/* Sends one request over two readable and two writable buffers, cut in the middle; returns the
 * reply's length (its header and payload are in out). */
static size_t fuzz_send(struct fuse_server *s, const uint8_t *req, size_t len, size_t room)
{
	struct iovec in[2] = {{(void *)req, len / 2}, {(void *)(req + len / 2), len - len / 2}};
	if (room > sizeof(out))
		room = sizeof(out);
	struct iovec o[2] = {{out, room / 3}, {out + room / 3, room - room / 3}};
	size_t n = fuse_server_handle(s, in, 2, o, 2);
	if (n > room)
		abort();
	if (memmem(out, n, SECRET, sizeof(SECRET) - 1)) {
		fprintf(stderr, "ESCAPE: a reply holds the secret\n");
		abort();
	}
	return n;
}

/* What the session learnt from replies, for the next requests to use: the fuzzer could not
 * guess a node id or file handle (they carry generations), so a record may ask for them. */
struct session {
	uint64_t node, fh;
};

static void learn(struct session *ss, uint32_t opcode, size_t n)
{
	const struct fuse_out_header *oh = (const void *)out;
	if (n < sizeof(*oh) || oh->error)
		return;
	const uint8_t *p = out + sizeof(*oh);
	size_t len = n - sizeof(*oh);
	if ((opcode == FUSE_LOOKUP || opcode == FUSE_MKDIR || opcode == FUSE_SYMLINK ||
	     opcode == FUSE_LINK || opcode == FUSE_CREATE) &&
	    len >= sizeof(struct fuse_entry_out))
		memcpy(&ss->node, p, sizeof(ss->node));
	if (opcode == FUSE_CREATE && len >= sizeof(struct fuse_entry_out) + 8)
		memcpy(&ss->fh, p + sizeof(struct fuse_entry_out), sizeof(ss->fh));
	if ((opcode == FUSE_OPEN || opcode == FUSE_OPENDIR) && len >= 8)
		memcpy(&ss->fh, p, sizeof(ss->fh));
}

/* Record flags. */
#define REC_NODE_LAST 0x01  /* the header's node id: the last one learnt (else the root) */
#define REC_FH_AT_0   0x02  /* the arguments' first 8 bytes: the last file handle */
#define REC_NODE_AT_0 0x04  /* the arguments' first 8 bytes: the last node id (newdir, oldnodeid)  \
	                     */
#define REC_RAW        0x08 /* the record is the whole request, header included, as it is */
#define REC_ROOM_SHIFT 4    /* bits 4-7: reply room in 48-byte steps; 0: all of it */

/* Input: a byte (bit 0: writable share), then records: opcode, flags, two bytes of argument
 * length (little endian), the arguments. The harness writes the header (len, unique, node id)
 * unless REC_RAW. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int writable = data[0] & 1;
	/* One server of each kind, reset after each input: as fresh as a new one, and cheaper. */
	static struct fuse_server *servers[2];
	static const struct fuse_server_limits lim = {.nodes = 32, .handles = 8};
	char err[256];
	if (!servers[writable])
		servers[writable] = fuse_server_open(share, writable, &lim, err, sizeof(err));
	struct fuse_server *s = servers[writable];
	if (!s)
		abort();
	struct {
		struct fuse_in_header h;
		struct fuse_init_in in;
	} init = {{sizeof(init), FUSE_INIT, 1, 0, 0, 0, 0, 0, 0}, {7, 31, 1 << 20, ~0u, 0, {0}}};
	fuzz_send(s, (const uint8_t *)&init, sizeof(init), sizeof(out));
	static uint8_t req[FUSE_SERVER_IO_MAX + 8192];
	struct session ss = {FUSE_ROOT_ID, 0};
	uint64_t unique = 1;
	size_t pos = 1;
	while (pos + 4 <= size) {
		uint8_t opcode = data[pos], flags = data[pos + 1];
		size_t len = (size_t)data[pos + 2] | (size_t)data[pos + 3] << 8;
		pos += 4;
		if (len > size - pos)
			len = size - pos;
		struct fuse_in_header *h = (void *)req;
		size_t total = len;
		if (flags & REC_RAW) {
			memcpy(req, data + pos, len);
		} else {
			memcpy(req + sizeof(*h), data + pos, len);
			if ((flags & (REC_FH_AT_0 | REC_NODE_AT_0)) && len >= 8)
				memcpy(req + sizeof(*h), (flags & REC_FH_AT_0) ? &ss.fh : &ss.node,
				       8);
			total = sizeof(*h) + len;
			*h = (struct fuse_in_header){
			    .len = (uint32_t)total,
			    .opcode = opcode,
			    .unique = ++unique,
			    .nodeid = (flags & REC_NODE_LAST) ? ss.node : FUSE_ROOT_ID};
		}
		pos += len;
		unsigned steps = flags >> REC_ROOM_SHIFT;
		size_t n = fuzz_send(s, req, total, steps ? steps * 48 : sizeof(out));
		learn(&ss, (flags & REC_RAW) ? 0 : opcode, n);
	}
	fuse_server_reset(s);
	if (fuse_server_nodes_in_use(s) != 1 || fuse_server_handles_in_use(s) != 0)
		abort();
	if (writable) {
		check_outside();
		make_share();
	}
	return 0;
}
