/* malloc for POSIX programs: musl's allocator is replaced by the per-core heaps (kernel/core/
 * heap.c), measured ~20x cheaper per malloc+free pair than musl's mallocng on our mmap (see
 * bench/RESULTS.md). Every entry point musl has — the public ones and the internal __libc_*
 * ones its own code calls — is defined here, so no musl allocator object is ever linked and the
 * two can never mix. posix.c pulls this file into POSIX images. */
#include <kernel/heap.h>
#include <kernel/string.h>
#include <toro/abi/linux.h>
#include <toro/memory.h>

#define MAX_ALIGN 32768 /* an aligned block's start stays within its span's first 64 KiB */

/* musl's errno lives in its thread structure; its __errno_location gives the address. */
int *__errno_location(void);

static void *set_enomem(void *p)
{
	if (!p)
		*__errno_location() = LINUX_ENOMEM;
	return p;
}

/* Aligned blocks are interior pointers of an ordinary block; frees map them back. */
static int aligned_blocks_exist;

void *malloc(size_t size)
{
	return set_enomem(toro_malloc(size));
}

void free(void *p)
{
	if (p && __atomic_load_n(&aligned_blocks_exist, __ATOMIC_RELAXED))
		p = heap_block_start(p);
	toro_free(p);
}

void *calloc(size_t n, size_t size)
{
	return set_enomem(toro_calloc(n, size));
}

void *realloc(void *p, size_t size)
{
	if (p && __atomic_load_n(&aligned_blocks_exist, __ATOMIC_RELAXED) &&
	    heap_block_start(p) != p) {
		/* An aligned block: move it to an ordinary one. */
		void *q = toro_malloc(size);
		if (!q)
			return set_enomem(NULL);
		size_t old =
		    heap_usable_size(p) - (size_t)((char *)p - (char *)heap_block_start(p));
		memcpy(q, p, old < size ? old : size);
		free(p);
		return q;
	}
	return set_enomem(toro_realloc(p, size));
}

void *aligned_alloc(size_t align, size_t size)
{
	if (align == 0 || (align & (align - 1)) || align > MAX_ALIGN) {
		*__errno_location() = LINUX_EINVAL;
		return NULL;
	}
	if (align <= HEAP_ALIGN)
		return malloc(size);
	if (size > SIZE_MAX - align)
		return set_enomem(NULL);
	char *p = toro_malloc(size + align);
	if (!p)
		return set_enomem(NULL);
	__atomic_store_n(&aligned_blocks_exist, 1, __ATOMIC_RELAXED);
	return (void *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
}

int posix_memalign(void **out, size_t align, size_t size)
{
	if (align < sizeof(void *) || (align & (align - 1)) || align > MAX_ALIGN)
		return LINUX_EINVAL;
	void *p = aligned_alloc(align, size);
	if (!p)
		return LINUX_ENOMEM;
	*out = p;
	return 0;
}

void *memalign(size_t align, size_t size)
{
	return aligned_alloc(align, size);
}

size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	return heap_usable_size(p) - (size_t)((char *)p - (char *)heap_block_start(p));
}

/* musl's internal names for the same functions. */
void *__libc_malloc(size_t size)
{
	return malloc(size);
}

void *__libc_malloc_impl(size_t size)
{
	return malloc(size);
}

void __libc_free(void *p)
{
	free(p);
}

void *__libc_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

void *__libc_realloc(void *p, size_t size)
{
	return realloc(p, size);
}

/* The dynamic linker gives musl's malloc unused memory; static images have none to give. */
void __malloc_donate(char *start, char *end)
{
	(void)start;
	(void)end;
}

/* Called around fork, which a unikernel does not have. */
void __malloc_atfork(int who)
{
	(void)who;
}
