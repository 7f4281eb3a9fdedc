// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: the remap map of one VM disk, and extent planning.
 */
#include <kunit/visibility.h>
#include <linux/gfp.h>
#include <linux/minmax.h>

#include "tess-remap.h"
#include "tess-xa.h"

void tess_remap_init(struct tess_remap *rm)
{
	xa_init_flags(&rm->map, XA_FLAGS_LOCK_IRQ);
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_init);

void tess_remap_destroy(struct tess_remap *rm)
{
	WARN_ON_ONCE(!xa_empty(&rm->map));
	xa_destroy(&rm->map);
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_destroy);

int tess_remap_set(struct tess_remap *rm, u64 disk, u64 store, gfp_t gfp,
		   u64 *old, bool *had_old)
{
	unsigned long flags;
	void *prev;

	if (WARN_ON_ONCE(gfpflags_allow_blocking(gfp)))
		return -EINVAL;
	xa_lock_irqsave(&rm->map, flags);
	prev = __xa_store(&rm->map, disk, xa_mk_value(store), gfp);
	xa_unlock_irqrestore(&rm->map, flags);
	*had_old = false;
	if (xa_is_err(prev))
		return xa_err(prev);
	if (prev) {
		*old = xa_to_value(prev);
		*had_old = true;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_set);

void tess_remap_reserve(struct tess_remap *rm, u64 first, unsigned int nr,
			gfp_t gfp)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (xa_reserve_irq(&rm->map, first + i, gfp))
			break;
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_reserve);

void tess_remap_release(struct tess_remap *rm, u64 first, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		xa_cmpxchg_irq(&rm->map, first + i, XA_ZERO_ENTRY, NULL, 0);
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_release);

bool tess_remap_get(struct tess_remap *rm, u64 disk, u64 *store)
{
	return tess_xa_load(&rm->map, disk, store);
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_get);

bool tess_remap_clear(struct tess_remap *rm, u64 disk, u64 *store)
{
	return tess_xa_erase(&rm->map, disk, store);
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_clear);

bool tess_remap_any(struct tess_remap *rm, u64 first, u64 last)
{
	unsigned long index = first;

	return xa_find(&rm->map, &index, last, XA_PRESENT);
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_any);

u64 tess_remap_count(struct tess_remap *rm)
{
	XA_STATE(xas, &rm->map, 0);
	u64 n = 0;
	void *v;

	rcu_read_lock();
	xas_for_each(&xas, v, ULONG_MAX)
		if (!xas_retry(&xas, v))
			n++;
	rcu_read_unlock();
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_count);

/* Where the piece of block @b at @offset sectors into it lives. */
static bool tess_remap_where(struct tess_remap *rm, u64 b, sector_t offset,
			     sector_t *store_sector)
{
	u64 s;

	if (!tess_remap_get(rm, b, &s))
		return false;
	*store_sector = s * TESS_SECTORS_PER_BLOCK + offset;
	return true;
}

/* Can a piece at @store_sector (remapped or not) extend extent @e? */
static bool tess_extent_extends(const struct tess_extent *e, bool remapped,
				sector_t store_sector)
{
	if (e->remapped != remapped)
		return false;
	return !remapped || e->store_sector + e->len == store_sector;
}

unsigned int tess_remap_plan(struct tess_remap *rm, sector_t sector,
			     sector_t len, struct tess_extent *ext,
			     unsigned int max)
{
	sector_t end = sector + len, offset, piece, store_sector = 0;
	struct tess_extent *e = NULL;
	unsigned int n = 0;
	bool remapped;
	u64 b;

	while (sector < end) {
		b = sector >> (TESS_BLOCK_SHIFT - SECTOR_SHIFT);
		offset = sector & (TESS_SECTORS_PER_BLOCK - 1);
		piece = min_t(sector_t, TESS_SECTORS_PER_BLOCK - offset,
			      end - sector);
		remapped = tess_remap_where(rm, b, offset, &store_sector);

		if (e && tess_extent_extends(e, remapped, store_sector)) {
			e->len += piece;
		} else {
			if (n == max)
				break;
			e = &ext[n++];
			e->sector = sector;
			e->len = piece;
			e->remapped = remapped;
			e->store_sector = remapped ? store_sector : 0;
		}
		sector += piece;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_plan);
