/* The tool's help, from one table: every command with its synopsis, what it does and its
 * options. `toro --help` (every synopsis), `toro CMD --help` (one command and its options) and
 * the man page (`toro help --man` > docs/toro.1, checked by tests/e2e/help.sh, as is README.md
 * naming every option) are all printed from it, so they cannot disagree. */
#include "toro.h"

#include <stdio.h>
#include <string.h>

struct help_option {
	const char *flags; /* "-l, --log FILE" */
	const char *text;
};

struct help_command {
	const char *name;
	const char *synopsis; /* after "toro NAME " */
	const char *summary;
	const struct help_option *options; /* ends with {NULL} */
};

static const struct help_option new_options[] = {
    {"--posix", "a POSIX program: printf through musl (the default)"},
    {"--native", "a native program: the kernel's own API, no libc"},
    {"--web", "the example web server (POSIX, HTTP/1.1) and a www/ for it to serve"},
    {NULL, NULL},
};

static const struct help_option build_options[] = {
    {"-o IMAGE", "the image to write (a single DIR without -o: BASENAME.elf here)"},
    {"--native", "a native program (include/toro, no libc); POSIX with musl otherwise"},
    {"--no-fpu", "compile without SSE/x87, for a software KVM such as kvm_pvm"},
    {"-g", "keep DWARF in the image, for gdb (docs/debugging.md)"},
    {"-O2, -W..., -f..., -std=...", "compile options, passed on to gcc"},
    {"-IDIR, -DNAME[=VALUE], -UNAME", "preprocessor options"},
    {"-lLIB", "link a library"},
    {"-j N", "compile N sources at once (default: one per core)"},
    {"-v, --verbose", "print the commands and object cache hits"},
    {"-q, --quiet", "no progress (a line per file on a terminal) and no line saying what was built"},
    {"--exec-image", "link the image that run --exec boots (make does; no sources)"},
    {NULL, NULL},
};

static const struct help_option cc_options[] = {
    {"--native, --no-fpu", "as for toro build"},
    {"-c, -S, -E, -M, -MM", "compile (or preprocess) only, with toro build's options"},
    {"-o OUT", "the output (default a.out: an image when linking)"},
    {NULL, NULL},
};

static const struct help_option run_options[] = {
    {"--exec PROGRAM", "run a static x86-64 Linux program built elsewhere (no IMAGE)"},
    {"--mem SIZE", "guest RAM, 2M to 512G (default 128M)"},
    {"--cpus N", "vCPUs, 1 to 64 (default 1)"},
    {"--timeout SEC", "stop the guest after SEC seconds and exit 124"},
    {"--vmm auto|toro|qemu", "the monitor: built-in (KVM) or QEMU (default auto)"},
    {"--accel tcg|kvm", "QEMU's accelerator (implies --vmm qemu)"},
    {"--console serial|virtio", "COM1 alone, or also a virtio console"},
    {"--stats", "print boot time, VM exits, pages touched after the run"},
    {"-p, --pin CPU[,CPU...]", "put vCPU i on the i-th host CPU (one per vCPU; ranges A-B)"},
    {"-l, --log FILE", "the guest's console to FILE instead of stdout"},
    {"-q, --quiet", "no notices, errors only"},
    {"--name NAME", "record the run under NAME for toro ps, stop and logs"},
    {"--detach", "run in the background; print NAME PID"},
    {"--vsock PATH", "a virtio-vsock device; host connections through PATH"},
    {"-f, --forward [ADDR:]HOSTPORT:GUESTPORT", "listen on HOSTPORT, connect to GUESTPORT"},
    {"--cid N", "the guest's vsock CID (default 3)"},
    {"--gdb PORT|unix:PATH|vsock:PORT", "COM2 for gdb on 127.0.0.1:PORT (0: any) or PATH, or vsock:PORT; a -g image waits"},
    {"-d, --share DIR[:rw][:/MOUNT]", "a host directory the guest sees at MOUNT (default /)"},
    {"-e, --env NAME=VALUE", "an environment variable for the program"},
    {"--env-file FILE", "NAME=VALUE lines for the program's environment"},
    {NULL, NULL},
};

static const struct help_option no_options[] = {{NULL, NULL}};

static const struct help_option vhost_user_options[] = {
    {"--socket PATH", "the Unix socket QEMU connects to (required)"},
    {"--vsock PATH, -f, --forward ..., --cid N", "vsock: as for toro run"},
    {"--share DIR[:rw]", "fs: the directory to serve (required)"},
    {NULL, NULL},
};

static const struct help_command commands[] = {
    {"new", "NAME [--posix|--native] [--web]", "make a starter project in the new directory NAME",
     new_options},
    {"build", "SRC...|DIR [-o IMAGE] [OPTIONS]",
     "compile C and assembly with the kernel into a bootable image", build_options},
    {"cc", "[--native] [--no-fpu] [-c|-S|-E] GCC-OPTIONS... FILES... [-o OUT]",
     "a C compiler driver for existing Makefiles and configure scripts", cc_options},
    {"run", "IMAGE|--exec PROGRAM [OPTIONS] [NAME=VALUE]... [-- ARGS...]",
     "boot an image, or a static Linux program, as a microVM", run_options},
    {"ps", "", "list the live runs started with --name or --detach", no_options},
    {"stop", "NAME|PID", "stop a run (SIGTERM) and wait for it to end", no_options},
    {"logs", "NAME", "print a run's log (a detached run's, also after it ended)", no_options},
    {"vhost-user", "vsock|fs --socket PATH [OPTIONS]", "serve a device to QEMU over vhost-user",
     vhost_user_options},
    {"vsock-connect", "PATH PORT",
     "stdin and stdout to a guest's vsock PORT through a Firecracker-style socket (for gdb)",
     no_options},
    {"version", "", "print the version", no_options},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct help_command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

void toro_usage(FILE *f)
{
	fputs("usage: toro COMMAND [ARGUMENTS]\n\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  toro %s%s%s\n        %s\n", commands[i].name,
		        *commands[i].synopsis ? " " : "", commands[i].synopsis,
		        commands[i].summary);
	fputs("\n`toro COMMAND --help` lists a command's options; docs/toro.1 is the manual.\n", f);
}

void toro_command_help(FILE *f, const char *name)
{
	const struct help_command *c = find_command(name);
	if (!c) {
		toro_usage(f);
		return;
	}
	fprintf(f, "usage: toro %s%s%s\n%s\n", c->name, *c->synopsis ? " " : "", c->synopsis,
	        c->summary);
	if (c->options[0].flags)
		fputs("\noptions:\n", f);
	for (const struct help_option *o = c->options; o->flags; o++) {
		int width = (int)strlen(o->flags);
		if (width <= 28)
			fprintf(f, "  %-28s  %s\n", o->flags, o->text);
		else
			fprintf(f, "  %s\n  %-28s  %s\n", o->flags, "", o->text);
	}
}

/* s for troff: '-' as "\-" (a minus, so that options copy and search right), '\' doubled, and a
 * leading '.' or '\'' guarded. */
static void man_text(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '-')
			fputs("\\-", f);
		else if (*s == '\\')
			fputs("\\e", f);
		else
			fputc(*s, f);
	}
}

void toro_man(FILE *f)
{
	fputs(".\\\" Generated by `toro help --man` from tools/help.c; do not edit.\n"
	      ".TH TORO 1 \"\" \"toro\" \"User Commands\"\n"
	      ".SH NAME\n"
	      "toro \\- build C programs into Toro unikernel images and run them as microVMs\n"
	      ".SH SYNOPSIS\n",
	      f);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		fprintf(f, "%s.B toro ", i ? ".br\n" : "");
		man_text(f, commands[i].name);
		fputc('\n', f);
		if (*commands[i].synopsis) {
			man_text(f, commands[i].synopsis);
			fputc('\n', f);
		}
	}
	fputs(".SH COMMANDS\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct help_command *c = &commands[i];
		fputs(".SS \"toro ", f);
		man_text(f, c->name);
		if (*c->synopsis) {
			fputc(' ', f);
			man_text(f, c->synopsis);
		}
		fputs("\"\n", f);
		man_text(f, c->summary);
		fputs(".\n", f);
		for (const struct help_option *o = c->options; o->flags; o++) {
			fputs(".TP\n.B ", f);
			man_text(f, o->flags);
			fputc('\n', f);
			man_text(f, o->text);
			fputc('\n', f);
		}
	}
	fputs(
	    ".SH EXIT STATUS\n"
	    "toro run exits with the program's exit code; 2 for bad options or a bad image\n"
	    "(one line on stderr), 3 when the guest dies, 124 on \\-\\-timeout, 130 when stopped\n"
	    "by a signal (Ctrl\\-C, SIGTERM, toro stop).\n"
	    ".SH FILES\n"
	    ".TP\n"
	    ".B $XDG_RUNTIME_DIR/toro\n"
	    "the runs' records and logs (/tmp/toro\\-UID without XDG_RUNTIME_DIR)\n"
	    ".TP\n"
	    ".B $XDG_CACHE_HOME/toro\n"
	    "toro build's object cache (~/.cache/toro by default)\n",
	    f);
}

int toro_help(int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "--man") == 0) {
		toro_man(stdout);
		return 0;
	}
	if (argc == 1 && find_command(argv[0])) {
		toro_command_help(stdout, argv[0]);
		return 0;
	}
	if (argc == 0) {
		toro_usage(stdout);
		return 0;
	}
	if (argc == 1)
		toro_error("help: no command '%s' (toro --help lists them)", argv[0]);
	else
		toro_error("help: expected one COMMAND or --man");
	return TORO_EXIT_USAGE;
}
