// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: reference-counted allocator of store blocks.
 */
#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/bug.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "tess-alloc.h"

int tess_alloc_init(struct tess_alloc *a, u64 first, u64 end)
{
	unsigned int i;
	bool ok = true;

	/* The bitmap helpers count bits in unsigned int. */
	if (first >= end || end > UINT_MAX)
		return -EINVAL;

	spin_lock_init(&a->lock);
	a->first = first;
	a->end = end;
	a->cursor = first;
	a->nr_free = end - first;
	a->open = 0;
	a->used = kvcalloc(BITS_TO_LONGS(end), sizeof(long), GFP_KERNEL);
	a->refs = kvcalloc(end, sizeof(*a->refs), GFP_KERNEL);
	for (i = 0; i < ARRAY_SIZE(a->gen); i++) {
		a->gen[i].nr = 0;
		a->gen[i].pending = kvcalloc(BITS_TO_LONGS(end), sizeof(long),
					     GFP_KERNEL);
		a->gen[i].count = kvcalloc(end, sizeof(u16), GFP_KERNEL);
		ok = ok && a->gen[i].pending && a->gen[i].count;
	}
	if (!a->used || !a->refs || !ok) {
		tess_alloc_destroy(a);
		return -ENOMEM;
	}
	bitmap_set(a->used, 0, first);	/* blocks before @first never free */
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tess_alloc_init);

void tess_alloc_destroy(struct tess_alloc *a)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(a->gen); i++) {
		kvfree(a->gen[i].pending);
		kvfree(a->gen[i].count);
		a->gen[i].pending = NULL;
		a->gen[i].count = NULL;
	}
	kvfree(a->used);
	kvfree(a->refs);
	a->used = NULL;
	a->refs = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(tess_alloc_destroy);

static bool tess_alloc_in_range(struct tess_alloc *a, u64 b)
{
	return b >= a->first && b < a->end;
}

int tess_alloc_set_refs(struct tess_alloc *a, u64 b, unsigned int count)
{
	unsigned long flags;
	int r = 0;

	spin_lock_irqsave(&a->lock, flags);
	if (!tess_alloc_in_range(a, b) || count > TESS_MAX_REFS) {
		r = -EINVAL;
	} else {
		if (!a->refs[b] && count) {
			__set_bit(b, a->used);
			a->nr_free--;
		} else if (a->refs[b] && !count) {
			__clear_bit(b, a->used);
			a->nr_free++;
		}
		a->refs[b] = count;
	}
	spin_unlock_irqrestore(&a->lock, flags);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_alloc_set_refs);

/* Next free block at or after the cursor, wrapping once; caller holds lock. */
static u64 tess_alloc_next_free(struct tess_alloc *a)
{
	u64 b = find_next_zero_bit(a->used, a->end, a->cursor);

	if (b >= a->end)
		b = find_next_zero_bit(a->used, a->end, a->first);
	return b;
}

unsigned int tess_alloc_get(struct tess_alloc *a, unsigned int nr,
			    u64 *blocks)
{
	unsigned long flags;
	unsigned int i;
	u64 b;

	spin_lock_irqsave(&a->lock, flags);
	for (i = 0; i < nr && a->nr_free; i++) {
		b = tess_alloc_next_free(a);
		__set_bit(b, a->used);
		a->refs[b] = 1;
		a->nr_free--;
		a->cursor = b + 1 < a->end ? b + 1 : a->first;
		blocks[i] = b;
	}
	spin_unlock_irqrestore(&a->lock, flags);
	return i;
}
EXPORT_SYMBOL_IF_KUNIT(tess_alloc_get);

int tess_alloc_ref(struct tess_alloc *a, u64 b)
{
	unsigned long flags;
	int r = 0;

	spin_lock_irqsave(&a->lock, flags);
	if (!tess_alloc_in_range(a, b) || !a->refs[b])
		r = -EINVAL;
	else if (a->refs[b] == TESS_MAX_REFS)
		r = -EOVERFLOW;
	else
		a->refs[b]++;
	spin_unlock_irqrestore(&a->lock, flags);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_alloc_ref);

/* Drop @n references on @b; caller holds the lock. */
static bool __tess_alloc_put(struct tess_alloc *a, u64 b, unsigned int n)
{
	if (WARN_ON_ONCE(!tess_alloc_in_range(a, b) || a->refs[b] < n))
		return false;
	a->refs[b] -= n;
	if (a->refs[b])
		return false;
	__clear_bit(b, a->used);
	a->nr_free++;
	return true;
}

bool tess_alloc_put(struct tess_alloc *a, u64 b)
{
	unsigned long flags;
	bool freed;

	spin_lock_irqsave(&a->lock, flags);
	freed = __tess_alloc_put(a, b, 1);
	spin_unlock_irqrestore(&a->lock, flags);
	return freed;
}
EXPORT_SYMBOL_IF_KUNIT(tess_alloc_put);

void tess_alloc_put_after_commit(struct tess_alloc *a, u64 b)
{
	struct tess_alloc_gen *g;
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	g = &a->gen[a->open];
	/* A pending put is a reference: never more than the block holds. */
	if (!WARN_ON_ONCE(!tess_alloc_in_range(a, b) ||
			  a->gen[0].count[b] + a->gen[1].count[b] >=
			  a->refs[b])) {
		if (!g->count[b]++)
			__set_bit(b, g->pending);
		g->nr++;
	}
	spin_unlock_irqrestore(&a->lock, flags);
}
EXPORT_SYMBOL_IF_KUNIT(tess_alloc_put_after_commit);

u64 tess_alloc_commit_begin(struct tess_alloc *a)
{
	unsigned long flags;
	u64 nr;

	spin_lock_irqsave(&a->lock, flags);
	if (!a->gen[!a->open].nr)
		a->open = !a->open;
	nr = a->gen[!a->open].nr;
	spin_unlock_irqrestore(&a->lock, flags);
	return nr;
}
EXPORT_SYMBOL_IF_KUNIT(tess_alloc_commit_begin);

/* Blocks released per hold of the lock at commit end. */
#define TESS_ALLOC_RELEASE_BATCH	64

u64 tess_alloc_commit_end(struct tess_alloc *a, bool committed)
{
	struct tess_alloc_gen *g;
	unsigned long flags;
	unsigned int batch;
	u64 b = a->first, freed = 0;

	might_sleep();
	if (!committed)
		return 0;
	/* Only commit_end changes the closed generation: @g stays closed. */
	spin_lock_irqsave(&a->lock, flags);
	g = &a->gen[!a->open];
	while (g->nr) {
		for (batch = 0; batch < TESS_ALLOC_RELEASE_BATCH && g->nr;
		     batch++) {
			b = find_next_bit(g->pending, a->end, b);
			if (WARN_ON_ONCE(b >= a->end)) {
				g->nr = 0;
				break;
			}
			__clear_bit(b, g->pending);
			g->nr -= g->count[b];
			freed += __tess_alloc_put(a, b, g->count[b]);
			g->count[b] = 0;
		}
		spin_unlock_irqrestore(&a->lock, flags);
		cond_resched();
		spin_lock_irqsave(&a->lock, flags);
	}
	spin_unlock_irqrestore(&a->lock, flags);
	return freed;
}
EXPORT_SYMBOL_IF_KUNIT(tess_alloc_commit_end);

u64 tess_alloc_nr_pending(struct tess_alloc *a)
{
	unsigned long flags;
	u64 n;

	spin_lock_irqsave(&a->lock, flags);
	n = a->gen[0].nr + a->gen[1].nr;
	spin_unlock_irqrestore(&a->lock, flags);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(tess_alloc_nr_pending);

unsigned int tess_alloc_refs(struct tess_alloc *a, u64 b)
{
	unsigned long flags;
	unsigned int refs = 0;

	spin_lock_irqsave(&a->lock, flags);
	if (tess_alloc_in_range(a, b))
		refs = a->refs[b];
	spin_unlock_irqrestore(&a->lock, flags);
	return refs;
}
EXPORT_SYMBOL_IF_KUNIT(tess_alloc_refs);

u64 tess_alloc_nr_free(struct tess_alloc *a)
{
	unsigned long flags;
	u64 n;

	spin_lock_irqsave(&a->lock, flags);
	n = a->nr_free;
	spin_unlock_irqrestore(&a->lock, flags);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(tess_alloc_nr_free);
