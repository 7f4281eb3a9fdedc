/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: the global index from swap entries to store blocks.
 *
 * One xarray per active swap type, indexed by swap offset, holding the
 * store block that has the content of the page swapped out to that entry.
 * Lookups are lock-free (RCU inside the xarray); updates take the xarray's
 * own lock.
 *
 * Lifetime: the array of a type is created by tess_index_swapon() and
 * destroyed by tess_index_swapoff(); the swap core guarantees that no
 * store, load or invalidate of that type runs outside that window, so the
 * functions that take an entry need no reference on the array.  Lookup
 * and erase may be called from any context, including bio completion;
 * store only from process context with interrupts enabled (it may
 * allocate with @gfp).
 */
#ifndef DM_TESSERACT_INDEX_H
#define DM_TESSERACT_INDEX_H

#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/xarray.h>

struct tess_index {
	struct xarray *types[MAX_SWAPFILES];
};

/* Process context, may sleep. */
int tess_index_swapon(struct tess_index *idx, unsigned int type);
/* Process context; the type's array must be empty (warns if not). */
void tess_index_swapoff(struct tess_index *idx, unsigned int type);

/* True if @type has an array (swapon seen and not yet swapoff). */
bool tess_index_has_type(struct tess_index *idx, unsigned int type);

/*
 * Record that @e's content is in @block.  Returns 0, or a negative errno
 * when the entry cannot be recorded (-ENOENT: unknown swap type).  If @e
 * already had a block, *@old is set to it and true is returned through
 * @had_old; the caller drops that block's reference.
 */
int tess_index_store(struct tess_index *idx, swp_entry_t e, u64 block,
		     gfp_t gfp, u64 *old, bool *had_old);

/* Look up @e.  Returns true and sets *@block if it is recorded. */
bool tess_index_lookup(struct tess_index *idx, swp_entry_t e, u64 *block);

/* Forget @e.  Returns true and sets *@block if it was recorded. */
bool tess_index_erase(struct tess_index *idx, swp_entry_t e, u64 *block);

#endif /* DM_TESSERACT_INDEX_H */
