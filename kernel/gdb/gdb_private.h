/* What the gdb stub's files share: the connection, the stop in progress, the threads. */
#ifndef KERNEL_GDB_PRIVATE_H
#define KERNEL_GDB_PRIVATE_H

#include <kernel/cpu.h>
#include <kernel/gdb.h>

#include "packet.h"

/* Idle threads have no tid; gdb sees core N's as thread GDB_IDLE_ID + N. */
#define GDB_IDLE_ID 0x40000000 /* above any tid a run reaches */

/* One core while everything is stopped. */
struct gdb_core {
	struct trap_frame *frame; /* its registers, saved by the exception or the NMI */
	int step;                 /* resume it single-stepping */
	volatile int hold;        /* gdb did not resume its thread: it stays stopped */
	int fault;                /* the stop was its fault (the signal) */
	int deliver;              /* resumed with the fault's signal: report the fault */
	struct gdb_event pending; /* its trap while another core stopped (signal 0: none), reported
	                           * before it runs again */
};

struct gdb_stub {
	struct gdb_conn conn;
	struct gdb_core core[CPU_MAX];
	struct thread *g_thread; /* Hg: whose registers g, p and friends mean */
	struct thread *c_thread; /* Hc: which thread s steps */
	struct thread *stop_thread;
	char stop_reply[64];
	int reply_due;          /* gdb resumed us with c/s/vCont: the next stop answers it */
	unsigned thread_cursor; /* qsThreadInfo goes on from here */
	char reply[GDB_PACKET_MAX + 1];
	size_t reply_len;
};

extern struct gdb_stub gdb;

/* What a packet handler asks of the loop (handlers.c). */
enum gdb_action {
	GDB_REPLY,  /* send gdb.reply, read the next packet */
	GDB_GO,     /* resume every core (no reply now: the next stop is the answer) */
	GDB_DETACH, /* send the reply, forget breakpoints, resume for good */
};

/* The line to gdb: COM2 (hooks.c over kernel/arch/x86_64/gdb.c) or a vsock port (vsock.c). */
struct gdb_transport {
	const char *name; /* in the boot's message: "COM2" */
	int (*getc)(void *ctx);
	void (*write)(void *ctx, const char *s, size_t len);
	/* From core 0's timer interrupt while the program runs: what gdb sent meanwhile. */
	void (*poll)(void);
	/* Around a stop, on the core that owns it: before the other cores are stopped, and after
	 * they go on. NULL if the line needs neither. */
	void (*hold)(void);
	void (*release)(void);
};
extern const struct gdb_transport *gdb_transport;

/* stop.c: the boot's wait for gdb on t (toro.gdb=), and the exit code gdb is told. */
void gdb_start(const struct gdb_transport *t);
/* 1 from that boot on: the line is watched for gdb, attached or not. */
extern volatile int gdb_listening;
/* vsock.c: toro.gdb=vsock:PORT (the value after "vsock:"): starts the stub there, or says in
 * one line why not. */
void gdb_vsock_start(const char *port);
/* hooks.c: starts looking for Ctrl-C from core 0's timer (the caller runs on core 0). */
void gdb_poll_start(void);
void gdb_report_exit(int code);

/* handlers.c: talks to gdb until it resumes us. */
enum gdb_action gdb_serve(void);
/* access.c: takes out every software breakpoint (detach). */
void gdb_sw_break_remove_all(void);

/* threads.c: gdb's view of the kernel's threads. Every thread is on a list from its
 * allocation (hooks.c) until it exits. */
void gdb_thread_add(struct thread *t);
void gdb_thread_remove(struct thread *t);
unsigned gdb_thread_id(const struct thread *t);
struct thread *gdb_thread_find(unsigned id);
/* The idx-th thread gdb sees (idle threads included), or NULL past the last. */
struct thread *gdb_thread_at(unsigned idx);
/* The core t is running on while stopped, or NULL if it is switched out. */
struct cpu *gdb_thread_core(const struct thread *t);
/* "core N, STATE, NAME" into buf. */
void gdb_thread_describe(const struct thread *t, char *buf, size_t cap);
/* Where gdb should find t's registers. */
void gdb_thread_regs(struct thread *t, struct gdb_regs *r);

/* hex.c: replies into gdb.reply, and parsing. */
void gdb_reply_str(const char *s);
void gdb_reply_hex(const void *data, size_t len);
void gdb_reply_append_hex(const void *data, size_t len);
/* A hex number at *p (at most 16 digits); advances *p past it. -1 if there is none. */
int gdb_parse_hex(const char **p, uint64_t *out);
/* "ADDR,LEN" then the character end (':' or '\0'); advances *p past end. */
int gdb_parse_addr_len(const char **p, uint64_t *addr, uint64_t *len, char end);
/* len bytes of hex at p into out; -1 if any is not hex. */
int gdb_hex_decode(const char *p, uint8_t *out, size_t len);
/* A thread id in H and T packets: hex, "0" for any, "-1" for all (both the stopped thread). */
struct thread *gdb_parse_thread(const char *p);

/* access.c: the handlers of g, G, p, P, m, M, X, Z and z. */
enum gdb_action gdb_handle_g(char *pkt, size_t len);
enum gdb_action gdb_handle_G(char *pkt, size_t len);
enum gdb_action gdb_handle_p(char *pkt, size_t len);
enum gdb_action gdb_handle_P(char *pkt, size_t len);
enum gdb_action gdb_handle_m(char *pkt, size_t len);
enum gdb_action gdb_handle_M(char *pkt, size_t len);
enum gdb_action gdb_handle_X(char *pkt, size_t len);
enum gdb_action gdb_handle_Z(char *pkt, size_t len);

#endif
