/* Every CPU the monitor offers comes up: a thread on each core reports the core it runs on and
 * that core's APIC id, read on the core itself from the LAPIC. */
// BUILD: --native --no-fpu
// CASE: cpus-1 | --cpus 1 | 0 | ^cores=1$ && ^core 0: apic id 0, running on 0$
// CASE: cpus-2 | --cpus 2 | 0 | ^cores=2$ && ^core 0: apic id 0, running on 0$ && ^core 1: apic id 1, running on 1$
// CASE: cpus-4 | --cpus 4 | 0 | ^cores=4$ && ^core 3: apic id 3, running on 3$
#include <toro/console.h>
#include <toro/thread.h>

static void *report(void *arg)
{
	unsigned core = (unsigned)(unsigned long)arg;
	toro_printf("core %u: apic id %ld, running on %u\n", core, (long)toro_core_apic_id(core),
		    toro_core_id());
	return 0;
}

int main(void)
{
	toro_printf("cores=%u\n", toro_core_count());
	for (unsigned i = 0; i < toro_core_count(); i++)
		toro_thread_join(toro_thread_create(i, report, (void *)(unsigned long)i, 0));
	return 0;
}
