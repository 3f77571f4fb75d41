/* Interrupt vectors and handlers. Handlers run with interrupts off on the interrupted core's
 * interrupt stack; they never block and never allocate (docs/design.md §3). */
#ifndef KERNEL_IRQ_H
#define KERNEL_IRQ_H

#include <stdint.h>

#define IRQ_VECTOR_BASE     32 /* device IRQ n (IOAPIC pin) arrives on vector 32 + n */
#define IRQ_DEVICE_COUNT    24
#define IRQ_VECTOR_TIMER    56
#define IRQ_VECTOR_WAKE     57 /* IPI: "look at your inbox" */
#define IRQ_VECTOR_SPURIOUS 63
#define IRQ_VECTOR_COUNT    64

typedef void (*irq_handler)(void *ctx);

/* Routes IOAPIC pin irq to vector 32 + irq on the given core and installs handler. */
int irq_register(unsigned irq, unsigned cpu, irq_handler handler, void *ctx);

/* Called from the interrupt entry with the vector; dispatches and acknowledges. */
void irq_dispatch(unsigned vector);

#endif
