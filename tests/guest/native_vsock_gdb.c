/* tests/guest/native_vsock.c built with -g, so with the gdb stub and its vsock line: for
 * tests/e2e/gdb-vsock.sh, the program's own vsock connection while gdb, on the same device,
 * stops the machine. The case here runs it without gdb: the stub costs the program nothing. */
// BUILD: --native --no-fpu -g
// CASE: nodevice | -- nodevice | 0 | ^cid 0$ && ^listen: -19$ && ^connect: -19$ && ^done$
#include "native_vsock.c"
