/* The primitives every part of the running machine uses (see machine.h): stopping it once from
 * any thread, the clock, one-line reports, and naming guest addresses from the image's symbols. */
#include "machine.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "backend/term.h"

double machine_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void machine_report(const struct machine *mc, const char *fmt, ...)
{
	term_flush();
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "toro: %s: ", mc->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int machine_stopping(const struct machine *mc)
{
	return __atomic_load_n(&mc->stopping, __ATOMIC_ACQUIRE);
}

void machine_stop(struct machine *mc, int code)
{
	int expected = 0;
	if (!__atomic_compare_exchange_n(&mc->stopping, &expected, 1, 0, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE))
		return;
	mc->exit_code = code;
	mc->t_stop = machine_now();
	/* The boot CPU's thread returns from vmm_run; wake it if another thread stops us. */
	if (!pthread_equal(pthread_self(), mc->cpus[0].thread))
		pthread_kill(mc->cpus[0].thread, MACHINE_KICK_SIGNAL);
}

struct symbol_search {
	uint64_t addr, best, best_size;
	char name[128];
};

static void symbol_visit(void *ctx, const char *name, uint64_t addr, uint64_t size)
{
	struct symbol_search *s = ctx;
	if (addr <= s->addr && (s->best == 0 || addr > s->best)) {
		s->best = addr;
		s->best_size = size;
		snprintf(s->name, sizeof(s->name), "%s", name);
	}
}

void machine_symbolize(const struct machine *mc, uint64_t addr, char *buf, size_t len)
{
	struct symbol_search s = {.addr = addr};
	char err[128];
	/* An address past the end of the nearest function (a size of 0 is unknown: trusted) is
	 * in no function of the image. */
	if (image_symbols(mc->cfg->image, symbol_visit, &s, err, sizeof(err)) > 0 && s.best &&
	    (s.best_size == 0 || addr - s.best < s.best_size))
		snprintf(buf, len, "%s+0x%llx", s.name, (unsigned long long)(addr - s.best));
	else
		snprintf(buf, len, "an unknown function");
}
