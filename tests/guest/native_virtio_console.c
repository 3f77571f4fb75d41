/* Console output through the virtio console (`toro run --console virtio`), against COM1 by
 * default. Prints "console=NAME" first, then per argument: "burst N" writes N lines of 80 bytes
 * in one toro_write call, "lines N" the same with one toro_printf per line (one notification
 * each), "tail" a last line and returns 7 at once (the exit path must deliver it), "exitcall"
 * the same through toro_exit, "fault" a page fault whose report must arrive. Every line of a
 * burst carries its number and a fixed tail, so tests/e2e/virtio-console.sh can check that all
 * arrived, whole and in order. */
// BUILD: --native --no-fpu
// CASE: serial | --console serial | 0 | ^console=serial$ && ^done$
// CASE: virtio-default | | 0 | ^console=virtio$ && ^done$
// CASE: virtio | --console virtio | 0 | ^console=virtio$ && ^done$
// CASE: virtio-burst | --console virtio -- burst 2500 | 0 | ^console=virtio$ && ^burst 02499 x{66}\.$ && ^done$
// CASE: virtio-lines | --console virtio -- lines 3000 | 0 | ^burst 00000 x{66}\.$ && ^burst 02999 x{66}\.$ && ^done$
// CASE: virtio-tail | --console virtio -- burst 300 tail | 7 | ^burst 00299 x{66}\.$ && ^last line before exit$
// CASE: virtio-exitcall | --console virtio -- lines 100 exitcall | 9 | ^burst 00099 x{66}\.$ && ^last line before toro_exit$
// CASE: virtio-fault | --console virtio -- fault | 142 | ^console=virtio$ && page fault \(#PF\) && <read_unmapped\+0x
#include <toro/console.h>
#include <toro/system.h>

#include "native_test.h"

#define LINE_BYTES 80
#define MAX_LINES  4000

static char burst[MAX_LINES * LINE_BYTES];

/* "burst NNNNN " + 'x' * 62 + ".\n": 80 bytes, numbered so loss or reordering shows. */
static void format_line(char *out, int n)
{
	const char prefix[] = "burst ";
	int i = 0;
	for (; prefix[i]; i++)
		out[i] = prefix[i];
	for (int d = 4; d >= 0; d--, n /= 10)
		out[i + d] = (char)('0' + n % 10);
	i += 5;
	out[i++] = ' ';
	while (i < LINE_BYTES - 2)
		out[i++] = 'x';
	out[i++] = '.';
	out[i] = '\n';
}

__attribute__((noinline, noclone)) static long read_unmapped(void)
{
	volatile long *p = (volatile long *)0x8000000000ul;
	return *p;
}

int main(int argc, char **argv)
{
	toro_printf("console=%s\n", toro_console_name());
	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "burst") && i + 1 < argc) {
			int n = to_int(argv[++i]);
			if (n > MAX_LINES)
				return 99;
			for (int k = 0; k < n; k++)
				format_line(burst + k * LINE_BYTES, k);
			toro_write(burst, (size_t)n * LINE_BYTES);
		} else if (streq(argv[i], "lines") && i + 1 < argc) {
			int n = to_int(argv[++i]);
			char line[LINE_BYTES + 1];
			line[LINE_BYTES] = '\0';
			for (int k = 0; k < n; k++) {
				format_line(line, k);
				toro_printf("%s", line);
			}
		} else if (streq(argv[i], "tail")) {
			toro_printf("last line before exit\n");
			return 7;
		} else if (streq(argv[i], "exitcall")) {
			toro_printf("last line before toro_exit\n");
			toro_exit(9);
		} else if (streq(argv[i], "fault")) {
			return (int)read_unmapped();
		} else {
			return 98;
		}
	}
	toro_printf("done\n");
	return 0;
}
