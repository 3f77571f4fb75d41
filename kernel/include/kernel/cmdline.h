/* Kernel command line: "option option ... -- arg arg". Words are separated by spaces and may be
 * double-quoted, with backslash escaping the next character inside or outside quotes. */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include <stddef.h>

/* Returns the next word of the string at *cursor, unquoted in place and NUL-terminated, and
 * advances *cursor past it; returns NULL at the end. A word's text never grows when unquoted. */
char *cmdline_next_word(char **cursor);

/* If word is "key=value" for this key, returns value; otherwise NULL. */
const char *cmdline_option_value(const char *word, const char *key);

/* The option words (those before "--", e.g. "virtio_mmio.device=4K@0xd0000000:5"), unquoted,
 * kept for drivers and diagnostics. Set once at boot by kernel_start; the array lives for the
 * life of the VM. */
extern char **cmdline_options;
extern int cmdline_option_count;

/* Whether the word name (an option without a value, such as "toro.madt") was given. */
int cmdline_option_given(const char *name);

#endif
