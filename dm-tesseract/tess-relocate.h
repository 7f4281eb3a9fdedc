/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: relocation of remapped blocks, to restore locality.
 *
 * Reconciliation leaves guest data where host swap wrote it: a run of
 * guest-contiguous disk blocks lands in the store in swap order, so a
 * guest read of the run costs one store read per block.  The pool's
 * relocation worker moves it back:
 *
 * - home: copy the remapped blocks of a range of the disk to their home
 *   blocks on the data device (dm-kcopyd, one copy per run contiguous in
 *   both places), then drop their remaps.  The store blocks are released
 *   after the commit that drops them; that commit flushes the data device
 *   before it writes the removals (tess-pool.h).
 * - regroup: copy the store blocks of the remaps of a range, in disk
 *   order, into freshly allocated consecutive store blocks, then switch
 *   the remaps onto them.  The commit that records the switch flushes the
 *   store first; the old blocks are released after it.
 *
 * A step moves the remaps of whole extents (TESS_RELOC_EXTENT_BLOCKS disk
 * blocks, aligned) and holds each of them in the pool's bio prison
 * (dm-bio-prison-v2) for its duration: writes and discards of the disk
 * take a shared lock on their extent (tess_reloc_get_extent(), from the
 * disk's map), the step an exclusive one at the write level, so that new
 * writes wait in the cell, and waits for those in flight.  Discards take
 * no lock: one drops the remap, and the step then leaves the block alone
 * (its copy home may still land after the discard: a discarded block's
 * content is undefined).
 * Reads go on from the old place, which stays valid until the remap is
 * switched or dropped and, through the read's own references, after.
 * The hook and the write fallback decline a page whose block a step is
 * moving (tess_reloc_moving()).  Each switch or drop is made only if the
 * remap still names the block the step copied.
 *
 * Policy (struct tess_reloc_config): mode off, home, regroup or auto; a
 * disk is moved while it has at least @remapped remaps or the store is
 * @store_pct full; home moves wait until the disk has had no guest I/O
 * for @idle_ms; @rate bounds the copy bandwidth; @batch blocks per step.
 * auto moves home when the disk is idle or the store is @store_pct full,
 * and else regroups (it keeps the data device free while the guest uses
 * it, and makes reads of the remapped runs sequential in the store).
 * Regroup skips extents already consecutive in the store, and does not
 * allocate below the pool's low-water mark.
 *
 * Locking: @lock (a mutex) serialises steps, passes and the config;
 * a step takes a disk's move mutex (struct tess_pool_disk), then the
 * prison's cells, then the disk's spinlock.  copy_home takes the move
 * mutex too, before it queues its copy, so the two never move one disk
 * at once.  Counters are atomics, read anywhere.
 */
#ifndef DM_TESSERACT_RELOCATE_H
#define DM_TESSERACT_RELOCATE_H

#include <linux/atomic.h>
#include <linux/bio.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "tess-remap.h"

struct dm_bio_prison_v2;
struct dm_bio_prison_cell_v2;
struct dm_kcopyd_client;
struct tess_alloc;
struct tess_pool;
struct tess_pool_disk;
struct tess_reloc_step;

/* A step locks whole extents of this many disk blocks (256 KiB). */
#define TESS_RELOC_EXTENT_BLOCKS	64
#define TESS_RELOC_EXTENT_SECTORS \
	(TESS_RELOC_EXTENT_BLOCKS * TESS_SECTORS_PER_BLOCK)
/* At most this many extents per step. */
#define TESS_RELOC_MAX_EXTENTS		16
#define TESS_RELOC_MAX_BATCH \
	(TESS_RELOC_EXTENT_BLOCKS * TESS_RELOC_MAX_EXTENTS)

enum tess_reloc_mode {
	TESS_RELOC_OFF,
	TESS_RELOC_HOME,
	TESS_RELOC_REGROUP,
	TESS_RELOC_AUTO,
	TESS_RELOC_NR_MODES
};

/* What the worker does now; in status. */
enum tess_reloc_state {
	TESS_RELOC_IDLE,	/* mode off, or nothing over the thresholds */
	TESS_RELOC_STOPPED,	/* the "relocate stop" message */
	TESS_RELOC_WAITING,	/* candidates, but their disks are busy */
	TESS_RELOC_RUNNING,	/* moved blocks in its last step */
};

struct tess_reloc_config {
	enum tess_reloc_mode mode;
	unsigned int idle_ms;	/* home moves wait for this much idleness */
	unsigned int rate;	/* MiB/s of copies; 0: unlimited */
	unsigned int batch;	/* blocks per step, 1..TESS_RELOC_MAX_BATCH */
	unsigned int remapped;	/* start threshold, remaps of a disk */
	unsigned int store_pct;	/* start threshold, store blocks in use */
};

#define TESS_RELOC_MAX_IDLE_MS	3600000
#define TESS_RELOC_MAX_RATE	100000

/* Module-wide defaults for new pool tables (module parameters). */
extern struct tess_reloc_config tess_reloc_defaults;
extern const char * const tess_reloc_mode_names[];

/* Parse a mode name: its index, or -EINVAL.  Any context. */
int tess_reloc_parse_mode(const char *name);

/* A pool's relocation: its worker, counters, prison and copier. */
struct tess_reloc {
	struct tess_pool *pool;
	struct mutex lock;		/* steps, passes, @config, @stopped */
	struct tess_reloc_config config;	/* @lock; read anywhere */
	bool stopped;			/* @lock: "relocate stop" */
	bool live;			/* the pool table is resumed; @lock */
	enum tess_reloc_state state;	/* written under @lock */
	u32 next_disk;			/* round robin; @lock */
	struct dm_bio_prison_v2 *prison;
	struct dm_kcopyd_client *kc;
	struct tess_reloc_step *step;	/* the step's state; @lock */
	struct workqueue_struct *wq;	/* ordered: the worker */
	struct workqueue_struct *prison_wq;	/* the prison's continuations */
	struct delayed_work work;
	atomic64_t extents;		/* extents moved */
	atomic64_t home_blocks;		/* blocks copied home, remaps dropped */
	atomic64_t regrouped_blocks;	/* blocks moved within the store */
	atomic64_t bytes_read;
	atomic64_t bytes_written;
	atomic64_t errors;		/* steps a copy failed in */
};

/*
 * Set up and tear down a pool's relocation.  Process context, may sleep.
 * Init returns 0 or -ENOMEM.  Exit stops the worker first.
 */
int tess_reloc_init(struct tess_reloc *rl, struct tess_pool *pool);
void tess_reloc_exit(struct tess_reloc *rl);

/*
 * The pool table resumed with @config / was suspended: start or stop the
 * worker (a step in progress ends first).  Process context, may sleep.
 */
void tess_reloc_resume(struct tess_reloc *rl,
		       const struct tess_reloc_config *config);
void tess_reloc_suspend(struct tess_reloc *rl);

/* Change the config (messages); kicks the worker.  Process context. */
void tess_reloc_set(struct tess_reloc *rl,
		    const struct tess_reloc_config *config);
/* "relocate start" / "relocate stop"; stop waits for a step to end. */
void tess_reloc_start(struct tess_reloc *rl);
void tess_reloc_stop(struct tess_reloc *rl);
/*
 * "relocate now": move every disk's candidates in the current mode (home
 * if auto), ignoring thresholds, idleness and rate, then commit.  Returns
 * 0, -EINVAL if the mode is off, -EIO if a copy or the commit failed.
 * Process context, may sleep long.
 */
int tess_reloc_now(struct tess_reloc *rl);

/* Print the status fields (see the Documentation); as DMEMIT. */
unsigned int tess_reloc_status(struct tess_reloc *rl, char *result,
			       unsigned int maxlen, unsigned int sz);

/*
 * For the disk's map(): take a shared lock on the extent of write @bio,
 * at @sector of the target (the bio is cut to one extent), of disk @id.  Returns true with
 * *@cell set when granted (put it at end_io with tess_reloc_put_extent());
 * false when @bio waits in the cell for a step to end (the step hands it
 * back to tess_disk_redrive()), or when no cell could be allocated
 * without blocking for a REQ_NOWAIT bio (then *@cell is an ERR_PTR).
 * Map context: may sleep unless @bio is REQ_NOWAIT.
 */
bool tess_reloc_get_extent(struct tess_reloc *rl, u32 id, sector_t sector,
			   struct bio *bio, struct dm_bio_prison_cell_v2 **cell);
/* Drop that lock.  Any context. */
void tess_reloc_put_extent(struct tess_reloc *rl,
			   struct dm_bio_prison_cell_v2 *cell);

/*
 * Is disk block @block of @pd in a step now?  The disk's lock held (the
 * hook and the fallback, before they remap the block).
 */
bool tess_reloc_moving(struct tess_pool_disk *pd, u64 block);

/* Step planning, inside tess-relocate.c; visible for KUnit. */

/* What a step does on a disk. */
enum tess_reloc_kind {
	TESS_MOVE_NONE,		/* below the thresholds */
	TESS_MOVE_WAIT,		/* home moves wait for the disk to be idle */
	TESS_MOVE_HOME,
	TESS_MOVE_REGROUP,
};

enum tess_reloc_found { TESS_FOUND, TESS_FOUND_NONE, TESS_FOUND_LATER };

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * Are the store blocks of the remaps of extents [@ext, @ext + @nr) of
 * @pd, in disk order, not consecutive (so that a regroup is worth it)?
 * Any context: it only reads the map.
 */
bool tess_reloc_scattered(struct tess_pool_disk *pd, u64 ext, unsigned int nr);
/*
 * The first step of @nr_ext extents at or after extent *@ext with
 * something to move for @kind (home: any remap; regroup: scattered),
 * looking at up to @budget candidate starts; TESS_FOUND with *@ext set,
 * TESS_FOUND_NONE at the end of the disk, TESS_FOUND_LATER when the
 * budget ran out (*@ext: where to go on from).  Any context.
 */
enum tess_reloc_found tess_reloc_find(struct tess_pool_disk *pd,
				      enum tess_reloc_kind kind,
				      unsigned int nr_ext, u64 *ext,
				      unsigned int budget);
/*
 * A step's copies done: for each of the @nr remaps @disk[i] -> @from[i]
 * it copied, drop it (@kind TESS_MOVE_HOME; @to is not read and may be
 * NULL) or switch it to the new store block @to[i] (TESS_MOVE_REGROUP),
 * only if it still names @from[i]: a guest write since the copy remapped
 * the block anew, and that remap has the newer data.  Any other @kind is
 * a bug: it warns and applies nothing.  A dropped or replaced block is
 * put in @a after the commit that drops it; a new block not switched to
 * is put at once (no metadata names it).  Returns how many it dropped or
 * switched.  The caller holds @pd->lock (interrupts off), once for the
 * whole step; any context, never sleeps.
 */
unsigned int __tess_reloc_apply_remaps(struct tess_pool_disk *pd,
				       struct tess_alloc *a,
				       enum tess_reloc_kind kind,
				       unsigned int nr, const u64 *disk,
				       const u64 *from, const u64 *to);
/* Jiffies to wait after copying @blocks to keep to @rate MiB/s (0: none). */
unsigned long tess_reloc_delay(unsigned int rate, unsigned int blocks);
/*
 * A number module parameter's write @val: trailing white space (a sysfs
 * write's newline) stripped, then decimal digits only in [@min, @max].
 * Returns 0 with *@v set, -E2BIG for a write of more than 23 characters
 * (the caller logs that and returns -EINVAL), or -EINVAL.  Pure: any
 * context.
 */
int tess_reloc_read(const char *val, u64 min, u64 max, u64 *v);
/*
 * The mode module parameter's write @val, trailing white space stripped (a
 * leading one is refused, as by tess_reloc_read()): a mode
 * (tess_reloc_parse_mode()), -E2BIG for a write of more than 15
 * characters (the caller logs that and returns -EINVAL), or -EINVAL.
 * Pure: any context.
 */
int tess_reloc_read_mode(const char *val);
#endif

#endif /* DM_TESSERACT_RELOCATE_H */
