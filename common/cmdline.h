/* The kernel command line as the host writes it: words quoted the way the kernel's
 * cmdline_next_word (kernel/core/cmdline.c) splits them, used by the tool for both monitors. */
#ifndef COMMON_CMDLINE_H
#define COMMON_CMDLINE_H

#include <stddef.h>

/* "toro.argv0=NAME toro.realtime=NS [extra] [env] [$TORO_KERNEL_OPTIONS] -- args" for the image
 * at image_path, each word quoted; extra is inserted as it is (already quoted); env holds the
 * application's NAME=VALUE words. Returns a malloc'd string, or NULL when out of memory. Its
 * length is not limited here: the monitor adds words of its own, then calls cmdline_check. */
char *cmdline_build(const char *image_path, const char *extra, int nenv, char *const *env,
                    int nargs, char *const *args);

/* Whether the whole kernel command line fits what the kernel takes (TORO_CMDLINE_MAX, with the
 * NUL): 0, or -1 with a one-line reason in err. A longer line is refused, never cut. */
int cmdline_check(const char *line, char *err, size_t errlen);

/* Appends word to buf (of size cap, NUL-terminated) quoted for the kernel; -1 if it does not
 * fit. */
int cmdline_append_word(char *buf, size_t cap, const char *word);

/* The program name for an image path: its base name without ".elf". Writes into buf. */
void image_program_name(const char *path, char *buf, size_t len);

#endif
