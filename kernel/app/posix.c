/* Start of a POSIX application: build the initial process stack the Linux ABI defines (argc,
 * argv, envp, auxiliary vector: process.c) and jump to musl's _start. `toro build` links this file
 * (-u toro_app_posix) and its ELF note; with it come the syscall layer (kernel/sys). */
#include "process.h"

#include <kernel/image_note.h>
#include <toro/abi/elf.h>

TORO_IMAGE_NOTE(TORO_NOTE_KIND, TORO_APP_POSIX);

const int toro_app_posix = TORO_APP_POSIX;

/* Pulls kernel/sys/malloc.c (musl's allocator replaced by the per-core heaps) into the image. */
void *malloc(size_t size);
void *const toro_posix_malloc = (void *)malloc;

extern char _start[];
extern const struct elf64_ehdr
    __ehdr_start; /* the image's headers are loaded with its first segment */

void kernel_app_prepare(void)
{
	process_prepare();
}

_Noreturn void kernel_app_start(void *stack_top, const struct app_args *args)
{
	const struct elf64_ehdr *eh = &__ehdr_start;
	const struct process_image image = {
	    .phdr = (uintptr_t)eh + eh->e_phoff,
	    .phnum = eh->e_phnum,
	    .entry = (uintptr_t)_start,
	};
	process_start(stack_top, args, &image);
}
