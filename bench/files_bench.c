/* File benchmarks for bench/files.sh: one POSIX program built for the guest (toro build) and for
 * the host (cc), run on the same directory. DIR holds "big" (read whole twice in BUF-byte reads:
 * the first read is cold in the guest, every byte through virtio-fs, the second hot, from the
 * page cache) and "many/f00000"... (COUNT files: stat of each once, names not seen before, then
 * COUNT stats of the first 100 again and again, names in the cache). Prints one line per phase:
 * "NAME: NANOSECONDS ns, OPS ops, BYTES bytes". bench/icount/ counts guest instructions between
 * each phase's marker functions. Integers and write() only, no stdio or floating point, so that
 * it builds with --no-fpu and runs in a software KVM (kvm_pvm) too.
 * Usage: files_bench DIR BUF COUNT */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Marker functions: distinct bodies, so that no two are folded into one address. */
static volatile int phase;
#define MARK(name, n)                                                                              \
	__attribute__((noinline)) void bench_files_##name(void)                                    \
	{                                                                                          \
		phase = n;                                                                         \
	}
MARK(cold_begin, 1)
MARK(cold_end, 2)
MARK(hot_begin, 3)
MARK(hot_end, 4)
MARK(stat_new_begin, 5)
MARK(stat_new_end, 6)
MARK(stat_cached_begin, 7)
MARK(stat_cached_end, 8)

static uint64_t now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void append(char *line, size_t *len, const char *text)
{
	size_t n = strlen(text);
	memcpy(line + *len, text, n);
	*len += n;
}

static void append_number(char *line, size_t *len, uint64_t v)
{
	char digits[20];
	int d = 0;
	do
		digits[d++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (d)
		line[(*len)++] = digits[--d];
}

/* A message on stderr, then the exit status. */
static int fail(const char *what, const char *detail, int status)
{
	char line[700];
	size_t len = 0;
	append(line, &len, "files_bench: ");
	append(line, &len, what);
	append(line, &len, detail);
	append(line, &len, "\n");
	if (write(2, line, len) < 0)
		return 3;
	return status;
}

static void report(const char *name, uint64_t t0, uint64_t ops, uint64_t bytes)
{
	char line[160];
	size_t len = 0;
	append(line, &len, name);
	append(line, &len, ": ");
	append_number(line, &len, now() - t0);
	append(line, &len, " ns, ");
	append_number(line, &len, ops);
	append(line, &len, " ops, ");
	append_number(line, &len, bytes);
	append(line, &len, " bytes\n");
	if (write(1, line, len) != (ssize_t)len)
		exit(3);
}

/* Reads DIR/big to its end in buf-sized reads; returns the bytes, -1 on an error. */
static long long read_all(const char *path, char *buf, size_t size, long *reads)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail("cannot open ", path, -1);
	long long total = 0;
	ssize_t r;
	*reads = 0;
	while ((r = read(fd, buf, size)) > 0) {
		total += r;
		++*reads;
	}
	close(fd);
	return r < 0 ? fail("cannot read ", path, -1) : total;
}

/* DIR/many/fNNNNN, the digits written by hand: snprintf would cost more than a cached stat. */
static char path[512];
static size_t digits_at;

static int stat_one(long i)
{
	struct stat st;
	for (int d = 4; d >= 0; d--, i /= 10)
		path[digits_at + (size_t)d] = (char)('0' + i % 10);
	return stat(path, &st) != 0 ? fail("cannot stat ", path, -1) : 0;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return fail("usage: files_bench DIR BUF COUNT", "", 2);
	const char *dir = argv[1];
	size_t size = strtoul(argv[2], NULL, 10);
	long count = strtol(argv[3], NULL, 10);
	char *buf = malloc(size ? size : 1);
	char big[512];
	size_t dir_len = strlen(dir);
	if (!buf || size == 0 || count < 100)
		return fail("BUF must be at least 1 and COUNT at least 100", "", 2);
	if (dir_len + sizeof("/many/f00000") > sizeof(path))
		return fail("DIR is too long: ", dir, 2);
	memcpy(big, dir, dir_len);
	memcpy(big + dir_len, "/big", sizeof("/big"));
	memcpy(path, dir, dir_len);
	memcpy(path + dir_len, "/many/f00000", sizeof("/many/f00000"));
	digits_at = dir_len + sizeof("/many/f") - 1;
	long reads;
	uint64_t t0 = now();
	bench_files_cold_begin();
	long long got = read_all(big, buf, size, &reads);
	bench_files_cold_end();
	if (got < 0)
		return 1;
	report("read-cold", t0, (uint64_t)reads, (uint64_t)got);
	t0 = now();
	bench_files_hot_begin();
	got = read_all(big, buf, size, &reads);
	bench_files_hot_end();
	if (got < 0)
		return 1;
	report("read-hot", t0, (uint64_t)reads, (uint64_t)got);

	t0 = now();
	bench_files_stat_new_begin();
	for (long i = 0; i < count; i++)
		if (stat_one(i))
			return 1;
	bench_files_stat_new_end();
	report("stat-new", t0, (uint64_t)count, 0);
	for (long i = 0; i < 100; i++) /* looked up just now: in the name cache */
		if (stat_one(i))
			return 1;
	t0 = now();
	bench_files_stat_cached_begin();
	for (long i = 0; i < count; i++)
		if (stat_one(i % 100))
			return 1;
	bench_files_stat_cached_end();
	report("stat-cached", t0, (uint64_t)count, 0);
	return 0;
}
