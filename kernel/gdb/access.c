/* The packets that read and change the stopped machine: registers (g, G, p, P) of the Hg
 * thread, memory (m, M, X), and breakpoints and watchpoints (Z, z). */
#include "gdb_private.h"

#include <kernel/arch.h>
#include <kernel/string.h>

#define SW_BREAK_MAX   64
#define REG_NUMBER_MAX 1000 /* far above any register number: a bound for the parse */

struct sw_break {
	uint64_t addr; /* 0: a free slot */
	uint8_t saved;
};
static struct sw_break sw_breaks[SW_BREAK_MAX];

/* --- registers --- */

static void regs_of(struct thread *t, struct gdb_regs *r)
{
	gdb_thread_regs(t ? t : gdb.stop_thread, r);
}

/* One register as hex, or 'x's where its value is not known. */
static void reply_append_reg(const struct gdb_regs *r, unsigned n, int size)
{
	uint8_t v[ARCH_GDB_REG_MAX];
	int got = arch_gdb_reg_read(r, n, v);
	if (got > 0) {
		gdb_reply_append_hex(v, (size_t)got);
		return;
	}
	for (int i = 0; i < 2 * size && gdb.reply_len < GDB_PACKET_MAX; i++)
		gdb.reply[gdb.reply_len++] = 'x';
}

enum gdb_action gdb_handle_g(char *pkt, size_t len)
{
	(void)pkt, (void)len;
	struct gdb_regs r;
	uint8_t v[ARCH_GDB_REG_MAX];
	regs_of(gdb.g_thread, &r);
	gdb.reply_len = 0;
	int size;
	for (unsigned n = 0; (size = arch_gdb_reg_read(&r, n, v)) != 0; n++)
		reply_append_reg(&r, n, size < 0 ? -size : size);
	return GDB_REPLY;
}

enum gdb_action gdb_handle_G(char *pkt, size_t len)
{
	struct gdb_regs r;
	uint8_t v[ARCH_GDB_REG_MAX];
	regs_of(gdb.g_thread, &r);
	const char *p = pkt + 1, *end = pkt + len;
	int size, failed = 0;
	for (unsigned n = 0; (size = arch_gdb_reg_read(&r, n, v)) != 0 && p < end; n++) {
		size_t bytes = (size_t)(size < 0 ? -size : size);
		if ((size_t)(end - p) < 2 * bytes)
			break;
		if (p[0] != 'x' && (gdb_hex_decode(p, v, bytes) || arch_gdb_reg_write(&r, n, v)))
			failed = 1;
		p += 2 * bytes;
	}
	gdb_reply_str(failed ? "E01" : "OK");
	return GDB_REPLY;
}

/* Register number N at *p (advanced past it) for the Hg thread: its size in bytes, or 0 if
 * there is no such register. */
static size_t reg_number(const char **p, struct gdb_regs *r, unsigned *n)
{
	uint8_t v[ARCH_GDB_REG_MAX];
	uint64_t num;
	regs_of(gdb.g_thread, r);
	if (gdb_parse_hex(p, &num) || num > REG_NUMBER_MAX)
		return 0;
	*n = (unsigned)num;
	int size = arch_gdb_reg_read(r, *n, v);
	return (size_t)(size < 0 ? -size : size);
}

enum gdb_action gdb_handle_p(char *pkt, size_t len)
{
	(void)len;
	struct gdb_regs r;
	unsigned n;
	const char *p = pkt + 1;
	size_t size = reg_number(&p, &r, &n);
	if (!size || *p) {
		gdb_reply_str("E01");
		return GDB_REPLY;
	}
	gdb.reply_len = 0;
	reply_append_reg(&r, n, (int)size);
	return GDB_REPLY;
}

enum gdb_action gdb_handle_P(char *pkt, size_t len)
{
	struct gdb_regs r;
	uint8_t v[ARCH_GDB_REG_MAX];
	unsigned n;
	const char *p = pkt + 1;
	size_t size = reg_number(&p, &r, &n);
	if (!size || *p++ != '=' || (size_t)(pkt + len - p) != 2 * size ||
	    gdb_hex_decode(p, v, size) || arch_gdb_reg_write(&r, n, v))
		gdb_reply_str("E01");
	else
		gdb_reply_str("OK");
	return GDB_REPLY;
}

/* --- memory --- */

/* E14: EFAULT, gdb's "Cannot access memory". */
enum gdb_action gdb_handle_m(char *pkt, size_t len)
{
	(void)len;
	uint64_t addr, n;
	const char *p = pkt + 1;
	uint8_t buf[GDB_PACKET_MAX / 2];
	if (gdb_parse_addr_len(&p, &addr, &n, '\0') || n > sizeof(buf)) {
		gdb_reply_str("E01");
		return GDB_REPLY;
	}
	if (arch_gdb_mem_read(addr, buf, n)) {
		gdb_reply_str("E14");
		return GDB_REPLY;
	}
	gdb_reply_hex(buf, n);
	return GDB_REPLY;
}

enum gdb_action gdb_handle_M(char *pkt, size_t len)
{
	uint64_t addr, n;
	const char *p = pkt + 1;
	uint8_t buf[GDB_PACKET_MAX / 2];
	if (gdb_parse_addr_len(&p, &addr, &n, ':') || n > sizeof(buf) ||
	    (size_t)(pkt + len - p) != 2 * n || gdb_hex_decode(p, buf, n))
		gdb_reply_str("E01");
	else
		gdb_reply_str(arch_gdb_mem_write(addr, buf, n) ? "E14" : "OK");
	return GDB_REPLY;
}

enum gdb_action gdb_handle_X(char *pkt, size_t len)
{
	uint64_t addr, n;
	const char *p = pkt + 1;
	if (gdb_parse_addr_len(&p, &addr, &n, ':')) {
		gdb_reply_str("E01");
		return GDB_REPLY;
	}
	char *data = pkt + (p - pkt);
	long got = gdb_unescape(data, (size_t)(pkt + len - data));
	if (got < 0 || (uint64_t)got != n)
		gdb_reply_str("E01");
	else
		gdb_reply_str(n && arch_gdb_mem_write(addr, data, n) ? "E14" : "OK");
	return GDB_REPLY;
}

/* --- breakpoints --- */

static struct sw_break *sw_break_find(uint64_t addr)
{
	for (int i = 0; i < SW_BREAK_MAX; i++)
		if (sw_breaks[i].addr == addr)
			return &sw_breaks[i];
	return NULL;
}

int gdb_sw_break_at(uint64_t addr)
{
	return addr && sw_break_find(addr) != NULL;
}

static int sw_break_insert(uint64_t addr)
{
	static const uint8_t insn = ARCH_GDB_BREAK_INSN;
	if (!addr)
		return -1;
	if (sw_break_find(addr))
		return 0;
	struct sw_break *b = sw_break_find(0);
	if (!b || arch_gdb_mem_read(addr, &b->saved, 1) || arch_gdb_mem_write(addr, &insn, 1))
		return -1;
	b->addr = addr;
	return 0;
}

static int sw_break_remove(uint64_t addr)
{
	struct sw_break *b = addr ? sw_break_find(addr) : NULL;
	if (!b)
		return -1;
	arch_gdb_mem_write(addr, &b->saved, 1);
	b->addr = 0;
	return 0;
}

void gdb_sw_break_remove_all(void)
{
	for (int i = 0; i < SW_BREAK_MAX; i++)
		if (sw_breaks[i].addr)
			sw_break_remove(sw_breaks[i].addr);
}

/* Z/z TYPE,ADDR,KIND: 0 software breakpoint, 1 hardware breakpoint, 2 write, 3 read, 4 access
 * watchpoint. */
enum gdb_action gdb_handle_Z(char *pkt, size_t len)
{
	(void)len;
	uint64_t type, addr, kind;
	const char *p = pkt + 1;
	int insert = pkt[0] == 'Z', r;
	if (gdb_parse_hex(&p, &type) || *p++ != ',' ||
	    gdb_parse_addr_len(&p, &addr, &kind, *p == ';' ? ';' : '\0')) {
		gdb_reply_str("E01");
		return GDB_REPLY;
	}
	if (type == 0)
		r = insert ? sw_break_insert(addr) : sw_break_remove(addr);
	else if (type <= 4)
		r = insert ? arch_gdb_hw_insert((int)type, addr, kind)
		           : arch_gdb_hw_remove((int)type, addr, kind);
	else {
		gdb_reply_str("");
		return GDB_REPLY;
	}
	gdb_reply_str(r ? "E22" : "OK");
	return GDB_REPLY;
}
