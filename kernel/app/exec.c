/* Start of the generic image that `toro run --exec PROGRAM` boots (build/toro-exec.elf, linked
 * with -u toro_app_exec and every optional system-call group): the program, a static x86-64 Linux
 * executable built elsewhere, arrives after the arguments in the boot module
 * (include/toro/abi/start_info.h). Before the page allocator gets RAM, its segments' range and
 * the break above it are reserved (ET_EXEC at its link addresses; a static PIE at a base chosen
 * here, relocated by its own start code); then the segments are copied there, the module's copy
 * of the program is given back, and it starts as a Linux process on the system-call layer. */
#include "process.h"

#include <kernel/arch.h>
#include <kernel/image_note.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <toro/abi/elf.h>
#include <toro/abi/start_info.h>

/* A Linux process, as far as an image's note says: monitors treat it as a POSIX image. */
TORO_IMAGE_NOTE(TORO_NOTE_KIND, TORO_APP_POSIX);

const int toro_app_exec = TORO_APP_POSIX;

/* The break may grow over an eighth of RAM, at most BRK_MAX, and at most half of what is free
 * above the program: the rest is for the kernel, the stacks and mmap. */
#define BRK_RAM_DIV 8
#define BRK_MAX     (64ull << 20)
/* The end of the boot identity map: the module lies below it, and so does the program. */
#define BOOT_MAP_END (4ull << 30)

extern char _end[];

static struct elf_program program;
static uint64_t program_bias, brk_limit;
/* Why the program cannot run, found before the allocator starts; reported once consoles are up. */
static const char *program_error;
/* The program headers, when no segment holds them (AT_PHDR must point at them). */
static struct elf64_phdr phdr_copy[ELF_PROGRAM_PHNUM_MAX];

static uint64_t page_up(uint64_t a)
{
	return (a + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

/* The end of the RAM entry of the memory map that holds addr, and the RAM in all. */
static uint64_t ram_end_from(const struct hvm_start_info *si, uint64_t addr, uint64_t *total)
{
	const struct hvm_memmap_table_entry *map = (const void *)(uintptr_t)si->memmap_paddr;
	uint64_t end = 0;
	*total = 0;
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		if (map[i].type != HVM_MEMMAP_RAM)
			continue;
		*total += map[i].size;
		if (addr >= map[i].addr && addr - map[i].addr < map[i].size)
			end = map[i].addr + map[i].size;
	}
	return end;
}

void kernel_app_reserve(const struct hvm_start_info *si)
{
	if (!kernel_boot_program) {
		program_error = "no program in the boot module (this image is started by `toro run "
		                "--exec PROGRAM`)";
		return;
	}
	program_error = elf_program_check(kernel_boot_program, kernel_boot_program_size, &program);
	if (program_error)
		return;
	/* Free memory: from the kernel's end to the end of its RAM, below the module (which the
	 * monitors put at the top of the RAM below 4 GiB). */
	uint64_t floor = page_up((uintptr_t)_end), total;
	uint64_t limit = ram_end_from(si, floor, &total);
	if (limit > BOOT_MAP_END)
		limit = BOOT_MAP_END;
	if (kernel_boot_module_end > floor && kernel_boot_module_start < limit)
		limit = kernel_boot_module_start;
	program_error = elf_program_place(&program, floor, limit, &program_bias);
	if (program_error)
		return;
	uint64_t end = program.hi + program_bias;
	uint64_t brk = total / BRK_RAM_DIV;
	if (brk > BRK_MAX)
		brk = BRK_MAX;
	if (brk > (limit - end) / 2)
		brk = ((limit - end) / 2) & ~(PAGE_SIZE - 1);
	brk_limit = end + brk;
	kernel_memory_reserve(program.lo + program_bias, brk_limit);
}

void kernel_app_prepare(void)
{
	process_prepare();
}

/* Copies the segments to where they run: the whole span cleared first (so .bss and the gaps
 * between segments are zeros, whatever order the headers come in), then each segment's bytes. */
static void program_load(void)
{
	const char *file = kernel_boot_program;
	memset((void *)(uintptr_t)(program.lo + program_bias), 0, program.hi - program.lo);
	for (unsigned i = 0; i < program.phnum; i++) {
		const struct elf64_phdr *ph = &program.phdrs[i];
		if (ph->p_type == ELF_PT_LOAD && ph->p_filesz)
			memcpy((void *)(uintptr_t)(ph->p_vaddr + program_bias), file + ph->p_offset,
			       ph->p_filesz);
	}
}

_Noreturn void kernel_app_start(void *stack_top, const struct app_args *args)
{
	if (program_error) {
		printk("toro: %s: %s\n", args->argv[0], program_error);
		kernel_exit(TORO_EXIT_PANIC);
	}
	program_load();
	struct process_image image = {
	    .phdr = program.phdr_vaddr + program_bias,
	    .phnum = program.phnum,
	    .entry = program.entry + program_bias,
	};
	if (!program.phdr_vaddr) {
		memcpy(phdr_copy, program.phdrs, program.phnum * sizeof(*program.phdrs));
		image.phdr = (uintptr_t)phdr_copy;
	}
	/* The module's copy of the program is no longer needed (the arguments before it are). */
	mm_add_range((uintptr_t)kernel_boot_program,
	             (uintptr_t)kernel_boot_program + kernel_boot_program_size);
	sys_brk_area_set(program.hi + program_bias, brk_limit);
	process_start(stack_top, args, &image);
}
