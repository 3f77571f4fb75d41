/* Guest RAM mapping and the checked guest-physical → host translation (see guest.h). */
#include "guest.h"

#include <errno.h>
#include <sys/mman.h>

#include "layout.h"

void guest_mem_layout(struct guest_mem *m, uint64_t size)
{
	size &= ~(GUEST_PAGE_SIZE - 1);
	m->host = NULL;
	m->size = size;
	m->low_size = size < LAYOUT_LOW_RAM_MAX ? size : LAYOUT_LOW_RAM_MAX;
	m->high_size = size - m->low_size;
}

int guest_mem_map(struct guest_mem *m, uint64_t size)
{
	guest_mem_layout(m, size);
	void *p = mmap(NULL, m->size, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	m->host = p;
	return 0;
}

/* The offset of guest-physical [gpa, gpa + len) in the mapping, or -1. Written as
 * "len <= size - offset" so that no sum can overflow. */
static int64_t guest_offset(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (len == 0)
		return -1;
	if (gpa < m->low_size)
		return len <= m->low_size - gpa ? (int64_t)gpa : -1;
	if (gpa < LAYOUT_HIGH_RAM_START)
		return -1;
	uint64_t off = gpa - LAYOUT_HIGH_RAM_START;
	if (off >= m->high_size || len > m->high_size - off)
		return -1;
	return (int64_t)(m->low_size + off);
}

int guest_range_ok(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	return guest_offset(m, gpa, len) >= 0;
}

void *guest_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	int64_t off = guest_offset(m, gpa, len);
	return off < 0 || !m->host ? NULL : m->host + off;
}

uint64_t guest_mem_resident_pages(const struct guest_mem *m)
{
	enum { CHUNK_PAGES = 16384 };
	static unsigned char vec[CHUNK_PAGES];
	const uint64_t page = GUEST_PAGE_SIZE;
	uint64_t pages = m->size / page, count = 0;
	for (uint64_t first = 0; first < pages; first += CHUNK_PAGES) {
		uint64_t n = pages - first < CHUNK_PAGES ? pages - first : CHUNK_PAGES;
		if (mincore(m->host + first * page, n * page, vec) < 0)
			return 0;
		for (uint64_t i = 0; i < n; i++)
			count += vec[i] & 1;
	}
	return count;
}
