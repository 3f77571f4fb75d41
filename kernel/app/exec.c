/* Start of the generic image that `toro run --exec PROGRAM` boots (build/toro-exec.elf, linked
 * with -u toro_app_exec and every optional system-call group): the program, a static x86-64 Linux
 * executable built elsewhere, arrives after the arguments in the boot module
 * (include/toro/abi/start_info.h). Before the page allocator gets RAM, its segments' range and
 * the break above it are taken out of the memory map (ET_EXEC at its link addresses; a static PIE
 * at a base chosen here, relocated by its own start code); then the segments are copied there,
 * the module's copy of the program is given back, and it starts as a Linux process on the
 * system-call layer. */
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
/* Boot modules lie in [1 MiB, 4 GiB): above the firmware's memory, inside the boot identity
 * map (as kernel/core/main.c finds the arguments' module); the program goes below it too. */
#define LOW_MEMORY_END 0x100000ull
#define BOOT_MAP_END   (4ull << 30)

extern char _end[];

/* The program as the module holds it, and as checked and placed. */
static const char *program_file;
static uint64_t program_size;
static struct elf_program program;
static uint64_t program_bias, brk_limit;
/* Why the program cannot run, found before the allocator starts; reported once consoles are up. */
static const char *program_error;
/* The program headers, when no segment holds them (AT_PHDR must point at them). */
static struct elf64_phdr phdr_copy[ELF_PROGRAM_PHNUM_MAX];

/* The memory map the kernel reads instead of the monitor's: the same, with the program's range
 * (and its break) marked reserved. Each entry splits into at most three. */
#define MEMMAP_MAX 64
static struct hvm_memmap_table_entry memmap[3 * MEMMAP_MAX];

static uint64_t page_up(uint64_t a)
{
	return (a + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

/* The arguments module, as kernel/core/main.c finds it (it starts with the magic and ends with a
 * NUL), and the program after its text: program_file and program_size, or NULL. Returns the
 * module's start, or 0 without one. */
static uint64_t program_find(const struct hvm_start_info *si)
{
	const struct hvm_modlist_entry *m = (const void *)(uintptr_t)si->modlist_paddr;
	for (uint32_t i = 0; i < si->nr_modules && i < 16; i++) {
		uint64_t start = m[i].paddr, size = m[i].size;
		const char *text = (const char *)(uintptr_t)start;
		if (start < LOW_MEMORY_END || start > BOOT_MAP_END || size > BOOT_MAP_END - start ||
		    size <= TORO_ARGS_MAGIC_LEN || *(const uint64_t *)text != TORO_ARGS_MAGIC ||
		    text[size - 1])
			continue;
		uint64_t at = TORO_ARGS_MAGIC_LEN;
		while (text[at])
			at++;
		at = (at + TORO_ARGS_PROGRAM_ALIGN) & ~(uint64_t)(TORO_ARGS_PROGRAM_ALIGN - 1);
		if (at < size - 1) {
			program_file = text + at;
			program_size = size - 1 - at;
		}
		return start;
	}
	return 0;
}

/* The end of the RAM entry that holds addr, and the RAM in all. */
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

/* Points si at a copy of its memory map in which [start, end) is no longer RAM. */
static void memmap_reserve(struct hvm_start_info *si, uint64_t start, uint64_t end)
{
	const struct hvm_memmap_table_entry *map = (const void *)(uintptr_t)si->memmap_paddr;
	uint32_t n = 0;
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		uint64_t a = map[i].addr, b = a + map[i].size;
		if (map[i].type != HVM_MEMMAP_RAM || b <= start || a >= end) {
			memmap[n++] = map[i];
			continue;
		}
		uint64_t from = a > start ? a : start, to = b < end ? b : end;
		if (a < from)
			memmap[n++] =
			    (struct hvm_memmap_table_entry){a, from - a, HVM_MEMMAP_RAM, 0};
		memmap[n++] =
		    (struct hvm_memmap_table_entry){from, to - from, HVM_MEMMAP_RESERVED, 0};
		if (to < b)
			memmap[n++] =
			    (struct hvm_memmap_table_entry){to, b - to, HVM_MEMMAP_RAM, 0};
	}
	si->memmap_paddr = (uintptr_t)memmap;
	si->memmap_entries = n;
}

void kernel_app_reserve(struct hvm_start_info *si)
{
	uint64_t module = program_find(si);
	if (!program_file) {
		program_error = "no program in the boot module (this image is started by `toro run "
		                "--exec PROGRAM`)";
		return;
	}
	if (si->version < HVM_START_VERSION_MEMMAP || si->memmap_entries > MEMMAP_MAX) {
		program_error =
		    "the memory map is missing or too long to reserve the program's memory";
		return;
	}
	program_error = elf_program_check(program_file, program_size, &program);
	if (program_error)
		return;
	/* Free memory: from the kernel's end to the end of its RAM, below the module (which the
	 * monitors put at the top of the RAM below 4 GiB). */
	uint64_t floor = page_up((uintptr_t)_end), total;
	uint64_t limit = ram_end_from(si, floor, &total);
	if (limit > BOOT_MAP_END)
		limit = BOOT_MAP_END;
	if (module > floor && module < limit)
		limit = module & ~(PAGE_SIZE - 1);
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
	memmap_reserve(si, program.lo + program_bias, brk_limit);
}

void kernel_app_prepare(void)
{
	process_prepare();
}

/* Copies the segments to where they run: the whole span cleared first (so .bss and the gaps
 * between segments are zeros, whatever order the headers come in), then each segment's bytes. */
static void program_load(void)
{
	const char *file = program_file;
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
	mm_add_range((uintptr_t)program_file, (uintptr_t)program_file + program_size);
	sys_brk_area_set(program.hi + program_bias, brk_limit);
	process_start(stack_top, args, &image);
}
