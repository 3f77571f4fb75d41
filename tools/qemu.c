/* The QEMU path of `toro run`: boot the image on QEMU's microvm machine. QEMU's isa-debug-exit
 * turns the guest's exit code into (code << 1) | 1, which loses the top bit, so the kernel also
 * writes the code to a debugcon port (toro.debugcon=) that QEMU copies to a file we read.
 * Devices QEMU reaches over vhost-user are served from this process (qemu_vhost.c). */
#include "qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
#define QEMU_MAX_ARGS    (64 + 4 * VHOST_USER_SERVICE_MAX)

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

/* The console: COM1 on stdio, or the guest's three streams on a virtio-serial device with three
 * ports (MULTIPORT) on the microvm virtio-mmio bus, as docs/architecture.md ("Console routing")
 * lays out: port 0, a virtconsole, and COM1 (early boot lines, fault reports from before the
 * virtio console is up) to our stderr; port 1 to our stdout; port 2 from our stdin, whose end
 * QEMU reports as the port closing (PORT_OPEN 0). Output chardevs are files on /proc/self/fd/N:
 * QEMU opens a new open file description, so the O_NONBLOCK it sets there leaves a terminal
 * (one open file for stdin and stdout) alone, and append=on keeps it from truncating a file
 * stdout was redirected to. Ports 1 and 2 are virtserialports, which wait for a full stdout
 * (QEMU throttles the port) where a virtconsole drops what the chardev refuses; stdin has a
 * port of its own because QEMU discards output on a port whose chardev reached end of input.
 * QEMU 7.2's file chardev has no input path, so stdin reaches port 2 through a socket pair
 * (stdin_fd, QEMU's end; stdin_relay feeds ours). */
static int add_console(const char **argv, int n, enum console_choice console, char *stdin_dev,
                       size_t stdin_dev_len, int stdin_fd)
{
	if (console == CONSOLE_SERIAL) {
		argv[n++] = "-serial";
		argv[n++] = "stdio";
		return n;
	}
	/* QEMU's chardevs append to a regular file; our own messages and QEMU's, written through
	 * the shell's open file at its offset, would land over them unless it appends too. */
	for (int fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++) {
		struct stat st;
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			fcntl(fd, F_SETFL, fl | O_APPEND);
	}
	snprintf(stdin_dev, stdin_dev_len, "socket,id=toroin,fd=%d", stdin_fd);
	argv[n++] = "-chardev";
	argv[n++] = "file,id=toroserial,path=/proc/self/fd/2,append=on";
	argv[n++] = "-serial";
	argv[n++] = "chardev:toroserial";
	argv[n++] = "-chardev";
	argv[n++] = "file,id=toroerr,path=/proc/self/fd/2,append=on";
	argv[n++] = "-chardev";
	argv[n++] = "file,id=torout,path=/proc/self/fd/1,append=on";
	argv[n++] = "-chardev";
	argv[n++] = stdin_dev;
	argv[n++] = "-device";
	argv[n++] = "virtio-serial-device,max_ports=3,bus=" QEMU_CONSOLE_BUS;
	argv[n++] = "-device";
	argv[n++] = "virtconsole,nr=0,chardev=toroerr";
	argv[n++] = "-device";
	argv[n++] = "virtserialport,nr=1,chardev=torout";
	argv[n++] = "-device";
	argv[n++] = "virtserialport,nr=2,chardev=toroin";
	return n;
}

/* --gdb: COM2, a second 16550 at 0x2f8 (IRQ 3), on a socket chardev over the listening socket
 * the tool bound (gdb.c), passed by descriptor, without waiting for a client. microvm makes
 * only COM1 from -serial, so COM2 is an isa-serial device of its own. */
static int add_gdb(const char **argv, int n, const struct gdb_listener *g, char *dev,
                   size_t dev_len)
{
	if (!g->enabled || g->vsock)
		return n;
	snprintf(dev, dev_len, "socket,id=torogdb,fd=%d,server=on,wait=off", g->fd);
	argv[n++] = "-chardev";
	argv[n++] = dev;
	argv[n++] = "-device";
	argv[n++] = "isa-serial,chardev=torogdb,iobase=0x2f8,irq=3";
	return n;
}

/* Copies our stdin to QEMU's stdin port until its end, then shuts the socket down for writing:
 * QEMU reads what is left and then end of file, which it passes on as the port closing, the
 * guest's end of input. (Closing it instead would hang up, and QEMU drops a hung-up socket's
 * unread bytes.) It reads ahead of the guest by at most what the socket buffers. A thread of
 * its own, left blocked in read if the guest ends first (the process exits under it). */
static void *stdin_relay(void *arg)
{
	int sock = (int)(intptr_t)arg;
	char buf[16384];
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(sock, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto out; /* QEMU is gone */
			done += w;
		}
	}
out:
	shutdown(sock, SHUT_WR);
	return NULL;
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

/* The socket pair for stdin: sv[0] ours (close-on-exec), sv[1] QEMU's. Returns 0 or -1. */
static int stdin_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	fcntl(sv[0], F_SETFD, FD_CLOEXEC);
	return 0;
}

/* The kernel's options from us: the debugcon port, which streams are terminals (toro.tty=) and
 * where each virtio device is. */
static void kernel_words(const struct run_options *o, const struct qemu_vhost *v, char *buf,
                         size_t len)
{
	char console[64] = "", tty[64], gdb[32] = "";
	if (o->console == CONSOLE_VIRTIO)
		qemu_slot_word(0, console, sizeof(console));
	cmdline_tty_word(tty, sizeof(tty), o->console == CONSOLE_VIRTIO);
	if (o->gdb.enabled)
		gdb_kernel_word(&o->gdb, gdb, sizeof(gdb));
	snprintf(buf, len, "toro.debugcon=" QEMU_DEBUGCON_PORT " %s%s%s%s%s%s%s", tty,
	         *console ? " " : "", console, *v->words ? " " : "", v->words, *gdb ? " " : "",
	         gdb);
}

static int run_qemu_with(const struct run_options *o, const struct qemu_vhost *v)
{
	char extra[sizeof(v->words) + 128];
	kernel_words(o, v, extra, sizeof(extra));
	char *module;
	size_t module_len;
	char *cmdline = run_boot_data(o, extra, &module, &module_len);
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
	int stdin_sv[2] = {-1, -1};
	char stdin_dev[64];
	if (o->console == CONSOLE_VIRTIO && stdin_pair(stdin_sv) != 0) {
		toro_error("socketpair: %s", strerror(errno));
		unlink(exit_file);
		if (has_module)
			unlink(module_file);
		free(cmdline);
		return 1;
	}
	n = add_console(argv, n, o->console, stdin_dev, sizeof(stdin_dev), stdin_sv[1]);
	char gdb_dev[64];
	n = add_gdb(argv, n, &o->gdb, gdb_dev, sizeof(gdb_dev));
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
		pin_qemu(o);
		if (o->gdb.fd >= 0)
			fcntl(o->gdb.fd, F_SETFD, 0); /* QEMU's chardev takes it by number */
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "toro: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(cmdline);
	if (stdin_sv[1] >= 0) {
		close(stdin_sv[1]);
		pthread_t relay;
		if (pid > 0 && pthread_create(&relay, NULL, stdin_relay,
		                              (void *)(intptr_t)stdin_sv[0]) == 0)
			pthread_detach(relay);
		else
			close(stdin_sv[0]); /* no relay: the guest sees its stdin end at once */
	}
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
