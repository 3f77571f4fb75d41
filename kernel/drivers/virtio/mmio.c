/* The virtio-mmio transport (virtio 1.2 §4.2), modern devices (version 2) only: finds devices
 * from virtio_mmio.device= options, runs the status handshake (§3.1.1) and queue setup for the
 * device drivers, and hands each device to the driver for its ID (the table below). The middle
 * layer of the virtio stack, between virtq.c and the device drivers (console.c). */
#include "virtio.h"

#include <kernel/printk.h>
#include <toro/abi/linux.h>

#define VIRTIO_MMIO_MAX_DEVICES 32
/* Every monitor maps its devices below 4 GiB, which the boot identity map always covers. */
#define VIRTIO_MMIO_ADDR_LIMIT (4ull << 30)
/* Reset completes when the status reads back 0 (§2.4.1); devices we know do it at once. */
#define VIRTIO_MMIO_RESET_POLLS 1000

static struct virtio_device devices[VIRTIO_MMIO_MAX_DEVICES];
static unsigned device_count;

/* The drivers linked into this image, gathered by the linker script (VIRTIO_DRIVER). The
 * console's is named so that every image links it. */
extern const struct virtio_driver __virtio_drivers_start[], __virtio_drivers_end[];
static const struct virtio_driver *const always_linked __attribute__((used)) =
    &virtio_console_driver;

/* Each access is a VM exit on our monitor: callers read a register once and keep the value. */
static uint32_t mmio_read(const struct virtio_device *dev, uint32_t reg)
{
	return *(volatile uint32_t *)(dev->base + reg);
}

static void mmio_write(struct virtio_device *dev, uint32_t reg, uint32_t value)
{
	*(volatile uint32_t *)(dev->base + reg) = value;
}

static void status_set(struct virtio_device *dev, uint8_t bits)
{
	dev->status |= bits;
	mmio_write(dev, VIRTIO_MMIO_STATUS, dev->status);
}

uint8_t virtio_mmio_status(struct virtio_device *dev)
{
	return (uint8_t)mmio_read(dev, VIRTIO_MMIO_STATUS);
}

void virtio_mmio_fail(struct virtio_device *dev, const char *reason, int err)
{
	status_set(dev, VIRTIO_STATUS_FAILED);
	printk("virtio-mmio: %s at %#lx: %s (error %d); device marked FAILED\n",
	       dev->name ? dev->name : "device", (unsigned long)dev->base, reason, err);
}

int virtio_mmio_negotiate(struct virtio_device *dev, uint64_t wanted)
{
	/* Step 3: we know how to drive this device. */
	status_set(dev, VIRTIO_STATUS_DRIVER);

	/* Step 4: read the device's features (two 32-bit halves) and write back the subset we
	 * understand. VERSION_1 is the modern interface this driver speaks; without it the
	 * device is legacy in disguise. */
	mmio_write(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t offered = mmio_read(dev, VIRTIO_MMIO_DEVICE_FEATURES);
	mmio_write(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	offered |= (uint64_t)mmio_read(dev, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	if (!(offered & VIRTIO_FEATURE(VIRTIO_F_VERSION_1))) {
		virtio_mmio_fail(dev, "device does not offer VIRTIO_F_VERSION_1", -LINUX_ENODEV);
		return -LINUX_ENODEV;
	}
	uint64_t accepted = offered & (wanted | VIRTIO_FEATURE(VIRTIO_F_VERSION_1));
	mmio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mmio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)accepted);
	mmio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(accepted >> 32));

	/* Step 5: no more feature changes. Step 6: the device keeps FEATURES_OK only if it
	 * accepts this subset. */
	status_set(dev, VIRTIO_STATUS_FEATURES_OK);
	if (!(virtio_mmio_status(dev) & VIRTIO_STATUS_FEATURES_OK)) {
		virtio_mmio_fail(dev, "device rejected the features offered", -LINUX_EIO);
		return -LINUX_EIO;
	}
	dev->features = accepted;
	return 0;
}

/* Step 7 (device-specific setup) for one queue, as §4.2.3.2 orders it. */
int virtio_mmio_queue_setup(struct virtio_device *dev, struct virtq *vq, uint16_t index,
                            uint16_t max_size)
{
	mmio_write(dev, VIRTIO_MMIO_QUEUE_SEL, index);
	if (mmio_read(dev, VIRTIO_MMIO_QUEUE_READY)) {
		virtio_mmio_fail(dev, "queue already in use after reset", -LINUX_EBUSY);
		return -LINUX_EBUSY;
	}
	uint32_t offered = mmio_read(dev, VIRTIO_MMIO_QUEUE_NUM_MAX);
	uint16_t size = virtq_size_for(offered < max_size ? offered : max_size);
	if (size == 0) {
		virtio_mmio_fail(dev, "queue not available", -LINUX_ENODEV);
		return -LINUX_ENODEV;
	}
	int err =
	    virtq_init(vq, index, size, (dev->features & VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX)) != 0);
	if (err) {
		virtio_mmio_fail(dev, "no memory for the queue", err);
		return err;
	}
	mmio_write(dev, VIRTIO_MMIO_QUEUE_NUM, size);
	uint64_t desc = virtq_desc_addr(vq), avail = virtq_avail_addr(vq);
	uint64_t used = virtq_used_addr(vq);
	mmio_write(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	mmio_write(dev, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	mmio_write(dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
	mmio_write(dev, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	mmio_write(dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	mmio_write(dev, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
	mmio_write(dev, VIRTIO_MMIO_QUEUE_READY, 1);
	return 0;
}

void virtio_mmio_driver_ok(struct virtio_device *dev)
{
	/* Step 8: the driver is ready; the device may use the queues from now on. */
	status_set(dev, VIRTIO_STATUS_DRIVER_OK);
}

void virtio_mmio_notify(struct virtio_device *dev, const struct virtq *vq)
{
	/* Without VIRTIO_F_NOTIFICATION_DATA the value is just the queue index (§4.2.2). */
	mmio_write(dev, VIRTIO_MMIO_QUEUE_NOTIFY, vq->index);
}

/* Reads "<digits>[K|M|G]" with an optional 0x prefix (hex) into *out; returns the character
 * after it, or NULL if there are no digits or the value overflows. */
static const char *parse_number(const char *s, uint64_t *out, int allow_suffix)
{
	unsigned base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	uint64_t v = 0;
	const char *start = s;
	for (;; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return NULL;
		v = v * base + d;
	}
	if (s == start)
		return NULL;
	unsigned shift = 0;
	if (allow_suffix && (*s == 'K' || *s == 'k'))
		shift = 10;
	else if (allow_suffix && (*s == 'M' || *s == 'm'))
		shift = 20;
	else if (allow_suffix && (*s == 'G' || *s == 'g'))
		shift = 30;
	if (shift) {
		if (v > (UINT64_MAX >> shift))
			return NULL;
		v <<= shift;
		s++;
	}
	*out = v;
	return s;
}

/* "<size>@<addr>:<irq>[:<id>]" as Linux reads it; the platform id is not used. */
static int parse_spec(const char *spec, uint64_t *size, uint64_t *addr, uint64_t *irq)
{
	const char *p = parse_number(spec, size, 1);
	if (!p || *p != '@')
		return -LINUX_EINVAL;
	p = parse_number(p + 1, addr, 0);
	if (!p || *p != ':')
		return -LINUX_EINVAL;
	p = parse_number(p + 1, irq, 0);
	if (p && *p == ':') {
		uint64_t id;
		p = parse_number(p + 1, &id, 0);
	}
	return p && *p == '\0' ? 0 : -LINUX_EINVAL;
}

static const struct virtio_driver *driver_for(uint32_t device_id)
{
	for (const struct virtio_driver *d = __virtio_drivers_start; d < __virtio_drivers_end; d++)
		if (d->device_id == device_id)
			return d;
	return NULL;
}

/* Checks what sits at the window and returns its driver, or NULL (reported where that is
 * worth knowing). */
static const struct virtio_driver *device_identify(struct virtio_device *dev)
{
	uint32_t magic = mmio_read(dev, VIRTIO_MMIO_MAGIC_VALUE);
	if (magic != VIRTIO_MMIO_MAGIC) {
		printk("virtio-mmio: no virtio device at %#lx (magic %#x); skipped\n",
		       (unsigned long)dev->base, magic);
		return NULL;
	}
	uint32_t version = mmio_read(dev, VIRTIO_MMIO_VERSION);
	if (version != VIRTIO_MMIO_VERSION_MODERN) {
		printk("virtio-mmio: device at %#lx is version %u (%s); only version %u is "
		       "supported; skipped\n",
		       (unsigned long)dev->base, version, version == 1 ? "legacy" : "unknown",
		       VIRTIO_MMIO_VERSION_MODERN);
		return NULL;
	}
	/* Device ID 0 is an empty slot (§4.2.2); a device without a driver here is left alone,
	 * as it would be without its module. */
	dev->device_id = mmio_read(dev, VIRTIO_MMIO_DEVICE_ID);
	return dev->device_id ? driver_for(dev->device_id) : NULL;
}

int virtio_mmio_device_add(const char *spec)
{
	uint64_t size, addr, irq;
	if (parse_spec(spec, &size, &addr, &irq)) {
		printk("virtio-mmio: bad virtio_mmio.device=%s (want <size>@<addr>:<irq>)\n", spec);
		return -LINUX_EINVAL;
	}
	if (size < VIRTIO_MMIO_CONFIG || addr + size < addr ||
	    addr + size > VIRTIO_MMIO_ADDR_LIMIT) {
		printk("virtio-mmio: virtio_mmio.device=%s: window outside 0..4 GiB or smaller "
		       "than the registers; skipped\n",
		       spec);
		return -LINUX_EINVAL;
	}
	/* The same device named twice (by the monitor and by whoever launched it, as toro run
	 * does for QEMU) is one device: the first option wins, quietly. */
	for (unsigned i = 0; i < device_count; i++)
		if (devices[i].base == addr)
			return -LINUX_EEXIST;
	if (device_count == VIRTIO_MMIO_MAX_DEVICES) {
		printk("virtio-mmio: more than %d devices; %#lx ignored\n", VIRTIO_MMIO_MAX_DEVICES,
		       (unsigned long)addr);
		return -LINUX_ENOSPC;
	}

	struct virtio_device *dev = &devices[device_count++];
	dev->base = (uintptr_t)addr;
	dev->size = size;
	dev->irq = (unsigned)irq;
	const struct virtio_driver *drv = device_identify(dev);
	if (!drv)
		return -LINUX_ENODEV;
	dev->name = drv->name;

	/* Step 1: reset, and wait until the device says the reset is done. */
	dev->status = 0;
	mmio_write(dev, VIRTIO_MMIO_STATUS, 0);
	int polls = 0;
	while (virtio_mmio_status(dev) != 0) {
		if (++polls == VIRTIO_MMIO_RESET_POLLS) {
			virtio_mmio_fail(dev, "device does not finish its reset", -LINUX_EIO);
			return -LINUX_EIO;
		}
		__builtin_ia32_pause();
	}
	/* Step 2: we have noticed the device. Steps 3–8 are the driver's, through the calls
	 * above. */
	status_set(dev, VIRTIO_STATUS_ACKNOWLEDGE);
	return drv->probe(dev);
}
