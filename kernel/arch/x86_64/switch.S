/* Thread context switch: only the callee-saved registers are saved (the caller of arch_switch
 * already saved the rest, as for any call). */
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
