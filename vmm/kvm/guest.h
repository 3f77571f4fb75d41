/* Guest RAM: one anonymous host mapping split over two guest-physical ranges (below 3 GiB and
 * from 4 GiB), and the one checked translation from guest-physical ranges to host pointers that
 * every access to guest memory goes through. */
#ifndef VMM_KVM_GUEST_H
#define VMM_KVM_GUEST_H

#include <stddef.h>
#include <stdint.h>

#define GUEST_PAGE_SIZE 4096ull

struct guest_mem {
	uint8_t *host;      /* the mapping: low RAM, then high RAM */
	uint64_t size;      /* bytes of RAM in all */
	uint64_t low_size;  /* bytes at guest-physical 0 */
	uint64_t high_size; /* bytes at LAYOUT_HIGH_RAM_START */
};

/* Splits size bytes of RAM (rounded down to whole pages) into the two ranges (no mapping). */
void guest_mem_layout(struct guest_mem *m, uint64_t size);

/* Maps the RAM (MAP_NORESERVE: untouched pages cost nothing). Returns 0 or -errno. */
int guest_mem_map(struct guest_mem *m, uint64_t size);

/* Whether guest-physical [gpa, gpa + len) is all RAM (len > 0, no wrap-around); usable before
 * the RAM is mapped. */
int guest_range_ok(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* The host address of guest-physical [gpa, gpa + len), or NULL when len is 0, the range wraps,
 * or any byte of it is not RAM (ranges never span the hole between the two RAM ranges). */
void *guest_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Counts resident pages of the mapping (mincore): the guest pages touched so far. */
uint64_t guest_mem_resident_pages(const struct guest_mem *m);

#endif
