/* The `toro` command: shared declarations of its parts (build, run, the QEMU runner). It uses
 * the monitor (vmm/vmm.h) and the host code both share (common/); neither includes this. */
#ifndef TOOLS_TORO_H
#define TOOLS_TORO_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <toro/abi/elf.h>

#include "backend/vsock.h"
#include "image.h"
#include "run.h"
#include "share.h"

enum vmm_choice { VMM_AUTO, VMM_TORO, VMM_QEMU };

/* --gdb PORT or --gdb unix:PATH (gdb.c): COM2 on a socket listening on 127.0.0.1:PORT (0: any
 * free port) or at PATH, for one gdb client at a time. --gdb vsock:PORT: the stub on the guest's
 * vsock port PORT instead, reached from 127.0.0.1:PORT by a --forward the options add. */
struct gdb_listener {
	int enabled;
	unsigned port;    /* TCP: the port asked for, then the one bound */
	const char *path; /* Unix: the socket's path, or NULL for TCP */
	unsigned vsock;   /* vsock:PORT: the port (guest and host), else 0 */
	int fd;           /* the listening socket once bound (never for vsock), else -1 */
	int path_bound;   /* the socket file is ours to remove */
};
enum accel_choice { ACCEL_DEFAULT, ACCEL_TCG, ACCEL_KVM };

/* A program for `toro run --exec` (exec.c): the whole file, and its headers as checked. */
struct exec_program {
	char *data;
	size_t size;
	struct elf_program elf;
};

struct run_options {
	const char *image; /* with --exec, the generic image (exec_image_path) */
	const char *exec;  /* --exec PROGRAM, or NULL */
	const struct exec_program *program; /* --exec's file, read before boot; or NULL */
	uint64_t mem; /* bytes */
	int cpus;
	double timeout; /* seconds; 0: none */
	enum vmm_choice vmm;
	enum accel_choice accel;
	enum console_choice console;
	int stats;
	const char *log;  /* --log FILE: the guest's console there instead of stdout; or NULL */
	const char *name; /* --name NAME: the run is recorded under it (service.c); or NULL */
	int quiet;        /* --quiet: no notices, errors only */
	int detach;       /* --detach: run in the background (service.c) */
	int npin;         /* --pin: host CPU of each vCPU (npin == cpus), or 0: not pinned */
	int pin[TORO_CPUS_MAX];
	struct gdb_listener gdb; /* --gdb */
	/* --vsock, --forward, --cid */
	struct vsock_config vsock;
	int nargs; /* application arguments (after "--") */
	char **args;
	int nenv; /* the application's environment: NAME=VALUE, malloc'd, one per NAME */
	char **env;
	int nshares; /* --share and -d, in order: share i has tag "share<i>" */
	struct share shares[SHARE_MAX];
};

/* Options (options.c). Both return 0, or -1 with a one-line reason in err. parse_run_options
 * reads --env-file files; call run_options_free on o afterwards, whatever it returned. */
int parse_size(const char *s, uint64_t *bytes);
int parse_run_options(int argc, char **argv, struct run_options *o, char *err, size_t errlen);
void run_options_free(struct run_options *o);

/* The vsock options (--vsock PATH, --forward/-f [ADDR:]HOSTPORT:GUESTPORT, --cid N) at
 * argv[*i], into c (set up by vsock_options_init first), for every command that runs a vsock
 * device. Returns 1 when it took the option (and its value: *i moves past it), 0 when
 * argv[*i] is not one of them, -1 with a one-line reason in err. */
void vsock_options_init(struct vsock_config *c);
int parse_vsock_option(int argc, char **argv, int *i, struct vsock_config *c, char *err,
                       size_t errlen);

/* `toro vhost-user DEVICE --socket PATH ...` (vhost_user.c): the device and its options, parsed
 * by parse_vhost_user_options (0, or -1 with a one-line reason in err). */
struct vhost_user_options {
	const char *kind; /* "vsock" or "fs" */
	const char *socket;
	struct vsock_config vsock;
	int nshares; /* fs: the one --share DIR[:rw] */
	struct share shares[SHARE_MAX];
};
int parse_vhost_user_options(int argc, char **argv, struct vhost_user_options *o, char *err,
                             size_t errlen);

/* --exec (exec.c): the generic image's path (beside the tool); reading and checking the program
 * for img and mem bytes of RAM (0, or TORO_EXIT_USAGE after one line on stderr; free it with
 * exec_program_free); the kernel command line for o with extra words, and the boot module
 * (*module, or NULL): arguments that do not fit the line, and --exec's program. NULL when out of
 * memory. */
const char *exec_image_path(void);
int exec_program_read(const char *path, const struct image *img, uint64_t mem,
                      struct exec_program *p);
void exec_program_free(struct exec_program *p);
char *run_boot_data(const struct run_options *o, const char *extra, char **module,
                    size_t *module_len);
/* gdb.c: parses --gdb's value into g (0, or -1 with a one-line reason in err); binds it (the
 * same; a port or socket in use is one of those reasons); prints the command that attaches gdb
 * to image, on stderr (for vsock:PORT with --vsock's vsock_path, not NULL, also the one through
 * that socket); closes the socket, removing its file if remove is set. */
int gdb_parse(const char *value, struct gdb_listener *g, char *err, size_t errlen);
int gdb_listen(struct gdb_listener *g, char *err, size_t errlen);
void gdb_print_attach(const struct gdb_listener *g, const char *image, const char *vsock_path);
void gdb_close(struct gdb_listener *g, int remove);
/* How long the forward of --gdb vsock:PORT holds a gdb that connects before the stub listens. */
#define GDB_VSOCK_HOLD_MS 60000

/* The kernel option that turns the guest's gdbstub on (toro.gdb=com2 or toro.gdb=vsock:PORT),
 * into buf. */
void gdb_kernel_word(const struct gdb_listener *g, char *buf, size_t len);

/* vsock_connect.c: a hybrid vsock socket's handshake on fd for the guest's port (0, or -1 with
 * a one-line reason in err), and the copying that follows: in to sock, sock to out, until sock
 * ends (0) or an error (-1, errno set). */
int vsock_connect_handshake(int fd, unsigned port, char *err, size_t errlen);
int vsock_relay(int in, int out, int sock);

int toro_build(int argc, char **argv);
int toro_cc(int argc, char **argv);
int toro_run(int argc, char **argv);
int toro_vhost_user(int argc, char **argv);
int toro_vsock_connect(int argc, char **argv);
int toro_new(int argc, char **argv);
int toro_ps(int argc, char **argv);
int toro_stop(int argc, char **argv);
int toro_logs(int argc, char **argv);

/* Runs o with run (service.c): with --log, stdout goes to the file; with --name, the run is
 * recorded for `toro ps`/`stop`/`logs` while it lasts; with --detach, it goes on in the
 * background and this prints "NAME PID" and returns 0. argv (the `toro run` arguments) is kept
 * in the record. Returns run's result, or TORO_EXIT_USAGE after a one-line error. */
int service_run(struct run_options *o, int argc, char **argv, int (*run)(struct run_options *));

/* Boots img under QEMU microvm and returns the guest's exit code (or TORO_EXIT_*). */
int run_qemu(const struct run_options *o, const struct image *img);

/* What every command shares (cli.c): where the tool's files are (the directory of the
 * executable, or $TORO_HOME); the usage text and whether the arguments (before "--") ask for
 * it; and "toro: message" on stderr. */
const char *toro_home(void);
void toro_usage(FILE *f);
/* help.c: one command's usage and options; the man page; `toro help [COMMAND|--man]`. */
void toro_command_help(FILE *f, const char *name);
void toro_man(FILE *f);
int toro_help(int argc, char **argv);
int toro_wants_help(int argc, char **argv);
void toro_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A notice that is not an error ("running in QEMU instead"): as toro_error, unless --quiet set
 * toro_quiet. */
extern int toro_quiet;
void toro_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whether name can name a run: 1 to 64 of [A-Za-z0-9_.-], starting with a letter or digit and
 * not all digits (a number is a PID to `toro stop`). */
int run_name_valid(const char *name);

#endif
