/* Cases for tests/e2e/harness.sh (TEST_GUEST_DIR): one case in each monitor, both right, for
 * the run with TEST_KVM=none. Not built. */
// CASE: right | -- a "b c" "" d | 0 | ^argc=5$ && ^argv\[2\]=<b c>$ && ^argv\[3\]=<>$
