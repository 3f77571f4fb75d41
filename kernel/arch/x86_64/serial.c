/* COM1, a 16550 UART at port 0x3f8: the boot console every monitor has, registered as the
 * console of last resort (it takes whatever the others leave). Output only for now. */
#include "serial.h"

#include <kernel/arch.h>
#include <kernel/console.h>

#include "io.h"

#define COM1         0x3f8
#define UART_IER     1
#define UART_FCR     2
#define UART_LCR     3
#define UART_MCR     4
#define UART_LSR     5
#define LSR_THRE     0x20 /* transmit holding register (and FIFO) empty */
#define FCR_ENABLE   0x01
#define FCR_CLEAR    0x06
#define LCR_8N1      0x03
#define MCR_DTR_RTS  0x03
#define UART_FIFO_SZ 16

static struct console serial_console = {.name = "serial", .write = serial_write, .live = 1};

void arch_serial_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_FCR, FCR_ENABLE | FCR_CLEAR);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_MCR, MCR_DTR_RTS);
	console_register(&serial_console);
}

/* THRE means the whole transmit FIFO is empty, so after seeing it we may send a FIFO's worth
 * without asking again: one status read per 16 bytes rather than per byte (each port access is
 * a VM exit). */
long serial_write(enum console_stream stream, const char *s, size_t len)
{
	(void)stream;
	size_t taken = len;
	while (len > 0) {
		while (!(inb(COM1 + UART_LSR) & LSR_THRE))
			__builtin_ia32_pause();
		size_t n = len < UART_FIFO_SZ ? len : UART_FIFO_SZ;
		for (size_t i = 0; i < n; i++)
			outb(COM1, (uint8_t)s[i]);
		s += n;
		len -= n;
	}
	return (long)taken;
}
