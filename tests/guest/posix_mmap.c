/* Anonymous mmap/munmap: fresh mappings are zeroed; unmapping part of a mapping keeps the rest;
 * unmapping what was never mapped (the program's own stack, the image) succeeds and changes
 * nothing, as on Linux, so the kernel's memory cannot be given away. */
// BUILD:
// CASE: mmap | | 0 | ^zeroed: ok$ && ^partial unmap: ok$ && ^wild unmap: ok$ && ^reuse: ok$
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

int main(void)
{
	unsigned char *a = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	                        -1, 0);
	if (a == MAP_FAILED)
		return 1;
	printf("zeroed: %s\n", all_zero(a, 8 * PAGE) ? "ok" : "DIRTY");
	memset(a, 0x5a, 8 * PAGE);

	/* Pages 2..4 go; 0..1 and 5..7 stay. */
	int ok = munmap(a + 2 * PAGE, 3 * PAGE) == 0;
	unsigned char *b = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	                        -1, 0);
	ok &= b != MAP_FAILED && all_zero(b, 3 * PAGE);
	memset(b, 0x11, 3 * PAGE);
	ok &= a[0] == 0x5a && a[2 * PAGE - 1] == 0x5a && a[5 * PAGE] == 0x5a && a[8 * PAGE - 1] == 0x5a;
	printf("partial unmap: %s\n", ok ? "ok" : "WRONG");

	/* Neither the stack nor the image was mapped by mmap: nothing may be freed. */
	volatile unsigned char on_stack[3 * PAGE];
	memset((void *)on_stack, 0x77, sizeof(on_stack));
	uintptr_t stack_page = ((uintptr_t)on_stack + PAGE) & ~(uintptr_t)(PAGE - 1);
	int wild = munmap((void *)stack_page, PAGE) == 0;
	wild &= munmap((void *)((uintptr_t)&all_zero & ~(uintptr_t)(PAGE - 1)), PAGE) == 0;
	/* If those pages had been freed, these mappings could land on them and clear them. */
	unsigned char *c[16];
	for (int i = 0; i < 16; i++) {
		c[i] = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		wild &= c[i] != MAP_FAILED;
	}
	for (size_t i = 0; i < sizeof(on_stack); i++)
		wild &= on_stack[i] == 0x77;
	printf("wild unmap: %s\n", wild ? "ok" : "MEMORY GIVEN AWAY");

	ok = munmap(a, 8 * PAGE) == 0 && munmap(b, 3 * PAGE) == 0;
	for (int i = 0; i < 16; i++)
		ok &= munmap(c[i], PAGE) == 0;
	unsigned char *d = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	                        -1, 0);
	ok &= d != MAP_FAILED && all_zero(d, 64 * PAGE);
	printf("reuse: %s\n", ok ? "ok" : "WRONG");
	return 0;
}
