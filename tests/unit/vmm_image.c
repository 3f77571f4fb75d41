/* Bad images for the monitor: each malformed ELF is generated, written to
 * a file and must be refused by image_open or the PVH loader's check with its own reason, before
 * any guest memory exists. A well-formed image must pass both. */
// SOURCES: common/image.c vmm/kvm/pvh.c vmm/kvm/guest.c vmm/kvm/mptable.c common/error.c common/cmdline.c
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <toro/abi/start_info.h>

#include "check.h"
#include "image.h"
#include "kvm/guest.h"
#include "kvm/pvh.h"

#define TEST_MEM   (128ull << 20)
#define LOAD_ADDR  0x100000ull
#define CODE_BYTES 64

/* A minimal PVH image: ELF header, two program headers (PT_LOAD at 1 MiB, PT_NOTE with the Xen
 * PHYS32_ENTRY note), the note, then the code. */
struct test_elf {
	Elf64_Ehdr eh;
	Elf64_Phdr load;
	Elf64_Phdr note;
	Elf64_Nhdr nhdr;
	char name[4]; /* "Xen\0" */
	uint32_t entry;
	uint8_t code[CODE_BYTES];
};

static void make_elf(struct test_elf *e)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->eh.e_ident, ELFMAG, SELFMAG);
	e->eh.e_ident[EI_CLASS] = ELFCLASS64;
	e->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	e->eh.e_ident[EI_VERSION] = EV_CURRENT;
	e->eh.e_type = ET_EXEC;
	e->eh.e_machine = EM_X86_64;
	e->eh.e_version = EV_CURRENT;
	e->eh.e_entry = LOAD_ADDR;
	e->eh.e_phoff = offsetof(struct test_elf, load);
	e->eh.e_ehsize = sizeof(Elf64_Ehdr);
	e->eh.e_phentsize = sizeof(Elf64_Phdr);
	e->eh.e_phnum = 2;
	e->load.p_type = PT_LOAD;
	e->load.p_offset = offsetof(struct test_elf, code);
	e->load.p_paddr = e->load.p_vaddr = LOAD_ADDR;
	e->load.p_filesz = CODE_BYTES;
	e->load.p_memsz = 4096;
	e->note.p_type = PT_NOTE;
	e->note.p_offset = offsetof(struct test_elf, nhdr);
	e->note.p_filesz = sizeof(e->nhdr) + sizeof(e->name) + sizeof(e->entry);
	e->nhdr.n_namesz = 4;
	e->nhdr.n_descsz = 4;
	e->nhdr.n_type = XEN_ELFNOTE_PHYS32_ENTRY;
	memcpy(e->name, "Xen", 4);
	e->entry = (uint32_t)LOAD_ADDR;
	memset(e->code, 0x90, sizeof(e->code));
}

/* Writes len bytes of data to a temporary file, opens it as an image and, if that works, checks
 * it against RAM. Returns the error message, or "" when the image is accepted. */
static const char *try_image(const void *data, size_t len, uint64_t mem)
{
	static char err[256];
	char path[] = "/tmp/toro-unit-elf-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return "mkstemp failed";
	CHECK(write(fd, data, len) == (ssize_t)len);
	close(fd);
	struct image img;
	err[0] = '\0';
	if (image_open(path, &img, err, sizeof(err)) == 0) {
		struct guest_mem m;
		guest_mem_layout(&m, mem);
		if (pvh_check(&img, &m, "toro.argv0=x --", 1, err, sizeof(err)) == 0)
			err[0] = '\0';
		image_close(&img);
	}
	unlink(path);
	return err;
}

static void expect_refused(const char *what, const void *data, size_t len, uint64_t mem,
                           const char *reason)
{
	const char *err = try_image(data, len, mem);
	check_count++;
	if (!strstr(err, reason) || !*err) {
		check_failures++;
		fprintf(stderr, "%s: got \"%s\", want a message with \"%s\"\n", what, err, reason);
	}
}

static void test_valid(void)
{
	struct test_elf e;
	make_elf(&e);
	CHECK_STR(try_image(&e, sizeof(e), TEST_MEM), "");
}

static void test_truncated(void)
{
	struct test_elf e;
	make_elf(&e);
	expect_refused("truncated header", &e, 40, TEST_MEM, "truncated ELF header");
	expect_refused("truncated program headers", &e, offsetof(struct test_elf, note) + 8,
	               TEST_MEM, "program headers outside the file");
	expect_refused("4 bytes", &e, 4, TEST_MEM, "not an ELF file");
}

static void test_segment_outside_file(void)
{
	struct test_elf e;
	make_elf(&e);
	e.load.p_offset = sizeof(e) - 8; /* 64 bytes from 8 before the end */
	expect_refused("segment past the end", &e, sizeof(e), TEST_MEM, "outside the file");
	make_elf(&e);
	e.load.p_offset = UINT64_MAX - 4; /* offset + size wraps */
	expect_refused("segment offset wraps", &e, sizeof(e), TEST_MEM, "outside the file");
}

static void test_segment_outside_ram(void)
{
	struct test_elf e;
	make_elf(&e);
	e.load.p_memsz = 200ull << 20; /* 200 MiB of BSS in 128 MiB of RAM */
	expect_refused("segment beyond RAM", &e, sizeof(e), TEST_MEM, "does not fit in 128 MiB");
	make_elf(&e);
	e.load.p_paddr = 0xc0000000ull; /* in the device hole below 4 GiB */
	e.entry = 0xc0000000u;
	expect_refused("segment in the hole", &e, sizeof(e), 8ull << 30, "does not fit in 8 GiB");
}

static void test_huge_memsz(void)
{
	struct test_elf e;
	make_elf(&e);
	e.load.p_memsz = UINT64_MAX - 0x1000;
	expect_refused("huge p_memsz", &e, sizeof(e), TEST_MEM, "ends above 512 GiB");
	make_elf(&e);
	e.load.p_filesz = 8192; /* more than memsz */
	expect_refused("filesz above memsz", &e, sizeof(e), TEST_MEM, "file size above memory");
}

static void test_no_pvh_note(void)
{
	struct test_elf e;
	make_elf(&e);
	e.nhdr.n_type = 1; /* some other Xen note */
	expect_refused("no PVH note", &e, sizeof(e), TEST_MEM, "no PVH entry note");
	make_elf(&e);
	e.eh.e_phnum = 1;
	expect_refused("no note segment", &e, sizeof(e), TEST_MEM, "no PVH entry note");
	make_elf(&e);
	e.entry = 0x200000; /* not inside the loaded bytes */
	expect_refused("entry outside", &e, sizeof(e), TEST_MEM, "not inside a loaded segment");
}

static void test_elf32(void)
{
	struct test_elf e;
	make_elf(&e);
	e.eh.e_ident[EI_CLASS] = ELFCLASS32;
	expect_refused("32-bit ELF", &e, sizeof(e), TEST_MEM, "not a 64-bit ELF");
	make_elf(&e);
	e.eh.e_machine = EM_386;
	expect_refused("i386 machine", &e, sizeof(e), TEST_MEM, "not an x86-64 ELF");
	make_elf(&e);
	e.eh.e_type = ET_DYN;
	expect_refused("shared object", &e, sizeof(e), TEST_MEM, "not an executable");
}

/* image_parse refuses segments below 1 MiB, so the boot data can only be hit by an image that
 * got past it: the loader's own check is tested on a hand-made struct image. */
static void test_overlaps_boot_data(void)
{
	struct guest_mem m;
	guest_mem_layout(&m, TEST_MEM);
	struct image img;
	memset(&img, 0, sizeof(img));
	img.nsegments = 1;
	char err[256];
	const struct {
		uint64_t paddr, memsz;
		const char *reason;
	} cases[] = {
	    {0x9f000, 0x1000, "overlaps the MP table"}, {0x6000, 0x10, "overlaps the start_info"},
	    {0x1ffff, 2, "overlaps the command line"},  {0x0, 0x100000, "overlaps the boot GDT"},
	    {0xfffff, 1, "overlaps the MP table"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		img.segments[0] = (struct image_segment){cases[i].paddr, 0, 0, cases[i].memsz};
		err[0] = '\0';
		CHECK(pvh_check(&img, &m, "", 1, err, sizeof(err)) == -1);
		CHECK(strstr(err, cases[i].reason) != NULL);
	}
	img.segments[0] = (struct image_segment){0x100000, 0, 0, 0x1000};
	CHECK(pvh_check(&img, &m, "", 1, err, sizeof(err)) == 0);
	/* A command line the kernel would cut is refused; one byte less is taken. */
	size_t n = TORO_CMDLINE_MAX;
	char *long_line = malloc(n + 1);
	memset(long_line, 'a', n);
	long_line[n] = '\0';
	CHECK(pvh_check(&img, &m, long_line, 1, err, sizeof(err)) == -1);
	CHECK(strstr(err, "command line") != NULL && strstr(err, "4095") != NULL);
	long_line[n - 1] = '\0';
	CHECK(pvh_check(&img, &m, long_line, 1, err, sizeof(err)) == 0);
	free(long_line);

	/* The argument module: up to a quarter of RAM, above the image. */
	CHECK(pvh_check_module(&img, &m, m.size / 4, err, sizeof(err)) == 0);
	CHECK(pvh_check_module(&img, &m, m.size / 4 + 1, err, sizeof(err)) == -1);
	CHECK(strstr(err, "more than a quarter") != NULL);
	img.segments[0] = (struct image_segment){0x100000, 0, 0, m.size - 0x100000 - 0x2000};
	CHECK(pvh_check_module(&img, &m, 0x3000, err, sizeof(err)) == -1);
	CHECK(strstr(err, "do not fit above the image") != NULL);
}

int main(void)
{
	test_valid();
	test_truncated();
	test_segment_outside_file();
	test_segment_outside_ram();
	test_huge_memsz();
	test_no_pvh_note();
	test_elf32();
	test_overlaps_boot_data();
	return check_summary("vmm_image");
}
