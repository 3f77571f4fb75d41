/* Where the TSC rate comes from: kvmclock's scale factors (KVM's paravirtual clock, offered in
 * the hypervisor CPUID leaves), or a measurement against the LAPIC timer. */
#include <kernel/arch.h>

#include "apic.h"
#include "io.h"
#include <kernel/time.h>

#define CPUID_HYPERVISOR         0x40000000
#define CPUID_KVM_FEATURES       0x40000001
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define MSR_KVM_SYSTEM_TIME_NEW  0x4b564d01
#define KVM_SYSTEM_TIME_ENABLE   1
#define LAPIC_BUS_HZ             1000000000ull /* QEMU and KVM */

struct pvclock_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};
_Static_assert(sizeof(struct pvclock_time_info) == 32, "pvclock layout");

static int hypervisor_is_kvm(void)
{
	uint32_t r[4];
	cpuid(CPUID_HYPERVISOR, 0, r);
	return r[1] == 0x4b4d564b && r[2] == 0x564b4d56 && r[3] == 0x4d; /* "KVMKVMKVM\0\0\0" */
}

uint64_t arch_kvmclock_tsc_hz(void)
{
	static struct pvclock_time_info info __attribute__((aligned(64)));
	uint32_t r[4];
	if (!hypervisor_is_kvm())
		return 0;
	cpuid(CPUID_KVM_FEATURES, 0, r);
	if (!(r[0] & KVM_FEATURE_CLOCKSOURCE2))
		return 0;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uintptr_t)&info | KVM_SYSTEM_TIME_ENABLE);
	uint32_t mul;
	int8_t shift;
	uint32_t version;
	do {
		version = __atomic_load_n(&info.version, __ATOMIC_ACQUIRE);
		mul = info.tsc_to_system_mul;
		shift = info.tsc_shift;
	} while ((version & 1) || version != __atomic_load_n(&info.version, __ATOMIC_ACQUIRE));
	/* Only the scale is needed: stop the hypervisor from updating the structure. */
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
	if (mul == 0)
		return 0;
	/* ns = (ticks << shift) * mul >> 32, so ticks per second = 1e9 << 32 / mul >> shift
	 * (below 2^63 for any mul). */
	uint64_t hz = arch_mul_div(NSEC_PER_SEC, 1ull << 32, mul);
	return shift >= 0 ? hz >> shift : hz << -shift;
}

uint64_t arch_tsc_calibrate(void)
{
	uint64_t ticks = apic_count_ticks(APIC_CALIBRATION_TICKS);
	return ticks ? ticks * (LAPIC_BUS_HZ / APIC_CALIBRATION_TICKS) : 0;
}
