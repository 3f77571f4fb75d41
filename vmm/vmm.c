/* vmm_run: set up the machine (VM, RAM, devices, boot structures, vCPUs), run the boot CPU on
 * the calling thread and each other vCPU on a thread of its own, handle Ctrl-C, --timeout and
 * the halted-for-good check from the boot CPU's thread, and print --stats at the end. */
#include "vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "backend/term.h"
#include "dev/virtio_mmio.h"
#include "kvm/layout.h"
#include "kvm/pvh.h"
#include "machine.h"

#define VMM_WATCHDOG_PERIOD 1.0 /* seconds between checks of a guest that runs long */
#define VMM_AP_STACK_SIZE   (128 << 10)
#define VMM_KICK_SIGNAL     SIGUSR1
#define X86_RFLAGS_IF       (1ull << 9)

static double vmm_process_start;
static volatile sig_atomic_t vmm_signal_pending; /* SIGINT, SIGTERM or SIGHUP */
static volatile sig_atomic_t vmm_alarm_pending;

/* The process start, as near as we can tell it cheaply: before main. */
__attribute__((constructor)) static void vmm_note_start(void)
{
	vmm_process_start = machine_now();
}

double machine_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void machine_report(const struct machine *mc, const char *fmt, ...)
{
	term_flush();
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "toro: %s: ", mc->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int machine_stopping(const struct machine *mc)
{
	return __atomic_load_n(&mc->stopping, __ATOMIC_ACQUIRE);
}

void machine_stop(struct machine *mc, int code)
{
	int expected = 0;
	if (!__atomic_compare_exchange_n(&mc->stopping, &expected, 1, 0, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE))
		return;
	mc->exit_code = code;
	mc->t_stop = machine_now();
	/* The boot CPU's thread returns from vmm_run; wake it if another thread stops us. */
	if (!pthread_equal(pthread_self(), mc->cpus[0].thread))
		pthread_kill(mc->cpus[0].thread, VMM_KICK_SIGNAL);
}

/* Interrupts KVM_RUN on this thread: now, or at once on the next entry (immediate_exit closes
 * the window between checking the flags and entering the guest). */
static void vmm_signal_handler(int sig)
{
	if (sig == SIGALRM)
		vmm_alarm_pending = 1;
	else if (sig != VMM_KICK_SIGNAL)
		vmm_signal_pending = sig;
	if (vcpu_current_run)
		vcpu_current_run->immediate_exit = 1;
}

static void vmm_arm_watchdog(double seconds)
{
	struct itimerval it = {{0, 0}, {0, 0}};
	if (seconds < 0.001)
		seconds = 0.001;
	it.it_value.tv_sec = (time_t)seconds;
	it.it_value.tv_usec = (suseconds_t)((seconds - (double)it.it_value.tv_sec) * 1e6);
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Arms the next check: at the deadline or a watchdog period from now, whichever is first. */
static void vmm_schedule_check(struct machine *mc)
{
	double next = VMM_WATCHDOG_PERIOD;
	if (mc->deadline && mc->deadline - machine_now() < next)
		next = mc->deadline - machine_now();
	vmm_arm_watchdog(next);
}

/* A vCPU halted with interrupts off wakes only for NMI or INIT: with one vCPU nothing sends
 * those, so the guest is gone. With more, another CPU might; say so once and go on. */
static void vmm_check_halted(struct machine *mc, struct vcpu_thread *vt)
{
	struct kvm_mp_state mp;
	struct kvm_regs r;
	if (ioctl(vt->vcpu.fd, KVM_GET_MP_STATE, &mp) < 0 || mp.mp_state != KVM_MP_STATE_HALTED ||
	    ioctl(vt->vcpu.fd, KVM_GET_REGS, &r) < 0 || (r.rflags & X86_RFLAGS_IF))
		return;
	char where[160];
	machine_symbolize(mc, r.rip, where, sizeof(where));
	if (mc->ncpus > 1) {
		if (!vt->halt_warned)
			machine_report(mc,
			               "vCPU 0 halted with interrupts disabled at RIP %#llx in "
			               "%s; only another CPU can wake it",
			               (unsigned long long)r.rip, where);
		vt->halt_warned = 1;
		return;
	}
	machine_report(mc,
	               "vCPU 0 halted with interrupts disabled at RIP %#llx in %s: it can never "
	               "wake; stopped",
	               (unsigned long long)r.rip, where);
	machine_stop(mc, MACHINE_EXIT_GUEST_DIED);
}

void machine_check_signals(struct machine *mc, struct vcpu_thread *vt)
{
	if (vmm_signal_pending) {
		machine_report(mc, "interrupted; guest stopped");
		machine_stop(mc, TORO_EXIT_SIGNAL);
		return;
	}
	if (!vmm_alarm_pending)
		return;
	vmm_alarm_pending = 0;
	if (mc->deadline && machine_now() >= mc->deadline) {
		machine_report(mc, "guest still running after %g s (--timeout); stopped",
		               mc->opts->timeout);
		machine_stop(mc, TORO_EXIT_TIMEOUT);
		return;
	}
	vmm_check_halted(mc, vt);
	if (!machine_stopping(mc))
		vmm_schedule_check(mc);
}

static void vmm_install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vmm_signal_handler; /* no SA_RESTART: KVM_RUN must return EINTR */
	sigemptyset(&sa.sa_mask);
	int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGALRM, VMM_KICK_SIGNAL};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void vmm_irq(void *ctx, unsigned irq)
{
	kvm_irq_pulse(ctx, irq);
}

static void vmm_stop_from_device(void *ctx, int code)
{
	machine_stop(ctx, code);
}

/* Puts a virtio device model on the next virtio-mmio slot (address and IRQ from layout.h). */
static int vmm_add_virtio(struct machine *mc, const struct virtio_device_ops *ops, void *priv)
{
	if (mc->nvirtio == (int)(sizeof(mc->virtio) / sizeof(mc->virtio[0])))
		return -1;
	struct virtio_dev *d = &mc->virtio[mc->nvirtio];
	uint64_t base = LAYOUT_VIRTIO_MMIO_BASE + (uint64_t)mc->nvirtio * LAYOUT_VIRTIO_MMIO_SIZE;
	unsigned irq = LAYOUT_VIRTIO_IRQ_BASE + (unsigned)mc->nvirtio;
	virtio_mmio_init(d, ops, priv, &mc->vm.mem, base, irq, vmm_irq, &mc->vm);
	mc->nvirtio++;
	return bus_add(&mc->mmio, base, LAYOUT_VIRTIO_MMIO_SIZE, virtio_mmio_read,
	               virtio_mmio_write, d);
}

/* COM1, the exit port, i8042, debugcon, and the virtio-mmio devices: a virtio console with
 * --console virtio (otherwise the kernel's console is COM1 alone). */
static int vmm_add_devices(struct machine *mc)
{
	bus_init(&mc->pio, "port");
	bus_init(&mc->mmio, "MMIO address");
	serial_init(&mc->serial, term_output, NULL);
	serial_set_irq(&mc->serial, vmm_irq, &mc->vm);
	exitport_init(&mc->exitport, vmm_stop_from_device, mc);
	virtio_console_init(&mc->console, term_output, NULL);
	int bad = bus_add(&mc->pio, SERIAL_COM1_PORT, SERIAL_PORTS, serial_read, serial_write,
	                  &mc->serial);
	bad |= bus_add(&mc->pio, EXITPORT_PORT, EXITPORT_PORT_LEN, exitport_read, exitport_write,
	               &mc->exitport);
	bad |= bus_add(&mc->pio, EXITPORT_I8042_PORT, 1, i8042_read, i8042_write, &mc->exitport);
	bad |= bus_add(&mc->pio, EXITPORT_DEBUGCON_PORT, 1, debugcon_read, debugcon_write,
	               &mc->exitport);

	if (mc->opts->console == CONSOLE_VIRTIO)
		bad |= vmm_add_virtio(mc, &virtio_console_ops, &mc->console);
	return bad ? -1 : 0;
}

/* "virtio_mmio.device=4K@0xd0000000:5 ..." for the kernel command line. */
static void vmm_virtio_words(const struct machine *mc, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < mc->nvirtio && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%svirtio_mmio.device=%lluK@%#llx:%u",
		                      i ? " " : "", LAYOUT_VIRTIO_MMIO_SIZE >> 10,
		                      (unsigned long long)mc->virtio[i].base, mc->virtio[i].irq);
}

static void *vmm_ap_thread(void *arg)
{
	vcpu_loop(arg);
	return NULL;
}

/* Application processors run on their own threads, which leave Ctrl-C, SIGTERM and the
 * watchdog alarm to the boot CPU's thread. */
static int vmm_start_aps(struct machine *mc)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGALRM);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, VMM_AP_STACK_SIZE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int r = 0;
	for (int i = 1; i < mc->ncpus && r == 0; i++) {
		r = pthread_create(&mc->cpus[i].thread, &attr, vmm_ap_thread, &mc->cpus[i]);
		if (r) {
			machine_report(mc, "cannot start the thread of vCPU %d: %s", i,
			               strerror(r));
			mc->ncpus = i; /* the ones started are stopped and joined */
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return r ? -1 : 0;
}

static void vmm_stop_aps(struct machine *mc)
{
	for (int i = 1; i < mc->ncpus; i++)
		pthread_kill(mc->cpus[i].thread, VMM_KICK_SIGNAL);
	for (int i = 1; i < mc->ncpus; i++)
		pthread_join(mc->cpus[i].thread, NULL);
}

/* Resident pages of the whole process, from /proc/self/statm. */
static uint64_t vmm_resident_pages(void)
{
	char buf[128];
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	unsigned long long size, resident;
	if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return 0;
	return resident;
}

static void vmm_print_stats(struct machine *mc)
{
	double t0 = vmm_process_start;
	double end = mc->t_stop ? mc->t_stop : machine_now();
	uint64_t exits[MACHINE_EXIT_REASONS] = {0}, total = 0, interrupted = 0;
	for (int i = 0; i < mc->ncpus; i++) {
		for (int r = 0; r < MACHINE_EXIT_REASONS; r++) {
			exits[r] += mc->cpus[i].exits[r];
			total += mc->cpus[i].exits[r];
		}
		interrupted += mc->cpus[i].interrupted;
	}
	char list[512] = "";
	size_t n = 0;
	for (int r = 0; r < MACHINE_EXIT_REASONS && n < sizeof(list); r++) {
		if (!exits[r])
			continue;
		const char *name = vcpu_exit_name((unsigned)r);
		if (name)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s %llu",
			                      n ? ", " : "", name, (unsigned long long)exits[r]);
		else
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%sreason %d: %llu",
			                      n ? ", " : "", r, (unsigned long long)exits[r]);
	}
	uint64_t guest_pages = guest_mem_resident_pages(&mc->vm.mem);
	uint64_t rss_pages = vmm_resident_pages();
	uint64_t monitor_pages = rss_pages > guest_pages ? rss_pages - guest_pages : 0;
	term_flush();
	fprintf(stderr,
	        "toro stats: built-in monitor, %d vCPU%s, %llu MiB\n"
	        "  to first guest instruction  %.3f ms (first KVM_RUN; first VM exit at %.3f ms)\n"
	        "  to exit                     %.3f ms\n"
	        "  VM exits                    %llu: %s%s (and %llu KVM_RUN returns for signals)\n"
	        "  guest pages touched         %llu (%llu KiB)\n"
	        "  monitor RSS                 %llu KiB without guest pages (%llu KiB with)\n",
	        mc->ncpus, mc->ncpus > 1 ? "s" : "", (unsigned long long)(mc->vm.mem.size >> 20),
	        (mc->t_first_run - t0) * 1e3,
	        mc->t_first_exit ? (mc->t_first_exit - t0) * 1e3 : 0.0, (end - t0) * 1e3,
	        (unsigned long long)total, total ? "" : "none", list,
	        (unsigned long long)interrupted, (unsigned long long)guest_pages,
	        (unsigned long long)(guest_pages * GUEST_PAGE_SIZE >> 10),
	        (unsigned long long)(monitor_pages * 4), (unsigned long long)(rss_pages * 4));
}

/* Destroying a VM with an in-kernel irqchip takes ~12 ms on this kind of host (an SRCU grace
 * period for each in-kernel device), and a process's exit waits for it before its parent sees
 * the exit status. So a helper process that shares our address space (CLONE_VM: nothing is
 * copied) keeps copies of the VM's file descriptors, drops the terminal, waits for a pipe to
 * close (which happens when we exit) and exits: the VM is torn down after `toro run` has
 * returned its status. If the helper cannot be started, the teardown simply happens at our exit. */
static int vmm_teardown_helper(void *arg)
{
	int *pipe_fds = arg;
	sigset_t all;
	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof(uint64_t));
	syscall(SYS_close, pipe_fds[1]);
	for (int fd = 0; fd <= 2; fd++)
		syscall(SYS_close, fd);
	char c;
	while (syscall(SYS_read, pipe_fds[0], &c, 1) != 0 && errno == EINTR)
		;
	syscall(SYS_exit, 0);
	return 0;
}

static void vmm_defer_teardown(void)
{
	static int pipe_fds[2];
	static char stack[16 << 10] __attribute__((aligned(16)));
	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return;
	/* Exit signal 0: the helper outlives us and is reaped by whoever adopts it. */
	if (clone(vmm_teardown_helper, stack + sizeof(stack), CLONE_VM, pipe_fds) < 0) {
		close(pipe_fds[1]);
	}
	close(pipe_fds[0]); /* ours; the write end stays open until we exit */
}

/* Everything that can be refused about the image and options, before KVM is touched. */
static int vmm_check(struct machine *mc, const char *cmdline)
{
	char err[256];
	struct guest_mem layout;
	guest_mem_layout(&layout, mc->opts->mem);
	if (pvh_check(mc->img, &layout, cmdline, mc->ncpus, err, sizeof(err))) {
		machine_report(mc, "%s", err);
		return -1;
	}
	return 0;
}

static int vmm_setup(struct machine *mc, const char *cmdline)
{
	char err[256];
	if (kvm_vm_create(&mc->vm, mc->opts->mem, err, sizeof(err)))
		goto fail;
	struct mptable_cpu_info info;
	kvm_cpu_info(&mc->vm, &info);
	if (pvh_load(mc->img, &mc->vm.mem, cmdline, mc->ncpus, &info, err, sizeof(err)))
		goto fail;
	for (int i = 0; i < mc->ncpus; i++) {
		struct vcpu_thread *vt = &mc->cpus[i];
		vt->mc = mc;
		if (vcpu_create(&mc->vm, &vt->vcpu, i, err, sizeof(err)))
			goto fail;
		if (i == 0 ? vcpu_setup_pvh(&vt->vcpu, mc->img->pvh_entry, LAYOUT_START_INFO_ADDR,
		                            err, sizeof(err))
		           : vcpu_setup_ap(&vt->vcpu, err, sizeof(err)))
			goto fail;
	}
	return 0;
fail:
	machine_report(mc, "%s", err);
	return -1;
}

int vmm_run(const struct run_options *o, const struct image *img)
{
	/* Zero in BSS, and vmm_run runs once per process: not clearing it leaves the pages of
	 * the vCPU slots that are not used untouched. */
	static struct machine machine;
	struct machine *mc = &machine;
	mc->opts = o;
	mc->img = img;
	mc->name = o->image;
	mc->ncpus = o->cpus;
	mc->t_start = machine_now();
	pthread_mutex_init(&mc->dev_lock, NULL);
	mc->cpus[0].thread = pthread_self();
	if (vmm_add_devices(mc)) {
		machine_report(mc, "device layout clash (a bug)");
		return MACHINE_EXIT_HOST_ERROR;
	}
	char words[LAYOUT_VIRTIO_MAX * 48];
	vmm_virtio_words(mc, words, sizeof(words));
	char *cmdline = make_kernel_cmdline(o, words);
	if (!cmdline) {
		machine_report(mc, "arguments too long for the kernel command line");
		return TORO_EXIT_USAGE;
	}
	if (vmm_check(mc, cmdline)) {
		free(cmdline);
		return TORO_EXIT_USAGE;
	}
	char err[256];
	if (kvm_open(&mc->vm, err, sizeof(err))) {
		free(cmdline);
		return VMM_NO_KVM;
	}
	int setup = vmm_setup(mc, cmdline);
	free(cmdline);
	if (setup)
		return MACHINE_EXIT_HOST_ERROR;

	vmm_install_signals();
	if (o->timeout > 0)
		mc->deadline = machine_now() + o->timeout;
	vmm_schedule_check(mc);
	if (vmm_start_aps(mc) == 0)
		vcpu_loop(&mc->cpus[0]);
	else
		machine_stop(mc, MACHINE_EXIT_HOST_ERROR);
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	vmm_stop_aps(mc);
	pthread_mutex_lock(&mc->dev_lock);
	term_flush();
	pthread_mutex_unlock(&mc->dev_lock);
	if (mc->exit_code == TORO_EXIT_TIMEOUT) /* where a guest that never finished was */
		for (int i = 0; i < mc->ncpus; i++)
			vcpu_report_where(&mc->cpus[i]);
	if (o->stats)
		vmm_print_stats(mc);
	/* The VM, its vCPUs and guest RAM go with the process, which exits next. */
	vmm_defer_teardown();
	return mc->exit_code;
}
