/* Local APIC and IOAPIC (Intel SDM vol. 3 ch. 11; 82093AA datasheet). x2APIC registers are
 * MSRs 0x800 + (xAPIC offset >> 4); xAPIC registers are MMIO at the IA32_APIC_BASE address. */
#include "apic.h"

#include <kernel/arch.h>
#include <kernel/cpu.h>
#include <kernel/irq.h>
#include <kernel/cmdline.h>

#include "io.h"

#define MSR_APIC_BASE    0x1b
#define APIC_BASE_ENABLE (1u << 11)
#define APIC_BASE_X2APIC (1u << 10)
#define MSR_TSC_DEADLINE 0x6e0
#define X2APIC_MSR(reg)  (0x800 + ((reg) >> 4))

#define APIC_REG_ID          0x020
#define APIC_REG_EOI         0x0b0
#define APIC_REG_SVR         0x0f0
#define APIC_REG_ICR_LOW     0x300
#define APIC_REG_ICR_HIGH    0x310
#define APIC_REG_LVT_TIMER   0x320
#define APIC_REG_TIMER_INIT  0x380
#define APIC_REG_TIMER_COUNT 0x390
#define APIC_REG_TIMER_DIV   0x3e0

#define SVR_ENABLE             0x100
#define LVT_TIMER_TSC_DEADLINE (2u << 17)
#define LVT_MASKED             (1u << 16)
#define TIMER_DIV_1            0xb
#define ICR_INIT               0x500
#define ICR_STARTUP            0x600
#define ICR_NMI                0x400
#define ICR_LEVEL_ASSERT       0x4000
#define ICR_DELIVERY_PENDING   0x1000

#define CPUID1_ECX_X2APIC       (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)

#define IOAPIC_REGSEL      0x00
#define IOAPIC_WINDOW      0x10
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))

static int x2apic, tsc_deadline;
static uint64_t tsc_hz;               /* given by arch_timer_init, before any timer is armed */
uintptr_t ioapic_base = 0xfec00000ul; /* replaced by the MP table's or MADT's value */
static volatile uint32_t *xapic;
uint64_t apic_timer_hz;

static uint32_t apic_read(uint32_t reg)
{
	if (x2apic)
		return (uint32_t)rdmsr(X2APIC_MSR(reg));
	return xapic[reg / 4];
}

static void apic_write(uint32_t reg, uint32_t v)
{
	if (x2apic)
		wrmsr(X2APIC_MSR(reg), v);
	else
		xapic[reg / 4] = v;
}

/* The timer's normal mode: TSC-deadline where the CPU has it, else one-shot. */
static __attribute__((noinline)) void timer_mode_set(void)
{
	apic_write(APIC_REG_LVT_TIMER,
	           IRQ_VECTOR_TIMER | (tsc_deadline ? LVT_TIMER_TSC_DEADLINE : 0));
}

void apic_init(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	/* toro.xapic (a diagnostic) keeps the memory-mapped xAPIC even where x2APIC is offered. */
	x2apic = (r[2] & CPUID1_ECX_X2APIC) && !cmdline_option_given("toro.xapic");
	tsc_deadline = (r[2] & CPUID1_ECX_TSC_DEADLINE) != 0;
	uint64_t base = rdmsr(MSR_APIC_BASE);
	base |= APIC_BASE_ENABLE;
	if (x2apic)
		base |= APIC_BASE_X2APIC;
	wrmsr(MSR_APIC_BASE, base);
	xapic = (volatile uint32_t *)(uintptr_t)(base & ~0xffful);
	apic_write(APIC_REG_SVR, SVR_ENABLE | IRQ_VECTOR_SPURIOUS);
	apic_write(APIC_REG_TIMER_DIV, TIMER_DIV_1);
	timer_mode_set();
}

/* The boot CPU's LAPIC is set up on first use; application processors set theirs up as they
 * start (ap_start). */
void apic_ensure(void)
{
	struct cpu *c = this_cpu();
	if (c->apic_ready)
		return;
	apic_init();
	c->apic_id = apic_id();
	c->apic_ready = 1;
}

uint32_t apic_id(void)
{
	uint32_t id = apic_read(APIC_REG_ID);
	return x2apic ? id : id >> 24;
}

void apic_eoi(void)
{
	apic_write(APIC_REG_EOI, 0);
}

static void apic_send(uint32_t dest, uint32_t low)
{
	if (x2apic) {
		wrmsr(X2APIC_MSR(APIC_REG_ICR_LOW), ((uint64_t)dest << 32) | low);
		return;
	}
	apic_write(APIC_REG_ICR_HIGH, dest << 24);
	apic_write(APIC_REG_ICR_LOW, low);
	while (apic_read(APIC_REG_ICR_LOW) & ICR_DELIVERY_PENDING)
		__builtin_ia32_pause();
}

void apic_send_ipi(uint32_t dest, uint8_t vector)
{
	apic_send(dest, vector);
}

void apic_send_nmi(uint32_t dest)
{
	apic_send(dest, ICR_NMI);
}

void apic_send_init(uint32_t dest)
{
	apic_send(dest, ICR_INIT | ICR_LEVEL_ASSERT);
}

void apic_send_sipi(uint32_t dest, uint8_t page)
{
	apic_send(dest, ICR_STARTUP | page);
}

uint64_t apic_count_ticks(uint32_t lapic_ticks)
{
	apic_ensure();
	const uint32_t start = 0xffffffffu;
	apic_write(APIC_REG_LVT_TIMER, LVT_MASKED | IRQ_VECTOR_TIMER);
	apic_write(APIC_REG_TIMER_DIV, TIMER_DIV_1);
	apic_write(APIC_REG_TIMER_INIT, start);
	/* Scaled by the timer ticks that really passed, not lapic_ticks: a vCPU descheduled
	 * during the wait (a loaded host) overshoots by as much as the TSC runs on meanwhile, and
	 * the clock ran many times too slow. (No pause in the loop: each read is an exit.) */
	uint64_t t0 = arch_timestamp();
	uint32_t passed;
	while ((passed = start - apic_read(APIC_REG_TIMER_COUNT)) < lapic_ticks)
		;
	uint64_t tsc_ticks = arch_mul_div(arch_timestamp() - t0, lapic_ticks, passed);
	apic_write(APIC_REG_TIMER_INIT, 0);
	timer_mode_set();
	return tsc_ticks;
}

void arch_timer_init(uint64_t hz)
{
	tsc_hz = hz;
	apic_ensure(); /* tsc_deadline is only known once the LAPIC is set up */
	/* Without TSC-deadline mode the one-shot counter needs the LAPIC timer's rate: measured
	 * over ~1 ms against the TSC, whose rate is known by now. */
	if (!tsc_deadline && !apic_timer_hz)
		apic_timer_hz = arch_mul_div(APIC_CALIBRATION_TICKS, hz,
		                             apic_count_ticks(APIC_CALIBRATION_TICKS));
}

void apic_timer_arm(uint64_t deadline)
{
	if (tsc_deadline) {
		wrmsr(MSR_TSC_DEADLINE, deadline);
		return;
	}
	if (deadline == 0) {
		apic_write(APIC_REG_TIMER_INIT, 0);
		return;
	}
	uint64_t now = arch_timestamp();
	uint64_t ticks = deadline > now ? (deadline - now) * apic_timer_hz / tsc_hz : 1;
	if (ticks == 0)
		ticks = 1;
	if (ticks > 0xffffffffu)
		ticks = 0xffffffffu;
	apic_write(APIC_REG_TIMER_INIT, (uint32_t)ticks);
}

void arch_timer_arm(uint64_t tsc_deadline)
{
	apic_ensure();
	apic_timer_arm(tsc_deadline);
}

void arch_send_wake(struct cpu *c)
{
	apic_send_ipi(c->apic_id, IRQ_VECTOR_WAKE);
}

void ioapic_route(unsigned pin, uint8_t vector, uint32_t dest)
{
	volatile uint32_t *io = (volatile uint32_t *)ioapic_base;
	io[IOAPIC_REGSEL / 4] = IOAPIC_REDTBL(pin) + 1;
	io[IOAPIC_WINDOW / 4] = dest << 24;
	io[IOAPIC_REGSEL / 4] = IOAPIC_REDTBL(pin);
	io[IOAPIC_WINDOW / 4] = vector;
}
