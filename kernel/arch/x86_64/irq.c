/* Interrupt dispatch for vectors 32..63: device IRQs routed through the IOAPIC, the per-core
 * timer, and the wake-up IPI. The timer and the IPI need no work here: they end a core's HLT,
 * and the scheduler then looks at its sleepers and inbox. */
#include <kernel/irq.h>

#include <kernel/cpu.h>
#include <kernel/printk.h>

#include "apic.h"

struct irq_slot {
	irq_handler handler;
	void *ctx;
};

static struct irq_slot irq_slots[IRQ_DEVICE_COUNT];

/* Bumped by paging.c when it takes access to a page away; a core that has not seen the latest
 * drops its TLB at the wake-up IPI paging.c sends. */
uint64_t paging_generation;

int irq_register(unsigned irq, unsigned cpu, irq_handler handler, void *ctx)
{
	if (irq >= IRQ_DEVICE_COUNT || cpu >= cpu_count || !cpus[cpu])
		return -1;
	apic_ensure();
	irq_slots[irq].ctx = ctx;
	__atomic_store_n(&irq_slots[irq].handler, handler, __ATOMIC_RELEASE);
	ioapic_route(irq, (uint8_t)(IRQ_VECTOR_BASE + irq), cpus[cpu]->apic_id);
	return 0;
}

void irq_dispatch(unsigned vector)
{
	struct cpu *c = this_cpu();
	switch (vector) {
	case IRQ_VECTOR_SPURIOUS:
		return; /* no EOI for spurious interrupts */
	case IRQ_VECTOR_TIMER:
		c->timer_deadline_ns = 0; /* the one-shot has fired: the idle loop re-arms it */
		break;
	case IRQ_VECTOR_WAKE:
		if (c->paging_seen != __atomic_load_n(&paging_generation, __ATOMIC_ACQUIRE)) {
			c->paging_seen = paging_generation;
			uint64_t cr3;
			__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
		}
		break;
	default:
		if (vector >= IRQ_VECTOR_BASE && vector < IRQ_VECTOR_BASE + IRQ_DEVICE_COUNT) {
			struct irq_slot *s = &irq_slots[vector - IRQ_VECTOR_BASE];
			irq_handler h = __atomic_load_n(&s->handler, __ATOMIC_ACQUIRE);
			if (h)
				h(s->ctx);
		}
		break;
	}
	apic_eoi();
}
