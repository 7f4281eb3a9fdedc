/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: the in-core remap map of one VM disk, and extent planning.
 *
 * A remapped disk block holds guest data in a store block instead of its
 * home block on the data device.  The map is an xarray indexed by disk
 * block (4 KiB units).  An entry is either live (the block is remapped) or
 * a tombstone (the remap was dropped in memory, its removal from the
 * pool's btree is not written yet).  Every change marks its entry dirty;
 * the pool's worker collects dirty entries (tess_remap_collect()) and
 * writes them into the metadata, which erases the tombstones.  Entries
 * loaded from the metadata (tess_remap_load()) are live and clean.
 *
 * Lookups (get, any, next, plan) see live entries only and are lock-free;
 * updates take the xarray's lock with interrupts off and never sleep,
 * except load.  The map holds no store block reference itself: its users
 * take and drop them with the allocator, and a dropped or replaced remap's
 * reference is put after the commit that drops it (tess-alloc.h).
 *
 * tess_remap_plan() splits a range of sectors into extents that each go
 * to one place: a run of home blocks to the data device, or a run of
 * remapped blocks whose store blocks are consecutive to the store, so
 * that a read needs as few I/Os as the layout allows.
 */
#ifndef DM_TESSERACT_REMAP_H
#define DM_TESSERACT_REMAP_H

#include <linux/blk_types.h>
#include <linux/xarray.h>

#define TESS_BLOCK_SHIFT	12
#define TESS_SECTORS_PER_BLOCK	(1 << (TESS_BLOCK_SHIFT - SECTOR_SHIFT))

struct tess_remap {
	struct xarray map;	/* disk block -> store block or tombstone */
	unsigned long nr_drops;	/* remaps dropped so far; xarray lock */
};

void tess_remap_init(struct tess_remap *rm);
/* Forget every entry (they are in the metadata, or lost on purpose). */
void tess_remap_destroy(struct tess_remap *rm);

/*
 * Map disk block @disk to store block @store, dirty; any context, @gfp
 * must not block (GFP_NOWAIT, GFP_ATOMIC).  Returns 0, or -errno when the
 * xarray cannot allocate.  If @disk was remapped (live), *@old is its
 * previous store block and *@had_old is true: the caller puts it after
 * commit.  A tombstone it replaces holds no reference.
 */
int tess_remap_set(struct tess_remap *rm, u64 disk, u64 store, gfp_t gfp,
		   u64 *old, bool *had_old);
/*
 * Map @disk to @store as the metadata has it: live and clean.  Process
 * context, may sleep with @gfp.  Returns 0 or -errno.
 */
int tess_remap_load(struct tess_remap *rm, u64 disk, u64 store, gfp_t gfp);
/*
 * Drop the remap of @disk if it is live and maps store block @store (any
 * store block if @any): it becomes a dirty tombstone.  True and *@cur, the
 * store block it mapped, if it dropped it (the caller puts *@cur after
 * commit).  The check and the drop are one hold of the xarray's lock, so
 * a remap set anew meanwhile is never the one dropped.  Any context.
 */
bool tess_remap_drop_if(struct tess_remap *rm, u64 disk, u64 store, bool any,
			u64 *cur);
/*
 * How many remaps tess_remap_drop_if() has dropped so far; any context.  A
 * caller that reads it, then flushes what the dropping writes wrote, knows
 * every tombstone counted by then is covered by that flush.
 */
unsigned long tess_remap_drops(struct tess_remap *rm);
/*
 * Turn every dirty tombstone back into a live dirty remap of its last
 * store block, calling @ref(@ctx, store) for each first; one whose @ref
 * fails stays a tombstone.  Returns how many stayed.  For a disk whose
 * removals can never be made durable (its data device cannot flush) and
 * that goes away: the remaps it dropped come back, as the metadata may
 * still name them.  Any context; @ref must not sleep.
 */
unsigned int tess_remap_undrop(struct tess_remap *rm,
			       int (*ref)(void *ctx, u64 store), void *ctx);
/*
 * Reserve the slots of disk blocks [@first, @first + @nr) that are empty,
 * so that tess_remap_set() there needs no allocation; process context, may
 * sleep with @gfp.  Best effort: a slot it could not reserve is allocated
 * by tess_remap_set() as usual.  Reserved slots read as unmapped.
 */
void tess_remap_reserve(struct tess_remap *rm, u64 first, unsigned int nr,
			gfp_t gfp);
/* Release the slots of [@first, @first + @nr) still reserved; any context. */
void tess_remap_release(struct tess_remap *rm, u64 first, unsigned int nr);
/* Look up @disk (live only); any context. */
bool tess_remap_get(struct tess_remap *rm, u64 disk, u64 *store);
/* Is any of disk blocks [@first, @last] remapped (live)?  Any context. */
bool tess_remap_any(struct tess_remap *rm, u64 first, u64 last);
/*
 * The first live remap at or after *@disk and at most @last: true with
 * *@disk and *@store set.  Any context.
 */
bool tess_remap_next(struct tess_remap *rm, u64 *disk, u64 last, u64 *store);
/* Number of remapped (live) blocks; walks the map. */
u64 tess_remap_count(struct tess_remap *rm);
/* Has the map changes the metadata does not have yet?  Any context. */
bool tess_remap_dirty(struct tess_remap *rm);

/* A change for the metadata, as tess_remap_collect() hands it out. */
struct tess_remap_change {
	u64 disk;
	u64 store;	/* live: the store block; tombstone: the last one */
	bool live;	/* false: remove @disk's remap */
};

/*
 * Collect up to @max dirty entries at or after *@pos into @changes, in
 * disk block order: live ones become clean, tombstones are erased.  *@pos
 * moves past the last one.  Returns how many.  Any context.  An entry
 * changed again after this is dirty again, for the next collection.
 */
unsigned int tess_remap_collect(struct tess_remap *rm, u64 *pos,
				struct tess_remap_change *changes,
				unsigned int max);

/* One piece of a planned I/O. */
struct tess_extent {
	sector_t sector;	/* on the target */
	sector_t len;		/* sectors */
	bool remapped;		/* true: store, at store_sector */
	sector_t store_sector;
};

/*
 * Plan the I/O of @len sectors at @sector into at most @max extents in
 * @ext.  Returns the number of extents used; if @max runs out, the plan
 * covers only a prefix of the range (the caller splits the bio there).
 * Any context; it only reads the map.
 */
unsigned int tess_remap_plan(struct tess_remap *rm, sector_t sector,
			     sector_t len, struct tess_extent *ext,
			     unsigned int max);

#endif /* DM_TESSERACT_REMAP_H */
