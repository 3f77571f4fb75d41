/* The native console API (include/toro/console.h): output, the application's stdout, through the console registry
 * (kernel/core/console.c) and printk's formatting (kernel/core/printk.c). Native images call it
 * directly; they have no descriptors (kernel/include/kernel/fd.h). */
#include <toro/console.h>

#include <kernel/console.h>
#include <kernel/printk.h>

void toro_write(const char *s, size_t len)
{
	console_write_stream(CONSOLE_OUT, s, len);
}

const char *toro_console_name(void)
{
	return console_name();
}

int toro_vprintf(const char *fmt, va_list ap)
{
	return vprintk_stream(CONSOLE_OUT, fmt, ap);
}

int toro_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintk_stream(CONSOLE_OUT, fmt, ap);
	va_end(ap);
	return n;
}
