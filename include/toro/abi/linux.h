/* The parts of the Linux x86-64 user ABI the kernel implements for POSIX (musl) applications:
 * system-call numbers, errno values, flags and structures, as fixed by Linux's UAPI. The kernel
 * uses this header rather than the host's <linux/...> so that it stays freestanding. */
#ifndef TORO_ABI_LINUX_H
#define TORO_ABI_LINUX_H

#include <stdint.h>

/* System-call numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
#define LINUX_SYS_read              0
#define LINUX_SYS_write             1
#define LINUX_SYS_close             3
#define LINUX_SYS_fstat             5
#define LINUX_SYS_lseek             8
#define LINUX_SYS_mmap              9
#define LINUX_SYS_mprotect          10
#define LINUX_SYS_munmap            11
#define LINUX_SYS_brk               12
#define LINUX_SYS_rt_sigaction      13
#define LINUX_SYS_rt_sigprocmask    14
#define LINUX_SYS_rt_sigreturn      15
#define LINUX_SYS_ioctl             16
#define LINUX_SYS_readv             19
#define LINUX_SYS_writev            20
#define LINUX_SYS_madvise           28
#define LINUX_SYS_sched_yield       24
#define LINUX_SYS_dup               32
#define LINUX_SYS_dup2              33
#define LINUX_SYS_pause             34
#define LINUX_SYS_nanosleep         35
#define LINUX_SYS_getitimer         36
#define LINUX_SYS_alarm             37
#define LINUX_SYS_setitimer         38
#define LINUX_SYS_getpid            39
#define LINUX_SYS_clone             56
#define LINUX_SYS_exit              60
#define LINUX_SYS_kill              62
#define LINUX_SYS_uname             63
#define LINUX_SYS_fcntl             72
#define LINUX_SYS_getuid            102
#define LINUX_SYS_getgid            104
#define LINUX_SYS_geteuid           107
#define LINUX_SYS_getegid           108
#define LINUX_SYS_getppid           110
#define LINUX_SYS_getgroups         115
#define LINUX_SYS_getresuid         118
#define LINUX_SYS_getresgid         120
#define LINUX_SYS_getpgid           121
#define LINUX_SYS_getsid            124
#define LINUX_SYS_rt_sigpending     127
#define LINUX_SYS_rt_sigtimedwait   128
#define LINUX_SYS_rt_sigsuspend     130
#define LINUX_SYS_sigaltstack       131
#define LINUX_SYS_arch_prctl        158
#define LINUX_SYS_prctl             157
#define LINUX_SYS_mincore           27
#define LINUX_SYS_mlock             149
#define LINUX_SYS_munlock           150
#define LINUX_SYS_mlockall          151
#define LINUX_SYS_munlockall        152
#define LINUX_SYS_mlock2            325
#define LINUX_SYS_gettid            186
#define LINUX_SYS_tkill             200
#define LINUX_SYS_futex             202
#define LINUX_SYS_sched_setaffinity 203
#define LINUX_SYS_sched_getaffinity 204
#define LINUX_SYS_set_tid_address   218
#define LINUX_SYS_timer_create      222
#define LINUX_SYS_timer_settime     223
#define LINUX_SYS_timer_gettime     224
#define LINUX_SYS_timer_getoverrun  225
#define LINUX_SYS_timer_delete      226
#define LINUX_SYS_timerfd_create    283
#define LINUX_SYS_timerfd_settime   286
#define LINUX_SYS_timerfd_gettime   287
#define LINUX_SYS_clock_gettime     228
#define LINUX_SYS_clock_getres      229
#define LINUX_SYS_gettimeofday      96
#define LINUX_SYS_time              201
/* Not issued by musl; glibc's start and pthread_create try them and fall back. */
#define LINUX_SYS_rseq              334
#define LINUX_SYS_clone3            435
#define LINUX_SYS_exit_group        231
#define LINUX_SYS_clock_nanosleep   230
#define LINUX_SYS_tgkill            234
#define LINUX_SYS_set_robust_list   273
#define LINUX_SYS_dup3              292
#define LINUX_SYS_getcpu            309
#define LINUX_SYS_getrandom         318
#define LINUX_SYS_poll              7
#define LINUX_SYS_pipe              22
#define LINUX_SYS_select            23
#define LINUX_SYS_fork              57
#define LINUX_SYS_vfork             58
#define LINUX_SYS_execve            59
#define LINUX_SYS_wait4             61
#define LINUX_SYS_umask             95
#define LINUX_SYS_getrlimit         97
#define LINUX_SYS_getrusage         98
#define LINUX_SYS_sysinfo           99
#define LINUX_SYS_times             100
#define LINUX_SYS_setrlimit         160
#define LINUX_SYS_pselect6          270
#define LINUX_SYS_ppoll             271
#define LINUX_SYS_pipe2             293
#define LINUX_SYS_prlimit64         302
#define LINUX_SYS_sendfile          40
#define LINUX_SYS_socket            41
#define LINUX_SYS_connect           42
#define LINUX_SYS_accept            43
#define LINUX_SYS_sendto            44
#define LINUX_SYS_recvfrom          45
#define LINUX_SYS_sendmsg           46
#define LINUX_SYS_recvmsg           47
#define LINUX_SYS_shutdown          48
#define LINUX_SYS_bind              49
#define LINUX_SYS_listen            50
#define LINUX_SYS_getsockname       51
#define LINUX_SYS_getpeername       52
#define LINUX_SYS_socketpair        53
#define LINUX_SYS_setsockopt        54
#define LINUX_SYS_getsockopt        55
#define LINUX_SYS_epoll_create      213
#define LINUX_SYS_epoll_wait        232
#define LINUX_SYS_epoll_ctl         233
#define LINUX_SYS_epoll_pwait       281
#define LINUX_SYS_eventfd           284
#define LINUX_SYS_accept4           288
#define LINUX_SYS_eventfd2          290
#define LINUX_SYS_signalfd          282
#define LINUX_SYS_signalfd4         289
#define LINUX_SYS_epoll_create1     291
#define LINUX_SYS_epoll_pwait2      441
/* Files (kernel/sys/fs.c, stat.c). */
#define LINUX_SYS_open              2
#define LINUX_SYS_stat              4
#define LINUX_SYS_lstat             6
#define LINUX_SYS_pread64           17
#define LINUX_SYS_pwrite64          18
#define LINUX_SYS_access            21
#define LINUX_SYS_fsync             74
#define LINUX_SYS_fdatasync         75
#define LINUX_SYS_truncate          76
#define LINUX_SYS_ftruncate         77
#define LINUX_SYS_getcwd            79
#define LINUX_SYS_chdir             80
#define LINUX_SYS_fchdir            81
#define LINUX_SYS_rename            82
#define LINUX_SYS_mkdir             83
#define LINUX_SYS_rmdir             84
#define LINUX_SYS_creat             85
#define LINUX_SYS_link              86
#define LINUX_SYS_unlink            87
#define LINUX_SYS_symlink           88
#define LINUX_SYS_readlink          89
#define LINUX_SYS_chmod             90
#define LINUX_SYS_fchmod            91
#define LINUX_SYS_chown             92
#define LINUX_SYS_fchown            93
#define LINUX_SYS_lchown            94
#define LINUX_SYS_statfs            137
#define LINUX_SYS_fstatfs           138
#define LINUX_SYS_getdents64        217
#define LINUX_SYS_openat            257
#define LINUX_SYS_mkdirat           258
#define LINUX_SYS_fchownat          260
#define LINUX_SYS_newfstatat        262
#define LINUX_SYS_unlinkat          263
#define LINUX_SYS_renameat          264
#define LINUX_SYS_linkat            265
#define LINUX_SYS_symlinkat         266
#define LINUX_SYS_readlinkat        267
#define LINUX_SYS_fchmodat          268
#define LINUX_SYS_faccessat         269
#define LINUX_SYS_utimensat         280
#define LINUX_SYS_preadv            295
#define LINUX_SYS_pwritev           296
#define LINUX_SYS_renameat2         316
#define LINUX_SYS_statx             332
#define LINUX_SYS_faccessat2        439
#define LINUX_SYS_COUNT             462 /* one past the highest number Linux 6.x assigns */

/* errno values. */
#define LINUX_EPERM     1
#define LINUX_EIO       5
#define LINUX_EBADF     9
#define LINUX_EAGAIN    11
#define LINUX_ENOMEM    12
#define LINUX_EFAULT    14
#define LINUX_EBUSY     16
#define LINUX_EEXIST    17
#define LINUX_EINVAL    22
#define LINUX_ENODEV    19
#define LINUX_EMFILE    24
#define LINUX_ENOTTY    25
#define LINUX_ENOSPC    28
#define LINUX_ESPIPE    29
#define LINUX_ENOSYS    38
/* epoll and the socket calls (kernel/sys/epoll.c, socket.c) */
#define LINUX_ENOENT          2
#define LINUX_EDOM            33
#define LINUX_ERANGE          34
#define LINUX_ELOOP           40
#define LINUX_ENOTSOCK        88
#define LINUX_EMSGSIZE        90
#define LINUX_ENOPROTOOPT     92
#define LINUX_EPROTONOSUPPORT 93
#define LINUX_ESOCKTNOSUPPORT 94
#define LINUX_EOPNOTSUPP      95
#define LINUX_EAFNOSUPPORT    97
#define LINUX_EADDRNOTAVAIL   99
#define LINUX_ESRCH     3
#define LINUX_EINTR     4
#define LINUX_ETIMEDOUT 110
#define LINUX_EPIPE     32
/* the socket errors (kernel/include/kernel/vsock.h) */
#define LINUX_EADDRINUSE   98
#define LINUX_ECONNRESET   104
#define LINUX_EISCONN      106
#define LINUX_ENOTCONN     107
#define LINUX_ECONNREFUSED 111
#define LINUX_EALREADY     114
#define LINUX_EINPROGRESS  115
#define LINUX_ENXIO        6
#define LINUX_EACCES       13
#define LINUX_EXDEV        18
#define LINUX_ENOTDIR      20
#define LINUX_EISDIR       21
#define LINUX_EFBIG        27
#define LINUX_EROFS        30
#define LINUX_EMLINK       31
#define LINUX_ENAMETOOLONG 36
#define LINUX_ENOTEMPTY    39
#define LINUX_EOVERFLOW    75
#define LINUX_EPROTO       71

/* mmap */
#define LINUX_PROT_READ           0x1
#define LINUX_PROT_WRITE          0x2
#define LINUX_PROT_EXEC           0x4
#define LINUX_MAP_SHARED          0x01
#define LINUX_MAP_PRIVATE         0x02
#define LINUX_MAP_FIXED           0x10
#define LINUX_MAP_ANONYMOUS       0x20
#define LINUX_MAP_FIXED_NOREPLACE 0x100000
#define LINUX_MAP_FAILED          ((uint64_t)-1)

/* clone */
#define LINUX_CLONE_VM             0x00000100
#define LINUX_CLONE_FS             0x00000200
#define LINUX_CLONE_FILES          0x00000400
#define LINUX_CLONE_SIGHAND        0x00000800
#define LINUX_CLONE_THREAD         0x00010000
#define LINUX_CLONE_SYSVSEM        0x00040000
#define LINUX_CLONE_SETTLS         0x00080000
#define LINUX_CLONE_PARENT_SETTID  0x00100000
#define LINUX_CLONE_CHILD_CLEARTID 0x00200000
#define LINUX_CLONE_DETACHED       0x00400000
#define LINUX_CLONE_CHILD_SETTID   0x01000000

/* futex */
#define LINUX_FUTEX_WAIT           0
#define LINUX_FUTEX_WAKE           1
#define LINUX_FUTEX_REQUEUE        3
#define LINUX_FUTEX_CMP_REQUEUE    4
#define LINUX_FUTEX_WAIT_BITSET    9
#define LINUX_FUTEX_WAKE_BITSET    10
#define LINUX_FUTEX_PRIVATE_FLAG   128
#define LINUX_FUTEX_CLOCK_REALTIME 256
#define LINUX_TIMER_ABSTIME        1

/* arch_prctl */
#define LINUX_ARCH_SET_GS 0x1001
#define LINUX_ARCH_SET_FS 0x1002
#define LINUX_ARCH_GET_FS 0x1003
#define LINUX_ARCH_GET_GS 0x1004

/* File status flags (open, fcntl F_GETFL/F_SETFL), octal as in Linux's asm-generic/fcntl.h. */
#define LINUX_O_RDONLY   00
#define LINUX_O_WRONLY   01
#define LINUX_O_RDWR     02
#define LINUX_O_ACCMODE  03
#define LINUX_O_APPEND   02000
#define LINUX_O_NONBLOCK 04000
#define LINUX_O_CLOEXEC  02000000
#define LINUX_O_CREAT     0100
#define LINUX_O_EXCL      0200
#define LINUX_O_NOCTTY    0400
#define LINUX_O_TRUNC     01000
#define LINUX_O_DSYNC     010000
#define LINUX_O_DIRECT    040000
#define LINUX_O_LARGEFILE 0100000
#define LINUX_O_DIRECTORY 0200000
#define LINUX_O_NOFOLLOW  0400000
#define LINUX_O_NOATIME   01000000
#define LINUX_O_PATH      010000000
#define LINUX_O_SYNC      04010000

/* *at calls: the directory argument meaning the current directory, and their flags. */
#define LINUX_AT_FDCWD            (-100)
#define LINUX_AT_SYMLINK_NOFOLLOW 0x100
#define LINUX_AT_REMOVEDIR        0x200
#define LINUX_AT_SYMLINK_FOLLOW   0x400
#define LINUX_AT_EACCESS          0x200
#define LINUX_AT_NO_AUTOMOUNT     0x800
#define LINUX_AT_EMPTY_PATH       0x1000
#define LINUX_AT_STATX_SYNC_TYPE  0x6000
#define LINUX_RENAME_NOREPLACE    0x1
#define LINUX_RENAME_EXCHANGE     0x2
#define LINUX_UTIME_NOW           ((1l << 30) - 1)
#define LINUX_UTIME_OMIT          ((1l << 30) - 2)
#define LINUX_PATH_MAX            4096
#define LINUX_NAME_MAX            255

/* fcntl commands and the descriptor flag. */
#define LINUX_F_DUPFD         0
#define LINUX_F_GETFD         1
#define LINUX_F_SETFD         2
#define LINUX_F_GETFL         3
#define LINUX_F_SETFL         4
#define LINUX_F_DUPFD_CLOEXEC 1030
#define LINUX_FD_CLOEXEC      1

/* Record locks: fcntl F_GETLK/F_SETLK/F_SETLKW with a struct linux_flock. */
#define LINUX_F_GETLK  5
#define LINUX_F_SETLK  6
#define LINUX_F_SETLKW 7
#define LINUX_F_RDLCK  0
#define LINUX_F_WRLCK  1
#define LINUX_F_UNLCK  2

/* lseek */
#define LINUX_SEEK_SET 0
#define LINUX_SEEK_CUR 1
#define LINUX_SEEK_END 2

/* st_mode file types and poll events. */
#define LINUX_S_IFMT  0170000
#define LINUX_S_IFCHR 0020000
#define LINUX_S_IFREG 0100000
#define LINUX_S_IFDIR 0040000
#define LINUX_S_IFIFO 0010000
#define LINUX_S_IFLNK 0120000
#define LINUX_S_IFBLK 0060000
#define LINUX_S_IFSOCK 0140000
/* directory entry types (getdents64's d_type): the S_IF* type shifted down 12 bits */
#define LINUX_DT_DIR 4
#define LINUX_DT_REG 8
#define LINUX_DT_CHR 2
#define LINUX_DT_LNK 10
#define LINUX_POLLPRI  0x002
#define LINUX_POLLNVAL 0x020
#define LINUX_POLLIN  0x001
#define LINUX_POLLOUT 0x004
#define LINUX_POLLERR 0x008
#define LINUX_POLLHUP 0x010
#define LINUX_POLLRDHUP 0x2000

/* ioctl */
#define LINUX_TCGETS     0x5401
#define LINUX_TIOCGWINSZ 0x5413

/* clock ids */
#define LINUX_CLOCK_REALTIME           0
#define LINUX_CLOCK_MONOTONIC          1
#define LINUX_CLOCK_PROCESS_CPUTIME_ID 2
#define LINUX_CLOCK_THREAD_CPUTIME_ID  3
#define LINUX_CLOCK_MONOTONIC_RAW      4
#define LINUX_CLOCK_REALTIME_COARSE    5
#define LINUX_CLOCK_MONOTONIC_COARSE   6
#define LINUX_CLOCK_BOOTTIME           7

/* prctl: the thread name, 16 bytes with the NUL */
#define LINUX_PR_SET_NAME 15
#define LINUX_PR_GET_NAME 16
#define LINUX_TASK_COMM_LEN 16

/* getrandom */
#define LINUX_GRND_NONBLOCK 0x1
#define LINUX_GRND_RANDOM   0x2
#define LINUX_GRND_INSECURE 0x4

/* Auxiliary vector types. */
#define LINUX_AT_NULL     0
#define LINUX_AT_PHDR     3
#define LINUX_AT_PHENT    4
#define LINUX_AT_PHNUM    5
#define LINUX_AT_PAGESZ   6
#define LINUX_AT_BASE     7
#define LINUX_AT_FLAGS    8
#define LINUX_AT_ENTRY    9
#define LINUX_AT_UID      11
#define LINUX_AT_EUID     12
#define LINUX_AT_GID      13
#define LINUX_AT_EGID     14
#define LINUX_AT_PLATFORM 15
#define LINUX_AT_HWCAP    16
#define LINUX_AT_CLKTCK   17
#define LINUX_AT_SECURE   23
#define LINUX_AT_RANDOM   25
#define LINUX_AT_EXECFN   31

struct linux_iovec {
	uint64_t base;
	uint64_t len;
};

struct linux_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

struct linux_winsize {
	uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* struct stat as x86-64 Linux's fstat fills it. */
struct linux_stat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint64_t st_nlink;
	uint32_t st_mode;
	uint32_t st_uid;
	uint32_t st_gid;
	uint32_t pad0;
	uint64_t st_rdev;
	int64_t st_size;
	int64_t st_blksize;
	int64_t st_blocks;
	struct linux_timespec st_atim, st_mtim, st_ctim;
	int64_t unused[3];
};

#define LINUX_UTSNAME_LEN 65
/* getdents64's record: 8-byte aligned, the name NUL-terminated. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

struct linux_statfs {
	int64_t f_type;
	int64_t f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	int64_t f_namelen;
	int64_t f_frsize;
	int64_t f_flags;
	int64_t f_spare[4];
};
#define LINUX_FUSE_SUPER_MAGIC 0x65735546
#define LINUX_ST_RDONLY        1

struct linux_statx_timestamp {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};

struct linux_statx {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink;
	uint32_t stx_uid;
	uint32_t stx_gid;
	uint16_t stx_mode;
	uint16_t spare0;
	uint64_t stx_ino;
	uint64_t stx_size;
	uint64_t stx_blocks;
	uint64_t stx_attributes_mask;
	struct linux_statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor;
	uint32_t stx_dev_major, stx_dev_minor;
	uint64_t spare2[14];
};
#define LINUX_STATX_BASIC_STATS 0x7ff

#define LINUX_F_OK 0
#define LINUX_X_OK 1
#define LINUX_W_OK 2
#define LINUX_R_OK 4

struct linux_utsname {
	char sysname[LINUX_UTSNAME_LEN];
	char nodename[LINUX_UTSNAME_LEN];
	char release[LINUX_UTSNAME_LEN];
	char version[LINUX_UTSNAME_LEN];
	char machine[LINUX_UTSNAME_LEN];
	char domainname[LINUX_UTSNAME_LEN];
};

struct linux_timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};

struct linux_pollfd {
	int32_t fd;
	int16_t events;
	int16_t revents;
};

#define LINUX_RLIMIT_STACK  3
#define LINUX_RLIMIT_NOFILE 7
#define LINUX_RLIM_NLIMITS  16
#define LINUX_RLIM_INFINITY (~0ull)
struct linux_rlimit {
	uint64_t rlim_cur;
	uint64_t rlim_max;
};

#define LINUX_RUSAGE_SELF     0
#define LINUX_RUSAGE_CHILDREN (-1)
#define LINUX_RUSAGE_THREAD   1
struct linux_rusage {
	struct linux_timeval ru_utime, ru_stime;
	int64_t rest[14]; /* ru_maxrss ... ru_nivcsw: always 0 here */
};

/* times(): clock ticks of LINUX_USER_HZ per second. */
#define LINUX_USER_HZ 100
struct linux_tms {
	int64_t tms_utime, tms_stime, tms_cutime, tms_cstime;
};

struct linux_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char reserved[4];
};

/* epoll (include/uapi/linux/eventpoll.h): the event masks are poll's, plus these flags. */
#define LINUX_EPOLL_CTL_ADD    1
#define LINUX_EPOLL_CTL_DEL    2
#define LINUX_EPOLL_CTL_MOD    3
#define LINUX_EPOLLEXCLUSIVE   (1u << 28)
#define LINUX_EPOLLWAKEUP      (1u << 29)
#define LINUX_EPOLLONESHOT     (1u << 30)
#define LINUX_EPOLLET          (1u << 31)
#define LINUX_EPOLL_CLOEXEC    LINUX_O_CLOEXEC
/* Packed on x86-64 only, as Linux declares it there. */
struct linux_epoll_event {
	uint32_t events;
	uint64_t data;
} __attribute__((packed));

/* eventfd */
#define LINUX_EFD_SEMAPHORE 1
#define LINUX_EFD_CLOEXEC   LINUX_O_CLOEXEC
#define LINUX_EFD_NONBLOCK  LINUX_O_NONBLOCK

/* signalfd */
#define LINUX_SFD_CLOEXEC  LINUX_O_CLOEXEC
#define LINUX_SFD_NONBLOCK LINUX_O_NONBLOCK

/* timerfd */
#define LINUX_TFD_CLOEXEC             LINUX_O_CLOEXEC
#define LINUX_TFD_NONBLOCK            LINUX_O_NONBLOCK
#define LINUX_TFD_TIMER_ABSTIME       1
#define LINUX_TFD_TIMER_CANCEL_ON_SET 2

/* Sockets (include/linux/socket.h, include/uapi/linux/in.h, in6.h, vm_sockets.h, tcp.h). */
#define LINUX_AF_UNIX  1
#define LINUX_AF_INET  2
#define LINUX_AF_INET6 10
#define LINUX_AF_VSOCK 40
#define LINUX_SOCK_STREAM    1
#define LINUX_SOCK_DGRAM     2
#define LINUX_SOCK_RAW       3
#define LINUX_SOCK_TYPE_MASK 0xf
#define LINUX_SOCK_NONBLOCK  LINUX_O_NONBLOCK
#define LINUX_SOCK_CLOEXEC   LINUX_O_CLOEXEC
#define LINUX_IPPROTO_IP   0
#define LINUX_IPPROTO_TCP  6
#define LINUX_IPPROTO_IPV6 41
#define LINUX_SOL_SOCKET   1
#define LINUX_SO_REUSEADDR  2
#define LINUX_SO_TYPE       3
#define LINUX_SO_ERROR      4
#define LINUX_SO_DONTROUTE  5
#define LINUX_SO_BROADCAST  6
#define LINUX_SO_SNDBUF     7
#define LINUX_SO_RCVBUF     8
#define LINUX_SO_KEEPALIVE  9
#define LINUX_SO_OOBINLINE  10
#define LINUX_SO_LINGER     13
#define LINUX_SO_REUSEPORT  15
#define LINUX_SO_RCVLOWAT   18
#define LINUX_SO_SNDLOWAT   19
#define LINUX_SO_RCVTIMEO   20
#define LINUX_SO_SNDTIMEO   21
#define LINUX_SO_ACCEPTCONN 30
#define LINUX_SO_PROTOCOL   38
#define LINUX_SO_DOMAIN     39
#define LINUX_TCP_NODELAY      1
#define LINUX_TCP_MAXSEG       2
#define LINUX_TCP_CORK         3
#define LINUX_TCP_KEEPIDLE     4
#define LINUX_TCP_KEEPINTVL    5
#define LINUX_TCP_KEEPCNT      6
#define LINUX_TCP_QUICKACK     12
#define LINUX_TCP_USER_TIMEOUT 18
#define LINUX_TCP_FASTOPEN     23
#define LINUX_IP_TOS           1
#define LINUX_IPV6_V6ONLY      26
/* The AF_VSOCK level's options; both connect-timeout layouts are a 16-byte timeval here. */
#define LINUX_SO_VM_SOCKETS_BUFFER_SIZE         0
#define LINUX_SO_VM_SOCKETS_BUFFER_MIN_SIZE     1
#define LINUX_SO_VM_SOCKETS_BUFFER_MAX_SIZE     2
#define LINUX_SO_VM_SOCKETS_CONNECT_TIMEOUT_OLD 6
#define LINUX_SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW 8
#define LINUX_VMADDR_CID_ANY  0xffffffffu
#define LINUX_VMADDR_CID_HOST 2
#define LINUX_VMADDR_PORT_ANY 0xffffffffu
#define LINUX_MSG_OOB      0x1
#define LINUX_MSG_PEEK     0x2
#define LINUX_MSG_TRUNC    0x20
#define LINUX_MSG_DONTWAIT 0x40
#define LINUX_MSG_EOR      0x80
#define LINUX_MSG_WAITALL  0x100
#define LINUX_MSG_NOSIGNAL 0x4000
#define LINUX_MSG_MORE     0x8000
#define LINUX_MSG_CMSG_CLOEXEC 0x40000000
#define LINUX_SHUT_RD   0
#define LINUX_SHUT_WR   1
#define LINUX_SHUT_RDWR 2

struct linux_sockaddr_vm {
	uint16_t svm_family;
	uint16_t svm_reserved1;
	uint32_t svm_port;
	uint32_t svm_cid;
	uint8_t svm_flags;
	uint8_t svm_zero[3];
};

/* Port and address in network byte order. */
struct linux_sockaddr_in {
	uint16_t sin_family;
	uint16_t sin_port;
	uint32_t sin_addr;
	uint8_t sin_zero[8];
};

struct linux_sockaddr_in6 {
	uint16_t sin6_family;
	uint16_t sin6_port;
	uint32_t sin6_flowinfo;
	uint8_t sin6_addr[16];
	uint32_t sin6_scope_id;
};

struct linux_msghdr {
	uint64_t msg_name;
	uint32_t msg_namelen;
	uint64_t msg_iov;
	uint64_t msg_iovlen;
	uint64_t msg_control;
	uint64_t msg_controllen;
	int32_t msg_flags;
};

struct linux_linger {
	int32_t l_onoff;
	int32_t l_linger;
};

struct linux_flock {
	int16_t l_type;
	int16_t l_whence;
	int64_t l_start;
	int64_t l_len;
	int32_t l_pid;
};

_Static_assert(sizeof(struct linux_epoll_event) == 12, "epoll_event layout");
_Static_assert(sizeof(struct linux_sockaddr_vm) == 16, "sockaddr_vm layout");
_Static_assert(sizeof(struct linux_sockaddr_in) == 16, "sockaddr_in layout");
_Static_assert(sizeof(struct linux_sockaddr_in6) == 28, "sockaddr_in6 layout");
_Static_assert(sizeof(struct linux_msghdr) == 56, "msghdr layout");
_Static_assert(sizeof(struct linux_linger) == 8, "linger layout");
_Static_assert(sizeof(struct linux_flock) == 32, "flock layout");
_Static_assert(sizeof(struct linux_iovec) == 16, "iovec layout");
_Static_assert(sizeof(struct linux_pollfd) == 8, "pollfd layout");
_Static_assert(sizeof(struct linux_rusage) == 144, "rusage layout");
_Static_assert(sizeof(struct linux_sysinfo) == 112, "sysinfo layout");
_Static_assert(sizeof(struct linux_timespec) == 16, "timespec layout");
_Static_assert(sizeof(struct linux_winsize) == 8, "winsize layout");
_Static_assert(sizeof(struct linux_utsname) == 390, "utsname layout");
_Static_assert(sizeof(struct linux_stat) == 144, "stat layout");
_Static_assert(sizeof(struct linux_dirent64) == 24, "dirent64 header layout");
_Static_assert(sizeof(struct linux_statfs) == 120, "statfs layout");
_Static_assert(sizeof(struct linux_statx) == 256, "statx layout");

#endif
