/* Native boot, console, arguments and exit codes. Arguments: none prints a greeting;
 * "exit N" returns N from main; "exitcall N" calls toro_exit(N); anything else is echoed. */
// BUILD: --native --no-fpu
// CASE: boot | | 0 | ^native boot ok$ && ^argc=1$ && ^argv\[0\]=native_basic$
// CASE: args | -- a "b c" "" d | 0 | ^argc=5$ && ^argv\[1\]=<a>$ && ^argv\[2\]=<b c>$ && ^argv\[3\]=<>$ && ^argv\[4\]=<d>$
// CASE: exit-0 | -- exit 0 | 0 | ^native boot ok$
// CASE: exit-1 | -- exit 1 | 1 |
// CASE: exit-42 | -- exit 42 | 42 |
// CASE: exit-255 | -- exit 255 | 255 |
// CASE: toro-exit-7 | -- exitcall 7 | 7 |
// CASE: mem-2M | --mem 2M | 0 | ^native boot ok$
// CASE: mem-128M | --mem 128M | 0 | ^native boot ok$
// CASE: mem-4G | --mem 4G | 0 | ^native boot ok$
// CASE: format | -- format | 0 | ^\[  -42\|-42  \|00042\|0x2a\|ff\|1234567890123\|str  \|  x\|%\]$
#include <toro/console.h>
#include <toro/system.h>

#include "native_test.h"

int main(int argc, char **argv)
{
	toro_printf("native boot ok\n");
	toro_printf("argc=%d\n", argc);
	if (argc == 1) {
		toro_printf("argv[0]=%s\n", argv[0]);
		return 0;
	}
	if (argc == 3 && streq(argv[1], "exit"))
		return to_int(argv[2]);
	if (argc == 3 && streq(argv[1], "exitcall"))
		toro_exit(to_int(argv[2]));
	if (argc == 2 && streq(argv[1], "format")) {
		toro_printf("[%5d|%-5d|%05d|%#x|%lx|%llu|%-5s|%3c|%%]\n", -42, -42, 42, 42, 255ul,
			    1234567890123ull, "str", 'x');
		return 0;
	}
	for (int i = 1; i < argc; i++)
		toro_printf("argv[%d]=<%s>\n", i, argv[i]);
	if (argv[argc] != 0)
		return 99;
	return 0;
}
