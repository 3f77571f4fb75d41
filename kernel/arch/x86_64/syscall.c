/* The syscall instruction, for POSIX images only (native images never link this file): it enters
 * syscall_entry (entry.S) in ring 0 with CS/SS from STAR. We never leave ring 0, so STAR's SYSRET
 * half is unused. FMASK clears IF, DF, TF and AC on entry. */
#include <kernel/arch.h>

#include "io.h"
#include "trap.h"
#include "x86.h"

extern char syscall_entry[];

static void syscall_msrs_load(void)
{
	wrmsr(MSR_STAR, (uint64_t)GDT_KERNEL_CS << 32);
	wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC);
}

extern const char arch_user_access_start[], arch_user_access_end[], arch_user_access_fault[];

#define VEC_PAGE_FAULT         14
#define VEC_GENERAL_PROTECTION 13

int trap_fixup_user_access(struct trap_frame *f, int vector)
{
	if (vector != VEC_PAGE_FAULT && vector != VEC_GENERAL_PROTECTION)
		return 0;
	if (f->rip < (uintptr_t)arch_user_access_start || f->rip >= (uintptr_t)arch_user_access_end)
		return 0;
	f->rip = (uintptr_t)arch_user_access_fault;
	return 1;
}

void arch_syscall_enable(void)
{
	syscall_msrs_load();
	arch_ap_syscall_init = syscall_msrs_load;
}
