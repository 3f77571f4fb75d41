/* How the gdb stub gets into an image without costing the others a byte: `toro build -g`
 * links with -u toro_gdb and wraps a few calls (--wrap, tools/link.c), which land here. */
#include "gdb_private.h"

#include <kernel/arch.h>
#include <kernel/cmdline.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/string.h>

const int toro_gdb = 1;

void __real_drivers_init(void);
struct thread *__real_thread_alloc(struct cpu *c, size_t stack_size, void (*start)(void));
_Noreturn void __real_sched_exit(struct thread *t);
_Noreturn void __real_arch_exit(int code, uint16_t debugcon_port);

/* The boot's last step before the application: every core is up and the drivers started. */
void __wrap_drivers_init(void)
{
	__real_drivers_init();
	for (int i = 0; i < cmdline_option_count; i++) {
		const char *v = cmdline_option_value(cmdline_options[i], "toro.gdb");
		if (!v)
			continue;
		gdb_thread_add(thread_current());
		if (strcmp(v, "com2") == 0)
			gdb_start();
		else
			printk(
			    "gdb: toro.gdb=%s: the only transport is com2; not waiting for gdb\n",
			    v);
	}
}

struct thread *__wrap_thread_alloc(struct cpu *c, size_t stack_size, void (*start)(void))
{
	struct thread *t = __real_thread_alloc(c, stack_size, start);
	if (t)
		gdb_thread_add(t);
	return t;
}

_Noreturn void __wrap_sched_exit(struct thread *t)
{
	gdb_thread_remove(t);
	__real_sched_exit(t);
}

_Noreturn void __wrap_arch_exit(int code, uint16_t debugcon_port)
{
	gdb_report_exit(code);
	__real_arch_exit(code, debugcon_port);
}
