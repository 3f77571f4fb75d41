/* The application-processor start-up code. The boot CPU copies trampoline_start..trampoline_end
 * to TRAMPOLINE_ADDR (below 1 MiB, page aligned) and sends INIT-SIPI-SIPI with that page; the AP
 * starts here in real mode, goes through protected mode into long mode on the boot page tables,
 * and calls the entry in trampoline_params with its cpu on its stack. smp.c writes those words
 * in the copy before each start, so this file refers to nothing outside itself. */

#include "x86.h"

#define TRAMPOLINE_ADDR 0x8000
#define REL(sym) ((sym) - trampoline_start + TRAMPOLINE_ADDR)
#define TRAMP_CS32 0x18

	.section .rodata.trampoline, "a"
	.globl trampoline_start, trampoline_end, trampoline_params_copy
	.code16
trampoline_start:
	cli
	cld
	xor %ax, %ax
	mov %ax, %ds
	lgdtl REL(tramp_gdt_ptr)
	mov %cr0, %eax
	or $CR0_PE, %eax
	mov %eax, %cr0
	ljmpl $TRAMP_CS32, $REL(tramp32)

	.code32
tramp32:
	mov $GDT_KERNEL_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	enter_long_mode ap_long_mode

	.p2align 3
tramp_gdt:
	.quad 0
	.quad 0x00af9a000000ffff      /* GDT_KERNEL_CS: 64-bit code */
	.quad 0x00cf92000000ffff      /* GDT_KERNEL_DS */
	.quad 0x00cf9a000000ffff      /* TRAMP_CS32: 32-bit code */
tramp_gdt_end:
tramp_gdt_ptr:
	.word tramp_gdt_end - tramp_gdt - 1
	.long REL(tramp_gdt)
	.p2align 3
trampoline_params:                   /* struct trampoline_params in smp.c */
	.set trampoline_params_copy, REL(trampoline_params) /* where the copy's are */
	.quad 0                       /* cpu: ap_start's argument */
	.quad 0                       /* stack: its top */
	.quad 0                       /* entry: ap_start */
trampoline_end:

	.text
	.code64
	.type ap_long_mode, @function
ap_long_mode:
	mov REL(trampoline_params + 8), %rsp
	mov REL(trampoline_params), %rdi
	xor %ebp, %ebp
	call *REL(trampoline_params + 16)
1:	cli
	hlt
	jmp 1b
