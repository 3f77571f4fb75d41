/* x86-64 architectural constants (Intel SDM vol. 3) and our GDT layout. Included by assembler and
 * C files under arch/x86_64 only; generic code goes through kernel/arch.h. */
#ifndef KERNEL_ARCH_X86_64_X86_H
#define KERNEL_ARCH_X86_64_X86_H

#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_TSS       0x18

#define BOOT_STACK_SIZE 16384

#define CR0_PE 0x00000001
#define CR0_MP 0x00000002
#define CR0_EM 0x00000004
#define CR0_TS 0x00000008
#define CR0_NE 0x00000020
#define CR0_WP 0x00010000
#define CR0_PG 0x80000000

#define CR4_PAE        0x00000020
#define CR4_PGE        0x00000080
#define CR4_OSFXSR     0x00000200
#define CR4_OSXMMEXCPT 0x00000400

#define MSR_EFER    0xc0000080
#define MSR_STAR    0xc0000081
#define MSR_LSTAR   0xc0000082
#define MSR_FMASK   0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101

#define EFER_SCE 0x001
#define EFER_LME 0x100
#define EFER_NXE 0x800

#define PTE_P  0x001
#define PTE_W  0x002
#define PTE_PS 0x080

#ifndef __ASSEMBLER__
#include <stdint.h>
/* cpu.c: table[0..511] = first, first + step, ... (the identity map's tables). */
void fill_table(uint64_t *table, uint64_t first, uint64_t step);
#endif

#define RFLAGS_TF 0x00000100
#define RFLAGS_IF 0x00000200
#define RFLAGS_DF 0x00000400
#define RFLAGS_AC 0x00040000

#ifdef __ASSEMBLER__
/* clang-format off */
/* From 32-bit protected mode on the boot page tables to 64-bit code at `target`, for the boot
 * CPU (boot.S) and the others (trampoline.S) alike: PAE, SSE enabled for applications (MXCSR
 * keeps its reset value), EFER.LME, SCE (the syscall instruction) and NXE, then paging with
 * CR0.WP, so read-only pages (mprotect, kernel/arch/x86_64/paging.c) hold in ring 0 too. */
.macro enter_long_mode target
	mov %cr4, %eax
	or $(CR4_PAE + CR4_PGE + CR4_OSFXSR + CR4_OSXMMEXCPT), %eax
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $(EFER_LME + EFER_SCE + EFER_NXE), %eax
	wrmsr
	mov %cr0, %eax
	and $~(CR0_EM + CR0_TS), %eax
	or $(CR0_PG + CR0_PE + CR0_MP + CR0_NE + CR0_WP), %eax
	mov %eax, %cr0
	ljmp $GDT_KERNEL_CS, $\target
.endm
/* clang-format on */
#endif

#endif
