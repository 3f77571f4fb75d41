/* gdb's x87 and SSE registers over an FXSAVE image (kernel/arch/x86_64/gdb_fxsave.c), checked
 * against this host's own FPU: images FXSAVE made here read back as FNSTENV and the registers
 * say (the full tag word above all), and images written register by register load with FXRSTOR
 * into exactly those values. Also the initial state, the 11-bit opcode, the 64-bit pointers'
 * halves, and MXCSR values FXRSTOR would refuse. */
// SOURCES: kernel/arch/x86_64/gdb_fxsave.c
#include "../../kernel/arch/x86_64/gdb_fxsave.h"
#include "../../kernel/arch/x86_64/fxsave.h"

#include <stdint.h>
#include <string.h>

#include "check.h"

struct image {
	uint8_t b[FXSAVE_SIZE];
} __attribute__((aligned(16)));

/* What FNSTENV stores in 64-bit mode (28 bytes): the control, status and full tag words first. */
struct fenv {
	uint16_t fcw, pad0, fsw, pad1, ftw, pad2;
	uint32_t rest[4];
};

static uint32_t reg32(const struct image *img, unsigned i)
{
	uint8_t v[16];
	uint32_t r;
	gdb_fx_read(img->b, i, v);
	memcpy(&r, v, 4);
	return r;
}

static int write32(struct image *img, unsigned i, uint32_t v)
{
	uint8_t in[4];
	memcpy(in, &v, 4);
	return gdb_fx_write(img->b, i, in);
}

/* 80-bit extended 1.0 and 2.0: the explicit integer bit, exponent bias 0x3fff. */
static const uint8_t ext_one[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f};
static const uint8_t ext_two[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0x40};

static void test_initial(void)
{
	struct image img;
	uint8_t v[16], zero[16] = {0};
	memset(img.b, 0xa5, sizeof(img.b));
	gdb_fx_initial(img.b);
	CHECK(reg32(&img, GDB_FX_FCTRL) == FCW_DEFAULT);
	CHECK(reg32(&img, GDB_FX_FSTAT) == 0);
	CHECK(reg32(&img, GDB_FX_FTAG) == 0xffff); /* every register empty */
	CHECK(reg32(&img, GDB_FX_MXCSR) == MXCSR_DEFAULT);
	gdb_fx_read(img.b, GDB_FX_XMM0 + 15, v);
	CHECK(memcmp(v, zero, 16) == 0);
	gdb_fx_read(img.b, GDB_FX_ST0 + 7, v);
	CHECK(memcmp(v, zero, 10) == 0);
	CHECK(gdb_fx_size(GDB_FX_ST0) == 10 && gdb_fx_size(GDB_FX_XMM0 + 3) == 16);
	CHECK(gdb_fx_size(GDB_FX_FOP) == 4 && gdb_fx_size(GDB_FX_MXCSR) == 4);
	CHECK(gdb_fx_size(GDB_FX_COUNT) == 0);
}

/* The host's FPU in a known state: 1.0, 0.0 and a quiet NaN pushed (one valid, one zero, one
 * special register, five empty, TOP 5), xmm3 a pattern, MXCSR rounding toward zero. */
static void test_read_host_state(void)
{
	static const double qnan = __builtin_nan("");
	uint8_t pattern[16], v[16];
	struct image img;
	struct fenv env;
	uint32_t mxcsr = MXCSR_DEFAULT | 0x6000;
	for (int i = 0; i < 16; i++)
		pattern[i] = (uint8_t)(0x10 + i);
	__asm__ volatile("fninit\n\t"
	                 "fld1\n\t"
	                 "fldz\n\t"
	                 "fldl %[nan]\n\t"
	                 "movdqu %[pat], %%xmm3\n\t"
	                 "ldmxcsr %[csr]\n\t"
	                 "fxsave64 %[img]\n\t"
	                 "fnstenv %[env]\n\t"
	                 "fninit"
	                 : [img] "=m"(img), [env] "=m"(env)
	                 : [nan] "m"(qnan), [pat] "m"(pattern), [csr] "m"(mxcsr)
	                 : "xmm3", "memory");
	CHECK(reg32(&img, GDB_FX_FTAG) == env.ftw);
	CHECK(env.ftw == 0x1bff); /* physical 7: valid, 6: zero, 5: special, the rest empty */
	CHECK(reg32(&img, GDB_FX_FSTAT) == env.fsw);
	CHECK(((reg32(&img, GDB_FX_FSTAT) >> 11) & 7) == 5);
	CHECK(reg32(&img, GDB_FX_FCTRL) == env.fcw);
	CHECK(reg32(&img, GDB_FX_MXCSR) == mxcsr);
	gdb_fx_read(img.b, GDB_FX_ST0 + 2, v);
	CHECK(memcmp(v, ext_one, 10) == 0);
	gdb_fx_read(img.b, GDB_FX_XMM0 + 3, v);
	CHECK(memcmp(v, pattern, 16) == 0);
	__asm__ volatile("ldmxcsr %0" : : "m"((uint32_t){MXCSR_DEFAULT}));
}

/* Registers written one by one into the initial image, loaded into the host's FPU. */
static void test_write_then_load(void)
{
	uint8_t pattern[16], xmm[16], st0[10];
	struct image img;
	struct fenv env;
	uint32_t mxcsr;
	for (int i = 0; i < 16; i++)
		pattern[i] = (uint8_t)(0xf0 - i);
	gdb_fx_initial(img.b);
	CHECK(gdb_fx_write(img.b, GDB_FX_XMM0 + 5, pattern) == 0);
	CHECK(write32(&img, GDB_FX_MXCSR, MXCSR_DEFAULT | 0x8000) == 0); /* flush to zero */
	/* One register pushed: TOP 7, physical register 7 (ST0) in use. */
	CHECK(write32(&img, GDB_FX_FSTAT, 7u << 11) == 0);
	CHECK(write32(&img, GDB_FX_FTAG, 0x3fff) == 0);
	CHECK(gdb_fx_write(img.b, GDB_FX_ST0, ext_two) == 0);
	CHECK(reg32(&img, GDB_FX_FTAG) == 0x3fff);
	__asm__ volatile("fxrstor64 %[img]\n\t"
	                 "movdqu %%xmm5, %[xmm]\n\t"
	                 "stmxcsr %[csr]\n\t"
	                 "fnstenv %[env]\n\t"
	                 "fldenv %[env]\n\t"
	                 "fstpt %[st0]\n\t"
	                 "fninit\n\t"
	                 "ldmxcsr %[dflt]"
	                 : [xmm] "=m"(xmm), [csr] "=m"(mxcsr), [env] "=m"(env), [st0] "=m"(st0)
	                 : [img] "m"(img), [dflt] "m"((uint32_t){MXCSR_DEFAULT})
	                 : "xmm5", "memory");
	CHECK(memcmp(xmm, pattern, 16) == 0);
	CHECK(mxcsr == (MXCSR_DEFAULT | 0x8000));
	CHECK(env.ftw == 0x3fff);
	CHECK(((env.fsw >> 11) & 7) == 7);
	CHECK(memcmp(st0, ext_two, 10) == 0);
}

static void test_fields(void)
{
	struct image img, before;
	uint64_t fip = 0x1122334455667788ull, fdp = 0x99aabbccddeeff00ull;
	gdb_fx_initial(img.b);
	memcpy(img.b + FXSAVE_FIP_OFFSET, &fip, 8);
	memcpy(img.b + FXSAVE_FDP_OFFSET, &fdp, 8);
	CHECK(reg32(&img, GDB_FX_FIOFF) == 0x55667788u && reg32(&img, GDB_FX_FISEG) == 0x11223344u);
	CHECK(reg32(&img, GDB_FX_FOOFF) == 0xddeeff00u && reg32(&img, GDB_FX_FOSEG) == 0x99aabbccu);
	CHECK(write32(&img, GDB_FX_FISEG, 0xcafe) == 0);
	memcpy(&fip, img.b + FXSAVE_FIP_OFFSET, 8);
	CHECK(fip == 0x0000cafe55667788ull);
	/* The opcode has 11 bits; the rest of its 16 stay zero. */
	CHECK(write32(&img, GDB_FX_FOP, 0xffff) == 0);
	CHECK(reg32(&img, GDB_FX_FOP) == 0x7ff);
	CHECK(img.b[FXSAVE_FOP_OFFSET + 1] == 0x07);
	/* fctrl is 16 bits in the image: its neighbour, fstat, is not touched. */
	CHECK(write32(&img, GDB_FX_FSTAT, 0x1234) == 0);
	CHECK(write32(&img, GDB_FX_FCTRL, 0x0000027f) == 0);
	CHECK(reg32(&img, GDB_FX_FSTAT) == 0x1234 && reg32(&img, GDB_FX_FCTRL) == 0x027f);
	/* MXCSR: reserved bits, and DAZ where the image's mask (0: the default) lacks it. */
	before = img;
	CHECK(write32(&img, GDB_FX_MXCSR, 0x10000 | MXCSR_DEFAULT) == -1);
	CHECK(write32(&img, GDB_FX_MXCSR, 0x40 | MXCSR_DEFAULT) == -1);
	CHECK(memcmp(&img, &before, sizeof(img)) == 0);
	uint32_t mask = 0xffff;
	memcpy(img.b + FXSAVE_MXCSR_MASK, &mask, 4);
	CHECK(write32(&img, GDB_FX_MXCSR, 0x40 | MXCSR_DEFAULT) == 0);
	CHECK(reg32(&img, GDB_FX_MXCSR) == (0x40 | MXCSR_DEFAULT));
}

int main(void)
{
	test_initial();
	test_read_host_state();
	test_write_then_load();
	test_fields();
	return check_summary("gdb_fxsave");
}
