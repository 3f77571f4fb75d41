/* The symbol table `toro build` embeds in an image (section .toro.symtab) so that fault reports
 * name functions. Written by tools/, read by the kernel. Entries are sorted by address; each
 * covers the addresses up to the next one. Names are NUL-terminated strings after the entries;
 * the name at offset 0 is the empty string, which marks a gap (after a function's end). */
#ifndef TORO_ABI_SYMTAB_H
#define TORO_ABI_SYMTAB_H

#include <stdint.h>

#define TORO_SYMTAB_MAGIC 0x6d79536fu /* "oSym" */

struct toro_symtab_header {
	uint32_t magic;
	uint32_t count;
};

struct toro_symtab_entry {
	uint32_t addr; /* images live below 4 GiB */
	uint32_t name; /* offset of the name from the end of the entries */
};

_Static_assert(sizeof(struct toro_symtab_header) == 8, "symtab header layout");
_Static_assert(sizeof(struct toro_symtab_entry) == 8, "symtab entry layout");

#endif
