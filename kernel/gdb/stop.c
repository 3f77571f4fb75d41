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
	arch_gdb_core_stop();
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

/* The stop reply for e on thread t, which gdb's registers and steps then mean: "T05thread:ID;",
 * with "watch:ADDR;" ("rwatch", "awatch") for a watchpoint. */
static void stop_reply_set(const struct gdb_event *e, struct thread *t)
{
	static const char *const watch_kind[] = {"", "", "watch", "rwatch", "awatch"};
	char watch[32] = "";
	if (e->hw_type >= 2 && e->hw_type <= 4)
		format_snprintf(watch, sizeof(watch), "%s:%lx;", watch_kind[e->hw_type],
		                (unsigned long)e->hw_addr);
	gdb.stop_thread = gdb.g_thread = gdb.c_thread = t;
	format_snprintf(gdb.stop_reply, sizeof(gdb.stop_reply), "T%02xthread:%x;%s", e->signal,
	                gdb_thread_id(t), watch);
}

/* Takes the oldest event kept by a core that gdb let run (a held core keeps its own until it
 * is let run), if it came before event number before: 1, with the core in *core and the event
 * in *e; 0 if there is none. An event whose hardware breakpoint or watchpoint gdb has taken out
 * since is dropped. */
static int pending_take(uint64_t before, unsigned *core, struct gdb_event *e)
{
	struct gdb_core *oldest = NULL;
	for (unsigned i = 0; i < cpu_count; i++) {
		struct gdb_core *k = &gdb.core[i];
		if (!cpu_online(i) || !k->frame || k->hold || !k->pending.signal)
			continue;
		if (k->pending.hw_type &&
		    !arch_gdb_hw_present(k->pending.hw_type, k->pending.hw_addr))
			k->pending.signal = 0;
		else if (k->pending.seq < before &&
		         (!oldest || k->pending.seq < oldest->pending.seq))
			oldest = k, *core = i;
	}
	if (!oldest)
		return 0;
	*e = oldest->pending;
	oldest->pending.signal = 0;
	return 1;
}

/* gdb resumed the machine: if a core it lets run has a kept event, that is reported now
 * instead, and nothing runs (gdb then asks again). 1 if one was reported. */
static int report_pending(void)
{
	unsigned core;
	struct gdb_event e;
	if (!pending_take(UINT64_MAX, &core, &e))
		return 0;
	stop_reply_set(&e, cpu_online(core)->current);
	gdb_send(&gdb.conn, gdb.stop_reply, strlen(gdb.stop_reply));
	return 1;
}

/* Every core goes on and no breakpoint or watchpoint is left: what gdb leaves behind when it
 * detaches, and what a new gdb starts from. */
static void forget_breakpoints(void)
{
	for (unsigned i = 0; i < cpu_count; i++) {
		gdb.core[i].hold = gdb.core[i].step = 0;
		gdb.core[i].pending.signal = 0;
	}
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

/* Another core owns the stop: this one waits with the others, its event kept if it would
 * not happen again. 1 once it has been stopped and resumed; 0 if the stop ended before this
 * core parked (it may stop on its own now). */
static int wait_for_owner(struct gdb_core *me, struct trap_frame *f, const struct gdb_event *e)
{
	if (e->kept)
		me->pending = *e;
	arch_gdb_core_stop();
	while (!__atomic_load_n(&stopped, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&owner, __ATOMIC_ACQUIRE) >= 0)
		__builtin_ia32_pause();
	if (!__atomic_load_n(&stopped, __ATOMIC_ACQUIRE))
		return 0;
	park_wait(me, f);
	return 1;
}

enum gdb_resume gdb_stop(struct trap_frame *f, const struct gdb_event *event)
{
	static uint64_t events; /* numbers events in the order they happen */
	struct cpu *c = this_cpu();
	struct gdb_core *me = &gdb.core[c->id];
	struct gdb_event numbered = *event, *e = &numbered;
	int expected = -1;
	if (__atomic_load_n(&owner, __ATOMIC_ACQUIRE) == (int)c->id)
		return GDB_DELIVER; /* a fault in the stub itself: reported as any other */
	numbered.seq = __atomic_fetch_add(&events, 1, __ATOMIC_ACQ_REL) + 1;
	/* The frame first: an owner's NMI that comes now finds this core stopping already. */
	me->frame = f;
	me->step = me->fault = me->deliver = 0;
	while (!__atomic_compare_exchange_n(&owner, &expected, (int)c->id, 0, __ATOMIC_ACQ_REL,
	                                    __ATOMIC_ACQUIRE)) {
		if (wait_for_owner(me, f, e))
			return GDB_RESUME;
		expected = -1;
	}
	if (e->sw_break && !gdb_sw_break_at(e->sw_break)) {
		/* gdb took the breakpoint out while this core came here (another core's stop parked
		 * it on the way): nothing to report, the instruction runs as if it had never been
		 * there. Only the owner changes breakpoints, so the answer holds. */
		me->frame = NULL;
		__atomic_store_n(&owner, -1, __ATOMIC_RELEASE);
		return GDB_RESUME;
	}
	me->pending.signal = 0; /* reported now, as this stop's own */
	me->fault = e->fault ? e->signal : 0;
	me->hold = 0;
	arch_gdb_core_stop();
	if (gdb_transport->hold)
		gdb_transport->hold();
	stop_others(c->id);
	gdb_interrupt_pending = 0; /* this stop answers a Ctrl-C, whatever brought it */
	if (new_session)
		session_start();
	unsigned first;
	struct gdb_event kept;
	if (pending_take(e->seq, &first, &kept)) {
		/* Another core's kept event came first (it stopped while the last stop ended, and
		 * this core was quicker to the next): it is this stop's. This core's own waits its
		 * turn, or happens again (an int3, a fault). */
		if (e->kept)
			me->pending = *e;
		me->fault = 0;
		stop_reply_set(&kept, cpu_online(first)->current);
	} else {
		stop_reply_set(e, e->signal == GDB_SIGINT ? interesting_thread(c) : c->current);
	}
	if (gdb.reply_due) {
		gdb.reply_due = 0;
		gdb_send(&gdb.conn, gdb.stop_reply, strlen(gdb.stop_reply));
	}
	enum gdb_action a;
	while ((a = gdb_serve()) == GDB_GO && report_pending())
		;
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
	if (me->hold) {
		/* gdb resumed only threads of other cores: this one waits like them. */
		__atomic_store_n(&owner, -1, __ATOMIC_RELEASE);
		park_wait(me, f);
		return r;
	}
	/* The frame goes before the ownership: a core that stops next sends this one its NMI
	 * (a frame still set would tell it this core is stopping already, and it would wait for
	 * it in vain). */
	arch_gdb_resume(f, me->step);
	me->frame = NULL;
	__atomic_store_n(&owner, -1, __ATOMIC_RELEASE);
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
