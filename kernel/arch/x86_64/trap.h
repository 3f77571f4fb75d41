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

#endif
