/* The start of a Linux process, shared by the POSIX application start (posix.c) and the
 * --exec loader (exec.c). Private to kernel/app. */
#ifndef KERNEL_APP_PROCESS_H
#define KERNEL_APP_PROCESS_H

#include <kernel/kernel.h>
#include <stdint.h>

/* What the auxiliary vector says about the program (its addresses as loaded). */
struct process_image {
	uint64_t phdr; /* AT_PHDR: its program headers in memory */
	uint64_t phnum;
	uint64_t entry; /* AT_ENTRY, and where the process starts */
};

/* What a process needs before the other cores start: the descriptor table, the signal layer's
 * list of threads, the syscall instruction's entry. */
void process_prepare(void);

/* The program break's range: it starts at start and may grow to limit (kernel/sys/memory.c). */
void sys_brk_area_set(uint64_t start, uint64_t limit);

/* The process's name, as prctl(PR_GET_NAME) reads it: the base name of name (kernel/sys/compat.c,
 * an optional group: the reference is weak, and NULL in an image without it). */
void sys_process_name_set(const char *name) __attribute__((weak));

/* Gives the main thread's stack its guard page, builds below stack_top the stack Linux's ABI
 * gives a new process (argc, argv, envp, the auxiliary vector with AT_RANDOM's 16 bytes,
 * AT_PLATFORM and AT_EXECFN, which is argv[0]) and jumps to the entry with the registers Linux
 * gives (%rdx = 0: no exit handler from a dynamic linker). */
_Noreturn void process_start(void *stack_top, const struct app_args *args,
                             const struct process_image *image);

#endif
