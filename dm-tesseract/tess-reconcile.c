// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: reconciliation of guest writes with host swap.
 *
 * The hook runs under the page-table lock of the PTE that holds the swap
 * entry, so the entry cannot be swapped in, freed or stored again while a
 * remap is made: the store block is the page's content, as the writer's
 * buffer held it when the write was issued.
 */
#include <linux/dm-kcopyd.h>
#include <linux/swap_backend.h>
#include <linux/wait_bit.h>

#include "tess-backend.h"
#include "tess-disk.h"
#include "tess-pool.h"
#include "tess-reconcile.h"
#include "tess-relocate.h"
#include "tess-store.h"

static struct tess_alloc *tess_rc_alloc(struct tess_reconcile *rc)
{
	return &tess_pool_store(rc->pool)->alloc;
}

static struct block_device *tess_rc_store_bdev(struct tess_reconcile *rc)
{
	return tess_pool_store(rc->pool)->bdev;
}

static struct tess_remap *tess_rc_map(struct tess_reconcile *rc)
{
	return &rc->pd->map;
}

static u64 tess_block_of(sector_t sector)
{
	return sector >> (TESS_BLOCK_SHIFT - SECTOR_SHIFT);
}

/*
 * Drop the remap of @disk if it still maps @store (any if @any): a dirty
 * tombstone, its store block released after the commit that drops it.
 */
static bool tess_rc_drop(struct tess_reconcile *rc, u64 disk, u64 store,
			 bool any)
{
	struct tess_pool_disk *pd = rc->pd;
	unsigned long flags;
	bool dropped;

	spin_lock_irqsave(&pd->lock, flags);
	dropped = __tess_pool_disk_drop_remap(pd, tess_rc_alloc(rc), disk, store,
					      any);
	spin_unlock_irqrestore(&pd->lock, flags);
	if (dropped)
		tess_pool_changed(rc->pool);
	return dropped;
}

static bool tess_rc_decline(struct tess_reconcile *rc,
			    enum tess_rc_decline why)
{
	atomic64_inc(&rc->counters.declined[why]);
	return false;
}

/*
 * Remap the block at @sector of the target onto the store block of @e,
 * whose content the caller keeps from changing meanwhile.  Any context.
 */
static bool tess_rc_remap(struct tess_reconcile *rc, sector_t sector,
			  swp_entry_t e)
{
	struct tess_pool_disk *pd = rc->pd;
	unsigned long flags;
	u64 store, old;
	bool had_old;
	int r;

	if (!rc->remap)
		return false;	/* no_remap: the hook is for page-in discards */
	if (sector + TESS_SECTORS_PER_BLOCK > rc->ti->len)
		return tess_rc_decline(rc, TESS_DECLINE_RANGE);
	if (rc->max_remapped &&
	    atomic64_read(&pd->remapped) >= rc->max_remapped)
		return tess_rc_decline(rc, TESS_DECLINE_CAP);
	if (tess_pool_may_remap(rc->pool) != TESS_POOL_OK)
		return tess_rc_decline(rc, TESS_DECLINE_POOL);
	if (!tess_backend_hold(rc->pool, e, &store))
		return tess_rc_decline(rc, TESS_DECLINE_NOT_STORED);

	spin_lock_irqsave(&pd->lock, flags);
	if (tess_reloc_moving(pd, tess_block_of(sector))) {
		spin_unlock_irqrestore(&pd->lock, flags);
		tess_alloc_put(tess_rc_alloc(rc), store);
		atomic64_inc(&rc->counters.declined_moving);
		return false;
	}
	r = tess_remap_set(&pd->map, tess_block_of(sector), store,
			   GFP_NOWAIT | __GFP_NOWARN, &old, &had_old);
	/* The metadata names the old block until the next commit. */
	if (!r && had_old)
		tess_alloc_put_after_commit(tess_rc_alloc(rc), old);
	else if (!r)
		atomic64_inc(&pd->remapped);
	spin_unlock_irqrestore(&pd->lock, flags);

	if (r) {
		tess_alloc_put(tess_rc_alloc(rc), store);
		return tess_rc_decline(rc, TESS_DECLINE_NO_MEMORY);
	}
	tess_pool_changed(rc->pool);
	atomic64_inc(&rc->counters.reconciled);
	return true;
}

/* The hook's ->remap(): under the PTE lock, interrupts on. */
static bool tess_rc_hook_remap(struct blk_dio_hook *hook, sector_t sector,
			       swp_entry_t e, enum blk_dio_page kind)
{
	struct tess_reconcile *rc = container_of(hook, struct tess_reconcile,
						 hook);

	atomic64_inc(&rc->counters.offered[kind]);
	if (!tess_rc_remap(rc, sector, e))
		return false;
	atomic64_inc(&rc->counters.taken[kind]);
	return true;
}

/*
 * The hook's ->prepare() and ->finish(), around each run it walks: reserve
 * the remap map's slots of the run's blocks, sleeping, so that
 * tess_rc_remap() allocates nothing under the PTE lock, when allocating is
 * least likely to work (the host is swapping); then release what was not
 * used.  mmap_lock is held for read.  The reservation does no I/O and does
 * not retry: unregistering any disk's hook (in presuspend) waits for this
 * call, which must not wait behind I/O another suspended device holds.  A
 * slot it could not reserve is tried again, without sleeping, at remap.
 */
static void tess_rc_hook_prepare(struct blk_dio_hook *hook, sector_t sector,
				 unsigned int nr_pages)
{
	struct tess_reconcile *rc = container_of(hook, struct tess_reconcile,
						 hook);

	tess_remap_reserve(tess_rc_map(rc), tess_block_of(sector), nr_pages,
			   GFP_NOIO | __GFP_NORETRY | __GFP_NOWARN);
}

static void tess_rc_hook_finish(struct blk_dio_hook *hook, sector_t sector,
				unsigned int nr_pages)
{
	struct tess_reconcile *rc = container_of(hook, struct tess_reconcile,
						 hook);

	tess_remap_release(tess_rc_map(rc), tess_block_of(sector), nr_pages);
}

/*
 * A folio that may still hold the content of its swap entry: order-0, in
 * the swap cache, uptodate, clean, not under writeback, mapped nowhere and
 * not pinned.  Racy without the folio lock; tess_rc_take() checks again.
 */
static bool tess_rc_swap_folio(struct folio *folio)
{
	return !folio_test_large(folio) && folio_test_swapcache(folio) &&
	       folio_test_uptodate(folio) && !folio_test_dirty(folio) &&
	       !folio_test_writeback(folio) && !folio_mapped(folio) &&
	       !folio_maybe_dma_pinned(folio);
}

/*
 * The fallback, for a page of a write the hook did not see, which passed
 * tess_rc_swap_folio() unlocked: a folio as above whose entry a page
 * table still holds was unmapped by reclaim, which keeps dirtiness (a zap
 * drops it), so nothing changed it since it was stored or loaded.  Locked,
 * it keeps its entry while the block at @sector is remapped.  A mapped
 * folio is never taken: its PTEs may be dirty while the folio is not, and
 * only the hook sees them.
 */
static bool tess_rc_take(struct tess_reconcile *rc, sector_t sector,
			 struct page *page)
{
	struct folio *folio = page_folio(page);
	bool taken = false;

	if (!folio_trylock(folio))
		return false;
	if (tess_rc_swap_folio(folio) && swap_folio_entry_in_use(folio))
		taken = tess_rc_remap(rc, sector, folio->swap);
	folio_unlock(folio);
	if (taken)
		atomic64_inc(&rc->counters.fallback);
	return taken;
}

/* Remap the head of @bio the fallback takes; false if it takes none. */
static bool tess_rc_take_head(struct tess_reconcile *rc, struct bio *bio)
{
	sector_t sector = dm_target_offset(rc->ti, bio->bi_iter.bi_sector);
	sector_t n = 0, len = bio_sectors(bio);
	struct bvec_iter iter;
	struct bio_vec bv;
	int taking = -1;
	bool ok;

	if (!READ_ONCE(rc->hooked) || !rc->remap ||
	    bio_op(bio) != REQ_OP_WRITE || !len ||
	    bio->bi_opf & (REQ_FUA | REQ_PREFLUSH | REQ_SWAP | REQ_ATOMIC) ||
	    sector & (TESS_SECTORS_PER_BLOCK - 1))
		return false;

	/* Cut the bio after the first run of pages taken, or not taken. */
	bio_for_each_segment(bv, bio, iter) {
		ok = bv.bv_offset == 0 && bv.bv_len == PAGE_SIZE &&
		     tess_rc_swap_folio(page_folio(bv.bv_page));
		if (ok && taking)
			ok = tess_rc_take(rc, sector + n, bv.bv_page);
		if (taking < 0)
			taking = ok;
		if (ok != taking)
			break;
		n += bv.bv_len >> SECTOR_SHIFT;
	}
	if (n < len)
		dm_accept_partial_bio(bio, n);
	return taking;
}

/* Copy @nr sectors of the store at @from home to @to; process context. */
struct tess_copy {
	atomic_t pending;
	int error;
	struct completion done;
};

static void tess_copy_done(int read_err, unsigned long write_err, void *ctx)
{
	struct tess_copy *c = ctx;

	if (read_err || write_err)
		WRITE_ONCE(c->error, -EIO);
	if (atomic_dec_and_test(&c->pending))
		complete(&c->done);
}

static void tess_copy_start(struct tess_copy *c)
{
	atomic_set(&c->pending, 1);
	c->error = 0;
	init_completion(&c->done);
}

static void tess_copy_one(struct tess_reconcile *rc, struct tess_copy *c,
			  sector_t from, sector_t to, sector_t nr)
{
	struct dm_io_region src = {
		.bdev = tess_rc_store_bdev(rc), .sector = from, .count = nr,
	};
	struct dm_io_region dst = {
		.bdev = rc->data_bdev, .sector = to, .count = nr,
	};

	atomic_inc(&c->pending);
	dm_kcopyd_copy(rc->kc, &src, 1, &dst, 0, tess_copy_done, c);
}

static int tess_copy_wait(struct tess_copy *c)
{
	tess_copy_done(0, 0, c);
	wait_for_completion(&c->done);
	return READ_ONCE(c->error);
}

/* Before a write covers part of remapped block @disk: copy it home. */
static int tess_rc_copy_back(struct tess_reconcile *rc, u64 disk)
{
	struct tess_pool_disk *pd = rc->pd;
	struct tess_copy c;
	unsigned long flags;
	bool found;
	u64 store;
	int r;

	if (!tess_remap_get(&pd->map, disk, &store))
		return 0;
	/*
	 * A copy must not land after a write that went home before it: let
	 * those finish (and drop their remaps) first; new ones queue behind
	 * the worker meanwhile.
	 */
	wait_var_event(&rc->dropping, !atomic_read(&rc->dropping));

	spin_lock_irqsave(&pd->lock, flags);
	found = tess_remap_get(&pd->map, disk, &store);
	r = found ? tess_alloc_ref(tess_rc_alloc(rc), store) : 0;
	spin_unlock_irqrestore(&pd->lock, flags);
	if (!found || r)
		return r;

	tess_copy_start(&c);
	tess_copy_one(rc, &c, tess_store_sector(store),
		      disk * TESS_SECTORS_PER_BLOCK, TESS_SECTORS_PER_BLOCK);
	r = tess_copy_wait(&c);
	if (!r && tess_rc_drop(rc, disk, store, false))
		atomic64_inc(&rc->counters.overwritten);
	tess_alloc_put(tess_rc_alloc(rc), store);
	return r;
}

/* Is block @disk remapped and only partly covered by [@start, @end)? */
static bool tess_rc_partial(struct tess_reconcile *rc, u64 disk,
			    sector_t start, sector_t end)
{
	sector_t bs = disk * TESS_SECTORS_PER_BLOCK;
	u64 store;

	return (bs < start || bs + TESS_SECTORS_PER_BLOCK > end) &&
	       tess_remap_get(tess_rc_map(rc), disk, &store);
}

/* Copy home the remapped blocks write @bio covers only in part. */
static int tess_rc_settle(struct tess_reconcile *rc, struct bio *bio)
{
	sector_t start = dm_target_offset(rc->ti, bio->bi_iter.bi_sector);
	sector_t end = start + bio_sectors(bio);
	u64 first = tess_block_of(start), last = tess_block_of(end - 1);
	int r = 0;

	if (tess_rc_partial(rc, first, start, end))
		r = tess_rc_copy_back(rc, first);
	if (!r && last != first && tess_rc_partial(rc, last, start, end))
		r = tess_rc_copy_back(rc, last);
	return r;
}

/* Drop the remaps of the blocks [@first, @last]; any context. */
static void tess_rc_drop_range(struct tess_reconcile *rc, u64 first, u64 last)
{
	u64 disk = first, store;

	while (disk <= last &&
	       tess_remap_next(tess_rc_map(rc), &disk, last, &store)) {
		if (tess_rc_drop(rc, disk, 0, true))
			atomic64_inc(&rc->counters.overwritten);
		disk++;
	}
}

/* The blocks [*@ff, *@lf) that @bio covers whole. */
static void tess_rc_whole_blocks(struct tess_reconcile *rc, struct bio *bio,
				 u64 *ff, u64 *lf)
{
	sector_t start = dm_target_offset(rc->ti, bio->bi_iter.bi_sector);
	sector_t end = start + bio_sectors(bio);

	*ff = tess_block_of(start) + !!(start & (TESS_SECTORS_PER_BLOCK - 1));
	*lf = tess_block_of(end - 1) + 1 -
	      !!(end & (TESS_SECTORS_PER_BLOCK - 1));
}

/* A discard the worker holds: the content of whole blocks is undefined. */
static void tess_rc_discard_remaps(struct tess_reconcile *rc, struct bio *bio)
{
	u64 ff, lf;

	tess_rc_whole_blocks(rc, bio, &ff, &lf);
	if (ff < lf)
		tess_rc_drop_range(rc, ff, lf - 1);
}

/* A write that drops remaps when it completes is done. */
static void tess_rc_dropped(struct tess_reconcile *rc)
{
	if (atomic_dec_and_test(&rc->dropping))
		wake_up_var(&rc->dropping);
}

/*
 * Submit @bio from the worker, after copying home the remapped blocks it
 * covers in part (tess_rc_copy_back() first waits for the remap-dropping
 * writes in flight, so that a copy never lands after one of them).
 */
static void tess_rc_settle_and_submit(struct tess_reconcile *rc,
				      struct bio *bio)
{
	struct tess_io *io = dm_per_bio_data(bio, sizeof(*io));
	int r;

	if (bio_op(bio) == REQ_OP_DISCARD) {
		tess_rc_discard_remaps(rc, bio);
		if (tess_disk_map_data(rc->ti->private, bio) ==
		    DM_MAPIO_REMAPPED)
			dm_submit_bio_remap(bio, NULL);
		return;
	}
	r = tess_rc_settle(rc, bio);
	if (r) {
		DMERR_LIMIT("%s: copying a remapped block home failed: %d",
			    dm_table_device_name(rc->ti->table), r);
		io->drop = false;	/* and io->block is no store block */
		io->nr = 0;
		bio->bi_status = errno_to_blk_status(r);
		bio_endio(bio);
		return;
	}
	if (io->drop)
		atomic_inc(&rc->dropping);
	if (tess_disk_map_data(rc->ti->private, bio) == DM_MAPIO_REMAPPED)
		dm_submit_bio_remap(bio, NULL);
}

static void tess_rc_work(struct work_struct *work)
{
	struct tess_reconcile *rc = container_of(work, struct tess_reconcile,
						 work);
	struct bio_list bios;
	unsigned long flags;
	struct bio *bio;

	spin_lock_irqsave(&rc->lock, flags);
	bios = rc->deferred;
	bio_list_init(&rc->deferred);
	spin_unlock_irqrestore(&rc->lock, flags);

	while ((bio = bio_list_pop(&bios))) {
		tess_rc_settle_and_submit(rc, bio);
		atomic_dec(&rc->deferring);
	}
}

/*
 * A write or discard over remapped blocks: discards drop the remaps of
 * the blocks they cover whole at once; writes drop them when they
 * succeed, and go through the worker if they cover a remapped block in
 * part, or if the worker has writes to do (so that a copy home never
 * overtakes them).
 */
static enum tess_rc_verdict tess_rc_over_remaps(struct tess_reconcile *rc,
						struct bio *bio)
{
	struct tess_io *io = dm_per_bio_data(bio, sizeof(*io));
	sector_t start = dm_target_offset(rc->ti, bio->bi_iter.bi_sector);
	sector_t end = start + bio_sectors(bio);
	u64 first = tess_block_of(start), last = tess_block_of(end - 1), ff, lf;

	if (bio_op(bio) != REQ_OP_WRITE && bio_op(bio) != REQ_OP_DISCARD)
		return TESS_RC_MAP;
	if (!bio_sectors(bio) || !tess_remap_any(tess_rc_map(rc), first, last))
		return TESS_RC_MAP;
	/* Its drop could not be made durable: the writer must know. */
	if (tess_pool_get_mode(rc->pool) != TESS_POOL_RW)
		return TESS_RC_KILL;

	/* The blocks it covers whole: [ff, lf). */
	ff = first + !!(start & (TESS_SECTORS_PER_BLOCK - 1));
	lf = last + 1 - !!(end & (TESS_SECTORS_PER_BLOCK - 1));
	if (bio_op(bio) == REQ_OP_DISCARD) {
		if (ff >= lf)
			return TESS_RC_MAP;
		atomic_inc(&rc->dropping);
		/* Raise dropping before reading deferring: tess_rc_queue() pairs. */
		smp_mb__after_atomic();
		if (atomic_read(&rc->deferring)) {
			tess_rc_dropped(rc);
			return TESS_RC_DEFER;
		}
		/* Their content is undefined now: drop them at once. */
		tess_rc_drop_range(rc, ff, lf - 1);
		tess_rc_dropped(rc);
		return TESS_RC_MAP;
	}
	if (ff < lf) {
		io->block = ff;
		io->nr = lf - ff;
		io->drop = true;
	}
	if (tess_rc_partial(rc, first, start, end) ||
	    tess_rc_partial(rc, last, start, end) || !io->drop)
		return TESS_RC_DEFER;

	atomic_inc(&rc->dropping);
	/* Raise dropping before reading deferring: tess_rc_queue() pairs. */
	smp_mb__after_atomic();
	if (!atomic_read(&rc->deferring))
		return TESS_RC_MAP;
	tess_rc_dropped(rc);
	return TESS_RC_DEFER;
}

void tess_rc_init_io(struct dm_target *ti, struct bio *bio)
{
	struct tess_io *io = dm_per_bio_data(bio, sizeof(*io));

	io->ti = ti;
	io->cell = NULL;
	io->nr = 0;
	io->drop = false;
	io->fua = bio_op(bio) == REQ_OP_WRITE && (bio->bi_opf & REQ_FUA) &&
		  bio_sectors(bio);
	io->waited = false;
}

enum tess_rc_verdict tess_rc_map_write(struct tess_reconcile *rc,
				       struct bio *bio)
{
	if (tess_rc_take_head(rc, bio))
		return TESS_RC_TAKEN;
	return tess_rc_over_remaps(rc, bio);
}

enum tess_rc_verdict tess_rc_map_write_again(struct tess_reconcile *rc,
					     struct bio *bio)
{
	return tess_rc_over_remaps(rc, bio);
}

void tess_rc_queue(struct tess_reconcile *rc, struct bio *bio)
{
	unsigned long flags;

	atomic_inc(&rc->deferring);
	/* Raise deferring before the worker reads dropping: pairs above. */
	smp_mb__after_atomic();
	spin_lock_irqsave(&rc->lock, flags);
	bio_list_add(&rc->deferred, bio);
	spin_unlock_irqrestore(&rc->lock, flags);
	queue_work(rc->wq, &rc->work);
}

/* Take a reference on each store block of @e for the read; disk lock held. */
static bool tess_rc_hold_extent(struct tess_reconcile *rc,
				const struct tess_extent *e, struct tess_io *io)
{
	u64 first = tess_block_of(e->store_sector);
	u64 last = tess_block_of(e->store_sector + e->len - 1), b;

	for (b = first; b <= last; b++) {
		if (tess_alloc_ref(tess_rc_alloc(rc), b)) {
			while (b-- > first)
				tess_alloc_put(tess_rc_alloc(rc), b);
			return false;
		}
	}
	io->block = first;
	io->nr = last - first + 1;
	return true;
}

/* Put the references tess_rc_hold_extent() took on @e's store blocks. */
static void tess_rc_put_extent(struct tess_reconcile *rc,
			       const struct tess_extent *e)
{
	u64 b = tess_block_of(e->store_sector);
	u64 last = tess_block_of(e->store_sector + e->len - 1);

	for (; b <= last; b++)
		tess_alloc_put(tess_rc_alloc(rc), b);
}

bool tess_rc_map_read(struct tess_reconcile *rc, struct bio *bio, int *r)
{
	struct tess_io *io = dm_per_bio_data(bio, sizeof(*io));
	sector_t start = dm_target_offset(rc->ti, bio->bi_iter.bi_sector);
	sector_t len = bio_sectors(bio);
	struct tess_pool_disk *pd = rc->pd;
	struct tess_extent e;
	unsigned long flags;
	bool held = true;

	if (!len || !tess_remap_any(&pd->map, tess_block_of(start),
				    tess_block_of(start + len - 1)))
		return false;

	spin_lock_irqsave(&pd->lock, flags);
	tess_remap_plan(&pd->map, start, len, &e, 1);
	if (e.remapped)
		held = tess_rc_hold_extent(rc, &e, io);
	spin_unlock_irqrestore(&pd->lock, flags);

	if (!held) {
		*r = DM_MAPIO_REQUEUE;
		return true;
	}
	if (e.len < len)
		dm_accept_partial_bio(bio, e.len);
	if (!e.remapped)
		return false;

	bio_set_dev(bio, tess_rc_store_bdev(rc));
	bio_clear_polled(bio);	/* the store may not poll */
	bio->bi_iter.bi_sector = e.store_sector;
	atomic64_inc(&rc->counters.redirected);
	*r = DM_MAPIO_REMAPPED;
	return true;
}

void tess_rc_end_io(struct tess_reconcile *rc, struct bio *bio,
		    blk_status_t status)
{
	struct tess_io *io = dm_per_bio_data(bio, sizeof(*io));
	unsigned int i;

	if (io->drop) {
		/* A failed write leaves the blocks as they read before. */
		if (!status)
			tess_rc_drop_range(rc, io->block,
					   io->block + io->nr - 1);
		tess_rc_dropped(rc);
	} else {
		for (i = 0; i < io->nr; i++)
			tess_alloc_put(tess_rc_alloc(rc), io->block + i);
	}
	io->nr = 0;
	io->drop = false;
}

/* Sectors planned at a time when copying home: bounds the map walk. */
#define TESS_COPY_HOME_WINDOW	2048

/* Put the copy's reference of each block recorded in @copied. */
static void tess_rc_put_copied(struct tess_reconcile *rc,
			       struct xarray *copied)
{
	unsigned long i;
	void *e;

	xa_for_each(copied, i, e)
		tess_alloc_put(tess_rc_alloc(rc), xa_to_value(e));
}

/*
 * Plan the window at block @disk (at most up to block @end) and take a
 * reference on each store block it copies, under the disk's lock as a read
 * does: a discard or the hook may drop or replace a remap meanwhile, and
 * the block must not be reused while kcopyd reads it.  Returns the number
 * of extents planned, 0 if a reference could not be taken (a block at
 * TESS_MAX_REFS: not an I/O error, the message may be sent again).
 */
static unsigned int tess_rc_plan_copy(struct tess_reconcile *rc, u64 disk,
				      u64 end, struct tess_extent *ext,
				      unsigned int max)
{
	sector_t start = (sector_t)disk * TESS_SECTORS_PER_BLOCK;
	sector_t len = min_t(sector_t, (end - disk) * TESS_SECTORS_PER_BLOCK,
			     TESS_COPY_HOME_WINDOW);
	struct tess_pool_disk *pd = rc->pd;
	struct tess_io held;
	unsigned long flags;
	unsigned int i, n;

	spin_lock_irqsave(&pd->lock, flags);
	n = tess_remap_plan(&pd->map, start, len, ext, max);
	for (i = 0; i < n; i++) {
		if (ext[i].remapped && !tess_rc_hold_extent(rc, &ext[i], &held))
			break;
	}
	if (i < n) {
		/* Undo the extents held before the one that failed. */
		while (i--) {
			if (ext[i].remapped)
				tess_rc_put_extent(rc, &ext[i]);
		}
		n = 0;
	}
	spin_unlock_irqrestore(&pd->lock, flags);
	return n;
}

/*
 * Copy the remaps of the window at block @disk home, recording in @copied
 * each disk block and the store block its copy reads (and holds a
 * reference on).  Returns the first block after the window; *@r is set on
 * an error.
 */
static u64 tess_rc_copy_window(struct tess_reconcile *rc, struct tess_copy *c,
			       struct xarray *copied, u64 disk, u64 end,
			       int *r)
{
	struct tess_extent ext[16];
	unsigned int i, n;
	u64 b, nr, store;
	void *old;

	n = tess_rc_plan_copy(rc, disk, end, ext, ARRAY_SIZE(ext));
	if (!n) {
		*r = -EBUSY;
		return end;
	}
	for (i = 0; i < n; i++) {
		if (!ext[i].remapped)
			continue;
		/*
		 * Recorded first: @copied puts the references at the end.
		 * GFP_NOIO: the worker is WQ_MEM_RECLAIM.
		 */
		nr = ext[i].len / TESS_SECTORS_PER_BLOCK;
		for (b = 0; b < nr; b++) {
			store = tess_block_of(ext[i].store_sector) + b;
			old = *r ? NULL :
			      xa_store(copied, tess_block_of(ext[i].sector) + b,
				       xa_mk_value(store), GFP_NOIO);
			if (xa_is_err(old))
				*r = xa_err(old);
			if (*r)
				tess_alloc_put(tess_rc_alloc(rc), store);
		}
		if (!*r)
			tess_copy_one(rc, c, ext[i].store_sector,
				      ext[i].sector, ext[i].len);
	}
	return tess_block_of(ext[n - 1].sector + ext[n - 1].len - 1) + 1;
}

/*
 * Copy every remap home, flush, then drop those that still name the store
 * block that was copied (a remap the hook replaced meanwhile stays).  The
 * copies hold references of their own (tess_rc_plan_copy()), and writes
 * and discards over remaps wait behind the copy on the ordered worker.
 * Only blocks inside the table are walked: a table shorter than a remap is
 * refused (tess-disk.c), so a remap past the end is an error here.
 */
static int tess_rc_copy_all(struct tess_reconcile *rc, u64 *nr)
{
	const char *name = dm_table_device_name(rc->ti->table);
	u64 end = rc->ti->len / TESS_SECTORS_PER_BLOCK;
	u64 disk = 0, store;
	struct xarray copied;
	struct tess_copy c;
	unsigned long i;
	void *e;
	int r = 0;

	xa_init(&copied);
	tess_copy_start(&c);
	while (!r && disk < end &&
	       tess_remap_next(tess_rc_map(rc), &disk, end - 1, &store)) {
		disk = tess_rc_copy_window(rc, &c, &copied, disk, end, &r);
		cond_resched();
	}
	if (tess_copy_wait(&c)) {
		DMERR("%s: copy_home: copying remapped blocks home failed: they stay remapped",
		      name);
		r = -EIO;
	} else if (r == -EBUSY) {
		DMERR("%s: copy_home: a store block has too many references: try again",
		      name);
	} else if (r) {
		DMERR("%s: copy_home: copying remapped blocks home failed (%d): they stay remapped",
		      name, r);
		r = -EIO;
	} else if (blkdev_issue_flush(rc->data_bdev)) {
		DMERR("%s: copy_home: flushing the data device failed: blocks stay remapped",
		      name);
		r = -EIO;
	}
	*nr = 0;
	xa_for_each(&copied, i, e) {
		if (!r && tess_rc_drop(rc, i, xa_to_value(e), false))
			(*nr)++;
	}
	tess_rc_put_copied(rc, &copied);
	xa_destroy(&copied);
	disk = end;
	if (!r && tess_remap_next(tess_rc_map(rc), &disk, ULONG_MAX, &store)) {
		DMERR("%s: copy_home: block %llu is remapped past the end of the table",
		      name, disk);
		r = -EIO;
	}
	return r;
}

struct tess_copy_home {
	struct work_struct work;
	struct tess_reconcile *rc;
	struct completion done;
	int r;
};

static void tess_rc_copy_home_work(struct work_struct *work)
{
	struct tess_copy_home *ch = container_of(work, struct tess_copy_home,
						 work);
	struct tess_reconcile *rc = ch->rc;
	u64 nr = 0;

	/* A copy must not land after a write that went home before it. */
	wait_var_event(&rc->dropping, !atomic_read(&rc->dropping));
	ch->r = tess_rc_copy_all(rc, &nr);
	if (!ch->r)
		ch->r = tess_pool_commit(rc->pool);
	/* The hook may have remapped blocks behind the copy: say so. */
	if (!ch->r && atomic64_read(&rc->pd->remapped)) {
		DMERR("%s: copy_home: %lld blocks remapped meanwhile: run it again",
		      dm_table_device_name(rc->ti->table),
		      atomic64_read(&rc->pd->remapped));
		ch->r = -EBUSY;
	}
	if (!ch->r && tess_verbose)
		DMINFO("%s: copy_home: %llu remapped blocks copied home",
		       dm_table_device_name(rc->ti->table), nr);
	complete(&ch->done);
}

int tess_rc_copy_home(struct tess_reconcile *rc)
{
	struct tess_copy_home ch = { .rc = rc };

	if (READ_ONCE(rc->state) == TESS_RC_SUSPENDED) {
		DMERR("%s: copy_home: the disk is suspended",
		      dm_table_device_name(rc->ti->table));
		return -EBUSY;
	}
	if (tess_pool_get_mode(rc->pool) != TESS_POOL_RW) {
		DMERR("%s: copy_home: the pool is read-only",
		      dm_table_device_name(rc->ti->table));
		return -EIO;
	}
	INIT_WORK_ONSTACK(&ch.work, tess_rc_copy_home_work);
	init_completion(&ch.done);
	/* Not while a relocation step moves this disk's blocks. */
	mutex_lock(&rc->pd->move_mutex);
	/* Writes over remaps queue behind the copy on the ordered worker. */
	atomic_inc(&rc->deferring);
	/* Raise deferring before writes read it: tess_rc_over_remaps() pairs. */
	smp_mb__after_atomic();
	queue_work(rc->wq, &ch.work);
	wait_for_completion(&ch.done);
	mutex_unlock(&rc->pd->move_mutex);
	destroy_work_on_stack(&ch.work);
	atomic_dec(&rc->deferring);
	/* Writes that queued meanwhile: the worker runs them after the copy. */
	queue_work(rc->wq, &rc->work);
	return ch.r;
}

/* Read by status at any time: one word, no lock. */
static void tess_rc_set_state(struct tess_reconcile *rc,
			      enum tess_rc_state state)
{
	WRITE_ONCE(rc->state, state);
}

void tess_rc_start(struct tess_reconcile *rc, bool enabled)
{
	struct mapped_device *md = dm_table_get_md(rc->ti->table);
	const char *name = dm_table_device_name(rc->ti->table);
	int r;

	if (rc->hooked)
		return;
	if (!enabled) {
		tess_rc_set_state(rc, TESS_RC_OFF);
		return;
	}
	if (tess_backend_bound() != rc->pool) {
		tess_rc_set_state(rc, TESS_RC_NO_STORE);
		return;
	}
	if (rc->ti->begin || dm_table_get_size(rc->ti->table) != rc->ti->len) {
		DMWARN("%s: reconciliation needs the target to span the device",
		       name);
		tess_rc_set_state(rc, TESS_RC_PARTIAL);
		return;
	}
	r = blk_dio_hook_register(dm_disk(md), &rc->hook);
	if (r) {
		DMWARN("%s: cannot take the write hook (%d): not reconciling",
		       name, r);
		tess_rc_set_state(rc, TESS_RC_HOOK_BUSY);
		return;
	}
	WRITE_ONCE(rc->hooked, true);
	tess_rc_set_state(rc, rc->remap ? TESS_RC_HOOKED : TESS_RC_DISCARD_ONLY);
}

void tess_rc_unhook(struct tess_reconcile *rc)
{
	struct mapped_device *md = dm_table_get_md(rc->ti->table);

	if (rc->hooked) {
		blk_dio_hook_unregister(dm_disk(md), &rc->hook);
		WRITE_ONCE(rc->hooked, false);
	}
	tess_rc_set_state(rc, TESS_RC_SUSPENDED);
}

void tess_rc_stop(struct tess_reconcile *rc)
{
	tess_rc_unhook(rc);
	flush_workqueue(rc->wq);
}

int tess_rc_init(struct tess_reconcile *rc, struct dm_target *ti,
		 struct tess_pool *pool, struct tess_pool_disk *pd,
		 struct block_device *data_bdev, u64 max_remapped, bool remap,
		 char **error)
{
	rc->ti = ti;
	rc->remap = remap;
	rc->pool = pool;
	rc->pd = pd;
	rc->data_bdev = data_bdev;
	rc->max_remapped = max_remapped;
	rc->hook.remap = tess_rc_hook_remap;
	rc->hook.prepare = tess_rc_hook_prepare;
	rc->hook.finish = tess_rc_hook_finish;
	tess_rc_set_state(rc, TESS_RC_SUSPENDED);
	spin_lock_init(&rc->lock);
	atomic_set(&rc->dropping, 0);
	atomic_set(&rc->deferring, 0);
	bio_list_init(&rc->deferred);
	INIT_WORK(&rc->work, tess_rc_work);

	rc->wq = alloc_ordered_workqueue("tesseract-%s", WQ_MEM_RECLAIM,
					 dm_table_device_name(ti->table));
	if (!rc->wq) {
		*error = "Cannot allocate workqueue";
		return -ENOMEM;
	}
	rc->kc = dm_kcopyd_client_create(NULL);
	if (IS_ERR(rc->kc)) {
		destroy_workqueue(rc->wq);
		*error = "Cannot create kcopyd client";
		return PTR_ERR(rc->kc);
	}
	return 0;
}

void tess_rc_exit(struct tess_reconcile *rc)
{
	dm_kcopyd_client_destroy(rc->kc);
	destroy_workqueue(rc->wq);
}

static const char * const tess_rc_state_names[] = {
	[TESS_RC_SUSPENDED] = "suspended",
	[TESS_RC_HOOKED] = "reconciling",
	[TESS_RC_OFF] = "off",
	[TESS_RC_NO_STORE] = "no_store",
	[TESS_RC_PARTIAL] = "partial_device",
	[TESS_RC_HOOK_BUSY] = "hook_busy",
	[TESS_RC_READ_ONLY] = "read_only",
	[TESS_RC_DISCARD_ONLY] = "discard_only",
};

unsigned int tess_rc_status(struct tess_reconcile *rc, char *result,
			    unsigned int maxlen, unsigned int sz)
{
	struct tess_rc_counters *c = &rc->counters;
	s64 reconciled = atomic64_read(&c->reconciled);
	enum tess_rc_state state = READ_ONCE(rc->state);
	unsigned int i;

	if (state == TESS_RC_HOOKED &&
	    tess_pool_get_mode(rc->pool) != TESS_POOL_RW)
		state = TESS_RC_READ_ONLY;
	DMEMIT("%lld %lld %lld %lld %lld ", atomic64_read(&rc->pd->remapped),
	       reconciled, reconciled * TESS_BLOCK_SIZE,
	       atomic64_read(&c->redirected), atomic64_read(&c->overwritten));
	DMEMIT("%s %lld %lld %lld %lld %lld ",
	       tess_rc_state_names[state],
	       atomic64_read(&c->offered[BLK_DIO_SWAP_PTE]),
	       atomic64_read(&c->taken[BLK_DIO_SWAP_PTE]),
	       atomic64_read(&c->offered[BLK_DIO_SWAP_CACHE]),
	       atomic64_read(&c->taken[BLK_DIO_SWAP_CACHE]),
	       atomic64_read(&c->fallback));
	for (i = 0; i < ARRAY_SIZE(c->declined); i++)
		DMEMIT("%lld ", atomic64_read(&c->declined[i]));
	return sz;
}

void tess_rc_reset_counters(struct tess_reconcile *rc)
{
	struct tess_rc_counters *c = &rc->counters;
	unsigned int i;

	atomic64_set(&c->reconciled, 0);
	atomic64_set(&c->redirected, 0);
	atomic64_set(&c->overwritten, 0);
	atomic64_set(&c->fallback, 0);
	atomic64_set(&c->declined_moving, 0);
	for (i = 0; i < ARRAY_SIZE(c->offered); i++) {
		atomic64_set(&c->offered[i], 0);
		atomic64_set(&c->taken[i], 0);
	}
	for (i = 0; i < ARRAY_SIZE(c->declined); i++)
		atomic64_set(&c->declined[i], 0);
}
