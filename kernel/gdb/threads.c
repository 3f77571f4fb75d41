/* gdb's view of the kernel's threads: every thread from its allocation until it exits (hooks.c
 * keeps the list), each core's idle thread as GDB_IDLE_ID + core, and where each one's
 * registers are while the machine is stopped. */
#include "gdb_private.h"

#include <kernel/arch.h>
#include <kernel/format.h>
#include <kernel/sched.h>
#include <kernel/spinlock.h>
#include <kernel/symbols.h>

/* Changed under the lock by running threads; read without it by the stub while every core is
 * stopped (one may be stopped inside a change, so each change is a single pointer store). */
static struct thread *volatile thread_list;
static struct spinlock thread_list_lock;

void gdb_thread_add(struct thread *t)
{
	uint64_t flags = arch_irq_save();
	spin_lock(&thread_list_lock);
	t->gdb_next = thread_list;
	__atomic_store_n(&thread_list, t, __ATOMIC_RELEASE);
	spin_unlock(&thread_list_lock);
	arch_irq_restore(flags);
}

void gdb_thread_remove(struct thread *t)
{
	uint64_t flags = arch_irq_save();
	spin_lock(&thread_list_lock);
	for (struct thread *volatile *link = &thread_list; *link; link = &(*link)->gdb_next) {
		if (*link == t) {
			__atomic_store_n(link, t->gdb_next, __ATOMIC_RELEASE);
			break;
		}
	}
	spin_unlock(&thread_list_lock);
	arch_irq_restore(flags);
}

static int is_idle(const struct thread *t)
{
	return t->cpu && t->cpu->idle == t;
}

unsigned gdb_thread_id(const struct thread *t)
{
	if (is_idle(t) || t->tid <= 0)
		return GDB_IDLE_ID + (t->cpu ? t->cpu->id : 0);
	return (unsigned)t->tid;
}

static int listed(const struct thread *t)
{
	return !is_idle(t) && t->tid > 0 && t->state != THREAD_DEAD;
}

/* The listed threads (idle ones, which have no tid, are shown per core instead), then each
 * core's idle thread. */
struct thread *gdb_thread_at(unsigned idx)
{
	for (struct thread *t = thread_list; t; t = t->gdb_next)
		if (listed(t) && idx-- == 0)
			return t;
	for (unsigned i = 0; i < cpu_count; i++) {
		struct cpu *c = cpu_online(i);
		if (c && c->idle && idx-- == 0)
			return c->idle;
	}
	return NULL;
}

struct thread *gdb_thread_find(unsigned id)
{
	if (id >= GDB_IDLE_ID) {
		struct cpu *c = cpu_online(id - GDB_IDLE_ID);
		return c ? c->idle : NULL;
	}
	for (struct thread *t = thread_list; t; t = t->gdb_next)
		if (listed(t) && (unsigned)t->tid == id)
			return t;
	return NULL;
}

struct cpu *gdb_thread_core(const struct thread *t)
{
	for (unsigned i = 0; i < cpu_count; i++) {
		struct cpu *c = cpu_online(i);
		if (c && c->current == t && gdb.core[i].frame)
			return c;
	}
	return NULL;
}

void gdb_thread_regs(struct thread *t, struct gdb_regs *r)
{
	struct cpu *c = gdb_thread_core(t);
	r->thread = t;
	r->frame = c ? gdb.core[c->id].frame : NULL;
}

static const char *state_name(const struct thread *t)
{
	switch (t->state) {
	case THREAD_READY:
		return "ready";
	case THREAD_RUNNING:
		return "running";
	case THREAD_BLOCKED:
		return "blocked";
	case THREAD_SLEEPING:
		return "sleeping";
	default:
		return "dead";
	}
}

/* A thread's name is its entry function's; the boot thread runs main. */
void gdb_thread_describe(const struct thread *t, char *buf, size_t cap)
{
	uintptr_t off;
	const char *name = "main";
	if (is_idle(t))
		name = "idle";
	else if (t->entry)
		name = symbols_lookup((uintptr_t)t->entry, &off);
	/* An idle thread keeps the running state while switched out (the scheduler never queues
	 * it); what it does then is wait to be switched to. */
	const char *state = gdb_thread_core(t) ? "running" : is_idle(t) ? "ready" : state_name(t);
	format_snprintf(buf, cap, "core %u, %s, %s", t->cpu ? t->cpu->id : 0, state,
	                name ? name : "?");
}
