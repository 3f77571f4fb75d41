/* The trial's pthreads workload (tests/e2e/programs.sh): many threads sharing a counter under a
 * mutex, a bounded queue with two condition variables, phases separated by a barrier, and
 * thread-local storage. What it prints depends only on the arguments, so the host's build and
 * the guest's must print the same. Usage: threads [THREADS [ITEMS]]. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define QUEUE_SIZE 8

static int nthreads = 16, nitems = 2000;

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t counter;

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static uint64_t queue[QUEUE_SIZE];
static unsigned queue_head, queue_count;
static uint64_t consumed_sum, consumed_count;

static pthread_barrier_t phase;
static __thread uint64_t tls_sum; /* each thread's own */
static __thread int tls_id = -1;
static pthread_key_t key;
static int destructor_calls;
static uint64_t *tls_sums;

static void key_destructor(void *p)
{
	pthread_mutex_lock(&counter_lock);
	destructor_calls++;
	pthread_mutex_unlock(&counter_lock);
	free(p);
}

static void queue_put(uint64_t v)
{
	pthread_mutex_lock(&queue_lock);
	while (queue_count == QUEUE_SIZE)
		pthread_cond_wait(&not_full, &queue_lock);
	queue[(queue_head + queue_count++) % QUEUE_SIZE] = v;
	pthread_cond_signal(&not_empty);
	pthread_mutex_unlock(&queue_lock);
}

static uint64_t queue_get(void)
{
	pthread_mutex_lock(&queue_lock);
	while (queue_count == 0)
		pthread_cond_wait(&not_empty, &queue_lock);
	uint64_t v = queue[queue_head];
	queue_head = (queue_head + 1) % QUEUE_SIZE;
	queue_count--;
	pthread_cond_signal(&not_full);
	pthread_mutex_unlock(&queue_lock);
	return v;
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	tls_id = id;
	int *mine = malloc(sizeof *mine);
	*mine = id;
	pthread_setspecific(key, mine);

	/* Phase 1: the shared counter. */
	for (int i = 0; i < nitems; i++) {
		pthread_mutex_lock(&counter_lock);
		counter += (uint64_t)id + 1;
		pthread_mutex_unlock(&counter_lock);
		tls_sum += (uint64_t)id + 1;
	}
	pthread_barrier_wait(&phase);

	/* Phase 2: even threads produce, odd threads consume as many items. */
	if (id % 2 == 0) {
		for (int i = 0; i < nitems; i++)
			queue_put((uint64_t)id * 100000 + (uint64_t)i);
	} else {
		uint64_t sum = 0;
		for (int i = 0; i < nitems; i++)
			sum += queue_get();
		pthread_mutex_lock(&counter_lock);
		consumed_sum += sum;
		consumed_count += (uint64_t)nitems;
		pthread_mutex_unlock(&counter_lock);
	}
	int serial = pthread_barrier_wait(&phase) == PTHREAD_BARRIER_SERIAL_THREAD;

	/* Phase 3: thread-local values are still each thread's own. */
	int *back = pthread_getspecific(key);
	tls_sums[id] = (tls_id == id && back && *back == id) ? tls_sum : 0;
	return (void *)(intptr_t)serial;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		nthreads = atoi(argv[1]);
	if (argc > 2)
		nitems = atoi(argv[2]);
	if (nthreads < 2 || nthreads % 2 || nitems < 1) {
		fprintf(stderr, "usage: threads [EVEN_THREADS>=2 [ITEMS>=1]]\n");
		return 2;
	}
	pthread_t *t = calloc((size_t)nthreads, sizeof *t);
	tls_sums = calloc((size_t)nthreads, sizeof *tls_sums);
	pthread_barrier_init(&phase, NULL, (unsigned)nthreads);
	pthread_key_create(&key, key_destructor);
	tls_sum = 7;
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i)) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
	int serials = 0;
	for (int i = 0; i < nthreads; i++) {
		void *r;
		pthread_join(t[i], &r);
		serials += (int)(intptr_t)r;
	}
	uint64_t expect = 0, tls_ok = 0;
	for (int i = 0; i < nthreads; i++) {
		expect += (uint64_t)(i + 1) * (uint64_t)nitems;
		tls_ok += tls_sums[i] == (uint64_t)(i + 1) * (uint64_t)nitems;
	}
	uint64_t produced = 0;
	for (int i = 0; i < nthreads; i += 2)
		produced += (uint64_t)i * 100000 * (uint64_t)nitems +
		            (uint64_t)nitems * (uint64_t)(nitems - 1) / 2;
	printf("threads %d items %d\n", nthreads, nitems);
	printf("counter %llu expected %llu\n", (unsigned long long)counter,
	       (unsigned long long)expect);
	printf("queue %llu items, sum %llu, produced %llu\n", (unsigned long long)consumed_count,
	       (unsigned long long)consumed_sum, (unsigned long long)produced);
	printf("barrier serial threads %d\n", serials);
	printf("tls %llu of %d threads kept their own, main's %llu\n", (unsigned long long)tls_ok,
	       nthreads, (unsigned long long)tls_sum);
	printf("key destructors %d\n", destructor_calls);
	int ok = counter == expect && consumed_sum == produced && serials == 1 &&
	         tls_ok == (uint64_t)nthreads && tls_sum == 7 && destructor_calls == nthreads;
	printf("%s\n", ok ? "ok" : "MISMATCH");
	return ok ? 0 : 1;
}
