/* The native thread and time API (include/toro/thread.h): thin wrappers over the scheduler. */
#include <toro/thread.h>

#include <kernel/sched.h>
#include <kernel/time.h>

toro_thread *toro_thread_create(unsigned core, void *(*fn)(void *), void *arg, size_t stack_size)
{
	return thread_create(core, fn, arg, stack_size, NULL);
}

void *toro_thread_join(toro_thread *t)
{
	return thread_join(t);
}

void toro_thread_detach(toro_thread *t)
{
	thread_detach(t);
}

_Noreturn void toro_thread_exit(void *result)
{
	thread_exit(result);
}

/* toro_yield is thread_yield itself (an alias in sched.c): yielding is the hot path. */

void toro_sleep_ns(uint64_t ns)
{
	thread_sleep_ns(ns);
}

void toro_sleep_ms(uint64_t ms)
{
	thread_sleep_ns(ms * NSEC_PER_MSEC);
}

unsigned toro_core_id(void)
{
	return this_cpu()->id;
}

int64_t toro_core_apic_id(unsigned core)
{
	return core < cpu_count && cpus[core] ? (int64_t)cpus[core]->apic_id : -1;
}

unsigned toro_core_count(void)
{
	return cpu_count;
}

uint64_t toro_time_ns(void)
{
	return time_monotonic_ns();
}
