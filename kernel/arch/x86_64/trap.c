/* CPU exceptions: every one is fatal for now. The report names the exception, decodes page-fault
 * error codes, dumps the registers and a symbolized backtrace, then ends the VM with
 * TORO_EXIT_FAULT_BASE + vector. A fault while reporting prints one line and exits at once. */
#include "trap.h"

#include <kernel/arch.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/symbols.h>
#include <toro/abi/image.h>

#include "io.h"
#include "serial.h"

#define VEC_PAGE_FAULT 14
#define PF_PRESENT     0x01
#define PF_WRITE       0x02
#define PF_USER        0x04
#define PF_RESERVED    0x08
#define PF_FETCH       0x10

/* The exception names, one after another (no table of 32 pointers: native images are small). */
static const char exception_names[] =
    "divide error (#DE)\0"
    "debug (#DB)\0"
    "non-maskable interrupt (NMI)\0"
    "breakpoint (#BP)\0"
    "overflow (#OF)\0"
    "bound range exceeded (#BR)\0"
    "invalid opcode (#UD)\0"
    "device not available (#NM)\0"
    "double fault (#DF)\0"
    "coprocessor segment overrun\0"
    "invalid TSS (#TS)\0"
    "segment not present (#NP)\0"
    "stack-segment fault (#SS)\0"
    "general protection fault (#GP)\0"
    "page fault (#PF)\0"
    "reserved (15)\0"
    "x87 floating-point error (#MF)\0"
    "alignment check (#AC)\0"
    "machine check (#MC)\0"
    "SIMD floating-point exception (#XM)\0"
    "virtualization exception (#VE)\0"
    "control protection (#CP)\0"
    "reserved (22)\0"
    "reserved (23)\0"
    "reserved (24)\0"
    "reserved (25)\0"
    "reserved (26)\0"
    "reserved (27)\0"
    "hypervisor injection (#HV)\0"
    "VMM communication (#VC)\0"
    "security exception (#SX)\0"
    "reserved (31)\0";

static const char *exception_name(int vector)
{
	const char *p = exception_names;
	while (vector-- > 0)
		p += strlen(p) + 1;
	return p;
}

static volatile int trap_depth;

static void print_page_fault(uint64_t error, uint64_t cr2)
{
	printk("fault address %#lx: %s %s%s%s\n", (unsigned long)cr2,
	       error & PF_FETCH   ? "instruction fetch from"
	       : error & PF_WRITE ? "write to"
	                          : "read from",
	       error & PF_PRESENT ? "a protected page" : "an unmapped page",
	       error & PF_RESERVED ? " (reserved bit set)" : "", error & PF_USER ? " (user)" : "");
}

static void print_registers(const struct trap_frame *f)
{
	printk("RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	printk("RSI %016lx RDI %016lx RBP %016lx RSP %016lx\n", f->rsi, f->rdi, f->rbp, f->rsp);
	printk("R8  %016lx R9  %016lx R10 %016lx R11 %016lx\n", f->r8, f->r9, f->r10, f->r11);
	printk("R12 %016lx R13 %016lx R14 %016lx R15 %016lx\n", f->r12, f->r13, f->r14, f->r15);
	printk("RIP %016lx RFLAGS %08lx CS %04lx SS %04lx\n", f->rip, f->rflags, f->cs, f->ss);
}

#define VEC_DEVICE_NOT_AVAILABLE 7

void fpu_trap(void);

int (*trap_signal_hook)(struct trap_frame *f, int vector, uint64_t cr2);
const char *trap_note;

void trap_handle(struct trap_frame *f)
{
	int vector = (int)(f->vector & 31);
	if (vector == VEC_DEVICE_NOT_AVAILABLE && trap_depth == 0) {
		fpu_trap();
		return;
	}
	uint64_t cr2 = read_cr2();
	int sig = trap_signal_hook && trap_depth == 0 ? trap_signal_hook(f, vector, cr2) : 0;
	if (sig < 0)
		return;
	if (__atomic_fetch_add(&trap_depth, 1, __ATOMIC_SEQ_CST) > 0) {
		static const char msg[] = "\n*** fault while reporting a fault; stopping\n";
		serial_write(CONSOLE_ERR, msg, sizeof(msg) - 1);
		arch_exit(TORO_EXIT_FAULT_BASE + vector, kernel_debugcon_port);
	}
	uintptr_t off;
	const char *fn = symbols_lookup(f->rip, &off);
	printk("\n*** CPU exception: %s, error code %#lx, at RIP %#lx", exception_name(vector),
	       (unsigned long)f->error, (unsigned long)f->rip);
	if (fn)
		printk(" <%s+0x%lx>", fn, (unsigned long)off);
	printk("\nCR2 %#lx\n", (unsigned long)cr2);
	if (vector == VEC_PAGE_FAULT)
		print_page_fault(f->error, cr2);
	if (trap_note)
		printk("%s\n", trap_note);
	print_registers(f);
	backtrace_print(f->rip, f->rbp);
	kernel_exit(TORO_EXIT_FAULT_BASE + (sig ? sig : vector));
}
