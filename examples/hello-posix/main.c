/* HelloWorld as an ordinary C program: printf through musl, which reaches the kernel by the
 * Linux system-call ABI. */
#include <stdio.h>

int main(void)
{
	printf("Hello World, I am Toro in C!\n");
	return 0;
}
