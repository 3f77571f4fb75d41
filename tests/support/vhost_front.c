/* The vhost-user fake front end's sending (tests/support/vhost_front.h). Linked into a test by
 * naming it on the test's "// SOURCES:" line. */
#include "vhost_front.h"

#include <string.h>
#include <sys/socket.h>

ssize_t vu_front_send(int fe, const void *bytes, size_t len, const int *fds, unsigned nfds,
                      int flags)
{
	struct iovec iov = {(void *)bytes, len};
	union {
		char b[CMSG_SPACE(VU_FRONT_FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds > VU_FRONT_FDS_MAX)
		nfds = VU_FRONT_FDS_MAX;
	if (nfds) {
		mh.msg_control = control.b;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	return sendmsg(fe, &mh, flags);
}
