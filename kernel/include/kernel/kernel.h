/* Kernel-wide boot state and the hand-off to the application. */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/* The application's arguments and environment, from the kernel command line:
 * "option... -- arg..." (see docs/architecture.md, "Command line"). */
struct app_args {
	int argc;
	char **argv; /* argc entries then NULL; argv[0] from toro.argv0= or "app" */
	int envc;
	char **envp; /* envc entries then NULL: NAME=value options whose NAME has no '.' */
};

/* Defined by exactly one of kernel/app/native.c and kernel/app/posix.c, chosen by `toro build`.
 * Runs the application on the stack whose top is given; never returns. */
_Noreturn void kernel_app_start(void *stack_top, const struct app_args *args);

/* Also from the chosen app file: what must be set up before the other cores start (the
 * descriptor table and the syscall MSRs for POSIX images). */
void kernel_app_prepare(void);

struct hvm_start_info;

/* Only in the image of `toro run --exec` (kernel/app/exec.c; a weak reference, NULL in any
 * other image, which pays nothing for it): before memory is set up, takes the program out of the
 * arguments' boot module and keeps the memory it must run at from the page allocator, by marking
 * it reserved in si's memory map. */
void kernel_app_reserve(struct hvm_start_info *si) __attribute__((weak));

/* Ends the VM with code (0..255) once the consoles have delivered their output (exit.c). */
_Noreturn void kernel_exit(int code);

/* Finds and starts the devices named on the command line (kernel/drivers). Boot only. */
void drivers_init(void);

/* The port to which the exit code is also written before exiting (toro.debugcon=), or 0.
 * Set by kernel_start from the command line; defined in exit.c. */
extern uint16_t kernel_debugcon_port;

/* The size of the application's main stack in bytes (kernel/core/main.c), for RLIMIT_STACK. */
extern size_t kernel_app_stack_size;

#endif
