/* What a run of an image means to both the `toro` tool and the built-in monitor, whichever of
 * them (or QEMU) boots it: the exit statuses the host adds to the guest's, the limits of a
 * machine, and where the guest's console goes. */
#ifndef COMMON_RUN_H
#define COMMON_RUN_H

#define TORO_EXIT_USAGE   2   /* bad options or a bad image */
#define TORO_EXIT_TIMEOUT 124 /* --timeout expired */
#define TORO_EXIT_SIGNAL  130 /* interrupted (Ctrl-C) */

#define TORO_MEM_MIN     (2ull << 20)
#define TORO_MEM_MAX     (512ull << 30)
#define TORO_MEM_DEFAULT (128ull << 20)
#define TORO_CPUS_MAX    64

/* Where the guest's console output goes: COM1, or a virtio console (COM1 then carries only what
 * the kernel prints before the virtio console is up). */
enum console_choice { CONSOLE_SERIAL, CONSOLE_VIRTIO };

#endif
