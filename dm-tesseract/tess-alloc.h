/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: reference-counted allocator of store blocks.
 *
 * The store is divided into 4 KiB blocks.  A block is free when its
 * reference count is zero.  A block is referenced by the swap entry whose
 * content it holds, by remapped disk blocks, or by both.
 *
 * Allocation is log-structured: blocks are handed out in increasing order
 * from a cursor (the log head) that wraps around at the end of the store,
 * so that a reclaim batch becomes sequential writes.
 *
 * Locking: one spinlock per allocator protects the cursor, the bitmap and
 * the counts; every function below takes it itself and none may be called
 * with it held.  All functions but init and destroy may be called from any
 * context, including reclaim and bio completion (they never sleep).
 */
#ifndef DM_TESSERACT_ALLOC_H
#define DM_TESSERACT_ALLOC_H

#include <linux/spinlock.h>
#include <linux/types.h>

/* The largest number of references one block can hold. */
#define TESS_MAX_REFS	U16_MAX

struct tess_alloc {
	spinlock_t lock;	/* protects all the fields below */
	u64 first;		/* first allocatable block */
	u64 end;		/* one past the last block */
	u64 cursor;		/* log head: next block to try */
	u64 nr_free;
	unsigned long *used;	/* bit set: reference count > 0 */
	u16 *refs;		/* reference count of each block */
};

/*
 * Manage blocks [@first, @end), all free, the log head at @first.
 * Process context, may sleep.  Returns 0 or -ENOMEM/-EINVAL.
 */
int tess_alloc_init(struct tess_alloc *a, u64 first, u64 end);
void tess_alloc_destroy(struct tess_alloc *a);

/*
 * Allocate up to @nr free blocks in log order from the log head, each with
 * one reference, into @blocks.  Returns how many were allocated: fewer
 * than @nr only when the store is full.
 */
unsigned int tess_alloc_get(struct tess_alloc *a, unsigned int nr,
			    u64 *blocks);

/*
 * Take one more reference on allocated block @b.  Returns 0, -EINVAL if
 * @b is out of range or free, -EOVERFLOW if it holds TESS_MAX_REFS.
 */
int tess_alloc_ref(struct tess_alloc *a, u64 b);

/*
 * Drop one reference on @b.  Returns true when @b became free.  Dropping a
 * reference on a free or out-of-range block is a bug: it warns once and
 * changes nothing.
 */
bool tess_alloc_put(struct tess_alloc *a, u64 b);

/* Current reference count of @b (0 when free or out of range). */
unsigned int tess_alloc_refs(struct tess_alloc *a, u64 b);

u64 tess_alloc_nr_free(struct tess_alloc *a);

static inline u64 tess_alloc_nr_blocks(const struct tess_alloc *a)
{
	return a->end - a->first;
}

#endif /* DM_TESSERACT_ALLOC_H */
