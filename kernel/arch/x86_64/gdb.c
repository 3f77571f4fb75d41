/* The x86-64 side of the gdb stub (kernel/gdb/): COM2 as one of its lines, the exception entries it
 * takes over (debug, breakpoint, NMI, faults), guest memory through the page tables, and
 * hardware breakpoints in DR0-DR7 (registers are in gdb_regs.c). Linked only with the stub. */
#include <kernel/gdb.h>

#include <kernel/arch.h>
#include <kernel/cpu.h>
#include <kernel/format.h>
#include <kernel/irq.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/string.h>

#include "apic.h"
#include "arch_cpu.h"
#include "gdb_fxsave.h"
#include "io.h"
#include "trap.h"
#include "x86.h"

/* COM2, a 16550 UART, polled; its interrupt only looks for Ctrl-C or a new gdb while the
 * program runs. */
#define COM2         0x2f8
#define COM2_IRQ     3 /* ISA IRQ 3, IOAPIC pin 3 */
#define UART_DATA    0
#define UART_IER     1
#define UART_FCR     2
#define UART_LCR     3
#define UART_MCR     4
#define UART_LSR     5
#define IER_RX       0x01
#define FCR_ENABLE   0x01
#define FCR_CLEAR    0x06
#define LCR_8N1      0x03
#define MCR_DTR_RTS  0x03
#define MCR_OUT2     0x08 /* gates the UART's interrupt line on PCs */
#define LSR_DR       0x01
#define LSR_THRE     0x20
#define UART_FIFO_SZ 16

#define VEC_DIVIDE     0
#define VEC_DEBUG      1
#define VEC_NMI        2
#define VEC_BREAKPOINT 3
#define VEC_INVALID_OP 6
#define VEC_SEGMENT_NP 11
#define VEC_STACK      12
#define VEC_GP         13
#define VEC_PAGE_FAULT 14
#define VEC_X87        16
#define VEC_ALIGNMENT  17
#define VEC_SIMD       19
#define IDT_STUB_SIZE  16

#define RFLAGS_RF 0x10000
#define DR6_BS    0x4000
#define DR6_RESET 0xffff0ff0ul
#define DR7_GE    0x200
#define HW_SLOTS  4

/* The lower half of the 48-bit address space: everything the identity map can hold. */
#define USER_HALF_END (1ull << 47)
/* The device hole below 4 GiB that both monitors leave (RAM ends at 3 GiB there): MMIO, which
 * gdb must not read by accident. */
#define DEVICE_HOLE_START (3ull << 30)
#define DEVICE_HOLE_END   (4ull << 30)

/* This core resumed with the trap flag for gdb: its next debug trap is a step's end. */
static int stepping[CPU_MAX];

extern const char gdb_trap_stubs[];
extern const char arch_user_access_start[], arch_user_access_end[];
void gdb_arch_trap(struct trap_frame *f);

/* --- COM2 --- */

int arch_gdb_getc(void *ctx)
{
	(void)ctx;
	while (!(inb(COM2 + UART_LSR) & LSR_DR))
		__builtin_ia32_pause();
	return inb(COM2 + UART_DATA);
}

void arch_gdb_write(void *ctx, const char *s, size_t len)
{
	(void)ctx;
	while (len > 0) {
		while (!(inb(COM2 + UART_LSR) & LSR_THRE))
			__builtin_ia32_pause();
		size_t n = len < UART_FIFO_SZ ? len : UART_FIFO_SZ;
		for (size_t i = 0; i < n; i++)
			outb(COM2 + UART_DATA, (uint8_t)s[i]);
		s += n;
		len -= n;
	}
}

/* A Ctrl-C or a new gdb while the program runs: the interrupted code (its frame is at the top of
 * this core's interrupt stack, no interrupt nests) goes on for one instruction with the trap flag
 * set, and the debug trap that follows stops the machine with every register at hand. Called
 * from COM2's interrupt, and from the timer's where COM2 raises none. */
void arch_gdb_interrupt_stop(void)
{
	struct arch_cpu *a = this_cpu()->arch;
	uint64_t *top = (uint64_t *)(void *)(a->irq_stack + IRQ_STACK);
	top[-3] |= RFLAGS_TF; /* ss, rsp, rflags, cs, rip from the top down */
}

void arch_gdb_poll_interrupt(void)
{
	int stop = 0;
	if (gdb_interrupt_pending)
		return; /* a stop is on its way: what follows is for the stub */
	while (!stop && (inb(COM2 + UART_LSR) & LSR_DR))
		stop = gdb_running_byte(inb(COM2 + UART_DATA));
	if (stop)
		arch_gdb_interrupt_stop();
}

static void com2_interrupt(void *ctx)
{
	(void)ctx;
	arch_gdb_poll_interrupt();
}

/* Points vector v of the IDT (shared by every core) at our stub, keeping its stack. */
static void idt_take(int v)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr;
	__asm__ volatile("sidt %0" : "=m"(idtr));
	uint8_t *e = (uint8_t *)(uintptr_t)idtr.base + 16 * v;
	uint64_t handler = (uintptr_t)gdb_trap_stubs + IDT_STUB_SIZE * (uint64_t)v;
	uint16_t low = (uint16_t)handler, mid = (uint16_t)(handler >> 16);
	uint32_t high = (uint32_t)(handler >> 32);
	memcpy(e, &low, 2);
	memcpy(e + 6, &mid, 2);
	memcpy(e + 8, &high, 4);
}

int arch_gdb_com2_init(void)
{
	uint8_t lsr = inb(COM2 + UART_LSR);
	if (lsr == 0xff || !(lsr & LSR_THRE))
		return -1; /* nothing answers at COM2 */
	outb(COM2 + UART_IER, 0);
	outb(COM2 + UART_FCR, FCR_ENABLE | FCR_CLEAR);
	outb(COM2 + UART_LCR, LCR_8N1);
	outb(COM2 + UART_MCR, MCR_DTR_RTS | MCR_OUT2);
	if (irq_register(COM2_IRQ, 0, com2_interrupt, NULL) == 0)
		outb(COM2 + UART_IER, IER_RX);
	return 0;
}

void arch_gdb_traps_init(void)
{
	static const int vectors[] = {VEC_DIVIDE,     VEC_DEBUG,      VEC_NMI,       VEC_BREAKPOINT,
	                              VEC_INVALID_OP, VEC_SEGMENT_NP, VEC_STACK,     VEC_GP,
	                              VEC_PAGE_FAULT, VEC_X87,        VEC_ALIGNMENT, VEC_SIMD};
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		idt_take(vectors[i]);
}

void arch_gdb_nmi(unsigned id)
{
	struct cpu *c = cpu_online(id);
	if (c)
		apic_send_nmi(c->apic_id);
}

/* A single step asked for on the spot, rather than int3: the debug trap it ends in is the stop.
 * (The software KVM of some hosts cannot run int3 in a guest's kernel mode at all, and the boot
 * stop should work wherever the rest of the machine does.) */
void arch_gdb_breakpoint(void)
{
	stepping[this_cpu()->id] = 1;
	__asm__ volatile("pushfq\n\t"
	                 "orq %0, (%%rsp)\n\t"
	                 "popfq\n\t"
	                 "nop"
	                 :
	                 : "i"(RFLAGS_TF)
	                 : "memory", "cc");
}

_Noreturn void arch_gdb_exit(int code)
{
	arch_exit(code, kernel_debugcon_port);
}

/* --- memory --- */

/* Inside RAM as the identity map holds it, and not device memory. */
static int range_ok(uint64_t addr, size_t len)
{
	uint64_t end = addr + len;
	return end >= addr && end <= USER_HALF_END && end <= mm_ram_top &&
	       (end <= DEVICE_HOLE_START || addr >= DEVICE_HOLE_END) &&
	       arch_accessible(addr, len, 0);
}

int arch_gdb_mem_read(uint64_t addr, void *buf, size_t len)
{
	if (len == 0)
		return 0;
	if (!range_ok(addr, len))
		return -1;
	memcpy(buf, (const void *)(uintptr_t)addr, len);
	return 0;
}

/* Read-only pages (text that is protected, mprotect'ed memory) are written with CR0.WP off,
 * which lets ring 0 write through them; every other core is stopped meanwhile. */
int arch_gdb_mem_write(uint64_t addr, const void *buf, size_t len)
{
	if (len == 0)
		return 0;
	if (!range_ok(addr, len))
		return -1;
	if (arch_accessible(addr, len, 1)) {
		memcpy((void *)(uintptr_t)addr, buf, len);
		return 0;
	}
	uint64_t cr0;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0 & ~(uint64_t)CR0_WP) : "memory");
	memcpy((void *)(uintptr_t)addr, buf, len);
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
	return 0;
}

/* --- hardware breakpoints --- */

enum { HW_FREE, HW_EXEC, HW_WRITE, HW_READ, HW_ACCESS }; /* gdb's Z1..Z4 */

struct hw_slot {
	int type;
	uint64_t addr, len;
};
static struct hw_slot hw_slots[HW_SLOTS];

int arch_gdb_hw_insert(int type, uint64_t addr, uint64_t len)
{
	if (type < HW_EXEC || type > HW_ACCESS)
		return -1;
	if (type == HW_EXEC)
		len = 1;
	else if ((len != 1 && len != 2 && len != 4 && len != 8) || addr % len)
		return -1;
	for (int i = 0; i < HW_SLOTS; i++) {
		if (hw_slots[i].type == HW_FREE) {
			hw_slots[i] = (struct hw_slot){type, addr, len};
			return 0;
		}
	}
	return -1;
}

/* The slot of that type at addr, of length len if a watchpoint's length counts; NULL if none. */
static struct hw_slot *hw_find(int type, uint64_t addr, uint64_t len, int any_len)
{
	for (int i = 0; i < HW_SLOTS; i++) {
		struct hw_slot *s = &hw_slots[i];
		if (type != HW_FREE && s->type == type && s->addr == addr &&
		    (type == HW_EXEC || any_len || s->len == len))
			return s;
	}
	return NULL;
}

int arch_gdb_hw_remove(int type, uint64_t addr, uint64_t len)
{
	struct hw_slot *s = hw_find(type, addr, len, 0);
	if (!s)
		return -1;
	s->type = HW_FREE;
	return 0;
}

int arch_gdb_hw_present(int type, uint64_t addr)
{
	return hw_find(type, addr, 0, 1) != NULL;
}

void arch_gdb_hw_clear(void)
{
	for (int i = 0; i < HW_SLOTS; i++)
		hw_slots[i].type = HW_FREE;
}

static void dr7_write(uint64_t v)
{
	__asm__ volatile("mov %0, %%dr7" : : "r"(v));
}

void arch_gdb_core_stop(void)
{
	dr7_write(0);
	gdb_fp_stop();
}

/* DR7: enable bit L<i>, then R/W<i> and LEN<i> (Intel SDM vol. 3, 18.2.4). */
static uint64_t dr7_value(void)
{
	static const uint8_t rw[] = {0, 0, 1, 3, 3};                   /* exec, write, read/write */
	static const uint8_t len_bits[] = {0, 0, 1, 0, 3, 0, 0, 0, 2}; /* by length 1, 2, 4, 8 */
	uint64_t dr7 = 0;
	for (int i = 0; i < HW_SLOTS; i++) {
		const struct hw_slot *s = &hw_slots[i];
		if (s->type == HW_FREE)
			continue;
		uint64_t len = s->type == HW_EXEC ? 0 : len_bits[s->len];
		dr7 |= (1ull << (2 * i)) | ((uint64_t)rw[s->type] << (16 + 4 * i)) |
		       (len << (18 + 4 * i));
	}
	return dr7 ? dr7 | DR7_GE : 0;
}

void arch_gdb_resume(struct trap_frame *f, int step)
{
	uint64_t a0 = hw_slots[0].addr, a1 = hw_slots[1].addr, a2 = hw_slots[2].addr,
	         a3 = hw_slots[3].addr;
	__asm__ volatile("mov %0, %%dr0\n\tmov %1, %%dr1\n\tmov %2, %%dr2\n\tmov %3, %%dr3"
	                 :
	                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3));
	dr7_write(dr7_value());
	/* RF: the instruction resumed at does not hit an instruction breakpoint again. */
	f->rflags |= RFLAGS_RF;
	if (step)
		f->rflags |= RFLAGS_TF;
	stepping[this_cpu()->id] = step;
	gdb_fp_resume();
}

/* --- the exception entries --- */

/* A debug trap: a watchpoint or hardware breakpoint, a single step gdb asked for, or the
 * step after Ctrl-C. Returns 0 if it is none of these (then it is reported as a fault). */
static int debug_trap(struct trap_frame *f)
{
	uint64_t dr6;
	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	__asm__ volatile("mov %0, %%dr6" : : "r"(DR6_RESET));
	unsigned me = this_cpu()->id;
	int stepped = (dr6 & DR6_BS) != 0, asked = stepping[me];
	struct gdb_event e = {0};
	f->rflags &= ~(uint64_t)RFLAGS_TF;
	stepping[me] = 0;
	for (int i = 0; i < HW_SLOTS && !e.signal; i++) {
		const struct hw_slot *s = &hw_slots[i];
		if (!(dr6 & (1u << i)) || s->type == HW_FREE)
			continue;
		e.signal = GDB_SIGTRAP;
		e.hw_type = s->type;
		e.hw_addr = s->addr;
	}
	if (!e.signal && stepped && gdb_interrupt_pending)
		e.signal = GDB_SIGINT; /* whichever stop comes first answers it: not kept */
	else if (!e.signal && stepped && asked)
		e.signal = GDB_SIGTRAP;
	if (!e.signal)
		return stepped; /* a stray trap flag (a pushf'd copy of it): go on */
	e.kept = e.signal == GDB_SIGTRAP;
	if (gdb_attached)
		gdb_stop(f, &e);
	return 1;
}

/* An int3: one of gdb's breakpoints (reported, and run again once gdb resumes), one gdb took
 * out while this core was on its way here (it stopped for another core's stop on the way; the
 * instruction now runs as if the breakpoint had never been there), or the program's own
 * (reported where gdb is attached, a fault where not). */
static enum gdb_resume breakpoint_trap(struct trap_frame *f)
{
	uint64_t at = f->rip - 1;
	uint8_t now;
	if (gdb_sw_break_at(at)) {
		f->rip = at;
		return gdb_stop(f, &(struct gdb_event){.signal = GDB_SIGTRAP, .sw_break = at});
	}
	if (arch_gdb_mem_read(at, &now, 1) == 0 && now != ARCH_GDB_BREAK_INSN) {
		f->rip = at;
		return GDB_RESUME;
	}
	return gdb_attached ? gdb_stop(f, &(struct gdb_event){.signal = GDB_SIGTRAP}) : GDB_DELIVER;
}

static int fault_signal(int vector)
{
	switch (vector) {
	case VEC_DIVIDE:
	case VEC_X87:
	case VEC_SIMD:
		return GDB_SIGFPE;
	case VEC_INVALID_OP:
		return GDB_SIGILL;
	case VEC_SEGMENT_NP:
	case VEC_STACK:
	case VEC_GP:
	case VEC_PAGE_FAULT:
	case VEC_ALIGNMENT:
		return GDB_SIGSEGV;
	default:
		return 0;
	}
}

/* From gdb_entry.S. What the stub does not take goes to the normal handler, trap_handle. */
void gdb_arch_trap(struct trap_frame *f)
{
	int vector = (int)f->vector;
	if (vector == VEC_NMI) {
		if (gdb_nmi_expected()) {
			gdb_park(f);
			return;
		}
	} else if (vector == VEC_DEBUG) {
		if (debug_trap(f))
			return;
	} else if (vector == VEC_BREAKPOINT) {
		if (breakpoint_trap(f) == GDB_RESUME)
			return;
	} else if (gdb_attached && fault_signal(vector) &&
	           !(f->rip >= (uintptr_t)arch_user_access_start &&
	             f->rip < (uintptr_t)arch_user_access_end)) {
		/* A fault in the program: gdb shows it where it happened; a resume with its
		 * signal reports it as without gdb. Faults the user-copy helpers turn into
		 * -EFAULT are not the program's. */
		struct gdb_event e = {.signal = fault_signal(vector), .fault = 1};
		if (gdb_stop(f, &e) == GDB_RESUME)
			return;
	}
	trap_handle(f);
}
