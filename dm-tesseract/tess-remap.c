// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: the remap map of one VM disk, and extent planning.
 */
#include <kunit/visibility.h>
#include <linux/gfp.h>
#include <linux/minmax.h>

#include "tess-remap.h"

/* Entry values: store block << 1, bit 0 set for a tombstone. */
#define TESS_REMAP_DIRTY	XA_MARK_0
#define TESS_REMAP_LIVE		XA_MARK_1

static void *tess_remap_live(u64 store)
{
	return xa_mk_value(store << 1);
}

static void *tess_remap_tombstone(u64 store)
{
	return xa_mk_value(store << 1 | 1);
}

static bool tess_remap_is_live(void *entry)
{
	return entry && xa_is_value(entry) && !(xa_to_value(entry) & 1);
}

static u64 tess_remap_store_of(void *entry)
{
	return xa_to_value(entry) >> 1;
}

void tess_remap_init(struct tess_remap *rm)
{
	xa_init_flags(&rm->map, XA_FLAGS_LOCK_IRQ);
	rm->nr_drops = 0;
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_init);

void tess_remap_destroy(struct tess_remap *rm)
{
	xa_destroy(&rm->map);
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_destroy);

int tess_remap_set(struct tess_remap *rm, u64 disk, u64 store, gfp_t gfp,
		   u64 *old, bool *had_old)
{
	unsigned long flags;
	void *prev;

	*had_old = false;
	if (WARN_ON_ONCE(gfpflags_allow_blocking(gfp)))
		return -EINVAL;
	xa_lock_irqsave(&rm->map, flags);
	prev = __xa_store(&rm->map, disk, tess_remap_live(store), gfp);
	if (!xa_is_err(prev)) {
		__xa_set_mark(&rm->map, disk, TESS_REMAP_LIVE);
		__xa_set_mark(&rm->map, disk, TESS_REMAP_DIRTY);
	}
	xa_unlock_irqrestore(&rm->map, flags);
	if (xa_is_err(prev))
		return xa_err(prev);
	if (tess_remap_is_live(prev)) {
		*old = tess_remap_store_of(prev);
		*had_old = true;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_set);

int tess_remap_load(struct tess_remap *rm, u64 disk, u64 store, gfp_t gfp)
{
	void *prev;

	xa_lock_irq(&rm->map);
	prev = __xa_store(&rm->map, disk, tess_remap_live(store), gfp);
	if (!xa_is_err(prev))
		__xa_set_mark(&rm->map, disk, TESS_REMAP_LIVE);
	xa_unlock_irq(&rm->map);
	return xa_err(prev);
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_load);

bool tess_remap_drop_if(struct tess_remap *rm, u64 disk, u64 store, bool any,
			u64 *cur)
{
	XA_STATE(xas, &rm->map, disk);
	unsigned long flags;
	bool drop;
	void *e;

	xa_lock_irqsave(&rm->map, flags);
	e = xas_load(&xas);
	drop = tess_remap_is_live(e) &&
	       (any || tess_remap_store_of(e) == store);
	if (drop) {
		*cur = tess_remap_store_of(e);
		/* The slot exists: storing into it allocates nothing. */
		xas_store(&xas, tess_remap_tombstone(*cur));
		xas_clear_mark(&xas, TESS_REMAP_LIVE);
		xas_set_mark(&xas, TESS_REMAP_DIRTY);
		WRITE_ONCE(rm->nr_drops, rm->nr_drops + 1);
	}
	xa_unlock_irqrestore(&rm->map, flags);
	return drop;
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_drop_if);

unsigned long tess_remap_drops(struct tess_remap *rm)
{
	return READ_ONCE(rm->nr_drops);
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_drops);

unsigned int tess_remap_undrop(struct tess_remap *rm,
			       int (*ref)(void *ctx, u64 store), void *ctx)
{
	XA_STATE(xas, &rm->map, 0);
	unsigned long flags;
	unsigned int n = 0;
	void *e;

	xa_lock_irqsave(&rm->map, flags);
	xas_for_each_marked(&xas, e, ULONG_MAX, TESS_REMAP_DIRTY) {
		if (tess_remap_is_live(e))
			continue;
		if (ref(ctx, tess_remap_store_of(e))) {
			n++;
			continue;
		}
		/* The slot exists: storing into it allocates nothing. */
		xas_store(&xas, tess_remap_live(tess_remap_store_of(e)));
		xas_set_mark(&xas, TESS_REMAP_LIVE);
	}
	xa_unlock_irqrestore(&rm->map, flags);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_undrop);

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
	void *e = xa_load(&rm->map, disk);

	if (!tess_remap_is_live(e))
		return false;
	*store = tess_remap_store_of(e);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_get);

bool tess_remap_any(struct tess_remap *rm, u64 first, u64 last)
{
	unsigned long index = first;

	return xa_find(&rm->map, &index, last, TESS_REMAP_LIVE);
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_any);

bool tess_remap_next(struct tess_remap *rm, u64 *disk, u64 last, u64 *store)
{
	unsigned long index = *disk;
	void *e;

	/* A mark can be seen a moment before the entry turns live. */
	while ((e = xa_find(&rm->map, &index, last, TESS_REMAP_LIVE))) {
		if (tess_remap_is_live(e)) {
			*disk = index;
			*store = tess_remap_store_of(e);
			return true;
		}
		if (index++ == last)
			break;
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_next);

u64 tess_remap_count(struct tess_remap *rm)
{
	XA_STATE(xas, &rm->map, 0);
	u64 n = 0;
	void *v;

	rcu_read_lock();
	xas_for_each_marked(&xas, v, ULONG_MAX, TESS_REMAP_LIVE)
		if (!xas_retry(&xas, v) && tess_remap_is_live(v))
			n++;
	rcu_read_unlock();
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_count);

bool tess_remap_dirty(struct tess_remap *rm)
{
	return xa_marked(&rm->map, TESS_REMAP_DIRTY);
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_dirty);

unsigned int tess_remap_collect(struct tess_remap *rm, u64 *pos,
				struct tess_remap_change *changes,
				unsigned int max)
{
	XA_STATE(xas, &rm->map, *pos);
	unsigned long flags;
	unsigned int n = 0;
	void *e;

	xa_lock_irqsave(&rm->map, flags);
	xas_for_each_marked(&xas, e, ULONG_MAX, TESS_REMAP_DIRTY) {
		if (n == max)
			break;
		changes[n].disk = xas.xa_index;
		changes[n].store = tess_remap_store_of(e);
		changes[n].live = tess_remap_is_live(e);
		if (changes[n].live)
			xas_clear_mark(&xas, TESS_REMAP_DIRTY);
		else
			xas_store(&xas, NULL);
		*pos = xas.xa_index + 1;
		n++;
	}
	xa_unlock_irqrestore(&rm->map, flags);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(tess_remap_collect);

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
