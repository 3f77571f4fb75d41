/* gdb's x87 and SSE registers over an FXSAVE image (see gdb_fxsave.h). The layout is fxsave.h's;
 * the conversions of the tag word and of the x87 pointers are those of gdb's own FXSAVE reader
 * for amd64 (fiseg and foseg are the upper halves of the 64-bit pointers there). */
#include "gdb_fxsave.h"

#include <kernel/string.h>

#include "fxsave.h"

enum { TAG_VALID, TAG_ZERO, TAG_SPECIAL, TAG_EMPTY };

#define FOP_BITS   0x7ff
#define FSW_TOP(v) (((v) >> 11) & 7)

/* Where register i lives in the image, and how many of its bytes (gdb's 32-bit fctrl, fstat
 * and fop take 16 there). */
static unsigned fx_offset(unsigned i, unsigned *bytes)
{
	static const uint8_t control[] = {
	    FXSAVE_FCW_OFFSET, FXSAVE_FSW_OFFSET,     FXSAVE_FTW_OFFSET, FXSAVE_FIP_OFFSET + 4,
	    FXSAVE_FIP_OFFSET, FXSAVE_FDP_OFFSET + 4, FXSAVE_FDP_OFFSET, FXSAVE_FOP_OFFSET,
	};
	if (i < GDB_FX_FCTRL) {
		*bytes = 10;
		return FXSAVE_ST0_OFFSET + 16 * i;
	}
	if (i >= GDB_FX_XMM0 && i < GDB_FX_MXCSR) {
		*bytes = 16;
		return FXSAVE_XMM0_OFFSET + 16 * (i - GDB_FX_XMM0);
	}
	if (i == GDB_FX_MXCSR) {
		*bytes = 4;
		return FXSAVE_MXCSR_OFFSET;
	}
	*bytes = i == GDB_FX_FCTRL || i == GDB_FX_FSTAT || i == GDB_FX_FOP ? 2 : 4;
	return control[i - GDB_FX_FCTRL];
}

int gdb_fx_size(unsigned i)
{
	if (i < GDB_FX_FCTRL)
		return 10;
	if (i >= GDB_FX_XMM0 && i < GDB_FX_MXCSR)
		return 16;
	return i < GDB_FX_COUNT ? 4 : 0;
}

static uint32_t load32(const uint8_t *p, unsigned bytes)
{
	uint32_t v = 0;
	memcpy(&v, p, bytes);
	return v;
}

/* The tag of a register in use, from its 80 bits: zero, special (NaN, infinity, denormal,
 * unnormal) or valid (Intel SDM vol. 1, 8.1.7). */
static unsigned x87_tag(const uint8_t *r)
{
	unsigned exponent = ((r[9] & 0x7fu) << 8) | r[8];
	int integer = (r[7] & 0x80) != 0;
	uint64_t fraction;
	memcpy(&fraction, r, 8);
	fraction &= ~(1ull << 63);
	if (exponent == 0x7fff)
		return TAG_SPECIAL;
	if (exponent == 0)
		return fraction == 0 && !integer ? TAG_ZERO : TAG_SPECIAL;
	return integer ? TAG_VALID : TAG_SPECIAL;
}

/* The full tag word: two bits per physical register; the image has the abridged one and keeps
 * the registers in stack order, physical register p being ST((p - TOP) mod 8). */
static uint32_t full_tag(const uint8_t *image)
{
	unsigned abridged = image[FXSAVE_FTW_OFFSET];
	unsigned top = FSW_TOP(load32(image + FXSAVE_FSW_OFFSET, 2));
	uint32_t tag = 0;
	for (unsigned p = 0; p < 8; p++) {
		unsigned st = (p - top) & 7;
		unsigned t =
		    abridged & (1u << p) ? x87_tag(image + FXSAVE_ST0_OFFSET + 16 * st) : TAG_EMPTY;
		tag |= t << (2 * p);
	}
	return tag;
}

void gdb_fx_read(const uint8_t *image, unsigned i, uint8_t *out)
{
	unsigned bytes, off = fx_offset(i, &bytes);
	memset(out, 0, (size_t)gdb_fx_size(i));
	if (i == GDB_FX_FTAG) {
		uint32_t tag = full_tag(image);
		memcpy(out, &tag, 4);
		return;
	}
	memcpy(out, image + off, bytes);
	if (i == GDB_FX_FOP)
		out[1] &= FOP_BITS >> 8;
}

int gdb_fx_write(uint8_t *image, unsigned i, const uint8_t *in)
{
	unsigned bytes, off = fx_offset(i, &bytes);
	uint32_t v = load32(in, 4);
	if (i == GDB_FX_FTAG) {
		uint8_t abridged = 0;
		for (unsigned p = 0; p < 8; p++)
			if (((v >> (2 * p)) & 3) != TAG_EMPTY)
				abridged |= (uint8_t)(1u << p);
		image[FXSAVE_FTW_OFFSET] = abridged;
		return 0;
	}
	if (i == GDB_FX_MXCSR) {
		uint32_t have = load32(image + FXSAVE_MXCSR_MASK, 4);
		if (v & ~(have ? have : MXCSR_MASK_DEFAULT))
			return -1;
	}
	if (i == GDB_FX_FOP)
		v &= FOP_BITS;
	memcpy(image + off,
	       i < GDB_FX_FCTRL || (i >= GDB_FX_XMM0 && i < GDB_FX_MXCSR) ? in : (uint8_t *)&v,
	       bytes);
	return 0;
}

void gdb_fx_initial(uint8_t *image)
{
	uint16_t fcw = FCW_DEFAULT;
	uint32_t mxcsr = MXCSR_DEFAULT;
	memset(image, 0, FXSAVE_SIZE);
	memcpy(image + FXSAVE_FCW_OFFSET, &fcw, 2);
	memcpy(image + FXSAVE_MXCSR_OFFSET, &mxcsr, 4);
}
