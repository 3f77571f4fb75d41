/* Exception entries of images with the gdb stub: gdb.c points the IDT's debug, breakpoint, NMI
 * and fault vectors here, at stubs like entry.S's that call gdb_arch_trap instead. */
#include "trap_frame.h"

	.text
	.p2align 4
	.globl gdb_trap_stubs
gdb_trap_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	trap_stub \v, gdb_trap_common
	.endr

	.type gdb_trap_common, @function
gdb_trap_common:
	trap_frame_save
	cld
	mov %rsp, %rdi
	call gdb_arch_trap
	trap_frame_restore
	add $16, %rsp
	iretq
