/* `toro run --exec PROGRAM`: a static x86-64 Linux executable built elsewhere runs in the generic
 * image (toro-exec.elf beside the tool, kernel/app/exec.c). The program is checked here before
 * boot with the kernel loader's own checks (kernel/lib/elf_program.c), so that a dynamically
 * linked or malformed file is refused with one line and exit 2, then sent after the arguments in
 * the boot module (include/toro/abi/start_info.h), which QEMU's -initrd carries too. */
#include "toro.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <toro/abi/elf.h>
#include <toro/abi/start_info.h>

#include "cmdline.h"
#include "kvm/layout.h"

#define EXEC_IMAGE_NAME "toro-exec.elf"

const char *exec_image_path(void)
{
	static char path[4096 + sizeof(EXEC_IMAGE_NAME)];
	snprintf(path, sizeof(path), "%s/%s", toro_home(), EXEC_IMAGE_NAME);
	return path;
}

static uint64_t page_up(uint64_t a)
{
	return (a + TORO_ARGS_PROGRAM_ALIGN - 1) & ~(uint64_t)(TORO_ARGS_PROGRAM_ALIGN - 1);
}

/* The whole file into p, if it is a regular file that fits the boot module of a guest with mem
 * bytes of RAM: at most a quarter of it, as arguments may take (common/cmdline.c). 0, or -1 after
 * one line on stderr. */
static int program_file_read(const char *path, uint64_t mem, struct exec_program *p)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		toro_error("run: --exec %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		toro_error("run: --exec %s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > mem / 4) {
		toro_error(
		    "run: --exec %s: %lld bytes, more than a quarter of the guest's %llu MiB "
		    "of RAM (give it more with --mem)",
		    path, (long long)st.st_size, (unsigned long long)(mem >> 20));
		close(fd);
		return -1;
	}
	p->size = (size_t)st.st_size;
	p->data = malloc(p->size ? p->size : 1);
	size_t done = 0;
	while (p->data && done < p->size) {
		ssize_t n = read(fd, p->data + done, p->size - done);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			break;
		done += n > 0 ? (size_t)n : 0;
	}
	close(fd);
	if (!p->data || done != p->size) {
		toro_error("run: --exec %s: %s", path,
		           p->data ? "could not read it all" : "out of memory");
		free(p->data);
		p->data = NULL;
		return -1;
	}
	return 0;
}

int exec_program_read(const char *path, const struct image *img, uint64_t mem,
                      struct exec_program *p)
{
	memset(p, 0, sizeof(*p));
	if (program_file_read(path, mem, p))
		return TORO_EXIT_USAGE;
	const char *bad = elf_program_check(p->data, p->size, &p->elf);
	if (bad) {
		toro_error("run: --exec %s: %s", path, bad);
		goto refuse;
	}
	/* As the kernel places it: above the image's end, below the module at the top of the RAM
	 * under the device hole (the arguments' own check comes later). */
	uint64_t floor = page_up(img->load_end);
	uint64_t low_ram = mem < LAYOUT_LOW_RAM_MAX ? mem : LAYOUT_LOW_RAM_MAX;
	uint64_t module = TORO_ARGS_PROGRAM_ALIGN + page_up(p->size + 1);
	uint64_t limit = low_ram > module ? low_ram - module : 0, bias;
	if ((bad = elf_program_place(&p->elf, floor, limit, &bias))) {
		toro_error(
		    "run: --exec %s: %s (they take [%#llx, %#llx); the kernel ends at %#llx, "
		    "and the guest has %llu MiB of RAM%s)",
		    path, bad, (unsigned long long)p->elf.lo, (unsigned long long)p->elf.hi,
		    (unsigned long long)floor, (unsigned long long)(mem >> 20),
		    p->elf.pie || p->elf.lo >= floor ? ": give it more with --mem" : "");
		goto refuse;
	}
	return 0;
refuse:
	exec_program_free(p);
	return TORO_EXIT_USAGE;
}

void exec_program_free(struct exec_program *p)
{
	free(p->data);
	p->data = NULL;
}

char *run_boot_data(const struct run_options *o, const char *extra, char **module,
                    size_t *module_len)
{
	const char *name = o->exec ? o->exec : o->image;
	char *line =
	    cmdline_build(name, extra, o->nenv, o->env, o->nargs, o->args, module, module_len);
	if (!line || !o->program)
		return line;
	/* The arguments' text if they did not fit the line (it ends with its NUL), else none;
	 * then the program at the next page boundary, then a NUL. */
	size_t text = *module ? *module_len - TORO_ARGS_MAGIC_LEN - 1 : 0;
	size_t at = page_up(TORO_ARGS_MAGIC_LEN + text + 1);
	char *m = calloc(1, at + o->program->size + 1);
	if (!m) {
		free(line);
		free(*module);
		*module = NULL;
		return NULL;
	}
	uint64_t magic = TORO_ARGS_MAGIC;
	memcpy(m, &magic, TORO_ARGS_MAGIC_LEN);
	if (*module)
		memcpy(m + TORO_ARGS_MAGIC_LEN, *module + TORO_ARGS_MAGIC_LEN, text);
	memcpy(m + at, o->program->data, o->program->size);
	free(*module);
	*module = m;
	*module_len = at + o->program->size + 1; /* a last NUL, as an arguments module has */
	return line;
}
