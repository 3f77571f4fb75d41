/* A thread's memory: one page allocation holding its stack and, at the top, its struct thread,
 * with the canary at the bottom that catches an overflow (the checks and the freeing are
 * inline in sched_private.h). */
#include "sched_private.h"

#include <kernel/arch.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <toro/abi/linux.h>

void thread_stack_overflow(struct thread *t)
{
	panic("stack overflow in thread %d (stack %p, %zu KiB)", t->tid, (void *)t->stack,
	      t->stack_pages * PAGE_SIZE >> 10);
}

struct thread *thread_alloc(struct cpu *c, size_t stack_size, void (*start)(void))
{
	size_t pages = (stack_size + sizeof(struct thread) + PAGE_SIZE - 1) / PAGE_SIZE;
	char *mem = mm_pages_alloc(pages);
	if (!mem)
		return NULL;
	struct thread *t = (struct thread *)(mem + pages * PAGE_SIZE) - 1;
	memset(t, 0, sizeof(*t));
	t->cpu = c;
	t->state = THREAD_BLOCKED;
	t->stack = mem;
	t->stack_pages = pages;
	thread_stack_canary_set(t);
	t->rsp = arch_stack_init((uintptr_t)t & ~(uintptr_t)15, start);
	return t;
}

int thread_stack_guard(struct thread *t)
{
	if (t->stack_pages < 2)
		return -LINUX_EINVAL;
	int err = arch_protect((uintptr_t)t->stack, PAGE_SIZE, ARCH_PROT_NONE);
	if (err)
		return err;
	/* The canary moves to the new bottom; the guard page is never given back (if the thread
	 * ends, the rest of its stack is). */
	t->stack += PAGE_SIZE;
	t->stack_pages--;
	thread_stack_canary_set(t);
	return 0;
}
