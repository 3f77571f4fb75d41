/* The machine's devices (see board.h): which device sits at which port, MMIO slot and IRQ, and
 * the command-line words that tell the kernel where its virtio devices are. */
#include "board.h"

#include <stdio.h>

#include "backend/term.h"

static void board_irq(void *ctx, unsigned irq)
{
	kvm_irq_pulse(ctx, irq);
}

/* Puts a virtio device model on the next virtio-mmio slot (address and IRQ from layout.h). */
static int board_add_virtio(struct board *b, struct kvm_vm *vm, const struct virtio_device_ops *ops,
                            void *priv)
{
	if (b->nvirtio == LAYOUT_VIRTIO_MAX)
		return -1;
	struct virtio_dev *d = &b->virtio[b->nvirtio];
	uint64_t base = LAYOUT_VIRTIO_MMIO_BASE + (uint64_t)b->nvirtio * LAYOUT_VIRTIO_MMIO_SIZE;
	unsigned irq = LAYOUT_VIRTIO_IRQ_BASE + (unsigned)b->nvirtio;
	virtio_mmio_init(d, ops, priv, &vm->mem, base, irq, board_irq, vm);
	b->nvirtio++;
	return bus_add(&b->mmio, base, LAYOUT_VIRTIO_MMIO_SIZE, virtio_mmio_read, virtio_mmio_write,
	               d);
}

int board_init(struct board *b, struct kvm_vm *vm, enum console_choice console,
               void (*stop)(void *ctx, int code), void *stop_ctx)
{
	bus_init(&b->pio, "port");
	bus_init(&b->mmio, "MMIO address");
	serial_init(&b->serial, term_output, NULL);
	serial_set_irq(&b->serial, board_irq, vm);
	exitport_init(&b->exitport, stop, stop_ctx);
	int bad =
	    bus_add(&b->pio, SERIAL_COM1_PORT, SERIAL_PORTS, serial_read, serial_write, &b->serial);
	bad |= bus_add(&b->pio, EXITPORT_PORT, EXITPORT_PORT_LEN, exitport_read, exitport_write,
	               &b->exitport);
	bad |= bus_add(&b->pio, EXITPORT_I8042_PORT, 1, i8042_read, i8042_write, &b->exitport);
	bad |= bus_add(&b->pio, EXITPORT_DEBUGCON_PORT, 1, debugcon_read, debugcon_write,
	               &b->exitport);

	if (console == CONSOLE_VIRTIO) {
		virtio_console_init(&b->console, term_output, NULL);
		bad |= board_add_virtio(b, vm, &virtio_console_ops, &b->console);
	}
	return bad ? -1 : 0;
}

void board_cmdline_words(const struct board *b, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < b->nvirtio && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%svirtio_mmio.device=%lluK@%#llx:%u",
		                      i ? " " : "", LAYOUT_VIRTIO_MMIO_SIZE >> 10,
		                      (unsigned long long)b->virtio[i].base, b->virtio[i].irq);
}
