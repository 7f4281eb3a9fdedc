// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: relocation of remapped blocks (see tess-relocate.h).
 */
#include <kunit/visibility.h>
#include <linux/dm-kcopyd.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "dm-bio-prison-v2.h"
#include "tess-alloc.h"
#include "tess-args.h"
#include "tess-disk.h"
#include "tess-metadata.h"
#include "tess-pool.h"
#include "tess-relocate.h"
#include "tess-store.h"

const char * const tess_reloc_mode_names[] = {
	[TESS_RELOC_OFF] = "off",
	[TESS_RELOC_HOME] = "home",
	[TESS_RELOC_REGROUP] = "regroup",
	[TESS_RELOC_AUTO] = "auto",
};

static const char * const tess_reloc_state_names[] = {
	[TESS_RELOC_IDLE] = "idle",
	[TESS_RELOC_STOPPED] = "stopped",
	[TESS_RELOC_WAITING] = "waiting",
	[TESS_RELOC_RUNNING] = "running",
};

struct tess_reloc_config tess_reloc_defaults = {
	.mode = TESS_RELOC_OFF,
	.idle_ms = 1000,
	.rate = 0,
	.batch = 256,
	.remapped = 256,
	.store_pct = 75,
};

/* How often a waiting worker looks again (a disk may turn idle). */
#define TESS_RELOC_POLL_MS	100
/* And one with nothing to move, or whose last copy failed. */
#define TESS_RELOC_IDLE_POLL_MS	1000
/* Extents a background step looks at for regroup candidates. */
#define TESS_RELOC_SCAN_EXTENTS	1024

int tess_reloc_parse_mode(const char *name)
{
	int i;

	for (i = 0; i < TESS_RELOC_NR_MODES; i++)
		if (name && !strcasecmp(name, tess_reloc_mode_names[i]))
			return i;
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(tess_reloc_parse_mode);

/*
 * Module parameters: the defaults of pool tables that do not set them.
 * A write is checked as a table's feature argument would be, once its
 * trailing white space (a write's newline) is stripped: a leading space
 * stays, and makes it wrong.  One too long for the buffer is refused
 * (-E2BIG, logged as such), not read truncated.
 */
#define TESS_RELOC_MODE_CHARS	15	/* longest mode write, newline included */
#define TESS_RELOC_NUM_CHARS	23	/* and number write */

VISIBLE_IF_KUNIT int tess_reloc_read_mode(const char *val)
{
	char buf[TESS_RELOC_MODE_CHARS + 1];

	if (strscpy(buf, val, sizeof(buf)) < 0)
		return -E2BIG;
	strim(buf);	/* its return value would skip a leading space too */
	return tess_reloc_parse_mode(buf);
}
EXPORT_SYMBOL_IF_KUNIT(tess_reloc_read_mode);

static int tess_reloc_mode_set(const char *val, const struct kernel_param *kp)
{
	int m = tess_reloc_read_mode(val);

	if (m == -E2BIG) {
		DMERR("%s: value too long (at most %d characters)", kp->name,
		      TESS_RELOC_MODE_CHARS);
		return -EINVAL;
	}
	if (m < 0) {
		DMERR("relocate: invalid mode, must be off, home, regroup or auto");
		return -EINVAL;
	}
	WRITE_ONCE(tess_reloc_defaults.mode, m);
	return 0;
}

static int tess_reloc_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n",
			  tess_reloc_mode_names[READ_ONCE(tess_reloc_defaults.mode)]);
}

static const struct kernel_param_ops tess_reloc_mode_ops = {
	.set = tess_reloc_mode_set,
	.get = tess_reloc_mode_get,
};

module_param_cb(relocate, &tess_reloc_mode_ops, NULL, 0644);
MODULE_PARM_DESC(relocate,
		 "Default relocation mode of a pool: off, home, regroup or auto (default off)");

/* An unsigned parameter in [@min, @max], read as a table's number is. */
VISIBLE_IF_KUNIT int tess_reloc_read(const char *val, u64 min, u64 max,
				     u64 *v)
{
	char buf[TESS_RELOC_NUM_CHARS + 1];

	if (strscpy(buf, val, sizeof(buf)) < 0)
		return -E2BIG;
	strim(buf);	/* as the mode's */
	if (tess_read_u64(buf, max, v) || *v < min)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tess_reloc_read);

/* A number parameter: its field of tess_reloc_defaults and its range. */
struct tess_reloc_param {
	unsigned int *field;
	unsigned int min, max;
	const char *what;
};

static int tess_reloc_uint_set(const char *val, const struct kernel_param *kp)
{
	const struct tess_reloc_param *p = kp->arg;
	int r;
	u64 v;

	r = tess_reloc_read(val, p->min, p->max, &v);
	if (r == -E2BIG) {
		DMERR("%s: value too long (at most %d characters)", kp->name,
		      TESS_RELOC_NUM_CHARS);
		return -EINVAL;
	}
	if (r) {
		DMERR("%s: invalid value, must be %s", kp->name, p->what);
		return -EINVAL;
	}
	WRITE_ONCE(*p->field, v);
	return 0;
}

static int tess_reloc_uint_get(char *buf, const struct kernel_param *kp)
{
	const struct tess_reloc_param *p = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(*p->field));
}

static const struct kernel_param_ops tess_reloc_uint_ops = {
	.set = tess_reloc_uint_set,
	.get = tess_reloc_uint_get,
};

static struct tess_reloc_param tess_reloc_idle_param = {
	&tess_reloc_defaults.idle_ms, 0, TESS_RELOC_MAX_IDLE_MS,
	"0..3600000 (ms)",
};
module_param_cb(relocate_idle_ms, &tess_reloc_uint_ops,
		&tess_reloc_idle_param, 0644);
MODULE_PARM_DESC(relocate_idle_ms,
		 "Default ms with no guest I/O on a disk before home moves (1000; 0: no wait)");

static struct tess_reloc_param tess_reloc_rate_param = {
	&tess_reloc_defaults.rate, 0, TESS_RELOC_MAX_RATE, "0..100000 (MiB/s)",
};
module_param_cb(relocate_rate, &tess_reloc_uint_ops, &tess_reloc_rate_param,
		0644);
MODULE_PARM_DESC(relocate_rate,
		 "Default bound on relocation copies in MiB/s (0: unlimited, the default)");

static struct tess_reloc_param tess_reloc_batch_param = {
	&tess_reloc_defaults.batch, 1, TESS_RELOC_MAX_BATCH,
	"1..1024 (blocks)",
};
module_param_cb(relocate_batch, &tess_reloc_uint_ops, &tess_reloc_batch_param,
		0644);
MODULE_PARM_DESC(relocate_batch,
		 "Default 4 KiB blocks a relocation step covers (256)");

static struct tess_reloc_param tess_reloc_remapped_param = {
	&tess_reloc_defaults.remapped, 0, U32_MAX, "0..4294967295 (blocks)",
};
module_param_cb(relocate_remapped, &tess_reloc_uint_ops,
		&tess_reloc_remapped_param, 0644);
MODULE_PARM_DESC(relocate_remapped,
		 "Default remaps of a disk that start relocation (256)");

static struct tess_reloc_param tess_reloc_store_param = {
	&tess_reloc_defaults.store_pct, 0, 100, "0..100 (percent)",
};
module_param_cb(relocate_store, &tess_reloc_uint_ops, &tess_reloc_store_param,
		0644);
MODULE_PARM_DESC(relocate_store,
		 "Default store use (percent) that starts relocation and sends auto home (75; 0: never)");

/* Lock levels: writes take the shared lock at this level, a step holds it. */
#define TESS_RELOC_LOCK_WRITE	0

/* A cell a step locked, and the work its quiescing ends with. */
struct tess_reloc_cell {
	struct dm_bio_prison_cell_v2 *cell;
	struct work_struct quiesced;
	struct tess_reloc_step *step;
};

/*
 * One step: the extents [@first_ext, @first_ext + @nr_ext) of disk @pd,
 * the remaps found there (disk block @disk[i] -> store block @from[i],
 * each with a reference of the step's own), and for regroup the new
 * store blocks @to[i].  One per pool, used under the relocation's lock.
 */
struct tess_reloc_step {
	struct tess_reloc *rl;
	struct tess_pool_disk *pd;
	struct block_device *data;
	enum tess_reloc_kind kind;
	u64 first_ext;
	unsigned int nr_ext;
	unsigned int nr_locked;
	struct tess_reloc_cell cells[TESS_RELOC_MAX_EXTENTS];
	atomic_t pending;	/* quiesces or copies in flight, plus one */
	struct completion done;
	int error;
	unsigned int nr;
	u64 disk[TESS_RELOC_MAX_BATCH];
	u64 from[TESS_RELOC_MAX_BATCH];
	u64 to[TESS_RELOC_MAX_BATCH];
};

static struct tess_alloc *tess_reloc_alloc(struct tess_reloc *rl)
{
	return &tess_pool_store(rl->pool)->alloc;
}

static void tess_step_start(struct tess_reloc_step *s)
{
	atomic_set(&s->pending, 1);
	reinit_completion(&s->done);
}

static void tess_step_put(struct tess_reloc_step *s)
{
	if (atomic_dec_and_test(&s->pending))
		complete(&s->done);
}

/* Wait for what the step started since tess_step_start(). */
static void tess_step_wait(struct tess_reloc_step *s)
{
	tess_step_put(s);
	wait_for_completion(&s->done);
}

/* The prison's continuation: a cell has no write in flight any more. */
static void tess_reloc_quiesced(struct work_struct *work)
{
	struct tess_reloc_cell *c = container_of(work, struct tess_reloc_cell,
						 quiesced);

	tess_step_put(c->step);
}

/*
 * Lock the step's extents at the write level: new writes wait in the
 * cells; then wait for the writes in flight to end.  Returns 0, or
 * -EBUSY if an extent is locked already (by nobody but a step: a bug).
 */
static int tess_reloc_lock(struct tess_reloc_step *s)
{
	struct dm_bio_prison_v2 *prison = s->rl->prison;
	struct dm_cell_key_v2 key = { .virtual = 0, .dev = s->pd->id };
	struct dm_bio_prison_cell_v2 *prealloc, *cell;
	int r = 0;

	tess_step_start(s);
	for (s->nr_locked = 0; s->nr_locked < s->nr_ext; s->nr_locked++) {
		key.block_begin = s->first_ext + s->nr_locked;
		key.block_end = key.block_begin + 1;
		prealloc = dm_bio_prison_alloc_cell_v2(prison, GFP_NOIO);
		cell = NULL;
		r = dm_cell_lock_v2(prison, &key, TESS_RELOC_LOCK_WRITE,
				    prealloc, &cell);
		if (cell != prealloc)
			dm_bio_prison_free_cell_v2(prison, prealloc);
		if (WARN_ON_ONCE(r < 0))
			break;
		s->cells[s->nr_locked].cell = cell;
		if (r) {
			atomic_inc(&s->pending);
			dm_cell_quiesce_v2(prison, cell,
					   &s->cells[s->nr_locked].quiesced);
		}
	}
	tess_step_wait(s);
	return r < 0 ? r : 0;
}

/* Unlock the step's cells and send the writes that waited on their way. */
static void tess_reloc_unlock(struct tess_reloc_step *s)
{
	struct dm_bio_prison_v2 *prison = s->rl->prison;
	struct bio_list bios = BIO_EMPTY_LIST;
	struct bio *bio;
	unsigned int i;

	for (i = 0; i < s->nr_locked; i++)
		if (dm_cell_unlock_v2(prison, s->cells[i].cell, &bios))
			dm_bio_prison_free_cell_v2(prison, s->cells[i].cell);
	s->nr_locked = 0;
	while ((bio = bio_list_pop(&bios)))
		tess_disk_redrive(bio);
}

static void tess_reloc_mark(struct tess_pool_disk *pd, u64 first, u64 end)
{
	unsigned long flags;

	spin_lock_irqsave(&pd->lock, flags);
	pd->move_first = first;
	pd->move_end = end;
	spin_unlock_irqrestore(&pd->lock, flags);
}

bool tess_reloc_moving(struct tess_pool_disk *pd, u64 block)
{
	lockdep_assert_held(&pd->lock);
	return block >= pd->move_first && block < pd->move_end;
}

/*
 * Mark the step's blocks moving (the hook declines them from now on) and
 * collect their remaps, each with a reference of the step's own.
 */
static void tess_reloc_collect(struct tess_reloc_step *s)
{
	struct tess_pool_disk *pd = s->pd;
	struct tess_alloc *a = tess_reloc_alloc(s->rl);
	u64 disk = s->first_ext * TESS_RELOC_EXTENT_BLOCKS, store;
	u64 end = disk + (u64)s->nr_ext * TESS_RELOC_EXTENT_BLOCKS;
	unsigned long flags;

	s->nr = 0;
	spin_lock_irqsave(&pd->lock, flags);
	pd->move_first = disk;
	pd->move_end = end;
	while (disk < end && s->nr < TESS_RELOC_MAX_BATCH &&
	       tess_remap_next(&pd->map, &disk, end - 1, &store)) {
		if (!tess_alloc_ref(a, store)) {
			s->disk[s->nr] = disk;
			s->from[s->nr++] = store;
		}
		disk++;
	}
	spin_unlock_irqrestore(&pd->lock, flags);
}

/* Are the collected remaps' store blocks consecutive already? */
static bool tess_reloc_in_order(const struct tess_reloc_step *s)
{
	unsigned int i;

	for (i = 1; i < s->nr; i++)
		if (s->from[i] != s->from[i - 1] + 1)
			return false;
	return true;
}

/* Regroup: new store blocks for the collected remaps, above low water. */
static int tess_reloc_alloc_to(struct tess_reloc_step *s)
{
	struct tess_alloc *a = tess_reloc_alloc(s->rl);
	unsigned int got, i;

	if (tess_alloc_nr_free(a) < tess_pool_low_water(s->rl->pool) + s->nr)
		return -ENOSPC;
	got = tess_alloc_get(a, s->nr, s->to);
	/*
	 * The log head's next free blocks need not be consecutive: then the
	 * regrouped run would be out of order again, and moved again.
	 */
	if (got == s->nr && s->to[got - 1] - s->to[0] == got - 1)
		return 0;
	for (i = 0; i < got; i++)
		tess_alloc_put(a, s->to[i]);
	return -ENOSPC;
}

static void tess_reloc_copied(int read_err, unsigned long write_err,
			      void *ctx)
{
	struct tess_reloc_step *s = ctx;

	if (read_err || write_err)
		WRITE_ONCE(s->error, -EIO);
	tess_step_put(s);
}

/* Where entry @i goes: its home block's sector, or its new store block's. */
static sector_t tess_reloc_dst(const struct tess_reloc_step *s, unsigned int i)
{
	if (s->kind == TESS_MOVE_HOME)
		return s->disk[i] * TESS_SECTORS_PER_BLOCK;
	return tess_store_sector(s->to[i]);
}

/* Copy the collected blocks, one kcopyd job per run consecutive in both. */
static int tess_reloc_copy(struct tess_reloc_step *s)
{
	struct block_device *store = tess_pool_store(s->rl->pool)->bdev;
	struct dm_io_region src = { .bdev = store };
	struct dm_io_region dst = {
		.bdev = s->kind == TESS_MOVE_HOME ? s->data : store,
	};
	unsigned int i, j;

	s->error = 0;
	tess_step_start(s);
	for (i = 0; i < s->nr; i = j) {
		for (j = i + 1; j < s->nr; j++)
			if (s->from[j] != s->from[j - 1] + 1 ||
			    tess_reloc_dst(s, j) !=
			    tess_reloc_dst(s, j - 1) + TESS_SECTORS_PER_BLOCK)
				break;
		src.sector = tess_store_sector(s->from[i]);
		dst.sector = tess_reloc_dst(s, i);
		src.count = (j - i) * TESS_SECTORS_PER_BLOCK;
		dst.count = src.count;
		atomic_inc(&s->pending);
		dm_kcopyd_copy(s->rl->kc, &src, 1, &dst, 0, tess_reloc_copied,
			       s);
	}
	tess_step_wait(s);
	return READ_ONCE(s->error);
}

VISIBLE_IF_KUNIT unsigned int
__tess_reloc_apply_remaps(struct tess_pool_disk *pd, struct tess_alloc *a,
			  enum tess_reloc_kind kind, unsigned int nr,
			  const u64 *disk, const u64 *from, const u64 *to)
{
	unsigned int i, n = 0;
	bool had;
	u64 cur;

	lockdep_assert_held(&pd->lock);
	lockdep_assert_irqs_disabled();
	/* No other kind copies: not to be taken for a regroup and its @to. */
	if (WARN_ON_ONCE(kind != TESS_MOVE_HOME && kind != TESS_MOVE_REGROUP))
		return 0;
	for (i = 0; i < nr; i++) {
		/* Not @any: a guest write since the copy has the newer data. */
		if (kind == TESS_MOVE_HOME) {
			n += __tess_pool_disk_drop_remap(pd, a, disk[i],
							 from[i], false);
			continue;
		}
		if (!tess_remap_get(&pd->map, disk[i], &cur) ||
		    cur != from[i] ||
		    tess_remap_set(&pd->map, disk[i], to[i],
				   GFP_NOWAIT | __GFP_NOWARN, &cur, &had)) {
			tess_alloc_put(a, to[i]);
			continue;
		}
		/* The metadata names the old block until the switch commits. */
		tess_alloc_put_after_commit(a, cur);
		n++;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(__tess_reloc_apply_remaps);

/*
 * Apply the step's copies to its disk's map and end the moving mark.
 * Returns how many remaps it dropped or switched.
 */
static unsigned int tess_reloc_apply(struct tess_reloc_step *s)
{
	struct tess_pool_disk *pd = s->pd;
	unsigned long flags;
	unsigned int n;

	/* One hold of the disk's lock for the whole step. */
	spin_lock_irqsave(&pd->lock, flags);
	n = __tess_reloc_apply_remaps(pd, tess_reloc_alloc(s->rl), s->kind,
				      s->nr, s->disk, s->from, s->to);
	pd->move_first = 0;
	pd->move_end = 0;
	spin_unlock_irqrestore(&pd->lock, flags);
	if (n)
		tess_pool_changed(s->rl->pool);
	return n;
}

/* A step that copied nothing it keeps: free the new blocks, end the mark. */
static void tess_reloc_abandon(struct tess_reloc_step *s, bool allocated)
{
	unsigned int i;

	if (allocated)
		for (i = 0; i < s->nr; i++)
			tess_alloc_put(tess_reloc_alloc(s->rl), s->to[i]);
	tess_reloc_mark(s->pd, 0, 0);
}

static void tess_reloc_count(struct tess_reloc_step *s, unsigned int moved)
{
	struct tess_reloc *rl = s->rl;
	u64 bytes = (u64)s->nr << TESS_BLOCK_SHIFT;

	atomic64_add(bytes, &rl->bytes_read);
	atomic64_add(bytes, &rl->bytes_written);
	atomic64_add(moved, s->kind == TESS_MOVE_HOME ? &rl->home_blocks :
						       &rl->regrouped_blocks);
	if (moved)
		atomic64_add(s->nr_ext, &rl->extents);
}

/* Move what the step's extents hold once copied, after the copies. */
static int tess_reloc_move(struct tess_reloc_step *s)
{
	bool regroup = s->kind == TESS_MOVE_REGROUP;
	int r;

	tess_reloc_collect(s);
	if (!s->nr || (regroup && tess_reloc_in_order(s))) {
		tess_reloc_abandon(s, false);
		return 0;
	}
	r = regroup ? tess_reloc_alloc_to(s) : 0;
	if (r) {
		tess_reloc_abandon(s, false);
		return r;
	}
	r = tess_reloc_copy(s);
	/* A read-only pool could not commit what the step changed. */
	if (!r && tess_pool_get_mode(s->rl->pool) != TESS_POOL_RW) {
		tess_reloc_abandon(s, regroup);
		return -EIO;
	}
	if (r) {
		atomic64_inc(&s->rl->errors);
		DMERR_LIMIT("disk %u: relocation: copying from block %llu failed: the blocks stay",
			    s->pd->id, s->disk[0]);
		tess_reloc_abandon(s, regroup);
		return r;
	}
	tess_reloc_count(s, tess_reloc_apply(s));
	return s->nr;
}

/* Put the references tess_reloc_collect() took. */
static void tess_reloc_put_refs(struct tess_reloc_step *s)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++)
		tess_alloc_put(tess_reloc_alloc(s->rl), s->from[i]);
	s->nr = 0;
}

/*
 * One step over extents [@ext, @ext + nr_ext) of @pd, of @kind TESS_MOVE_HOME
 * or TESS_MOVE_REGROUP.  Returns the blocks copied (0: none there), -ENOSPC
 * (no room to regroup), -EIO, or -EINVAL for another kind (a bug: refused
 * before anything is copied).
 */
static int tess_reloc_step(struct tess_reloc *rl, struct tess_pool_disk *pd,
			   struct block_device *data,
			   enum tess_reloc_kind kind, u64 ext)
{
	struct tess_reloc_step *s = rl->step;
	int r;

	if (WARN_ON_ONCE(kind != TESS_MOVE_HOME && kind != TESS_MOVE_REGROUP))
		return -EINVAL;
	s->pd = pd;
	s->data = data;
	s->kind = kind;
	s->first_ext = ext;
	s->nr_ext = DIV_ROUND_UP(rl->config.batch, TESS_RELOC_EXTENT_BLOCKS);
	s->nr = 0;
	r = tess_reloc_lock(s);
	if (!r)
		r = tess_reloc_move(s);
	tess_reloc_put_refs(s);
	tess_reloc_unlock(s);
	return r;
}

/* Store blocks in use, in percent. */
static unsigned int tess_reloc_store_used(struct tess_reloc *rl)
{
	struct tess_alloc *a = tess_reloc_alloc(rl);
	u64 nr = tess_alloc_nr_blocks(a);

	return nr ? div64_u64((nr - tess_alloc_nr_free(a)) * 100, nr) : 0;
}

static bool tess_reloc_idle(struct tess_pool_disk *pd, unsigned int idle_ms)
{
	return !idle_ms || time_after_eq(jiffies, READ_ONCE(pd->last_io) +
					 msecs_to_jiffies(idle_ms));
}

/* The policy: what a background step does on @pd now. */
static enum tess_reloc_kind tess_reloc_choose(struct tess_reloc *rl,
					      struct tess_pool_disk *pd)
{
	const struct tess_reloc_config *c = &rl->config;
	u64 remapped = atomic64_read(&pd->remapped);
	bool full = c->store_pct && tess_reloc_store_used(rl) >= c->store_pct;
	bool idle = tess_reloc_idle(pd, c->idle_ms);

	if (!remapped || (remapped < c->remapped && !full))
		return TESS_MOVE_NONE;
	switch (c->mode) {
	case TESS_RELOC_HOME:
		return idle ? TESS_MOVE_HOME : TESS_MOVE_WAIT;
	case TESS_RELOC_REGROUP:
		return TESS_MOVE_REGROUP;
	case TESS_RELOC_AUTO:
		return idle || full ? TESS_MOVE_HOME : TESS_MOVE_REGROUP;
	default:
		return TESS_MOVE_NONE;
	}
}

VISIBLE_IF_KUNIT bool tess_reloc_scattered(struct tess_pool_disk *pd,
					   u64 ext, unsigned int nr)
{
	u64 disk = ext * TESS_RELOC_EXTENT_BLOCKS, store, prev = 0;
	u64 end = disk + (u64)nr * TESS_RELOC_EXTENT_BLOCKS;
	bool first = true;

	while (disk < end && tess_remap_next(&pd->map, &disk, end - 1, &store)) {
		if (!first && store != prev + 1)
			return true;
		first = false;
		prev = store;
		disk++;
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(tess_reloc_scattered);

VISIBLE_IF_KUNIT enum tess_reloc_found tess_reloc_find(struct tess_pool_disk *pd,
						       enum tess_reloc_kind kind,
						       unsigned int nr_ext, u64 *ext,
						       unsigned int budget)
{
	u64 disk = *ext * TESS_RELOC_EXTENT_BLOCKS, store, e;

	while (budget--) {
		if (!tess_remap_next(&pd->map, &disk, U64_MAX, &store))
			return TESS_FOUND_NONE;
		e = div_u64(disk, TESS_RELOC_EXTENT_BLOCKS);
		*ext = e;
		if (kind == TESS_MOVE_HOME ||
		    tess_reloc_scattered(pd, e, nr_ext))
			return TESS_FOUND;
		*ext = e + nr_ext;
		disk = *ext * TESS_RELOC_EXTENT_BLOCKS;
	}
	return TESS_FOUND_LATER;
}
EXPORT_SYMBOL_IF_KUNIT(tess_reloc_find);

static unsigned int tess_reloc_nr_ext(struct tess_reloc *rl)
{
	return DIV_ROUND_UP(rl->config.batch, TESS_RELOC_EXTENT_BLOCKS);
}

/*
 * A background step on pinned disk @pd: returns blocks copied, 0 if
 * nothing was to move, -EAGAIN if home moves wait for the disk to be
 * idle, or an error.
 */
static int tess_reloc_disk(struct tess_reloc *rl, struct tess_pool_disk *pd,
			   struct block_device *data)
{
	enum tess_reloc_kind kind = tess_reloc_choose(rl, pd);
	enum tess_reloc_found f;
	u64 ext = pd->move_cursor;
	int r;

	if (kind == TESS_MOVE_NONE)
		return 0;
	if (kind == TESS_MOVE_WAIT)
		return -EAGAIN;
	f = tess_reloc_find(pd, kind, tess_reloc_nr_ext(rl), &ext,
			    TESS_RELOC_SCAN_EXTENTS);
	if (f == TESS_FOUND_NONE && pd->move_cursor) {
		/* The end of the disk: once more from its start. */
		ext = 0;
		f = tess_reloc_find(pd, kind, tess_reloc_nr_ext(rl), &ext,
				    TESS_RELOC_SCAN_EXTENTS);
	}
	pd->move_cursor = f == TESS_FOUND_NONE ? 0 : ext;
	if (f != TESS_FOUND)
		return 0;
	r = tess_reloc_step(rl, pd, data, kind, ext);
	pd->move_cursor = ext + tess_reloc_nr_ext(rl);
	return r;
}

VISIBLE_IF_KUNIT unsigned long tess_reloc_delay(unsigned int rate,
						unsigned int blocks)
{
	u64 bytes = (u64)blocks << TESS_BLOCK_SHIFT;

	if (!rate)
		return 0;
	return div64_u64(bytes * HZ + ((u64)rate << 20) - 1, (u64)rate << 20);
}
EXPORT_SYMBOL_IF_KUNIT(tess_reloc_delay);

/*
 * One tick of the worker: a step on the next disk, round robin, that has
 * something to move.  Returns the jiffies until the next tick, or
 * MAX_JIFFY_OFFSET to stop.
 */
static unsigned long tess_reloc_tick(struct tess_reloc *rl)
{
	unsigned int tries = tess_pool_nr_disks(rl->pool);
	struct block_device *data;
	struct tess_pool_disk *pd;
	bool waiting = false, failed = false;
	int r;

	if (!rl->live || rl->config.mode == TESS_RELOC_OFF) {
		rl->state = TESS_RELOC_IDLE;
		return MAX_JIFFY_OFFSET;
	}
	if (rl->stopped) {
		rl->state = TESS_RELOC_STOPPED;
		return MAX_JIFFY_OFFSET;
	}
	while (tries-- && tess_pool_get_mode(rl->pool) == TESS_POOL_RW) {
		pd = tess_pool_pin_disk(rl->pool, &rl->next_disk, true, &data);
		if (!pd)
			break;
		rl->next_disk = pd->id + 1;
		/* copy_home has it: wait for the next tick. */
		r = -EAGAIN;
		if (mutex_trylock(&pd->move_mutex)) {
			r = tess_reloc_disk(rl, pd, data);
			mutex_unlock(&pd->move_mutex);
		}
		tess_pool_unpin_disk(pd);
		if (r > 0) {
			rl->state = TESS_RELOC_RUNNING;
			return tess_reloc_delay(rl->config.rate, r);
		}
		waiting |= r == -EAGAIN || r == -ENOSPC;
		failed |= r == -EIO;
	}
	rl->state = waiting ? TESS_RELOC_WAITING : TESS_RELOC_IDLE;
	/* Idle disks, or a failing copy: look again less often. */
	if (failed || !waiting)
		return msecs_to_jiffies(TESS_RELOC_IDLE_POLL_MS);
	return msecs_to_jiffies(TESS_RELOC_POLL_MS);
}

static void tess_reloc_work(struct work_struct *work)
{
	struct tess_reloc *rl = container_of(to_delayed_work(work),
					     struct tess_reloc, work);
	unsigned long delay;

	mutex_lock(&rl->lock);
	delay = tess_reloc_tick(rl);
	mutex_unlock(&rl->lock);
	if (delay != MAX_JIFFY_OFFSET)
		queue_delayed_work(rl->wq, &rl->work, delay);
}

static void tess_reloc_kick(struct tess_reloc *rl)
{
	mod_delayed_work(rl->wq, &rl->work, 0);
}

/* "relocate now" on pinned disk @pd: every candidate, in one sweep. */
static int tess_reloc_sweep(struct tess_reloc *rl, struct tess_pool_disk *pd,
			    struct block_device *data,
			    enum tess_reloc_kind kind)
{
	u64 ext = 0;
	int r;

	while (tess_reloc_find(pd, kind, tess_reloc_nr_ext(rl), &ext,
			       UINT_MAX) == TESS_FOUND) {
		/* Its table is being suspended: it waits for this sweep. */
		if (READ_ONCE(pd->no_move))
			return 0;
		r = tess_reloc_step(rl, pd, data, kind, ext);
		if (r == -ENOSPC)
			return 0;	/* nothing left to regroup into */
		if (r < 0)
			return r;
		ext += tess_reloc_nr_ext(rl);
		cond_resched();
	}
	return 0;
}

int tess_reloc_now(struct tess_reloc *rl)
{
	enum tess_reloc_kind kind = TESS_MOVE_HOME;
	struct block_device *data;
	struct tess_pool_disk *pd;
	u32 id = 0;
	int r = 0;

	mutex_lock(&rl->lock);
	if (rl->config.mode == TESS_RELOC_OFF || !rl->live) {
		mutex_unlock(&rl->lock);
		DMERR("pool %s: relocate now: relocation is %s",
		      tess_pool_name(rl->pool),
		      rl->live ? "off" : "suspended with the pool");
		return -EINVAL;
	}
	if (rl->config.mode == TESS_RELOC_REGROUP)
		kind = TESS_MOVE_REGROUP;
	while (!r && (pd = tess_pool_pin_disk(rl->pool, &id, false, &data))) {
		id = pd->id + 1;
		mutex_lock(&pd->move_mutex);
		r = tess_reloc_sweep(rl, pd, data, kind);
		mutex_unlock(&pd->move_mutex);
		tess_pool_unpin_disk(pd);
		if (id > TESS_MD_MAX_DISK_ID)
			break;
	}
	mutex_unlock(&rl->lock);
	return r ?: tess_pool_commit(rl->pool);
}

void tess_reloc_resume(struct tess_reloc *rl,
		       const struct tess_reloc_config *config)
{
	mutex_lock(&rl->lock);
	rl->config = *config;
	rl->live = true;
	mutex_unlock(&rl->lock);
	tess_reloc_kick(rl);
}

void tess_reloc_suspend(struct tess_reloc *rl)
{
	mutex_lock(&rl->lock);
	rl->live = false;
	mutex_unlock(&rl->lock);
	cancel_delayed_work_sync(&rl->work);
}

void tess_reloc_set(struct tess_reloc *rl,
		    const struct tess_reloc_config *config)
{
	mutex_lock(&rl->lock);
	rl->config = *config;
	mutex_unlock(&rl->lock);
	tess_reloc_kick(rl);
}

void tess_reloc_start(struct tess_reloc *rl)
{
	mutex_lock(&rl->lock);
	rl->stopped = false;
	mutex_unlock(&rl->lock);
	tess_reloc_kick(rl);
}

void tess_reloc_stop(struct tess_reloc *rl)
{
	mutex_lock(&rl->lock);
	rl->stopped = true;
	rl->state = TESS_RELOC_STOPPED;
	mutex_unlock(&rl->lock);
	cancel_delayed_work_sync(&rl->work);
}

/*
 * Fields: mode, state, extents moved, blocks moved home, blocks
 * regrouped, bytes read and written by relocation, copy errors, blocks
 * still remapped on the pool's disks.
 */
unsigned int tess_reloc_status(struct tess_reloc *rl, char *result,
			       unsigned int maxlen, unsigned int sz)
{
	DMEMIT("%s %s %lld %lld %lld %lld %lld %lld %llu ",
	       tess_reloc_mode_names[READ_ONCE(rl->config.mode)],
	       tess_reloc_state_names[READ_ONCE(rl->state)],
	       atomic64_read(&rl->extents), atomic64_read(&rl->home_blocks),
	       atomic64_read(&rl->regrouped_blocks),
	       atomic64_read(&rl->bytes_read),
	       atomic64_read(&rl->bytes_written),
	       atomic64_read(&rl->errors), tess_pool_nr_remapped(rl->pool));
	return sz;
}

bool tess_reloc_get_extent(struct tess_reloc *rl, u32 id, sector_t sector,
			   struct bio *bio, struct dm_bio_prison_cell_v2 **cell)
{
	u64 ext = div_u64(sector, TESS_RELOC_EXTENT_SECTORS);
	struct dm_cell_key_v2 key = {
		.virtual = 0, .dev = id, .block_begin = ext,
		.block_end = ext + 1,
	};
	struct dm_bio_prison_cell_v2 *prealloc;

	prealloc = dm_bio_prison_alloc_cell_v2(rl->prison, GFP_NOWAIT);
	if (!prealloc && (bio->bi_opf & REQ_NOWAIT)) {
		*cell = ERR_PTR(-EAGAIN);
		return false;
	}
	if (!prealloc)
		prealloc = dm_bio_prison_alloc_cell_v2(rl->prison, GFP_NOIO);
	if (!dm_cell_get_v2(rl->prison, &key, TESS_RELOC_LOCK_WRITE, bio,
			    prealloc, cell)) {
		dm_bio_prison_free_cell_v2(rl->prison, prealloc);
		*cell = NULL;
		return false;
	}
	if (*cell != prealloc)
		dm_bio_prison_free_cell_v2(rl->prison, prealloc);
	return true;
}

void tess_reloc_put_extent(struct tess_reloc *rl,
			   struct dm_bio_prison_cell_v2 *cell)
{
	if (dm_cell_put_v2(rl->prison, cell))
		dm_bio_prison_free_cell_v2(rl->prison, cell);
}

int tess_reloc_init(struct tess_reloc *rl, struct tess_pool *pool)
{
	unsigned int i;

	rl->pool = pool;
	mutex_init(&rl->lock);
	rl->config = tess_reloc_defaults;
	INIT_DELAYED_WORK(&rl->work, tess_reloc_work);
	rl->step = kvzalloc(sizeof(*rl->step), GFP_KERNEL);
	if (!rl->step)
		goto bad;
	rl->step->rl = rl;
	init_completion(&rl->step->done);
	for (i = 0; i < TESS_RELOC_MAX_EXTENTS; i++) {
		INIT_WORK(&rl->step->cells[i].quiesced, tess_reloc_quiesced);
		rl->step->cells[i].step = rl->step;
	}
	rl->wq = alloc_ordered_workqueue("tesseract-reloc-%s", WQ_MEM_RECLAIM,
					 tess_pool_name(pool));
	if (!rl->wq)
		goto bad;
	/* Not @wq: the step that waits for a continuation runs there. */
	rl->prison_wq = alloc_workqueue("tesseract-prison-%s", WQ_MEM_RECLAIM,
					0, tess_pool_name(pool));
	if (!rl->prison_wq)
		goto bad;
	rl->prison = dm_bio_prison_create_v2(rl->prison_wq);
	if (!rl->prison)
		goto bad;
	rl->kc = dm_kcopyd_client_create(NULL);
	if (IS_ERR(rl->kc)) {
		rl->kc = NULL;
		goto bad;
	}
	return 0;
bad:
	tess_reloc_exit(rl);
	return -ENOMEM;
}

void tess_reloc_exit(struct tess_reloc *rl)
{
	if (rl->wq) {
		tess_reloc_suspend(rl);
		destroy_workqueue(rl->wq);
		rl->wq = NULL;
	}
	if (rl->kc)
		dm_kcopyd_client_destroy(rl->kc);
	rl->kc = NULL;
	if (rl->prison)
		dm_bio_prison_destroy_v2(rl->prison);
	rl->prison = NULL;
	if (rl->prison_wq)
		destroy_workqueue(rl->prison_wq);
	rl->prison_wq = NULL;
	kvfree(rl->step);
	rl->step = NULL;
}
