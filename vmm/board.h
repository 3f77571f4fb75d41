/* The machine's devices and where they sit: COM1, the exit port with the i8042 reset line and
 * debugcon on the port bus, and virtio-mmio devices on the MMIO bus, each in its own slot of the
 * guest-physical map (kvm/layout.h: 4 KiB apart from 0xd0000000, IRQ 5 upwards). */
#ifndef VMM_BOARD_H
#define VMM_BOARD_H

#include <stddef.h>

#include "dev/bus.h"
#include "dev/exitport.h"
#include "dev/serial.h"
#include "dev/virtio_mmio.h"
#include "kvm/layout.h"
#include "kvm/vm.h"
#include "run.h"
#include "virtio/console.h"

struct board {
	struct bus pio, mmio; /* what the vCPU loop dispatches port I/O and MMIO exits to */
	struct serial serial;
	struct exitport exitport;
	struct virtio_console console;
	int nvirtio; /* slots used, in order: slot i is at LAYOUT_VIRTIO_MMIO_BASE + i * 4 KiB */
	struct virtio_dev virtio[LAYOUT_VIRTIO_MAX];
};

/* Wires the devices: interrupts go to vm's irqchip and virtio rings are read from its RAM (both
 * only used once the VM exists); stop(ctx, code) ends the run for the exit port. The console
 * is COM1 alone, or with CONSOLE_VIRTIO also a virtio console on the first virtio slot. Returns
 * -1 if two devices claim one address (a bug). */
int board_init(struct board *b, struct kvm_vm *vm, enum console_choice console,
               void (*stop)(void *ctx, int code), void *stop_ctx);

/* The kernel command-line words that name the virtio devices
 * ("virtio_mmio.device=4K@0xd0000000:5 ..."), into buf; "" when there are none. */
void board_cmdline_words(const struct board *b, char *buf, size_t len);

/* Room board_cmdline_words needs for every slot. */
#define BOARD_CMDLINE_WORDS_MAX (LAYOUT_VIRTIO_MAX * 48)

#endif
