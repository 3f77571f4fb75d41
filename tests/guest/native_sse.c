/* A native image built without --no-fpu that executes an SSE instruction. On hardware KVM and in
 * QEMU it runs; on a software KVM that cannot emulate SSE (docs/design.md §4) the built-in monitor
 * must stop it with one line naming the instruction and the function (tests/e2e/
 * monitor-behaviour.sh covers that case; here `--vmm auto` routes it to QEMU on such hosts). */
// BUILD: --native
// VMMS: qemu
// CASE: runs | | 0 | ^sse ok$
#include <toro/console.h>

__attribute__((noinline)) void use_sse(void)
{
	__asm__ volatile("pxor %%xmm0, %%xmm0" : : : "xmm0");
}

int main(void)
{
	use_sse();
	toro_printf("sse ok\n");
	return 0;
}
