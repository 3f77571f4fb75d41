#!/bin/bash
# Pay for what you use (tools/link.c, kernel/sys/syscall_groups.h): a POSIX image links an
# optional system-call group only if it calls one of the group's musl functions; an image that
# calls none has none of the group's handlers (nor, for the fs group, kernel/fs and the virtio-fs
# driver), and answers its calls with ENOSYS. The console's input is linked the same way.
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
cat >"$P/signalfd.c" <<'C'
#include <signal.h>
#include <sys/signalfd.h>
int main(void)
{
	sigset_t s;
	sigemptyset(&s);
	return signalfd(-1, &s, 0) < 0;
}
C
cat >"$P/net.c" <<'C'
#include <stdio.h>
#include <sys/socket.h>
int main(void)
{
	printf("socket: %d\n", socket(AF_INET, SOCK_STREAM, 0));
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
cat >"$P/timer.c" <<'C'
#include <signal.h>
#include <stdio.h>
#include <time.h>
int main(void)
{
	struct sigevent ev = {.sigev_notify = SIGEV_NONE};
	timer_t id;
	printf("timer_create: %d\n", timer_create(CLOCK_MONOTONIC, &ev, &id));
	return 0;
}
C
cat >"$P/timerfd.c" <<'C'
#include <sys/timerfd.h>
int main(void)
{
	return timerfd_create(CLOCK_MONOTONIC, 0) < 0;
}
C
cat >"$P/alarm.c" <<'C'
#include <unistd.h>
int main(void)
{
	return alarm(0);
}
C

# The handlers of each group in an image, by name, one per line.
handlers() {
	nm "$1" | sed -n 's/.* [Tt] \(sys_\(epoll\|eventfd\|signalfd\|sendfile\|socket\|bind\|connect\|timer_\|timerfd_\|rt_sigtimedwait\|[gs]etitimer\|alarm\)[a-z0-9_]*\)$/\1/p' | sort -u
}

# Builds $P/$1.c and wants each following handler linked into it; its handlers are left in $h.
build_wants() {
	local name=$1 want
	shift
	run "$TORO" build "$P/$name.c" -o "$E2E_TMP/$name.elf"
	want_status 0
	h=$(handlers "$E2E_TMP/$name.elf" | tr '\n' ' ')
	for want; do
		case " $h" in *" $want "*) ;; *) problem "$name.elf lacks $want (has: $h)" ;; esac
	done
}

if check syscall-groups/plain-links-none host; then
	run "$TORO" build "$P/plain.c" -o "$E2E_TMP/plain.elf"
	want_status 0
	[ -z "$(handlers "$E2E_TMP/plain.elf")" ] ||
		problem "plain.elf links group handlers: $(handlers "$E2E_TMP/plain.elf" | tr '\n' ' ')"
	[ -z "$(handlers "$BUILD/examples/hello-posix.elf")" ] ||
		problem "hello-posix.elf links group handlers"
	for elf in "$E2E_TMP/plain.elf" "$BUILD/examples/hello-posix.elf"; do
		! nm "$elf" | grep -q ' [Tt] vsock_' || problem "$(basename "$elf") links kernel/net"
	done
	report
fi

if check syscall-groups/net-linked host; then
	build_wants net sys_socket sys_bind sys_connect
	nm "$E2E_TMP/net.elf" | grep -q ' [Tt] vsock_create$' || problem "net.elf lacks kernel/net"
	report
fi

if check syscall-groups/timer-linked host; then
	build_wants timer sys_timer_create sys_timer_settime sys_timer_delete sys_rt_sigtimedwait
	report
fi

# ITIMER_REAL and timerfd are in the timer group too: alarm, or timerfd_create, alone brings it.
if check syscall-groups/alarm-links-timer host; then
	build_wants alarm sys_alarm sys_setitimer sys_getitimer sys_timer_create sys_timerfd_create
	report
fi

if check syscall-groups/timerfd-links-timer host; then
	build_wants timerfd sys_timerfd_create sys_timerfd_settime sys_timerfd_gettime sys_alarm
	report
fi

if check syscall-groups/event-linked host; then
	build_wants event sys_epoll_create1 sys_epoll_ctl sys_epoll_wait sys_eventfd2 sys_signalfd4
	case " $h" in *sys_sendfile* | *sys_socket*) problem "event.elf links other groups: $h" ;; esac
	report
fi

# signalfd is in the event group: signalfd alone brings it.
if check syscall-groups/signalfd-links-event host; then
	build_wants signalfd sys_signalfd4 sys_signalfd sys_epoll_create1
	report
fi

if check syscall-groups/sendfile-linked host; then
	build_wants sendfile sys_sendfile
	[ "$h" = "sys_sendfile " ] || problem "sendfile.elf links '$h', want only sys_sendfile"
	report
fi

cat >"$P/files.c" <<'C'
#include <stdio.h>
int main(void)
{
	FILE *f = fopen("/dev/null", "r");
	return f ? 0 : 1;
}
C

# The fs group brings the file calls, kernel/fs and the virtio-fs driver; nothing else has them.
if check syscall-groups/fs-linked host; then
	run "$TORO" build "$P/files.c" -o "$E2E_TMP/files.elf"
	want_status 0
	for want in sys_open sys_getdents64 sys_newfstatat vfs_open virtio_fs_driver; do
		nm "$E2E_TMP/files.elf" | grep -q " $want\$" || problem "files.elf lacks $want"
	done
	[ -f "$E2E_TMP/plain.elf" ] || "$TORO" build "$P/plain.c" -o "$E2E_TMP/plain.elf"
	for img in "$E2E_TMP/plain.elf" "$BUILD/examples/hello-posix.elf" "$BUILD/examples/hello.elf"; do
		nm "$img" | grep -Eq ' (sys_open|vfs_open|virtio_fs_driver)$' &&
			problem "$(basename "$img") links the file layer"
	done
	report
fi

cat >"$P/reader.c" <<'C'
#include <stdio.h>
int main(void)
{
	return getchar() == EOF ? 0 : 1;
}
C

# The console's input half (kernel/drivers/virtio/console_input.c) is linked the same way: into
# images that can read stdin (getchar here), not into those that only write.
if check syscall-groups/stdin-linked host; then
	run "$TORO" build "$P/reader.c" -o "$E2E_TMP/reader.elf"
	want_status 0
	nm "$E2E_TMP/reader.elf" | grep -q ' T console_read$' || problem "reader.elf lacks console_read"
	for img in "$BUILD/examples/hello-posix.elf" "$BUILD/examples/hello.elf"; do
		nm "$img" | grep -Eq ' (console_read|virtio_console_input_init)$' &&
			problem "$(basename "$img") links the console's input"
	done
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
