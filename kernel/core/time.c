/* Clocks from the time stamp counter. Its frequency comes from CPUID (arch_tsc_hz); where no
 * leaf reports it, a nominal 1 GHz is assumed and a warning printed once.
 * TODO(issue 4): kvmclock and calibration against a reference timer. */
#include <kernel/time.h>

#include <kernel/arch.h>
#include <kernel/printk.h>

#define NSEC_PER_SEC    1000000000ull
#define NOMINAL_TSC_HZ  1000000000ull

static uint64_t tsc_hz, tsc_at_boot;
static uint64_t realtime_offset_ns;

static void time_init_once(void)
{
	if (tsc_hz)
		return;
	tsc_at_boot = arch_timestamp();
	tsc_hz = arch_tsc_hz();
	if (!tsc_hz) {
		printk("toro: warning: TSC frequency unknown; assuming 1 GHz, clocks may drift\n");
		tsc_hz = NOMINAL_TSC_HZ;
	}
}

uint64_t time_monotonic_ns(void)
{
	time_init_once();
	uint64_t ticks = arch_timestamp() - tsc_at_boot;
	/* 128-bit product: no overflow for centuries of uptime at any frequency. */
	return (uint64_t)((unsigned __int128)ticks * NSEC_PER_SEC / tsc_hz);
}

uint64_t time_realtime_ns(void)
{
	return realtime_offset_ns + time_monotonic_ns();
}

void time_set_realtime(uint64_t realtime_ns)
{
	realtime_offset_ns = realtime_ns - time_monotonic_ns();
}
