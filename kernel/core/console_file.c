/* The console as open files (kernel/include/kernel/file.h): what descriptors 0, 1 and 2 of a
 * POSIX image refer to. stdin reads the console input (console_read: the virtio console's input
 * port; end of file where there is none), stdout and stderr write the console registry's two
 * streams (console.c). Whether each is a terminal, and the terminal's size, come from the
 * toro.tty= option `toro run` gives (the host's stdin, stdout and stderr); without it none is.
 * Three static files, never released. */
#include <kernel/cmdline.h>
#include <kernel/console.h>
#include <kernel/file.h>
#include <kernel/string.h>

/* The console's input is linked only into images that can read stdin (tools/link.c links it with
 * -u console_read when the program has a musl function that reads a descriptor or waits for
 * one). Without it, stdin is at its end, as where there is no input device. */
#pragma weak console_read
#pragma weak console_read_ready

/* The terminal size reported when toro.tty= gives none: what programs assume of a terminal that
 * cannot say. */
#define CONSOLE_ROWS 24
#define CONSOLE_COLS 80

/* What a terminal reports as its preferred I/O size on Linux. */
#define CONSOLE_BLKSIZE 1024

/* From toro.tty=IOE[,ROWS,COLS]: I, O and E are 1 where the host's stdin, stdout, stderr is a
 * terminal, 0 where not; ROWS and COLS its size. Read once, at the first open. */
static struct {
	int parsed;
	char tty[3];
	unsigned short rows, cols;
} console_tty;

static unsigned short parse_dimension(const char **p, unsigned short fallback)
{
	if (**p != ',')
		return fallback;
	unsigned v = 0;
	for ((*p)++; **p >= '0' && **p <= '9' && v < 65536; (*p)++)
		v = v * 10 + (unsigned)(**p - '0');
	return v && v < 65536 ? (unsigned short)v : fallback;
}

static void console_tty_parse(void)
{
	console_tty.parsed = 1;
	console_tty.rows = CONSOLE_ROWS;
	console_tty.cols = CONSOLE_COLS;
	for (int i = 0; i < cmdline_option_count; i++) {
		const char *v = cmdline_option_value(cmdline_options[i], "toro.tty");
		if (!v)
			continue;
		for (int fd = 0; fd < 3 && (*v == '0' || *v == '1'); fd++, v++)
			console_tty.tty[fd] = *v == '1';
		console_tty.rows = parse_dimension(&v, CONSOLE_ROWS);
		console_tty.cols = parse_dimension(&v, CONSOLE_COLS);
	}
}

static long console_file_read(struct file *f, const struct file_iovec *iov, size_t count)
{
	long total = 0;
	for (size_t i = 0; i < count; i++) {
		if (iov[i].len == 0)
			continue;
		if (!console_read)
			return 0;
		/* Wait only for the first bytes; after them, take what is there. */
		long n = console_read(iov[i].base, iov[i].len,
		                      total > 0 || (f->flags & LINUX_O_NONBLOCK));
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((size_t)n < iov[i].len)
			break;
	}
	return total;
}

static long console_file_write(struct file *f, const struct file_iovec *iov, size_t count)
{
	enum console_stream stream = (enum console_stream)(uintptr_t)f->private;
	long total = 0;
	for (size_t i = 0; i < count; i++) {
		console_write_stream(stream, iov[i].base, iov[i].len);
		total += (long)iov[i].len;
	}
	return total;
}

static int console_file_fd(struct file *f);

/* TIOCGWINSZ only, and only where the host's stream is a terminal (isatty asks it): TCGETS
 * stays -ENOTTY, since the console has no line discipline to describe. */
static long console_file_ioctl(struct file *f, unsigned long cmd, void *arg)
{
	if (cmd != LINUX_TIOCGWINSZ || !console_tty.tty[console_file_fd(f)])
		return -LINUX_ENOTTY;
	struct linux_winsize *ws = arg;
	*ws = (struct linux_winsize){.ws_row = console_tty.rows, .ws_col = console_tty.cols};
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

static unsigned console_file_poll(struct file *f)
{
	(void)f;
	return !console_read_ready || console_read_ready() ? LINUX_POLLIN : 0;
}

/* lseek is left out (-ESPIPE, as for a terminal); stdout and stderr have no poll (always
 * writable: writes never wait for long). */
static const struct file_ops console_in_ops = {
	.read = console_file_read,
	.ioctl = console_file_ioctl,
	.poll = console_file_poll,
	.stat = console_file_stat,
};

static const struct file_ops console_out_ops = {
	.write = console_file_write,
	.ioctl = console_file_ioctl,
	.stat = console_file_stat,
};

/* Their own references, never dropped, keep them from ever being released. The zeroed wait
 * queues are valid empty ones (wait_queue_init). private: the output stream. */
static struct file console_files[3] = {
	{.ops = &console_in_ops, .refs = 1, .flags = LINUX_O_RDONLY},
	{.ops = &console_out_ops, .refs = 1, .flags = LINUX_O_WRONLY,
	 .private = (void *)(uintptr_t)CONSOLE_OUT},
	{.ops = &console_out_ops, .refs = 1, .flags = LINUX_O_WRONLY,
	 .private = (void *)(uintptr_t)CONSOLE_ERR},
};

static int console_file_fd(struct file *f)
{
	return (int)(f - console_files);
}

void console_input_notify(void)
{
	file_notify(&console_files[0]);
}

struct file *console_file_open(unsigned fd)
{
	if (!console_tty.parsed)
		console_tty_parse();
	return file_get(&console_files[fd]);
}
