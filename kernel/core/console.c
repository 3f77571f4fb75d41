/* The console registry: a list of output devices, newest first, each taking what it can of a
 * write and leaving the rest to the next; COM1, registered first at boot, takes everything that
 * reaches it. Drivers register; nothing here knows any of them. */
#include <kernel/console.h>

static struct console *consoles;

/* Registration happens at boot, but other cores may already be printing: the entry is complete
 * before it is published (release), and writers read the list head with acquire. */
void console_register(struct console *c)
{
	c->next = consoles;
	__atomic_store_n(&consoles, c, __ATOMIC_RELEASE);
}

void console_write_stream(enum console_stream stream, const char *s, size_t len)
{
	for (struct console *c = __atomic_load_n(&consoles, __ATOMIC_ACQUIRE); c && len;
	     c = c->next) {
		if (!c->live)
			continue;
		long n = c->write(stream, s, len);
		if (n <= 0)
			continue;
		s += n;
		len -= (size_t)n;
	}
}

void console_flush(void)
{
	for (struct console *c = __atomic_load_n(&consoles, __ATOMIC_ACQUIRE); c; c = c->next)
		if (c->flush)
			c->flush();
}

const char *console_name(void)
{
	for (struct console *c = __atomic_load_n(&consoles, __ATOMIC_ACQUIRE); c; c = c->next)
		if (c->live)
			return c->name;
	return "none";
}
