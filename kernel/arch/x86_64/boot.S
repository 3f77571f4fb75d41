/* PVH entry: the monitor starts us here in 32-bit protected mode, paging off, with %ebx holding
 * the physical address of struct hvm_start_info (docs/design.md §2). We load our GDT, clear the page
 * tables, identity-map the first 4 GiB (1 GiB pages, or 2 MiB pages without pdpe1gb), enter long
 * mode, clear the rest of BSS and call kernel_start(start_info) on the boot stack.
 * RAM above 4 GiB is mapped later, from C, once the memory map is known (arch_map_ram). */

#include "x86.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.section .note.Xen, "a"
	.p2align 2
	.long 4                       /* namesz: "Xen\0" */
	.long 8                       /* descsz: a quad, so readers of 4 or 8 bytes both work */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.p2align 2
	.quad pvh_start32

	.section .text.boot, "ax"
	.code32
	.globl pvh_start32
	.type pvh_start32, @function
pvh_start32:
	cli
	cld
	mov %ebx, %esi                /* start_info, kept in %esi (= low half of %rsi) */
	lgdt boot_gdt_ptr
	mov $GDT_KERNEL_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs

	/* Page tables live at the start of BSS (the loader need not have zeroed it). The PML4 is
	 * cleared here; of the PDPT only the four entries written below are used before long mode,
	 * which clears the rest in quadwords (half the iterations of doing it here). */
	mov $boot_pml4, %edi
	mov $(4096 / 4), %ecx
	rep stosl
	mov $boot_pdpt, %edi
	mov $(4 * 8 / 4), %ecx
	rep stosl

	movl $(boot_pdpt + PTE_P + PTE_W), boot_pml4

	/* CPUID.80000001h:EDX[26] says whether 1 GiB pages exist. */
	mov $0x80000001, %eax
	cpuid
	bt $26, %edx
	jnc 2f

	/* 1 GiB pages for 0..4 GiB. */
	mov $boot_pdpt, %edi
	movl $(0x00000000 + PTE_P + PTE_W + PTE_PS), 0(%edi)
	movl $(0x40000000 + PTE_P + PTE_W + PTE_PS), 8(%edi)
	movl $(0x80000000 + PTE_P + PTE_W + PTE_PS), 16(%edi)
	movl $(0xc0000000 + PTE_P + PTE_W + PTE_PS), 24(%edi)
	jmp 4f

2:	/* 2 MiB pages for 0..4 GiB: four page directories, written in full so they need no clearing. */
	mov $boot_pd, %edi
	movl $(boot_pd + 0 * 4096 + PTE_P + PTE_W), boot_pdpt + 0
	movl $(boot_pd + 1 * 4096 + PTE_P + PTE_W), boot_pdpt + 8
	movl $(boot_pd + 2 * 4096 + PTE_P + PTE_W), boot_pdpt + 16
	movl $(boot_pd + 3 * 4096 + PTE_P + PTE_W), boot_pdpt + 24
	mov $(PTE_P + PTE_W + PTE_PS), %eax
	mov $2048, %ecx
3:	mov %eax, (%edi)
	movl $0, 4(%edi)
	add $0x200000, %eax
	add $8, %edi
	dec %ecx
	jnz 3b

4:	enter_long_mode long_mode

	.code64
	.type long_mode, @function
long_mode:
	mov $boot_stack_top, %esp
	/* Clear the rest of the PDPT (beyond its four boot entries) and of BSS, in quadwords. */
	mov $(boot_pdpt + 4 * 8), %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	shr $3, %ecx
	xor %eax, %eax
	rep stosq
	mov %esi, %edi                /* kernel_start(struct hvm_start_info *) */
	xor %ebp, %ebp                /* ends frame-pointer backtraces */
	call kernel_start
5:	cli
	hlt
	jmp 5b

	.section .rodata.boot, "a"
	.p2align 3
boot_gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt

	/* The GDT stays in use after boot; arch_cpu_init fills in the TSS descriptor. */
	.section .data.gdt, "aw"
	.p2align 4
	.globl gdt
gdt:
	.quad 0                       /* null */
	.quad 0x00af9a000000ffff      /* GDT_KERNEL_CS: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff      /* GDT_KERNEL_DS: flat data */
	.globl gdt_tss
gdt_tss:
	.quad 0, 0                    /* GDT_TSS: 64-bit TSS, 16 bytes */
gdt_end:

	/* BSS starts with the page tables (see toro.ld). */
	.section .bss.pagetables, "aw", @nobits
	.p2align 12
	.globl boot_pml4, boot_pdpt
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096

	/* Neither stacks nor fully written tables need clearing. */
	.section .noinit.boot, "aw", @nobits
	.p2align 12
	.globl boot_pd
boot_pd:
	.skip 4 * 4096
	.globl boot_stack_top
boot_stack:
	.skip BOOT_STACK_SIZE
boot_stack_top:
