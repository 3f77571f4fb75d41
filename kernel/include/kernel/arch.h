/* The architecture hooks generic kernel code calls. Everything x86-specific stays behind these in
 * kernel/arch/x86_64/. */
#ifndef KERNEL_ARCH_H
#define KERNEL_ARCH_H

#include <stddef.h>
#include <stdint.h>

/* Loads the GDT with its TSS, the IDT and the syscall MSRs on the boot CPU. */
void arch_cpu_init(void);

/* Extends the boot identity map (which covers 0..4 GiB) to cover RAM up to top (at most
 * ARCH_MAX_RAM). May allocate page tables from the page allocator. */
#define ARCH_MAX_RAM (512ull << 30)
void arch_map_ram(uint64_t top);

/* Writes bytes to the boot console (COM1). */
void arch_serial_init(void);
void arch_serial_write(const char *s, size_t len);

/* Ends the VM with code: the exit port, then an i8042 reset, then halt. Also writes the code to
 * debugcon_port first when it is not zero (toro run's QEMU path reads the full byte there). */
_Noreturn void arch_exit(int code, uint16_t debugcon_port);

/* Calls entry(arg) on a new stack; never returns (entry must not return either). */
_Noreturn void arch_call_on_stack(void *stack_top, void (*entry)(void *), void *arg);

/* Jumps to entry with %rsp = sp and every other register zero: the Linux process entry state
 * (musl's _start). */
_Noreturn void arch_enter_process(uint64_t sp, uint64_t entry);

/* Points the syscall instruction at syscall_entry, which calls syscall_dispatch. */
void arch_syscall_enable(void);

/* Thread pointer of the running application thread (ARCH_SET_FS). */
void arch_set_fs_base(uint64_t base);

/* CPU features applications see in AT_HWCAP (CPUID.1:EDX). */
uint64_t arch_hwcap(void);

/* Fills buf with random bytes: RDRAND where the CPU has it, mixed with the time stamp counter. */
void arch_random(void *buf, size_t len);

/* The time stamp counter. */
uint64_t arch_timestamp(void);

/* Nominal TSC frequency in Hz from CPUID leaves 0x15/0x16/0x40000010, or 0 if none says. */
uint64_t arch_tsc_hz(void);

/* Reads %rbp of the caller (for backtraces). */
static inline uintptr_t arch_frame_pointer(void)
{
	return (uintptr_t)__builtin_frame_address(0);
}

#endif
