/* `toro run IMAGE`: check the options and the image, then boot it in the built-in monitor or in
 * QEMU. With --vmm auto (the default) the monitor is used, except where it cannot run the image:
 * no usable /dev/kvm, or a software KVM (kvm_pvm) and an image that may use SSE/x87 in ring
 * 0 (POSIX, or not built --no-fpu) or --gdb (kvm_pvm runs no int3 nor data watchpoints); then QEMU
 * runs it, after a one-line notice. */
#include "toro.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <toro/abi/image.h>

#include "cmdline.h"
#include "vmm.h"

/* Whether prog is an executable file in a directory of $PATH. */
static int program_installed(const char *prog)
{
	const char *path = getenv("PATH");
	if (!path)
		return 0;
	char dir[4096];
	while (*path) {
		size_t n = strcspn(path, ":");
		if (n > 0 && n < sizeof(dir) - strlen(prog) - 2) {
			snprintf(dir, sizeof(dir), "%.*s/%s", (int)n, path, prog);
			if (access(dir, X_OK) == 0)
				return 1;
		}
		path += n + (path[n] == ':');
	}
	return 0;
}

static int qemu_installed(void)
{
	const char *q = getenv("TORO_QEMU");
	return program_installed(q && *q ? q : "qemu-system-x86_64");
}

/* Why this host's /dev/kvm cannot be used, in buf ("no /dev/kvm", "cannot open /dev/kvm: ..."),
 * or NULL if it opens. Checked before the kind of KVM, so that a host with the kvm_pvm module
 * loaded but no usable /dev/kvm is not said to have a software KVM. */
static const char *kvm_unusable_reason(char *buf, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	if (errno == ENOENT)
		snprintf(buf, len, "this host has no /dev/kvm");
	else
		snprintf(buf, len, "cannot open /dev/kvm: %s", strerror(errno));
	return buf;
}

/* Why a software KVM cannot run img as o asks, or NULL if it can. */
static const char *software_kvm_obstacle(const struct run_options *o, const struct image *img)
{
	if (o->gdb.enabled)
		return "--gdb (gdb's breakpoints and watchpoints)";
	if (img->kind == TORO_APP_POSIX)
		return "a POSIX image (musl uses SSE)";
	if (!(img->flags & TORO_IMAGE_NO_FPU))
		return "an image not built --no-fpu (FPU/SSE code)";
	return NULL;
}

static int run_in_monitor(const struct run_options *o, const struct image *img)
{
	/* The monitor adds its device words and checks the whole line (cmdline_check). */
	char *module;
	size_t module_len;
	char words[96];
	cmdline_tty_word(words, sizeof(words), o->console == CONSOLE_VIRTIO);
	if (o->gdb.enabled) {
		strcat(words, " ");
		gdb_kernel_word(&o->gdb, words + strlen(words), sizeof(words) - strlen(words));
	}
	char *cmdline = run_boot_data(o, words, &module, &module_len);
	if (!cmdline) {
		toro_error("%s: out of memory for the kernel command line", o->image);
		return 1;
	}
	struct vmm_config cfg = {
	    .name = o->exec ? o->exec : o->image,
	    .image = img,
	    .mem = o->mem,
	    .cpus = o->cpus,
	    .timeout = o->timeout,
	    .console = o->console,
	    .stats = o->stats,
	    .pin = o->npin ? o->pin : NULL,
	    .vsock = o->vsock.enabled ? &o->vsock : NULL,
	    .gdb = o->gdb.enabled && !o->gdb.vsock, /* COM2 */
	    .gdb_fd = o->gdb.fd,
	    .cmdline = cmdline,
	    .args_module = module,
	    .args_module_len = module_len,
	    .shares = o->shares,
	    .nshares = o->nshares,
	};
	int rc = vmm_run(&cfg);
	free(cmdline);
	free(module);
	if (rc != VMM_NO_KVM)
		return rc;
	const char *why = strerror(errno);
	if (o->vmm == VMM_AUTO && qemu_installed()) {
		toro_note("/dev/kvm: %s; running in QEMU instead", why);
		return run_qemu(o, img);
	}
	toro_error("/dev/kvm: %s: the built-in monitor needs KVM%s", why,
	           qemu_installed() ? "; try --vmm qemu" : "");
	return TORO_EXIT_USAGE;
}

/* What toro_run does once the options are parsed; o's environment is freed by the caller. */
static int toro_run_parsed(struct run_options *o)
{
	char err[256];
	/* --accel chooses QEMU's accelerator: it asks for QEMU, and makes no sense with ours. */
	if (o->accel != ACCEL_DEFAULT) {
		if (o->vmm == VMM_TORO) {
			toro_error(
			    "run: --accel applies to QEMU only (--vmm qemu); the built-in monitor "
			    "always uses KVM");
			return TORO_EXIT_USAGE;
		}
		o->vmm = VMM_QEMU;
	}
	struct image img;
	if (image_open(o->image, &img, err, sizeof(err))) {
		if (o->exec)
			toro_error("run: --exec needs the image %s: %s", o->image, err);
		else
			toro_error("%s: %s", o->image, err);
		return TORO_EXIT_USAGE;
	}
	struct exec_program program;
	if (o->exec) {
		int refused = exec_program_read(o->exec, &img, o->mem, &program);
		if (refused) {
			image_close(&img);
			return refused;
		}
		o->program = &program;
	}
	int rc;
	const char *obstacle;
	char why[300];
	if (o->vmm == VMM_QEMU) {
		rc = run_qemu(o, &img);
	} else if (o->vmm == VMM_AUTO && kvm_unusable_reason(why, sizeof(why)) &&
	           qemu_installed()) {
		toro_note("%s; running in QEMU instead", why);
		rc = run_qemu(o, &img);
	} else if (o->vmm == VMM_AUTO && (obstacle = software_kvm_obstacle(o, &img)) &&
	           kvm_host_is_software() && kvm_host_usable()) {
		toro_note("%s: %s, which this host's /dev/kvm, a software KVM, cannot run; running "
		          "in QEMU",
		          o->exec ? o->exec : o->image,
		          o->exec && !o->gdb.enabled ? "a Linux program (it may use SSE)" : obstacle);
		rc = run_qemu(o, &img);
	} else {
		rc = run_in_monitor(o, &img);
	}
	if (o->program)
		exec_program_free(&program);
	o->program = NULL;
	image_close(&img);
	gdb_close(&o->gdb, 1); /* this process ran the guest: the socket is done with */
	return rc;
}

int toro_run(int argc, char **argv)
{
	if (toro_wants_help(argc, argv)) {
		toro_command_help(stdout, "run");
		return 0;
	}
	struct run_options o;
	char err[256];
	if (parse_run_options(argc, argv, &o, err, sizeof(err))) {
		toro_error("run: %s", err);
		run_options_free(&o);
		return TORO_EXIT_USAGE;
	}
	toro_quiet = o.quiet;
	if (o.exec)
		o.image = exec_image_path();
	if (o.gdb.enabled) {
		/* The gdb command names the image: it is checked first, so that a bad one is the
		 * only line. */
		struct image img;
		if (image_open(o.image, &img, err, sizeof(err))) {
			toro_error("%s: %s", o.image, err);
			run_options_free(&o);
			return TORO_EXIT_USAGE;
		}
		image_close(&img);
		if (gdb_listen(&o.gdb, err, sizeof(err))) {
			toro_error("run: %s", err);
			run_options_free(&o);
			return TORO_EXIT_USAGE;
		}
		gdb_print_attach(&o.gdb, o.image, o.vsock.uds_path);
	}
	int rc = service_run(&o, argc, argv, toro_run_parsed);
	/* A detached run's socket belongs to the process in the background, unless it never
	 * started. */
	gdb_close(&o.gdb, !(o.detach && rc == 0));
	run_options_free(&o);
	return rc;
}
