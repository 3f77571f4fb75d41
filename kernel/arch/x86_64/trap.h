/* The register frame entry.S builds for an exception. Private to arch/x86_64. */
#ifndef KERNEL_ARCH_X86_64_TRAP_H
#define KERNEL_ARCH_X86_64_TRAP_H

#include <stdint.h>

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "matches trap_common in entry.S");

void trap_handle(struct trap_frame *f);

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

#endif
