/* The floor for boot benchmarks: a PVH image whose first instruction writes exit code 0 to the
 * exit port. Anything a real image spends above this is the kernel's own start-up. */
	.section .note.Xen, "a"
	.p2align 2
	.long 4, 8, 18
	.asciz "Xen"
	.p2align 2
	.quad floor_start

	.text
	.code32
	.globl floor_start
floor_start:
	xor %eax, %eax
	out %al, $0xf4
1:	hlt
	jmp 1b
