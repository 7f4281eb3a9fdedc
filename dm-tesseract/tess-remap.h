/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: the remap map of one VM disk, and extent planning.
 *
 * A remapped disk block holds guest data in a store block instead of its
 * home block on the data device.  The map is an xarray indexed by disk
 * block (4 KiB units) holding the store block; lookups are lock-free,
 * updates take the xarray's lock with interrupts off and never
 * sleep.  The map holds no reference on store blocks itself: its
 * users take and drop them with the allocator.
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
	struct xarray map;	/* disk block -> store block */
};

void tess_remap_init(struct tess_remap *rm);
/* The map must be empty (its users dropped their references). */
void tess_remap_destroy(struct tess_remap *rm);

/*
 * Map disk block @disk to store block @store; any context, @gfp must not
 * block (GFP_NOWAIT, GFP_ATOMIC).  Returns 0, or -errno when the xarray
 * cannot allocate.  If @disk was mapped, *@old is its previous
 * store block and *@had_old is true: the caller releases it.
 */
int tess_remap_set(struct tess_remap *rm, u64 disk, u64 store, gfp_t gfp,
		   u64 *old, bool *had_old);
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
/* Look up @disk; any context. */
bool tess_remap_get(struct tess_remap *rm, u64 disk, u64 *store);
/* Unmap @disk; any context.  True and *@store if it was mapped. */
bool tess_remap_clear(struct tess_remap *rm, u64 disk, u64 *store);
/* Is any of disk blocks [@first, @last] mapped?  Any context. */
bool tess_remap_any(struct tess_remap *rm, u64 first, u64 last);
/* Number of remapped blocks (walks the map). */
u64 tess_remap_count(struct tess_remap *rm);

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
