/* Console throughput: prints argv[1] bytes (default 1 MiB) to stdout in 4 KiB writes and exits;
 * bench/console.sh times it through COM1 and through the virtio console. Native, so it runs
 * under both monitors on any host. */
#include <toro/console.h>

static char line[4096];

static unsigned long parse(const char *s)
{
	unsigned long v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (unsigned long)(*s++ - '0');
	return v;
}

int main(int argc, char **argv)
{
	unsigned long total = argc > 1 ? parse(argv[1]) : 1ul << 20;
	for (unsigned i = 0; i < sizeof(line); i++)
		line[i] = (i + 1) % 64 == 0 ? '\n' : (char)('a' + i % 26);
	for (unsigned long done = 0; done < total;) {
		unsigned long n = total - done < sizeof(line) ? total - done : sizeof(line);
		toro_write(line, n);
		done += n;
	}
	return 0;
}
