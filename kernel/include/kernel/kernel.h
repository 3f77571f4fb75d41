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

/* From the chosen app file, before the page allocator gets any RAM: reserves (with
 * kernel_memory_reserve) what the application needs at fixed addresses. kernel/app/exec.c
 * reserves the program's segments and its break; the others need nothing (a weak default in
 * kernel/core/main.c). */
void kernel_app_reserve(const struct hvm_start_info *si);

/* Keeps [start, end), rounded out to whole pages, from the page allocator. Boot only, before the
 * memory map is read (kernel_app_reserve). */
void kernel_memory_reserve(uint64_t start, uint64_t end);

/* The arguments' boot module (include/toro/abi/start_info.h), reserved: [start, end), or 0 and 0;
 * and the program `toro run --exec` sent in it after the arguments, page-aligned, or NULL and 0. */
extern uint64_t kernel_boot_module_start, kernel_boot_module_end;
extern const void *kernel_boot_program;
extern uint64_t kernel_boot_program_size;

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
