/* Clocks from the time stamp counter. Its rate comes from kvmclock where the hypervisor offers
 * it, else from CPUID (leaves 0x15, 0x16, 0x40000010), else it is measured against the LAPIC
 * timer, whose input clock QEMU and KVM run at 1 GHz. The TSC is taken to be invariant (every
 * monitor we target offers that). */
#include <kernel/time.h>

#include <kernel/arch.h>
#include <kernel/printk.h>

#define NSEC_PER_SEC 1000000000ull

static uint64_t time_tsc_hz;
static uint64_t tsc_at_boot;
static uint64_t realtime_offset_ns;

void time_boot(void)
{
	tsc_at_boot = arch_timestamp();
}

/* Done on first use, not at boot: measuring may take a millisecond that a program which never
 * asks the time should not pay. */
static void time_init(void)
{
	uint64_t hz = arch_kvmclock_tsc_hz();
	if (!hz)
		hz = arch_tsc_hz();
	if (!hz)
		hz = arch_tsc_calibrate();
	if (!hz)
		panic("cannot determine the TSC frequency");
	/* The timer learns the rate before the clocks publish it: a core that finds time_tsc_hz
	 * set may arm its timer at once. */
	arch_timer_init(hz);
	time_tsc_hz = hz;
}

uint64_t time_monotonic_ns(void)
{
	if (!time_tsc_hz)
		time_init();
	uint64_t ticks = arch_timestamp() - tsc_at_boot;
	/* 128-bit product: no overflow for centuries of uptime at any frequency. */
	return arch_mul_div(ticks, NSEC_PER_SEC, time_tsc_hz);
}

uint64_t time_ns_to_tsc(uint64_t ns)
{
	if (!time_tsc_hz)
		time_init();
	return tsc_at_boot + arch_mul_div(ns, time_tsc_hz, NSEC_PER_SEC);
}

uint64_t time_realtime_ns(void)
{
	return realtime_offset_ns + time_monotonic_ns();
}

void time_set_boot_realtime(uint64_t realtime_ns)
{
	/* Monotonic time counts from boot, so the wall clock at boot is the offset itself. */
	realtime_offset_ns = realtime_ns;
}
