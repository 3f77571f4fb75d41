/* A POSIX program's output through the virtio console: stdio buffers flushed by exit() go out
 * through write(2) and must arrive before the VM ends; one large write(2) goes out whole. */
// BUILD:
// CASE: virtio-stdio | --console virtio -- 2000 | 5 | ^line 0000 of 2000$ && ^line 1999 of 2000$ && ^big write ok [0-9]+ bytes$ && ^last buffered line$
// CASE: serial-stdio | -- 20 | 5 | ^line 0019 of 20$ && ^last buffered line$
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char big[150000];

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;
	for (int i = 0; i < n; i++)
		printf("line %04d of %d\n", i, n);
	fflush(stdout);

	/* One write(2) far larger than the console's transmit buffers, ending in a marker line. */
	memset(big, '.', sizeof(big));
	for (size_t i = 99; i < sizeof(big); i += 100)
		big[i] = '\n';
	int len = snprintf(big + sizeof(big) - 64, 64, "\nbig write ok %zu bytes\n", sizeof(big));
	ssize_t w = write(1, big, sizeof(big) - 64 + (size_t)len);
	if (w != (ssize_t)(sizeof(big) - 64 + (size_t)len))
		return 1;

	/* Left in stdio's buffer: exit() flushes it, then the kernel must deliver it. */
	printf("last buffered line\n");
	exit(5);
}
