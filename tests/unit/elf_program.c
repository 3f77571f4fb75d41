/* The checks of a program for `toro run --exec` (kernel/lib/elf_program.c), which the kernel's
 * loader and the tool both make: a well-formed ET_EXEC and static PIE pass with the right span,
 * entry and program-header address; every malformed header is refused with its own reason; the
 * placement puts a static PIE above the kernel and refuses what overlaps it or passes RAM. This
 * test's own binary is dynamically linked, and refused as such. */
// SOURCES: kernel/lib/elf_program.c
#include <toro/abi/elf.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define LINK_ADDR 0x400000ull
#define PAGE      4096ull

/* An executable: the header and three program headers in the first page, which the first
 * PT_LOAD (read-only, offset 0) loads; code in the second page; data and .bss in a third. */
struct test_program {
	struct elf64_ehdr eh;
	struct elf64_phdr ph[3];
	unsigned char pad[PAGE - sizeof(struct elf64_ehdr) - 3 * sizeof(struct elf64_phdr)];
	unsigned char code[PAGE];
	unsigned char data[64];
};

static void make_program(struct test_program *p, int pie)
{
	uint64_t base = pie ? 0 : LINK_ADDR;
	memset(p, 0, sizeof(*p));
	memcpy(p->eh.e_ident, "\177ELF", 4);
	p->eh.e_ident[4] = ELF_CLASS_64;
	p->eh.e_ident[5] = ELF_DATA_LSB;
	p->eh.e_ident[6] = ELF_VERSION_1;
	p->eh.e_type = pie ? ELF_TYPE_DYN : ELF_TYPE_EXEC;
	p->eh.e_machine = ELF_MACHINE_X86_64;
	p->eh.e_version = ELF_VERSION_1;
	p->eh.e_entry = base + PAGE + 16;
	p->eh.e_phoff = sizeof(struct elf64_ehdr);
	p->eh.e_ehsize = sizeof(struct elf64_ehdr);
	p->eh.e_phentsize = sizeof(struct elf64_phdr);
	p->eh.e_phnum = 3;
	p->ph[0] = (struct elf64_phdr){.p_type = ELF_PT_LOAD,
	                               .p_offset = 0,
	                               .p_vaddr = base,
	                               .p_filesz = PAGE,
	                               .p_memsz = PAGE,
	                               .p_align = PAGE};
	p->ph[1] = (struct elf64_phdr){.p_type = ELF_PT_LOAD,
	                               .p_offset = PAGE,
	                               .p_vaddr = base + PAGE,
	                               .p_filesz = PAGE,
	                               .p_memsz = PAGE,
	                               .p_align = PAGE};
	/* Data at an offset congruent to its address modulo the page, .bss past the file. */
	p->ph[2] = (struct elf64_phdr){.p_type = ELF_PT_LOAD,
	                               .p_flags = ELF_PF_W,
	                               .p_offset = 2 * PAGE,
	                               .p_vaddr = base + 3 * PAGE,
	                               .p_filesz = sizeof(p->data),
	                               .p_memsz = 3 * PAGE,
	                               .p_align = PAGE};
}

static const char *check_program(const struct test_program *t, struct elf_program *out)
{
	return elf_program_check(t, sizeof(*t), out);
}

/* What a change to a good program makes elf_program_check say. */
#define REFUSED(change, reason)                                                                    \
	do {                                                                                       \
		struct test_program t;                                                             \
		struct elf_program out;                                                            \
		make_program(&t, 0);                                                               \
		change;                                                                            \
		CHECK_STR(check_program(&t, &out), reason);                                        \
	} while (0)

static void good_programs(void)
{
	struct test_program t;
	struct elf_program p;
	make_program(&t, 0);
	CHECK(check_program(&t, &p) == NULL);
	CHECK(!p.pie);
	CHECK(p.lo == LINK_ADDR && p.hi == LINK_ADDR + 6 * PAGE);
	CHECK(p.entry == LINK_ADDR + PAGE + 16);
	CHECK(p.phnum == 3 && p.phdrs == t.ph);
	CHECK(p.phdr_vaddr == LINK_ADDR + sizeof(struct elf64_ehdr));

	make_program(&t, 1);
	CHECK(check_program(&t, &p) == NULL);
	CHECK(p.pie && p.lo == 0 && p.hi == 6 * PAGE);

	/* PT_PHDR, where a program has one, says where the headers are. */
	make_program(&t, 0);
	t.ph[2].p_type = ELF_PT_PHDR;
	t.ph[2].p_vaddr = LINK_ADDR + 64;
	CHECK(check_program(&t, &p) == NULL && p.phdr_vaddr == LINK_ADDR + 64);

	/* Headers no segment loads: the loader must put them somewhere itself. */
	make_program(&t, 0);
	t.ph[0].p_offset = PAGE;
	t.ph[0].p_filesz = 16;
	CHECK(check_program(&t, &p) == NULL && p.phdr_vaddr == 0);

	/* Empty segments and other header types take no room. */
	make_program(&t, 0);
	t.ph[2] = (struct elf64_phdr){.p_type = ELF_PT_LOAD, .p_vaddr = 1ull << 40};
	CHECK(check_program(&t, &p) == NULL && p.hi == LINK_ADDR + 2 * PAGE);
}

static void bad_headers(void)
{
	struct elf_program out;
	struct test_program t;
	make_program(&t, 0);
	CHECK_STR(elf_program_check(&t, 63, &out), "truncated: shorter than an ELF header");
	CHECK_STR(elf_program_check(&t, 4, &out), "truncated: shorter than an ELF header");
	CHECK_STR(elf_program_check(&t, 3, &out), "not an ELF file");
	CHECK_STR(elf_program_check("#!/bin/sh\n", 10, &out), "not an ELF file");
	REFUSED(t.eh.e_ident[0] = 0, "not an ELF file");
	REFUSED(t.eh.e_ident[4] = 1, "not a 64-bit ELF file");
	REFUSED(t.eh.e_ident[5] = 2, "not an x86-64 program");
	REFUSED(t.eh.e_machine = 183, "not an x86-64 program");
	REFUSED(t.eh.e_version = 0, "unknown ELF version");
	REFUSED(t.eh.e_type = 1, "not an executable (an object file or core dump?)");
	REFUSED(t.eh.e_type = 4, "not an executable (an object file or core dump?)");
	REFUSED(t.eh.e_phentsize = 32, "program headers of an unknown size");
	REFUSED(t.eh.e_phnum = 0, "no program headers");
	REFUSED(t.eh.e_phnum = ELF_PROGRAM_PHNUM_MAX + 1, "too many program headers");
	REFUSED(t.eh.e_phoff = 65, "misaligned program headers");
	REFUSED(t.eh.e_phoff = sizeof(t) - 8,
	        "truncated: its program headers lie past the end of the file");
	REFUSED(t.eh.e_phoff = ~0ull & ~7ull,
	        "truncated: its program headers lie past the end of the file");
	/* Cut just before the last program header's last byte. */
	make_program(&t, 0);
	CHECK_STR(elf_program_check(&t, sizeof(t.eh) + 3 * sizeof(t.ph[0]) - 1, &out),
	          "truncated: its program headers lie past the end of the file");
}

static void bad_segments(void)
{
	REFUSED(t.ph[1].p_type = ELF_PT_INTERP,
	        "dynamically linked (it names an interpreter, PT_INTERP): only static "
	        "executables run");
	REFUSED(t.ph[2].p_filesz = t.ph[2].p_memsz + 1,
	        "a segment is larger in the file than in memory");
	/* An empty segment takes no room, but may not bring bytes from the file anywhere. */
	REFUSED((t.ph[2].p_memsz = 0, t.ph[2].p_filesz = 16),
	        "a segment is larger in the file than in memory");
	REFUSED(t.ph[2].p_offset = sizeof(t) - 8,
	        "truncated: a segment lies past the end of the file");
	REFUSED((t.ph[2].p_offset = ~0ull - 8, t.ph[2].p_filesz = 16),
	        "truncated: a segment lies past the end of the file");
	REFUSED(t.ph[2].p_vaddr = 1ull << 47, "a segment lies outside the 47-bit address space");
	REFUSED(t.ph[2].p_memsz = ~0ull - 4096, "a segment lies outside the 47-bit address space");
	REFUSED((t.ph[2].p_vaddr = 0x7fffffff0000ull, t.ph[2].p_memsz = 0x20000),
	        "a segment lies outside the 47-bit address space");
	REFUSED((t.ph[0].p_type = t.ph[1].p_type = t.ph[2].p_type = ELF_PT_DYNAMIC),
	        "no loadable segments");
	REFUSED(t.ph[2].p_vaddr = LINK_ADDR + (65ull << 30), "its segments span more than 64 GiB");
	REFUSED(t.eh.e_entry = LINK_ADDR + 2 * PAGE, "its entry point lies outside its segments");
	REFUSED(t.eh.e_entry = 0, "its entry point lies outside its segments");
	REFUSED((t.ph[2].p_type = ELF_PT_PHDR, t.ph[2].p_vaddr = 0x1000),
	        "its PT_PHDR lies outside its segments");
}

static void placement(void)
{
	const uint64_t kernel_end = 0x151000, ram = 128ull << 20;
	struct test_program t;
	struct elf_program p;
	uint64_t bias = 1;
	make_program(&t, 0);
	CHECK(check_program(&t, &p) == NULL);
	CHECK(elf_program_place(&p, kernel_end, ram, &bias) == NULL && bias == 0);
	CHECK(elf_program_place(&p, kernel_end, LINK_ADDR + 6 * PAGE, &bias) == NULL);
	CHECK_STR(elf_program_place(&p, kernel_end, LINK_ADDR + 6 * PAGE - 1, &bias),
	          "its segments do not fit in the guest's RAM");
	CHECK_STR(elf_program_place(&p, LINK_ADDR + 1, ram, &bias),
	          "its segments overlap the kernel");

	/* A static PIE goes at 4 MiB, or the first 2 MiB boundary above a larger kernel. */
	make_program(&t, 1);
	CHECK(check_program(&t, &p) == NULL);
	CHECK(elf_program_place(&p, kernel_end, ram, &bias) == NULL &&
	      bias == ELF_PROGRAM_PIE_BASE);
	CHECK(elf_program_place(&p, 0x500000, ram, &bias) == NULL && bias == 0x600000);
	CHECK(elf_program_place(&p, 0x600000, ram, &bias) == NULL && bias == 0x600000);
	CHECK_STR(elf_program_place(&p, kernel_end, ELF_PROGRAM_PIE_BASE + PAGE, &bias),
	          "its segments do not fit in the guest's RAM");
}

/* This test, as built (gcc's default: a dynamically linked PIE). */
static void own_binary(void)
{
	FILE *f = fopen("/proc/self/exe", "rb");
	CHECK(f != NULL);
	if (!f)
		return;
	static unsigned char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	struct elf_program p;
	CHECK_STR(elf_program_check(buf, n, &p),
	          "dynamically linked (it names an interpreter, PT_INTERP): only static "
	          "executables run");
}

int main(void)
{
	good_programs();
	bad_headers();
	bad_segments();
	placement();
	own_binary();
	return check_summary("elf_program");
}
