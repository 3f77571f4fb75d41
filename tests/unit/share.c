/* Shares (common/share.c): `--share DIR[:rw][:/MOUNT]` and `-d DIR` as `toro run` parses them
 * (tools/options.c), every refusal, and the toro.mounts word as the kernel splits it
 * (kernel/core/cmdline.c), mount points with spaces and quotes included. */
// clang-format off
// SOURCES: kernel/core/cmdline.c tools/options.c common/cmdline.c common/error.c common/share.c
// clang-format on
#include <kernel/cmdline.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cmdline.h"
#include "share.h"
#include "toro.h"

static char dir[64], file[96], spaced[96];

static int parse(struct run_options *o, char *err, size_t errlen, int n, ...)
{
	char *argv[16];
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	return parse_run_options(n, argv, o, err, errlen);
}

/* The error for one --share value, "" when accepted. */
static const char *refusal(const char *spec)
{
	static char err[512];
	struct run_options o;
	err[0] = '\0';
	if (parse(&o, err, sizeof(err), 3, "img.elf", "--share", spec) == 0)
		err[0] = '\0';
	run_options_free(&o);
	return err;
}

static int refused_with(const char *spec, const char *words)
{
	const char *e = refusal(spec);
	if (!strstr(e, words)) {
		fprintf(stderr, "--share %s: got \"%s\", want \"%s\"\n", spec, e, words);
		return 0;
	}
	return 1;
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/share-test-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(file, sizeof(file), "%s/file", dir);
	snprintf(spaced, sizeof(spaced), "%s/my dir", dir);
	FILE *f = fopen(file, "w");
	if (f)
		fclose(f);
	mkdir(spaced, 0755);

	struct run_options o;
	char err[512], spec1[200], spec2[200], spec3[200];
	snprintf(spec1, sizeof(spec1), "%s:rw:/mnt//data/", dir);
	snprintf(spec2, sizeof(spec2), "%s:ro:/my \"place\"", spaced);
	CHECK(parse(&o, err, sizeof(err), 6, "img.elf", "-d", dir, "--share", spec1, "--share=x") ==
	      -1); /* a third at... x does not exist */
	run_options_free(&o);
	CHECK(parse(&o, err, sizeof(err), 7, "img.elf", "-d", dir, "--share", spec1, "--share",
	            spec2) == 0);
	CHECK(o.nshares == 3);
	if (o.nshares == 3) {
		CHECK_STR(o.shares[0].dir, dir);
		CHECK_STR(o.shares[0].mount, "/");
		CHECK(!o.shares[0].writable);
		CHECK_STR(o.shares[1].mount, "/mnt/data");
		CHECK(o.shares[1].writable);
		CHECK_STR(o.shares[2].dir, spaced);
		CHECK_STR(o.shares[2].mount, "/my \"place\"");
		CHECK(!o.shares[2].writable);
	}
	/* The word, as the kernel splits it. */
	char line[2048] = "virtio_mmio.device=4K@0xd0000000:5";
	CHECK(share_append_mounts_word(o.shares, o.nshares, line, sizeof(line)) == 0);
	char *cursor = line;
	CHECK_STR(cmdline_next_word(&cursor), "virtio_mmio.device=4K@0xd0000000:5");
	CHECK_STR(cmdline_next_word(&cursor),
	          "toro.mounts=share0:/:ro,share1:/mnt/data:rw,share2:/my \"place\":ro");
	CHECK(cmdline_next_word(&cursor) == NULL);
	char tiny[20] = "";
	CHECK(share_append_mounts_word(o.shares, o.nshares, tiny, sizeof(tiny)) == -1);
	char none[8] = "";
	CHECK(share_append_mounts_word(o.shares, 0, none, sizeof(none)) == 0 && none[0] == '\0');
	char tag[SHARE_TAG_LEN];
	share_tag(1, tag, sizeof(tag));
	CHECK_STR(tag, "share1");
	run_options_free(&o);

	/* Refusals, each one line naming the value. */
	CHECK(refused_with("/nonexistent-dir", "/nonexistent-dir: No such file or directory"));
	CHECK(refused_with(file, ": not a directory"));
	snprintf(spec3, sizeof(spec3), "%s:/a,b", dir);
	CHECK(refused_with(spec3, "contains ',' or ':'"));
	snprintf(spec3, sizeof(spec3), "%s:/a:b", dir);
	CHECK(refused_with(spec3, "contains ',' or ':'"));
	snprintf(spec3, sizeof(spec3), "%s:rw:mnt", dir);
	CHECK(refused_with(spec3, "mount point 'mnt' must be absolute"));
	snprintf(spec3, sizeof(spec3), "%s:/a/../b", dir);
	CHECK(refused_with(spec3, "'.' or '..' component"));
	CHECK(refused_with(":rw", "no directory given"));
	CHECK(refused_with("", "no directory given"));
	snprintf(spec3, sizeof(spec3), "%s:ro:/", dir);
	CHECK(refusal(spec3)[0] == '\0');
	CHECK(parse(&o, err, sizeof(err), 5, "img.elf", "-d", dir, "--share", spec3) == -1);
	CHECK(strstr(err, "/ is already the mount point of") != NULL);
	run_options_free(&o);
	/* At most SHARE_MAX. */
	char *many[2 + 2 * (SHARE_MAX + 1)];
	char specs[SHARE_MAX + 1][200];
	int n = 0;
	many[n++] = "img.elf";
	for (int i = 0; i <= SHARE_MAX; i++) {
		snprintf(specs[i], sizeof(specs[i]), "%s:/m%d", dir, i);
		many[n++] = "-d";
		many[n++] = specs[i];
	}
	CHECK(parse_run_options(n, many, &o, err, sizeof(err)) == -1);
	CHECK(strstr(err, "at most 8 shares") != NULL);
	run_options_free(&o);

	rmdir(spaced);
	unlink(file);
	rmdir(dir);
	return check_summary("share");
}
