/* A POSIX program's output through the virtio console: stdio buffers flushed by exit() go out
 * through write(2) and must arrive before the VM ends; one large write(2) goes out whole.
 * Arguments: lines to print, then the size of the large write (default the whole buffer). Over
 * COM1 every byte is a VM exit, so the serial case writes little: in the nested VM of
 * docs/testing.md, 150 KB of COM1 writes now and then triple-faulted the guest (an emulation
 * flaw: 6 of 24 runs under load, none on other KVMs) and 3 KB hung it once. */
// BUILD:
// CASE: virtio-stdio | --console virtio -- 2000 | 5 | ^line 0000 of 2000$ && ^line 1999 of 2000$ && ^big write ok 150000 bytes$ && ^last buffered line$
// CASE: serial-stdio | -- 20 200 | 5 | ^line 0019 of 20$ && ^big write ok 200 bytes$ && ^last buffered line$
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
	size_t size = argc > 2 ? (size_t)atol(argv[2]) : sizeof(big);
	if (size < 128 || size > sizeof(big))
		return 2;
	memset(big, '.', size);
	for (size_t i = 99; i < size; i += 100)
		big[i] = '\n';
	int len = snprintf(big + size - 64, 64, "\nbig write ok %zu bytes\n", size);
	ssize_t w = write(1, big, size - 64 + (size_t)len);
	if (w != (ssize_t)(size - 64 + (size_t)len))
		return 1;

	/* Left in stdio's buffer: exit() flushes it, then the kernel must deliver it. */
	printf("last buffered line\n");
	exit(5);
}
