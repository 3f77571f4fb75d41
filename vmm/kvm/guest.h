/* Guest RAM as a small table of regions, each a guest-physical range and the host memory behind
 * it (filled from our own KVM memory slots today, from a vhost-user SET_MEM_TABLE later), and the
 * one checked translation from guest-physical ranges to host pointers that every access to
 * guest memory goes through. */
#ifndef VMM_KVM_GUEST_H
#define VMM_KVM_GUEST_H

#include <stddef.h>
#include <stdint.h>

#define GUEST_PAGE_SIZE   4096ull
#define GUEST_REGIONS_MAX 8 /* vhost-user's VHOST_MEMORY_BASELINE_NREGIONS */

struct guest_region {
	uint64_t gpa, size;
	uint8_t *host; /* NULL while only the layout is known */
};

struct guest_mem {
	uint64_t size; /* bytes of RAM in all regions */
	unsigned nregions;
	struct guest_region regions[GUEST_REGIONS_MAX]; /* sorted by gpa, never overlapping */
};

/* Our monitor's layout: size bytes of RAM (rounded down to whole pages) below 3 GiB and, for
 * the rest, from 4 GiB (kvm/layout.h); no host memory yet. */
void guest_mem_layout(struct guest_mem *m, uint64_t size);

/* Gives the regions of the layout consecutive host memory from base (one mapping behind all). */
void guest_mem_set_host(struct guest_mem *m, uint8_t *base);

/* Maps the layout's RAM as one anonymous mapping (MAP_NORESERVE: untouched pages cost
 * nothing). Returns 0 or -errno. */
int guest_mem_map(struct guest_mem *m, uint64_t size);

/* Adds a region (a vhost-user memory table entry, a test's arena). Returns 0, or -1 if size is
 * 0, the range wraps, overlaps a region already there, or the table is full. */
int guest_mem_add(struct guest_mem *m, uint64_t gpa, uint64_t size, void *host);

/* Whether guest-physical [gpa, gpa + len) lies inside one region (len > 0, no wrap-around);
 * usable before host memory is attached. */
int guest_range_ok(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* The host address of guest-physical [gpa, gpa + len), or NULL when len is 0, the range wraps,
 * or it does not lie inside one region with host memory (a range never spans two regions,
 * even adjacent ones: their host memory need not be contiguous). */
void *guest_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Counts resident pages of the regions' host memory (mincore): the guest pages touched so far. */
uint64_t guest_mem_resident_pages(const struct guest_mem *m);

#endif
