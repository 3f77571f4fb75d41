/* The syscall instruction, for POSIX images only (native images never link this file): it enters
 * syscall_entry (entry.S) in ring 0 with CS/SS from STAR. We never leave ring 0, so STAR's SYSRET
 * half is unused. FMASK clears IF, DF, TF and AC on entry. */
#include <kernel/arch.h>

#include "io.h"
#include "x86.h"

extern char syscall_entry[];

static void syscall_msrs_load(void)
{
	wrmsr(MSR_STAR, (uint64_t)GDT_KERNEL_CS << 32);
	wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC);
}

void arch_syscall_enable(void)
{
	syscall_msrs_load();
	arch_ap_syscall_init = syscall_msrs_load;
}

void arch_set_fs_base(uint64_t base)
{
	wrmsr(MSR_FS_BASE, base);
}
