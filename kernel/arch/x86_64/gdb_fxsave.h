/* gdb's x87 and SSE registers (the target description's org.gnu.gdb.i386.core x87 part and
 * org.gnu.gdb.i386.sse, in gdb_regs.c) read from and written to an FXSAVE image (fxsave.h).
 * Plain data conversion, built into the gdb stub and into tests/unit/gdb_fxsave.c. */
#ifndef KERNEL_ARCH_X86_64_GDB_FXSAVE_H
#define KERNEL_ARCH_X86_64_GDB_FXSAVE_H

#include <stdint.h>

/* The registers in gdb's order, numbered from st0. */
enum {
	GDB_FX_ST0 = 0,
	GDB_FX_FCTRL = 8,
	GDB_FX_FSTAT,
	GDB_FX_FTAG,
	GDB_FX_FISEG,
	GDB_FX_FIOFF,
	GDB_FX_FOSEG,
	GDB_FX_FOOFF,
	GDB_FX_FOP,
	GDB_FX_XMM0,
	GDB_FX_MXCSR = GDB_FX_XMM0 + 16,
	GDB_FX_COUNT,
};

/* Register i's size in bytes (10 for st0-st7, 16 for xmm0-xmm15, 4 for the rest). */
int gdb_fx_size(unsigned i);
/* Register i from image into out (gdb_fx_size(i) bytes, little-endian as gdb wants them). ftag
 * is the full x87 tag word, two bits a register, made from the image's abridged one and the
 * registers' contents, as FSTENV would give it. */
void gdb_fx_read(const uint8_t *image, unsigned i, uint8_t *out);
/* Sets register i in image from in; -1 (image unchanged) if the value could not be loaded
 * (MXCSR bits the CPU does not have, which FXRSTOR refuses with #GP). */
int gdb_fx_write(uint8_t *image, unsigned i, const uint8_t *in);
/* The state a thread starts with (fpu.c's): everything zero, every x87 register empty, the
 * default control words. */
void gdb_fx_initial(uint8_t *image);

/* gdb_regs.c, for gdb.c: this core's FPU registers, saved as the core stops if they hold a
 * thread's state (fpu.c's lazy switch leaves them to their owner), and loaded again as it
 * resumes if gdb changed them. Interrupts off. */
void gdb_fp_stop(void);
void gdb_fp_resume(void);

#endif
