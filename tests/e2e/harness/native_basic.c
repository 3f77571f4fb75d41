/* Cases for tests/e2e/harness.sh, which points tests/run.sh here (TEST_GUEST_DIR): they boot the
 * image built from tests/guest/native_basic.c under both monitors, and two of them expect what it
 * does not do, so the harness must report them as failures wherever each monitor runs. Not built. */
// CASE: right | -- exit 3 | 3 | ^native boot ok$
// CASE: wrong-status | -- exit 3 | 4 |
// CASE: wrong-output | -- exit 3 | 3 | ^a line it never prints$
// VMMS no-such-case: qemu
