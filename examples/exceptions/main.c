/* Toro's ExceptionHandling, the Toro in C way: a CPU exception in a native image is fatal. This
 * program provokes the one named by its argument, on the core named by the second (default 0),
 * so you can see the report the kernel prints and the exit code `toro run` returns
 * (128 + the exception's vector). `build/toro run build/examples/exceptions.elf -- divide` */
#include <toro/console.h>
#include <toro/thread.h>

#include <stdint.h>

/* noinline keeps each faulting instruction in a function of its own, so the report's first
 * backtrace line names it; volatile keeps the compiler from proving the fault away. */
__attribute__((noinline)) static int divide_by_zero(void)
{
	volatile int zero = 0;
	return 100 / zero;
}

__attribute__((noinline)) static int invalid_opcode(void)
{
	__asm__ volatile("ud2");
	return 0;
}

__attribute__((noinline)) static int read_null(void)
{
	volatile int *p = 0;
	return *p;
}

__attribute__((noinline)) static int write_unmapped(void)
{
	/* Above every byte of RAM and every mapping the kernel makes (docs/architecture.md,
	 * Boot): not present. */
	volatile int *p = (volatile int *)0x40000000000ul;
	*p = 1;
	return 0;
}

__attribute__((noinline)) static int non_canonical(void)
{
	/* Bits 63..47 not all equal: not an address at all, so a general protection fault rather
	 * than a page fault. */
	volatile int *p = (volatile int *)0x8000000000000000ul;
	return *p;
}

static const struct fault {
	const char *name;
	int (*provoke)(void);
	const char *what;
} faults[] = {
    {"divide", divide_by_zero, "integer division by zero: #DE, vector 0, exit 128"},
    {"opcode", invalid_opcode, "ud2, an invalid instruction: #UD, vector 6, exit 134"},
    {"gp", non_canonical, "a non-canonical address: #GP, vector 13, exit 141"},
    {"null", read_null, "a read through a NULL pointer: #PF, vector 14, exit 142"},
    {"unmapped", write_unmapped, "a write far above RAM: #PF, vector 14, exit 142"},
};

#define NFAULTS (sizeof faults / sizeof faults[0])

static int same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static void *provoke(void *arg)
{
	const struct fault *f = arg;
	toro_printf("core %u: provoking %s\n", toro_core_id(), f->what);
	f->provoke();
	toro_printf("core %u: %s did not fault\n", toro_core_id(), f->name);
	return (void *)1;
}

static int usage(void)
{
	toro_printf("usage: exceptions FAULT [CORE]\nFAULT is one of:\n");
	for (unsigned i = 0; i < NFAULTS; i++)
		toro_printf("  %-10s %s\n", faults[i].name, faults[i].what);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3)
		return usage();
	const struct fault *f = 0;
	for (unsigned i = 0; i < NFAULTS; i++)
		if (same(argv[1], faults[i].name))
			f = &faults[i];
	unsigned core = 0;
	if (argc == 3) {
		const char *s = argv[2];
		if (*s < '0' || *s > '9' || s[1])
			return usage();
		core = (unsigned)(*s - '0');
	}
	if (!f)
		return usage();
	if (core >= toro_core_count()) {
		toro_printf("no core %u: this VM has %u (toro run --cpus N)\n", core,
		            toro_core_count());
		return 2;
	}
	if (core == 0)
		return provoke((void *)f) ? 1 : 0;
	toro_thread *t = toro_thread_create(core, provoke, (void *)f, 0);
	return toro_thread_join(t) ? 1 : 0;
}
