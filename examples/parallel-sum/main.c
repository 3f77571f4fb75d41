/* An HPC-style job: sum f(i) over a large range, one worker per core, each worker's partial sum
 * and allocation on its own core (its own heap), joined at the end and checked against the
 * closed form. `build/toro run build/examples/parallel-sum.elf --cpus 4 -- 20000000` */
#include <toro/console.h>
#include <toro/memory.h>
#include <toro/thread.h>

#include <stdint.h>

#define DEFAULT_N 2000000ull
#define MAX_CORES 64

struct work {
	uint64_t first, last; /* [first, last) */
	uint64_t sum;
	uint64_t ns;
};

static uint64_t parse(const char *s)
{
	uint64_t v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

/* Sum of i * 3 + 1 over the range: integer only, so it runs in every monitor. */
static void *sum_range(void *arg)
{
	struct work *w = arg;
	uint64_t t0 = toro_time_ns(), sum = 0;
	for (uint64_t i = w->first; i < w->last; i++)
		sum += i * 3 + 1;
	w->sum = sum;
	w->ns = toro_time_ns() - t0;
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? parse(argv[1]) : DEFAULT_N;
	unsigned cores = toro_core_count();
	if (cores > MAX_CORES)
		cores = MAX_CORES;
	struct work *w = toro_calloc(cores, sizeof(*w));
	toro_thread *t[MAX_CORES];
	if (!w)
		return 1;
	uint64_t t0 = toro_time_ns();
	for (unsigned c = 0; c < cores; c++) {
		w[c].first = n * c / cores;
		w[c].last = n * (c + 1) / cores;
		t[c] = toro_thread_create(c, sum_range, &w[c], 0);
		if (!t[c])
			return 2;
	}
	uint64_t total = 0;
	for (unsigned c = 0; c < cores; c++) {
		toro_thread_join(t[c]);
		total += w[c].sum;
		toro_printf("core %u: %llu numbers in %llu us\n", c,
		            (unsigned long long)(w[c].last - w[c].first),
		            (unsigned long long)(w[c].ns / 1000));
	}
	/* sum of 3i + 1 for i < n = 3 n (n - 1) / 2 + n */
	uint64_t want = 3 * (n * (n - 1) / 2) + n;
	toro_printf("sum of 3i+1 for i < %llu on %u cores: %llu (%s), %llu us\n",
	            (unsigned long long)n, cores, (unsigned long long)total,
	            total == want ? "correct" : "WRONG", (unsigned long long)((toro_time_ns() - t0) / 1000));
	toro_free(w);
	return total == want ? 0 : 3;
}
