/* The 512-byte FXSAVE image of the x87, MMX and SSE state in 64-bit mode (Intel SDM vol. 1,
 * 10.5.1, "FXSAVE Area"): where each field is, and the values a thread starts with. Used by the
 * lazy FPU switch (fpu.c) and the gdb stub's registers (gdb_fxsave.c). */
#ifndef KERNEL_ARCH_X86_64_FXSAVE_H
#define KERNEL_ARCH_X86_64_FXSAVE_H

#define FXSAVE_SIZE         512
#define FXSAVE_FCW_OFFSET   0  /* x87 control word, 16 bits */
#define FXSAVE_FSW_OFFSET   2  /* x87 status word, 16 bits (TOP in bits 11-13) */
#define FXSAVE_FTW_OFFSET   4  /* abridged tag: 8 bits, one per physical register, 1 = in use */
#define FXSAVE_FOP_OFFSET   6  /* last x87 opcode, 11 bits */
#define FXSAVE_FIP_OFFSET   8  /* last x87 instruction pointer, 64 bits */
#define FXSAVE_FDP_OFFSET   16 /* last x87 operand pointer, 64 bits */
#define FXSAVE_MXCSR_OFFSET 24
#define FXSAVE_MXCSR_MASK   28  /* the MXCSR bits this CPU has; 0 means 0xffbf */
#define FXSAVE_ST0_OFFSET   32  /* ST(0)..ST(7), 80 bits each in 16-byte slots, in stack order */
#define FXSAVE_XMM0_OFFSET  160 /* XMM0..XMM15, 16 bytes each */

#define FCW_DEFAULT        0x037f /* all x87 exceptions masked, 64-bit precision */
#define MXCSR_DEFAULT      0x1f80 /* all SSE exceptions masked, round to nearest */
#define MXCSR_MASK_DEFAULT 0xffbf /* what a zero MXCSR_MASK field stands for (no DAZ) */

#endif
