/* libFuzzer target for the checks of a `toro run --exec` program (kernel/lib/elf_program.c),
 * which the kernel makes on whatever the boot module hands it: each input is a file. What passes
 * must be safe to load as kernel/app/exec.c loads it (every PT_LOAD's file bytes inside the input,
 * its memory inside [lo, hi), the entry and the loaded program headers inside too), and a
 * placement that succeeds must lie in the free memory it was given; anything else aborts.
 * `make fuzz` runs it; tests/e2e/fuzz.sh makes a short run in `make check`. */
// SOURCES: kernel/lib/elf_program.c
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <toro/abi/elf.h>

#define KERNEL_END 0x152000ull
#define RAM_LIMIT  (128ull << 20)

static void check_passed(const uint8_t *file, size_t size, const struct elf_program *p)
{
	const uint8_t *headers = (const uint8_t *)p->phdrs;
	if (headers < file || headers + (size_t)p->phnum * sizeof(*p->phdrs) > file + size)
		abort();
	if (p->lo % ELF_PROGRAM_PAGE || p->hi % ELF_PROGRAM_PAGE || p->lo >= p->hi ||
	    p->hi - p->lo > ELF_PROGRAM_SPAN_MAX)
		abort();
	for (unsigned i = 0; i < p->phnum; i++) {
		const struct elf64_phdr *ph = &p->phdrs[i];
		if (ph->p_type == ELF_PT_INTERP)
			abort();
		if (ph->p_type != ELF_PT_LOAD)
			continue;
		if (ph->p_filesz > ph->p_memsz || ph->p_offset > size ||
		    size - ph->p_offset < ph->p_filesz)
			abort();
		if (ph->p_memsz && (ph->p_vaddr < p->lo || ph->p_vaddr + ph->p_memsz > p->hi))
			abort();
	}
	if (p->entry < p->lo || p->entry >= p->hi)
		abort();
	if (p->phdr_vaddr &&
	    (p->phdr_vaddr < p->lo ||
	     p->phdr_vaddr + (uint64_t)p->phnum * sizeof(*p->phdrs) > p->hi))
		abort();
	uint64_t bias;
	if (elf_program_place(p, KERNEL_END, RAM_LIMIT, &bias) == NULL &&
	    (p->lo + bias < KERNEL_END || p->hi + bias > RAM_LIMIT || bias % ELF_PROGRAM_PAGE ||
	     (!p->pie && bias)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The kernel's copy is page-aligned; the program headers are read in place. */
	uint8_t *file = aligned_alloc(ELF_PROGRAM_PAGE,
	                              (size + ELF_PROGRAM_PAGE) & ~(ELF_PROGRAM_PAGE - 1));
	if (!file)
		return 0;
	memcpy(file, data, size);
	struct elf_program p;
	if (elf_program_check(file, size, &p) == NULL)
		check_passed(file, size, &p);
	free(file);
	return 0;
}
