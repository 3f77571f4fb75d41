/* The virtio-vsock device without interrupts or the scheduler, for the gdb stub's vsock
 * transport (kernel/gdb/vsock.c), which shares the device with the program's sockets: the
 * driver (kernel/drivers/virtio/vsock.c) hands the stub the packets for its port, from the IRQ
 * handler while the program runs, and the stub polls the rings itself while every core is
 * stopped. Only images with the stub link any of it. */
#ifndef KERNEL_VSOCK_POLL_H
#define KERNEL_VSOCK_POLL_H

#include <stdint.h>

#include <toro/abi/virtio.h>

/* Defined by the stub: called for every received packet (its header, as checked against what
 * the device wrote, and its hdr->len payload bytes) with the device taken (below, or by the IRQ
 * handler, interrupts off); returns 1 if it took it (a copy: the buffer goes back to the
 * ring), 0 to leave it to the sockets. */
int vsock_stub_take(const struct virtio_vsock_hdr *hdr, const uint8_t *data);

/* Takes the device (its lock, interrupts off), trying at most spins times: 0, or -1 if there
 * is no live device or another holds it (a stopped core may: it never lets go). */
int vsock_poll_begin(unsigned long spins, uint64_t *flags);
/* Collects the received packets: those for the stub through vsock_stub_take, the others kept
 * for the driver's thread. How many, or -1 if the device failed. The device taken. */
int vsock_poll_receive(void);
/* Sends one packet (src_cid filled in; hdr->len payload bytes at data, at most a page), waiting
 * at most spins pauses for a free slot. 0, or -1. The device taken. */
int vsock_poll_send(const struct virtio_vsock_hdr *hdr, const void *data, unsigned long spins);
/* Gives the device back (re-arming its receive interrupt). */
void vsock_poll_end(uint64_t flags);

/* Adds count packets to those the driver keeps for reuse, which take the place on the ring of
 * the packets of other sockets that arrive while the machine is stopped (thread context). */
void vsock_poll_spare(unsigned count);
/* From an interrupt handler on core 0, after a stop: wakes the driver's thread and senders if
 * the polling left them work (the interrupts that would have woken them came while stopped). */
void vsock_poll_wake(void);

#endif
