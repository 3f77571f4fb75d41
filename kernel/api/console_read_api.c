/* The native console API's input (include/toro/console.h): the application's stdin, from the
 * console input driver. A file of its own so that images that never read link no input code. */
#include <toro/console.h>

#include <kernel/console.h>

long toro_read(char *buf, size_t len)
{
	return console_read(buf, len, 0);
}
