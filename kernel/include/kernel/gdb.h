/* The built-in gdb stub (kernel/gdb/) and what it needs from the architecture
 * (kernel/arch/x86_64/gdb.c). Linked only into images built with `toro build -g`
 * (tools/link.c: -u toro_gdb and the --wrap hooks of kernel/gdb/hooks.c); it runs only when
 * the command line says `toro.gdb=com2` or `toro.gdb=vsock:PORT`. */
#ifndef KERNEL_GDB_H
#define KERNEL_GDB_H

#include <stddef.h>
#include <stdint.h>

struct trap_frame;
struct thread;

/* Signal numbers in stop replies: gdb's own numbering (include/gdb/signals.def). */
#define GDB_SIGINT  2
#define GDB_SIGILL  4
#define GDB_SIGTRAP 5
#define GDB_SIGFPE  8
#define GDB_SIGSEGV 11

/* --- the stub, called by the arch code (exception and NMI handlers) --- */

/* 1 while gdb is attached: from boot with toro.gdb=com2 until it detaches, and again from the
 * moment a new gdb connects (gdb_running_byte). */
extern volatile int gdb_attached;

/* What the exception handler does after gdb_stop returns. */
enum gdb_resume {
	GDB_RESUME,  /* return to f, as gdb left it */
	GDB_DELIVER, /* gdb passed the fault on: report it as without gdb */
};

/* Why a core stops. */
struct gdb_event {
	int signal;
	int fault;   /* a CPU fault: a resume with its signal delivers it */
	int kept;    /* a trap that does not happen again when the core just resumes (a step's
	              * end, a watchpoint, a hardware breakpoint, which the resume's RF skips): if
	              * another core is already stopping, it is kept and reported to gdb before
	              * anything runs again. An int3 or a fault happens again by itself. */
	int hw_type; /* the hardware breakpoint or watchpoint that fired (gdb's Z type 1-4), or 0 */
	uint64_t sw_break; /* the software breakpoint that fired (its address), or 0: not reported
	                    * if gdb has taken it out by the time this core owns the stop */
	uint64_t hw_addr;
	uint64_t seq; /* set by gdb_stop: the order events happened in */
};

/* Stops every core and talks to gdb until it resumes them. f is this core's register frame
 * (gdb may change it), e why it stopped. Called with interrupts off from an exception
 * handler; when another core is already stopping, this core waits with the others (its event
 * kept if it says so) and returns GDB_RESUME (an int3 or a fault runs again). */
enum gdb_resume gdb_stop(struct trap_frame *f, const struct gdb_event *e);

/* For the NMI handler: 1 if this core's NMI was sent by a stop (then it calls gdb_park). */
int gdb_nmi_expected(void);
/* Waits, with f saved for gdb, until the stop that sent the NMI ends. */
void gdb_park(struct trap_frame *f);

/* 1 if addr holds one of gdb's software breakpoints. */
int gdb_sw_break_at(uint64_t addr);

#define GDB_CTRL_C 0x03 /* what gdb sends to interrupt the running program */

/* A Ctrl-C from gdb, or a new gdb connecting, was seen while running: the next debug trap
 * stops with SIGINT. */
extern volatile int gdb_interrupt_pending;

/* A byte gdb sent while the program runs, attached or not: 1 if it asks for a stop (then
 * gdb_interrupt_pending is set and the caller makes the next instruction trap, and reads no
 * more: the rest is the stopped stub's). A 0x03 is Ctrl-C; a '$' starts a packet, which an
 * attached gdb waiting for a stop never sends, so it is a new gdb (after `D`, or after the last
 * one went away), and so is a 0x03 while none is attached: the stop starts a new session. */
int gdb_running_byte(uint8_t byte);

/* --- the architecture, called by the stub --- */

/* Points the exception and NMI entries at the stub. */
void arch_gdb_traps_init(void);
/* Sets up COM2 as the line, and its interrupt that notices Ctrl-C. -1 if there is no COM2. */
int arch_gdb_com2_init(void);
/* COM2: the next byte (waiting for it), and writing. */
int arch_gdb_getc(void *ctx);
void arch_gdb_write(void *ctx, const char *s, size_t len);

/* From an interrupt handler while the program runs: takes what gdb sent on COM2, and makes a
 * Ctrl-C or a new gdb among it (gdb_running_byte) stop the machine right after the handler
 * returns. */
void arch_gdb_poll_interrupt(void);
/* From an interrupt handler on core 0 (a transport saw a stop byte): the machine stops right
 * after the handler returns. */
void arch_gdb_interrupt_stop(void);

/* Sends an NMI to core id. */
void arch_gdb_nmi(unsigned id);
/* Stops on the spot with SIGTRAP (a breakpoint instruction): where the boot waits for gdb. */
void arch_gdb_breakpoint(void);

/* Registers in the target description's order (arch_gdb_target_xml). A thread's registers
 * are in frame if it is running on a stopped core, else in the context it switched out with. */
struct gdb_regs {
	struct trap_frame *frame;
	struct thread *thread;
};
#define ARCH_GDB_REG_MAX 16 /* bytes in the largest register */
/* Copies register n to out; returns its size, the negated size if its value is not known
 * (a switched-out thread keeps only the callee-saved registers), or 0 if there is no n. */
int arch_gdb_reg_read(const struct gdb_regs *r, unsigned n, uint8_t *out);
/* Sets register n from in; 0, or -1 if it cannot be set there. */
int arch_gdb_reg_write(const struct gdb_regs *r, unsigned n, const uint8_t *in);
extern const char arch_gdb_target_xml[];

/* Guest memory, checked against the page tables first: 0, or -1 (nothing copied). Writes go
 * through read-only pages (breakpoints in text). */
int arch_gdb_mem_read(uint64_t addr, void *buf, size_t len);
int arch_gdb_mem_write(uint64_t addr, const void *buf, size_t len);
#define ARCH_GDB_BREAK_INSN 0xcc /* int3 */

/* Hardware breakpoints and watchpoints (gdb's Z1..Z4 types): set in a table that every core
 * loads as it resumes (arch_gdb_resume). 0, or -1 (no free slot, bad length or alignment). */
int arch_gdb_hw_insert(int type, uint64_t addr, uint64_t len);
int arch_gdb_hw_remove(int type, uint64_t addr, uint64_t len);
/* 1 if a hardware breakpoint or watchpoint of that type is set at addr. */
int arch_gdb_hw_present(int type, uint64_t addr);
void arch_gdb_hw_clear(void);
/* This core as it stops: its watchpoints off, so the stub's own accesses do not trap, and its
 * FPU registers saved for gdb (without changing whose they are: the kernel switches them
 * lazily). */
void arch_gdb_core_stop(void);
/* This core as it resumes into f: the FPU registers gdb changed, the current breakpoint
 * table, single-step if step. */
void arch_gdb_resume(struct trap_frame *f, int step);

/* Ends the VM with code (gdb's kill). */
_Noreturn void arch_gdb_exit(int code);

#endif
