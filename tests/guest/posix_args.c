/* Arguments and environment reach main exactly, whatever their size: short ones on the kernel
 * command line, long ones (over 2 KiB) in the argument module (include/toro/abi/start_info.h).
 * The program prints argc, the bytes of argv[1..] with a newline after each, their POSIX cksum
 * CRC (what `printf '%s\n' ARGS | cksum` prints) and the length of $BIG; tests/e2e/big-args.sh
 * passes 1 MiB of arguments. */
// BUILD:
// CASE: write-arg | -- write-arg "an argument, as the kernel keeps it" | 0 | ^an argument, as the kernel keeps it$ && ^write: 35$
// CASE: short | -e BIG=abc -- one "two words" "" | 0 | ^argc=4 crc=2693365734 bytes=15 big=3$
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* POSIX cksum: CRC-32 with polynomial 0x04c11db7, MSB first, then the length, inverted. */
static uint32_t crc_byte(uint32_t crc, unsigned char c)
{
	crc ^= (uint32_t)c << 24;
	for (int i = 0; i < 8; i++)
		crc = crc & 0x80000000u ? (crc << 1) ^ 0x04c11db7u : crc << 1;
	return crc;
}

int main(int argc, char **argv)
{
	/* The strings themselves, handed to a system call: they live where the kernel keeps the
	 * command line, which must count as the program's memory. */
	if (argc == 3 && strcmp(argv[1], "write-arg") == 0) {
		ssize_t n = write(1, argv[2], strlen(argv[2]));
		printf("\nwrite: %zd\n", n);
		return n == (ssize_t)strlen(argv[2]) ? 0 : 1;
	}
	uint32_t crc = 0;
	uint64_t bytes = 0;
	for (int i = 1; i < argc; i++) {
		for (const char *p = argv[i]; *p; p++)
			crc = crc_byte(crc, (unsigned char)*p);
		crc = crc_byte(crc, '\n');
		bytes += strlen(argv[i]) + 1;
	}
	for (uint64_t n = bytes; n; n >>= 8)
		crc = crc_byte(crc, (unsigned char)n);
	const char *big = getenv("BIG");
	printf("argc=%d crc=%u bytes=%llu big=%zu\n", argc, ~crc, (unsigned long long)bytes,
	       big ? strlen(big) : (size_t)0);
	return 0;
}
