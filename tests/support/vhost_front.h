/* What the host tests that play a vhost-user front end share (tests/unit/vhost_user.c,
 * tests/fuzz/vhost_user.c): sending a message with file descriptors as QEMU does. The front end's
 * guest memory and rings are tests/support/fake_driver.h's. */
#ifndef TESTS_SUPPORT_VHOST_FRONT_H
#define TESTS_SUPPORT_VHOST_FRONT_H

#include <stddef.h>
#include <sys/types.h>

#define VU_FRONT_FDS_MAX 16

/* Sends len bytes on fe, the front end's end of the connection, with nfds (at most
 * VU_FRONT_FDS_MAX) descriptors attached as SCM_RIGHTS; flags as sendmsg's. Returns sendmsg's
 * result. */
ssize_t vu_front_send(int fe, const void *bytes, size_t len, const int *fds, unsigned nfds,
                      int flags);

#endif
