// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: reference-counted allocator of store blocks.
 */
#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/bug.h>
#include <linux/slab.h>

#include "tess-alloc.h"

int tess_alloc_init(struct tess_alloc *a, u64 first, u64 end)
{
	/* The bitmap helpers count bits in unsigned int. */
	if (first >= end || end > UINT_MAX)
		return -EINVAL;

	spin_lock_init(&a->lock);
	a->first = first;
	a->end = end;
	a->cursor = first;
	a->nr_free = end - first;
	a->used = kvcalloc(BITS_TO_LONGS(end), sizeof(long), GFP_KERNEL);
	a->refs = kvcalloc(end, sizeof(*a->refs), GFP_KERNEL);
	if (!a->used || !a->refs) {
		tess_alloc_destroy(a);
		return -ENOMEM;
	}
	bitmap_set(a->used, 0, first);	/* blocks before @first never free */
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tess_alloc_init);

void tess_alloc_destroy(struct tess_alloc *a)
{
	kvfree(a->used);
	kvfree(a->refs);
	a->used = NULL;
	a->refs = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(tess_alloc_destroy);

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

static bool tess_alloc_in_range(struct tess_alloc *a, u64 b)
{
	return b >= a->first && b < a->end;
}

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

bool tess_alloc_put(struct tess_alloc *a, u64 b)
{
	unsigned long flags;
	bool freed = false;

	spin_lock_irqsave(&a->lock, flags);
	if (WARN_ON_ONCE(!tess_alloc_in_range(a, b) || !a->refs[b]))
		goto out;
	if (!--a->refs[b]) {
		__clear_bit(b, a->used);
		a->nr_free++;
		freed = true;
	}
out:
	spin_unlock_irqrestore(&a->lock, flags);
	return freed;
}
EXPORT_SYMBOL_IF_KUNIT(tess_alloc_put);

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
