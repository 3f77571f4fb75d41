/* Guest RAM regions and the checked guest-physical → host translation (see guest.h). */
#include "guest.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "layout.h"

void guest_mem_layout(struct guest_mem *m, uint64_t size)
{
	memset(m, 0, sizeof(*m));
	size &= ~(GUEST_PAGE_SIZE - 1);
	uint64_t low = size < LAYOUT_LOW_RAM_MAX ? size : LAYOUT_LOW_RAM_MAX;
	if (low)
		m->regions[m->nregions++] = (struct guest_region){0, low, NULL};
	if (size > low)
		m->regions[m->nregions++] =
		    (struct guest_region){LAYOUT_HIGH_RAM_START, size - low, NULL};
	m->size = size;
}

void guest_mem_set_host(struct guest_mem *m, uint8_t *base)
{
	uint64_t off = 0;
	for (unsigned i = 0; i < m->nregions; i++) {
		m->regions[i].host = base + off;
		off += m->regions[i].size;
	}
}

int guest_mem_map(struct guest_mem *m, uint64_t size)
{
	guest_mem_layout(m, size);
	void *p = mmap(NULL, m->size, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	guest_mem_set_host(m, p);
	return 0;
}

int guest_mem_add(struct guest_mem *m, uint64_t gpa, uint64_t size, void *host)
{
	if (size == 0 || size > UINT64_MAX - gpa || m->nregions == GUEST_REGIONS_MAX)
		return -1;
	unsigned at = 0;
	for (unsigned i = 0; i < m->nregions; i++) {
		const struct guest_region *r = &m->regions[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return -1;
		if (r->gpa < gpa)
			at = i + 1;
	}
	memmove(&m->regions[at + 1], &m->regions[at], (m->nregions - at) * sizeof(m->regions[0]));
	m->regions[at] = (struct guest_region){gpa, size, host};
	m->nregions++;
	m->size += size;
	return 0;
}

/* The region holding all of [gpa, gpa + len), or NULL. Written as "len <= size - offset" so
 * that no sum can overflow. */
static const struct guest_region *guest_region_of(const struct guest_mem *m, uint64_t gpa,
                                                  uint64_t len)
{
	if (len == 0)
		return NULL;
	for (unsigned i = 0; i < m->nregions; i++) {
		const struct guest_region *r = &m->regions[i];
		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		return len <= r->size - (gpa - r->gpa) ? r : NULL;
	}
	return NULL;
}

int guest_range_ok(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	return guest_region_of(m, gpa, len) != NULL;
}

void *guest_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	const struct guest_region *r = guest_region_of(m, gpa, len);
	return r && r->host ? r->host + (gpa - r->gpa) : NULL;
}

uint64_t guest_mem_resident_pages(const struct guest_mem *m)
{
	enum { CHUNK_PAGES = 16384 };
	static unsigned char vec[CHUNK_PAGES];
	uint64_t count = 0;
	for (unsigned r = 0; r < m->nregions; r++) {
		const struct guest_region *g = &m->regions[r];
		uint64_t pages = g->size / GUEST_PAGE_SIZE;
		for (uint64_t first = 0; g->host && first < pages; first += CHUNK_PAGES) {
			uint64_t n = pages - first < CHUNK_PAGES ? pages - first : CHUNK_PAGES;
			uint8_t *p = g->host + first * GUEST_PAGE_SIZE;
			if (mincore(p, n * GUEST_PAGE_SIZE, vec) < 0)
				return 0;
			for (uint64_t i = 0; i < n; i++)
				count += vec[i] & 1;
		}
	}
	return count;
}
