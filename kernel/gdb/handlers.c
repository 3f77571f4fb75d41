/* The packets gdb sends while the machine is stopped, one handler per first letter (a table
 * indexed by it; a letter without one gets the empty reply, which means "not supported"). */
#include "gdb_private.h"

#include <kernel/arch.h>
#include <kernel/format.h>
#include <kernel/string.h>

#define SW_BREAK_MAX 64
#define GDB_EXIT_KILLED 137 /* 128 + SIGKILL, as a shell shows a killed program */

struct sw_break {
	uint64_t addr; /* 0: a free slot */
	uint8_t saved;
};
static struct sw_break sw_breaks[SW_BREAK_MAX];

typedef enum gdb_action (*gdb_handler)(char *pkt, size_t len);

/* --- replies and parsing --- */

static const char hex_digits[] = "0123456789abcdef";

void gdb_reply_str(const char *s)
{
	size_t n = strlen(s);
	if (n > GDB_PACKET_MAX)
		n = GDB_PACKET_MAX;
	memcpy(gdb.reply, s, n);
	gdb.reply_len = n;
}

static void reply_append_hex(const void *data, size_t len)
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
	reply_append_hex(data, len);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A hex number at *p (at most 16 digits); advances *p past it. -1 if there is none. */
static int parse_hex(const char **p, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0, d;
	while ((d = hex_digit(**p)) >= 0) {
		if (++n > 16)
			return -1;
		v = v << 4 | (uint64_t)d;
		(*p)++;
	}
	*out = v;
	return n ? 0 : -1;
}

/* "ADDR,LEN" then the character end (':' or '\0'); advances *p past end. */
static int parse_addr_len(const char **p, uint64_t *addr, uint64_t *len, char end)
{
	if (parse_hex(p, addr) || *(*p)++ != ',' || parse_hex(p, len) || **p != end)
		return -1;
	if (end)
		(*p)++;
	return 0;
}

/* len bytes of hex at p into out; -1 if any is not hex. */
static int hex_decode(const char *p, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = hex_digit(p[2 * i]), lo = hi < 0 ? -1 : hex_digit(p[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* A thread id in H and T packets: hex, "0" for any, "-1" for all. */
static struct thread *parse_thread(const char *p)
{
	uint64_t id;
	if (p[0] == '-' || (p[0] == '0' && p[1] == '\0'))
		return gdb.stop_thread;
	if (parse_hex(&p, &id) || *p)
		return NULL;
	return gdb_thread_find((unsigned)id);
}

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
		reply_append_hex(v, (size_t)got);
		return;
	}
	for (int i = 0; i < 2 * size && gdb.reply_len < GDB_PACKET_MAX; i++)
		gdb.reply[gdb.reply_len++] = 'x';
}

static enum gdb_action handle_g(char *pkt, size_t len)
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

static enum gdb_action handle_G(char *pkt, size_t len)
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
		if (p[0] != 'x' && (hex_decode(p, v, bytes) || arch_gdb_reg_write(&r, n, v)))
			failed = 1;
		p += 2 * bytes;
	}
	gdb_reply_str(failed ? "E01" : "OK");
	return GDB_REPLY;
}

static enum gdb_action handle_p(char *pkt, size_t len)
{
	(void)len;
	struct gdb_regs r;
	uint8_t v[ARCH_GDB_REG_MAX];
	uint64_t n;
	const char *p = pkt + 1;
	regs_of(gdb.g_thread, &r);
	int size;
	if (parse_hex(&p, &n) || *p || n > 1000 || (size = arch_gdb_reg_read(&r, (unsigned)n, v)) == 0) {
		gdb_reply_str("E01");
		return GDB_REPLY;
	}
	gdb.reply_len = 0;
	reply_append_reg(&r, (unsigned)n, size < 0 ? -size : size);
	return GDB_REPLY;
}

static enum gdb_action handle_P(char *pkt, size_t len)
{
	struct gdb_regs r;
	uint8_t v[ARCH_GDB_REG_MAX];
	uint64_t n;
	const char *p = pkt + 1;
	regs_of(gdb.g_thread, &r);
	int size;
	if (parse_hex(&p, &n) || *p++ != '=' || n > 1000 ||
	    (size = arch_gdb_reg_read(&r, (unsigned)n, v)) == 0 ||
	    (size_t)(pkt + len - p) != 2 * (size_t)(size < 0 ? -size : size) ||
	    hex_decode(p, v, (size_t)(size < 0 ? -size : size)) ||
	    arch_gdb_reg_write(&r, (unsigned)n, v))
		gdb_reply_str("E01");
	else
		gdb_reply_str("OK");
	return GDB_REPLY;
}

/* --- memory --- */

/* E14: EFAULT, gdb's "Cannot access memory". */
static enum gdb_action handle_m(char *pkt, size_t len)
{
	(void)len;
	uint64_t addr, n;
	const char *p = pkt + 1;
	uint8_t buf[GDB_PACKET_MAX / 2];
	if (parse_addr_len(&p, &addr, &n, '\0') || n > sizeof(buf)) {
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

static enum gdb_action handle_M(char *pkt, size_t len)
{
	uint64_t addr, n;
	const char *p = pkt + 1;
	uint8_t buf[GDB_PACKET_MAX / 2];
	if (parse_addr_len(&p, &addr, &n, ':') || n > sizeof(buf) ||
	    (size_t)(pkt + len - p) != 2 * n || hex_decode(p, buf, n))
		gdb_reply_str("E01");
	else
		gdb_reply_str(arch_gdb_mem_write(addr, buf, n) ? "E14" : "OK");
	return GDB_REPLY;
}

static enum gdb_action handle_X(char *pkt, size_t len)
{
	uint64_t addr, n;
	const char *p = pkt + 1;
	if (parse_addr_len(&p, &addr, &n, ':')) {
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
static enum gdb_action handle_Z(char *pkt, size_t len)
{
	(void)len;
	uint64_t type, addr, kind;
	const char *p = pkt + 1;
	int insert = pkt[0] == 'Z', r;
	if (parse_hex(&p, &type) || *p++ != ',' || parse_addr_len(&p, &addr, &kind, *p == ';' ? ';' : '\0')) {
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

/* --- running --- */

/* What a resume does to each core: held (stays stopped), runs, or steps; and whether a fault it
 * stopped at is delivered. A thread that is not on a core runs when its core does. */
static void resume_all(int hold)
{
	for (unsigned i = 0; i < cpu_count; i++) {
		gdb.core[i].hold = hold;
		gdb.core[i].step = 0;
		gdb.core[i].deliver = 0;
	}
}

static void resume_core(struct gdb_core *c, int step, int signal)
{
	c->hold = 0;
	c->step = step;
	c->deliver = signal && c->fault == signal;
}

/* c and s: every core runs; s steps the Hc thread. */
static enum gdb_action handle_c(char *pkt, size_t len)
{
	(void)len;
	if (pkt[1]) {
		gdb_reply_str("E01"); /* resuming at another address: gdb's "jump" sets the pc */
		return GDB_REPLY;
	}
	resume_all(0);
	struct cpu *c = gdb_thread_core(gdb.c_thread);
	if (c && pkt[0] == 's')
		gdb.core[c->id].step = 1;
	return GDB_GO;
}

/* vCont;ACTION[:THREAD]...: each thread takes the first action that names it or names no
 * thread; threads no action applies to stay stopped (gdb steps one thread over a breakpoint so,
 * lest another run past it meanwhile). 't' (stop) leaves a thread stopped. */
static enum gdb_action handle_vcont(const char *p)
{
	int done[CPU_MAX] = {0}, any = 0;
	resume_all(1);
	while (*p == ';') {
		char action = *++p;
		uint64_t signal = 0, id = 0;
		int all = 1;
		p++;
		if ((action == 'C' || action == 'S') && parse_hex(&p, &signal))
			return gdb_reply_str("E01"), GDB_REPLY;
		if (*p == ':' && p[1] != '-') {
			p++;
			if (parse_hex(&p, &id))
				return gdb_reply_str("E01"), GDB_REPLY;
			all = 0;
		}
		while (*p && *p != ';')
			p++;
		if (action == 't')
			continue;
		int step = action == 's' || action == 'S';
		struct thread *t = all ? NULL : gdb_thread_find((unsigned)id);
		for (unsigned i = 0; i < cpu_count; i++) {
			struct cpu *c = cpu_online(i);
			if (!c || done[i] || (!all && (!t || gdb_thread_core(t) != c)))
				continue;
			done[i] = 1;
			any = 1;
			resume_core(&gdb.core[i], step && (!all || c->current == gdb.c_thread),
			            (int)signal);
		}
	}
	if (!any)
		resume_all(0); /* the threads named are not on a core: run everything */
	return GDB_GO;
}

static enum gdb_action handle_v(char *pkt, size_t len)
{
	(void)len;
	if (strcmp(pkt, "vCont?") == 0)
		gdb_reply_str("vCont;c;C;s;S;t");
	else if (strncmp(pkt, "vCont;", 6) == 0)
		return handle_vcont(pkt + 5);
	else if (strncmp(pkt, "vKill", 5) == 0)
		arch_gdb_exit(GDB_EXIT_KILLED);
	else
		gdb_reply_str("");
	return GDB_REPLY;
}

static enum gdb_action handle_k(char *pkt, size_t len)
{
	(void)pkt, (void)len;
	arch_gdb_exit(GDB_EXIT_KILLED);
}

static enum gdb_action handle_D(char *pkt, size_t len)
{
	(void)pkt, (void)len;
	arch_gdb_hw_clear();
	gdb_reply_str("OK");
	return GDB_DETACH;
}

static enum gdb_action handle_question(char *pkt, size_t len)
{
	(void)pkt, (void)len;
	gdb_reply_str(gdb.stop_reply);
	return GDB_REPLY;
}

/* --- threads --- */

static enum gdb_action handle_H(char *pkt, size_t len)
{
	(void)len;
	struct thread *t = parse_thread(pkt + 2);
	if (!t || (pkt[1] != 'g' && pkt[1] != 'c')) {
		gdb_reply_str("E01");
		return GDB_REPLY;
	}
	if (pkt[1] == 'g')
		gdb.g_thread = t;
	else
		gdb.c_thread = t;
	gdb_reply_str("OK");
	return GDB_REPLY;
}

static enum gdb_action handle_T(char *pkt, size_t len)
{
	(void)len;
	gdb_reply_str(parse_thread(pkt + 1) ? "OK" : "E01");
	return GDB_REPLY;
}

/* qfThreadInfo/qsThreadInfo: as many ids as fit, then 'l' once all were given. */
static void reply_thread_list(int first)
{
	if (first)
		gdb.thread_cursor = 0;
	struct thread *t = gdb_thread_at(gdb.thread_cursor);
	if (!t) {
		gdb_reply_str("l");
		return;
	}
	gdb.reply[0] = 'm';
	gdb.reply_len = 1;
	for (; t && gdb.reply_len + 10 < GDB_PACKET_MAX; t = gdb_thread_at(++gdb.thread_cursor)) {
		if (gdb.reply_len > 1)
			gdb.reply[gdb.reply_len++] = ',';
		gdb.reply_len += format_snprintf(gdb.reply + gdb.reply_len, 10, "%x",
		                                 gdb_thread_id(t));
	}
}

/* qXfer:features:read:target.xml:OFFSET,LENGTH: a window of the target description, 'm' if
 * more follows, 'l' for the last part. */
static void reply_target_xml(const char *p)
{
	uint64_t off, n;
	size_t total = strlen(arch_gdb_target_xml);
	if (parse_addr_len(&p, &off, &n, '\0')) {
		gdb_reply_str("E01");
		return;
	}
	if (off > total)
		off = total;
	if (n > GDB_PACKET_MAX - 1)
		n = GDB_PACKET_MAX - 1;
	if (n > total - off)
		n = total - off;
	gdb.reply[0] = off + n < total ? 'm' : 'l';
	memcpy(gdb.reply + 1, arch_gdb_target_xml + off, n);
	gdb.reply_len = 1 + n;
}

static enum gdb_action handle_q(char *pkt, size_t len)
{
	(void)len;
	char buf[96];
	static const char xfer[] = "qXfer:features:read:target.xml:";
	if (strncmp(pkt, "qSupported", 10) == 0) {
		format_snprintf(buf, sizeof(buf),
		                "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;vContSupported+",
		                GDB_PACKET_MAX);
		gdb_reply_str(buf);
	} else if (strncmp(pkt, xfer, sizeof(xfer) - 1) == 0) {
		reply_target_xml(pkt + sizeof(xfer) - 1);
	} else if (strncmp(pkt, "qXfer:", 6) == 0) {
		gdb_reply_str("");
	} else if (strcmp(pkt, "qC") == 0) {
		format_snprintf(buf, sizeof(buf), "QC%x", gdb_thread_id(gdb.stop_thread));
		gdb_reply_str(buf);
	} else if (strncmp(pkt, "qAttached", 9) == 0) {
		gdb_reply_str("1");
	} else if (strcmp(pkt, "qOffsets") == 0) {
		gdb_reply_str("Text=0;Data=0;Bss=0");
	} else if (strncmp(pkt, "qSymbol", 7) == 0) {
		gdb_reply_str("OK");
	} else if (strcmp(pkt, "qfThreadInfo") == 0 || strcmp(pkt, "qsThreadInfo") == 0) {
		reply_thread_list(pkt[1] == 'f');
	} else if (strncmp(pkt, "qThreadExtraInfo,", 17) == 0) {
		struct thread *t = parse_thread(pkt + 17);
		if (!t) {
			gdb_reply_str("E01");
		} else {
			gdb_thread_describe(t, buf, sizeof(buf));
			gdb_reply_hex(buf, strlen(buf));
		}
	} else {
		gdb_reply_str("");
	}
	return GDB_REPLY;
}

static enum gdb_action handle_Q(char *pkt, size_t len)
{
	(void)len;
	if (strcmp(pkt, "QStartNoAckMode") != 0) {
		gdb_reply_str("");
		return GDB_REPLY;
	}
	/* This reply is still acknowledged; nothing after it. */
	gdb_send(&gdb.conn, "OK", 2);
	gdb.conn.no_ack = 1;
	gdb.reply_len = (size_t)-1;
	return GDB_REPLY;
}

static const gdb_handler handlers[128] = {
    ['?'] = handle_question, ['c'] = handle_c, ['D'] = handle_D, ['g'] = handle_g,
    ['G'] = handle_G,        ['H'] = handle_H, ['k'] = handle_k, ['m'] = handle_m,
    ['M'] = handle_M,        ['p'] = handle_p, ['P'] = handle_P, ['q'] = handle_q,
    ['Q'] = handle_Q,        ['s'] = handle_c, ['T'] = handle_T, ['v'] = handle_v,
    ['X'] = handle_X,        ['z'] = handle_Z, ['Z'] = handle_Z,
};

enum gdb_action gdb_serve(void)
{
	for (;;) {
		long len = gdb_receive(&gdb.conn);
		if (len < 0)
			return GDB_DETACH; /* the line is gone: let the program run on */
		char *pkt = gdb.conn.rx.buf;
		unsigned char letter = (unsigned char)pkt[0];
		gdb_handler h = len > 0 && letter < 128 ? handlers[letter] : NULL;
		gdb.reply_len = 0;
		enum gdb_action a = h ? h(pkt, (size_t)len) : GDB_REPLY;
		if (a == GDB_GO)
			return a;
		if (gdb.reply_len != (size_t)-1)
			gdb_send(&gdb.conn, gdb.reply, gdb.reply_len);
		if (a == GDB_DETACH)
			return a;
	}
}
