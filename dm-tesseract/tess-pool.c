// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: the "tesseract-pool" target and the pool object.
 *
 * See tess-pool.h for what a pool is and the order of a commit.  Here:
 * the registry of pool objects (keyed by the metadata device, as dm-thin's
 * pool table), opening a pool (store superblock, metadata, allocator), the
 * commit worker, disks, and the target's callbacks.
 *
 * Lifetime.  A pool object is referenced by each pool table and each disk
 * table (tess_pools_lock guards the counts).  When the last reference
 * goes, it commits; then, if its store still holds swapped-out pages (the
 * swap core may read them back any time), it stays as an orphan: open,
 * its store claimed exclusively (no mkswap or mkfs over swapped-out
 * guest RAM), bound to the swap backend, taking no new pages, until the
 * last of them is gone (tess_pool_swap_drained()) or a new pool table on
 * its metadata device adopts it.  Each stored page also holds the module, so rmmod
 * cannot free an orphan with pages.  Device-mapper keeps a pool table
 * from being removed while a disk table holds its device open.
 */
#include <kunit/visibility.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/dm-bufio.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uuid.h>
#include <linux/workqueue.h>

#include "tess-args.h"
#include "tess-backend.h"
#include "tess-disk.h"
#include "tess-metadata.h"
#include "tess-pool.h"
#include "tess-relocate.h"
#include "tess-store.h"

atomic_t tess_nr_pools = ATOMIC_INIT(0);

struct tess_pool {
	struct list_head list;		/* in tess_pools; tess_pools_lock */
	unsigned int ref;		/* pool and disk tables; tess_pools_lock */
	struct mapped_device *pool_md;	/* of the pool tables; tess_pools_lock */
	struct dm_target *live_ti;	/* the resumed pool table; @mutex */
	bool orphan;			/* no table: kept for swap; tess_pools_lock */
	char name[16];			/* "major:minor" of the metadata device */

	/* Our own opens of the devices, for the object's whole life. */
	struct file *md_file, *store_file;
	/* An exclusive claim of the store while orphaned; tess_pools_lock. */
	struct file *claim_file;
	struct block_device *md_bdev;	/* the registry's key */
	struct tess_metadata *md;
	struct tess_store store;

	/*
	 * Serialises commits and every metadata call (their order matters,
	 * not only their atomicity), and guards @disks and @mode changes.
	 */
	struct mutex mutex;
	struct list_head disks;		/* struct tess_pool_disk; @mutex */
	enum tess_pool_mode mode;	/* written under @mutex, read anywhere */

	/* The live table's features, set at its resume; read anywhere. */
	unsigned int commit_period;	/* ms */
	u64 low_water;			/* blocks */
	bool swap;

	/* Guards @dirty, @committing, @flush_bios and @completions. */
	spinlock_t lock;
	bool dirty;			/* changes no commit has collected yet */
	bool committing;		/* a commit collects or writes now */
	struct bio_list flush_bios;	/* to submit after the next commit */
	struct bio_list completions;	/* FUA writes to end after it */

	/* A commit failed after collecting changes: retry; @mutex, read anywhere. */
	bool lost;
	struct tess_remap_change *batch;	/* for the commit; @mutex */
	unsigned long low_water_triggered;	/* bit 0: event raised, not cleared */
	struct workqueue_struct *wq;	/* ordered: one commit at a time */
	struct work_struct commit_work;
	struct delayed_work period_work;
	struct work_struct event_work;	/* dm_table_event(), sleeps */
	atomic64_t nr_commits;

	struct tess_reloc reloc;	/* the relocation worker */
	wait_queue_head_t move_wait;	/* a disk was unpinned */
};

/* The pool table: what one table line holds. */
struct tess_pool_c {
	struct dm_target *ti;
	struct tess_pool *pool;
	struct dm_dev *metadata_dev;
	struct dm_dev *store_dev;
	struct tess_pool_features features;
};

static LIST_HEAD(tess_pools);
static DEFINE_MUTEX(tess_pools_lock);	/* tess_pools and the fields above */

static void tess_pool_reap(struct work_struct *work);
static void tess_pool_bind_any(void);
static DECLARE_WORK(tess_reap_work, tess_pool_reap);

struct tess_store *tess_pool_store(struct tess_pool *pool)
{
	return &pool->store;
}

enum tess_pool_mode tess_pool_get_mode(struct tess_pool *pool)
{
	return READ_ONCE(pool->mode);
}

bool tess_pool_takes_swap(struct tess_pool *pool)
{
	return READ_ONCE(pool->swap) && !READ_ONCE(pool->orphan) &&
	       tess_pool_get_mode(pool) == TESS_POOL_RW;
}

const char *tess_pool_name(struct tess_pool *pool)
{
	return pool->name;
}

struct tess_reloc *tess_pool_reloc(struct tess_pool *pool)
{
	return &pool->reloc;
}

u64 tess_pool_low_water(struct tess_pool *pool)
{
	return READ_ONCE(pool->low_water);
}

/*
 * Metadata error: read-only with needs_check, said once.  As dm-thin's
 * abort_transaction(): the open transaction is dropped first, so that
 * nothing written into it since the last commit (half a batch, removals
 * whose data device was not flushed) can ever be committed.  Pool mutex.
 */
static void tess_pool_md_error(struct tess_pool *pool, const char *what,
			       int r)
{
	lockdep_assert_held(&pool->mutex);
	if (pool->mode != TESS_POOL_RW)
		return;
	DMERR("pool %s: %s failed (%d): pool is read-only, run tess_check",
	      tess_pool_name(pool), what, r);
	if (tess_md_abort(pool->md))
		DMERR("pool %s: cannot abort the metadata transaction",
		      tess_pool_name(pool));
	if (tess_md_set_needs_check(pool->md)) {
		DMERR("pool %s: cannot set needs_check: pool failed",
		      tess_pool_name(pool));
		WRITE_ONCE(pool->mode, TESS_POOL_FAIL);
	} else {
		WRITE_ONCE(pool->mode, TESS_POOL_RO);
	}
	/* It takes no page now: hand swap over once its pages are gone. */
	schedule_work(&tess_reap_work);
}

void tess_pool_changed(struct tess_pool *pool)
{
	unsigned long flags;

	/* The entry's mark was set under the xarray lock: see commit. */
	if (READ_ONCE(pool->dirty))
		return;
	spin_lock_irqsave(&pool->lock, flags);
	pool->dirty = true;
	spin_unlock_irqrestore(&pool->lock, flags);
}

bool __tess_pool_disk_drop_remap(struct tess_pool_disk *pd,
				 struct tess_alloc *a, u64 disk, u64 store,
				 bool any)
{
	u64 cur;

	lockdep_assert_held(&pd->lock);
	lockdep_assert_irqs_disabled();
	if (!tess_remap_drop_if(&pd->map, disk, store, any, &cur))
		return false;
	tess_alloc_put_after_commit(a, cur);
	atomic64_dec(&pd->remapped);
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(__tess_pool_disk_drop_remap);

/* Low water, as dm-thin's: one event per crossing, from the worker. */
static void tess_pool_event(struct work_struct *work)
{
	struct tess_pool *pool = container_of(work, struct tess_pool,
					      event_work);

	mutex_lock(&pool->mutex);
	if (pool->live_ti)
		dm_table_event(pool->live_ti->table);
	mutex_unlock(&pool->mutex);
}

enum tess_pool_refusal tess_pool_may_remap(struct tess_pool *pool)
{
	if (tess_pool_get_mode(pool) != TESS_POOL_RW)
		return TESS_POOL_REFUSE_MODE;
	if (tess_alloc_nr_free(&pool->store.alloc) >= READ_ONCE(pool->low_water))
		return TESS_POOL_OK;
	if (!test_and_set_bit(0, &pool->low_water_triggered)) {
		DMWARN_LIMIT("pool %s: free store blocks below the low-water mark: no new remaps",
			     tess_pool_name(pool));
		queue_work(pool->wq, &pool->event_work);
	}
	return TESS_POOL_REFUSE_LOW_WATER;
}

/* Back above low water: the next crossing raises an event again. */
static void tess_pool_check_low_water(struct tess_pool *pool)
{
	if (test_bit(0, &pool->low_water_triggered) &&
	    tess_alloc_nr_free(&pool->store.alloc) >= READ_ONCE(pool->low_water))
		clear_bit(0, &pool->low_water_triggered);
}

/*
 * Commit.
 */

/* Changes written into the metadata per hold of a disk's xarray lock. */
#define TESS_POOL_BATCH	64

/*
 * Write @pd's dirty entries into the metadata.  *@remaps is set if new
 * remaps were written, pd->drops if removals were.  Pool mutex held.
 */
static int tess_pool_write_disk(struct tess_pool *pool,
				struct tess_pool_disk *pd, bool *remaps,
				struct tess_remap_change *ch)
{
	unsigned int i, n;
	u64 pos = 0;
	int r;

	while ((n = tess_remap_collect(&pd->map, &pos, ch, TESS_POOL_BATCH))) {
		for (i = 0; i < n; i++) {
			if (ch[i].live) {
				r = tess_md_insert(pool->md, pd->id, ch[i].disk,
						   ch[i].store);
				*remaps = true;
			} else {
				r = tess_md_remove(pool->md, pd->id,
						   ch[i].disk);
				/* Never committed: nothing to remove. */
				if (r == -ENODATA)
					r = 0;
			}
			if (r) {
				tess_pool_md_error(pool, "writing a remap", r);
				return r;
			}
		}
		cond_resched();
	}
	return 0;
}

/*
 * Flush @pd's data device if remaps were dropped since its last flush, so
 * that the removals written next have their data home.  The count is read
 * before the flush: every tombstone it counts was made after its write
 * completed, so before the flush was issued.  Pool mutex held.
 */
static int tess_pool_flush_data(struct tess_pool *pool,
				struct tess_pool_disk *pd, bool force)
{
	unsigned long drops = tess_remap_drops(&pd->map);
	int r;

	if (drops == pd->flushed_drops && !force)
		return 0;
	/* Suspended: its changes wait for its resume, or its close. */
	if (!pd->data_bdev) {
		DMERR_LIMIT("pool %s: disk %u: its data device owes a flush",
			    tess_pool_name(pool), pd->id);
		return -EIO;
	}
	r = blkdev_issue_flush(pd->data_bdev);
	if (r) {
		DMERR_LIMIT("pool %s: flushing the data device of disk %u failed: %d",
			    tess_pool_name(pool), pd->id, r);
		return -EIO;
	}
	pd->flushed_drops = drops;
	return 0;
}

/*
 * Write every disk's changes.  A disk whose data device cannot be flushed
 * is left out (*@held): its changes stay dirty in memory and the shared
 * transaction stays clean, so that one disk's device does not fail the
 * other disks' commits.
 */
static int tess_pool_write_disks(struct tess_pool *pool, bool *remaps,
				 bool *held)
{
	struct tess_pool_disk *pd;
	int r;

	list_for_each_entry(pd, &pool->disks, list) {
		pd->held = tess_remap_dirty(&pd->map) &&
			   tess_pool_flush_data(pool, pd, false);
		if (pd->held) {
			*held = true;
			continue;
		}
		r = tess_pool_write_disk(pool, pd, remaps, pool->batch);
		if (r)
			return r;
		/* Dropped after that flush, maybe collected: flush again. */
		if (tess_remap_drops(&pd->map) != pd->flushed_drops)
			pd->drops = true;
	}
	return 0;
}

/*
 * What the metadata is about to name must be durable first: the store
 * blocks of new remaps, the home blocks of dropped ones.  A failure keeps
 * the flags: the changes are in the metadata's open transaction, and the
 * next commit flushes again.
 */
static int tess_pool_flush_devices(struct tess_pool *pool, bool remaps)
{
	struct tess_pool_disk *pd;
	int r;

	if (remaps) {
		r = blkdev_issue_flush(pool->store.bdev);
		if (r) {
			DMERR_LIMIT("pool %s: flushing the store failed: %d",
				    tess_pool_name(pool), r);
			return -EIO;
		}
	}
	/* Removals of tombstones made after tess_pool_flush_data()'s flush. */
	list_for_each_entry(pd, &pool->disks, list) {
		if (!pd->drops)
			continue;
		r = tess_pool_flush_data(pool, pd, true);
		if (r)
			return r;
		pd->drops = false;
	}
	return 0;
}

static void tess_pool_set_committing(struct tess_pool *pool, bool on,
				     bool *was_dirty)
{
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	pool->committing = on;
	if (was_dirty) {
		*was_dirty = pool->dirty;
		pool->dirty = false;
	}
	spin_unlock_irqrestore(&pool->lock, flags);
}

/* The commit itself; pool mutex held.  Returns 0 or -EIO. */
static int __tess_pool_commit(struct tess_pool *pool)
{
	bool dirty, remaps = false, held = false;
	unsigned long flags;
	int r;

	lockdep_assert_held(&pool->mutex);
	if (pool->mode != TESS_POOL_RW)
		return pool->lost || READ_ONCE(pool->dirty) ? -EIO : 0;

	/* Clear @dirty before collecting: a change after it sets it again. */
	tess_pool_set_committing(pool, true, &dirty);
	if (!dirty && !pool->lost && !tess_alloc_nr_pending(&pool->store.alloc)) {
		tess_pool_set_committing(pool, false, NULL);
		return 0;
	}

	/* Steps in tess-pool.h: puts first, so none recorded later is freed. */
	tess_alloc_commit_begin(&pool->store.alloc);
	r = tess_pool_write_disks(pool, &remaps, &held);
	if (!r)
		r = tess_pool_flush_devices(pool, remaps || pool->lost);
	if (!r) {
		r = tess_md_commit(pool->md);
		if (r)
			tess_pool_md_error(pool, "metadata commit", r);
	}
	/* A held disk's drops are in this generation: keep it closed. */
	tess_alloc_commit_end(&pool->store.alloc, !r && !held);
	/* What was collected is in the open transaction: commit it later. */
	pool->lost = r != 0;
	/*
	 * A held disk's changes are still only in memory: mark the pool
	 * dirty in the same section that ends the commit, so that no flush
	 * can see it neither committing nor dirty and pass without one.
	 */
	spin_lock_irqsave(&pool->lock, flags);
	pool->committing = false;
	if (held)
		pool->dirty = true;
	spin_unlock_irqrestore(&pool->lock, flags);
	if (r)
		return -EIO;
	atomic64_inc(&pool->nr_commits);
	tess_pool_check_low_water(pool);
	return 0;
}

/* Mark the waiters of disks the commit left out to fail; pool mutex. */
static void tess_pool_fail_held(struct bio_list *list)
{
	struct tess_pool_disk *pd;
	struct bio *bio;

	bio_list_for_each(bio, list) {
		pd = bio->bi_private;
		if (pd->held)
			bio->bi_status = BLK_STS_IOERR;
	}
}

/* End the bios a commit waited for, with its result (or their error). */
static void tess_pool_end_waiters(struct bio_list *flushes,
				  struct bio_list *completions, int r,
				  bool committed)
{
	struct tess_pool_disk *pd;
	struct bio *bio;

	while ((bio = bio_list_pop(flushes))) {
		pd = bio->bi_private;
		if (r || bio->bi_status) {
			bio->bi_status = BLK_STS_IOERR;
			bio_endio(bio);
			continue;
		}
		if (committed)
			atomic64_inc(&pd->commits);
		dm_submit_bio_remap(bio, NULL);
	}
	while ((bio = bio_list_pop(completions))) {
		if (r)
			bio->bi_status = BLK_STS_IOERR;
		bio_endio(bio);
	}
}

int tess_pool_commit(struct tess_pool *pool)
{
	struct bio_list flushes, completions;
	unsigned long flags;
	u64 before;
	int r;

	mutex_lock(&pool->mutex);
	/* Waiters that arrived before this commit began: it serves them. */
	spin_lock_irqsave(&pool->lock, flags);
	flushes = pool->flush_bios;
	completions = pool->completions;
	bio_list_init(&pool->flush_bios);
	bio_list_init(&pool->completions);
	spin_unlock_irqrestore(&pool->lock, flags);

	before = atomic64_read(&pool->nr_commits);
	r = __tess_pool_commit(pool);
	tess_pool_fail_held(&flushes);
	tess_pool_fail_held(&completions);
	mutex_unlock(&pool->mutex);
	tess_pool_end_waiters(&flushes, &completions, r,
			      atomic64_read(&pool->nr_commits) != before);
	return r;
}

static void tess_pool_commit_work(struct work_struct *work)
{
	tess_pool_commit(container_of(work, struct tess_pool, commit_work));
}

static void tess_pool_period_work(struct work_struct *work)
{
	struct tess_pool *pool = container_of(to_delayed_work(work),
					      struct tess_pool, period_work);
	unsigned int period = READ_ONCE(pool->commit_period);

	if (READ_ONCE(pool->dirty) || READ_ONCE(pool->lost))
		tess_pool_commit(pool);
	if (period)
		queue_delayed_work(pool->wq, &pool->period_work,
				   msecs_to_jiffies(period));
}

/* Does a flush or FUA completion arriving now need a commit? */
static bool tess_pool_wait_commit(struct tess_pool *pool, struct bio *bio,
				  struct bio_list *list)
{
	unsigned long flags;
	bool wait;

	spin_lock_irqsave(&pool->lock, flags);
	/* @lost: collected by a commit that failed, to retry. */
	wait = pool->dirty || pool->committing || READ_ONCE(pool->lost);
	if (wait)
		bio_list_add(list, bio);
	spin_unlock_irqrestore(&pool->lock, flags);
	if (wait)
		queue_work(pool->wq, &pool->commit_work);
	return wait;
}

int tess_pool_defer_flush(struct tess_pool_disk *pd, struct bio *bio)
{
	struct tess_pool *pool = pd->pool;

	bio->bi_private = pd;
	if (tess_pool_get_mode(pool) != TESS_POOL_RW && READ_ONCE(pool->lost)) {
		bio_io_error(bio);
		return DM_MAPIO_SUBMITTED;
	}
	if (tess_pool_wait_commit(pool, bio, &pool->flush_bios))
		return DM_MAPIO_SUBMITTED;
	return DM_MAPIO_REMAPPED;
}

bool tess_pool_defer_completion(struct tess_pool_disk *pd, struct bio *bio)
{
	/* dm core does not use a clone's bi_private. */
	bio->bi_private = pd;
	return tess_pool_wait_commit(pd->pool, bio, &pd->pool->completions);
}

/*
 * Disks.
 */

static struct tess_pool_disk *tess_pool_find_disk(struct tess_pool *pool,
						  u32 id)
{
	struct tess_pool_disk *pd;

	lockdep_assert_held(&pool->mutex);
	list_for_each_entry(pd, &pool->disks, list)
		if (pd->id == id)
			return pd;
	return NULL;
}

static int tess_pool_load_remap(void *ctx, u64 block, u64 store)
{
	struct tess_pool_disk *pd = ctx;
	int r;

	r = tess_remap_load(&pd->map, block, store, GFP_KERNEL);
	if (!r)
		atomic64_inc(&pd->remapped);
	cond_resched();
	return r;
}

static void tess_pool_free_disk(struct tess_pool_disk *pd)
{
	tess_remap_destroy(&pd->map);
	kfree(pd);
}

/* A new disk object with @id's remaps from the metadata; pool mutex. */
static struct tess_pool_disk *tess_pool_load_disk(struct tess_pool *pool,
						  u32 id, char **error)
{
	struct tess_pool_disk *pd;
	int r;

	pd = kzalloc(sizeof(*pd), GFP_KERNEL);
	if (!pd) {
		*error = "Cannot allocate disk";
		return ERR_PTR(-ENOMEM);
	}
	pd->pool = pool;
	pd->id = id;
	spin_lock_init(&pd->lock);
	mutex_init(&pd->move_mutex);
	pd->last_io = jiffies;
	tess_remap_init(&pd->map);
	atomic64_set(&pd->remapped, 0);
	atomic64_set(&pd->commits, 0);
	r = tess_md_for_each_remap(pool->md, id, tess_pool_load_remap, pd);
	if (r) {
		if (r != -ENOMEM)
			tess_pool_md_error(pool, "loading remaps", r);
		*error = r == -ENOMEM ? "Cannot allocate the remap map" :
			 "Cannot load the disk's remaps from the metadata";
		tess_pool_free_disk(pd);
		return ERR_PTR(r == -ENOMEM ? r : -EIO);
	}
	return pd;
}

/*
 * Is disk @id in the metadata?  A lookup that met damage or an I/O error
 * is a metadata error, never "no such disk".  Pool mutex held.  Returns
 * 0, -ENODATA or -EIO.
 */
static int tess_pool_lookup_disk(struct tess_pool *pool, u32 id)
{
	lockdep_assert_held(&pool->mutex);
	if (tess_md_disk_exists(pool->md, id))
		return 0;
	if (!tess_md_failed(pool->md))
		return -ENODATA;
	tess_pool_md_error(pool, "looking up a disk", -EIO);
	return -EIO;
}

struct tess_pool_disk *tess_pool_open_disk(struct tess_pool *pool, u32 id,
					   struct mapped_device *owner,
					   char **error)
{
	struct tess_pool_disk *pd;
	int r;

	mutex_lock(&pool->mutex);
	pd = tess_pool_find_disk(pool, id);
	if (pd) {
		if (pd->owner != owner) {
			*error = "Disk id is in use";
			pd = ERR_PTR(-EBUSY);
			goto out;
		}
		pd->open_count++;
		goto out;
	}
	r = tess_pool_lookup_disk(pool, id);
	if (r) {
		*error = r == -ENODATA ?
			 "No such disk id in the pool (create_disk first)" :
			 "Cannot read the metadata (see the kernel log)";
		pd = ERR_PTR(r);
		goto out;
	}
	pd = tess_pool_load_disk(pool, id, error);
	if (IS_ERR(pd))
		goto out;
	pd->owner = owner;
	pd->open_count = 1;
	list_add_tail(&pd->list, &pool->disks);
out:
	mutex_unlock(&pool->mutex);
	return pd;
}

/* Take back the reference of a remap brought back; never sleeps. */
static int tess_pool_undrop_ref(void *ctx, u64 store)
{
	struct tess_pool_disk *pd = ctx;
	int r;

	r = tess_alloc_ref(&pd->pool->store.alloc, store);
	if (!r)
		atomic64_inc(&pd->remapped);
	return r;
}

/*
 * The last table of @pd goes and its data device cannot flush: the
 * removals can never be made durable.  Bring the dropped remaps back
 * (their store blocks were kept, as the metadata may still name them), so
 * that what is left to commit needs only the store.  The writes over them
 * were never flushed, so reading their older content is allowed.  Pool
 * mutex held.  Returns how many stayed dropped (no reference left).
 */
static unsigned int tess_pool_undrop_disk(struct tess_pool_disk *pd)
{
	struct tess_pool *pool = pd->pool;
	unsigned long flags;
	unsigned int n;

	spin_lock_irqsave(&pd->lock, flags);
	n = tess_remap_undrop(&pd->map, tess_pool_undrop_ref, pd);
	spin_unlock_irqrestore(&pd->lock, flags);
	DMERR("pool %s: disk %u: its data device cannot flush: its dropped remaps are kept",
	      tess_pool_name(pool), pd->id);
	if (!n)
		pd->flushed_drops = tess_remap_drops(&pd->map);
	return n;
}

void tess_pool_close_disk(struct tess_pool_disk *pd, struct block_device *bdev)
{
	struct tess_pool *pool = pd->pool;

	/* The last table: its device, still open, serves this last commit. */
	mutex_lock(&pool->mutex);
	if (pd->open_count == 1 && bdev)
		pd->data_bdev = bdev;
	mutex_unlock(&pool->mutex);
	if (tess_remap_dirty(&pd->map) || pd->drops)
		tess_pool_commit(pool);
	mutex_lock(&pool->mutex);
	if (--pd->open_count) {
		/*
		 * Not the last table, so not the live one: @data_bdev is the
		 * live table's (set at its resume, maybe the same device as
		 * ours after a reload) or NULL, and stays.  Only the device a
		 * suspended table lent for a later flush goes with it.
		 */
		if (pd->last_bdev == bdev)
			pd->last_bdev = NULL;
		mutex_unlock(&pool->mutex);
		return;
	}
	if (pd->held && tess_remap_dirty(&pd->map) && !pd->drops) {
		/* Any tombstone it could not bring back fails below. */
		tess_pool_undrop_disk(pd);
		mutex_unlock(&pool->mutex);
		tess_pool_commit(pool);
		mutex_lock(&pool->mutex);
	}
	/*
	 * Changes not committed, or removals whose data device was not
	 * flushed, would go with this object, while the allocator still
	 * counts their puts and another disk's commit could record the
	 * removals: give the transaction up (read-only, needs_check).
	 */
	if (tess_remap_dirty(&pd->map) || pd->drops) {
		DMERR("pool %s: disk %u: changes to its remaps could not be committed",
		      tess_pool_name(pool), pd->id);
		tess_pool_md_error(pool, "closing a disk", -EIO);
	}
	list_del(&pd->list);
	mutex_unlock(&pool->mutex);
	/* Not resumed, so not pinned again: a step still on it ends first. */
	wait_event(pool->move_wait, !READ_ONCE(pd->moving));
	tess_pool_free_disk(pd);
}

void tess_pool_disk_resume(struct tess_pool_disk *pd, struct block_device *bdev)
{
	struct tess_pool *pool = pd->pool;
	bool owed;

	mutex_lock(&pool->mutex);
	owed = pd->drops || tess_remap_drops(&pd->map) != pd->flushed_drops;
	if (pd->last_bdev && pd->last_bdev != bdev && owed) {
		pd->data_bdev = pd->last_bdev;
		if (!tess_pool_flush_data(pool, pd, true))
			pd->drops = false;
		else if (pd->drops || tess_pool_undrop_disk(pd))
			/* Written or kept, and no flush could ever back them. */
			tess_pool_md_error(pool, "a reload onto another data device",
					   -EIO);
	}
	pd->last_bdev = NULL;
	pd->data_bdev = bdev;
	pd->no_move = false;
	mutex_unlock(&pool->mutex);
}

void tess_pool_disk_suspend(struct tess_pool_disk *pd)
{
	struct tess_pool *pool = pd->pool;

	/* A relocation step copies to its data device: let it end. */
	tess_pool_disk_presuspend(pd);
	wait_event(pool->move_wait, !READ_ONCE(pd->moving));
	/* Its last changes, and drops flushed home, while its device is ours. */
	tess_pool_commit(pool);
	mutex_lock(&pool->mutex);
	if (pd->drops && !tess_pool_flush_data(pool, pd, true))
		pd->drops = false;
	pd->last_bdev = pd->data_bdev;
	pd->data_bdev = NULL;
	mutex_unlock(&pool->mutex);
}

void tess_pool_disk_presuspend(struct tess_pool_disk *pd)
{
	mutex_lock(&pd->pool->mutex);
	pd->no_move = true;
	mutex_unlock(&pd->pool->mutex);
}

void tess_pool_disk_presuspend_undo(struct tess_pool_disk *pd)
{
	mutex_lock(&pd->pool->mutex);
	pd->no_move = !pd->data_bdev;
	mutex_unlock(&pd->pool->mutex);
}

/* The pinnable disk with the smallest id at or after @id; pool mutex. */
static struct tess_pool_disk *tess_pool_first_movable(struct tess_pool *pool,
						      u32 id)
{
	struct tess_pool_disk *pd, *best = NULL;

	list_for_each_entry(pd, &pool->disks, list)
		if (pd->id >= id && pd->data_bdev && !pd->no_move &&
		    !pd->moving && (!best || pd->id < best->id))
			best = pd;
	return best;
}

struct tess_pool_disk *tess_pool_pin_disk(struct tess_pool *pool, u32 *id,
					  bool wrap,
					  struct block_device **data)
{
	struct tess_pool_disk *pd;

	mutex_lock(&pool->mutex);
	pd = tess_pool_first_movable(pool, *id);
	if (!pd && wrap)
		pd = tess_pool_first_movable(pool, 0);
	if (pd) {
		pd->moving = true;
		*data = pd->data_bdev;
		*id = pd->id;
	}
	mutex_unlock(&pool->mutex);
	return pd;
}

void tess_pool_unpin_disk(struct tess_pool_disk *pd)
{
	struct tess_pool *pool = pd->pool;

	mutex_lock(&pool->mutex);
	WRITE_ONCE(pd->moving, false);
	mutex_unlock(&pool->mutex);
	wake_up_all(&pool->move_wait);
}

unsigned int tess_pool_nr_disks(struct tess_pool *pool)
{
	struct tess_pool_disk *pd;
	unsigned int n = 0;

	mutex_lock(&pool->mutex);
	list_for_each_entry(pd, &pool->disks, list)
		n++;
	mutex_unlock(&pool->mutex);
	return n;
}

u64 tess_pool_nr_remapped(struct tess_pool *pool)
{
	struct tess_pool_disk *pd;
	u64 n = 0;

	mutex_lock(&pool->mutex);
	list_for_each_entry(pd, &pool->disks, list)
		n += atomic64_read(&pd->remapped);
	mutex_unlock(&pool->mutex);
	return n;
}

/*
 * Pool messages (pool mutex held).
 */

static int tess_pool_create_disk(struct tess_pool *pool, u32 id)
{
	int r;

	if (pool->mode != TESS_POOL_RW)
		return -EIO;
	r = tess_md_create_disk(pool->md, id);
	if (r == -EEXIST) {
		DMERR("pool %s: create_disk %u: the disk exists",
		      tess_pool_name(pool), id);
		return -EEXIST;
	}
	if (r) {
		tess_pool_md_error(pool, "create_disk", r);
		return -EIO;
	}
	tess_pool_changed(pool);
	return 0;
}

struct tess_pool_blocks {
	u64 *blocks;
	size_t nr, max;
};

static int tess_pool_collect_block(void *ctx, u64 block, u64 store)
{
	struct tess_pool_blocks *b = ctx;
	u64 *n;

	if (b->nr == b->max) {
		b->max = max_t(size_t, 256, 2 * b->max);
		n = kvrealloc(b->blocks, b->max * sizeof(u64), GFP_KERNEL);
		if (!n)
			return -ENOMEM;
		b->blocks = n;
	}
	b->blocks[b->nr++] = store;
	return 0;
}

/*
 * Drop the disk and its remaps: the store references are put after the
 * commit that deletes them, as any drop.
 */
static int tess_pool_delete_disk(struct tess_pool *pool, u32 id)
{
	struct tess_pool_blocks b = {};
	size_t i;
	int r;

	if (pool->mode != TESS_POOL_RW)
		return -EIO;
	if (tess_pool_find_disk(pool, id)) {
		DMERR("pool %s: delete_disk %u: a table uses it",
		      tess_pool_name(pool), id);
		return -EBUSY;
	}
	r = tess_pool_lookup_disk(pool, id);
	if (r == -ENODATA)
		DMERR("pool %s: delete_disk %u: no such disk",
		      tess_pool_name(pool), id);
	if (r)
		return r;
	r = tess_md_for_each_remap(pool->md, id, tess_pool_collect_block, &b);
	if (!r) {
		r = tess_md_delete_disk(pool->md, id);
		if (r)
			tess_pool_md_error(pool, "delete_disk", r);
	} else if (r != -ENOMEM) {
		tess_pool_md_error(pool, "reading the disk's remaps", r);
	}
	if (!r) {
		for (i = 0; i < b.nr; i++)
			tess_alloc_put_after_commit(&pool->store.alloc,
						    b.blocks[i]);
		tess_pool_changed(pool);
	}
	kvfree(b.blocks);
	return r == -ENOMEM ? r : r ? -EIO : 0;
}

/*
 * The registry and the pool object.
 */

static struct tess_pool *tess_pool_lookup_md(struct mapped_device *md)
{
	struct tess_pool *pool;

	lockdep_assert_held(&tess_pools_lock);
	list_for_each_entry(pool, &tess_pools, list)
		if (pool->pool_md == md)
			return pool;
	return NULL;
}

static struct tess_pool *tess_pool_lookup_metadata(struct block_device *bdev)
{
	struct tess_pool *pool;

	lockdep_assert_held(&tess_pools_lock);
	list_for_each_entry(pool, &tess_pools, list)
		if (pool->md_bdev == bdev)
			return pool;
	return NULL;
}

/* Is @bdev the metadata or store device of a pool? */
static bool tess_pool_uses(struct block_device *bdev)
{
	struct tess_pool *pool;

	lockdep_assert_held(&tess_pools_lock);
	list_for_each_entry(pool, &tess_pools, list)
		if (pool->md_bdev == bdev || pool->store.bdev == bdev)
			return true;
	return false;
}

bool tess_pool_holds_bdev(struct block_device *bdev)
{
	bool held;

	mutex_lock(&tess_pools_lock);
	held = tess_pool_uses(bdev);
	mutex_unlock(&tess_pools_lock);
	return held;
}

struct tess_pool *tess_pool_get_by_md(struct mapped_device *md)
{
	struct tess_pool *pool;

	mutex_lock(&tess_pools_lock);
	pool = tess_pool_lookup_md(md);
	if (pool)
		pool->ref++;
	mutex_unlock(&tess_pools_lock);
	return pool;
}

/*
 * tess_pool_put() committed what could be; what a failed commit left in
 * the open transaction is dropped here, never committed without the
 * flushes it needs.
 */
static void tess_pool_destroy(struct tess_pool *pool)
{
	tess_reloc_exit(&pool->reloc);
	cancel_delayed_work_sync(&pool->period_work);
	destroy_workqueue(pool->wq);
	WARN_ON_ONCE(!list_empty(&pool->disks));
	if (pool->claim_file)
		bdev_fput(pool->claim_file);
	if (pool->lost || READ_ONCE(pool->dirty))
		DMERR("pool %s: closed with changes not committed",
		      tess_pool_name(pool));
	tess_md_close(pool->md);
	tess_store_exit(&pool->store);
	bdev_fput(pool->store_file);
	bdev_fput(pool->md_file);
	kfree(pool->batch);
	if (tess_verbose)
		DMINFO("pool %s: closed", tess_pool_name(pool));
	kfree(pool);
}

/*
 * An orphan's store holds swapped-out guest RAM and no table claims it
 * any more: claim it, so that an exclusive open (mkswap, mkfs) is
 * refused.  tess_pools_lock held.
 */
static void tess_pool_claim(struct tess_pool *pool)
{
	struct file *f;

	lockdep_assert_held(&tess_pools_lock);
	if (pool->claim_file)
		return;
	f = bdev_file_open_by_dev(pool->store.bdev->bd_dev,
				  BLK_OPEN_READ | BLK_OPEN_WRITE, pool, NULL);
	if (IS_ERR(f)) {
		DMWARN("pool %s: cannot claim the store it keeps: %ld",
		       tess_pool_name(pool), PTR_ERR(f));
		return;
	}
	pool->claim_file = f;
}

static void tess_pool_unclaim(struct tess_pool *pool)
{
	lockdep_assert_held(&tess_pools_lock);
	if (pool->claim_file) {
		bdev_fput(pool->claim_file);
		pool->claim_file = NULL;
	}
}

/*
 * A new pool table names @path as its store: an orphan's claim would
 * make its dm_get_device() fail, so release it (tess_pool_claim_orphans()
 * takes it again if the table is refused).  tess_pools_lock held from
 * here through the adoption or the claim again, so that no exclusive
 * opener and no other table's claim comes between.
 */
static void tess_pool_unclaim_store(const char *path)
{
	struct tess_pool *pool;
	dev_t dev;

	lockdep_assert_held(&tess_pools_lock);
	if (dm_devt_from_path(path, &dev))
		return;
	list_for_each_entry(pool, &tess_pools, list)
		if (pool->claim_file && pool->store.bdev->bd_dev == dev)
			tess_pool_unclaim(pool);
}

static void tess_pool_claim_orphans(void)
{
	struct tess_pool *pool;

	lockdep_assert_held(&tess_pools_lock);
	list_for_each_entry(pool, &tess_pools, list)
		if (pool->orphan && !pool->ref)
			tess_pool_claim(pool);
}

/*
 * The last table is gone (and has put its devices): free the pool, or
 * keep it as an orphan, its store claimed, while the store holds
 * swapped-out pages.  tess_pools_lock held.
 */
static void __tess_pool_release(struct tess_pool *pool)
{
	lockdep_assert_held(&tess_pools_lock);
	pool->pool_md = NULL;
	if (!tess_backend_unbind(pool)) {
		if (!pool->orphan)
			DMINFO("pool %s: kept while its store holds swapped-out pages",
			       tess_pool_name(pool));
		WRITE_ONCE(pool->orphan, true);
		tess_pool_claim(pool);
		return;
	}
	list_del(&pool->list);
	tess_pool_destroy(pool);
	/* It may have been the bound one: another pool serves swap now. */
	tess_pool_bind_any();
}

/* May @pool serve swap: its table resumed with swap, read-write? */
static bool tess_pool_serves_swap(struct tess_pool *pool)
{
	return READ_ONCE(pool->live_ti) && READ_ONCE(pool->swap) &&
	       tess_pool_get_mode(pool) == TESS_POOL_RW;
}

/* Bind the swap backend to the first resumed pool that serves swap. */
static void tess_pool_bind_any(void)
{
	struct tess_pool *pool;

	lockdep_assert_held(&tess_pools_lock);
	list_for_each_entry(pool, &tess_pools, list)
		if (tess_pool_serves_swap(pool) && !tess_backend_bind(pool))
			return;
}

static void tess_pool_reap(struct work_struct *work)
{
	struct tess_pool *pool, *tmp;
	bool reaped = false;

	mutex_lock(&tess_pools_lock);
	list_for_each_entry_safe(pool, tmp, &tess_pools, list) {
		if (!pool->orphan || pool->ref)
			continue;
		if (tess_backend_unbind(pool)) {
			list_del(&pool->list);
			tess_pool_destroy(pool);
			reaped = true;
		}
	}
	/*
	 * A bound pool that takes no page any more (reloaded with no_swap,
	 * read-only, its table gone) hands swap over once its pages are.
	 */
	pool = tess_backend_bound();
	if (pool && !tess_pool_serves_swap(pool) && tess_backend_unbind(pool))
		reaped = true;
	if (reaped)
		tess_pool_bind_any();
	mutex_unlock(&tess_pools_lock);
}

void tess_pool_swap_drained(void)
{
	schedule_work(&tess_reap_work);
}

void tess_pool_put(struct tess_pool *pool)
{
	tess_pool_commit(pool);
	mutex_lock(&tess_pools_lock);
	if (!--pool->ref)
		__tess_pool_release(pool);
	mutex_unlock(&tess_pools_lock);
}

static int tess_pool_load_ref(void *ctx, u64 store, u32 count)
{
	struct tess_alloc *a = ctx;

	cond_resched();
	return tess_alloc_set_refs(a, store, count);
}

/*
 * Is block 0 of the metadata device all zeroes?  1 yes, 0 no (then @uuid
 * is the uuid its superblock names, to be checked by tess_md_open()), or
 * -errno.
 */
static int tess_pool_md_blank(struct block_device *bdev, u8 *uuid)
{
	const struct tess_md_super_disk *sb;
	struct dm_bufio_client *c;
	struct dm_buffer *b;
	void *data;
	int r;

	c = dm_bufio_client_create(bdev, TESS_BLOCK_SIZE, 1, 0, NULL, NULL, 0);
	if (IS_ERR(c))
		return PTR_ERR(c);
	data = dm_bufio_read(c, 0, &b);
	if (IS_ERR(data)) {
		r = PTR_ERR(data);
	} else {
		r = !memchr_inv(data, 0, TESS_BLOCK_SIZE);
		sb = data;
		memcpy(uuid, sb->uuid, UUID_SIZE);
		dm_bufio_release(b);
	}
	dm_bufio_client_destroy(c);
	return r;
}

/* Open the metadata for the store's @uuid (formats blank metadata). */
static int tess_pool_open_md(struct tess_pool *pool, u64 nr_blocks,
			     const u8 *uuid, char **error)
{
	bool formatted;
	int r;

	pool->md = tess_md_open(pool->md_bdev, nr_blocks, uuid, &formatted,
				error);
	if (IS_ERR(pool->md)) {
		r = PTR_ERR(pool->md);
		pool->md = NULL;
		return r == -ENOMEM ? r : -EINVAL;
	}
	if (formatted)
		DMINFO("pool %s: metadata formatted", tess_pool_name(pool));
	return 0;
}

/*
 * A new store (block 0 zero): with blank metadata, format the metadata
 * with a new uuid, then the store; with metadata that names nothing yet
 * (trans_id 0, no disk: a crash between the two), finish formatting the
 * store for it.  Anything else is another pool's metadata: refused.
 */
static int tess_pool_format_store(struct tess_pool *pool,
				  struct block_device *sbdev, u64 nr_blocks,
				  u8 *uuid, char **error)
{
	struct tess_md_usage u;
	int r;

	r = tess_pool_md_blank(pool->md_bdev, uuid);
	if (r < 0) {
		*error = "Cannot read the metadata device";
		return -EINVAL;
	}
	if (r)
		generate_random_uuid(uuid);
	r = tess_pool_open_md(pool, nr_blocks, uuid, error);
	if (r)
		return r;
	if (tess_md_get_usage(pool->md, &u) || u.trans_id || u.nr_disks) {
		*error = "Store is new but the metadata is not";
		return -EINVAL;
	}
	r = tess_store_format(sbdev, nr_blocks, uuid);
	if (r) {
		*error = "Cannot format the store device";
		return -EIO;
	}
	DMINFO("pool %s: store formatted, %llu blocks", tess_pool_name(pool),
	       nr_blocks);
	return 0;
}

static const char *tess_pool_dev_name(struct dm_target *ti)
{
	return dm_table_device_name(ti->table);
}

/*
 * A pool maps its whole store: checked before a new store or metadata is
 * formatted, so that a refused table leaves both devices untouched.
 */
static int tess_pool_check_len(struct dm_target *ti, u64 nr_blocks)
{
	sector_t want = tess_store_sector(nr_blocks);

	if (ti->begin || ti->len != want) {
		DMERR("%s: a pool maps its whole store: length %llu, not %llu",
		      tess_pool_dev_name(ti), (unsigned long long)want,
		      (unsigned long long)ti->len);
		ti->error = "Pool length must be the store's (4 KiB blocks)";
		return -EINVAL;
	}
	return 0;
}

/*
 * The store superblock, then the metadata.  A new store is formatted
 * after its metadata (tess_pool_format_store()).  An existing store with
 * blank metadata is refused: formatting the metadata would discard every
 * remap, silently.
 */
static int tess_pool_open_store_md(struct tess_pool *pool,
				   struct dm_target *ti, u64 *nr_blocks,
				   char **error)
{
	struct block_device *sbdev = file_bdev(pool->store_file);
	u8 uuid[UUID_SIZE], md_uuid[UUID_SIZE];
	int r, fresh;

	fresh = tess_store_read_sb(sbdev, tess_pool_name(pool), nr_blocks, uuid);
	if (fresh < 0) {
		*error = "Store device is not usable (see the kernel log)";
		return fresh == -ENOMEM ? fresh : -EINVAL;
	}
	/* A refused table must not format a new store (an old one: below). */
	if (fresh) {
		r = tess_pool_check_len(ti, *nr_blocks);
		if (r)
			return r;
		r = tess_pool_format_store(pool, sbdev, *nr_blocks, uuid,
					   error);
	} else {
		r = tess_pool_md_blank(pool->md_bdev, md_uuid);
		if (r) {
			DMERR("pool %s: blank metadata for a used store: refused",
			      tess_pool_name(pool));
			*error = r < 0 ? "Cannot read the metadata device" :
				 "Metadata is new but the store is not";
			return -EINVAL;
		}
		r = tess_pool_open_md(pool, *nr_blocks, uuid, error);
	}
	if (r)
		return r;
	r = tess_store_init(&pool->store, sbdev, *nr_blocks, uuid);
	if (r) {
		*error = "Cannot allocate the store allocator";
		return r;
	}
	return 0;
}

/* Open the devices, the store and the metadata; load the allocator. */
static int tess_pool_open(struct tess_pool *pool, struct tess_pool_c *pc,
			  char **error)
{
	blk_mode_t mode = BLK_OPEN_READ | BLK_OPEN_WRITE;
	u64 nr_blocks;
	int r;

	/* Not exclusive: the tables' dm_get_device() claims them. */
	pool->md_file = bdev_file_open_by_dev(pc->metadata_dev->bdev->bd_dev,
					      mode, NULL, NULL);
	if (IS_ERR(pool->md_file)) {
		r = PTR_ERR(pool->md_file);
		pool->md_file = NULL;
		*error = "Cannot open the metadata device";
		return r;
	}
	pool->store_file = bdev_file_open_by_dev(pc->store_dev->bdev->bd_dev,
						 mode, NULL, NULL);
	if (IS_ERR(pool->store_file)) {
		r = PTR_ERR(pool->store_file);
		pool->store_file = NULL;
		*error = "Cannot open the store device";
		return r;
	}
	pool->md_bdev = file_bdev(pool->md_file);

	r = tess_pool_open_store_md(pool, pc->ti, &nr_blocks, error);
	if (r)
		return r;
	r = tess_md_for_each_store_ref(pool->md, tess_pool_load_ref,
				       &pool->store.alloc);
	if (r) {
		*error = "Cannot load the store space map";
		return -EINVAL;
	}
	return 0;
}

static void tess_pool_free(struct tess_pool *pool)
{
	tess_reloc_exit(&pool->reloc);
	if (pool->wq)
		destroy_workqueue(pool->wq);
	kfree(pool->batch);
	if (pool->md)
		tess_md_close(pool->md);
	if (pool->store.bdev)
		tess_store_exit(&pool->store);
	if (pool->store_file)
		bdev_fput(pool->store_file);
	if (pool->md_file)
		bdev_fput(pool->md_file);
	kfree(pool);
}

static struct tess_pool *tess_pool_create(struct tess_pool_c *pc, char **error)
{
	struct tess_pool *pool;
	int r;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool) {
		*error = "Cannot allocate the pool";
		return ERR_PTR(-ENOMEM);
	}
	snprintf(pool->name, sizeof(pool->name), "%u:%u",
		 MAJOR(pc->metadata_dev->bdev->bd_dev),
		 MINOR(pc->metadata_dev->bdev->bd_dev));
	mutex_init(&pool->mutex);
	INIT_LIST_HEAD(&pool->disks);
	spin_lock_init(&pool->lock);
	bio_list_init(&pool->flush_bios);
	bio_list_init(&pool->completions);
	INIT_WORK(&pool->commit_work, tess_pool_commit_work);
	INIT_DELAYED_WORK(&pool->period_work, tess_pool_period_work);
	INIT_WORK(&pool->event_work, tess_pool_event);
	atomic64_set(&pool->nr_commits, 0);
	init_waitqueue_head(&pool->move_wait);
	pool->mode = TESS_POOL_RW;

	/* Allocated once: a commit must not fail a flush for want of it. */
	pool->batch = kmalloc_array(TESS_POOL_BATCH, sizeof(*pool->batch),
				    GFP_KERNEL);
	if (!pool->batch) {
		*error = "Cannot allocate the pool";
		r = -ENOMEM;
	} else {
		r = tess_pool_open(pool, pc, error);
	}
	if (!r) {
		pool->wq = alloc_ordered_workqueue("tesseract-pool-%s",
						   WQ_MEM_RECLAIM, pool->name);
		if (!pool->wq) {
			*error = "Cannot allocate workqueue";
			r = -ENOMEM;
		}
	}
	if (!r) {
		r = tess_reloc_init(&pool->reloc, pool);
		if (r)
			*error = "Cannot allocate the relocation worker";
	}
	if (r) {
		tess_pool_free(pool);
		return ERR_PTR(r);
	}
	if (tess_md_needs_check(pool->md)) {
		DMERR("pool %s: needs_check is set: read-only until tess_check",
		      tess_pool_name(pool));
		pool->mode = TESS_POOL_RO;
	}
	list_add_tail(&pool->list, &tess_pools);
	return pool;
}

/* The pool of a new table: found again (reload, orphan) or created. */
static struct tess_pool *tess_pool_find(struct tess_pool_c *pc,
					struct mapped_device *md, char **error)
{
	struct block_device *mbdev = pc->metadata_dev->bdev;
	struct tess_pool *pool, *by_md;

	lockdep_assert_held(&tess_pools_lock);
	pool = tess_pool_lookup_metadata(mbdev);
	by_md = tess_pool_lookup_md(md);
	if (by_md && by_md != pool) {
		*error = "The device is the pool of another metadata device";
		return ERR_PTR(-EINVAL);
	}
	if (!pool) {
		if (tess_pool_uses(mbdev) || tess_pool_uses(pc->store_dev->bdev)) {
			*error = "Device is in use by another pool";
			return ERR_PTR(-EBUSY);
		}
		return tess_pool_create(pc, error);
	}
	if (pool->pool_md && pool->pool_md != md) {
		*error = "Metadata device is in use by another pool";
		return ERR_PTR(-EBUSY);
	}
	if (pool->store.bdev != pc->store_dev->bdev) {
		*error = "Store device is not the pool's";
		return ERR_PTR(-EINVAL);
	}
	return pool;
}

/*
 * The target.
 */

static int tess_pool_get_devices(struct tess_pool_c *pc, char **argv)
{
	struct dm_target *ti = pc->ti;
	blk_mode_t mode = BLK_OPEN_READ | BLK_OPEN_WRITE;
	int r;

	r = dm_get_device(ti, argv[0], mode, &pc->metadata_dev);
	if (r) {
		ti->error = "Error opening metadata device";
		return r == -ENOMEM ? r : -EINVAL;
	}
	r = dm_get_device(ti, argv[1], mode, &pc->store_dev);
	if (r) {
		ti->error = "Error opening store device";
		dm_put_device(ti, pc->metadata_dev);
		return r == -ENOMEM ? r : -EINVAL;
	}
	if (pc->metadata_dev->bdev == pc->store_dev->bdev) {
		ti->error = "Metadata and store devices are the same";
		r = -EINVAL;
	} else if (bdev_nr_sectors(pc->metadata_dev->bdev) <
		   (sector_t)TESS_MD_MIN_BLOCKS * TESS_BLOCK_SECTORS) {
		ti->error = "Metadata device is too small";
		r = -EINVAL;
	}
	if (r) {
		dm_put_device(ti, pc->store_dev);
		dm_put_device(ti, pc->metadata_dev);
	}
	return r;
}

static int tess_pool_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	struct tess_pool_c *pc;
	struct tess_pool *pool;
	int r;

	if (argc < 2) {
		ti->error = "Requires <metadata dev> <store dev> [<#feature args> <args>...]";
		return -EINVAL;
	}
	pc = kzalloc(sizeof(*pc), GFP_KERNEL);
	if (!pc) {
		ti->error = "Cannot allocate pool context";
		return -ENOMEM;
	}
	pc->ti = ti;
	dm_consume_args(&as, 2);
	r = tess_parse_pool_features(&as, &pc->features, &ti->error);
	if (!r && as.argc) {
		ti->error = "Unexpected arguments after the feature arguments";
		r = -EINVAL;
	}
	if (r)
		goto bad;
	mutex_lock(&tess_pools_lock);
	tess_pool_unclaim_store(argv[1]);
	r = tess_pool_get_devices(pc, argv);
	if (r)
		goto bad_claim;

	pool = tess_pool_find(pc, dm_table_get_md(ti->table), &ti->error);
	if (IS_ERR(pool)) {
		r = PTR_ERR(pool);
		goto bad_pool;
	}
	pc->pool = pool;
	r = tess_pool_check_len(ti, pool->store.nr_blocks);
	if (r) {
		if (!pool->ref && !pool->orphan) {
			list_del(&pool->list);
			tess_pool_destroy(pool);
		}
		goto bad_pool;
	}
	pool->ref++;
	pool->pool_md = dm_table_get_md(ti->table);
	WRITE_ONCE(pool->orphan, false);
	tess_pool_unclaim(pool);
	mutex_unlock(&tess_pools_lock);

	ti->num_flush_bios = 1;
	ti->flush_supported = true;
	ti->private = pc;
	atomic_inc(&tess_nr_pools);
	if (tess_verbose)
		DMINFO("%s: pool on metadata %s, store %s",
		       tess_pool_dev_name(ti), pc->metadata_dev->name,
		       pc->store_dev->name);
	return 0;

bad_pool:
	dm_put_device(ti, pc->store_dev);
	dm_put_device(ti, pc->metadata_dev);
bad_claim:
	tess_pool_claim_orphans();
	mutex_unlock(&tess_pools_lock);
bad:
	DMERR("%s: %s", tess_pool_dev_name(ti), ti->error);
	kfree(pc);
	return r;
}

static void tess_pool_dtr(struct dm_target *ti)
{
	struct tess_pool_c *pc = ti->private;
	struct tess_pool *pool = pc->pool;

	mutex_lock(&pool->mutex);
	if (pool->live_ti == ti)
		WRITE_ONCE(pool->live_ti, NULL);
	mutex_unlock(&pool->mutex);
	tess_pool_commit(pool);
	/*
	 * The store put and an orphan's claim of it under one hold of
	 * tess_pools_lock: no exclusive opener comes between.
	 */
	mutex_lock(&tess_pools_lock);
	dm_put_device(ti, pc->store_dev);
	dm_put_device(ti, pc->metadata_dev);
	if (!--pool->ref)
		__tess_pool_release(pool);
	mutex_unlock(&tess_pools_lock);
	atomic_dec(&tess_nr_pools);
	kfree(pc);
}

/*
 * Reads of the pool device read the store; it takes no writes: the store
 * is the pool's, and a write there would change remapped guest data.
 */
static int tess_pool_map(struct dm_target *ti, struct bio *bio)
{
	struct tess_pool_c *pc = ti->private;

	if (bio_op(bio) != REQ_OP_READ && bio_sectors(bio))
		return DM_MAPIO_KILL;
	bio_set_dev(bio, pc->store_dev->bdev);
	return DM_MAPIO_REMAPPED;
}

static void tess_pool_resume(struct dm_target *ti)
{
	struct tess_pool_c *pc = ti->private;
	struct tess_pool *pool = pc->pool;
	struct tess_pool_features *f = &pc->features;

	WRITE_ONCE(pool->commit_period, f->commit_period);
	WRITE_ONCE(pool->low_water, f->low_water_set ? f->low_water :
		   tess_default_low_water(pool->store.nr_blocks));
	WRITE_ONCE(pool->swap, f->swap);
	mutex_lock(&pool->mutex);
	WRITE_ONCE(pool->live_ti, ti);
	mutex_unlock(&pool->mutex);
	mutex_lock(&tess_pools_lock);
	if (f->swap)
		tess_backend_bind(pool);
	/* Reloaded with no_swap: hand swap over, if the store holds none. */
	else if (tess_backend_bound() == pool && tess_backend_unbind(pool))
		tess_pool_bind_any();
	mutex_unlock(&tess_pools_lock);
	if (f->commit_period)
		mod_delayed_work(pool->wq, &pool->period_work,
				 msecs_to_jiffies(f->commit_period));
	tess_reloc_resume(&pool->reloc, &f->reloc);
}

static void tess_pool_postsuspend(struct dm_target *ti)
{
	struct tess_pool_c *pc = ti->private;

	tess_reloc_suspend(&pc->pool->reloc);
	cancel_delayed_work_sync(&pc->pool->period_work);
	tess_pool_commit(pc->pool);
}

static const char *tess_pool_swap_state(struct tess_pool *pool)
{
	if (!READ_ONCE(pool->swap))
		return "no_swap";
	return tess_backend_bound() == pool ? "swap" : "swap_busy";
}

static const char * const tess_pool_mode_names[] = {
	[TESS_POOL_RW] = "rw",
	[TESS_POOL_RO] = "ro",
	[TESS_POOL_FAIL] = "fail",
};

/*
 * Fields, as documented: transaction id, metadata blocks, store
 * blocks with any reference, held by swap entries, held by remaps (as
 * written to the metadata: remaps made since the last commit's collection
 * count from the next), disks, mode (rw | ro | fail: ro after a metadata
 * error, fail when not even needs_check could be written, as dm-thin's
 * "fail"), needs_check, swap, low water, the relocation's fields
 * (tess_reloc_status()), then the features.
 */
static void tess_pool_status_info(struct tess_pool_c *pc, char *result,
				  unsigned int maxlen, unsigned int sz)
{
	struct tess_pool *pool = pc->pool;
	struct tess_alloc *a = &pool->store.alloc;
	struct tess_md_usage u = {};
	u64 nr = tess_alloc_nr_blocks(a);

	/* A failed metadata may not say: zeroes, the mode says why. */
	if (tess_md_get_usage(pool->md, &u))
		memset(&u, 0, sizeof(u));
	DMEMIT("%llu %llu/%llu %llu/%llu %llu %llu %u %s %s %s %llu ",
	       u.trans_id, u.metadata_used, u.metadata_total,
	       nr - tess_alloc_nr_free(a), nr,
	       tess_backend_bound() == pool ? tess_backend_pages() : 0ULL,
	       u.store_used, u.nr_disks,
	       tess_pool_mode_names[tess_pool_get_mode(pool)],
	       tess_md_needs_check(pool->md) ? "needs_check" : "-",
	       tess_pool_swap_state(pool), READ_ONCE(pool->low_water));
	sz = tess_reloc_status(&pool->reloc, result, maxlen, sz);
	tess_emit_pool_features(&pc->features, result, maxlen, sz);
}

static void tess_pool_status(struct dm_target *ti, status_type_t type,
			     unsigned int status_flags, char *result,
			     unsigned int maxlen)
{
	struct tess_pool_c *pc = ti->private;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		tess_pool_status_info(pc, result, maxlen, sz);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %s ", pc->metadata_dev->name, pc->store_dev->name);
		tess_emit_pool_features(&pc->features, result, maxlen, sz);
		break;
	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",metadata_dev=%s,store_dev=%s,swap=%c;",
		       pc->metadata_dev->name, pc->store_dev->name,
		       pc->features.swap ? 'y' : 'n');
		break;
	}
}

/* "relocate start|stop|now". */
static int tess_pool_relocate(struct tess_pool_c *pc, u64 what)
{
	struct tess_pool *pool = pc->pool;

	if (READ_ONCE(pool->live_ti) != pc->ti) {
		DMERR("pool %s: relocate: the table is not the live one",
		      tess_pool_name(pool));
		return -EINVAL;
	}
	switch (what) {
	case TESS_RELOCATE_START:
		tess_reloc_start(&pool->reloc);
		return 0;
	case TESS_RELOCATE_STOP:
		tess_reloc_stop(&pool->reloc);
		return 0;
	default:
		if (tess_pool_get_mode(pool) != TESS_POOL_RW) {
			DMERR("pool %s: relocate now: the pool is read-only",
			      tess_pool_name(pool));
			return -EIO;
		}
		return tess_reloc_now(&pool->reloc);
	}
}

static int tess_pool_do_message(struct tess_pool_c *pc, enum tess_msg msg,
				u64 arg)
{
	struct tess_pool *pool = pc->pool;
	int r = 0;

	switch (msg) {
	case TESS_MSG_CREATE_DISK:
		mutex_lock(&pool->mutex);
		r = tess_pool_create_disk(pool, arg);
		mutex_unlock(&pool->mutex);
		break;
	case TESS_MSG_DELETE_DISK:
		mutex_lock(&pool->mutex);
		r = tess_pool_delete_disk(pool, arg);
		mutex_unlock(&pool->mutex);
		break;
	case TESS_MSG_SET_COMMIT_PERIOD:
		pc->features.commit_period = arg;
		pc->features.commit_period_set = true;
		WRITE_ONCE(pool->commit_period, arg);
		if (arg)
			mod_delayed_work(pool->wq, &pool->period_work,
					 msecs_to_jiffies(arg));
		return 0;
	case TESS_MSG_SET_LOW_WATER:
		pc->features.low_water = arg;
		pc->features.low_water_set = true;
		WRITE_ONCE(pool->low_water, arg);
		return 0;
	case TESS_MSG_RELOCATE:
		return tess_pool_relocate(pc, arg);
	default:
		if (tess_pool_features_set_reloc(&pc->features, msg, arg)) {
			/* Only the live table's features drive the worker. */
			if (READ_ONCE(pool->live_ti) == pc->ti)
				tess_reloc_set(&pool->reloc,
					       &pc->features.reloc);
			return 0;
		}
		break;
	}
	/* create and delete are durable when the message returns. */
	return r ?: tess_pool_commit(pool);
}

static int tess_pool_message(struct dm_target *ti, unsigned int argc,
			     char **argv, char *result, unsigned int maxlen)
{
	struct tess_pool_c *pc = ti->private;
	const char *error;
	enum tess_msg msg;
	u64 arg = 0;
	int r;

	if (tess_parse_message(argc, argv, true, &msg, &arg, &error)) {
		DMERR("%s: message \"%.64s\": %s", tess_pool_dev_name(ti),
		      argc ? argv[0] : "", error);
		return -EINVAL;
	}
	r = tess_pool_do_message(pc, msg, arg);
	if (r)
		DMERR("%s: message %s failed: %d", tess_pool_dev_name(ti),
		      argv[0], r);
	else if (tess_verbose)
		DMINFO("%s: message %s", tess_pool_dev_name(ti), argv[0]);
	return r;
}

static int tess_pool_iterate_devices(struct dm_target *ti,
				     iterate_devices_callout_fn fn, void *data)
{
	struct tess_pool_c *pc = ti->private;

	return fn(ti, pc->store_dev, 0, ti->len, data);
}

static struct target_type tess_pool_target = {
	.name = "tesseract-pool",
	.version = {0, 1, 0},
	.module = THIS_MODULE,
	.ctr = tess_pool_ctr,
	.dtr = tess_pool_dtr,
	.map = tess_pool_map,
	.postsuspend = tess_pool_postsuspend,
	.resume = tess_pool_resume,
	.status = tess_pool_status,
	.message = tess_pool_message,
	.iterate_devices = tess_pool_iterate_devices,
};

int tess_pool_register(void)
{
	return dm_register_target(&tess_pool_target);
}

/* Module exit: no table is left; orphans have no swapped-out pages. */
void tess_pool_unregister(void)
{
	struct tess_pool *pool, *tmp;

	dm_unregister_target(&tess_pool_target);
	cancel_work_sync(&tess_reap_work);
	mutex_lock(&tess_pools_lock);
	list_for_each_entry_safe(pool, tmp, &tess_pools, list) {
		WARN_ON_ONCE(pool->ref || !tess_backend_unbind(pool));
		list_del(&pool->list);
		tess_pool_destroy(pool);
	}
	mutex_unlock(&tess_pools_lock);
}
