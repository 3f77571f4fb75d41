/* The `toro` command: `toro build` links an application with the kernel into an image, `toro cc`
 * does the same as a C compiler driver for build systems, `toro run` boots an image. */
#include "toro.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		toro_usage(stderr);
		return TORO_EXIT_USAGE;
	}
	if (strcmp(argv[1], "build") == 0)
		return toro_build(argc - 2, argv + 2);
	if (strcmp(argv[1], "cc") == 0)
		return toro_cc(argc - 2, argv + 2);
	if (strcmp(argv[1], "run") == 0)
		return toro_run(argc - 2, argv + 2);
	if (strcmp(argv[1], "new") == 0)
		return toro_new(argc - 2, argv + 2);
	if (strcmp(argv[1], "ps") == 0)
		return toro_ps(argc - 2, argv + 2);
	if (strcmp(argv[1], "stop") == 0)
		return toro_stop(argc - 2, argv + 2);
	if (strcmp(argv[1], "logs") == 0)
		return toro_logs(argc - 2, argv + 2);
	if (strcmp(argv[1], "vhost-user") == 0)
		return toro_vhost_user(argc - 2, argv + 2);
	if (strcmp(argv[1], "vsock-connect") == 0)
		return toro_vsock_connect(argc - 2, argv + 2);
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("toro %s\n", TORO_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0)
		return toro_help(argc - 2, argv + 2);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		toro_usage(stdout);
		return 0;
	}
	toro_error("unknown command '%s'", argv[1]);
	toro_usage(stderr);
	return TORO_EXIT_USAGE;
}
