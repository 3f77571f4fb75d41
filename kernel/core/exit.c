/* Ending the VM: kernel_exit (the application's exit, toro_exit, fault reports) delivers the
 * consoles' output first; panic reports a kernel error with a backtrace and ends the VM. */
#include <kernel/kernel.h>

#include <kernel/arch.h>
#include <kernel/console.h>
#include <kernel/printk.h>
#include <kernel/symbols.h>
#include <toro/abi/image.h>
#include <toro/system.h>

uint16_t kernel_debugcon_port;

_Noreturn void kernel_exit(int code)
{
	console_flush();
	arch_exit(code & 0xff, kernel_debugcon_port);
}

_Noreturn void toro_exit(int code)
{
	kernel_exit(code);
}

_Noreturn void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printk("\n*** kernel panic: ");
	vprintk_stream(CONSOLE_ERR, fmt, ap);
	va_end(ap);
	printk("\n");
	backtrace_print((uintptr_t)__builtin_return_address(0), arch_frame_pointer());
	kernel_exit(TORO_EXIT_PANIC);
}
