/* The kernel command line as the host writes it: words quoted the way the kernel's
 * cmdline_next_word (kernel/core/cmdline.c) splits them, used by the tool for both monitors. */
#ifndef COMMON_CMDLINE_H
#define COMMON_CMDLINE_H

#include <stddef.h>

/* "toro.argv0=NAME toro.realtime=NS [extra] [$TORO_KERNEL_OPTIONS] -- args" for the image at
 * image_path, each word quoted; extra is inserted as it is (already quoted). Returns a malloc'd
 * string, or NULL when out of memory or a word does not fit. */
char *cmdline_build(const char *image_path, const char *extra, int nargs, char **args);

/* Appends word to buf (of size cap, NUL-terminated) quoted for the kernel; -1 if it does not
 * fit. */
int cmdline_append_word(char *buf, size_t cap, const char *word);

/* The program name for an image path: its base name without ".elf". Writes into buf. */
void image_program_name(const char *path, char *buf, size_t len);

#endif
