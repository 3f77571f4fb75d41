/* A guest that triple-faults on purpose: with an empty IDT, ud2 raises #UD, whose delivery
 * fails (#GP, then #DF), which is a triple fault. The built-in monitor must say "guest triple
 * fault", print the registers and exit with 3. (QEMU resets instead, so only our monitor.) KVM on
 * AMD resets the vCPU before the monitor can read it: then the report must say the registers are
 * lost and show the state at the previous exit (the port write of the line below), as such. */
// BUILD: --native --no-fpu
// VMMS: toro
// clang-format off
// CASE: triple-fault | --console serial | 3 | ^about to triple-fault$ && guest triple fault on vCPU 0 && (RIP [0-9a-f]{16} \(triple_fault\+0x|the registers at the fault are lost) && (IDT 0/0|last known state, at the vCPU's previous exit \(io\): RIP [0-9a-f]{16} \([a-z_]+\+0x)
// clang-format on
#include <toro/console.h>

#include <stdint.h>

struct idt_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

__attribute__((noinline, noclone)) static void triple_fault(void)
{
	static const struct idt_pointer empty = {0, 0};
	__asm__ volatile("cli; lidt %0; ud2" : : "m"(empty));
}

int main(void)
{
	toro_printf("about to triple-fault\n");
	triple_fault();
	toro_printf("still alive\n");
	return 1;
}
