/* The conversation with gdb while the machine is stopped: one handler per packet letter, in a
 * table indexed by it (a letter without one gets the empty reply, "not supported"); here the
 * ones that resume, end, or ask about threads and the target. access.c has the rest. */
#include "gdb_private.h"

#include <kernel/arch.h>
#include <kernel/format.h>
#include <kernel/string.h>

#define GDB_EXIT_KILLED 137 /* 128 + SIGKILL, as a shell shows a killed program */

typedef enum gdb_action (*gdb_handler)(char *pkt, size_t len);

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
		if ((action == 'C' || action == 'S') && gdb_parse_hex(&p, &signal))
			return gdb_reply_str("E01"), GDB_REPLY;
		if (*p == ':' && p[1] != '-') {
			p++;
			if (gdb_parse_hex(&p, &id))
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
	struct thread *t = gdb_parse_thread(pkt + 2);
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
	gdb_reply_str(gdb_parse_thread(pkt + 1) ? "OK" : "E01");
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
		gdb.reply_len +=
		    format_snprintf(gdb.reply + gdb.reply_len, 10, "%x", gdb_thread_id(t));
	}
}

/* qXfer:features:read:target.xml:OFFSET,LENGTH: a window of the target description, 'm' if
 * more follows, 'l' for the last part. */
static void reply_target_xml(const char *p)
{
	uint64_t off, n;
	size_t total = strlen(arch_gdb_target_xml);
	if (gdb_parse_addr_len(&p, &off, &n, '\0')) {
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
		format_snprintf(
		    buf, sizeof(buf),
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
		struct thread *t = gdb_parse_thread(pkt + 17);
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
    ['?'] = handle_question, ['c'] = handle_c,     ['D'] = handle_D,     ['g'] = gdb_handle_g,
    ['G'] = gdb_handle_G,    ['H'] = handle_H,     ['k'] = handle_k,     ['m'] = gdb_handle_m,
    ['M'] = gdb_handle_M,    ['p'] = gdb_handle_p, ['P'] = gdb_handle_P, ['q'] = handle_q,
    ['Q'] = handle_Q,        ['s'] = handle_c,     ['T'] = handle_T,     ['v'] = handle_v,
    ['X'] = gdb_handle_X,    ['z'] = gdb_handle_Z, ['Z'] = gdb_handle_Z,
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
