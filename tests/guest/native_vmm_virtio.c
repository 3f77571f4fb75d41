/* Console output through the built-in monitor's virtio-mmio transport and virtio-console device:
 * with --console virtio the kernel finds the device from the command line the monitor wrote
 * (virtio_mmio.device=4K@0xd0000000:5) and prints through it; --stats must show MMIO exits (the
 * transport at work) and the lines must arrive whole and in order. */
// BUILD: --native --no-fpu
// VMMS: toro
// clang-format off
// CASE: console | --console virtio --stats -- 200 | 0 | ^line 000$ && ^line 199$ && ^all lines sent$ && VM exits +[0-9]+: .*mmio [0-9]+
// Without --console virtio there is no virtio device and COM1 carries everything: port I/O only.
// CASE: serial | --console serial --stats -- 3 | 0 | ^line 002$ && VM exits +[0-9]+: io [0-9]+ \(
// clang-format on
#include <toro/console.h>

#include "native_test.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? to_int(argv[1]) : 1;
	for (int i = 0; i < n; i++)
		toro_printf("line %03d\n", i);
	toro_printf("all lines sent\n");
	return 0;
}
