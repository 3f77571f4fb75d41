/* The architecture hooks generic kernel code calls. Everything x86-specific stays behind these in
 * kernel/arch/x86_64/. */
#ifndef KERNEL_ARCH_H
#define KERNEL_ARCH_H

#include <stddef.h>
#include <stdint.h>

struct cpu;
struct thread;

/* Sets up the boot CPU: its GDT with a TSS (interrupt stacks), the IDT, and the GS base that
 * makes boot the struct this_cpu() returns. */
void arch_cpu_init(struct cpu *boot);

/* Finds the other CPUs (MP table, else ACPI MADT) and starts each; every one ends up in
 * sched_ap_main. acpi_rsdp_paddr is the RSDP the monitor named in start_info, or 0 (then it is
 * searched for). Returns the number of CPUs online. */
unsigned arch_smp_init(uint64_t acpi_rsdp_paddr);

/* Switches stacks: saves callee-saved registers and %rsp into *save_rsp, then resumes the
 * context saved at next_rsp. Interrupts off. */
void arch_switch(uint64_t *save_rsp, uint64_t next_rsp);

/* Prepares a new stack whose top is top (16-byte aligned) so that arch_switch to the returned
 * value starts start() with a clean frame-pointer chain. */
uint64_t arch_stack_init(uintptr_t top, void (*start)(void));

/* Lazy FP/SSE state (CR0.TS and #NM): called before switching to next; the state moves only
 * when a thread that does not own the core's FPU first uses it. */
void arch_fpu_switch(struct cpu *c, struct thread *next);
/* Saves t's FP state if this core's FPU holds it, and forgets it (t leaves the core or dies). */
void arch_fpu_release(struct cpu *c, struct thread *t, int save);

/* Interrupts the given core so that it looks at its inbox. */
void arch_send_wake(struct cpu *c);

/* Arms this core's one-shot timer for an absolute TSC value (0 disarms). */
void arch_timer_arm(uint64_t tsc_deadline);

/* Measures what the timer needs once the TSC rate is known (boot CPU). */
void arch_timer_init(uint64_t tsc_hz);

/* Measures the TSC against the LAPIC timer (1 GHz input clock on QEMU and KVM); 0 if it
 * cannot. */
uint64_t arch_tsc_calibrate(void);

/* TSC ticks per second from kvmclock, if the hypervisor offers it; else 0. */
uint64_t arch_kvmclock_tsc_hz(void);

static inline __attribute__((always_inline)) uint64_t arch_irq_save(void)
{
	uint64_t flags;
	__asm__ volatile("pushfq; pop %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

static inline __attribute__((always_inline)) void arch_irq_restore(uint64_t flags)
{
	if (flags & 0x200) /* RFLAGS.IF */
		__asm__ volatile("sti" : : : "memory");
}

static inline __attribute__((always_inline)) void arch_irq_enable(void)
{
	__asm__ volatile("sti" : : : "memory");
}

/* Enables interrupts and halts in one step (STI's shadow covers HLT, so a wake-up cannot slip
 * in between), then disables them again. */
static inline __attribute__((always_inline)) void arch_wait_for_interrupt(void)
{
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

/* Extends the boot identity map (which covers 0..4 GiB) to cover RAM up to top (at most
 * ARCH_MAX_RAM). May allocate page tables from the page allocator. ARCH_MAX_RAM is two PML4
 * entries: the largest guest `toro run` makes, 512 GiB of RAM around the 32-bit device hole,
 * ends a GiB or so above 512 GiB. */
#define ARCH_MAX_RAM (1ull << 40)
void arch_map_ram(uint64_t top);

/* a * b / c through a 128-bit product: one MUL and one DIV, where C's 128-bit division is a
 * libgcc call. The quotient must fit in 64 bits (a divide error otherwise). */
static inline uint64_t arch_mul_div(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t q, r;
	__asm__("mulq %3\n\tdivq %4" : "=a"(q), "=&d"(r) : "a"(a), "rm"(b), "rm"(c) : "cc");
	return q;
}

/* Page protections in the identity map (kernel/arch/x86_64/paging.c): guard pages and mprotect.
 * arch_protect sets [addr, addr + len) (page-aligned outward) to prot, splitting large pages as
 * needed; 0 or -ENOMEM. Freed memory must be made ARCH_PROT_RW again first: the page allocator
 * writes into free pages. arch_accessible says whether every page of the range allows the access
 * (a read, or a write when write is set), without touching it. */
#define ARCH_PROT_NONE 0
#define ARCH_PROT_READ 1
#define ARCH_PROT_RW   3
int arch_protect(uint64_t addr, uint64_t len, unsigned prot);
int arch_accessible(uint64_t addr, uint64_t len, int write);

/* Sets up the boot console (COM1) and registers it with the console registry
 * (kernel/console.h) as the console of last resort. First thing at boot. */
void arch_serial_init(void);

/* Ends the VM with code: the exit port, then an i8042 reset, then halt. Also writes the code to
 * debugcon_port first when it is not zero (toro run's QEMU path reads the full byte there). */
_Noreturn void arch_exit(int code, uint16_t debugcon_port);

/* Calls entry(arg) on a new stack; never returns (entry must not return either). */
_Noreturn void arch_call_on_stack(void *stack_top, void (*entry)(void *), void *arg);

/* Jumps to entry with %rsp = sp and every other register zero: the Linux process entry state
 * (musl's _start). */
_Noreturn void arch_enter_process(uint64_t sp, uint64_t entry);

/* Set by arch_syscall_enable: run on each application processor as it starts. */
extern void (*arch_ap_syscall_init)(void);

/* Points the syscall instruction at syscall_entry, which calls syscall_dispatch. */
void arch_syscall_enable(void);

/* Thread pointer of the running application thread (ARCH_SET_FS). */
void arch_set_fs_base(uint64_t base);

/* CPU features applications see in AT_HWCAP (CPUID.1:EDX). */
uint64_t arch_hwcap(void);

/* The processor as /proc/cpuinfo describes it (kernel/fs/proc.c): vendor and brand strings,
 * family, model and stepping as Linux computes them, and the names of the features applications
 * may use, space-separated (cpuinfo.c). */
struct arch_cpu_info {
	char vendor[13];
	char model_name[49];
	unsigned family, model, stepping;
	char flags[320];
};
void arch_cpu_info(struct arch_cpu_info *out);

/* Fills buf with random bytes: RDRAND where the CPU has it, mixed with the time stamp counter. */
void arch_random(void *buf, size_t len);

/* Copy and fill that return -EFAULT instead of faulting when the application's memory is not
 * there (usercopy.S; the trap handler resumes them). 0 on success. kernel/sys/user.c calls them
 * after its range checks, and kernel/fs for what it copies into a reader's buffer (which a POSIX
 * program may have mapped read-only). */
long arch_user_copy(void *dst, const void *src, size_t len);
long arch_user_fill(void *dst, int byte, size_t len);
long arch_user_load32(const uint32_t *src, uint32_t *out);
/* Reads a byte of every page of [p, p + len), len > 0: 0, or -EFAULT. */
long arch_user_probe(const void *p, size_t len);

/* The time stamp counter. */
uint64_t arch_timestamp(void);

/* Nominal TSC frequency in Hz from CPUID leaves 0x15/0x16/0x40000010, or 0 if none says. */
uint64_t arch_tsc_hz(void);

/* Reads %rbp of the caller (for backtraces). */
static inline __attribute__((always_inline)) uintptr_t arch_frame_pointer(void)
{
	return (uintptr_t)__builtin_frame_address(0);
}

/* The register frame entry.S builds for a CPU exception (x86-64 layout), for the fault paths
 * of POSIX images: signal delivery reads and rewrites it. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "matches trap_common in entry.S");

/* For POSIX images only (syscall.c; called first by trap_signal_hook): a page fault or general
 * protection fault inside the user-copy helpers (usercopy.S) means the application handed the
 * system-call layer a bad pointer; f then resumes at the helper's -EFAULT return. Returns 1 if
 * it did that. Native images link none of it, so their trap_handle stays as small as it was. */
int trap_fixup_user_access(struct trap_frame *f, int vector);

/* Set by POSIX images only (kernel/sys/signal.c, which native images never link): takes a fault
 * in application code. -1 when it redirected f to the application's handler, the signal whose
 * default action ends the VM (exit 128 + signal, as a Linux shell shows it), or 0 for a fault
 * that is not the application's (the native exit code, 128 + vector). */
extern int (*trap_signal_hook)(struct trap_frame *f, int vector, uint64_t cr2);

/* A line the hook may leave for the fault report (printed after the fault address). */
extern const char *trap_note;

#endif
