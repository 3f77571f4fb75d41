/* The syscall instruction's entry, linked into POSIX images only (see syscall.c). */

	.text
/* The syscall instruction lands here in ring 0, on the caller's stack, with the return address
 * in %rcx and the caller's rflags in %r11 (FMASK cleared IF). We keep the Linux contract: only
 * %rax (result), %rcx and %r11 change. The caller's 128-byte red zone is skipped first, and the
 * stack is realigned for C. Return is by popfq and an indirect jump, never sysret: we stay in
 * ring 0 and this host's KVM cannot emulate sysret (docs/design.md §4). */
	.globl syscall_entry
	.type syscall_entry, @function
syscall_entry:
	lea -128(%rsp), %rsp
	push %rcx                     /* return address */
	push %r11                     /* caller's rflags */
	push %rbx                     /* struct syscall_args, from the top down to nr */
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	push %r9
	push %r8
	push %r10
	push %rdx
	push %rsi
	push %rdi
	push %rax
	mov %rsp, %rdi
	mov %rsp, %rbx
	and $-16, %rsp
	cld
	call syscall_dispatch
	mov %rbx, %rsp
	.globl syscall_exit
/* %rsp = a struct syscall_args, %rax = the result: restore the caller's registers and return to
 * it. A new clone() thread starts here too, with a copy of its parent's frame (arch_syscall_return). */
syscall_exit:
	add $8, %rsp                  /* nr: replaced by the result in %rax */
	pop %rdi
	pop %rsi
	pop %rdx
	pop %r10
	pop %r8
	pop %r9
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	mov (%rsp), %r11              /* Linux returns the caller's rflags in %r11 */
	popfq
	pop %rcx
	lea 128(%rsp), %rsp
	jmp *%rcx
	.size syscall_entry, . - syscall_entry

/* arch_syscall_return(frame, result): leave a system call from a frame built elsewhere. */
	.globl arch_syscall_return
	.type arch_syscall_return, @function
arch_syscall_return:
	mov %rdi, %rsp
	mov %rsi, %rax
	jmp syscall_exit

/* arch_signal_jump(gregs): runs the context gregs describes (Linux's struct sigcontext order:
 * r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, rflags), every general register
 * included, as a signal handler's start and rt_sigreturn need. iretq loads %rsp, %rip and
 * rflags at once (ring 0 to ring 0; it still pops SS:RSP in long mode). */
	.globl arch_signal_jump
	.type arch_signal_jump, @function
arch_signal_jump:
	mov %ss, %eax
	push %rax
	push 120(%rdi)                /* rsp */
	push 136(%rdi)                /* rflags */
	mov %cs, %eax
	push %rax
	push 128(%rdi)                /* rip */
	mov 0(%rdi), %r8
	mov 8(%rdi), %r9
	mov 16(%rdi), %r10
	mov 24(%rdi), %r11
	mov 32(%rdi), %r12
	mov 40(%rdi), %r13
	mov 48(%rdi), %r14
	mov 56(%rdi), %r15
	mov 72(%rdi), %rsi
	mov 80(%rdi), %rbp
	mov 88(%rdi), %rbx
	mov 96(%rdi), %rdx
	mov 104(%rdi), %rax
	mov 112(%rdi), %rcx
	mov 64(%rdi), %rdi
	iretq
	.size arch_signal_jump, . - arch_signal_jump
