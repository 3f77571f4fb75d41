/* The escape suite: a guest that attacks the FUSE server (vmm/backend/fuse.c) to reach beyond
 * the shared directory. Beside the share lies outside/secret.txt; every reply is searched for
 * the secret, and after each attack the host checks nothing outside the share changed. The
 * attacks: ".." at every depth, names with '/' and NUL, absolute and relative symlinks to '/'
 * and to outside (looked up, opened, listed, used as a directory), a directory and a file
 * swapped for symlinks after LOOKUP, rename and link out of the share with forged directory
 * node ids, CREATE through a dangling symlink, forged node ids and file handles, and names
 * too long. It must count zero escapes. */
// clang-format off
// SOURCES: vmm/backend/fuse.c vmm/backend/fuse_nodes.c vmm/backend/fuse_ops.c common/error.c
// clang-format on

#include <dirent.h>
#include <time.h>
#include <linux/fs.h>

#include "check.h"
#include "fuse_test.h"

static char base[64], share[96], outside[96], secret_path[128];
static char secret[64];
static int escapes;
static struct stat secret_st;
static int writable; /* the share under attack; a read-only one answers EROFS first */

/* Every reply: the secret must never be in one. */
static void look_for_secret(const void *reply, size_t len)
{
	if (memmem(reply, len, secret, strlen(secret))) {
		escapes++;
		fprintf(stderr, "ESCAPE: a reply (opcode of request %llu) holds the secret\n",
		        (unsigned long long)ft_unique);
	}
}

/* After each attack: outside/ holds secret.txt alone, unchanged. */
static void outside_unchanged(const char *attack)
{
	int bad = 0;
	DIR *d = opendir(outside);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "secret.txt")) {
			fprintf(stderr, "ESCAPE (%s): outside/%s appeared\n", attack, e->d_name);
			bad = 1;
		}
	if (d)
		closedir(d);
	struct stat st;
	char buf[128] = "";
	FILE *f = fopen(secret_path, "r");
	if (!f || !fgets(buf, sizeof(buf), f) || strcmp(buf, secret) != 0 ||
	    stat(secret_path, &st) || st.st_size != secret_st.st_size ||
	    st.st_mode != secret_st.st_mode || st.st_nlink != 1 ||
	    st.st_mtim.tv_sec != secret_st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != secret_st.st_mtim.tv_nsec) {
		fprintf(stderr, "ESCAPE (%s): the secret file changed\n", attack);
		bad = 1;
	}
	if (f)
		fclose(f);
	escapes += bad;
	CHECK(!bad);
}

static void host_at(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", share, rel);
}

static void host_symlink(const char *target, const char *rel)
{
	char p[256];
	host_at(p, sizeof(p), rel);
	if (symlink(target, p)) {
		perror(p);
		exit(1);
	}
}

/* Tries to get data out of node: open and read it, list it, look the secret's name up in it. */
static void try_read_through(struct fuse_server *s, uint64_t node)
{
	uint64_t fh, child;
	if (ft_open(s, FUSE_OPEN, node, O_RDONLY, &fh) == 0) {
		ft_read(s, FUSE_READ, node, fh, 0, 4096);
		ft_release(s, FUSE_RELEASE, node, fh);
	}
	if (ft_open(s, FUSE_OPENDIR, node, O_RDONLY, &fh) == 0) {
		ft_read(s, FUSE_READDIRPLUS, node, fh, 0, 65536);
		ft_read(s, FUSE_READDIR, node, fh, 0, 65536);
		ft_release(s, FUSE_RELEASEDIR, node, fh);
	}
	CHECK(ft_lookup(s, node, "secret.txt", &child, NULL) != 0);
	CHECK(ft_lookup(s, node, "etc", &child, NULL) != 0);
	CHECK(ft_create(s, node, "planted", O_WRONLY, &child, &fh) != 0);
	CHECK(ft_mkdir(s, node, "planted", &child) != 0);
	CHECK(ft_symlink(s, node, "planted", "x", &child) != 0);
}

/* "..", "." and names with '/' or NUL, from every depth of share/a/b/c. */
static void attack_dot_dot(struct fuse_server *s)
{
	static const char *const names[] = {
	    "..",
	    ".",
	    "../outside",
	    "../outside/secret.txt",
	    "../../../../../etc/passwd",
	    "/etc/passwd",
	    "a/../..",
	    "a/b",
	    "/",
	    "..//..",
	    ".\0secret.txt",
	    "..\0x",
	};
	uint64_t dirs[4] = {FUSE_ROOT_ID};
	const char *path[] = {"a", "b", "c"};
	for (int i = 0; i < 3; i++)
		CHECK(ft_lookup(s, dirs[i], path[i], &dirs[i + 1], NULL) == 0);
	for (int d = 0; d < 4; d++) {
		int want = writable ? -EINVAL : -EROFS;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			uint64_t node, fh;
			CHECK(ft_lookup(s, dirs[d], names[i], &node, NULL) == -EINVAL);
			CHECK(ft_create(s, dirs[d], names[i], O_WRONLY, &node, &fh) == want);
			CHECK(ft_mkdir(s, dirs[d], names[i], &node) == want);
			CHECK(ft_call_name(s, FUSE_UNLINK, dirs[d], NULL, 0, names[i]) == want);
			CHECK(ft_call_name(s, FUSE_RMDIR, dirs[d], NULL, 0, names[i]) == want);
			CHECK(ft_symlink(s, dirs[d], names[i], "/", &node) == want);
			CHECK(ft_rename(s, dirs[d], "file", dirs[d], names[i], 0) == want);
			CHECK(ft_rename(s, dirs[d], names[i], dirs[d], "moved", 0) == want);
		}
		/* A NUL ends a name: "file\0/../../outside" is "file". */
		static const char trick[] = "c\0/../../../outside";
		int rc = ft_call3(s, FUSE_LOOKUP, dirs[d], trick, sizeof(trick), NULL, 0, NULL, 0);
		CHECK(rc == 0 || rc == -ENOENT);
		if (rc == 0)
			ft_forget(
			    s, ((const struct fuse_entry_out *)(const void *)ft_reply)->nodeid, 1);
	}
	outside_unchanged("dot-dot");
}

/* Symlinks to '/' and to outside, absolute and relative, at the top and deeper. */
static void attack_symlinks(struct fuse_server *s)
{
	static const char *const links[] = {"abs_root",   "abs_out", "abs_secret",    "rel_out",
	                                    "rel_secret", "a/b/up",  "a/b/up_secret", "loop"};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		/* Walk to the link's directory, then look the link up. */
		uint64_t dir = FUSE_ROOT_ID, node;
		char rel[64];
		snprintf(rel, sizeof(rel), "%s", links[i]);
		char *name = rel, *slash;
		while ((slash = strchr(name, '/'))) {
			*slash = '\0';
			CHECK(ft_lookup(s, dir, name, &dir, NULL) == 0);
			name = slash + 1;
		}
		struct fuse_attr a;
		CHECK(ft_lookup(s, dir, name, &node, &a) == 0);
		CHECK(S_ISLNK(a.mode)); /* the link itself, never its target */
		CHECK(ft_call(s, FUSE_READLINK, node, NULL, 0) == 0);
		uint64_t fh;
		CHECK(ft_open(s, FUSE_OPEN, node, O_RDONLY, &fh) == -ELOOP);
		CHECK(ft_open(s, FUSE_OPENDIR, node, O_RDONLY, &fh) == -ENOTDIR);
		try_read_through(s, node);
		if (!writable) { /* a read-only share: the rest would change it */
			outside_unchanged(links[i]);
			continue;
		}
		/* Attributes and times of the link, not of what it points at. */
		struct fuse_setattr_in sa = {.valid = FATTR_MODE, .mode = 0777};
		CHECK(ft_call(s, FUSE_SETATTR, node, &sa, sizeof(sa)) == -EOPNOTSUPP);
		sa = (struct fuse_setattr_in){.valid = FATTR_SIZE, .size = 0};
		CHECK(ft_call(s, FUSE_SETATTR, node, &sa, sizeof(sa)) == -EINVAL);
		sa = (struct fuse_setattr_in){
		    .valid = FATTR_MTIME | FATTR_ATIME, .mtime = 1, .atime = 1};
		ft_call(s, FUSE_SETATTR, node, &sa, sizeof(sa));
		/* A hard link of the link is another link. */
		uint64_t copy;
		char copyname[32];
		snprintf(copyname, sizeof(copyname), "copy%zu", i);
		if (ft_link(s, node, FUSE_ROOT_ID, copyname, &copy) == 0) {
			CHECK(ft_getattr(s, copy, &a) == 0 && S_ISLNK(a.mode));
			CHECK(ft_open(s, FUSE_OPEN, copy, O_RDONLY, &fh) == -ELOOP);
		}
		/* Renamed, it is still a link. */
		CHECK(ft_rename(s, dir, name, dir, "renamed-link", 0) == 0);
		CHECK(ft_open(s, FUSE_OPEN, node, O_RDONLY, &fh) == -ELOOP);
		CHECK(ft_rename(s, dir, "renamed-link", dir, name, 0) == 0);
		outside_unchanged(links[i]);
	}
	if (!writable)
		return;
	/* A link planted by the guest, pointing out: stored as text, never followed. */
	uint64_t node, fh;
	CHECK(ft_symlink(s, FUSE_ROOT_ID, "planted", secret_path, &node) == 0);
	CHECK(ft_open(s, FUSE_OPEN, node, O_RDONLY, &fh) == -ELOOP);
	try_read_through(s, node);
	/* CREATE through a dangling link to outside must not create its target. */
	char target[200];
	snprintf(target, sizeof(target), "%s/created", outside);
	host_symlink(target, "dangling");
	CHECK(ft_create(s, FUSE_ROOT_ID, "dangling", O_WRONLY, &node, &fh) == -ELOOP);
	CHECK(ft_create(s, FUSE_ROOT_ID, "dangling", O_WRONLY | O_EXCL, &node, &fh) == -EEXIST);
	CHECK(ft_mkdir(s, FUSE_ROOT_ID, "dangling", &node) == -EEXIST);
	outside_unchanged("symlinks");
}

/* A directory and a file looked up, then swapped on the host for symlinks to outside. */
static void attack_swap(struct fuse_server *s)
{
	char p[256];
	uint64_t dir, file, fh, node;
	host_at(p, sizeof(p), "victim");
	mkdir(p, 0755);
	host_at(p, sizeof(p), "victim.txt");
	ft_write_file(p, "victim");
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "victim", &dir, NULL) == 0);
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "victim.txt", &file, NULL) == 0);
	host_at(p, sizeof(p), "victim");
	CHECK(rmdir(p) == 0);
	host_symlink(outside, "victim");
	host_at(p, sizeof(p), "victim.txt");
	CHECK(unlink(p) == 0);
	host_symlink(secret_path, "victim.txt");
	try_read_through(s, dir);
	CHECK(ft_open(s, FUSE_OPEN, file, O_RDONLY, &fh) != 0);
	CHECK(ft_open(s, FUSE_OPEN, file, O_RDWR, &fh) != 0);
	struct fuse_setattr_in sa = {.valid = FATTR_SIZE, .size = 0};
	CHECK(ft_call(s, FUSE_SETATTR, file, &sa, sizeof(sa)) != 0);
	CHECK(ft_link(s, file, FUSE_ROOT_ID, "stolen", &node) != 0);
	sa = (struct fuse_setattr_in){.valid = FATTR_MODE, .mode = 0777};
	ft_call(s, FUSE_SETATTR, file, &sa, sizeof(sa)); /* the old inode, if anything */
	outside_unchanged("swap");

	/* The same with a directory swapped for a link while a handle on it is open. */
	host_at(p, sizeof(p), "victim2");
	mkdir(p, 0755);
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "victim2", &dir, NULL) == 0);
	CHECK(ft_open(s, FUSE_OPENDIR, dir, O_RDONLY, &fh) == 0);
	char moved[200];
	snprintf(moved, sizeof(moved), "%s/victim2-away", base);
	CHECK(rename(p, moved) == 0);
	host_symlink(outside, "victim2");
	ft_read(s, FUSE_READDIRPLUS, dir, fh, 0, 65536);
	ft_release(s, FUSE_RELEASEDIR, dir, fh);
	uint64_t again;
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "victim2", &again, NULL) == 0);
	try_read_through(s, again);
	outside_unchanged("swap with a handle open");
}

/* Renames and links out of the share: forged directory node ids, names with '/' or "..". */
static void attack_rename_link(struct fuse_server *s)
{
	/* Ids that name no live node: wrong generations, indices past the table, the root's
	 * index with a generation. */
	static const uint64_t forged[] = {0,
	                                  2,
	                                  3,
	                                  0xffffffffull,
	                                  1ull << 32,
	                                  (1ull << 32) | 1,
	                                  (77ull << 32) | 3,
	                                  UINT64_MAX,
	                                  0x8000000000000001ull};
	uint64_t file, fh;
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "file", &file, NULL) == 0);
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		CHECK(ft_rename(s, FUSE_ROOT_ID, "file", forged[i], "stolen", 0) == -EBADF);
		CHECK(ft_rename(s, forged[i], "secret.txt", FUSE_ROOT_ID, "got", 0) == -EBADF);
		CHECK(ft_link(s, file, forged[i], "stolen", NULL) == -EBADF);
		CHECK(ft_link(s, forged[i], FUSE_ROOT_ID, "got", NULL) == -EBADF);
		struct fuse_attr a;
		CHECK(ft_getattr(s, forged[i], &a) == -EBADF);
		CHECK(ft_open(s, FUSE_OPEN, forged[i], O_RDONLY, &fh) == -EBADF);
		uint64_t node;
		CHECK(ft_lookup(s, forged[i], "secret.txt", &node, NULL) == -EBADF);
	}
	/* Into a symlink that points out: it is no directory. */
	uint64_t link;
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "abs_out", &link, NULL) == 0);
	CHECK(ft_rename(s, FUSE_ROOT_ID, "file", link, "stolen", 0) == -ENOTDIR);
	CHECK(ft_link(s, file, link, "stolen", NULL) == -ENOTDIR);
	CHECK(ft_rename(s, link, "secret.txt", FUSE_ROOT_ID, "got", 0) == -ENOTDIR);
	/* Over the link itself: replaces the link, nothing outside. */
	CHECK(ft_rename(s, FUSE_ROOT_ID, "file", FUSE_ROOT_ID, "abs_out", RENAME_EXCHANGE) == 0);
	CHECK(ft_rename(s, FUSE_ROOT_ID, "file", FUSE_ROOT_ID, "abs_out", RENAME_EXCHANGE) == 0);
	outside_unchanged("rename and link");
}

/* Forged and stale file handles, and names too long. */
static void attack_handles_names(struct fuse_server *s)
{
	static const uint64_t forged[] = {0,          1,
	                                  2,          0xffffffffull,
	                                  1ull << 32, (1ull << 32) | 5,
	                                  UINT64_MAX, 0x100000000ull | 1023};
	uint64_t file, fh;
	CHECK(ft_lookup(s, FUSE_ROOT_ID, "file", &file, NULL) == 0);
	CHECK(ft_open(s, FUSE_OPEN, file, O_RDONLY, &fh) == 0);
	CHECK(ft_release(s, FUSE_RELEASE, file, fh) == 0);
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]) + 1; i++) {
		uint64_t f = i < sizeof(forged) / sizeof(forged[0]) ? forged[i] : fh;
		CHECK(ft_read(s, FUSE_READ, file, f, 0, 4096) == -EBADF);
		CHECK(ft_write(s, file, f, 0, "x", 1) == (writable ? -EBADF : -EROFS));
		CHECK(ft_read(s, FUSE_READDIRPLUS, FUSE_ROOT_ID, f, 0, 4096) == -EBADF);
		CHECK(ft_release(s, FUSE_RELEASE, file, f) == -EBADF);
		struct fuse_setattr_in sa = {.valid = FATTR_FH | FATTR_SIZE, .fh = f};
		CHECK(ft_call(s, FUSE_SETATTR, file, &sa, sizeof(sa)) ==
		      (writable ? -EBADF : -EROFS));
		struct fuse_lseek_in ls = {.fh = f, .whence = SEEK_END};
		CHECK(ft_call(s, FUSE_LSEEK, file, &ls, sizeof(ls)) == -EBADF);
	}
	static char name[8192];
	memset(name, 'x', sizeof(name) - 1);
	uint64_t node;
	CHECK(ft_lookup(s, FUSE_ROOT_ID, name, &node, NULL) == -ENAMETOOLONG);
	name[256] = '\0';
	CHECK(ft_mkdir(s, FUSE_ROOT_ID, name, &node) == (writable ? -ENAMETOOLONG : -EROFS));
	/* No NUL before the request ends. */
	CHECK(ft_call(s, FUSE_LOOKUP, FUSE_ROOT_ID, "abc", 3) == -EINVAL);
	CHECK(ft_call(s, FUSE_LOOKUP, FUSE_ROOT_ID, name, 300) == -ENAMETOOLONG);
	outside_unchanged("handles and names");
}

int main(void)
{
	snprintf(base, sizeof(base), "/tmp/fuse-escape-XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(share, sizeof(share), "%s/share", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	snprintf(secret_path, sizeof(secret_path), "%s/secret.txt", outside);
	snprintf(secret, sizeof(secret), "SECRET-%d-%ld", getpid(), (long)time(NULL));
	mkdir(share, 0755);
	mkdir(outside, 0755);
	ft_write_file(secret_path, secret);
	stat(secret_path, &secret_st);
	char p[256], rel[256];
	host_at(p, sizeof(p), "a");
	mkdir(p, 0755);
	host_at(p, sizeof(p), "a/b");
	mkdir(p, 0755);
	host_at(p, sizeof(p), "a/b/c");
	mkdir(p, 0755);
	host_at(p, sizeof(p), "file");
	ft_write_file(p, "in the share");
	host_symlink("/", "abs_root");
	host_symlink(outside, "abs_out");
	host_symlink(secret_path, "abs_secret");
	host_symlink("../outside", "rel_out");
	host_symlink("../outside/secret.txt", "rel_secret");
	host_symlink("../../../outside", "a/b/up");
	snprintf(rel, sizeof(rel), "../../../outside/secret.txt");
	host_symlink(rel, "a/b/up_secret");
	host_symlink("loop", "loop");

	ft_reply_hook = look_for_secret;
	for (writable = 0; writable < 2; writable++) {
		char err[256];
		struct fuse_server *s = fuse_server_open(share, writable, NULL, err, sizeof(err));
		if (!s) {
			fprintf(stderr, "fuse_server_open: %s\n", err);
			return 1;
		}
		CHECK(ft_init(s) == 0);
		attack_dot_dot(s);
		attack_handles_names(s);
		attack_symlinks(s);
		if (writable) { /* these change the share */
			attack_swap(s);
			attack_rename_link(s);
		}
		fuse_server_close(s);
	}
	outside_unchanged("the end");
	printf("fuse_escape: %d escapes\n", escapes);
	CHECK(escapes == 0);
	ft_rm_rf(base);
	return check_summary("fuse_escape");
}
