/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: xarrays of block numbers, as the swap index keeps them:
 * each entry a u64 stored as an xarray value.
 *
 * The xarrays are XA_FLAGS_LOCK_IRQ.  Load and erase may be called from
 * any context; store only from process context with interrupts enabled,
 * since it may drop the lock to allocate with @gfp.
 */
#ifndef DM_TESSERACT_XA_H
#define DM_TESSERACT_XA_H

#include <linux/xarray.h>

/*
 * Set entry @i to @v.  Returns 0 or -errno; if @i had a value, it is put
 * in *@old and *@had_old is true.
 */
static inline int tess_xa_store(struct xarray *xa, unsigned long i, u64 v,
				gfp_t gfp, u64 *old, bool *had_old)
{
	void *prev = xa_store_irq(xa, i, xa_mk_value(v), gfp);

	*had_old = false;
	if (xa_is_err(prev))
		return xa_err(prev);
	if (prev) {
		*old = xa_to_value(prev);
		*had_old = true;
	}
	return 0;
}

static inline bool tess_xa_load(struct xarray *xa, unsigned long i, u64 *v)
{
	void *e = xa_load(xa, i);

	if (!e)
		return false;
	*v = xa_to_value(e);
	return true;
}

static inline bool tess_xa_erase(struct xarray *xa, unsigned long i, u64 *v)
{
	unsigned long flags;
	void *e;

	xa_lock_irqsave(xa, flags);
	e = __xa_erase(xa, i);
	xa_unlock_irqrestore(xa, flags);
	if (!e)
		return false;
	*v = xa_to_value(e);
	return true;
}

#endif /* DM_TESSERACT_XA_H */
