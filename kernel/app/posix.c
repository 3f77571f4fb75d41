/* Start of a POSIX application: build the initial process stack the Linux ABI defines (argc,
 * argv, envp, auxiliary vector) and jump to musl's _start. `toro build` links this file
 * (-u toro_app_posix) and its ELF note; with it come the syscall layer (kernel/sys). */
#include <kernel/arch.h>
#include <kernel/fd.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <toro/abi/elf.h>
#include <kernel/image_note.h>
#include <toro/abi/linux.h>

TORO_IMAGE_NOTE(TORO_NOTE_KIND, TORO_APP_POSIX);

const int toro_app_posix = TORO_APP_POSIX;

/* Pulls kernel/sys/malloc.c (musl's allocator replaced by the per-core heaps) into the image. */
void *malloc(size_t size);
void *const toro_posix_malloc = (void *)malloc;

#define AT_RANDOM_BYTES 16
#define AUXV_PAIRS      16
#define CLOCK_TICKS     100

extern char _start[];
extern const struct elf64_ehdr
    __ehdr_start; /* the image's headers are loaded with its first segment */

static char *push_bytes(char *sp, const void *data, size_t len)
{
	sp -= len;
	memcpy(sp, data, len);
	return sp;
}

/* The signal layer's list of the process's threads starts with this one (kernel/sys/signal.c). */
void signal_init(void);

void kernel_app_prepare(void)
{
	fd_init();
	signal_init();
	arch_syscall_enable();
}

_Noreturn void kernel_app_start(void *stack_top, const struct app_args *args)
{
	/* A guard page below the main thread's stack: an overflow is a SIGSEGV (a handler on an
	 * alternate stack can catch it), never a silent walk into the memory below. */
	if (thread_stack_guard(thread_current()))
		printk("toro: no memory for the main stack's guard page\n");
	static const char platform[] = "x86_64";
	char *sp = stack_top;
	unsigned char random[AT_RANDOM_BYTES];
	arch_random(random, sizeof(random));
	char *random_at = sp = push_bytes(sp, random, sizeof(random));
	char *platform_at = sp = push_bytes(sp, platform, sizeof(platform));

	const struct elf64_ehdr *eh = &__ehdr_start;
	uint64_t auxv[AUXV_PAIRS * 2], *a = auxv;
#define AUX(type, value) (*a++ = (type), *a++ = (uint64_t)(value))
	AUX(LINUX_AT_PHDR, (uintptr_t)eh + eh->e_phoff);
	AUX(LINUX_AT_PHENT, eh->e_phentsize);
	AUX(LINUX_AT_PHNUM, eh->e_phnum);
	AUX(LINUX_AT_PAGESZ, PAGE_SIZE);
	AUX(LINUX_AT_ENTRY, (uintptr_t)_start);
	AUX(LINUX_AT_UID, 0);
	AUX(LINUX_AT_EUID, 0);
	AUX(LINUX_AT_GID, 0);
	AUX(LINUX_AT_EGID, 0);
	AUX(LINUX_AT_SECURE, 0);
	AUX(LINUX_AT_HWCAP, arch_hwcap());
	AUX(LINUX_AT_CLKTCK, CLOCK_TICKS);
	AUX(LINUX_AT_PLATFORM, (uintptr_t)platform_at);
	AUX(LINUX_AT_RANDOM, (uintptr_t)random_at);
	AUX(LINUX_AT_NULL, 0);
#undef AUX
	size_t auxv_words = (size_t)(a - auxv);

	/* argc, argv[] NULL, envp[] NULL, auxv: %rsp must be 16-byte aligned at argc. */
	size_t words = 1 + (size_t)args->argc + 1 + (size_t)args->envc + 1 + auxv_words;
	uint64_t *frame = (uint64_t *)(((uintptr_t)sp - words * 8) & ~(uintptr_t)15);
	uint64_t *w = frame;
	*w++ = (uint64_t)args->argc;
	for (int i = 0; i <= args->argc; i++)
		*w++ = (uintptr_t)args->argv[i];
	for (int i = 0; i <= args->envc; i++)
		*w++ = (uintptr_t)args->envp[i];
	memcpy(w, auxv, auxv_words * 8);

	arch_enter_process((uintptr_t)frame, (uintptr_t)_start);
}
