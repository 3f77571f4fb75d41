/* `toro run IMAGE`: check the options and the image, then boot it. */
#include "toro.h"

#include <stdio.h>

int toro_run(int argc, char **argv)
{
	struct run_options o;
	char err[256];
	if (parse_run_options(argc, argv, &o, err, sizeof(err))) {
		toro_error("run: %s", err);
		return TORO_EXIT_USAGE;
	}
	struct image img;
	if (image_open(o.image, &img, err, sizeof(err))) {
		toro_error("%s: %s", o.image, err);
		return TORO_EXIT_USAGE;
	}
	if (o.vmm == VMM_TORO) {
		toro_error("%s: the built-in monitor is not available yet; use --vmm qemu", o.image);
		image_close(&img);
		return TORO_EXIT_USAGE;
	}
	int rc = run_qemu(&o, &img);
	image_close(&img);
	return rc;
}
