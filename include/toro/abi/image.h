/* The Toro image ABI: what an image says about itself in its ELF note, and the exit port
 * convention. Read by the kernel, the `toro` tool and the monitor. */
#ifndef TORO_ABI_IMAGE_H
#define TORO_ABI_IMAGE_H

/* ELF note owner "Toro"; its descriptor is one 32-bit word. */
#define TORO_NOTE_NAME  "Toro"
#define TORO_NOTE_KIND  1 /* descriptor: TORO_APP_* */
#define TORO_NOTE_FLAGS 2 /* descriptor: TORO_IMAGE_* bits */

#define TORO_APP_NATIVE 1 /* main() called by the kernel, kernel API only */
#define TORO_APP_POSIX  2 /* musl's _start, Linux syscall ABI */

/* The application was compiled without SSE/x87 (`toro build --no-fpu`). */
#define TORO_IMAGE_NO_FPU 1

/* Writing a byte to this port ends the VM with that byte as the exit code. */
#define TORO_EXIT_PORT 0xf4

/* Exit codes the kernel itself uses. A CPU exception ends the VM with
 * TORO_EXIT_FAULT_BASE + vector (128 = divide error, 142 = page fault). */
#define TORO_EXIT_PANIC      125
#define TORO_EXIT_DEADLOCK   126 /* all threads blocked */
#define TORO_EXIT_FAULT_BASE 128

#endif
