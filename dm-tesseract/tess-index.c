// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: the global index from swap entries to store blocks.
 */
#include <kunit/visibility.h>
#include <linux/slab.h>

#include "tess-index.h"

int tess_index_swapon(struct tess_index *idx, unsigned int type)
{
	struct xarray *xa;

	if (type >= MAX_SWAPFILES || idx->types[type])
		return -EINVAL;
	xa = kmalloc(sizeof(*xa), GFP_KERNEL);
	if (!xa)
		return -ENOMEM;
	xa_init_flags(xa, XA_FLAGS_LOCK_IRQ);
	WRITE_ONCE(idx->types[type], xa);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tess_index_swapon);

void tess_index_swapoff(struct tess_index *idx, unsigned int type)
{
	struct xarray *xa;

	if (type >= MAX_SWAPFILES || !idx->types[type])
		return;
	xa = idx->types[type];
	WRITE_ONCE(idx->types[type], NULL);
	WARN_ON_ONCE(!xa_empty(xa));
	xa_destroy(xa);
	kfree(xa);
}
EXPORT_SYMBOL_IF_KUNIT(tess_index_swapoff);

static struct xarray *tess_index_xa(struct tess_index *idx, swp_entry_t e)
{
	unsigned int type = swp_type(e);

	return type < MAX_SWAPFILES ? READ_ONCE(idx->types[type]) : NULL;
}

bool tess_index_has_type(struct tess_index *idx, unsigned int type)
{
	return type < MAX_SWAPFILES && READ_ONCE(idx->types[type]);
}
EXPORT_SYMBOL_IF_KUNIT(tess_index_has_type);

int tess_index_store(struct tess_index *idx, swp_entry_t e, u64 block,
		     gfp_t gfp, u64 *old, bool *had_old)
{
	struct xarray *xa = tess_index_xa(idx, e);
	void *prev;

	*had_old = false;
	if (!xa)
		return -ENOENT;
	prev = xa_store_irq(xa, swp_offset(e), xa_mk_value(block), gfp);
	if (xa_is_err(prev))
		return xa_err(prev);
	if (prev) {
		*old = xa_to_value(prev);
		*had_old = true;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tess_index_store);

bool tess_index_lookup(struct tess_index *idx, swp_entry_t e, u64 *block)
{
	struct xarray *xa = tess_index_xa(idx, e);
	void *v;

	if (!xa)
		return false;
	v = xa_load(xa, swp_offset(e));
	if (!v)
		return false;
	*block = xa_to_value(v);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(tess_index_lookup);

bool tess_index_erase(struct tess_index *idx, swp_entry_t e, u64 *block)
{
	struct xarray *xa = tess_index_xa(idx, e);
	unsigned long flags;
	void *v;

	if (!xa)
		return false;
	xa_lock_irqsave(xa, flags);
	v = __xa_erase(xa, swp_offset(e));
	xa_unlock_irqrestore(xa, flags);
	if (!v)
		return false;
	*block = xa_to_value(v);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(tess_index_erase);
