/* Shared host directories (see share.h): parsing and checking `--share DIR[:rw][:/MOUNT]`, and
 * the toro.mounts command-line word. */
#include "share.h"
#include "cmdline.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Collapses repeated '/' and drops a trailing one; refuses "." and ".." components, ',' and
 * ':' (the toro.mounts word's separators). Returns 0, or -1 with err. */
static int share_mount_normalise(const char *in, char *out, const char *spec, const char *opt,
                                 char *err, size_t errlen)
{
	if (in[0] != '/')
		return error_set(err, errlen, "%s %s: mount point '%s' must be absolute", opt, spec,
		                 in);
	if (strpbrk(in, ",:"))
		return error_set(err, errlen, "%s %s: mount point '%s' contains ',' or ':'", opt,
		                 spec, in);
	if (strlen(in) >= SHARE_MOUNT_MAX)
		return error_set(err, errlen, "%s %s: mount point longer than %d bytes", opt, spec,
		                 SHARE_MOUNT_MAX - 1);
	size_t n = 0;
	for (const char *p = in; *p;) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (len == 0)
			break;
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return error_set(err, errlen,
			                 "%s %s: mount point '%s' has a '.' or '..' component", opt,
			                 spec, in);
		out[n++] = '/';
		memcpy(out + n, p, len);
		n += len;
		p += len;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return 0;
}

/* "OPT SPEC: why", naming the directory too when SPEC says more than it. */
static int share_error(char *err, size_t errlen, const char *opt, const char *spec,
                       const char *dir, const char *why)
{
	if (strcmp(spec, dir) == 0)
		return error_set(err, errlen, "%s %s: %s", opt, spec, why);
	return error_set(err, errlen, "%s %s: %s: %s", opt, spec, dir, why);
}

/* Splits "DIR[:rw|:ro][:/MOUNT]": the mount point starts at the first ":/". */
static int share_parse(const char *spec, struct share *sh, const char *opt, char *err,
                       size_t errlen)
{
	const char *mount = strstr(spec, ":/");
	size_t dirlen = mount ? (size_t)(mount - spec) : strlen(spec);
	if (dirlen >= 3 && (strncmp(spec + dirlen - 3, ":rw", 3) == 0 ||
	                    strncmp(spec + dirlen - 3, ":ro", 3) == 0)) {
		sh->writable = spec[dirlen - 1] == 'w';
		dirlen -= 3;
	}
	if (dirlen == 0)
		return error_set(err, errlen, "%s '%s': no directory given (DIR[:rw][:/MOUNT])",
		                 opt, spec);
	if (mount) {
		if (share_mount_normalise(mount + 1, sh->mount, spec, opt, err, errlen))
			return -1;
	} else {
		strcpy(sh->mount, "/");
	}
	sh->dir = strndup(spec, dirlen);
	if (!sh->dir)
		return error_set(err, errlen, "out of memory");
	struct stat st;
	if (stat(sh->dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return share_error(err, errlen, opt, spec, sh->dir, "not a directory");
		return 0;
	}
	int e = errno;
	/* "DIR:mnt" for "DIR:/mnt" says more as a mount point error than as a missing dir. */
	const char *colon = strrchr(sh->dir, ':');
	if (colon && colon[1] != '/') {
		size_t k = (size_t)(colon - sh->dir);
		if (k >= 3 &&
		    (strncmp(colon - 3, ":rw", 3) == 0 || strncmp(colon - 3, ":ro", 3) == 0))
			k -= 3;
		char *head = strndup(sh->dir, k);
		int is_dir = head && stat(head, &st) == 0 && S_ISDIR(st.st_mode);
		free(head);
		if (is_dir)
			return error_set(
			    err, errlen,
			    "%s %s: mount point '%s' must be absolute (DIR[:rw][:/MOUNT])", opt,
			    spec, colon + 1);
	}
	return share_error(err, errlen, opt, spec, sh->dir, strerror(e));
}

int share_add(struct share *list, int *n, const char *opt, const char *spec, char *err,
              size_t errlen)
{
	if (*n == SHARE_MAX)
		return error_set(err, errlen, "%s %s: at most %d shares", opt, spec, SHARE_MAX);
	struct share sh = {0};
	if (share_parse(spec, &sh, opt, err, errlen)) {
		free(sh.dir);
		return -1;
	}
	for (int i = 0; i < *n; i++) {
		if (strcmp(list[i].mount, sh.mount) == 0) {
			error_set(err, errlen,
			          "%s %s: %s is already the mount point of %s (give each share its "
			          "own: DIR:/MOUNT)",
			          opt, spec, sh.mount, list[i].dir);
			free(sh.dir);
			return -1;
		}
	}
	list[(*n)++] = sh;
	return 0;
}

void share_free(struct share *list, int n)
{
	for (int i = 0; i < n; i++) {
		free(list[i].dir);
		list[i].dir = NULL;
	}
}

void share_tag(int i, char *buf, size_t len)
{
	snprintf(buf, len, SHARE_TAG_PREFIX "%d", i);
}

int share_append_mounts_word(const struct share *list, int n, char *buf, size_t cap)
{
	if (n == 0)
		return 0;
	size_t len = sizeof(SHARE_MOUNTS_KEY) + (size_t)n * (SHARE_MOUNT_MAX + 16);
	char *word = malloc(len);
	if (!word)
		return -1;
	size_t k = (size_t)snprintf(word, len, "%s=", SHARE_MOUNTS_KEY);
	for (int i = 0; i < n; i++) {
		char tag[SHARE_TAG_LEN];
		share_tag(i, tag, sizeof(tag));
		k += (size_t)snprintf(word + k, len - k, "%s%s:%s:%s", i ? "," : "", tag,
		                      list[i].mount, list[i].writable ? "rw" : "ro");
	}
	int rc = cmdline_append_word(buf, cap, word);
	free(word);
	return rc;
}
