/* The native file API (include/toro/file.h, kernel/api/file_api.c) with no share: the kernel's
 * /dev nodes, directory listing, stat, and the errors (ENOENT for a file no share holds, EROFS
 * for changes where there is no share). tests/e2e/files.sh runs it on shares too. The exit
 * status is the number of failed checks. */
// BUILD: --native --no-fpu
// CASE: noshare | -- noshare | 0 | ^dev-zero: ok$ && ^enoent: ok$ && ^readdir-dev: ok$ && ^checks: [0-9]+ passed, 0 failed$
#include <toro/console.h>
#include <toro/file.h>

#include "native_test.h"

static int passed, failed;

static void check(const char *name, int ok, long rc)
{
	if (ok)
		toro_printf("%s: ok\n", name);
	else
		toro_printf("%s: FAIL (got %ld)\n", name, rc);
	ok ? passed++ : failed++;
}

static void test_noshare(void)
{
	toro_file *f;
	char buf[64];
	int r = toro_file_open("/dev/zero", TORO_O_RDONLY, 0, &f);
	long n = r ? r : toro_file_read(f, buf, sizeof(buf));
	int zero = n == (long)sizeof(buf);
	for (unsigned i = 0; zero && i < sizeof(buf); i++)
		zero = buf[i] == 0;
	check("dev-zero", zero, n);
	if (!r)
		toro_file_close(f);
	r = toro_file_open("dev/null", TORO_O_RDWR, 0, &f);
	check("dev-null-relative", r == 0 && toro_file_write(f, "x", 1) == 1 && toro_file_read(f, buf, 1) == 0,
	      r);
	if (!r)
		toro_file_close(f);
	check("enoent", toro_file_open("/etc/passwd", TORO_O_RDONLY, 0, &f) == -TORO_ENOENT, 0);
	check("enoent-dotdot", toro_file_open("/../../etc/passwd", TORO_O_RDONLY, 0, &f) == -TORO_ENOENT,
	      0);
	check("mkdir-erofs", toro_mkdir("/x", 0755) == -TORO_EROFS, 0);
	check("unlink-enoent", toro_unlink("/nothing") == -TORO_ENOENT, 0);
	check("rename-erofs", toro_rename("/dev/null", "/dev/null2") == -TORO_EROFS, 0);
	check("bad-flags", toro_file_open("/dev/null", 3, 0, &f) == -TORO_EINVAL, 0);
	struct toro_stat st;
	r = toro_stat("/dev", &st);
	check("stat-dir", r == 0 && (st.mode & TORO_S_IFMT) == TORO_S_IFDIR, r);
	r = toro_stat("/dev/urandom", &st);
	check("stat-chr", r == 0 && (st.mode & TORO_S_IFMT) == TORO_S_IFCHR, r);

	r = toro_file_open("/dev", TORO_O_RDONLY | TORO_O_DIRECTORY, 0, &f);
	int seen = 0;
	struct toro_dirent ents[2];
	long got;
	while (r == 0 && (got = toro_readdir(f, ents, 2)) > 0)
		for (long i = 0; i < got; i++)
			seen += streq(ents[i].name, "null") || streq(ents[i].name, "zero") ||
			        streq(ents[i].name, "urandom") || streq(ents[i].name, ".");
	check("readdir-dev", seen == 4, seen);
	if (!r)
		toro_file_close(f);
	check("fs-requests-noshare", toro_fs_requests("/", TORO_FS_REQ_READ) == -TORO_ENOENT, 0);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && streq(argv[1], "noshare"))
		test_noshare();
	else
		check("arguments", 0, argc);
	toro_printf("checks: %d passed, %d failed\n", passed, failed);
	return failed;
}
