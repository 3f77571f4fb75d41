/* Native API: threads placed on cores, and time. Toro's BeginThread, ThreadSwitch, Sleep and
 * GetCoreId in C. Scheduling is cooperative and per core: a thread runs until it yields, sleeps,
 * blocks or exits, and stays on the core it was created on. A thread that spins without
 * yielding starves the other threads of its core (by design), never those of other cores. */
#ifndef TORO_THREAD_H
#define TORO_THREAD_H

#include <stddef.h>
#include <stdint.h>

typedef struct thread toro_thread;

/* Starts fn(arg) on core `core` (0 .. toro_core_count() - 1) with a stack of stack_size bytes
 * (0: 64 KiB). Returns NULL if the core does not exist or memory runs out. */
toro_thread *toro_thread_create(unsigned core, void *(*fn)(void *), void *arg, size_t stack_size);

/* Waits for t to finish and returns what its function returned (or toro_thread_exit's value).
 * A thread is joined once, or detached; a joined thread's memory is freed. */
void *toro_thread_join(toro_thread *t);
void toro_thread_detach(toro_thread *t);
_Noreturn void toro_thread_exit(void *result);

/* Lets the other ready threads of this core run. */
void toro_yield(void);

/* Sleeps at least ns nanoseconds (other threads of the core run meanwhile). */
void toro_sleep_ns(uint64_t ns);
void toro_sleep_ms(uint64_t ms);

unsigned toro_core_id(void);
unsigned toro_core_count(void);

/* The local APIC id of core `core` (from the MP table or MADT), or -1 if there is no such core. */
int64_t toro_core_apic_id(unsigned core);

/* Monotonic time since boot in nanoseconds. */
uint64_t toro_time_ns(void);

#endif
