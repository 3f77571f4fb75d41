/* The virtio-mmio transport (virtio 1.2 §4.2) as device drivers see it: the middle layer of the
 * virtio stack (ring → transport → device). mmio.c finds devices on the command line, checks
 * them and hands each to the driver for its device ID (the table in mmio.c); the driver then
 * negotiates features, sets up its queues and sets DRIVER_OK through the calls below. Private
 * to kernel/drivers. */
#ifndef KERNEL_DRIVERS_VIRTIO_VIRTIO_H
#define KERNEL_DRIVERS_VIRTIO_VIRTIO_H

#include <stdint.h>

#include "virtq.h"

#define VIRTIO_FEATURE(bit) (1ull << (bit))

struct virtio_device;

/* A driver's interrupt handler: runs in the IRQ handler (interrupts off, on core 0; it never
 * blocks or allocates) with the interrupt status bits (VIRTIO_MMIO_INT_VRING,
 * VIRTIO_MMIO_INT_CONFIG), already acknowledged. It collects used buffers (virtq_get_used) and
 * wakes the threads waiting for them (wait_queue_wake_*, sched_wake); work that needs a
 * thread's context is handed to one. */
typedef void (*virtio_interrupt_fn)(struct virtio_device *dev, uint32_t status);

/* One virtio-mmio device, from a virtio_mmio.device= option. Owned by mmio.c for the life of
 * the VM; a driver keeps the pointer. */
struct virtio_device {
	uintptr_t base;                /* the register window (identity-mapped) */
	uint64_t size;                 /* its length in bytes */
	unsigned irq;                  /* the interrupt line the monitor wired to it */
	uint32_t device_id;            /* VIRTIO_ID_* */
	uint64_t features;             /* negotiated, valid after virtio_mmio_negotiate */
	const char *name;              /* the driver's name, for messages */
	uint8_t status;                /* what we last wrote to the status register */
	virtio_interrupt_fn interrupt; /* set by virtio_mmio_interrupt_enable */
	void *driver_data;             /* the driver's own state */
};

/* A device driver: probe is called once per device with this ID, after the transport has reset
 * the device and set ACKNOWLEDGE. It returns 0 once the device is live (DRIVER_OK set), or
 * -errno: after virtio_mmio_fail if the device misbehaved, or leaving it untouched if the
 * driver declines it (e.g. a second console). */
struct virtio_driver {
	uint32_t device_id;
	const char *name;
	int (*probe)(struct virtio_device *dev);
};

/* Parses one "virtio_mmio.device=" value (<size>[K|M|G]@<addr>:<irq>[:<id>]), probes the
 * device there and starts its driver. Returns 0, -ENODEV (no device, legacy device, no driver:
 * reported, not an error for the boot) or the driver's -errno. Boot only. */
int virtio_mmio_device_add(const char *spec);

/* §3.1.1 steps 3–6: sets DRIVER, offers the device's features intersected with wanted
 * (VIRTIO_F_VERSION_1 is always required), sets FEATURES_OK and checks the device kept it.
 * Records the result in dev->features. Returns 0 or -errno after virtio_mmio_fail. */
int virtio_mmio_negotiate(struct virtio_device *dev, uint64_t wanted);

/* §4.2.3.2: sets up queue index with at most max_size entries (fewer if the device offers
 * fewer; a power of two), allocating its rings into vq (with event index if negotiated), and
 * marks it ready. Returns 0 or -errno after virtio_mmio_fail. */
int virtio_mmio_queue_setup(struct virtio_device *dev, struct virtq *vq, uint16_t index,
                            uint16_t max_size);

/* Routes the device's interrupt line to core 0 and calls fn for each interrupt. Call before
 * virtio_mmio_driver_ok, once the queues exist. Returns 0 or -errno after virtio_mmio_fail. */
int virtio_mmio_interrupt_enable(struct virtio_device *dev, virtio_interrupt_fn fn);

/* §3.1.1 step 8: the device is live. */
void virtio_mmio_driver_ok(struct virtio_device *dev);

/* Tells the device that queue vq has new available buffers: one register write. */
void virtio_mmio_notify(struct virtio_device *dev, const struct virtq *vq);

/* Reads the status register: the driver uses it to notice DEVICE_NEEDS_RESET while waiting. */
uint8_t virtio_mmio_status(struct virtio_device *dev);

/* Sets FAILED (§3.1.1) and prints one line naming the device and the reason. */
void virtio_mmio_fail(struct virtio_device *dev, const char *reason, int err);

/* Declares a device driver, one per file: the linker script gathers them into the table mmio.c
 * searches. Only drivers whose object is linked are there, and an object is linked only when
 * something refers to it: the console by drivers.c, the others by what the application uses (the
 * socket layer calls into the vsock driver, the file system into the virtio-fs one). So an image
 * that opens no socket carries no vsock driver and leaves such a device alone, as Linux would
 * without the module. */
#define VIRTIO_DRIVER(var)                                                                         \
	const struct virtio_driver var                                                             \
	    __attribute__((used, section(".toro.virtio_drivers"), aligned(8)))

/* The console driver is in every image (mmio.c refers to it). */
extern const struct virtio_driver virtio_console_driver;

/* The console's input half (console_input.c), weak: only images that read stdin link it (the
 * console file and toro_read refer to console_read, which it defines), and the output half
 * calls it only when it is there, before DRIVER_OK: with a device of ports ports (1 without
 * MULTIPORT) it sets up the control queues and the input port's receive queue, if the device
 * has that port. Returns 0 or -errno after virtio_mmio_fail. */
__attribute__((weak)) int virtio_console_input_init(struct virtio_device *dev, uint32_t ports);

#endif
