/* Ending the VM from the CPU's side: the exit code goes to the exit port (our monitor and
 * QEMU's isa-debug-exit), then an i8042 reset is tried, then the CPU halts for good. Kept apart
 * from the CPU setup so that the end of the VM depends on nothing else in the kernel. */
#include <kernel/arch.h>

#include <toro/abi/image.h>

#include "io.h"

#define I8042_COMMAND 0x64
#define I8042_RESET   0xfe

_Noreturn void arch_exit(int code, uint16_t debugcon_port)
{
	if (debugcon_port)
		outb(debugcon_port, (uint8_t)code);
	outb(TORO_EXIT_PORT, (uint8_t)code);
	outb(I8042_COMMAND, I8042_RESET);
	for (;;)
		__asm__ volatile("cli; hlt");
}
