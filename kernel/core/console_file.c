/* The console as an open file (kernel/include/kernel/file.h): what descriptors 0, 1 and 2 of a
 * POSIX image refer to. Output goes through the console registry (console.c); no input is
 * connected yet, so reads give end of file. One static file, never released. */
#include <kernel/console.h>
#include <kernel/file.h>

/* The terminal size reported to TIOCGWINSZ: the console has none, and 24x80 is what programs
 * assume of a terminal that cannot say. */
#define CONSOLE_ROWS 24
#define CONSOLE_COLS 80

/* /dev/console's device number (major 5, minor 1) in Linux's encoding. */
#define CONSOLE_RDEV ((5u << 8) | 1u)

/* What a terminal reports as its preferred I/O size on Linux. */
#define CONSOLE_BLKSIZE 1024

static long console_file_read(struct file *f, const struct file_iovec *iov, size_t count)
{
	(void)f, (void)iov, (void)count;
	return 0;
}

static long console_file_write(struct file *f, const struct file_iovec *iov, size_t count)
{
	(void)f;
	long total = 0;
	for (size_t i = 0; i < count; i++) {
		console_write(iov[i].base, iov[i].len);
		total += (long)iov[i].len;
	}
	return total;
}

/* TIOCGWINSZ only: TCGETS stays -ENOTTY as before the file layer, since the console has no line
 * discipline to describe (musl's isatty and stdio ask TIOCGWINSZ). */
static long console_file_ioctl(struct file *f, unsigned long cmd, void *arg)
{
	(void)f;
	if (cmd != LINUX_TIOCGWINSZ)
		return -LINUX_ENOTTY;
	struct linux_winsize *ws = arg;
	*ws = (struct linux_winsize){.ws_row = CONSOLE_ROWS, .ws_col = CONSOLE_COLS};
	return 0;
}

static int console_file_stat(struct file *f, struct file_stat *st)
{
	(void)f;
	st->mode = LINUX_S_IFCHR | 0620; /* crw--w----, as a terminal is */
	st->rdev = CONSOLE_RDEV;
	st->blksize = CONSOLE_BLKSIZE;
	return 0;
}

/* lseek is left out (-ESPIPE, as for a terminal); poll is left out (always ready: writes never
 * wait for long and reads end at once). */
static const struct file_ops console_file_ops = {
	.read = console_file_read,
	.write = console_file_write,
	.ioctl = console_file_ioctl,
	.stat = console_file_stat,
};

/* Its own reference, never dropped, keeps it from ever being released. The zeroed wait queue is
 * a valid empty one (wait_queue_init). */
static struct file console_file = {
	.ops = &console_file_ops,
	.refs = 1,
	.flags = LINUX_O_RDWR,
};

struct file *console_file_open(void)
{
	return file_get(&console_file);
}
