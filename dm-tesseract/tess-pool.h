/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: the "tesseract-pool" target and the pool object.
 *
 * Table: <metadata dev> <store dev> [<#feature args> <feature arg>*]
 *
 * A pool owns a store device (the blocks remapped disk blocks and, if it
 * serves swap, swapped-out pages live in), its metadata device (the remap
 * trees and the store space map, tess-metadata.h), the in-memory
 * allocator of store blocks (every kind of reference) and a worker that
 * writes the disks' changes into the metadata and commits.  The pool
 * object outlives its tables, as dm-thin's: it is found again by the
 * metadata device (a reload, or a new table after remove), and it stays,
 * with its store open, while the store holds swapped-out pages (see
 * tess_pool_put()).
 *
 * Each disk table ("tesseract", tess-disk.c) names the pool's mapped
 * device and a disk id, and opens the pool's per-disk object (struct
 * tess_pool_disk): the in-core remap map, loaded from the metadata at the
 * first open, shared by the tables of one mapped device (a reload), and
 * refused to any other mapped device while open.
 *
 * Commit (tess_pool_commit()), in this order: close the allocator's put
 * generation; write every disk's dirty entries into the metadata; flush
 * the store (the blocks new remaps name were written by swap-out); flush
 * the data device of every disk whose dropped remaps this commit removes
 * (an overwrite's data must be home before the drop is durable); commit
 * the metadata; release the puts of the closed generation.  Flushes of a
 * disk wait for a commit that began after they arrived, then go to the
 * data device; FUA writes complete after such a commit.  The worker also
 * commits every commit_period ms while anything is dirty.
 *
 * A metadata error puts the pool in read-only mode and sets needs_check:
 * no new remap, writes over remapped blocks fail, flushes fail while
 * changes could not be committed.
 *
 * Locks, outermost first: tess_pools_lock (the registry, in tess-pool.c);
 * the pool's mutex (commits and every metadata call, the disk list, the
 * mode); then spinlocks, never held across a sleep: a disk's lock outside
 * its xarray's lock and the allocator's; the pool's bio lists' lock alone.
 * The swap backend's binding lock is taken inside tess_pools_lock only.
 * Under tess_pools_lock an orphan's store is opened and put (its claim:
 * the block device's open_mutex inside tess_pools_lock), and the reap
 * and the pool release wait in tess_backend_unbind() for its I/O.
 *
 * Swap: the backend binds to the first resumed pool that serves swap
 * (tess-backend.h); a disk table takes its hook only if its pool is the
 * bound one when it resumes.
 */
#ifndef DM_TESSERACT_POOL_H
#define DM_TESSERACT_POOL_H

#include <linux/atomic.h>
#include <linux/bio.h>
#include <linux/device-mapper.h>
#include <linux/list.h>
#include <linux/spinlock.h>

#include "tess-remap.h"

struct tess_pool;
struct tess_store;

enum tess_pool_mode {
	TESS_POOL_RW,
	TESS_POOL_RO,	/* metadata error: read-only, needs_check */
	TESS_POOL_FAIL,	/* not even needs_check could be recorded */
};

/* A disk of the pool, open by the tables of one mapped device. */
struct tess_pool_disk {
	struct tess_pool *pool;
	u32 id;
	struct list_head list;		/* in the pool's disks; pool mutex */
	unsigned int open_count;	/* tables holding it; pool mutex */
	struct mapped_device *owner;	/* their mapped device; pool mutex */
	/* Data device of the resumed table, flushed by commits; pool mutex. */
	struct block_device *data_bdev;
	/*
	 * Data device of the table suspended last, until the next resume:
	 * still open then (dm destroys the old table after the new one
	 * resumes), so that a reload onto another device flushes the one
	 * the drops were written to; pool mutex.
	 */
	struct block_device *last_bdev;
	/*
	 * tess_remap_drops() of @map when @data_bdev was last flushed: the
	 * tombstones counted by then have their data home; pool mutex.
	 */
	unsigned long flushed_drops;
	/* Removals written, their data device not flushed yet; pool mutex. */
	bool drops;
	/* The last commit left its changes out (no flush); pool mutex. */
	bool held;
	/*
	 * Orders every change of a remap's liveness or store block in @map
	 * (set, drop, undrop; load only before the disk is shared) with the
	 * store block reference each remap holds, so that readers take
	 * their own references on the blocks they read before a remap can
	 * go away.  tess_remap_collect() (cleans live entries, erases
	 * tombstones) and tess_remap_reserve()/_release() (empty slots
	 * only) change @map without it.  Interrupts off; taken inside the
	 * page-table lock by the hook, outside the xarray and allocator
	 * locks.
	 */
	spinlock_t lock;
	struct tess_remap map;
	atomic64_t remapped;		/* live remaps of @map */
	atomic64_t commits;		/* flushes of this disk that committed */

	/* Relocation (tess-relocate.h). */
	unsigned long last_io;		/* jiffies of its last bio; any */
	/* A relocation step or copy_home moves its blocks; outside @lock. */
	struct mutex move_mutex;
	bool moving;			/* pinned by relocation; pool mutex */
	bool no_move;			/* suspending: no new pin; pool mutex */
	u64 move_first, move_end;	/* blocks a step moves; @lock */
	u64 move_cursor;		/* next extent to look at; reloc lock */
};

struct tess_alloc;

/*
 * Drop the remap of @disk if it is live and maps @store (any store if
 * @any), and account for it: one remap less in @pd->remapped, and its
 * store block put in @a after the commit that drops it.  Returns true if
 * it dropped one; the caller then tells the pool (tess_pool_changed()).
 * The compare and the drop are one step of the map
 * (tess_remap_drop_if()); the caller holds @pd->lock (interrupts off) so
 * that the drop is ordered with the references readers take (@lock).
 * Any context, never sleeps.
 */
bool __tess_pool_disk_drop_remap(struct tess_pool_disk *pd,
				 struct tess_alloc *a, u64 disk, u64 store,
				 bool any);

/* The pool's name ("major:minor" of its metadata device); any context. */
const char *tess_pool_name(struct tess_pool *pool);
/* The pool's relocation; valid for the pool's life.  Any context. */
struct tess_reloc *tess_pool_reloc(struct tess_pool *pool);
/* The low-water mark in store blocks; any context. */
u64 tess_pool_low_water(struct tess_pool *pool);
/* Disks open, and their live remaps; process context (pool mutex). */
unsigned int tess_pool_nr_disks(struct tess_pool *pool);
u64 tess_pool_nr_remapped(struct tess_pool *pool);
/*
 * For relocation: pin the first disk at or after id *@id (then from id 0
 * if @wrap) whose table is resumed and not suspending, and return it
 * with its data device in *@data; NULL if there is none.  A pinned disk
 * is not suspended (postsuspend waits) nor freed until unpinned.
 * Process context; takes the pool mutex.
 */
struct tess_pool_disk *tess_pool_pin_disk(struct tess_pool *pool, u32 *id,
					  bool wrap,
					  struct block_device **data);
void tess_pool_unpin_disk(struct tess_pool_disk *pd);
/*
 * The disk's table is being suspended (presuspend) / was not after all
 * (presuspend_undo): no new relocation step from now on / again.
 * Process context.
 */
void tess_pool_disk_presuspend(struct tess_pool_disk *pd);
void tess_pool_disk_presuspend_undo(struct tess_pool_disk *pd);

/* Register and unregister the target type; module init and exit. */
int tess_pool_register(void);
void tess_pool_unregister(void);

/*
 * The pool whose table is on mapped device @md, with a reference for a
 * disk table; NULL if @md is no pool.  Process context, may sleep.
 */
struct tess_pool *tess_pool_get_by_md(struct mapped_device *md);
/*
 * Drop that reference; commits first.  The last reference (pool tables
 * count too) frees the pool, unless its store holds swapped-out pages:
 * then the pool stays, open and bound to the swap backend but taking no
 * new page, until the last one is gone or a new pool table on its
 * metadata device adopts it.  Process context, may sleep.
 */
void tess_pool_put(struct tess_pool *pool);

/*
 * Open disk @id for a table on @owner.  Loads its remaps from the
 * metadata at the first open.  Returns the disk or an ERR_PTR: -ENODATA
 * (no such id), -EBUSY (open by another mapped device), -EIO (metadata),
 * -ENOMEM; *@error says it for ti->error.  Process context, may sleep.
 */
struct tess_pool_disk *tess_pool_open_disk(struct tess_pool *pool, u32 id,
					   struct mapped_device *owner,
					   char **error);
/*
 * Close it; the last close writes its dirty entries and commits first,
 * flushing @bdev (the closing table's data device, still open; NULL if it
 * has none) for its removals.  If @bdev cannot flush, the remaps dropped
 * since its last flush are brought back and committed as remaps (their
 * overwrites were never flushed).  If even that cannot be committed, the
 * pool goes read-only with needs_check.  Process context, may sleep.
 */
void tess_pool_close_disk(struct tess_pool_disk *pd, struct block_device *bdev);
/*
 * The disk's table resumed on data device @bdev / was suspended (its I/O
 * all done): the latter writes the disk's dirty entries and commits.  A
 * resume on another data device than the suspended table's first flushes
 * the old one if remaps were dropped since its last flush; if it cannot,
 * they are brought back as at close (their overwrites went to the old
 * device and were never flushed).  Process context, may sleep.
 */
void tess_pool_disk_resume(struct tess_pool_disk *pd, struct block_device *bdev);
void tess_pool_disk_suspend(struct tess_pool_disk *pd);

/* Why the pool cannot take a new remap now, as tess_pool_may_remap() says. */
enum tess_pool_refusal {
	TESS_POOL_OK,
	TESS_POOL_REFUSE_MODE,		/* not read-write */
	TESS_POOL_REFUSE_LOW_WATER,	/* free store blocks below low water */
};

/*
 * May a disk add a remap now?  Raises the pool's dm event once per
 * crossing of the low-water mark.  Any context.
 */
enum tess_pool_refusal tess_pool_may_remap(struct tess_pool *pool);
/* The pool's mode; any context. */
enum tess_pool_mode tess_pool_get_mode(struct tess_pool *pool);
/* The pool's store; valid for the pool's life.  Any context. */
struct tess_store *tess_pool_store(struct tess_pool *pool);
/*
 * Is @bdev the metadata or store device of any pool?  A disk's data
 * device must be neither.  Process context, may sleep.
 */
bool tess_pool_holds_bdev(struct block_device *bdev);

/*
 * A disk's map changed (an entry was marked dirty, under the disk's
 * lock): the next commit has work.  Any context.
 */
void tess_pool_changed(struct tess_pool *pool);

/*
 * An empty flush of disk @pd, already remapped to its data device: the
 * pool submits it after a commit that began after now, or ends it with
 * -EIO if that commit fails.  Returns DM_MAPIO_SUBMITTED, or
 * DM_MAPIO_REMAPPED when nothing needs committing (the caller submits).
 * Any context (map).
 */
int tess_pool_defer_flush(struct tess_pool_disk *pd, struct bio *bio);
/*
 * A FUA write of @pd completed: if changes are not yet committed, the
 * pool ends it (bio_endio() again) after a commit that began after now,
 * with -EIO if that fails, and this returns true: end_io returns
 * DM_ENDIO_INCOMPLETE.  Any context (end_io).  In a read-only pool with
 * changes that could not be committed, every FUA write fails, even one
 * that touched no remap: the open transaction was aborted, so the last
 * commit may still remap the blocks it wrote, and nothing per block says
 * which.
 */
bool tess_pool_defer_completion(struct tess_pool_disk *pd, struct bio *bio);

/*
 * Commit now (see above).  Returns 0, or -EIO when something could not
 * be made durable.  Process context, may sleep; takes the pool mutex.
 */
int tess_pool_commit(struct tess_pool *pool);

/*
 * For the swap backend: may the store take new swapped-out pages (the
 * pool has a table and serves swap)?  Any context.
 */
bool tess_pool_takes_swap(struct tess_pool *pool);
/*
 * The last swapped-out page of the bound pool's store is gone: an
 * orphaned pool (no table left) may go now.  Any context.
 */
void tess_pool_swap_drained(void);

/* Pools with a table; for sysfs.  Any context. */
extern atomic_t tess_nr_pools;

#endif /* DM_TESSERACT_POOL_H */
