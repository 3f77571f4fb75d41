/* Copies to and from application memory for the system-call layer (kernel/sys/user.c). A fault
 * inside [arch_user_access_start, arch_user_access_end) is not fatal: trap.c resumes at
 * arch_user_access_fault, which returns -EFAULT to the caller. */
#define LINUX_EFAULT 14

	.text
/* long arch_user_copy(void *dst, const void *src, size_t len): 0, or -EFAULT. Eight bytes a
 * step, then the tail, as kernel/lib/memcpy.c (a `rep movsb` is one TCG instruction per byte). */
	.globl arch_user_copy
	.type arch_user_copy, @function
arch_user_copy:
	mov %rdx, %rcx
	shr $3, %rcx
	.globl arch_user_access_start
arch_user_access_start:
	rep movsq
	mov %edx, %ecx
	and $7, %ecx
	rep movsb
	xor %eax, %eax
	ret

/* long arch_user_fill(void *dst, int byte, size_t len): 0, or -EFAULT. */
	.globl arch_user_fill
	.type arch_user_fill, @function
arch_user_fill:
	movzbl %sil, %eax
	movabs $0x0101010101010101, %rcx
	imul %rcx, %rax
	mov %rdx, %rcx
	shr $3, %rcx
	rep stosq
	mov %edx, %ecx
	and $7, %ecx
	rep stosb
	xor %eax, %eax
	ret

/* long arch_user_probe(const void *p, size_t len): reads a byte of every page of [p, p + len),
 * len > 0 and p + len not wrapping: 0, or -EFAULT. Five instructions a page. */
	.globl arch_user_probe
	.type arch_user_probe, @function
arch_user_probe:
	lea -1(%rdi,%rsi), %rsi
1:	movb (%rdi), %al
	or $0xfff, %rdi
	inc %rdi
	cmp %rsi, %rdi
	jbe 1b
	xor %eax, %eax
	ret

/* long arch_user_load32(const uint32_t *src, uint32_t *out): one 4-byte load, atomic as the
 * futex word's must be. 0, or -EFAULT. */
	.globl arch_user_load32
	.type arch_user_load32, @function
arch_user_load32:
	mov (%rdi), %eax
	mov %eax, (%rsi)
	xor %eax, %eax
	ret
	.globl arch_user_access_end
arch_user_access_end:

/* Both helpers leave the stack as they found it before the faulting instruction, so the fixup
 * only sets the result and returns to their caller. */
	.globl arch_user_access_fault
	.type arch_user_access_fault, @function
arch_user_access_fault:
	mov $-LINUX_EFAULT, %rax
	ret
