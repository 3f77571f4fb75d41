/* What every transport does the same way to a device model (see device.h): setting it up,
 * the features it offers, and a reset. */
#include "device.h"

#include <string.h>

#include <toro/abi/virtio.h>

void virtio_dev_init(struct virtio_dev *d, const struct virtio_device_ops *ops, void *priv,
                     const struct guest_mem *mem, const struct virtio_transport_ops *transport)
{
	memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->priv = priv;
	d->mem = mem;
	d->transport = transport;
	pthread_mutex_init(&d->lock, NULL);
}

uint64_t virtio_dev_offered_features(const struct virtio_dev *d)
{
	return d->ops->features | (1ull << VIRTIO_F_VERSION_1);
}

void virtio_dev_reset(struct virtio_dev *d)
{
	d->features = 0;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vq_reset(&d->queues[i]);
	if (d->ops->reset)
		d->ops->reset(d);
}
