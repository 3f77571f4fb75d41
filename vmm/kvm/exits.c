/* The vCPU loop: KVM_RUN, then one handler per exit reason. Port I/O and MMIO go to the board's
 * buses (port devices under one lock, virtio devices under their own); a guest that dies (triple fault, an instruction KVM cannot run,
 * a failed VM entry, a halt with interrupts off) is reported and ends the run with status 3. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "layout.h"
#include "machine.h"

#define X86_RFLAGS_IF (1ull << 9)
#define X86_INSN_MAX  15
#define X86_EFER_LMA  (1ull << 10)
#define X86_CR0_PE    (1ull << 0)
/* Where a CPU starts after RESET or INIT: CS selector f000, IP fff0, real mode. */
#define X86_RESET_CS  0xf000
#define X86_RESET_RIP 0xfff0

static void vcpu_dump_registers(struct vcpu_thread *vt)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	if (ioctl(vt->vcpu.fd, KVM_GET_REGS, &r) < 0 || ioctl(vt->vcpu.fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(stderr, "  (registers unavailable: %s)\n", strerror(errno));
		return;
	}
	char where[160];
	machine_symbolize(vt->mc, r.rip, where, sizeof(where));
	fprintf(stderr,
	        "  RIP %016llx (%s)  RSP %016llx  RFLAGS %08llx\n"
	        "  RAX %016llx  RBX %016llx  RCX %016llx  RDX %016llx\n"
	        "  RSI %016llx  RDI %016llx  RBP %016llx  R8  %016llx\n"
	        "  R9  %016llx  R10 %016llx  R11 %016llx  R12 %016llx\n"
	        "  R13 %016llx  R14 %016llx  R15 %016llx\n"
	        "  CR0 %016llx  CR2 %016llx  CR3 %016llx  CR4 %016llx\n"
	        "  EFER %llx  CS %04x (%s)  IDT %llx/%x  GDT %llx/%x\n",
	        r.rip, where, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp,
	        r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, s.cr0, s.cr2, s.cr3, s.cr4,
	        s.efer, s.cs.selector,
	        s.cs.l    ? "64-bit"
	        : s.cs.db ? "32-bit"
	                  : "16-bit",
	        s.idt.base, s.idt.limit, s.gdt.base, s.gdt.limit);
}

const char *vcpu_exit_name(unsigned reason)
{
	static const char *const names[] = {
	    [KVM_EXIT_UNKNOWN] = "unknown",
	    [KVM_EXIT_IO] = "io",
	    [KVM_EXIT_HLT] = "hlt",
	    [KVM_EXIT_MMIO] = "mmio",
	    [KVM_EXIT_IRQ_WINDOW_OPEN] = "irq-window",
	    [KVM_EXIT_SHUTDOWN] = "shutdown",
	    [KVM_EXIT_FAIL_ENTRY] = "fail-entry",
	    [KVM_EXIT_INTR] = "intr",
	    [KVM_EXIT_INTERNAL_ERROR] = "internal-error",
	    [KVM_EXIT_SYSTEM_EVENT] = "system-event",
	};
	return reason < sizeof(names) / sizeof(names[0]) && names[reason] ? names[reason] : NULL;
}

static void vcpu_exit_io(struct vcpu_thread *vt)
{
	struct machine *mc = vt->mc;
	struct kvm_run *run = vt->vcpu.run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	int is_write = run->io.direction == KVM_EXIT_IO_OUT;
	pthread_mutex_lock(&mc->dev_lock);
	for (uint32_t i = 0; i < run->io.count; i++)
		bus_access(&mc->board.pio, run->io.port, data + i * run->io.size, run->io.size,
		           is_write);
	pthread_mutex_unlock(&mc->dev_lock);
}

static void vcpu_exit_mmio(struct vcpu_thread *vt)
{
	struct machine *mc = vt->mc;
	struct kvm_run *run = vt->vcpu.run;
	unsigned len = run->mmio.len <= sizeof(run->mmio.data) ? run->mmio.len : 0;
	if (!len)
		return;
	/* Only virtio devices live on the MMIO bus, and each takes its own lock. */
	bus_access(&mc->board.mmio, run->mmio.phys_addr, run->mmio.data, len, run->mmio.is_write);
}

/* Reads the instruction bytes at the vCPU's RIP through the checked guest access. Returns how
 * many were read (fewer near the end of RAM, 0 if RIP does not translate). */
static unsigned vcpu_read_insn(struct vcpu_thread *vt, uint64_t rip, uint8_t *buf)
{
	struct kvm_translation t = {.linear_address = rip};
	uint64_t gpa = rip;
	if (ioctl(vt->vcpu.fd, KVM_TRANSLATE, &t) == 0) {
		if (!t.valid)
			return 0;
		gpa = t.physical_address;
	}
	for (unsigned n = X86_INSN_MAX; n > 0; n--) {
		const uint8_t *p = guest_ptr(&vt->mc->vm.mem, gpa, n);
		if (p) {
			memcpy(buf, p, n);
			return n;
		}
	}
	return 0;
}

static void vcpu_exit_internal_error(struct vcpu_thread *vt)
{
	struct machine *mc = vt->mc;
	struct kvm_run *run = vt->vcpu.run;
	struct kvm_regs r;
	memset(&r, 0, sizeof(r));
	ioctl(vt->vcpu.fd, KVM_GET_REGS, &r);
	if (run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION) {
		machine_report(mc, "KVM internal error on vCPU %d (suberror %u); registers:",
		               vt->vcpu.id, run->internal.suberror);
		vcpu_dump_registers(vt);
		machine_stop(mc, MACHINE_EXIT_GUEST_DIED);
		return;
	}
	uint8_t insn[X86_INSN_MAX];
	unsigned n = vcpu_read_insn(vt, r.rip, insn);
	char bytes[3 * X86_INSN_MAX + 1] = "", where[160];
	for (unsigned i = 0; i < n; i++)
		snprintf(bytes + 3 * i, sizeof(bytes) - 3 * i, "%02x%s", insn[i], i + 1 < n ? " " : "");
	machine_symbolize(mc, r.rip, where, sizeof(where));
	if (kvm_host_is_software()) {
		machine_report(
		    mc,
		    "vCPU %d stopped at RIP %#llx in %s (bytes %s): this host's /dev/kvm "
		    "is a software KVM that cannot run this instruction (SSE/FPU?); "
		    "--vmm qemu runs it",
		    vt->vcpu.id, (unsigned long long)r.rip, where, n ? bytes : "unreadable");
	} else {
		machine_report(
		    mc,
		    "KVM could not emulate the instruction at RIP %#llx in %s (bytes %s) "
		    "on vCPU %d; registers:",
		    (unsigned long long)r.rip, where, n ? bytes : "unreadable", vt->vcpu.id);
		vcpu_dump_registers(vt);
	}
	machine_stop(mc, MACHINE_EXIT_GUEST_DIED);
}

/* A vCPU halted with interrupts off wakes only for NMI or INIT: with one vCPU nothing sends
 * those, so the guest is gone and the run stops; with more, another CPU might, so it is said
 * once and the run goes on. Checked on a HLT exit, and on the boot CPU at each watchdog tick:
 * with the in-kernel LAPIC, KVM handles `hlt` itself and only its MP state shows it. */
static void vcpu_check_halted(struct vcpu_thread *vt)
{
	struct machine *mc = vt->mc;
	struct kvm_regs r;
	if (ioctl(vt->vcpu.fd, KVM_GET_REGS, &r) < 0 || (r.rflags & X86_RFLAGS_IF))
		return;
	char where[160];
	machine_symbolize(mc, r.rip, where, sizeof(where));
	if (mc->ncpus > 1) {
		if (!vt->halt_warned)
			machine_report(mc,
			               "vCPU %d halted with interrupts disabled at RIP %#llx in "
			               "%s; only another CPU can wake it",
			               vt->vcpu.id, (unsigned long long)r.rip, where);
		vt->halt_warned = 1;
		return;
	}
	machine_report(mc,
	               "vCPU %d halted with interrupts disabled at RIP %#llx in %s: it can "
	               "never wake; stopped",
	               vt->vcpu.id, (unsigned long long)r.rip, where);
	machine_stop(mc, MACHINE_EXIT_GUEST_DIED);
}

static int vcpu_halted(const struct vcpu_thread *vt)
{
	struct kvm_mp_state mp;
	return ioctl(vt->vcpu.fd, KVM_GET_MP_STATE, &mp) == 0 && mp.mp_state == KVM_MP_STATE_HALTED;
}

static void vcpu_exit_system_event(struct vcpu_thread *vt)
{
	struct machine *mc = vt->mc;
	switch (vt->vcpu.run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
	case KVM_SYSTEM_EVENT_RESET:
		exitport_reset(&mc->board.exitport);
		break;
	default:
		machine_report(mc, "guest system event %u on vCPU %d; stopped",
		               vt->vcpu.run->system_event.type, vt->vcpu.id);
		machine_stop(mc, MACHINE_EXIT_GUEST_DIED);
	}
}

/* A triple fault. KVM on AMD (SVM) resets the vCPU before returning to us, because the VMCB is
 * undefined after a shutdown intercept, so what KVM_GET_REGS shows there is the reset state, not
 * the fault's: that is said, with the state at the vCPU's previous exit marked as such. */
static void vcpu_exit_shutdown(struct vcpu_thread *vt)
{
	struct machine *mc = vt->mc;
	struct kvm_regs r;
	struct kvm_sregs s;
	int reset = ioctl(vt->vcpu.fd, KVM_GET_REGS, &r) == 0 &&
	            ioctl(vt->vcpu.fd, KVM_GET_SREGS, &s) == 0 && r.rip == X86_RESET_RIP &&
	            s.cs.selector == X86_RESET_CS && !(s.cr0 & X86_CR0_PE);
	if (!reset) {
		machine_report(mc, "guest triple fault on vCPU %d; registers:", vt->vcpu.id);
		vcpu_dump_registers(vt);
	} else {
		machine_report(mc,
		               "guest triple fault on vCPU %d; this host's KVM resets the vCPU on a "
		               "triple fault, so the registers at the fault are lost",
		               vt->vcpu.id);
		if (vt->last_exit != KVM_EXIT_UNKNOWN) {
			const struct kvm_regs *l = &vt->last_regs;
			const char *name = vcpu_exit_name(vt->last_exit);
			char where[160];
			machine_symbolize(mc, l->rip, where, sizeof(where));
			fprintf(stderr,
			        "  last known state, at the vCPU's previous exit (%s): RIP %016llx (%s)  "
			        "RSP %016llx  RBP %016llx\n",
			        name ? name : "other", l->rip, where, l->rsp, l->rbp);
		} else {
			fprintf(stderr, "  (no earlier state: %s)\n",
			        vt->vcpu.synced_regs ? "the vCPU had not exited before"
			                             : "this KVM does not give registers at each exit");
		}
	}
	machine_stop(mc, MACHINE_EXIT_GUEST_DIED);
}

static void vcpu_handle_exit(struct vcpu_thread *vt)
{
	struct machine *mc = vt->mc;
	struct kvm_run *run = vt->vcpu.run;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_exit_io(vt);
		break;
	case KVM_EXIT_MMIO:
		vcpu_exit_mmio(vt);
		break;
	case KVM_EXIT_HLT:
		vcpu_check_halted(vt);
		break;
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		break;
	case KVM_EXIT_SHUTDOWN:
		vcpu_exit_shutdown(vt);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_exit_internal_error(vt);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		machine_report(mc, "VM entry failed on vCPU %d (hardware reason %#llx); registers:",
		               vt->vcpu.id,
		               (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		vcpu_dump_registers(vt);
		machine_stop(mc, MACHINE_EXIT_GUEST_DIED);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		vcpu_exit_system_event(vt);
		break;
	default:
		machine_report(mc, "unexpected KVM exit reason %u on vCPU %d; registers:",
		               run->exit_reason, vt->vcpu.id);
		vcpu_dump_registers(vt);
		machine_stop(mc, MACHINE_EXIT_GUEST_DIED);
	}
}

/* Keeps the registers KVM synced into kvm_run on this return from KVM_RUN. */
static void vcpu_note_state(struct vcpu_thread *vt, uint32_t reason)
{
	if (!vt->vcpu.synced_regs)
		return;
	vt->last_regs = vt->vcpu.run->s.regs.regs;
	vt->last_exit = reason;
}

void vcpu_report_where(const struct vcpu_thread *vt)
{
	if (vt->last_exit == KVM_EXIT_UNKNOWN)
		return;
	char where[160];
	machine_symbolize(vt->mc, vt->last_regs.rip, where, sizeof(where));
	fprintf(stderr, "  vCPU %d was at RIP %016llx (%s)  RSP %016llx\n", vt->vcpu.id,
	        vt->last_regs.rip, where, vt->last_regs.rsp);
}

void vcpu_loop(struct vcpu_thread *vt)
{
	struct machine *mc = vt->mc;
	struct kvm_run *run = vt->vcpu.run;
	int boot_cpu = vt->vcpu.id == 0;
	vcpu_current_run = run;
	if (boot_cpu)
		mc->t_first_run = machine_now();
	while (!machine_stopping(mc)) {
		if (ioctl(vt->vcpu.fd, KVM_RUN, 0) < 0) {
			if (errno != EINTR && errno != EAGAIN) {
				machine_report(mc, "KVM_RUN on vCPU %d: %s", vt->vcpu.id,
				               strerror(errno));
				machine_stop(mc, MACHINE_EXIT_HOST_ERROR);
				break;
			}
			run->immediate_exit = 0;
			vt->interrupted++;
			vcpu_note_state(vt, KVM_EXIT_INTR);
			if (boot_cpu && signals_check(mc) && vcpu_halted(vt))
				vcpu_check_halted(vt);
			continue;
		}
		if (boot_cpu && !mc->t_first_exit)
			mc->t_first_exit = machine_now();
		if (run->exit_reason < MACHINE_EXIT_REASONS)
			vt->exits[run->exit_reason]++;
		if (run->exit_reason != KVM_EXIT_SHUTDOWN)
			vcpu_note_state(vt, run->exit_reason);
		vcpu_handle_exit(vt);
	}
	vcpu_current_run = NULL;
}
