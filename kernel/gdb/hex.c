/* The small pieces of the packets' syntax the handlers share: hex numbers and bytes, thread
 * ids, and building a reply in gdb.reply. */
#include "gdb_private.h"

#include <kernel/string.h>

static const char hex_digits[] = "0123456789abcdef";

void gdb_reply_str(const char *s)
{
	size_t n = strlen(s);
	if (n > GDB_PACKET_MAX)
		n = GDB_PACKET_MAX;
	memcpy(gdb.reply, s, n);
	gdb.reply_len = n;
}

void gdb_reply_append_hex(const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i < len && gdb.reply_len + 2 <= GDB_PACKET_MAX; i++) {
		gdb.reply[gdb.reply_len++] = hex_digits[p[i] >> 4];
		gdb.reply[gdb.reply_len++] = hex_digits[p[i] & 15];
	}
}

void gdb_reply_hex(const void *data, size_t len)
{
	gdb.reply_len = 0;
	gdb_reply_append_hex(data, len);
}

/* A hex number at *p (at most 16 digits); advances *p past it. -1 if there is none. */
int gdb_parse_hex(const char **p, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0, d;
	while ((d = gdb_hex_digit(**p)) >= 0) {
		if (++n > 16)
			return -1;
		v = v << 4 | (uint64_t)d;
		(*p)++;
	}
	*out = v;
	return n ? 0 : -1;
}

/* "ADDR,LEN" then the character end (':' or '\0'); advances *p past end. */
int gdb_parse_addr_len(const char **p, uint64_t *addr, uint64_t *len, char end)
{
	if (gdb_parse_hex(p, addr) || *(*p)++ != ',' || gdb_parse_hex(p, len) || **p != end)
		return -1;
	if (end)
		(*p)++;
	return 0;
}

/* len bytes of hex at p into out; -1 if any is not hex. */
int gdb_hex_decode(const char *p, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = gdb_hex_digit(p[2 * i]), lo = hi < 0 ? -1 : gdb_hex_digit(p[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* A thread id in H and T packets: hex, "0" for any, "-1" for all. */
struct thread *gdb_parse_thread(const char *p)
{
	uint64_t id;
	if (p[0] == '-' || (p[0] == '0' && p[1] == '\0'))
		return gdb.stop_thread;
	if (gdb_parse_hex(&p, &id) || *p)
		return NULL;
	return gdb_thread_find((unsigned)id);
}
