/* Reading and validating a Toro image (an ELF64 PVH kernel) on the host: used by `toro run`
 * before anything boots, by the monitor's loader, and by `toro build` for the symbol table.
 * Every offset and size in the file is checked before use. */
#ifndef COMMON_IMAGE_H
#define COMMON_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define IMAGE_MAX_SEGMENTS 16
#define IMAGE_MIN_PADDR    0x100000ull    /* segments load at or above 1 MiB */
#define IMAGE_MAX_PADDR    (512ull << 30) /* and below the largest guest RAM */

struct image_segment {
	uint64_t paddr;
	uint64_t offset;
	uint64_t filesz;
	uint64_t memsz;
};

struct image {
	const unsigned char *data; /* whole file, read-only mapping */
	size_t size;
	uint64_t pvh_entry;   /* from the XEN_ELFNOTE_PHYS32_ENTRY note */
	int kind;             /* TORO_APP_*, or 0 without a Toro note */
	uint32_t flags;       /* TORO_IMAGE_* */
	uint64_t load_start;  /* lowest and one past the highest loaded physical address */
	uint64_t load_end;
	int nsegments;
	struct image_segment segments[IMAGE_MAX_SEGMENTS];
};

/* Maps path and validates it as an image. On failure returns -1 with a one-line reason in err
 * (without the file name) and leaves nothing to release. */
int image_open(const char *path, struct image *img, char *err, size_t errlen);

/* Validates an image in memory (the caller keeps data alive). */
int image_parse(const void *data, size_t size, struct image *img, char *err, size_t errlen);

void image_close(struct image *img);

/* Calls fn for every function symbol with a name and an address (STT_FUNC, defined). Returns the
 * number of symbols, or -1 with err set if the symbol table is malformed; 0 if there is none. */
typedef void (*image_symbol_fn)(void *ctx, const char *name, uint64_t addr, uint64_t size);
int image_symbols(const struct image *img, image_symbol_fn fn, void *ctx, char *err,
		  size_t errlen);

/* Name of the kind, for messages: "native", "POSIX" or "unknown". */
const char *image_kind_name(int kind);

#endif
