/* The table of cores: the boot CPU's struct cpu (static, needed before any page is handed out)
 * and every core's, indexed by id. Filled by sched_init (core 0) and arch_smp_init (the rest). */
#include <kernel/cpu.h>

struct cpu boot_cpu;
struct cpu *cpus[CPU_MAX];
unsigned cpu_count = 1;
