/* HelloWorld, as in Toro: print a line from the microVM and exit. A native application: it
 * calls the kernel's API directly and links no libc. */
#include <toro/console.h>

int main(void)
{
	toro_printf("Hello World, I am Toro in C!\n");
	return 0;
}
