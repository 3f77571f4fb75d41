/* A guest that never exits: `toro run --timeout` must stop it with status 124 and a message. */
// BUILD: --native --no-fpu
// CASE: timeout | --timeout 2 | 124 | ^spinning forever$ && still running after 2 s \(--timeout\); stopped
#include <toro/console.h>

int main(void)
{
	toro_printf("spinning forever\n");
	for (;;)
		__asm__ volatile("pause");
}
