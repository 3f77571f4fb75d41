/* Assembly entry points: the 32 exception stubs and the two stack switches (kernel thread
 * start, Linux process entry). The syscall entry is in syscall_entry.S, linked into POSIX images only. */

#include "trap_frame.h"

	.text

	.p2align 4
	.globl trap_stubs
trap_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	trap_stub \v, trap_common
	.endr

/* struct trap_frame (kernel/arch/x86_64/trap.h) is built here, lowest address first:
 * r15 ... rax, vector, error code, then the CPU's rip, cs, rflags, rsp, ss.
 * IST stacks are 16-byte aligned, and 22 quadwords keep %rsp aligned at the call. */
	.type trap_common, @function
trap_common:
	trap_frame_save
	cld
	mov %rsp, %rdi
	call trap_handle
	trap_frame_restore
	add $16, %rsp
	iretq


	.text
/* arch_call_on_stack(stack_top, entry, arg) */
	.globl arch_call_on_stack
	.type arch_call_on_stack, @function
arch_call_on_stack:
	mov %rdi, %rsp
	xor %ebp, %ebp
	mov %rdx, %rdi
	call *%rsi
1:	cli
	hlt
	jmp 1b

/* arch_enter_process(sp, entry): the state the Linux ABI gives a new process (musl's _start
 * reads argc at %rsp; %rdx = 0 means no exit handler from a dynamic linker). */
	.globl arch_enter_process
	.type arch_enter_process, @function
arch_enter_process:
	mov %rdi, %rsp
	mov %rsi, %r11
	xor %eax, %eax
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %ebp, %ebp
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
	push $0x202                   /* rflags: IF set, as for any Linux process */
	popfq
	jmp *%r11

/* Interrupt vectors 32..63 (device IRQs, timer, wake-up IPI, spurious): save what the C ABI
 * lets a call clobber, call irq_dispatch(vector), return. Handlers never switch threads, so the
 * per-core interrupt stack (IST) is enough; nested interrupts cannot happen (IF stays 0). */
	.macro irq_stub vector     /* 16 bytes each too: vector v at irq_stubs + 16 * (v - 32) */
	.p2align 4
irq_stub_\vector:
	push $0
	push $\vector
	jmp irq_common
	.org irq_stub_\vector + 16, 0xcc
	.endm

	.p2align 4
	.globl irq_stubs
irq_stubs:
	.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
	irq_stub \v
	.endr

	.type irq_common, @function
irq_common:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	cld
	mov 72(%rsp), %rdi            /* the vector */
	call irq_dispatch
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	add $16, %rsp
	iretq

