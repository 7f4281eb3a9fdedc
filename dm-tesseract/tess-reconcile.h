/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: reconciliation of guest writes with host swap.
 *
 * While a disk table is live and its pool's store is the one the swap
 * backend is bound to, the table owns the O_DIRECT write hook of its
 * mapped device (mm-hooks 0002).  A page of a guest write whose PTE holds
 * a swap entry the store has is taken there: the disk block is remapped
 * onto the store block that already holds the content, and neither the
 * swap-in read nor the data write happens.
 *
 * Afterwards, reads of remapped blocks are redirected to the store, split
 * at extent boundaries.  A write that covers whole remapped blocks goes
 * home and drops their remaps once it succeeded, so that until then they
 * read as before; one that covers part of a remapped block first has a
 * worker copy the block home.  A discard drops the remaps of the whole
 * blocks it covers.  Remaps live in the pool's per-disk map (tess-pool.h):
 * each change is marked dirty there, and a dropped or replaced remap's
 * store block is released only after the commit that drops it.  Suspend,
 * reload and remove keep them; copy_home (tess_rc_copy_home()) copies them
 * all home and drops them.
 *
 * Locking: the disk's lock (struct tess_pool_disk) orders every change of
 * a remap's liveness or store block with the store block reference that
 * each remap holds, and lets readers take their own references on the
 * blocks they read before a remap can go away.  It is taken with
 * interrupts off, inside the page-table lock (the hook), and outside the
 * xarray and allocator locks.
 * @lock guards @deferred.  The hook cannot allocate there: before each run
 * of pages it walks, it reserves the run's slots of the map, sleeping (its
 * ->prepare()), and releases what it did not fill after (->finish()).
 *
 * A copy home must not land after a write that went home before it: the
 * worker waits for @dropping to reach zero before copying, and a write
 * that would drop remaps goes through the worker while @deferring is not
 * zero (the two are read and raised in opposite orders, with barriers).
 * A discard over remaps does the same: once it dropped a remap, later
 * writes to that block go straight home, so a copy planned before the
 * drop must not be in flight.  copy_home runs on the same ordered worker,
 * with @deferring raised.
 */
#ifndef DM_TESSERACT_RECONCILE_H
#define DM_TESSERACT_RECONCILE_H

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "tess-remap.h"

struct dm_bio_prison_cell_v2;
struct dm_kcopyd_client;
struct tess_pool;
struct tess_pool_disk;

/* Why a page offered by the hook, or seen by the fallback, was declined. */
enum tess_rc_decline {
	TESS_DECLINE_NOT_STORED,	/* its entry is not in the store */
	TESS_DECLINE_NO_MEMORY,		/* no room in the remap map */
	TESS_DECLINE_RANGE,		/* beyond the end of the target */
	TESS_DECLINE_CAP,		/* the disk has max_remapped remaps */
	TESS_DECLINE_POOL,		/* pool below low water, or not rw */
	TESS_DECLINE_NR
};

/* Counters, as tess_rc_status() reports them after the pass-through ones. */
struct tess_rc_counters {
	atomic64_t reconciled;	/* pages of guest writes remapped, any way */
	atomic64_t redirected;	/* reads (pieces of) sent to the store */
	atomic64_t overwritten;	/* remaps dropped by writes and discards */
	/* Pages the hook offered and took, by enum blk_dio_page. */
	atomic64_t offered[BLK_DIO_SWAP_CACHE + 1];
	atomic64_t taken[BLK_DIO_SWAP_CACHE + 1];
	atomic64_t fallback;	/* pages remapped by the fallback */
	atomic64_t declined[TESS_DECLINE_NR];
	/* Declined: a relocation step is moving the block (after commits). */
	atomic64_t declined_moving;
};

/* Whether the target reconciles, and if not, why; in status. */
enum tess_rc_state {
	TESS_RC_SUSPENDED,	/* not resumed */
	TESS_RC_HOOKED,		/* owns the write hook: reconciling */
	TESS_RC_OFF,		/* no_reconcile */
	TESS_RC_NO_STORE,	/* the pool's store does not serve swap */
	TESS_RC_PARTIAL,	/* the target does not span its device */
	TESS_RC_HOOK_BUSY,	/* another owner holds the device's hook */
	TESS_RC_READ_ONLY,	/* hooked, but the pool is read-only */
	TESS_RC_DISCARD_ONLY,	/* hooked for page-in discards: no_remap */
};

/* The O_DIRECT write hook offers pages, the store keeps 4 KiB blocks. */
static_assert(PAGE_SIZE == 1UL << TESS_BLOCK_SHIFT);

struct tess_reconcile {
	struct dm_target *ti;
	struct tess_pool *pool;
	struct tess_pool_disk *pd;	/* the map, its lock, remapped */
	struct block_device *data_bdev;
	u64 max_remapped;		/* 0: no cap */
	bool remap;			/* no no_remap: writes may be remapped */
	struct blk_dio_hook hook;
	bool hooked;			/* hook registered (resume..suspend) */
	enum tess_rc_state state;	/* set by tess_rc_start(), _stop() */
	spinlock_t lock;		/* guards @deferred */
	struct bio_list deferred;	/* writes and discards over remaps */
	struct work_struct work;	/* serves @deferred, in order */
	struct workqueue_struct *wq;	/* ordered: @work and copy_home */
	atomic_t deferring;		/* queued, not yet submitted */
	atomic_t dropping;		/* writes to drop remaps at end_io */
	struct dm_kcopyd_client *kc;	/* copies remapped blocks home */
	struct tess_rc_counters counters;
};

/*
 * Per-bio data.  A redirected read holds references on store blocks
 * [@block, @block + @nr); a write over remapped blocks drops the remaps of
 * disk blocks [@block, @block + @nr) once it succeeded (@drop).  @fua:
 * a write with data and REQ_FUA (known at map: a completed bio's iterator
 * is spent), whose completion waits for a commit; @waited: it did.  @ti:
 * the table that mapped it (for a write handed back by relocation);
 * @cell: a write's shared lock on its extent (tess-relocate.h), or NULL.
 */
struct tess_io {
	u64 block;
	unsigned int nr;
	bool drop;
	bool fua;
	bool waited;
	struct dm_target *ti;
	struct dm_bio_prison_cell_v2 *cell;
};

/* Initialise @bio's per-bio data; from map(), first. */
void tess_rc_init_io(struct dm_target *ti, struct bio *bio);

/*
 * Constructor and destructor parts; process context.  The map is @pd's,
 * of @pool; copies go home to @data_bdev.  With @remap false the hook is
 * taken all the same (O_DIRECT reads of whole pages then discard the
 * host-swapped pages they overwrite) but no write is remapped.
 */
int tess_rc_init(struct tess_reconcile *rc, struct dm_target *ti,
		 struct tess_pool *pool, struct tess_pool_disk *pd,
		 struct block_device *data_bdev, u64 max_remapped, bool remap,
		 char **error);
void tess_rc_exit(struct tess_reconcile *rc);

/*
 * Resume (and presuspend_undo): take the hook if @enabled, the pool's
 * store serves swap and the target spans its device; the status says
 * which.
 */
void tess_rc_start(struct tess_reconcile *rc, bool enabled);
/*
 * Presuspend: release the hook while I/O still flows.  Unregistering
 * waits for the hook's calls in flight, which may sleep in allocation and
 * in MMU notifiers, so it must not wait behind I/O that a suspended
 * device holds.
 */
void tess_rc_unhook(struct tess_reconcile *rc);
/*
 * Postsuspend: release the hook if still held, let the worker finish.
 * Remaps stay.
 */
void tess_rc_stop(struct tess_reconcile *rc);

/*
 * The copy_home message: copy every remapped block home (dm-kcopyd, in
 * disk order), flush the data device, drop the remaps, commit the pool.
 * Returns 0 only when the disk has no remap left.  On a copy, flush or
 * commit error the remaps stay (and read right): -EIO, logged.  -EBUSY,
 * logged: the table is suspended, the hook remapped blocks during the
 * copy, or a store block holds too many references (TESS_MAX_REFS) to
 * take the copy's own (they stay; run it again).  Process context, may
 * sleep long.
 */
int tess_rc_copy_home(struct tess_reconcile *rc);

/* What map() does with a bio tess_rc_map_write() looked at. */
enum tess_rc_verdict {
	TESS_RC_MAP,	/* map it to the data device */
	TESS_RC_TAKEN,	/* remapped: end it, no I/O */
	TESS_RC_DEFER,	/* hand it to tess_rc_queue() */
	TESS_RC_KILL,	/* over remaps in a read-only pool: -EIO */
};

/*
 * From map(), for any bio but a read; initialises its per-bio data.  The
 * head of a write the hook did not see whose pages hold the content of
 * swap entries the store has (clean swap-cache pages mapped nowhere) is
 * remapped: TESS_RC_TAKEN, with @bio cut to that head.  A discard drops the
 * remaps of the blocks it covers whole.  A write over remapped blocks will
 * drop their remaps once it succeeded; it is deferred if it covers one in
 * part (to copy it home first) or if the worker is busy.  @bio may be cut
 * before the first page the fallback could take.
 */
enum tess_rc_verdict tess_rc_map_write(struct tess_reconcile *rc,
				       struct bio *bio);
/*
 * For a write that waited in a relocation cell, from the relocation
 * worker: as tess_rc_map_write() without the fallback (which cuts bios,
 * as only map() may).  Process context.
 */
enum tess_rc_verdict tess_rc_map_write_again(struct tess_reconcile *rc,
					     struct bio *bio);
/* Queue a TESS_RC_DEFER bio to the worker. */
void tess_rc_queue(struct tess_reconcile *rc, struct bio *bio);

/*
 * From map(), for a read: if the head of @bio is remapped, send it to the
 * store and return true with *@r the DM_MAPIO_* result.  Else return
 * false, with @bio cut to the head that is not remapped, for the caller
 * to map to the data device.
 */
bool tess_rc_map_read(struct tess_reconcile *rc, struct bio *bio, int *r);
/*
 * From end_io(): drop the references a redirected read held, or the remaps
 * a successful write covered.
 */
void tess_rc_end_io(struct tess_reconcile *rc, struct bio *bio,
		    blk_status_t status);

unsigned int tess_rc_status(struct tess_reconcile *rc, char *result,
			    unsigned int maxlen, unsigned int sz);
void tess_rc_reset_counters(struct tess_reconcile *rc);

#endif /* DM_TESSERACT_RECONCILE_H */
