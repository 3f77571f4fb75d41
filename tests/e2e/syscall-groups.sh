#!/bin/bash
# Pay for what you use (tools/link.c, kernel/sys/syscall_groups.h): a POSIX image links an
# optional system-call group only if it calls one of the group's musl functions; an image that
# calls none has none of the group's handlers, and answers its calls with ENOSYS.
# PARTS: host qemu
. "$(dirname "$0")/lib.sh"

P=$E2E_TMP/src
mkdir -p "$P"
cat >"$P/plain.c" <<'C'
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void)
{
	/* The number of epoll_create1, issued without musl's function: the group is not linked. */
	long rc = syscall(SYS_epoll_create1, 0);
	printf("epoll_create1: %ld\n", rc);
	return 0;
}
C
cat >"$P/event.c" <<'C'
#include <stdio.h>
#include <sys/epoll.h>
int main(void)
{
	printf("epoll fd: %d\n", epoll_create1(0));
	return 0;
}
C
cat >"$P/sendfile.c" <<'C'
#include <sys/sendfile.h>
int main(void)
{
	return sendfile(1, 0, 0, 0) == 0 ? 0 : 1;
}
C

# The handlers of each group in an image, by name, one per line.
handlers() {
	nm "$1" | sed -n 's/.* [Tt] \(sys_\(epoll\|eventfd\|sendfile\|socket\|bind\|connect\)[a-z0-9_]*\)$/\1/p' | sort -u
}

if check syscall-groups/plain-links-none host; then
	run "$TORO" build "$P/plain.c" -o "$E2E_TMP/plain.elf"
	want_status 0
	[ -z "$(handlers "$E2E_TMP/plain.elf")" ] ||
		problem "plain.elf links group handlers: $(handlers "$E2E_TMP/plain.elf" | tr '\n' ' ')"
	[ -z "$(handlers "$BUILD/examples/hello-posix.elf")" ] ||
		problem "hello-posix.elf links group handlers"
	report
fi

if check syscall-groups/event-linked host; then
	run "$TORO" build "$P/event.c" -o "$E2E_TMP/event.elf"
	want_status 0
	h=$(handlers "$E2E_TMP/event.elf" | tr '\n' ' ')
	for want in sys_epoll_create1 sys_epoll_ctl sys_epoll_wait sys_eventfd2; do
		case " $h" in *" $want "*) ;; *) problem "event.elf lacks $want (has: $h)" ;; esac
	done
	case " $h" in *sys_sendfile* | *sys_socket*) problem "event.elf links other groups: $h" ;; esac
	report
fi

if check syscall-groups/sendfile-linked host; then
	run "$TORO" build "$P/sendfile.c" -o "$E2E_TMP/sendfile.elf"
	want_status 0
	h=$(handlers "$E2E_TMP/sendfile.elf" | tr '\n' ' ')
	[ "$h" = "sys_sendfile " ] || problem "sendfile.elf links '$h', want only sys_sendfile"
	report
fi

# Run: the unlinked group's call is an unknown call (ENOSYS, reported on stderr: a kernel
# notice), the linked one works.
if check syscall-groups/enosys-when-unlinked qemu; then
	[ -f "$E2E_TMP/plain.elf" ] || "$TORO" build "$P/plain.c" -o "$E2E_TMP/plain.elf"
	run "$TORO" run --vmm qemu "$E2E_TMP/plain.elf"
	want_status 0
	want_line out '^epoll_create1: -1$'
	want_line err 'system call 291 \(epoll_create1\) is not implemented'
	report
fi

if check syscall-groups/works-when-linked qemu; then
	[ -f "$E2E_TMP/event.elf" ] || "$TORO" build "$P/event.c" -o "$E2E_TMP/event.elf"
	run "$TORO" run --vmm qemu "$E2E_TMP/event.elf"
	want_status 0
	want_line out '^epoll fd: 3$'
	report
fi
e2e_exit
