/* POSIX threads on the cooperative per-core scheduler, through musl: create/join on this and
 * other cores, a mutex/condition-variable producer-consumer across cores with a checksum of
 * every item, __thread variables distinct per thread, FP state kept per thread across switches,
 * sleeping, and the CPU count. */
// BUILD:
// CASE: basic-1 | --cpus 1 -- basic | 0 | ^nprocs=1$ && ^joined 8 threads, distinct tids$ && ^tls: distinct$
// CASE: basic-2 | --cpus 2 -- basic | 0 | ^nprocs=2$ && ^joined 8 threads, distinct tids$ && ^threads ran on 2 cores$ && ^affinity: moved to core 1$ && ^tls: distinct$
// CASE: basic-4 | --cpus 4 -- basic | 0 | ^nprocs=4$ && ^threads ran on 4 cores$
// CASE: prodcons-1 | --cpus 1 -- prodcons | 0 | ^prodcons: 20000 items, checksum ok$
// CASE: prodcons-2 | --cpus 2 -- prodcons | 0 | ^prodcons: 20000 items, checksum ok$
// CASE: prodcons-4 | --cpus 4 -- prodcons | 0 | ^prodcons: 20000 items, checksum ok$
// CASE: fpu-2 | --cpus 2 -- fpu | 0 | ^fpu: per-thread state ok$
// CASE: fpu-1 | --cpus 1 -- fpu | 0 | ^fpu: per-thread state ok$
// CASE: sleep | --cpus 2 -- sleep | 0 | ^nanosleep: ok  && ^timedwait: timed out ok$
// CASE: detached-2 | --cpus 2 -- detached | 0 | ^detached: 300 threads exited, memory reused ok$
// CASE: detach-exit | --cpus 2 -- detach | 7 | ^main exits with 7 while a detached thread sleeps$
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static __thread int tls_slot = -1;

static int current_core(void)
{
	return sched_getcpu();
}

static int pin_to(int core)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(core, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}


static int ran_on[8];

static void *worker(void *arg)
{
	intptr_t i = (intptr_t)arg;
	tls_slot = (int)i;
	sched_yield();
	ran_on[i] = current_core();
	return (void *)(intptr_t)(tls_slot == (int)i ? syscall(SYS_gettid) : -1);
}

static void *move_to_core1(void *arg)
{
	(void)arg;
	if (pin_to(1) != 0)
		return (void *)-1;
	sched_yield();
	return (void *)(intptr_t)current_core();
}

static int test_basic(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	printf("nprocs=%ld\n", n);
	pthread_t t[8];
	long tids[8];
	tls_slot = 100;
	for (intptr_t i = 0; i < 8; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
			return 1;
	for (int i = 0; i < 8; i++) {
		void *r;
		pthread_join(t[i], &r);
		tids[i] = (long)(intptr_t)r;
	}
	int distinct = 1;
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < i; j++)
			if (tids[i] == tids[j] || tids[i] <= 1)
				distinct = 0;
	printf("joined 8 threads, %s tids\n", distinct ? "distinct" : "REPEATED");
	/* New threads are spread over the cores, as a program written for Linux expects. */
	int cores = 0;
	for (int c = 0; c < 64; c++)
		for (int i = 0; i < 8; i++)
			if (ran_on[i] == c) {
				cores++;
				break;
			}
	printf("threads ran on %d cores\n", cores);
	if (n > 1) {
		pthread_t m;
		void *r;
		pthread_create(&m, NULL, move_to_core1, NULL);
		pthread_join(m, &r);
		printf("affinity: moved to core %d\n", (int)(intptr_t)r);
	}
	printf("tls: %s\n", tls_slot == 100 ? "distinct" : "SHARED");
	return distinct ? 0 : 2;
}

#define ITEMS 20000
#define QUEUE 64
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static unsigned queue[QUEUE], head, tail, count;
static unsigned long long consumed_sum;
static unsigned consumed_items;

static void *producer(void *arg)
{
	unsigned base = (unsigned)(uintptr_t)arg;
	pin_to((int)(base % (unsigned)sysconf(_SC_NPROCESSORS_ONLN)));
	for (unsigned i = 0; i < ITEMS / 2; i++) {
		pthread_mutex_lock(&lock);
		while (count == QUEUE)
			pthread_cond_wait(&not_full, &lock);
		queue[tail] = base * ITEMS + i;
		tail = (tail + 1) % QUEUE;
		count++;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	int core = (int)(uintptr_t)arg;
	pin_to(core % (int)sysconf(_SC_NPROCESSORS_ONLN));
	for (;;) {
		pthread_mutex_lock(&lock);
		while (count == 0 && consumed_items < ITEMS)
			pthread_cond_wait(&not_empty, &lock);
		if (consumed_items == ITEMS) {
			pthread_cond_broadcast(&not_empty);
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		consumed_sum += queue[head];
		head = (head + 1) % QUEUE;
		count--;
		consumed_items++;
		if (consumed_items == ITEMS)
			pthread_cond_broadcast(&not_empty);
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&lock);
	}
}

static int test_prodcons(void)
{
	pthread_t p[2], c[3];
	for (uintptr_t i = 0; i < 2; i++)
		pthread_create(&p[i], NULL, producer, (void *)(i + 1));
	for (uintptr_t i = 0; i < 3; i++)
		pthread_create(&c[i], NULL, consumer, (void *)(i + 1));
	for (int i = 0; i < 2; i++)
		pthread_join(p[i], NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(c[i], NULL);
	unsigned long long want = 0;
	for (unsigned base = 1; base <= 2; base++)
		for (unsigned i = 0; i < ITEMS / 2; i++)
			want += base * ITEMS + i;
	printf("prodcons: %u items, checksum %s\n", consumed_items,
	       consumed_sum == want ? "ok" : "WRONG");
	return consumed_sum == want ? 0 : 1;
}

/* Two threads keep running sums in SSE/x87 registers across yields; a shared FPU would mix
 * them up. */
static void *fp_work(void *arg)
{
	double step = *(double *)arg, sum = 0;
	for (int i = 0; i < 2000; i++) {
		sum += step;
		if (i % 10 == 0)
			sched_yield();
	}
	return (void *)(intptr_t)(sum == step * 2000 ? 1 : 0);
}

static int test_fpu(void)
{
	double a = 0.5, b = 0.25, c = 0.125;
	pthread_t t1, t2;
	pthread_create(&t1, NULL, fp_work, &a);
	pthread_create(&t2, NULL, fp_work, &b);
	void *r0 = fp_work(&c), *r1, *r2;
	pthread_join(t1, &r1);
	pthread_join(t2, &r2);
	int ok = r0 == (void *)1 && r1 == (void *)1 && r2 == (void *)1;
	printf("fpu: per-thread state %s\n", ok ? "ok" : "CORRUPTED");
	return ok ? 0 : 1;
}

static int test_sleep(void)
{
	struct timespec a, b, d = {0, 20 * 1000 * 1000};
	clock_gettime(CLOCK_MONOTONIC, &a);
	nanosleep(&d, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long us = (b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000;
	printf("nanosleep: %s (%ld us)\n", us >= 20000 && us < 2000000 ? "ok" : "WRONG", us);
	pthread_mutex_lock(&lock);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 30 * 1000 * 1000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	int rc = pthread_cond_timedwait(&not_empty, &lock, &until);
	pthread_mutex_unlock(&lock);
	printf("timedwait: %s\n", rc == ETIMEDOUT ? "timed out ok" : "WRONG");
	return 0;
}

static void *sleep_long(void *arg)
{
	(void)arg;
	sleep(100);
	return NULL;
}

static int exited;

static void *count_and_exit(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&exited, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Detached threads free their own stacks as they exit (musl unmaps the stack it is running on
 * just before the exit call); the memory must come back intact for others to use. */
static int test_detached(void)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < 300; i++) {
		pthread_t t;
		if (pthread_create(&t, &attr, count_and_exit, NULL) != 0)
			return 1;
		if (i % 20 == 0)
			sched_yield();
	}
	while (__atomic_load_n(&exited, __ATOMIC_SEQ_CST) < 300)
		sched_yield();
	int ok = 1;
	for (int round = 0; round < 50 && ok; round++) {
		unsigned char *p = malloc(200000);
		memset(p, round, 200000);
		sched_yield();
		for (int k = 0; k < 200000; k += 997)
			ok &= p[k] == round;
		free(p);
	}
	printf("detached: %d threads exited, memory reused %s\n", exited, ok ? "ok" : "CORRUPTED");
	return ok ? 0 : 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 1;
	if (!strcmp(argv[1], "basic"))
		return test_basic();
	if (!strcmp(argv[1], "prodcons"))
		return test_prodcons();
	if (!strcmp(argv[1], "fpu"))
		return test_fpu();
	if (!strcmp(argv[1], "sleep"))
		return test_sleep();
	if (!strcmp(argv[1], "detached"))
		return test_detached();
	if (!strcmp(argv[1], "detach")) {
		pthread_t t;
		pthread_create(&t, NULL, sleep_long, NULL);
		pthread_detach(t);
		printf("main exits with 7 while a detached thread sleeps\n");
		return 7;
	}
	return 1;
}
