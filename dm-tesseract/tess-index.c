// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: the global index from swap entries to store blocks.
 */
#include <kunit/visibility.h>
#include <linux/slab.h>

#include "tess-index.h"
#include "tess-xa.h"

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

	*had_old = false;
	if (!xa)
		return -ENOENT;
	return tess_xa_store(xa, swp_offset(e), block, gfp, old, had_old);
}
EXPORT_SYMBOL_IF_KUNIT(tess_index_store);

bool tess_index_lookup(struct tess_index *idx, swp_entry_t e, u64 *block)
{
	struct xarray *xa = tess_index_xa(idx, e);

	return xa && tess_xa_load(xa, swp_offset(e), block);
}
EXPORT_SYMBOL_IF_KUNIT(tess_index_lookup);

bool tess_index_erase(struct tess_index *idx, swp_entry_t e, u64 *block)
{
	struct xarray *xa = tess_index_xa(idx, e);

	return xa && tess_xa_erase(xa, swp_offset(e), block);
}
EXPORT_SYMBOL_IF_KUNIT(tess_index_erase);
