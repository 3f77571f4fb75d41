/* A guest that pokes at ports and MMIO addresses no device owns: the monitor logs each address
 * once and the guest goes on (checked by tests/e2e/unknown-io.sh, which counts the log lines). */
// BUILD: --native --no-fpu
// VMMS: toro
// CASE: goes-on | | 0 | ^still running after 3 rounds$
#include <toro/console.h>

#include <stdint.h>

#define UNKNOWN_PORT 0x80
#define UNKNOWN_MMIO 0xd0f00000ul /* in the below-4 GiB hole, past any virtio device */

int main(void)
{
	for (int round = 0; round < 3; round++) {
		uint8_t in;
		__asm__ volatile("outb %0, %1" : : "a"((uint8_t)round), "Nd"((uint16_t)UNKNOWN_PORT));
		__asm__ volatile("inb %1, %0" : "=a"(in) : "Nd"((uint16_t)UNKNOWN_PORT));
		volatile uint32_t *mmio = (volatile uint32_t *)UNKNOWN_MMIO;
		*mmio = (uint32_t)round;
		(void)*mmio;
		(void)in;
	}
	toro_printf("still running after 3 rounds\n");
	return 0;
}
