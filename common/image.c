/* ELF64 image validation: headers, program headers, loadable segments and notes, every field
 * bounds-checked against the file before it is used. */
#include "image.h"
#include "error.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <toro/abi/image.h>
#include <toro/abi/start_info.h>

#define XEN_NOTE_NAME "Xen"

/* Whether [off, off + len) lies inside a buffer of size bytes. */
static int in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static uint32_t align4(uint32_t n)
{
	return (n + 3u) & ~3u;
}

/* Walks the notes of one PT_NOTE segment. */
static int parse_notes(struct image *img, const unsigned char *p, uint64_t len, char *err,
		       size_t errlen)
{
	uint64_t off = 0;
	while (off < len) {
		Elf64_Nhdr nh;
		if (!in_bounds(off, sizeof(nh), len))
			return error_set(err, errlen, "truncated ELF note");
		memcpy(&nh, p + off, sizeof(nh));
		off += sizeof(nh);
		uint64_t name_off = off, desc_off = off + align4(nh.n_namesz);
		if (nh.n_namesz > len || !in_bounds(desc_off, align4(nh.n_descsz), len) ||
		    nh.n_descsz > len)
			return error_set(err, errlen, "ELF note larger than its segment");
		off = desc_off + align4(nh.n_descsz);
		const char *name = (const char *)p + name_off;
		const unsigned char *desc = p + desc_off;
		if (nh.n_namesz == sizeof(XEN_NOTE_NAME) &&
		    memcmp(name, XEN_NOTE_NAME, sizeof(XEN_NOTE_NAME)) == 0 &&
		    nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY) {
			uint32_t entry;
			if (nh.n_descsz < sizeof(entry))
				return error_set(err, errlen, "PVH entry note too short");
			memcpy(&entry, desc, sizeof(entry));
			img->pvh_entry = entry;
		} else if (nh.n_namesz == sizeof(TORO_NOTE_NAME) &&
			   memcmp(name, TORO_NOTE_NAME, sizeof(TORO_NOTE_NAME)) == 0 &&
			   nh.n_descsz >= sizeof(uint32_t)) {
			uint32_t v;
			memcpy(&v, desc, sizeof(v));
			if (nh.n_type == TORO_NOTE_KIND)
				img->kind = (int)v;
			else if (nh.n_type == TORO_NOTE_FLAGS)
				img->flags |= v;
		}
	}
	return 0;
}

static int check_header(const Elf64_Ehdr *eh, size_t size, char *err, size_t errlen)
{
	if (size < EI_NIDENT || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return error_set(err, errlen, "not an ELF file");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return error_set(err, errlen, "not a 64-bit ELF file (a 32-bit kernel?)");
	if (size < sizeof(*eh))
		return error_set(err, errlen, "truncated ELF header");
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return error_set(err, errlen, "not a little-endian ELF file");
	if (eh->e_machine != EM_X86_64)
		return error_set(err, errlen, "not an x86-64 ELF file (machine %u)", eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return error_set(err, errlen, "not an executable ELF file (type %u)", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return error_set(err, errlen, "bad program header size %u", eh->e_phentsize);
	if (eh->e_phnum == 0 || eh->e_phnum == PN_XNUM)
		return error_set(err, errlen, "no program headers");
	if (!in_bounds(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), size))
		return error_set(err, errlen, "program headers outside the file");
	return 0;
}

static int add_segment(struct image *img, const Elf64_Phdr *ph, size_t size, char *err,
		       size_t errlen)
{
	if (ph->p_memsz == 0)
		return 0;
	if (img->nsegments == IMAGE_MAX_SEGMENTS)
		return error_set(err, errlen, "more than %d loadable segments", IMAGE_MAX_SEGMENTS);
	if (ph->p_filesz > ph->p_memsz)
		return error_set(err, errlen, "segment at %#lx has file size above memory size",
			    (unsigned long)ph->p_paddr);
	if (!in_bounds(ph->p_offset, ph->p_filesz, size))
		return error_set(err, errlen, "segment at %#lx lies outside the file",
			    (unsigned long)ph->p_paddr);
	if (ph->p_paddr < IMAGE_MIN_PADDR)
		return error_set(err, errlen, "segment at %#lx is below 1 MiB",
			    (unsigned long)ph->p_paddr);
	if (ph->p_memsz > IMAGE_MAX_PADDR || ph->p_paddr > IMAGE_MAX_PADDR - ph->p_memsz)
		return error_set(err, errlen, "segment at %#lx of %#lx bytes ends above 512 GiB",
			    (unsigned long)ph->p_paddr, (unsigned long)ph->p_memsz);
	for (int i = 0; i < img->nsegments; i++) {
		const struct image_segment *s = &img->segments[i];
		if (ph->p_paddr < s->paddr + s->memsz && s->paddr < ph->p_paddr + ph->p_memsz)
			return error_set(err, errlen, "segments at %#lx and %#lx overlap",
				    (unsigned long)s->paddr, (unsigned long)ph->p_paddr);
	}
	img->segments[img->nsegments++] = (struct image_segment){
		ph->p_paddr, ph->p_offset, ph->p_filesz, ph->p_memsz};
	if (img->nsegments == 1 || ph->p_paddr < img->load_start)
		img->load_start = ph->p_paddr;
	if (ph->p_paddr + ph->p_memsz > img->load_end)
		img->load_end = ph->p_paddr + ph->p_memsz;
	return 0;
}

int image_parse(const void *data, size_t size, struct image *img, char *err, size_t errlen)
{
	memset(img, 0, sizeof(*img));
	img->data = data;
	img->size = size;
	Elf64_Ehdr eh;
	memset(&eh, 0, sizeof(eh));
	memcpy(&eh, data, size < sizeof(eh) ? size : sizeof(eh));
	if (check_header(&eh, size, err, errlen))
		return -1;
	int found_entry_note = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, img->data + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD) {
			if (add_segment(img, &ph, size, err, errlen))
				return -1;
		} else if (ph.p_type == PT_NOTE) {
			if (!in_bounds(ph.p_offset, ph.p_filesz, size))
				return error_set(err, errlen, "note segment outside the file");
			uint64_t before = img->pvh_entry;
			img->pvh_entry = 0;
			if (parse_notes(img, img->data + ph.p_offset, ph.p_filesz, err, errlen))
				return -1;
			if (img->pvh_entry)
				found_entry_note = 1;
			else
				img->pvh_entry = before;
		}
	}
	if (img->nsegments == 0)
		return error_set(err, errlen, "no loadable segments");
	if (!found_entry_note)
		return error_set(err, errlen, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): not a PVH "
					 "kernel");
	int entry_loaded = 0;
	for (int i = 0; i < img->nsegments; i++) {
		const struct image_segment *s = &img->segments[i];
		if (img->pvh_entry >= s->paddr && img->pvh_entry < s->paddr + s->filesz)
			entry_loaded = 1;
	}
	if (!entry_loaded)
		return error_set(err, errlen, "PVH entry %#lx is not inside a loaded segment",
			    (unsigned long)img->pvh_entry);
	return 0;
}

int image_open(const char *path, struct image *img, char *err, size_t errlen)
{
	memset(img, 0, sizeof(*img));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, errlen, "%s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return error_set(err, errlen, "%s", strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return error_set(err, errlen, "not a regular file");
	}
	if (st.st_size == 0) {
		close(fd);
		return error_set(err, errlen, "empty file");
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	int e = errno;
	close(fd);
	if (p == MAP_FAILED)
		return error_set(err, errlen, "cannot map: %s", strerror(e));
	if (image_parse(p, (size_t)st.st_size, img, err, errlen)) {
		munmap(p, (size_t)st.st_size);
		memset(img, 0, sizeof(*img));
		return -1;
	}
	return 0;
}

void image_close(struct image *img)
{
	if (img->data)
		munmap((void *)img->data, img->size);
	memset(img, 0, sizeof(*img));
}

int image_symbols(const struct image *img, image_symbol_fn fn, void *ctx, char *err,
		  size_t errlen)
{
	Elf64_Ehdr eh;
	memcpy(&eh, img->data, sizeof(eh));
	if (eh.e_shoff == 0 || eh.e_shnum == 0)
		return 0;
	if (eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_bounds(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr), img->size))
		return error_set(err, errlen, "section headers outside the file");
	const unsigned char *shdrs = img->data + eh.e_shoff;
	int count = 0;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh, strsh;
		memcpy(&sh, shdrs + i * sizeof(sh), sizeof(sh));
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		if (sh.sh_link >= eh.e_shnum || sh.sh_entsize != sizeof(Elf64_Sym) ||
		    !in_bounds(sh.sh_offset, sh.sh_size, img->size))
			return error_set(err, errlen, "malformed symbol table");
		memcpy(&strsh, shdrs + sh.sh_link * sizeof(strsh), sizeof(strsh));
		if (!in_bounds(strsh.sh_offset, strsh.sh_size, img->size) || strsh.sh_size == 0)
			return error_set(err, errlen, "malformed symbol string table");
		const char *strtab = (const char *)img->data + strsh.sh_offset;
		if (strtab[strsh.sh_size - 1] != '\0')
			return error_set(err, errlen, "unterminated symbol string table");
		for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sizeof(Elf64_Sym)) {
			Elf64_Sym sym;
			memcpy(&sym, img->data + sh.sh_offset + off, sizeof(sym));
			if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
			    sym.st_name == 0 || sym.st_name >= strsh.sh_size)
				continue;
			fn(ctx, strtab + sym.st_name, sym.st_value, sym.st_size);
			count++;
		}
	}
	return count;
}

const char *image_kind_name(int kind)
{
	switch (kind) {
	case TORO_APP_NATIVE: return "native";
	case TORO_APP_POSIX: return "POSIX";
	default: return "unknown";
	}
}
