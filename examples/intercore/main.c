/* Toro's InterCoreComm over channels: core 0 sends "ping" to every other core in turn, each
 * answers "pong", and core 0 prints each exchange with its round-trip time, then a summary.
 * `build/toro run build/examples/intercore.elf --cpus 4 -- 10` runs ten rounds. */
#include <toro/channel.h>
#include <toro/console.h>
#include <toro/thread.h>

#include <stdint.h>

#define DEFAULT_ROUNDS 3
#define MAX_ROUNDS     1000000
#define MSG_CAP        64

static const char stop[] = "stop";

/* Digits only, else -1. */
static long parse_count(const char *s)
{
	long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > MAX_ROUNDS)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* Append text or a decimal number at end (the buffer has room: MSG_CAP bytes are plenty) and
 * return the new end, NUL-terminated. The native API prints to the console only, so messages
 * are built by hand. */
static char *put_text(char *end, const char *text)
{
	while (*text)
		*end++ = *text++;
	*end = 0;
	return end;
}

static char *put_number(char *end, unsigned long v)
{
	char digits[24];
	int n = 0;
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*end++ = digits[--n];
	*end = 0;
	return end;
}

static int starts_with(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

/* Every other core: answers each ping from core 0 with a pong that names the round and itself,
 * until core 0 says stop. */
static void *answer_pings(void *arg)
{
	(void)arg;
	char msg[MSG_CAP], reply[MSG_CAP];
	for (;;) {
		long n = toro_chan_recv(0, msg, sizeof msg - 1);
		if (n < 0) {
			toro_printf("core %u: receive failed (%ld)\n", toro_core_id(), n);
			return (void *)1;
		}
		msg[n] = 0;
		if (!starts_with(msg, "ping ")) /* "stop" */
			return 0;
		char *end = put_text(reply, "pong ");
		end = put_text(end, msg + 5); /* the round number, as the ping gave it */
		end = put_text(end, " from core ");
		end = put_number(end, toro_core_id());
		if (toro_chan_send(0, reply, (size_t)(end - reply) + 1) < 0)
			return (void *)1;
	}
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? parse_count(argv[1]) : DEFAULT_ROUNDS;
	if (argc > 2 || rounds < 0) {
		toro_printf("usage: intercore [ROUNDS]   (0 .. %d, default %d)\n", MAX_ROUNDS,
		            DEFAULT_ROUNDS);
		return 2;
	}
	unsigned cores = toro_core_count();
	if (cores < 2) {
		toro_printf("intercore needs at least 2 cores: toro run intercore.elf --cpus 4\n");
		return 1;
	}
	toro_thread *peers[64];
	unsigned npeers = cores < 64 ? cores : 64;
	for (unsigned c = 1; c < npeers; c++)
		peers[c] = toro_thread_create(c, answer_pings, 0, 0);

	uint64_t min_ns = UINT64_MAX, max_ns = 0, total_ns = 0, exchanges = 0;
	for (long r = 0; r < rounds; r++) {
		for (unsigned c = 1; c < npeers; c++) {
			char ping[MSG_CAP], pong[MSG_CAP];
			char *end = put_number(put_text(ping, "ping "), (unsigned long)r);
			size_t len = (size_t)(end - ping);
			uint64_t t0 = toro_time_ns();
			if (toro_chan_send(c, ping, len + 1) < 0 ||
			    toro_chan_recv(c, pong, sizeof pong) < 0) {
				toro_printf("round %ld: exchange with core %u failed\n", r, c);
				return 1;
			}
			uint64_t ns = toro_time_ns() - t0;
			toro_printf(
			    "Core[0] -> Core[%u]: %s, Core[%u] -> Core[0]: %s, %lu.%lu us\n", c,
			    ping, c, pong, (unsigned long)(ns / 1000),
			    (unsigned long)(ns % 1000 / 100));
			min_ns = ns < min_ns ? ns : min_ns;
			max_ns = ns > max_ns ? ns : max_ns;
			total_ns += ns;
			exchanges++;
		}
	}
	for (unsigned c = 1; c < npeers; c++)
		toro_chan_send(c, stop, sizeof stop);
	int failed = 0;
	for (unsigned c = 1; c < npeers; c++)
		failed |= toro_thread_join(peers[c]) != 0;
	if (exchanges)
		toro_printf(
		    "%ld rounds, %lu round trips over %u cores: min %lu us, avg %lu us, "
		    "max %lu us\n",
		    rounds, (unsigned long)exchanges, npeers, (unsigned long)(min_ns / 1000),
		    (unsigned long)(total_ns / exchanges / 1000), (unsigned long)(max_ns / 1000));
	else
		toro_printf("0 rounds\n");
	return failed;
}
