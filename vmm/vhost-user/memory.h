/* Guest memory of a vhost-user session (server.h): the front end's memory table mapped from the
 * file descriptors it sent, entered in the server's guest_mem region table, and the translation
 * of front-end virtual addresses (ring addresses) to guest-physical ones. */
#ifndef VMM_VHOST_USER_MEMORY_H
#define VMM_VHOST_USER_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "vhost-user/server.h"

/* Replaces the memory table with m (m->nregions entries, already checked against the message
 * size), one descriptor per region in fds (taken over). Mappings of the table it replaces stay
 * until vhost_user_memory_release. Returns 0, or -1 with the reason in why. */
int vhost_user_memory_set(struct vhost_user_server *s, const struct vhost_user_memory *m,
                          const int *fds, unsigned nfds, char *why, size_t whylen);

/* The guest-physical address of front-end address uva, if a region of the table holds it.
 * Returns 0, or -1. */
int vhost_user_uva_to_gpa(const struct vhost_user_server *s, uint64_t uva, uint64_t *gpa);

/* Unmaps the tables replaced since the last call (all = 0), or every table (all = 1, which also
 * empties the region table). Only when no model holds buffers in them: at a device reset. */
void vhost_user_memory_release(struct vhost_user_server *s, int all);

#endif
