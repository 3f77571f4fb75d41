/* The `toro` command: shared declarations of its parts (build, run, the QEMU runner). */
#ifndef TOOLS_TORO_H
#define TOOLS_TORO_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "image.h"

#define TORO_EXIT_USAGE   2   /* bad options or a bad image */
#define TORO_EXIT_TIMEOUT 124 /* --timeout expired */
#define TORO_EXIT_SIGNAL  130 /* interrupted (Ctrl-C) */

#define TORO_MEM_MIN     (2ull << 20)
#define TORO_MEM_MAX     (512ull << 30)
#define TORO_MEM_DEFAULT (128ull << 20)
#define TORO_CPUS_MAX    64

enum vmm_choice { VMM_AUTO, VMM_TORO, VMM_QEMU };
enum accel_choice { ACCEL_DEFAULT, ACCEL_TCG, ACCEL_KVM };
/* Where the guest's console output goes: COM1, or a virtio console (COM1 then carries only what
 * the kernel prints before the virtio console is up). */
enum console_choice { CONSOLE_SERIAL, CONSOLE_VIRTIO };

struct run_options {
	const char *image;
	uint64_t mem; /* bytes */
	int cpus;
	double timeout; /* seconds; 0: none */
	enum vmm_choice vmm;
	enum accel_choice accel;
	enum console_choice console;
	int stats;
	int nargs; /* application arguments (after "--") */
	char **args;
};

/* Options (options.c). Both return 0, or -1 with a one-line reason in err. */
int parse_size(const char *s, uint64_t *bytes);
int parse_run_options(int argc, char **argv, struct run_options *o, char *err, size_t errlen);

/* The kernel command line for o: "toro.argv0=NAME [extra] -- args", each word quoted as the
 * kernel's cmdline_next_word expects. Returns a malloc'd string. */
char *make_kernel_cmdline(const struct run_options *o, const char *extra);

/* Appends word to buf (of size cap, NUL-terminated) quoted for the kernel; -1 if it does not
 * fit. */
int cmdline_append_word(char *buf, size_t cap, const char *word);

/* The program name for an image path: its base name without ".elf". Writes into buf. */
void image_program_name(const char *path, char *buf, size_t len);

int toro_build(int argc, char **argv);
int toro_run(int argc, char **argv);

/* Boots img under QEMU microvm and returns the guest's exit code (or TORO_EXIT_*). */
int run_qemu(const struct run_options *o, const struct image *img);

/* Whether /dev/kvm opens, and whether it is a software (nested, emulating) KVM such as kvm_pvm,
 * which cannot run FP instructions in the guest's ring 0 (DESIGN.md §4). */
int host_kvm_usable(void);
int host_kvm_is_software(void);

/* Where the tool's files are: the directory of the executable, or $TORO_HOME. */
const char *toro_home(void);

/* The usage text; whether the arguments (before "--") ask for it. */
void toro_usage(FILE *f);
int toro_wants_help(int argc, char **argv);

void toro_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
