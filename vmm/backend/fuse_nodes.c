/* The FUSE server's node and handle tables and the confinement rules every path goes through:
 * names are single components, checked here; a node is an O_PATH descriptor found with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) beneath its parent's; a non-directory is opened
 * again by name in its parent with O_NOFOLLOW and checked to be the same inode, so a name
 * swapped for a symlink or another file after the lookup gains nothing. */
#include "backend/fuse_private.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"

#define FUSE_RESOLVE (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

int fuse_openat(int dirfd, const char *name, int flags, mode_t mode)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
	    .mode = (flags & O_CREAT) ? (mode & 07777) : 0,
	    .resolve = FUSE_RESOLVE,
	};
	long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

int fuse_name_check(const void *p, size_t avail, const char **name, size_t *used)
{
	const char *s = p;
	const char *nul = memchr(s, '\0', avail < FUSE_NAME_MAX + 1 ? avail : FUSE_NAME_MAX + 1);
	if (!nul)
		return avail > FUSE_NAME_MAX ? -ENAMETOOLONG : -EINVAL;
	size_t n = (size_t)(nul - s);
	if (n == 0 || memchr(s, '/', n) || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return -EINVAL;
	*name = s;
	*used = n + 1;
	return 0;
}

/* --- nodes ------------------------------------------------------------------------------ */

static uint32_t fuse_hash(const struct fuse_server *s, dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev * 0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h >> 32) & (s->nbuckets - 1);
}

static void fuse_hash_insert(struct fuse_server *s, uint32_t idx)
{
	uint32_t *b = &s->buckets[fuse_hash(s, s->nodes[idx].dev, s->nodes[idx].ino)];
	s->nodes[idx].next = *b;
	*b = idx;
}

static void fuse_hash_remove(struct fuse_server *s, uint32_t idx)
{
	uint32_t *p = &s->buckets[fuse_hash(s, s->nodes[idx].dev, s->nodes[idx].ino)];
	while (*p != FUSE_NODE_NONE && *p != idx)
		p = &s->nodes[*p].next;
	if (*p == idx)
		*p = s->nodes[idx].next;
}

static uint32_t fuse_hash_find(const struct fuse_server *s, dev_t dev, ino_t ino)
{
	uint32_t i = s->buckets[fuse_hash(s, dev, ino)];
	while (i != FUSE_NODE_NONE && (s->nodes[i].dev != dev || s->nodes[i].ino != ino))
		i = s->nodes[i].next;
	return i;
}

uint32_t fuse_node_from_id(const struct fuse_server *s, uint64_t nodeid)
{
	if (nodeid == FUSE_ROOT_ID)
		return 0;
	uint64_t low = nodeid & 0xffffffffu;
	if (low < 2 || low - 1 >= s->nnodes)
		return FUSE_NODE_NONE;
	uint32_t idx = (uint32_t)(low - 1);
	const struct fuse_node *n = &s->nodes[idx];
	if (n->fd < 0 || n->gen != (uint32_t)(nodeid >> 32))
		return FUSE_NODE_NONE;
	return idx;
}

uint64_t fuse_node_id(const struct fuse_server *s, uint32_t idx)
{
	if (idx == 0)
		return FUSE_ROOT_ID;
	return (uint64_t)s->nodes[idx].gen << 32 | (idx + 1);
}

/* Frees node idx if nothing refers to it any more, then its parent likewise, and so on up (a
 * loop, not recursion: the guest chooses the depth). */
static void fuse_node_release(struct fuse_server *s, uint32_t idx)
{
	while (idx != 0 && idx != FUSE_NODE_NONE) {
		struct fuse_node *n = &s->nodes[idx];
		if (n->nlookup || n->refs)
			return;
		uint32_t parent = n->parent;
		fuse_hash_remove(s, idx);
		close(n->fd);
		free(n->name);
		n->fd = -1;
		n->name = NULL;
		n->gen = n->gen + 1 ? n->gen + 1 : 1; /* never 0, the root's */
		n->next = s->node_free;
		s->node_free = idx;
		s->nodes_used--;
		s->nodes[parent].refs--;
		idx = parent;
	}
}

void fuse_node_forget(struct fuse_server *s, uint32_t idx, uint64_t n)
{
	if (idx == 0)
		return; /* the root is never forgotten */
	struct fuse_node *node = &s->nodes[idx];
	node->nlookup = n >= node->nlookup ? 0 : node->nlookup - n;
	fuse_node_release(s, idx);
}

/* Records where node idx was found: parent and name (copied). Returns 0 or -ENOMEM. */
static int fuse_node_place(struct fuse_server *s, uint32_t idx, uint32_t parent, const char *name)
{
	struct fuse_node *n = &s->nodes[idx];
	if (n->parent == parent && n->name && strcmp(n->name, name) == 0)
		return 0;
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	uint32_t old = n->parent;
	s->nodes[parent].refs++;
	free(n->name);
	n->name = copy;
	n->parent = parent;
	if (old != FUSE_NODE_NONE) {
		s->nodes[old].refs--;
		fuse_node_release(s, old);
	}
	return 0;
}

int fuse_node_stat(const struct fuse_server *s, uint32_t idx, struct stat *st)
{
	if (fstatat(s->nodes[idx].fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -errno;
	return 0;
}

int fuse_node_lookup(struct fuse_server *s, uint32_t parent, const char *name, uint32_t *idx,
                     struct stat *st)
{
	if (!S_ISDIR(s->nodes[parent].type))
		return -ENOTDIR;
	/* O_PATH | O_NOFOLLOW with RESOLVE_NO_SYMLINKS gives the symlink itself, not its
	 * target (openat2(2)). */
	int fd = fuse_openat(s->nodes[parent].fd, name, O_PATH, 0);
	if (fd < 0)
		return fd == -EMFILE ? -ENFILE : fd;
	if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
		int e = -errno;
		close(fd);
		return e;
	}
	uint32_t i = fuse_hash_find(s, st->st_dev, st->st_ino);
	if (i != FUSE_NODE_NONE) {
		close(fd);
		/* The latest name is the likeliest to still be right for a reopen. */
		if (i != 0 && fuse_node_place(s, i, parent, name))
			return -ENOMEM;
		s->nodes[i].nlookup++;
		*idx = i;
		return 0;
	}
	if (s->node_free == FUSE_NODE_NONE) {
		close(fd);
		return -ENFILE;
	}
	i = s->node_free;
	struct fuse_node *n = &s->nodes[i];
	n->parent = FUSE_NODE_NONE;
	n->name = NULL;
	n->refs = 0;
	if (fuse_node_place(s, i, parent, name)) {
		close(fd);
		return -ENOMEM;
	}
	s->node_free = n->next;
	s->nodes_used++;
	n->fd = fd;
	n->nlookup = 1;
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	n->type = st->st_mode & S_IFMT;
	fuse_hash_insert(s, i);
	*idx = i;
	return 0;
}

int fuse_node_reopen(const struct fuse_server *s, uint32_t idx, int flags)
{
	const struct fuse_node *n = &s->nodes[idx];
	int fd;
	flags |= O_NONBLOCK | O_NOCTTY; /* a FIFO swapped in must not block the server */
	if (S_ISDIR(n->type))
		fd = fuse_openat(n->fd, ".", flags | O_DIRECTORY, 0);
	else if (n->parent == FUSE_NODE_NONE)
		return -ESTALE;
	else
		fd = fuse_openat(s->nodes[n->parent].fd, n->name, flags, 0);
	if (fd < 0)
		return fd == -EMFILE ? -ENFILE : fd;
	struct stat st;
	if (fstat(fd, &st) || st.st_dev != n->dev || st.st_ino != n->ino) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

void fuse_node_renamed(struct fuse_server *s, uint32_t olddir, const char *oldname, uint32_t newdir,
                       const char *newname, int exchange)
{
	/* Find the nodes by what the names hold now, after the rename. */
	struct stat st;
	uint32_t moved = FUSE_NODE_NONE, other = FUSE_NODE_NONE;
	if (fstatat(s->nodes[newdir].fd, newname, &st, AT_SYMLINK_NOFOLLOW) == 0)
		moved = fuse_hash_find(s, st.st_dev, st.st_ino);
	if (exchange && fstatat(s->nodes[olddir].fd, oldname, &st, AT_SYMLINK_NOFOLLOW) == 0)
		other = fuse_hash_find(s, st.st_dev, st.st_ino);
	/* A failed copy of a name only means a later reopen answers ESTALE. */
	if (moved != FUSE_NODE_NONE && moved != 0)
		(void)fuse_node_place(s, moved, newdir, newname);
	if (other != FUSE_NODE_NONE && other != 0)
		(void)fuse_node_place(s, other, olddir, oldname);
}

/* --- handles ---------------------------------------------------------------------------- */

uint64_t fuse_handle_add(struct fuse_server *s, int fd, uint32_t node, int dir, int accmode)
{
	for (uint32_t i = 0; i < s->nhandles; i++) {
		struct fuse_handle *h = &s->handles[i];
		if (h->fd >= 0)
			continue;
		h->fd = fd;
		h->dir = dir;
		h->readable = accmode != O_WRONLY;
		h->writable = accmode != O_RDONLY;
		h->node = node;
		s->nodes[node].refs++;
		s->handles_used++;
		return (uint64_t)h->gen << 32 | i;
	}
	close(fd);
	return 0;
}

struct fuse_handle *fuse_handle_get(struct fuse_server *s, uint64_t fh, int dir)
{
	uint32_t i = (uint32_t)fh;
	if (i >= s->nhandles)
		return NULL;
	struct fuse_handle *h = &s->handles[i];
	if (h->fd < 0 || h->gen != (uint32_t)(fh >> 32) || h->dir != dir)
		return NULL;
	return h;
}

void fuse_handle_close(struct fuse_server *s, struct fuse_handle *h)
{
	close(h->fd);
	h->fd = -1;
	h->gen = h->gen + 1 ? h->gen + 1 : 1; /* never 0: fh 0 is never valid */
	s->handles_used--;
	s->nodes[h->node].refs--;
	fuse_node_release(s, h->node);
}

/* --- the tables ------------------------------------------------------------------------- */

void fuse_tables_reset(struct fuse_server *s)
{
	for (uint32_t i = 0; i < s->nhandles; i++)
		if (s->handles[i].fd >= 0)
			fuse_handle_close(s, &s->handles[i]);
	/* Children first is not needed: every node goes, whatever refers to it. */
	for (uint32_t i = 1; i < s->nnodes; i++) {
		struct fuse_node *n = &s->nodes[i];
		if (n->fd >= 0) {
			close(n->fd);
			free(n->name);
			n->fd = -1;
			n->name = NULL;
			n->gen = n->gen + 1 ? n->gen + 1 : 1;
		}
	}
	for (uint32_t b = 0; b < s->nbuckets; b++)
		s->buckets[b] = FUSE_NODE_NONE;
	s->node_free = FUSE_NODE_NONE;
	for (uint32_t i = s->nnodes - 1; i >= 1; i--) {
		s->nodes[i].next = s->node_free;
		s->node_free = i;
	}
	s->nodes[0].refs = 0;
	s->nodes[0].nlookup = 1;
	fuse_hash_insert(s, 0);
	s->nodes_used = 1;
}

/* One descriptor per node and handle: lift the soft limit to the hard one, as far as that goes. */
static void fuse_raise_fd_limit(void)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &r);
	}
}

int fuse_tables_init(struct fuse_server *s, const char *dir, const struct fuse_server_limits *lim,
                     char *err, size_t errlen)
{
	s->nnodes = lim->nodes < 1 ? 1 : lim->nodes;
	s->nhandles = lim->handles;
	s->nbuckets = 1;
	while (s->nbuckets < s->nnodes)
		s->nbuckets <<= 1;
	s->nodes = calloc(s->nnodes, sizeof(*s->nodes));
	s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
	s->handles = calloc(s->nhandles ? s->nhandles : 1, sizeof(*s->handles));
	if (!s->nodes || !s->buckets || !s->handles)
		return error_set(err, errlen, "out of memory for the FUSE server's tables");
	for (uint32_t i = 0; i < s->nnodes; i++)
		s->nodes[i].fd = -1;
	for (uint32_t i = 0; i < s->nhandles; i++) {
		s->handles[i].fd = -1;
		s->handles[i].gen = 1;
	}
	fuse_raise_fd_limit();
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errlen, "%s: %s", dir, strerror(errno));
	struct stat st;
	if (fstat(fd, &st)) {
		close(fd);
		return error_set(err, errlen, "%s: %s", dir, strerror(errno));
	}
	struct fuse_node *root = &s->nodes[0];
	root->fd = fd;
	root->parent = FUSE_NODE_NONE;
	root->dev = st.st_dev;
	root->ino = st.st_ino;
	root->type = S_IFDIR;
	for (uint32_t i = 1; i < s->nnodes; i++)
		s->nodes[i].gen = 1;
	fuse_tables_reset(s);
	return 0;
}

void fuse_tables_free(struct fuse_server *s)
{
	if (s->nodes && s->handles && s->buckets && s->nodes[0].fd >= 0) {
		fuse_tables_reset(s);
		close(s->nodes[0].fd);
	}
	free(s->nodes);
	free(s->buckets);
	free(s->handles);
}
