/* Checks of a static x86-64 Linux executable before it is loaded (include/toro/abi/elf.h): the
 * kernel's loader (kernel/app/exec.c) makes them on the program it was handed, and `toro run
 * --exec` on the host before boot, so that a bad file is refused there with the same words.
 * Freestanding: no library calls, every header checked against the file's size first. */
#include <toro/abi/elf.h>

#define ELF_ABI_VERSION_INDEX 6
#define ELF_CLASS_INDEX       4
#define ELF_DATA_INDEX        5
#define TWO_MIB               (2ull << 20)
/* x86-64 user addresses below the non-canonical hole: 47 bits. */
#define ADDRESS_LIMIT (1ull << 47)

static uint64_t round_down(uint64_t a, uint64_t to)
{
	return a & ~(to - 1);
}

static uint64_t round_up(uint64_t a, uint64_t to)
{
	return (a + to - 1) & ~(to - 1);
}

static uint32_t magic_of(const struct elf64_ehdr *eh)
{
	return (uint32_t)eh->e_ident[0] | (uint32_t)eh->e_ident[1] << 8 |
	       (uint32_t)eh->e_ident[2] << 16 | (uint32_t)eh->e_ident[3] << 24;
}

static const char *header_check(const struct elf64_ehdr *eh, uint64_t size)
{
	if (magic_of(eh) != ELF_MAGIC)
		return "not an ELF file";
	if (eh->e_ident[ELF_CLASS_INDEX] != ELF_CLASS_64)
		return "not a 64-bit ELF file";
	if (eh->e_ident[ELF_DATA_INDEX] != ELF_DATA_LSB || eh->e_machine != ELF_MACHINE_X86_64)
		return "not an x86-64 program";
	if (eh->e_ident[ELF_ABI_VERSION_INDEX] != ELF_VERSION_1 || eh->e_version != ELF_VERSION_1)
		return "unknown ELF version";
	if (eh->e_type != ELF_TYPE_EXEC && eh->e_type != ELF_TYPE_DYN)
		return "not an executable (an object file or core dump?)";
	if (eh->e_phentsize != sizeof(struct elf64_phdr))
		return "program headers of an unknown size";
	if (eh->e_phnum == 0)
		return "no program headers";
	if (eh->e_phnum > ELF_PROGRAM_PHNUM_MAX)
		return "too many program headers";
	if (eh->e_phoff % 8)
		return "misaligned program headers";
	if (eh->e_phoff > size || size - eh->e_phoff < (uint64_t)eh->e_phnum * eh->e_phentsize)
		return "truncated: its program headers lie past the end of the file";
	return NULL;
}

/* One PT_LOAD header on its own: inside the file and the address space. */
static const char *segment_check(const struct elf64_phdr *ph, uint64_t size)
{
	if (ph->p_filesz > ph->p_memsz)
		return "a segment is larger in the file than in memory";
	if (ph->p_offset > size || size - ph->p_offset < ph->p_filesz)
		return "truncated: a segment lies past the end of the file";
	if (ph->p_vaddr >= ADDRESS_LIMIT || ADDRESS_LIMIT - ph->p_vaddr < ph->p_memsz)
		return "a segment lies outside the 47-bit address space";
	return NULL;
}

/* Where the program headers are once loaded: PT_PHDR's address, else the PT_LOAD segment whose
 * file bytes hold them (as Linux computes AT_PHDR). */
static uint64_t phdr_vaddr(const struct elf64_ehdr *eh, const struct elf64_phdr *ph)
{
	uint64_t len = (uint64_t)eh->e_phnum * sizeof(*ph);
	for (unsigned i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == ELF_PT_PHDR)
			return ph[i].p_vaddr;
	for (unsigned i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == ELF_PT_LOAD && ph[i].p_offset <= eh->e_phoff &&
		    eh->e_phoff - ph[i].p_offset + len <= ph[i].p_filesz)
			return ph[i].p_vaddr + (eh->e_phoff - ph[i].p_offset);
	return 0;
}

const char *elf_program_check(const void *file, uint64_t size, struct elf_program *p)
{
	const struct elf64_ehdr *eh = file;
	if (size < sizeof(*eh))
		return size >= 4 && magic_of(eh) == ELF_MAGIC
		           ? "truncated: shorter than an ELF header"
		           : "not an ELF file";
	const char *bad = header_check(eh, size);
	if (bad)
		return bad;
	const struct elf64_phdr *ph = (const void *)((const char *)file + eh->e_phoff);
	for (unsigned i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == ELF_PT_INTERP)
			return "dynamically linked (it names an interpreter, PT_INTERP): "
			       "only static executables run";
	uint64_t lo = ADDRESS_LIMIT, hi = 0;
	int entry_loaded = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != ELF_PT_LOAD)
			continue;
		if ((bad = segment_check(&ph[i], size)))
			return bad;
		if (ph[i].p_memsz == 0)
			continue;
		uint64_t end = ph[i].p_vaddr + ph[i].p_memsz;
		if (ph[i].p_vaddr < lo)
			lo = ph[i].p_vaddr;
		if (end > hi)
			hi = end;
		entry_loaded |= eh->e_entry >= ph[i].p_vaddr && eh->e_entry < end;
	}
	if (hi == 0)
		return "no loadable segments";
	lo = round_down(lo, ELF_PROGRAM_PAGE);
	hi = round_up(hi, ELF_PROGRAM_PAGE);
	if (hi - lo > ELF_PROGRAM_SPAN_MAX)
		return "its segments span more than 64 GiB";
	if (!entry_loaded)
		return "its entry point lies outside its segments";
	uint64_t at = phdr_vaddr(eh, ph);
	if (at && (at < lo || at + (uint64_t)eh->e_phnum * sizeof(*ph) > hi))
		return "its PT_PHDR lies outside its segments";
	*p = (struct elf_program){
	    .phdrs = ph,
	    .phnum = eh->e_phnum,
	    .pie = eh->e_type == ELF_TYPE_DYN,
	    .lo = lo,
	    .hi = hi,
	    .entry = eh->e_entry,
	    .phdr_vaddr = at,
	};
	return NULL;
}

const char *elf_program_place(const struct elf_program *p, uint64_t floor, uint64_t limit,
                              uint64_t *bias)
{
	uint64_t start = p->lo;
	if (p->pie) {
		start = round_up(floor, TWO_MIB);
		if (start < ELF_PROGRAM_PIE_BASE)
			start = ELF_PROGRAM_PIE_BASE;
	}
	uint64_t end = start + (p->hi - p->lo);
	if (start < floor)
		return "its segments overlap the kernel";
	if (end > limit)
		return "its segments do not fit in the guest's RAM";
	*bias = start - p->lo;
	return NULL;
}
