/* The start of a Linux process (process.h): the initial stack as Linux's ELF loader builds it
 * (fs/binfmt_elf.c's create_elf_tables), from the top down: the strings, the random bytes, then
 * argc, argv[], NULL, envp[], NULL and the auxiliary vector, %rsp 16-byte aligned at argc. */
#include "process.h"

#include <kernel/arch.h>
#include <kernel/fd.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <toro/abi/elf.h>
#include <toro/abi/linux.h>

#define AT_RANDOM_BYTES 16
#define AUXV_PAIRS      20
#define CLOCK_TICKS     100

static char *push_bytes(char *sp, const void *data, size_t len)
{
	sp -= len;
	memcpy(sp, data, len);
	return sp;
}

/* The signal layer's list of the process's threads starts with this one (kernel/sys/signal.c). */
void signal_init(void);

void process_prepare(void)
{
	fd_init();
	signal_init();
	arch_syscall_enable();
}

_Noreturn void process_start(void *stack_top, const struct app_args *args,
                             const struct process_image *image)
{
	/* A guard page below the main thread's stack: an overflow is a SIGSEGV (a handler on an
	 * alternate stack can catch it), never a silent walk into the memory below. */
	if (thread_stack_guard(thread_current()))
		printk("toro: no memory for the main stack's guard page\n");
	if (sys_process_name_set)
		sys_process_name_set(args->argv[0]);
	static const char platform[] = "x86_64";
	char *sp = stack_top;
	const char *execfn = args->argv[0];
	char *execfn_at = sp = push_bytes(sp, execfn, strlen(execfn) + 1);
	unsigned char random[AT_RANDOM_BYTES];
	arch_random(random, sizeof(random));
	char *random_at = sp = push_bytes(sp, random, sizeof(random));
	char *platform_at = sp = push_bytes(sp, platform, sizeof(platform));

	uint64_t auxv[AUXV_PAIRS * 2], *a = auxv;
#define AUX(type, value) (*a++ = (type), *a++ = (uint64_t)(value))
	AUX(LINUX_AT_PHDR, image->phdr);
	AUX(LINUX_AT_PHENT, sizeof(struct elf64_phdr));
	AUX(LINUX_AT_PHNUM, image->phnum);
	AUX(LINUX_AT_PAGESZ, PAGE_SIZE);
	AUX(LINUX_AT_BASE, 0); /* no interpreter */
	AUX(LINUX_AT_FLAGS, 0);
	AUX(LINUX_AT_ENTRY, image->entry);
	AUX(LINUX_AT_UID, 0);
	AUX(LINUX_AT_EUID, 0);
	AUX(LINUX_AT_GID, 0);
	AUX(LINUX_AT_EGID, 0);
	AUX(LINUX_AT_SECURE, 0);
	AUX(LINUX_AT_HWCAP, arch_hwcap());
	AUX(LINUX_AT_CLKTCK, CLOCK_TICKS);
	AUX(LINUX_AT_PLATFORM, (uintptr_t)platform_at);
	AUX(LINUX_AT_RANDOM, (uintptr_t)random_at);
	AUX(LINUX_AT_EXECFN, (uintptr_t)execfn_at);
	AUX(LINUX_AT_NULL, 0);
#undef AUX
	size_t auxv_words = (size_t)(a - auxv);

	size_t words = 1 + (size_t)args->argc + 1 + (size_t)args->envc + 1 + auxv_words;
	uint64_t *frame = (uint64_t *)(((uintptr_t)sp - words * 8) & ~(uintptr_t)15);
	uint64_t *w = frame;
	*w++ = (uint64_t)args->argc;
	for (int i = 0; i <= args->argc; i++)
		*w++ = (uintptr_t)args->argv[i];
	for (int i = 0; i <= args->envc; i++)
		*w++ = (uintptr_t)args->envp[i];
	memcpy(w, auxv, auxv_words * 8);

	arch_enter_process((uintptr_t)frame, image->entry);
}
