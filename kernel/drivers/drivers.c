/* Device discovery at boot: every driver that finds its devices from the command line is
 * started from here, after memory and before the application. */
#include <kernel/kernel.h>

void drivers_init(void)
{
}
