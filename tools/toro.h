/* The `toro` command: shared declarations of its parts (build, run, the QEMU runner). It uses
 * the monitor (vmm/vmm.h) and the host code both share (common/); neither includes this. */
#ifndef TOOLS_TORO_H
#define TOOLS_TORO_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "backend/vsock.h"
#include "image.h"
#include "run.h"
#include "share.h"

enum vmm_choice { VMM_AUTO, VMM_TORO, VMM_QEMU };
enum accel_choice { ACCEL_DEFAULT, ACCEL_TCG, ACCEL_KVM };

struct run_options {
	const char *image;
	uint64_t mem; /* bytes */
	int cpus;
	double timeout; /* seconds; 0: none */
	enum vmm_choice vmm;
	enum accel_choice accel;
	enum console_choice console;
	int stats;
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

int toro_build(int argc, char **argv);
int toro_cc(int argc, char **argv);
int toro_run(int argc, char **argv);
int toro_vhost_user(int argc, char **argv);

/* Boots img under QEMU microvm and returns the guest's exit code (or TORO_EXIT_*). */
int run_qemu(const struct run_options *o, const struct image *img);

/* What every command shares (cli.c): where the tool's files are (the directory of the
 * executable, or $TORO_HOME); the usage text and whether the arguments (before "--") ask for
 * it; and "toro: message" on stderr. */
const char *toro_home(void);
void toro_usage(FILE *f);
int toro_wants_help(int argc, char **argv);
void toro_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
