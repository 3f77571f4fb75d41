/* The general registers of struct trap_frame (kernel/include/kernel/arch.h), saved and restored
 * by every exception entry (entry.S, and gdb_entry.S in images with the gdb stub). */
#ifndef KERNEL_ARCH_X86_64_TRAP_FRAME_H
#define KERNEL_ARCH_X86_64_TRAP_FRAME_H
/* clang-format off */
/* Exceptions with a CPU-pushed error code; the others push a zero so every frame looks alike. */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
			   (v) == 29 || (v) == 30)

/* Every stub is 16 bytes, so vector v's stub is at the table's start + 16 * v (cpu.c). */
	.macro trap_stub vector, common
	.p2align 4
\common\()_stub_\vector:
	.if !HAS_ERROR_CODE(\vector)
	push $0
	.endif
	push $\vector
	jmp \common
	.org \common\()_stub_\vector + 16, 0xcc /* exactly 16 bytes: an error if the code outgrows it */
	.endm

	.macro trap_frame_save
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	.endm

	.macro trap_frame_restore
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	.endm
/* clang-format on */
#endif
