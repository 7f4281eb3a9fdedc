/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: reference-counted allocator of store blocks.
 *
 * The store is divided into 4 KiB blocks.  A block is free when its
 * reference count is zero.  A block is referenced by the swap entry whose
 * content it holds (volatile: swap does not survive a reboot), by remapped
 * disk blocks (persistent: the pool's metadata counts them too), by reads
 * and copies in flight, or by several of these.
 *
 * Allocation is log-structured: blocks are handed out in increasing order
 * from a cursor (the log head) that wraps around at the end of the store,
 * so that a reclaim batch becomes sequential writes.
 *
 * Put after commit.  A remap dropped in memory is still named by the
 * metadata on disk until the commit that drops it completes; its block must
 * not be reused before that, or a crash would read another page's content
 * through the old remap.  tess_alloc_put_after_commit() records the drop
 * without releasing the reference, in the open generation of two:
 * tess_alloc_commit_begin() closes it (call it before the commit collects
 * the changes it writes), and tess_alloc_commit_end() releases the closed
 * generation once that commit succeeded.  A drop recorded after the
 * generation closed waits for the next commit.  Nothing here allocates:
 * the pending counts are arrays sized at init.
 *
 * Locking: @lock protects every field; every function below takes it
 * itself and none may be called with it held.  All functions but init,
 * destroy, set_refs and commit_end may be called from any context,
 * including reclaim, under a spinlock and bio completion (they never
 * sleep).
 */
#ifndef DM_TESSERACT_ALLOC_H
#define DM_TESSERACT_ALLOC_H

#include <linux/spinlock.h>
#include <linux/types.h>

/* The largest number of references one block can hold. */
#define TESS_MAX_REFS	U16_MAX

/* Puts of one generation: a count per block, a bit per block with one. */
struct tess_alloc_gen {
	unsigned long *pending;	/* bit set: @count of that block > 0 */
	u16 *count;
	u64 nr;			/* puts recorded (sum of @count) */
};

struct tess_alloc {
	spinlock_t lock;	/* protects all the fields below */
	u64 first;		/* first allocatable block */
	u64 end;		/* one past the last block */
	u64 cursor;		/* log head: next block to try */
	u64 nr_free;
	unsigned long *used;	/* bit set: reference count > 0 */
	u16 *refs;		/* reference count of each block */
	struct tess_alloc_gen gen[2];
	unsigned int open;	/* gen[open] collects, gen[!open] is closed */
};

/*
 * Manage blocks [@first, @end), all free, the log head at @first.
 * Process context, may sleep.  Returns 0 or -ENOMEM/-EINVAL.
 */
int tess_alloc_init(struct tess_alloc *a, u64 first, u64 end);
void tess_alloc_destroy(struct tess_alloc *a);

/*
 * At pool open, before any other call: block @b holds @count references
 * (the remaps the metadata records).  Process context.  -EINVAL out of
 * range or over TESS_MAX_REFS.
 */
int tess_alloc_set_refs(struct tess_alloc *a, u64 b, unsigned int count);

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
 * Drop one reference on @b now.  Returns true when @b became free.
 * Dropping a reference on a free or out-of-range block is a bug: it warns
 * once and changes nothing.
 */
bool tess_alloc_put(struct tess_alloc *a, u64 b);

/*
 * Drop one reference on @b once the next commit to begin has succeeded
 * (see above).  The reference stays counted until then.
 */
void tess_alloc_put_after_commit(struct tess_alloc *a, u64 b);

/*
 * A commit begins: close the open generation, unless the closed one still
 * waits for a commit that failed (then it keeps waiting, and the open one
 * stays open).  Returns the number of puts the commit will release.
 */
u64 tess_alloc_commit_begin(struct tess_alloc *a);

/*
 * The commit ended: if @committed, release the closed generation's puts.
 * If not, they stay pending (their blocks are never reused).  Process
 * context (it walks the generation's bitmap, dropping the lock now and
 * then).  Returns the number of blocks that became free.
 */
u64 tess_alloc_commit_end(struct tess_alloc *a, bool committed);

/* Puts waiting for a commit, both generations. */
u64 tess_alloc_nr_pending(struct tess_alloc *a);

/* Current reference count of @b (0 when free or out of range). */
unsigned int tess_alloc_refs(struct tess_alloc *a, u64 b);

u64 tess_alloc_nr_free(struct tess_alloc *a);

static inline u64 tess_alloc_nr_blocks(const struct tess_alloc *a)
{
	return a->end - a->first;
}

#endif /* DM_TESSERACT_ALLOC_H */
