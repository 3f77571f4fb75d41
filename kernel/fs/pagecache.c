/* The page cache of read-only shares: file pages by (node, page index), in one hash table, with
 * a page not used lately evicted once the cache holds toro.pagecache=SIZE bytes (K, M or G
 * suffix; default PAGECACHE_DEFAULT, at most an eighth of RAM). Pages are kept in the order they
 * came in, marked used then and by every read; the eviction takes the oldest page not used since
 * it last passed it, giving a used one a second chance (back to the front, mark cleared): the
 * CLOCK approximation of least recently used, so that a hit costs one store, not a move in the
 * list. A web server's hot files are then read from memory. Read-write shares bypass it: the
 * host may change their files at any time. */
#include "vfs_private.h"

#include <kernel/arch.h>
#include <kernel/cmdline.h>
#include <kernel/mm.h>
#include <kernel/spinlock.h>
#include <kernel/string.h>
#include <toro/memory.h>

#define PAGECACHE_DEFAULT (64ul << 20)
/* Buckets: half as many as the pages the cache may hold (a power of two; 8 bytes for 8 KiB),
 * in pages of their own once the limit is known; until then, and if those pages cannot be had,
 * the first ones. */
#define PAGECACHE_HASH_FIRST 256

struct cached_page {
	struct cached_page *hash_next;
	struct cached_page *lru_prev, *lru_next; /* newest first */
	struct vnode *owner;
	uint64_t index;
	size_t len; /* bytes of the file in this page (less than a page at its end) */
	uint8_t *data;
	int used; /* came in or was read since its last second chance */
};

static struct cached_page *first_buckets[PAGECACHE_HASH_FIRST];

static struct {
	struct spinlock lock;
	struct cached_page **hash;
	unsigned hash_mask;
	struct cached_page *lru_head, *lru_tail;
	uint64_t pages, limit_pages; /* limit 0: not read yet */
} cache = {.hash = first_buckets, .hash_mask = PAGECACHE_HASH_FIRST - 1};

/* The node's hash plus the index: a file's pages go to consecutive buckets, so that one file
 * never collides with itself while the table has room for it. */
static inline __attribute__((always_inline)) struct cached_page **bucket(struct vnode *n,
                                                                         uint64_t index)
{
	uint64_t h = (((uintptr_t)n >> 4) * 0x9e3779b97f4a7c15ull >> 32) + index;
	return &cache.hash[(unsigned)h & cache.hash_mask];
}

/* "16M", "65536", "1G": bytes, or 0 if malformed. */
static uint64_t parse_size(const char *s)
{
	uint64_t v = 0;
	if (!*s)
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > UINT64_MAX / 10 - 9)
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	unsigned shift = *s == 'K' || *s == 'k'   ? 10
	                 : *s == 'M' || *s == 'm' ? 20
	                 : *s == 'G' || *s == 'g' ? 30
	                                          : 0;
	if (shift)
		s++;
	if (*s || v > (UINT64_MAX >> shift))
		return 0;
	return v << shift;
}

/* With the lock held. */
static void limit_read(void)
{
	if (cache.limit_pages)
		return;
	uint64_t bytes = PAGECACHE_DEFAULT;
	for (int i = 0; i < cmdline_option_count; i++) {
		const char *v = cmdline_option_value(cmdline_options[i], "toro.pagecache");
		if (v)
			bytes = parse_size(v);
	}
	struct mm_stats ms;
	mm_get_stats(&ms);
	uint64_t cap = ms.total_pages / 8;
	cache.limit_pages = bytes / PAGE_SIZE < cap ? bytes / PAGE_SIZE : cap;
	if (cache.limit_pages == 0)
		cache.limit_pages =
		    1; /* toro.pagecache=0 still keeps one page: a cache, not a leak */
	/* Nothing is cached yet (this runs before the first page goes in): the table can grow. */
	uint64_t buckets = PAGECACHE_HASH_FIRST;
	while (buckets < cache.limit_pages / 2)
		buckets *= 2;
	size_t npages = (size_t)(buckets * sizeof(*cache.hash) / PAGE_SIZE);
	struct cached_page **table = npages > 1 ? mm_pages_zalloc(npages) : NULL;
	if (table) {
		cache.hash = table;
		cache.hash_mask = (unsigned)buckets - 1;
	}
}

static void lru_unlink(struct cached_page *p)
{
	if (p->lru_prev)
		p->lru_prev->lru_next = p->lru_next;
	else
		cache.lru_head = p->lru_next;
	if (p->lru_next)
		p->lru_next->lru_prev = p->lru_prev;
	else
		cache.lru_tail = p->lru_prev;
}

static void lru_push_front(struct cached_page *p)
{
	p->lru_prev = NULL;
	p->lru_next = cache.lru_head;
	if (cache.lru_head)
		cache.lru_head->lru_prev = p;
	else
		cache.lru_tail = p;
	cache.lru_head = p;
}

static void hash_remove(struct cached_page *p)
{
	for (struct cached_page **l = bucket(p->owner, p->index); *l; l = &(*l)->hash_next)
		if (*l == p) {
			*l = p->hash_next;
			return;
		}
}

static inline __attribute__((always_inline)) struct cached_page *find(struct vnode *n,
                                                                      uint64_t index)
{
	struct cached_page *p = *bucket(n, index);
	while (p && !(p->owner == n && p->index == index))
		p = p->hash_next;
	return p;
}

long pagecache_read(struct vnode *n, void *dst, size_t len, uint64_t off, uint64_t size)
{
	if (off >= size)
		return 0;
	size_t at = off % PAGE_SIZE;
	size_t want = len < size - off ? len : size - off;
	spin_lock(&cache.lock);
	struct cached_page *p = find(n, off / PAGE_SIZE);
	long r = PAGECACHE_MISS;
	if (p) { /* p->len <= PAGE_SIZE: the copy ends at the page's end */
		r = at >= p->len ? 0 : (long)(p->len - at < want ? p->len - at : want);
		if (arch_user_copy(dst, p->data + at, (size_t)r))
			r = -LINUX_EFAULT;
		p->used = 1;
	}
	spin_unlock(&cache.lock);
	return r;
}

/* Frees pages outside the lock (the allocator takes its own). */
static void free_pages_list(struct cached_page *list)
{
	while (list) {
		struct cached_page *next = list->hash_next;
		mm_pages_free(list->data, 1);
		toro_free(list);
		list = next;
	}
}

void pagecache_put(struct vnode *n, uint64_t index, void *page, size_t len)
{
	struct cached_page *p = toro_malloc(sizeof(*p));
	if (!p) {
		mm_pages_free(page, 1);
		return; /* no memory: the read works, uncached */
	}
	*p = (struct cached_page){.owner = n, .index = index, .len = len, .data = page, .used = 1};
	struct cached_page *evicted = NULL;
	spin_lock(&cache.lock);
	limit_read();
	struct cached_page *old = find(n, index);
	if (old) { /* another reader was first */
		spin_unlock(&cache.lock);
		p->hash_next = NULL;
		free_pages_list(p);
		return;
	}
	struct cached_page **head = bucket(n, index);
	p->hash_next = *head;
	*head = p;
	lru_push_front(p);
	cache.pages++;
	n->cached_pages++;
	while (cache.pages > cache.limit_pages) {
		struct cached_page *victim = cache.lru_tail;
		lru_unlink(victim);
		if (victim->used) { /* a second chance */
			victim->used = 0;
			lru_push_front(victim);
			continue;
		}
		hash_remove(victim);
		cache.pages--;
		victim->owner->cached_pages--;
		victim->hash_next = evicted;
		evicted = victim;
	}
	spin_unlock(&cache.lock);
	free_pages_list(evicted);
}

void pagecache_drop(struct vnode *n)
{
	struct cached_page *dropped = NULL;
	spin_lock(&cache.lock);
	if (n->cached_pages == 0) {
		spin_unlock(&cache.lock);
		return;
	}
	n->cached_pages = 0;
	for (struct cached_page *p = cache.lru_head, *next; p; p = next) {
		next = p->lru_next;
		if (p->owner != n)
			continue;
		lru_unlink(p);
		hash_remove(p);
		cache.pages--;
		p->hash_next = dropped;
		dropped = p;
	}
	spin_unlock(&cache.lock);
	free_pages_list(dropped);
}
