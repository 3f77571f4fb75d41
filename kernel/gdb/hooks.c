/* How the gdb stub gets into an image without costing the others a byte: `toro build -g`
 * links with -u toro_gdb and wraps a few calls (--wrap, tools/link.c), which land here. */
#include "gdb_private.h"

#include <kernel/arch.h>
#include <kernel/cmdline.h>
#include <kernel/irq.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <kernel/time.h>

const int toro_gdb = 1;

void __real_drivers_init(void);
struct thread *__real_thread_alloc(struct cpu *c, size_t stack_size, void (*start)(void));
_Noreturn void __real_sched_exit(struct thread *t);
_Noreturn void __real_arch_exit(int code, uint16_t debugcon_port);
void __real_arch_timer_arm(uint64_t tsc_deadline);
void __real_irq_dispatch(unsigned vector);

/* COM2: read while stopped, and by its interrupt or core 0's timer while the program runs. */
static const struct gdb_transport com2 = {
    .name = "COM2",
    .getc = arch_gdb_getc,
    .write = arch_gdb_write,
    .poll = arch_gdb_poll_interrupt,
};

/* The boot's last step before the application: every core is up and the drivers started. */
void __wrap_drivers_init(void)
{
	__real_drivers_init();
	for (int i = 0; i < cmdline_option_count; i++) {
		const char *v = cmdline_option_value(cmdline_options[i], "toro.gdb");
		if (!v)
			continue;
		gdb_thread_add(thread_current());
		if (strcmp(v, "com2") == 0) {
			if (arch_gdb_com2_init() == 0)
				gdb_start(&com2);
			else
				printk("gdb: toro.gdb=com2 but there is no COM2; not waiting for "
				       "gdb\n");
		} else if (strncmp(v, "vsock:", 6) == 0) {
			gdb_vsock_start(v + 6);
		} else {
			printk(
			    "gdb: toro.gdb=%s: expected com2 or vsock:PORT; not waiting for gdb\n",
			    v);
		}
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

/* Ctrl-C and a new gdb without COM2's interrupt (a monitor whose COM2 raises none): while the
 * stub watches its line (attached or not), core 0's one-shot timer also fires every
 * GDB_POLL_NS, and its interrupt looks at the line (gdb_transport->poll). The scheduler's own
 * deadline is kept and armed whenever it comes first. */
#define GDB_POLL_NS 50000000ull

static uint64_t sched_deadline[CPU_MAX]; /* the scheduler's deadline (TSC), 0 if none */

static void timer_arm(struct cpu *c)
{
	uint64_t d = sched_deadline[c->id];
	if (c->id == 0 && gdb_listening) {
		uint64_t poll = time_ns_to_tsc(time_monotonic_ns() + GDB_POLL_NS);
		if (!d || poll < d)
			d = poll;
	}
	__real_arch_timer_arm(d);
}

void gdb_poll_start(void)
{
	timer_arm(this_cpu());
}

void __wrap_arch_timer_arm(uint64_t tsc_deadline)
{
	struct cpu *c = this_cpu();
	sched_deadline[c->id] = tsc_deadline;
	timer_arm(c);
}

void __wrap_irq_dispatch(unsigned vector)
{
	__real_irq_dispatch(vector);
	struct cpu *c = this_cpu();
	if (vector != IRQ_VECTOR_TIMER || c->id != 0 || !gdb_listening)
		return;
	gdb_transport->poll();
	if (sched_deadline[0] && arch_timestamp() >= sched_deadline[0])
		sched_deadline[0] = 0; /* it has fired: the scheduler arms the next one */
	timer_arm(c);
}
