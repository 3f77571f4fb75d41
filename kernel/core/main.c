/* The kernel's C entry: take what the monitor handed over (start_info, memory map, command line),
 * bring up memory, split the command line into options and the application's arguments, and
 * start the application on its own stack. */
#include <kernel/arch.h>
#include <kernel/cmdline.h>
#include <kernel/cpu.h>
#include <kernel/kernel.h>
#include <kernel/mm.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/string.h>
#include <kernel/time.h>
#include <toro/abi/start_info.h>

#define CMDLINE_MAX       TORO_CMDLINE_MAX
#define LOW_MEMORY_END    0x100000 /* below 1 MiB: firmware tables and future SMP trampoline */
#define APP_STACK_MIN     (64ul << 10)
#define APP_STACK_MAX     (8ul << 20)
#define APP_STACK_RAM_DIV 16

extern char _end[];

/* The command line is copied here before any page is handed out, wherever the monitor put it;
 * argv strings point into it for the life of the VM. */
static char cmdline[CMDLINE_MAX] __attribute__((section(".noinit.cmdline")));

/* The arguments module, if the monitor gave one: its text (after the magic line) and the pages it
 * occupies, which the page allocator never gets (argv strings point into it). */
static char *args_text;
static uint64_t args_start, args_end;

/* Boot modules lie below 4 GiB (the boot identity map); ours is the one that starts with
 * TORO_ARGS_MAGIC and ends with a NUL. Any other is not for us and is left alone. */
static void args_module_find(const struct hvm_start_info *si)
{
	const struct hvm_modlist_entry *m = (const void *)(uintptr_t)si->modlist_paddr;
	for (uint32_t i = 0; i < si->nr_modules && i < 16; i++) {
		uint64_t start = m[i].paddr, end = start + m[i].size;
		const char *text = (const char *)(uintptr_t)start;
		if (start >= LOW_MEMORY_END && end <= (4ull << 30) &&
		    end > start + TORO_ARGS_MAGIC_LEN &&
		    *(const uint64_t *)text == TORO_ARGS_MAGIC && text[end - start - 1] == 0) {
			args_text = (char *)text + TORO_ARGS_MAGIC_LEN;
			args_start = start & ~(uint64_t)(PAGE_SIZE - 1);
			args_end = (end + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
			return;
		}
	}
}

static void cmdline_copy(const struct hvm_start_info *si)
{
	const char *src = (const char *)(uintptr_t)si->cmdline_paddr;
	size_t n = 0;
	if (src)
		while (n < CMDLINE_MAX - 1 && (cmdline[n] = src[n]))
			n++;
	cmdline[n] = '\0';
	if (src && src[n])
		printk("warning: kernel command line longer than %d bytes; the rest is ignored\n",
		       CMDLINE_MAX - 1);
}

/* RAM below 4 GiB is given to the allocator first, so that the page tables for RAM above it (the
 * PDPT above 512 GiB, and page directories with 2 MiB pages) can come from there. */
static void memory_add(const struct hvm_memmap_table_entry *map, uint32_t n, int high)
{
	const uint64_t four_gib = 4ull << 30;
	uint64_t floor = ((uintptr_t)_end > LOW_MEMORY_END) ? (uintptr_t)_end : LOW_MEMORY_END;
	for (uint32_t i = 0; i < n; i++) {
		if (map[i].type != HVM_MEMMAP_RAM)
			continue;
		uint64_t start = map[i].addr, end = map[i].addr + map[i].size;
		if (end < start || end > ARCH_MAX_RAM)
			end = ARCH_MAX_RAM;
		if (start < floor)
			start = floor;
		if (high && start < four_gib)
			start = four_gib;
		if (!high && end > four_gib)
			end = four_gib;
		if (start < args_start && end > args_start) {
			mm_add_range(start, args_start);
			start = args_end;
		} else if (start >= args_start && start < args_end) {
			start = args_end;
		}
		if (start < end)
			mm_add_range(start, end);
	}
}

static void memory_init(const struct hvm_start_info *si)
{
	if (si->version < HVM_START_VERSION_MEMMAP || si->memmap_entries == 0)
		panic("start_info has no memory map (version %u)", si->version);
	const struct hvm_memmap_table_entry *map = (const void *)(uintptr_t)si->memmap_paddr;
	uint64_t top = 0;
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		if (map[i].type == HVM_MEMMAP_RAM && map[i].addr + map[i].size > top)
			top = map[i].addr + map[i].size;
	if (top > ARCH_MAX_RAM) {
		printk("warning: RAM above %llu GiB is not used\n", ARCH_MAX_RAM >> 30);
		top = ARCH_MAX_RAM;
	}
	mm_ram_top = top;
	memory_add(map, si->memmap_entries, 0);
	arch_map_ram(top);
	memory_add(map, si->memmap_entries, 1);
}

/* Options before "--": toro.argv0=NAME names the program, toro.realtime=NS sets the wall clock
 * (nanoseconds since 1970 at boot), toro.debugcon=PORT repeats the exit code there, NAME=value
 * without a '.' in NAME goes to the environment (as Linux does for init); anything else
 * (virtio_mmio.device=, console=...) is for drivers or ignored. */
static int option_is_env(const char *word)
{
	const char *eq = NULL;
	for (const char *p = word; *p && !eq; p++) {
		if (*p == '.')
			return 0;
		if (*p == '=')
			eq = p;
	}
	return eq && eq != word;
}

static unsigned long parse_number(const char *s)
{
	unsigned long v = 0, base = 10;
	if (s[0] == '0' && (s[1] | 0x20) == 'x') {
		base = 16;
		s += 2;
	}
	for (;; s++) {
		unsigned long c = (unsigned char)*s, lower = c | 0x20, d;
		if (c - '0' < 10)
			d = c - '0';
		else if (lower - 'a' < 6)
			d = lower - 'a' + 10;
		else
			break;
		if (d >= base)
			break;
		v = v * base + d;
	}
	return v;
}

/* At least the number of words in s: runs of non-blanks (quotes only ever join them). */
static size_t words_at_most(const char *s)
{
	size_t n = 0;
	for (int in = 0; s && *s; s++) {
		int blank = *s == ' ' || *s == '\t' || *s == '\n';
		n += !blank && !in;
		in = !blank;
	}
	return n;
}

/* Words are collected first (their count is only known after unquoting), then sorted into argv
 * and envp, allocated to fit. */
static void args_parse(struct app_args *a)
{
	const size_t max_words = words_at_most(cmdline) + words_at_most(args_text) + 1;
	size_t tmp_pages = (max_words * sizeof(char *) + PAGE_SIZE - 1) / PAGE_SIZE;
	char **words = mm_pages_alloc(tmp_pages);
	if (!words)
		panic("out of memory parsing the command line");
	char *cursor = cmdline, *w;
	size_t nwords = 0, dashes = max_words;
	int envc = 0;
	const char *argv0 = "app";
	/* The command line's words, then the argument module's, as one sequence. */
	for (int part = 0; part < 2; part++, cursor = args_text)
		while (cursor && (w = cmdline_next_word(&cursor))) {
			if (dashes == max_words && strcmp(w, "--") == 0) {
				dashes = nwords;
				continue;
			}
			words[nwords++] = w;
			if (dashes != max_words)
				continue;
			const char *value;
			if ((value = cmdline_option_value(w, "toro.argv0")))
				argv0 = value;
			else if ((value = cmdline_option_value(w, "toro.realtime")))
				time_set_boot_realtime(parse_number(value));
			else if ((value = cmdline_option_value(w, "toro.debugcon")))
				kernel_debugcon_port = (uint16_t)parse_number(value);
			else if (option_is_env(w))
				envc++;
		}
	if (dashes == max_words)
		dashes = nwords;
	int argc = 1 + (int)(nwords - dashes);

	/* One array, sized to fit: argv, envp, then the option words for drivers. */
	size_t slots = (size_t)argc + 1 + (size_t)envc + 1 + dashes;
	char **v = mm_pages_alloc((slots * sizeof(char *) + PAGE_SIZE - 1) / PAGE_SIZE);
	if (!v)
		panic("out of memory for %d arguments", argc);
	a->argc = argc;
	a->argv = v;
	a->envc = envc;
	a->envp = v + argc + 1;
	a->argv[0] = (char *)argv0;
	for (size_t i = dashes; i < nwords; i++)
		a->argv[1 + i - dashes] = words[i];
	a->argv[argc] = NULL;
	int ei = 0;
	for (size_t i = 0; i < dashes; i++)
		if (option_is_env(words[i]))
			a->envp[ei++] = words[i];
	a->envp[ei] = NULL;
	cmdline_options = a->envp + ei + 1;
	memcpy(cmdline_options, words, dashes * sizeof(char *));
	cmdline_option_count = (int)dashes;
	mm_pages_free(words, tmp_pages);
}

size_t kernel_app_stack_size;

static size_t app_stack_size(void)
{
	struct mm_stats s;
	mm_get_stats(&s);
	size_t size = (size_t)(s.total_pages * PAGE_SIZE / APP_STACK_RAM_DIV);
	if (size < APP_STACK_MIN)
		size = APP_STACK_MIN;
	if (size > APP_STACK_MAX)
		size = APP_STACK_MAX;
	return size & ~(PAGE_SIZE - 1);
}

void kernel_start(struct hvm_start_info *si)
{
	time_boot();
	arch_serial_init();
	arch_cpu_init(&boot_cpu);
	if (si->magic != HVM_START_MAGIC)
		panic("bad start_info magic %#x at %p", si->magic, (void *)si);
	cmdline_copy(si);
	if (kernel_app_reserve)
		kernel_app_reserve(si);
	args_module_find(si);
	memory_init(si);

	static struct app_args args;
	args_parse(&args);
	size_t stack_size = app_stack_size();
	kernel_app_stack_size = stack_size;
	char *stack = mm_pages_alloc(stack_size / PAGE_SIZE);
	if (!stack)
		panic("out of memory for the application stack (%zu KiB)", stack_size >> 10);
	sched_init(stack, stack_size);
	kernel_app_prepare();
	arch_smp_init(si->rsdp_paddr);
	drivers_init();
	kernel_app_start(stack + stack_size, &args);
}
