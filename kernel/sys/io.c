/* File-descriptor I/O. For now the only descriptors are the console: 0 (reads give end of file),
 * 1 and 2 (writes go to the console). */
#include "syscall.h"

#include <kernel/console.h>
#include <toro/abi/linux.h>

#define FD_STDIN     0
#define FD_STDOUT    1
#define FD_STDERR    2
#define IOV_MAX      1024
#define CONSOLE_ROWS 24
#define CONSOLE_COLS 80

static int is_console(uint64_t fd)
{
	return fd <= FD_STDERR;
}

static long console_read(uint64_t fd, uint64_t buf, uint64_t len)
{
	if (fd != FD_STDIN)
		return -LINUX_EBADF;
	if (len && !sys_range_ok(buf, len))
		return -LINUX_EFAULT;
	return 0;
}

static long console_write_checked(uint64_t fd, uint64_t buf, uint64_t len)
{
	if (fd != FD_STDOUT && fd != FD_STDERR)
		return -LINUX_EBADF;
	if (len == 0)
		return 0;
	if (!sys_range_ok(buf, len))
		return -LINUX_EFAULT;
	console_write((const char *)(uintptr_t)buf, len);
	return (long)len;
}

long sys_read(const struct syscall_args *a)
{
	if (!is_console(a->arg[0]))
		return -LINUX_EBADF;
	return console_read(a->arg[0], a->arg[1], a->arg[2]);
}

long sys_write(const struct syscall_args *a)
{
	if (!is_console(a->arg[0]))
		return -LINUX_EBADF;
	return console_write_checked(a->arg[0], a->arg[1], a->arg[2]);
}

static long iov_check(uint64_t iov, uint64_t count)
{
	if (count > IOV_MAX)
		return -LINUX_EINVAL;
	if (count && !sys_range_ok(iov, count * sizeof(struct linux_iovec)))
		return -LINUX_EFAULT;
	return 0;
}

long sys_writev(const struct syscall_args *a)
{
	uint64_t fd = a->arg[0], count = a->arg[2];
	if (!is_console(fd))
		return -LINUX_EBADF;
	long err = iov_check(a->arg[1], count);
	if (err)
		return err;
	const struct linux_iovec *iov = (const void *)(uintptr_t)a->arg[1];
	long total = 0;
	for (uint64_t i = 0; i < count; i++) {
		long n = console_write_checked(fd, iov[i].base, iov[i].len);
		if (n < 0)
			return total ? total : n;
		total += n;
	}
	return total;
}

long sys_readv(const struct syscall_args *a)
{
	uint64_t fd = a->arg[0];
	if (!is_console(fd))
		return -LINUX_EBADF;
	long err = iov_check(a->arg[1], a->arg[2]);
	if (err)
		return err;
	return console_read(fd, 0, 0);
}

long sys_ioctl(const struct syscall_args *a)
{
	if (!is_console(a->arg[0]))
		return -LINUX_EBADF;
	if (a->arg[1] != LINUX_TIOCGWINSZ)
		return -LINUX_ENOTTY;
	if (!sys_range_ok(a->arg[2], sizeof(struct linux_winsize)))
		return -LINUX_EFAULT;
	struct linux_winsize *ws = (void *)(uintptr_t)a->arg[2];
	*ws = (struct linux_winsize){.ws_row = CONSOLE_ROWS, .ws_col = CONSOLE_COLS};
	return 0;
}
