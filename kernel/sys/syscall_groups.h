/* Optional groups of system calls: an image links a group's code only if the program calls one
 * of the musl functions that issue them. kernel/sys/dispatch.c refers to these handlers weakly
 * (one that is not linked answers -ENOSYS, reported as an unknown call is); each group has an
 * anchor, toro_sys_GROUP (kernel/sys/groups/GROUP.c): the table of its handlers, whose strong
 * references pull in its objects, and the one symbol dispatch refers to (weakly) for the group; and tools/link.c links again with -u toro_sys_GROUP when the first link shows one of
 * the group's musl functions (docs/architecture.md, "Build"). Private to kernel/sys. */
#ifndef KERNEL_SYS_SYSCALL_GROUPS_H
#define KERNEL_SYS_SYSCALL_GROUPS_H

#include "syscall.h"

/* epoll, eventfd and signalfd (epoll.c, eventfd.c, signalfd.c). */
#define SYSCALLS_EVENT(X) \
	X(epoll_create, sys_epoll_create) \
	X(epoll_create1, sys_epoll_create1) \
	X(epoll_ctl, sys_epoll_ctl) \
	X(epoll_wait, sys_epoll_wait) \
	X(epoll_pwait, sys_epoll_wait) \
	X(epoll_pwait2, sys_epoll_pwait2) \
	X(eventfd, sys_eventfd) \
	X(eventfd2, sys_eventfd2) \
	X(signalfd, sys_signalfd) \
	X(signalfd4, sys_signalfd4)

/* sendfile (sendfile.c). */
#define SYSCALLS_SENDFILE(X) \
	X(sendfile, sys_sendfile)

/* Sockets (socket.c, socket_calls.c). */
#define SYSCALLS_NET(X) \
	X(socket, sys_socket) \
	X(socketpair, sys_socketpair) \
	X(bind, sys_bind) \
	X(listen, sys_listen) \
	X(accept, sys_accept) \
	X(accept4, sys_accept4) \
	X(connect, sys_connect) \
	X(sendto, sys_sendto) \
	X(recvfrom, sys_recvfrom) \
	X(sendmsg, sys_sendmsg) \
	X(recvmsg, sys_recvmsg) \
	X(shutdown, sys_shutdown) \
	X(getsockname, sys_getsockname) \
	X(getpeername, sys_getpeername) \
	X(setsockopt, sys_setsockopt) \
	X(getsockopt, sys_getsockopt)

/* Files and directories (fs.c, stat.c over kernel/fs/). */
#define SYSCALLS_FS(X) \
	X(open, sys_open) \
	X(stat, sys_stat) \
	X(lstat, sys_lstat) \
	X(pread64, sys_pread64) \
	X(pwrite64, sys_pwrite64) \
	X(access, sys_access) \
	X(fsync, sys_fsync) \
	X(fdatasync, sys_fdatasync) \
	X(truncate, sys_truncate) \
	X(ftruncate, sys_ftruncate) \
	X(getcwd, sys_getcwd) \
	X(chdir, sys_chdir) \
	X(fchdir, sys_fchdir) \
	X(rename, sys_rename) \
	X(mkdir, sys_mkdir) \
	X(rmdir, sys_rmdir) \
	X(creat, sys_creat) \
	X(link, sys_link) \
	X(unlink, sys_unlink) \
	X(symlink, sys_symlink) \
	X(readlink, sys_readlink) \
	X(chmod, sys_chmod) \
	X(fchmod, sys_fchmod) \
	X(chown, sys_chown) \
	X(fchown, sys_fchown) \
	X(lchown, sys_lchown) \
	X(statfs, sys_statfs) \
	X(fstatfs, sys_fstatfs) \
	X(getdents64, sys_getdents64) \
	X(openat, sys_openat) \
	X(mkdirat, sys_mkdirat) \
	X(newfstatat, sys_newfstatat) \
	X(unlinkat, sys_unlinkat) \
	X(renameat, sys_renameat) \
	X(linkat, sys_linkat) \
	X(symlinkat, sys_symlinkat) \
	X(readlinkat, sys_readlinkat) \
	X(fchmodat, sys_fchmodat) \
	X(fchownat, sys_fchownat) \
	X(faccessat, sys_faccessat) \
	X(utimensat, sys_utimensat) \
	X(preadv, sys_preadv) \
	X(pwritev, sys_pwritev) \
	X(renameat2, sys_renameat2) \
	X(statx, sys_statx) \
	X(faccessat2, sys_faccessat2)

/* Identity, process name, vDSO-less clock calls and the memory-locking ones (compat.c). */
#define SYSCALLS_COMPAT(X) \
	X(getgroups, sys_getgroups) \
	X(getresuid, sys_getresuid) \
	X(getresgid, sys_getresuid) \
	X(getpgid, sys_getpgid) \
	X(getsid, sys_getpgid) \
	X(prctl, sys_prctl) \
	X(gettimeofday, sys_gettimeofday) \
	X(time, sys_time) \
	X(mlock, sys_mlock) \
	X(munlock, sys_mlock) \
	X(mlock2, sys_mlock2) \
	X(mlockall, sys_mlockall) \
	X(munlockall, sys_munlockall) \
	X(mincore, sys_mincore)

/* POSIX timers and sigwaitinfo, which musl's SIGEV_THREAD timers wait in (timer.c, signal.c), the
 * ITIMER_REAL timer (timer.c) and timerfd (timerfd.c). */
#define SYSCALLS_TIMER(X) \
	X(timer_create, sys_timer_create) \
	X(timer_settime, sys_timer_settime) \
	X(timer_gettime, sys_timer_gettime) \
	X(timer_getoverrun, sys_timer_getoverrun) \
	X(timer_delete, sys_timer_delete) \
	X(rt_sigtimedwait, sys_rt_sigtimedwait) \
	X(setitimer, sys_setitimer) \
	X(getitimer, sys_getitimer) \
	X(alarm, sys_alarm) \
	X(timerfd_create, sys_timerfd_create) \
	X(timerfd_settime, sys_timerfd_settime) \
	X(timerfd_gettime, sys_timerfd_gettime)

/* Every group: its name in upper and lower case (SYSCALLS_NAME, toro_sys_name). */
#define SYSCALL_GROUPS(X) \
	X(EVENT, event) \
	X(SENDFILE, sendfile) \
	X(NET, net) \
	X(FS, fs) \
	X(COMPAT, compat) \
	X(TIMER, timer)

#define SYSCALLS_OPTIONAL(X) SYSCALLS_EVENT(X) SYSCALLS_SENDFILE(X) SYSCALLS_NET(X) SYSCALLS_FS(X) \
	SYSCALLS_COMPAT(X) SYSCALLS_TIMER(X)

#define SYSCALL_DECLARE(name, handler) long handler(const struct syscall_args *a);
SYSCALLS_OPTIONAL(SYSCALL_DECLARE)

/* A group's anchor is its handler table, in the order its SYSCALLS_ list gives (a NULL after
 * them, so that an empty group still makes an array). */
#define SYSCALL_GROUP_HANDLER(name, handler) handler,
#define SYSCALL_GROUP_ANCHOR(upper, lower) \
	const syscall_handler toro_sys_##lower[] = {SYSCALLS_##upper(SYSCALL_GROUP_HANDLER) NULL};

#endif
