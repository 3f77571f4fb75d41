/* The memory table of a vhost-user session (see memory.h). The front end is the VMM, not the
 * guest, but its table is still checked: regions with no size, wrapping ranges, overlaps, and a
 * file shorter than the region (reading past its end would be SIGBUS, not an error) are refused. */
#include "memory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void close_fds(const int *fds, unsigned nfds)
{
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
}

/* Maps what region r needs of fd: [0, mmap_offset + size), as mmap wants a page-aligned offset
 * and the region's need not be. Returns the mapping's start, or NULL with why. */
static void *memory_map_region(const struct vhost_user_region *r, int fd, size_t *len, char *why,
                               size_t whylen)
{
	uint64_t end = r->mmap_offset + r->memory_size;
	if (end < r->mmap_offset || end > SIZE_MAX) {
		snprintf(why, whylen, "memory region at offset %#llx of %#llx bytes wraps",
		         (unsigned long long)r->mmap_offset, (unsigned long long)r->memory_size);
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < end) {
		snprintf(why, whylen,
		         "memory region at guest address %#llx: its file descriptor is not a file "
		         "of at least %#llx bytes",
		         (unsigned long long)r->guest_phys_addr, (unsigned long long)end);
		return NULL;
	}
	void *p =
	    mmap(NULL, (size_t)end, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(why, whylen, "cannot map memory region at guest address %#llx: %s",
		         (unsigned long long)r->guest_phys_addr, strerror(errno));
		return NULL;
	}
	*len = (size_t)end;
	return p;
}

/* Whether r's front-end range overlaps one already in the table (translation must be unique). */
static int memory_uva_overlaps(const struct vhost_user_server *s, const struct vhost_user_region *r)
{
	for (unsigned i = 0; i < s->nuva; i++) {
		const struct vhost_user_uva_region *u = &s->uva[i];
		if (r->userspace_addr < u->uva + u->size &&
		    u->uva < r->userspace_addr + r->memory_size)
			return 1;
	}
	return 0;
}

/* Adds region r, mapped at map, to the new table. Returns 0 or -1 with why. */
static int memory_add_region(struct vhost_user_server *s, const struct vhost_user_region *r,
                             uint8_t *map, char *why, size_t whylen)
{
	if (r->memory_size == 0 || r->userspace_addr + r->memory_size < r->userspace_addr ||
	    memory_uva_overlaps(s, r) ||
	    guest_mem_add(&s->mem, r->guest_phys_addr, r->memory_size, map + r->mmap_offset)) {
		snprintf(why, whylen,
		         "memory region at guest address %#llx of %#llx bytes is empty, wraps or "
		         "overlaps another",
		         (unsigned long long)r->guest_phys_addr,
		         (unsigned long long)r->memory_size);
		return -1;
	}
	s->uva[s->nuva++] =
	    (struct vhost_user_uva_region){r->guest_phys_addr, r->memory_size, r->userspace_addr};
	return 0;
}

int vhost_user_memory_set(struct vhost_user_server *s, const struct vhost_user_memory *m,
                          const int *fds, unsigned nfds, char *why, size_t whylen)
{
	if (m->nregions != nfds) {
		snprintf(why, whylen, "memory table of %u regions came with %u file descriptors",
		         m->nregions, nfds);
		close_fds(fds, nfds);
		return -1;
	}
	if (s->nmaps + nfds > VHOST_USER_MAPPINGS_MAX) {
		snprintf(why, whylen, "memory table replaced too often without a device reset");
		close_fds(fds, nfds);
		return -1;
	}
	/* The old table's mappings stay (the model may hold buffers in them); only its entries
	 * in the region table go. */
	memset(&s->mem, 0, sizeof(s->mem));
	s->nuva = 0;
	s->current_maps = 0;
	int rc = 0;
	for (unsigned i = 0; i < nfds && rc == 0; i++) {
		const struct vhost_user_region *r = &m->regions[i];
		size_t len;
		uint8_t *map = memory_map_region(r, fds[i], &len, why, whylen);
		if (!map) {
			rc = -1;
			break;
		}
		s->maps[s->nmaps++] = (struct vhost_user_mapping){map, len};
		s->current_maps++;
		rc = memory_add_region(s, r, map, why, whylen);
	}
	close_fds(fds, nfds);
	return rc;
}

int vhost_user_uva_to_gpa(const struct vhost_user_server *s, uint64_t uva, uint64_t *gpa)
{
	for (unsigned i = 0; i < s->nuva; i++) {
		const struct vhost_user_uva_region *u = &s->uva[i];
		if (uva >= u->uva && uva - u->uva < u->size) {
			*gpa = u->gpa + (uva - u->uva);
			return 0;
		}
	}
	return -1;
}

void vhost_user_memory_release(struct vhost_user_server *s, int all)
{
	unsigned keep = all ? 0 : s->current_maps;
	unsigned retired = s->nmaps - keep;
	for (unsigned i = 0; i < retired; i++)
		munmap(s->maps[i].addr, s->maps[i].len);
	memmove(&s->maps[0], &s->maps[retired], keep * sizeof(s->maps[0]));
	s->nmaps = keep;
	if (all) {
		memset(&s->mem, 0, sizeof(s->mem));
		s->nuva = 0;
		s->current_maps = 0;
	}
}
