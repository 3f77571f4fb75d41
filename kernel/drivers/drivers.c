/* Device discovery at boot: every driver that finds its devices from the command line is
 * started from here, after memory and before the application. */
#include <kernel/cmdline.h>
#include <kernel/kernel.h>

#include "virtio/virtio.h"

void drivers_init(void)
{
	/* One option per virtio-mmio device, in the order the monitor gave them; a device that
	 * fails is reported by the transport and the boot goes on without it. */
	for (int i = 0; i < cmdline_option_count; i++) {
		const char *spec = cmdline_option_value(cmdline_options[i], "virtio_mmio.device");
		if (spec)
			virtio_mmio_device_add(spec);
	}
}
