/* The machine's devices and where they sit: COM1 (and COM2 for gdb), the exit port with the i8042
 * reset line and debugcon on the port bus, and virtio-mmio devices on the MMIO bus, each in its own
 * slot of the guest-physical map (kvm/layout.h: 4 KiB apart from 0xd0000000, IRQ 5 upwards); and
 * how their notifications and interrupts travel (ioeventfd and irqfd where KVM has them). */
#ifndef VMM_BOARD_H
#define VMM_BOARD_H

#include <stddef.h>

#include "backend/serial_socket.h"
#include "backend/vsock.h"
#include "dev/bus.h"
#include "dev/exitport.h"
#include "dev/serial.h"
#include "dev/virtio_mmio.h"
#include "event.h"
#include "kvm/layout.h"
#include "kvm/vm.h"
#include "run.h"
#include "share.h"
#include "virtio/console.h"
#include "virtio/fs.h"
#include "virtio/vsock.h"

/* A queue's notifications arriving on the event thread through an ioeventfd. */
struct board_notify {
	struct virtio_mmio *dev;
	unsigned queue;
	int fd;
};

struct board_virtio {
	struct virtio_mmio mmio;
	struct kvm_vm *vm;
	int irq_fd; /* an irqfd, or -1: interrupts through KVM_IRQ_LINE */
	struct board_notify notify[VIRTIO_MAX_QUEUES];
};

/* One of the virtio console's output ports and the fd it writes. */
struct board_console_out {
	struct board *board;
	int fd;
	struct event_source *room; /* NULL: fd cannot be polled (a file), writes go */
};

struct board {
	struct bus pio, mmio; /* what the vCPU loop dispatches port I/O and MMIO exits to */
	struct serial serial;
	struct serial com2;        /* on the bus only with --gdb */
	struct serial_socket *gdb; /* COM2's far end, or NULL */
	struct exitport exitport;
	struct virtio_console console;
	struct virtio_mmio *console_dev; /* NULL without --console virtio */
	struct virtio_vsock vsock;
	struct virtio_mmio *vsock_dev; /* NULL without a vsock device */
	struct vsock_muxer *vsock_muxer;
	struct event_loop *events;
	struct board_console_out console_out[2]; /* port 0: stderr, port 1: stdout */
	struct event_source *stdin_ready;        /* NULL: stdin cannot be polled, always readable */
	int ioeventfds, irqfds;           /* how many are in use */
	int nvirtio; /* slots used, in order: slot i is at LAYOUT_VIRTIO_MMIO_BASE + i * 4 KiB */
	struct board_virtio virtio[LAYOUT_VIRTIO_MAX];
	int nshares; /* a virtio-fs device and FUSE server per share, tag "share<i>" */
	struct virtio_fs fs[SHARE_MAX];
};

/* Wires the devices: interrupts go to vm's irqchip and virtio rings are read from its RAM (both
 * only used once the VM exists); stop(ctx, code) ends the run for the exit port. The console
 * is COM1 alone, or with CONSOLE_VIRTIO also a virtio console on the first virtio slot. Returns
 * -1 if two devices claim one address (a bug). */
int board_init(struct board *b, struct kvm_vm *vm, enum console_choice console,
               void (*stop)(void *ctx, int code), void *stop_ctx);

/* Adds a virtio-vsock device on the next virtio slot, its host side the muxer cfg describes,
 * whose listeners are bound now. Returns 0, or -1 with one line in err (an option's fault:
 * a port in use, a bad socket path). */
int board_add_vsock(struct board *b, struct kvm_vm *vm, const struct vsock_config *cfg, char *err,
                    size_t errlen);

/* Adds COM2 at 0x2f8 with IRQ 3 on vm's irqchip, its far end a copy of listen_fd (a listening
 * socket, TCP or Unix: one gdb client at a time, backend/serial_socket.h). Returns 0, or -1
 * with one line in err. */
int board_add_gdb(struct board *b, struct kvm_vm *vm, int listen_fd, char *err, size_t errlen);

/* After the run, the event thread stopped: closes the host sockets of the devices (the vsock
 * muxer's connections and listeners; its socket file is removed; COM2's listener and client)
 * and the shares' FUSE servers. */
void board_close(struct board *b);

/* After board_init: one virtio-fs device per share, on the next virtio slots, each served by a
 * FUSE server over its directory. Returns 0, or -1 with one line in err. */
int board_add_shares(struct board *b, struct kvm_vm *vm, const struct share *shares, int n,
                     char *err, size_t errlen);

/* Once the VM exists, before the event thread starts: the virtio queues' notifications go to
 * the event thread through ioeventfds and their interrupts through irqfds, each where KVM has
 * them (else a QueueNotify write is handled on the vCPU thread and an interrupt is a
 * KVM_IRQ_LINE pulse); stdout is watched for room on the event thread, and so is COM2's socket.
 * Returns 0, or -1 with one line in err. */
int board_connect(struct board *b, struct event_loop *ev, char *err, size_t errlen);

/* The kernel command-line words that name the virtio devices
 * ("virtio_mmio.device=4K@0xd0000000:5 ..."), into buf; "" when there are none. */
void board_cmdline_words(const struct board *b, char *buf, size_t len);

/* Room board_cmdline_words needs for every slot. */
#define BOARD_CMDLINE_WORDS_MAX (LAYOUT_VIRTIO_MAX * 48)

#endif
