/* COM2 (0x2f8) from inside the guest, polled as a gdbstub polls it: LSR bit 0 before reading RBR,
 * LSR bit 5 (THRE) before writing THR. The first argument picks a role; tests/e2e/gdb.sh plays
 * the host's side through `toro run --gdb`, the case below needs none.
 *   absent        without --gdb there is no COM2: LSR reads as all ones (no device)
 *   echo          reads bytes until '.', answers each one upper-cased, then "." and exits
 *   send N        waits for one byte, then sends N bytes of a counting pattern (byte i is
 *                 'a' + i % 26), waiting on THRE before each, and exits
 * Lines for the script: "ready", then results; "FAIL ..." with exit status 1. */
// BUILD: --native --no-fpu
// CASE: absent | -- absent | 0 | ^lsr ff$
#include <toro/console.h>

#include <stdint.h>

#include "native_test.h"

#define COM2     0x2f8
#define UART_LSR 5
#define LSR_DR   0x01
#define LSR_THRE 0x20

static uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static uint8_t com2_get(void)
{
	while (!(inb(COM2 + UART_LSR) & LSR_DR))
		__asm__ volatile("pause");
	return inb(COM2);
}

static void com2_put(uint8_t c)
{
	while (!(inb(COM2 + UART_LSR) & LSR_THRE))
		__asm__ volatile("pause");
	outb(COM2, c);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && streq(argv[1], "absent")) {
		toro_printf("lsr %x\n", inb(COM2 + UART_LSR));
		return 0;
	}
	if (argc >= 2 && streq(argv[1], "echo")) {
		toro_printf("ready\n");
		unsigned long n = 0;
		for (;;) {
			uint8_t c = com2_get();
			if (c == '.')
				break;
			com2_put(c >= 'a' && c <= 'z' ? (uint8_t)(c - 'a' + 'A') : c);
			n++;
		}
		com2_put('.');
		toro_printf("echoed %lu\n", n);
		return 0;
	}
	if (argc >= 3 && streq(argv[1], "send")) {
		long n = to_int(argv[2]);
		toro_printf("ready\n");
		com2_get();
		for (long i = 0; i < n; i++)
			com2_put((uint8_t)('a' + i % 26));
		toro_printf("sent %ld\n", n);
		return 0;
	}
	toro_printf("FAIL usage: absent | echo | send N\n");
	return 1;
}
