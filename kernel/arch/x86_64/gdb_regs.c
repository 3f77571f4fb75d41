/* Registers for the gdb stub (kernel/gdb/): gdb's x86-64 register numbering, which the
 * target description below sets, over a stopped core's trap frame or a switched-out thread's
 * saved context; the x87 and SSE ones over the thread's FXSAVE image (gdb_fxsave.c), which is
 * wherever fpu.c's lazy switch left its state. */
#include <kernel/gdb.h>

#include <kernel/arch.h>
#include <kernel/cpu.h>
#include <kernel/sched.h>
#include <kernel/string.h>

#include "fxsave.h"
#include "gdb_fxsave.h"
#include "x86.h"

enum {
	REG_RSP = 7,
	REG_RIP = 16,
	REG_EFLAGS,
	REG_CS,
	REG_SS,
	REG_DS,
	REG_ES,
	REG_FS,
	REG_GS,
	REG_ST0,
	REG_FP_END = REG_ST0 + GDB_FX_COUNT, /* st0-st7, fctrl-fop, xmm0-xmm15, mxcsr */
	REG_FS_BASE = REG_FP_END,
	REG_GS_BASE,
	REG_COUNT,
};

#define FRAME(r) ((uint8_t) __builtin_offsetof(struct trap_frame, r))
/* rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp, r8..r15, rip in struct trap_frame. */
static const uint8_t frame_offset[REG_RIP + 1] = {
    FRAME(rax), FRAME(rbx), FRAME(rcx), FRAME(rdx), FRAME(rsi), FRAME(rdi),
    FRAME(rbp), FRAME(rsp), FRAME(r8),  FRAME(r9),  FRAME(r10), FRAME(r11),
    FRAME(r12), FRAME(r13), FRAME(r14), FRAME(r15), FRAME(rip),
};

/* Where arch_switch (switch.S) left a switched-out thread's registers, in 8-byte words above
 * its saved %rsp: r15, r14, r13, r12, rbx, rbp, the return address; -1 if not saved. */
#define SWITCH_FRAME_WORDS 7
static const int8_t switch_slot[REG_RIP + 1] = {
    -1, 4, -1, -1, -1, -1, 5, -1, -1, -1, -1, -1, 3, 2, 1, 0, 6,
};

static int reg_size(unsigned n)
{
	if (n <= REG_RIP || n == REG_FS_BASE || n == REG_GS_BASE)
		return 8;
	if (n >= REG_ST0 && n < REG_FP_END)
		return gdb_fx_size(n - REG_ST0);
	return 4;
}

/* --- x87 and SSE state --- */

/* A core's FPU registers while it is stopped: the FXSAVE image of its owner's state (fpu.c:
 * the thread whose state the registers hold, which need not be the one running), taken as it
 * stopped, and loaded back as it resumes if gdb changed it. owner is NULL while the core runs
 * and when no thread's state was in its registers. */
struct fp_stop {
	struct thread *owner;
	int changed;
	uint8_t image[FXSAVE_SIZE] __attribute__((aligned(16)));
};
static struct fp_stop fp_stops[CPU_MAX];
static uint8_t fp_initial[FXSAVE_SIZE];

/* FXSAVE or FXRSTOR with CR0.TS clear, as it was afterwards: fpu.c's lazy switch sets it for a
 * core whose running thread does not own the registers, and the instruction would raise #NM. */
static void fp_with_ts_clear(uint8_t *image, int save)
{
	uint64_t cr0;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	if (cr0 & CR0_TS)
		__asm__ volatile("clts" ::: "memory");
	if (save)
		__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[FXSAVE_SIZE])image));
	else
		__asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t(*)[FXSAVE_SIZE])image));
	if (cr0 & CR0_TS)
		__asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
}

/* A core with no owner has no FP state in its registers: nothing is executed (native images,
 * built without SSE, never get an owner, and may run where FXSAVE is refused). */
void gdb_fp_stop(void)
{
	struct cpu *c = this_cpu();
	struct fp_stop *s = &fp_stops[c->id];
	s->changed = 0;
	s->owner = c->fpu_owner;
	if (s->owner)
		fp_with_ts_clear(s->image, 1);
}

void gdb_fp_resume(void)
{
	struct fp_stop *s = &fp_stops[this_cpu()->id];
	if (s->owner && s->changed)
		fp_with_ts_clear(s->image, 0);
	s->owner = NULL;
}

/* Thread t's FP state while the machine is stopped: its core's image if the registers held it
 * there; its own save area if it has one (fpu.c loads it at its next FP instruction); else the
 * initial state, which it has never left (for a change, its save area starts from it and counts
 * as saved). NULL if the state is in the registers of a core that did not stop. */
static uint8_t *fp_state(struct thread *t, int change)
{
	struct cpu *c = t->cpu;
	if (c && fp_stops[c->id].owner == t) {
		fp_stops[c->id].changed |= change;
		return fp_stops[c->id].image;
	}
	if (c && c->fpu_owner == t)
		return NULL;
	if (t->fpu_valid)
		return t->fpu_area;
	if (!change) {
		gdb_fx_initial(fp_initial);
		return fp_initial;
	}
	gdb_fx_initial(t->fpu_area);
	t->fpu_valid = 1;
	return t->fpu_area;
}

static uint16_t data_segment(unsigned n)
{
	uint16_t v;
	switch (n) {
	case REG_DS:
		__asm__ volatile("mov %%ds, %0" : "=r"(v));
		break;
	case REG_ES:
		__asm__ volatile("mov %%es, %0" : "=r"(v));
		break;
	case REG_FS:
		__asm__ volatile("mov %%fs, %0" : "=r"(v));
		break;
	default:
		__asm__ volatile("mov %%gs, %0" : "=r"(v));
		break;
	}
	return v;
}

/* Points *p at register n's 8-byte home where it has one (the frame, or a switched-out
 * thread's saved words); NULL otherwise. */
static uint64_t *reg_home(const struct gdb_regs *r, unsigned n)
{
	if (r->frame) {
		if (n <= REG_RIP)
			return (uint64_t *)(void *)((char *)r->frame + frame_offset[n]);
		if (n == REG_EFLAGS)
			return &r->frame->rflags;
		return NULL;
	}
	if (n <= REG_RIP && switch_slot[n] >= 0)
		return (uint64_t *)(uintptr_t)r->thread->rsp + switch_slot[n];
	return NULL;
}

/* The value of a register that has no home and fits in 8 bytes; 0 if it is not known. */
static int reg_value(const struct gdb_regs *r, unsigned n, uint64_t *v)
{
	if (n == REG_RSP && !r->frame) {
		*v = r->thread->rsp + 8 * SWITCH_FRAME_WORDS;
		return 1;
	}
	switch (n) {
	case REG_CS:
		*v = r->frame ? r->frame->cs : GDT_KERNEL_CS;
		return 1;
	case REG_SS:
		*v = r->frame ? r->frame->ss : GDT_KERNEL_DS;
		return 1;
	case REG_DS:
	case REG_ES:
	case REG_FS:
	case REG_GS:
		*v = data_segment(n);
		return 1;
	case REG_FS_BASE:
		*v = r->thread->fs_base;
		return 1;
	case REG_GS_BASE:
		*v = (uintptr_t)r->thread->cpu; /* the kernel's GS base is its core's struct cpu */
		return 1;
	default:
		return 0;
	}
}

int arch_gdb_reg_read(const struct gdb_regs *r, unsigned n, uint8_t *out)
{
	if (n >= REG_COUNT)
		return 0;
	int size = reg_size(n);
	if (n >= REG_ST0 && n < REG_FP_END) {
		const uint8_t *image = fp_state(r->thread, 0);
		if (!image) {
			memset(out, 0, (size_t)size);
			return -size;
		}
		gdb_fx_read(image, n - REG_ST0, out);
		return size;
	}
	uint64_t v = 0, *home = reg_home(r, n);
	int known = home ? (v = *home, 1) : reg_value(r, n, &v);
	memset(out, 0, (size_t)size);
	memcpy(out, &v, size < 8 ? (size_t)size : 8);
	return known ? size : -size;
}

int arch_gdb_reg_write(const struct gdb_regs *r, unsigned n, const uint8_t *in)
{
	uint8_t now[ARCH_GDB_REG_MAX];
	int size = arch_gdb_reg_read(r, n, now);
	if (size == 0)
		return -1;
	if (size > 0 && memcmp(now, in, (size_t)size) == 0)
		return 0; /* unchanged (gdb's G sends every register back) */
	if (n >= REG_ST0 && n < REG_FP_END) {
		uint8_t *image = fp_state(r->thread, 1);
		return image ? gdb_fx_write(image, n - REG_ST0, in) : -1;
	}
	uint64_t *home = reg_home(r, n);
	if (!home)
		return -1;
	uint64_t v = 0;
	memcpy(&v, in, size < 0 ? (size_t)-size : (size_t)size);
	*home = v;
	return 0;
}

const char arch_gdb_target_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n"
    "<architecture>i386:x86-64</architecture>\n"
    "<feature name=\"org.gnu.gdb.i386.core\">\n"
    "<flags id=\"i386_eflags\" size=\"4\">\n"
    "<field name=\"CF\" start=\"0\" end=\"0\"/>\n"
    "<field name=\"\" start=\"1\" end=\"1\"/>\n"
    "<field name=\"PF\" start=\"2\" end=\"2\"/>\n"
    "<field name=\"AF\" start=\"4\" end=\"4\"/>\n"
    "<field name=\"ZF\" start=\"6\" end=\"6\"/>\n"
    "<field name=\"SF\" start=\"7\" end=\"7\"/>\n"
    "<field name=\"TF\" start=\"8\" end=\"8\"/>\n"
    "<field name=\"IF\" start=\"9\" end=\"9\"/>\n"
    "<field name=\"DF\" start=\"10\" end=\"10\"/>\n"
    "<field name=\"OF\" start=\"11\" end=\"11\"/>\n"
    "<field name=\"NT\" start=\"14\" end=\"14\"/>\n"
    "<field name=\"RF\" start=\"16\" end=\"16\"/>\n"
    "<field name=\"VM\" start=\"17\" end=\"17\"/>\n"
    "<field name=\"AC\" start=\"18\" end=\"18\"/>\n"
    "<field name=\"VIF\" start=\"19\" end=\"19\"/>\n"
    "<field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
    "<field name=\"ID\" start=\"21\" end=\"21\"/>\n"
    "</flags>\n"
    "<reg name=\"rax\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
    "<reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
    "<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>\n"
    "<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>\n"
    "<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "</feature>\n"
    "<feature name=\"org.gnu.gdb.i386.sse\">\n"
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
    "<union id=\"vec128\">\n"
    "<field name=\"v4_float\" type=\"v4f\"/>\n"
    "<field name=\"v2_double\" type=\"v2d\"/>\n"
    "<field name=\"v16_int8\" type=\"v16i8\"/>\n"
    "<field name=\"v8_int16\" type=\"v8i16\"/>\n"
    "<field name=\"v4_int32\" type=\"v4i32\"/>\n"
    "<field name=\"v2_int64\" type=\"v2i64\"/>\n"
    "<field name=\"uint128\" type=\"uint128\"/>\n"
    "</union>\n"
    "<flags id=\"i386_mxcsr\" size=\"4\">\n"
    "<field name=\"IE\" start=\"0\" end=\"0\"/>\n"
    "<field name=\"DE\" start=\"1\" end=\"1\"/>\n"
    "<field name=\"ZE\" start=\"2\" end=\"2\"/>\n"
    "<field name=\"OE\" start=\"3\" end=\"3\"/>\n"
    "<field name=\"UE\" start=\"4\" end=\"4\"/>\n"
    "<field name=\"PE\" start=\"5\" end=\"5\"/>\n"
    "<field name=\"DAZ\" start=\"6\" end=\"6\"/>\n"
    "<field name=\"IM\" start=\"7\" end=\"7\"/>\n"
    "<field name=\"DM\" start=\"8\" end=\"8\"/>\n"
    "<field name=\"ZM\" start=\"9\" end=\"9\"/>\n"
    "<field name=\"OM\" start=\"10\" end=\"10\"/>\n"
    "<field name=\"UM\" start=\"11\" end=\"11\"/>\n"
    "<field name=\"PM\" start=\"12\" end=\"12\"/>\n"
    "<field name=\"FZ\" start=\"15\" end=\"15\"/>\n"
    "</flags>\n"
    "<reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm1\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm2\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm3\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm4\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm5\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm6\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm7\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm8\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm9\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm10\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm11\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm12\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm13\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm14\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm15\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"mxcsr\" bitsize=\"32\" type=\"i386_mxcsr\" group=\"vector\"/>\n"
    "</feature>\n"
    "<feature name=\"org.gnu.gdb.i386.segments\">\n"
    "<reg name=\"fs_base\" bitsize=\"64\" type=\"int\"/>\n"
    "<reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>\n"
    "</feature>\n"
    "</target>\n";
