/* The kernel command line as the host writes it: words quoted the way the kernel's
 * cmdline_next_word (kernel/core/cmdline.c) splits them, used by the tool for both monitors. */
#ifndef COMMON_CMDLINE_H
#define COMMON_CMDLINE_H

#include <stddef.h>
#include <stdint.h>

/* Environment and arguments whose quoted words take more than this travel in a boot module
 * (TORO_ARGS_MAGIC, include/toro/abi/start_info.h) rather than on the command line. */
#define CMDLINE_ARGS_INLINE_MAX 2048

/* "toro.argv0=NAME toro.realtime=NS [extra] [$TORO_KERNEL_OPTIONS] [env] -- args" for the image
 * at image_path, each word quoted; extra is inserted as it is (already quoted); env holds the
 * application's NAME=VALUE words. When module is not NULL and the env words, "--" and the args
 * take more than CMDLINE_ARGS_INLINE_MAX bytes, they are left off the line and *module gets
 * them as the argument module's text (malloc'd, *module_len bytes with the magic and the NUL),
 * else *module is NULL. Returns a malloc'd string, or NULL when out of memory. Its length is
 * not limited here: the monitor adds words of its own, then calls cmdline_check. */
char *cmdline_build(const char *image_path, const char *extra, int nenv, char *const *env,
                    int nargs, char *const *args, char **module, size_t *module_len);

/* Whether the whole kernel command line fits what the kernel takes (TORO_CMDLINE_MAX, with the
 * NUL): 0, or -1 with a one-line reason in err. A longer line is refused, never cut. */
int cmdline_check(const char *line, char *err, size_t errlen);

/* Whether an argument module of len bytes suits a guest with mem bytes of RAM: 0, or -1 with a
 * one-line reason in err. */
int cmdline_check_module(size_t len, uint64_t mem, char *err, size_t errlen);

/* Appends word to buf (of size cap, NUL-terminated) quoted for the kernel; -1 if it does not
 * fit. */
int cmdline_append_word(char *buf, size_t cap, const char *word);

/* "toro.tty=IOE[,ROWS,COLS]" into buf: I, O, E are 1 where the guest's stdin, stdout, stderr
 * reach a host terminal (kernel/core/console_file.c makes isatty say so), ROWS and COLS that
 * terminal's size. separate: the guest's streams are separate (a virtio console: stdin is the
 * host's, stdout and stderr each their own); otherwise (COM1 alone) stdout and stderr are both
 * the host's stdout and there is no stdin. */
void cmdline_tty_word(char *buf, size_t len, int separate);

/* The program name for an image path: its base name without ".elf". Writes into buf. */
void image_program_name(const char *path, char *buf, size_t len);

#endif
