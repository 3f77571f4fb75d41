/* Symbolized backtraces: a binary search of the embedded table, and a walk of the frame-pointer
 * chain that stops at anything that does not look like a stack frame. */
#include <kernel/symbols.h>

#include <kernel/mm.h>
#include <kernel/printk.h>
#include <toro/abi/symtab.h>

#define BACKTRACE_MAX_FRAMES 32
#define LOWEST_STACK_ADDR    0x100000 /* every stack lives above the first MiB */

extern const char __toro_symtab_start[], __toro_symtab_end[];

const char *symbols_lookup(uintptr_t addr, uintptr_t *offset)
{
	const struct toro_symtab_header *h = (const void *)__toro_symtab_start;
	if ((uintptr_t)__toro_symtab_end - (uintptr_t)__toro_symtab_start < sizeof(*h) ||
	    h->magic != TORO_SYMTAB_MAGIC)
		return NULL;
	const struct toro_symtab_entry *e = (const void *)(h + 1);
	const char *names = (const char *)(e + h->count);
	uint32_t lo = 0, hi = h->count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (e[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct toro_symtab_entry *s = &e[lo - 1];
	if (names[s->name] == '\0')
		return NULL; /* a gap between functions */
	*offset = addr - s->addr;
	return names + s->name;
}

static void print_frame(int n, uintptr_t addr)
{
	uintptr_t off;
	const char *name = symbols_lookup(addr, &off);
	if (name)
		printk("  #%-2d %#018lx %s+0x%lx\n", n, (unsigned long)addr, name,
		       (unsigned long)off);
	else
		printk("  #%-2d %#018lx ?\n", n, (unsigned long)addr);
}

static int plausible_frame(uintptr_t rbp, uintptr_t below)
{
	return rbp > below && rbp >= LOWEST_STACK_ADDR && (rbp & 7) == 0 && rbp + 16 <= mm_ram_top;
}

void backtrace_print(uintptr_t rip, uintptr_t rbp)
{
	printk("backtrace:\n");
	print_frame(0, rip);
	uintptr_t below = 0;
	for (int n = 1; n < BACKTRACE_MAX_FRAMES && plausible_frame(rbp, below); n++) {
		const uintptr_t *frame = (const uintptr_t *)rbp;
		uintptr_t ret = frame[1];
		if (ret == 0)
			break;
		/* The return address points after the call; name the call itself. */
		print_frame(n, ret - 1);
		below = rbp;
		rbp = frame[0];
	}
}
