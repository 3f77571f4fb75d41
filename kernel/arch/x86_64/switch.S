/* Thread context switch: only the callee-saved registers are saved (the caller of arch_switch
 * already saved the rest, as for any call). arch_stack_init builds the same frame on a new
 * stack, so the two stay side by side. */
	.text
	.globl arch_switch
	.type arch_switch, @function
arch_switch:                         /* (uint64_t *save_rsp, uint64_t next_rsp) */
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
	.size arch_switch, . - arch_switch

/* uint64_t arch_stack_init(uintptr_t top, void (*start)(void)): below top, a zero return
 * address for start (it ends backtraces), start itself for arch_switch's ret, and zeros for the
 * six registers arch_switch pops. top is 16-byte aligned, so start begins as if called. */
	.globl arch_stack_init
	.type arch_stack_init, @function
arch_stack_init:
	lea -64(%rdi), %rax
	movq $0, 56(%rax)
	mov %rsi, 48(%rax)
	xor %ecx, %ecx
	mov %rcx, 40(%rax)               /* rbp */
	mov %rcx, 32(%rax)               /* rbx */
	mov %rcx, 24(%rax)               /* r12 */
	mov %rcx, 16(%rax)               /* r13 */
	mov %rcx, 8(%rax)                /* r14 */
	mov %rcx, (%rax)                 /* r15 */
	ret
	.size arch_stack_init, . - arch_stack_init
