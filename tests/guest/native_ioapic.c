/* A device interrupt through the IOAPIC to a chosen core: COM1's "transmitter empty" interrupt
 * (ISA IRQ 4) is routed with the kernel's irq_register, and each byte sent raises it again. In
 * both monitors. */
// BUILD: --native --no-fpu
// CASE: core-0 | --cpus 1 -- 0 | 0 | ^irq 4 on core 0: [1-9][0-9]* interrupts, all on core$
// CASE: core-1 | --cpus 2 -- 1 | 0 | ^irq 4 on core 1: [1-9][0-9]* interrupts, all on core$
#include <toro/console.h>
#include <toro/thread.h>

#include <stdint.h>

#include "native_test.h"

/* Kernel-internal (kernel/include/kernel/irq.h); a test image may call it, applications have
 * no need to. */
typedef void (*irq_handler)(void *ctx);
int irq_register(unsigned irq, unsigned cpu, irq_handler handler, void *ctx);

#define COM1_IRQ  4
#define COM1_IER  0x3f9
#define COM1_IIR  0x3fa
#define IER_THRE  0x02

static volatile unsigned interrupts, wrong_core;
static unsigned want_core;

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void on_com1(void *ctx)
{
	(void)ctx;
	(void)inb(COM1_IIR); /* reading IIR clears the "transmitter empty" condition */
	interrupts++;
	if (toro_core_id() != want_core)
		wrong_core++;
}

int main(int argc, char **argv)
{
	want_core = argc > 1 ? (unsigned)to_int(argv[1]) : 0;
	if (irq_register(COM1_IRQ, want_core, on_com1, 0) != 0) {
		toro_printf("irq_register failed\n");
		return 1;
	}
	outb(COM1_IER, IER_THRE);
	for (int i = 0; i < 5; i++) {
		toro_printf(".");
		toro_sleep_ms(2);
	}
	outb(COM1_IER, 0);
	toro_sleep_ms(2);
	toro_printf("\nirq %d on core %u: %u interrupts, %s\n", COM1_IRQ, want_core, interrupts,
	            wrong_core ? "SOME ON ANOTHER CORE" : "all on core");
	return interrupts ? 0 : 2;
}
