/* The QEMU path of `toro run`: boot the image on QEMU's microvm machine. QEMU's isa-debug-exit
 * turns the guest's exit code into (code << 1) | 1, which loses the top bit, so the kernel also
 * writes the code to a debugcon port (toro.debugcon=) that QEMU copies to a file we read.
 * Devices QEMU reaches over vhost-user are served from this process (qemu_vhost.c). */
#include "qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <toro/abi/image.h>

#include "cmdline.h"
#include "vmm.h"

#define QEMU_DEBUGCON_PORT "0x402"

/* microvm would append virtio_mmio.device= words for its transports (qemu.h) at the very end
 * of the command line, after our "--", where the kernel reads application arguments; so that
 * is turned off (auto-kernel-cmdline=off, in run_qemu), every device is pinned to a transport
 * (the console to 0, vhost-user devices after it), and we name them among the options. */
#define QEMU_CONSOLE_BUS "virtio-mmio-bus.0"
#define QEMU_MAX_ARGS    (48 + 4 * VHOST_USER_SERVICE_MAX)

/* Guest RAM as a backend object with reserve=off (MAP_NORESERVE): like the built-in monitor's,
 * it is reserved, not committed, so --mem 512G runs on a host with far less memory and only the
 * pages the guest touches cost any. Plain `-m` commits the whole size, which the host's
 * overcommit heuristic refuses beyond its RAM and swap. The machine takes its RAM size from the
 * object (QEMU 7.2 and later). */
#define QEMU_RAM_ID         "toro-ram"
#define QEMU_RAM_ALIGN_MASK 0xfffull /* whole 4 KiB pages, as the built-in monitor gives */
#define QEMU_RAM_BACKEND    "memory-backend-ram,id=" QEMU_RAM_ID ",size=%llu,reserve=off"
/* With vhost-user devices the back end maps guest RAM too (SET_MEM_TABLE), so it must be a
 * shared memfd; a memfd is sparse and not accounted up front, so 512G still costs nothing. */
#define QEMU_RAM_SHARED "memory-backend-memfd,id=" QEMU_RAM_ID ",size=%llu,share=on"

static const char *qemu_binary(void)
{
	const char *q = getenv("TORO_QEMU");
	return q && *q ? q : "qemu-system-x86_64";
}

static enum accel_choice choose_accel(const struct run_options *o)
{
	if (o->accel != ACCEL_DEFAULT)
		return o->accel;
	/* A software KVM (kvm_pvm) runs guest ring-0 code in an emulator slower than TCG for
	 * anything but exits, and cannot run SSE at all. */
	if (kvm_host_usable() && !kvm_host_is_software())
		return ACCEL_KVM;
	return ACCEL_TCG;
}

/* Reads the last byte QEMU wrote to the debugcon file: the guest's exit code. */
static int read_exit_code(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	int c, last = -1;
	while ((c = fgetc(f)) != EOF)
		last = c;
	fclose(f);
	return last;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void stop_child(pid_t pid)
{
	kill(pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Waits for the child, a signal or the deadline. Returns the wait status, or -1 on timeout and
 * -2 on an interrupting signal (the child is then stopped). */
static int wait_child(pid_t pid, double timeout, const sigset_t *set)
{
	double deadline = timeout > 0 ? now_seconds() + timeout : 0;
	for (;;) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		struct timespec ts = {0, 200 * 1000 * 1000};
		if (deadline) {
			double left = deadline - now_seconds();
			if (left <= 0) {
				stop_child(pid);
				return -1;
			}
			if (left < 0.2)
				ts.tv_nsec = (long)(left * 1e9) + 1;
		}
		int sig = sigtimedwait(set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
			stop_child(pid);
			return -2;
		}
	}
}

/* The console: COM1 on stdio, or COM1 and a virtio console (virtconsole, port 0 of a
 * virtio-serial device on the microvm virtio-mmio bus) sharing stdio through a mux chardev, so
 * early boot lines and fault reports from before the virtio console is up still show.
 * max_ports=1 keeps the device single-port (no MULTIPORT), which is what the kernel drives. */
static int add_console(const char **argv, int n, enum console_choice console)
{
	if (console == CONSOLE_SERIAL) {
		argv[n++] = "-serial";
		argv[n++] = "stdio";
		return n;
	}
	argv[n++] = "-chardev";
	argv[n++] = "stdio,mux=on,id=toroconsole";
	argv[n++] = "-serial";
	argv[n++] = "chardev:toroconsole";
	argv[n++] = "-device";
	argv[n++] = "virtio-serial-device,max_ports=1,bus=" QEMU_CONSOLE_BUS;
	argv[n++] = "-device";
	argv[n++] = "virtconsole,chardev=toroconsole";
	return n;
}

/* QEMU makes its stdin non-blocking, and on a terminal stdin and stdout are one open file, so
 * stdout becomes non-blocking too; QEMU's virtconsole drops output the chardev refuses with
 * EAGAIN (hw/char/virtio-console.c) where COM1 retries. The guest reads no console input yet,
 * so QEMU gets /dev/null as stdin and stdout stays blocking. In the child, before exec. */
static void detach_stdin(void)
{
	int fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
}

/* --pin under QEMU: its vCPU threads are not ours to place, so the whole QEMU process is kept
 * on the CPUs given (announced by run_qemu). In the child, before exec. */
static void pin_qemu(const struct run_options *o)
{
	if (!o->npin)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	for (int i = 0; i < o->npin; i++)
		CPU_SET(o->pin[i], &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "toro: --pin: %s\n", strerror(errno));
}

/* The kernel's options from us: the debugcon port and where each virtio device is. */
static void kernel_words(const struct run_options *o, const struct qemu_vhost *v, char *buf,
                         size_t len)
{
	char console[64] = "";
	if (o->console == CONSOLE_VIRTIO)
		qemu_slot_word(0, console, sizeof(console));
	snprintf(buf, len, "toro.debugcon=" QEMU_DEBUGCON_PORT "%s%s%s%s", *console ? " " : "",
	         console, *v->words ? " " : "", v->words);
}

static int run_qemu_with(const struct run_options *o, const struct qemu_vhost *v)
{
	char extra[sizeof(v->words) + 128];
	kernel_words(o, v, extra, sizeof(extra));
	char *module;
	size_t module_len;
	char *cmdline = cmdline_build(o->image, extra, o->nenv, o->env, o->nargs, o->args, &module,
	                              &module_len);
	if (!cmdline) {
		toro_error("%s: out of memory for the kernel command line", o->image);
		return 1;
	}
	char err[256];
	if (cmdline_check(cmdline, err, sizeof(err)) ||
	    (module && cmdline_check_module(module_len, o->mem, err, sizeof(err)))) {
		toro_error("%s: %s", o->image, err);
		free(cmdline);
		free(module);
		return TORO_EXIT_USAGE;
	}
	/* What does not fit the line goes to the kernel as -initrd, which QEMU hands over as a
	 * PVH module. */
	char module_file[] = "/tmp/toro-args-XXXXXX";
	int has_module = module != NULL;
	if (has_module) {
		int mfd = mkstemp(module_file);
		int ok = mfd >= 0;
		for (size_t done = 0; ok && done < module_len;) {
			ssize_t w = write(mfd, module + done, module_len - done);
			ok = w > 0 || (w < 0 && errno == EINTR);
			done += w > 0 ? (size_t)w : 0;
		}
		if (mfd >= 0)
			close(mfd);
		free(module);
		if (!ok) {
			toro_error("cannot write the arguments to a temporary file: %s",
			           strerror(errno));
			if (mfd >= 0)
				unlink(module_file);
			free(cmdline);
			return 1;
		}
	}
	char exit_file[] = "/tmp/toro-exit-XXXXXX";
	int fd = mkstemp(exit_file);
	if (fd < 0) {
		toro_error("cannot create a temporary file: %s", strerror(errno));
		if (has_module)
			unlink(module_file);
		free(cmdline);
		return 1;
	}
	close(fd);

	char mem[80], smp[16], chardev[sizeof(exit_file) + 32];
	snprintf(mem, sizeof(mem), v->ndevices ? QEMU_RAM_SHARED : QEMU_RAM_BACKEND,
	         (unsigned long long)(o->mem & ~QEMU_RAM_ALIGN_MASK));
	snprintf(smp, sizeof(smp), "%d", o->cpus);
	snprintf(chardev, sizeof(chardev), "file,id=toroexit,path=%s", exit_file);
	enum accel_choice accel = choose_accel(o);

	const char *argv[QEMU_MAX_ARGS];
	int n = 0;
	argv[n++] = qemu_binary();
	argv[n++] = "-object";
	argv[n++] = mem;
	argv[n++] = "-M";
	argv[n++] = "microvm,pic=off,pit=off,rtc=off,acpi=off,auto-kernel-cmdline=off,"
	            "memory-backend=" QEMU_RAM_ID;
	argv[n++] = "-accel";
	argv[n++] = accel == ACCEL_KVM ? "kvm" : "tcg";
	argv[n++] = "-cpu";
	argv[n++] = accel == ACCEL_KVM ? "host" : "max";
	argv[n++] = "-smp";
	argv[n++] = smp;
	argv[n++] = "-nodefaults";
	argv[n++] = "-no-user-config";
	argv[n++] = "-no-reboot";
	argv[n++] = "-display";
	argv[n++] = "none";
	if (o->console == CONSOLE_VIRTIO || v->ndevices) {
		/* microvm's transports default to legacy (version 1); we drive modern ones. */
		argv[n++] = "-global";
		argv[n++] = "virtio-mmio.force-legacy=false";
	}
	n = add_console(argv, n, o->console);
	n = qemu_vhost_args(v, argv, n);
	argv[n++] = "-device";
	argv[n++] = "isa-debug-exit,iobase=0xf4,iosize=4";
	argv[n++] = "-chardev";
	argv[n++] = chardev;
	argv[n++] = "-device";
	argv[n++] = "isa-debugcon,iobase=" QEMU_DEBUGCON_PORT ",chardev=toroexit";
	argv[n++] = "-kernel";
	argv[n++] = o->image;
	argv[n++] = "-append";
	argv[n++] = cmdline;
	if (has_module) {
		argv[n++] = "-initrd";
		argv[n++] = module_file;
	}
	argv[n] = NULL;

	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(NULL);
	double started = now_seconds();
	pid_t pid = fork();
	if (pid == 0) {
		/* Not old: the caller may have blocked them too (tools/service.c). */
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		if (o->console == CONSOLE_VIRTIO)
			detach_stdin();
		pin_qemu(o);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "toro: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(cmdline);
	if (pid < 0) {
		toro_error("fork: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		unlink(exit_file);
		if (has_module)
			unlink(module_file);
		return 1;
	}
	int status = wait_child(pid, o->timeout, &set);
	if (o->stats)
		/* QEMU's inside is not visible from here: what the tool can measure is the whole. */
		fprintf(stderr,
		        "toro stats: QEMU (%s), %d vCPU%s, %llu MiB\n"
		        "  launch to exit              %.3f ms (VM exits, pages touched and memory: "
		        "built-in monitor only)\n",
		        accel == ACCEL_KVM ? "KVM" : "TCG", o->cpus, o->cpus == 1 ? "" : "s",
		        (unsigned long long)(o->mem >> 20), (now_seconds() - started) * 1e3);
	sigprocmask(SIG_SETMASK, &old, NULL);
	int code = read_exit_code(exit_file);
	unlink(exit_file);
	if (has_module)
		unlink(module_file);

	if (status == -1) {
		toro_error("%s: guest still running after %g s (--timeout); stopped", o->image,
		           o->timeout);
		return TORO_EXIT_TIMEOUT;
	}
	if (status == -2) {
		toro_error("%s: interrupted; guest stopped", o->image);
		return TORO_EXIT_SIGNAL;
	}
	if (code >= 0)
		return code;
	if (WIFSIGNALED(status)) {
		toro_error("%s: qemu killed by signal %d", o->image, WTERMSIG(status));
		return 1;
	}
	int s = WEXITSTATUS(status);
	if (s == 127)
		return 1; /* the child already said why */
	if (s == 0)
		return 0; /* reset (i8042) or shutdown without an exit code */
	if (s & 1 && s != 1)
		return s >> 1; /* isa-debug-exit from a kernel that does not use debugcon */
	toro_error("%s: qemu failed (exit status %d)", o->image, s);
	return 1;
}

int run_qemu(const struct run_options *o, const struct image *img)
{
	(void)img;
	if (o->npin)
		toro_note("--pin under QEMU: QEMU as a whole runs on the CPUs given; each vCPU on "
		          "its own CPU needs the built-in monitor");
	struct qemu_vhost v;
	int rc = qemu_vhost_start(&v, o, o->console == CONSOLE_VIRTIO ? 1 : 0);
	if (rc)
		return rc;
	rc = run_qemu_with(o, &v);
	qemu_vhost_stop(&v);
	return rc;
}
