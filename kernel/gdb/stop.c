/* Stopping and resuming the whole machine for gdb: the core that stops (a breakpoint, a step,
 * a watchpoint, Ctrl-C, a fault) becomes the owner, stops every other core with an NMI, and
 * talks to gdb on its exception stack with interrupts off; the others wait in their NMI
 * handlers with their registers saved, until the owner lets them all go at once. */
#include "gdb_private.h"

#include <kernel/arch.h>
#include <kernel/format.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/string.h>

struct gdb_stub gdb;
const struct gdb_transport *gdb_transport;
volatile int gdb_attached;
volatile int gdb_listening;
volatile int gdb_interrupt_pending;
static volatile int new_session; /* the byte that began it ('$' or 0x03), or 0 */

static volatile int owner = -1;  /* the core talking to gdb, or -1 */
static volatile int stopped;     /* the other cores must wait */
static volatile unsigned parked; /* how many wait */
static volatile int nmi_expected[CPU_MAX];

/* A core that does not answer the NMI within this many pauses is left running. */
#define GDB_PARK_SPINS 200000000ul

int gdb_nmi_expected(void)
{
	unsigned me = this_cpu()->id;
	if (__atomic_load_n(&nmi_expected[me], __ATOMIC_ACQUIRE) <= 0)
		return 0;
	__atomic_fetch_sub(&nmi_expected[me], 1, __ATOMIC_ACQ_REL);
	return 1;
}

/* Waits while a stop goes on, or while gdb keeps this core stopped (a vCont that resumes only
 * some threads), then resumes into f. me->frame is set: the core counts as stopped. */
static void park_wait(struct gdb_core *me, struct trap_frame *f)
{
	__atomic_fetch_add(&parked, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&stopped, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&me->hold, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	arch_gdb_resume(f, me->step);
	me->frame = NULL;
	__atomic_fetch_sub(&parked, 1, __ATOMIC_ACQ_REL);
}

void gdb_park(struct trap_frame *f)
{
	struct gdb_core *me = &gdb.core[this_cpu()->id];
	if (!__atomic_load_n(&stopped, __ATOMIC_ACQUIRE) || me->frame)
		return; /* the stop is over, or this core waits already (its NMI came late) */
	me->frame = f;
	me->step = 0;
	me->fault = 0;
	me->deliver = 0;
	arch_gdb_hw_suspend();
	park_wait(me, f);
}

/* Stops every other core that is not stopped already (one gdb kept stopped). */
static void stop_others(unsigned me)
{
	unsigned want = 0;
	__atomic_store_n(&stopped, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < cpu_count; i++) {
		if (i == me || !cpu_online(i))
			continue;
		want++;
		if (__atomic_load_n(&gdb.core[i].frame, __ATOMIC_ACQUIRE))
			continue;
		__atomic_fetch_add(&nmi_expected[i], 1, __ATOMIC_ACQ_REL);
		arch_gdb_nmi(i);
	}
	for (unsigned long spins = 0;
	     __atomic_load_n(&parked, __ATOMIC_ACQUIRE) < want && spins < GDB_PARK_SPINS; spins++)
		__builtin_ia32_pause();
}

/* Lets every core gdb resumed go, and waits until they have (the held ones stay). */
static void release_others(unsigned me)
{
	unsigned held = 0;
	for (unsigned i = 0; i < cpu_count; i++)
		held += i != me && cpu_online(i) && gdb.core[i].hold;
	__atomic_store_n(&stopped, 0, __ATOMIC_RELEASE);
	for (unsigned long spins = 0;
	     __atomic_load_n(&parked, __ATOMIC_ACQUIRE) > held && spins < GDB_PARK_SPINS; spins++)
		__builtin_ia32_pause();
}

/* For Ctrl-C the thread gdb shows first is one that was doing something: the stopping core
 * may have been idle while the program spins on another. */
static struct thread *interesting_thread(struct cpu *c)
{
	if (c->current != c->idle)
		return c->current;
	for (unsigned i = 0; i < cpu_count; i++) {
		struct cpu *o = cpu_online(i);
		if (o && o->current != o->idle && gdb.core[i].frame)
			return o->current;
	}
	return c->current;
}

static void stop_reply_set(int signal, const char *extra, struct thread *t)
{
	format_snprintf(gdb.stop_reply, sizeof(gdb.stop_reply), "T%02xthread:%x;%s", signal,
	                gdb_thread_id(t), extra ? extra : "");
}

/* Every core goes on and no breakpoint or watchpoint is left: what gdb leaves behind when it
 * detaches, and what a new gdb starts from. */
static void forget_breakpoints(void)
{
	for (unsigned i = 0; i < cpu_count; i++)
		gdb.core[i].hold = gdb.core[i].step = 0;
	gdb_sw_break_remove_all();
	arch_gdb_hw_clear();
}

/* A new gdb connected while the program ran (gdb_running_byte), every core now stopped: it
 * starts as the first did at boot, acknowledging, with no breakpoints, and expecting no stop
 * reply; the '$' that announced it begins its first packet. */
static void session_start(void)
{
	int byte = new_session;
	new_session = 0;
	forget_breakpoints();
	gdb.reply_due = 0;
	gdb_conn_restart(&gdb.conn);
	if (byte == '$')
		gdb_rx_feed(&gdb.conn.rx, '$');
}

int gdb_running_byte(uint8_t byte)
{
	if (byte != GDB_CTRL_C && byte != '$')
		return 0;
	if (byte == '$' || !gdb_attached)
		new_session = byte;
	gdb_attached = 1;
	gdb_interrupt_pending = 1;
	return 1;
}

enum gdb_resume gdb_stop(struct trap_frame *f, int signal, const char *extra, int fault)
{
	struct cpu *c = this_cpu();
	int expected = -1;
	if (__atomic_load_n(&owner, __ATOMIC_ACQUIRE) == (int)c->id)
		return GDB_DELIVER; /* a fault in the stub itself: reported as any other */
	if (!__atomic_compare_exchange_n(&owner, &expected, (int)c->id, 0, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE)) {
		/* Another core is stopping: wait with the others; the breakpoint or fault that
		 * brought us here happens again once we run. */
		while (!__atomic_load_n(&stopped, __ATOMIC_ACQUIRE) &&
		       __atomic_load_n(&owner, __ATOMIC_ACQUIRE) >= 0)
			__builtin_ia32_pause();
		gdb_park(f);
		return GDB_RESUME;
	}
	struct gdb_core *me = &gdb.core[c->id];
	me->frame = f;
	me->step = 0;
	me->fault = fault ? signal : 0;
	me->deliver = 0;
	me->hold = 0;
	arch_gdb_hw_suspend();
	if (gdb_transport->hold)
		gdb_transport->hold();
	stop_others(c->id);
	gdb_interrupt_pending = 0; /* this stop answers a Ctrl-C, whatever brought it */
	if (new_session)
		session_start();
	struct thread *t = signal == GDB_SIGINT ? interesting_thread(c) : c->current;
	gdb.stop_thread = gdb.g_thread = gdb.c_thread = t;
	stop_reply_set(signal, extra, t);
	if (gdb.reply_due) {
		gdb.reply_due = 0;
		gdb_send(&gdb.conn, gdb.stop_reply, strlen(gdb.stop_reply));
	}
	enum gdb_action a = gdb_serve();
	if (a == GDB_DETACH) {
		/* Every core goes on, whatever an earlier vCont kept stopped. */
		forget_breakpoints();
		gdb_attached = 0;
	} else {
		gdb.reply_due = 1;
	}
	enum gdb_resume r = me->deliver ? GDB_DELIVER : GDB_RESUME;
	release_others(c->id);
	if (gdb_transport->release)
		gdb_transport->release();
	__atomic_store_n(&owner, -1, __ATOMIC_RELEASE);
	if (me->hold) {
		/* gdb resumed only threads of other cores: this one waits like them. */
		park_wait(me, f);
		return r;
	}
	arch_gdb_resume(f, me->step);
	me->frame = NULL;
	return r;
}

/* Called at exit while gdb waits for a stop: it learns the exit code ("W"). */
void gdb_report_exit(int code)
{
	if (!gdb_attached || !gdb.reply_due || owner >= 0)
		return;
	char msg[8];
	format_snprintf(msg, sizeof(msg), "W%02x", code & 0xff);
	gdb_send(&gdb.conn, msg, strlen(msg));
}

/* With toro.gdb=, from the boot (hooks.c): every core is up, the drivers are started and t's
 * line is set up; wait for gdb before the application's first instruction. */
void gdb_start(const struct gdb_transport *t)
{
	arch_gdb_traps_init();
	gdb_transport = t;
	gdb.conn.getc = t->getc;
	gdb.conn.write = t->write;
	gdb_attached = 1;
	gdb_listening = 1;
	gdb_poll_start();
	printk("gdb: waiting for gdb on %s\n", t->name);
	arch_gdb_breakpoint();
}
