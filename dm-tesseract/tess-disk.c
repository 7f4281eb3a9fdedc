// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: the "tesseract" disk target.
 *
 * Table: <pool dev> <disk id> <data dev> [<#feature args> <feature arg>*]
 *
 * A VM disk of a pool (tess-pool.h), mapped onto its data device at the
 * same offset.  Guest writes of host-swapped pages become remaps onto the
 * pool's store (tess-reconcile.c); everything else goes to the data
 * device.  Until copy_home, the data device alone is not the disk: the
 * remapped blocks are in the store.  The target counts bios so that
 * reconciliation can be observed and compared.
 */
#include <linux/bio.h>
#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "tess-args.h"
#include "tess-disk.h"
#include "tess-metadata.h"
#include "tess-pool.h"
#include "tess-relocate.h"
#include "tess-store.h"

atomic_t tess_nr_targets = ATOMIC_INIT(0);

/* The mapped device as messages name it: "major:minor", as dm-clone does. */
static const char *tess_name(struct dm_target *ti)
{
	return dm_table_device_name(ti->table);
}

static void tess_counters_reset(struct tess_counters *c)
{
	atomic64_set(&c->reads, 0);
	atomic64_set(&c->writes, 0);
	atomic64_set(&c->flushes, 0);
	atomic64_set(&c->discards, 0);
	atomic64_set(&c->read_sectors, 0);
	atomic64_set(&c->write_sectors, 0);
}

/*
 * The pool through its mapped device, as thin_ctr() finds it: the device
 * must be a tesseract-pool table's.
 */
static int tess_disk_get_pool(struct tess_disk *td, const char *path)
{
	struct dm_target *ti = td->ti;
	struct mapped_device *pool_md;
	int r;

	/*
	 * The table's mode, as the data device's: dm_get_device() of one
	 * device in a second mode replaces the first dm_dev (and frees it),
	 * so a pool named as data device too would be put twice.
	 */
	r = dm_get_device(ti, path, dm_table_get_mode(ti->table),
			  &td->pool_dev);
	if (r) {
		DMERR("%s: cannot open pool device \"%.64s\": %d",
		      tess_name(ti), path, r);
		ti->error = "Error opening pool device";
		return r == -ENOMEM ? r : -EINVAL;
	}
	pool_md = dm_get_md(td->pool_dev->bdev->bd_dev);
	if (pool_md) {
		td->pool = tess_pool_get_by_md(pool_md);
		dm_put(pool_md);
	}
	if (!td->pool) {
		ti->error = "Pool device is not a tesseract-pool";
		dm_put_device(ti, td->pool_dev);
		return -EINVAL;
	}
	return 0;
}

static int tess_disk_get_data_dev(struct tess_disk *td, const char *path)
{
	struct dm_target *ti = td->ti;
	int r;

	r = dm_get_device(ti, path, dm_table_get_mode(ti->table),
			  &td->data_dev);
	if (r) {
		/*
		 * A device that is missing, not a block device, busy or the
		 * target's own is a bad argument: -EINVAL, as every other
		 * refusal; the reason from the block layer goes to the log.
		 */
		DMERR("%s: cannot open data device \"%.64s\": %d",
		      tess_name(ti), path, r);
		ti->error = "Error opening data device";
		return r == -ENOMEM ? r : -EINVAL;
	}
	if (tess_pool_holds_bdev(td->data_dev->bdev) ||
	    td->data_dev == td->pool_dev) {
		ti->error = "Data device is a pool's metadata or store device";
		dm_put_device(ti, td->data_dev);
		return -EINVAL;
	}
	if (ti->len > bdev_nr_sectors(td->data_dev->bdev)) {
		ti->error = "Data device is smaller than the target";
		dm_put_device(ti, td->data_dev);
		return -EINVAL;
	}
	return 0;
}

/* The disk id: decimal, 0..TESS_MD_MAX_DISK_ID, read as every number is. */
static int tess_disk_parse_id(struct tess_disk *td, const char *arg)
{
	u64 id;

	if (tess_read_u64(arg, TESS_MD_MAX_DISK_ID, &id)) {
		td->ti->error = "Invalid disk id";
		return -EINVAL;
	}
	td->id = id;
	return 0;
}

static int tess_disk_parse(struct tess_disk *td, unsigned int argc,
			   char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	struct dm_target *ti = td->ti;
	int r;

	if (argc < 3) {
		ti->error = "Requires <pool dev> <disk id> <data dev> [<#feature args> <args>...]";
		return -EINVAL;
	}
	r = tess_disk_parse_id(td, argv[1]);
	if (r)
		return r;
	dm_consume_args(&as, 3);
	r = tess_parse_features(&as, &td->features, &ti->error);
	if (!r && as.argc) {
		ti->error = "Unexpected arguments after the feature arguments";
		r = -EINVAL;
	}
	return r;
}

/* Open the disk in its pool; every refusal is a bad table: -EINVAL. */
static int tess_disk_open(struct tess_disk *td)
{
	struct dm_target *ti = td->ti;

	td->pd = tess_pool_open_disk(td->pool, td->id,
				     dm_table_get_md(ti->table), &ti->error);
	if (IS_ERR(td->pd)) {
		int r = PTR_ERR(td->pd);

		td->pd = NULL;
		return r == -ENOMEM ? r : -EINVAL;
	}
	return 0;
}

/*
 * A remap past the table's end could not be read, written over or copied
 * home: refuse a table shorter than the disk's last remap, at load and
 * again at resume (the old table may remap until it is suspended).
 */
static int tess_disk_check_len(struct tess_disk *td)
{
	u64 block = td->ti->len / TESS_SECTORS_PER_BLOCK, store;

	if (!tess_remap_next(&td->pd->map, &block, ULONG_MAX, &store))
		return 0;
	DMERR("%s: disk %u: block %llu is remapped, past the end",
	      tess_name(td->ti), td->id, block);
	return -EINVAL;
}

static int tess_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct tess_disk *td;
	int r;

	td = kzalloc(sizeof(*td), GFP_KERNEL);
	if (!td) {
		ti->error = "Cannot allocate target context";
		return -ENOMEM;
	}
	td->ti = ti;
	r = tess_disk_parse(td, argc, argv);
	if (r)
		goto bad;
	r = tess_disk_get_pool(td, argv[0]);
	if (r)
		goto bad;
	/* The id first: "in use" says more than the data device's "busy". */
	r = tess_disk_open(td);
	if (r)
		goto bad_open;
	r = tess_disk_check_len(td);
	if (r) {
		ti->error = "The disk has remaps past the table's end";
		goto bad_data;
	}
	r = tess_disk_get_data_dev(td, argv[2]);
	if (r)
		goto bad_data;
	r = tess_rc_init(&td->rc, ti, td->pool, td->pd, td->data_dev->bdev,
			 td->features.max_remapped, td->features.remap,
			 &ti->error);
	if (r)
		goto bad_rc;

	ti->num_flush_bios = 1;
	ti->flush_supported = true;
	ti->num_discard_bios = 1;
	ti->discards_supported = !td->features.discard_passdown;
	ti->per_io_data_size = sizeof(struct tess_io);
	ti->accounts_remapped_io = true;
	ti->private = td;
	atomic_inc(&tess_nr_targets);
	if (tess_verbose)
		DMINFO("%s: disk %u of pool %s on %s", tess_name(ti), td->id,
		       td->pool_dev->name, td->data_dev->name);
	return 0;

bad_rc:
	dm_put_device(ti, td->data_dev);
bad_data:
	tess_pool_close_disk(td->pd, NULL);
bad_open:
	tess_pool_put(td->pool);
	dm_put_device(ti, td->pool_dev);
bad:
	DMERR("%s: %s", tess_name(ti), ti->error);
	kfree(td);
	return r;
}

static void tess_dtr(struct dm_target *ti)
{
	struct tess_disk *td = ti->private;

	if (tess_verbose)
		DMINFO("%s: destroyed", tess_name(ti));
	tess_rc_exit(&td->rc);
	tess_pool_close_disk(td->pd, td->data_dev->bdev);
	tess_pool_put(td->pool);
	dm_put_device(ti, td->data_dev);
	dm_put_device(ti, td->pool_dev);
	atomic_dec(&tess_nr_targets);
	kfree(td);
}

static void tess_account(struct tess_counters *c, struct bio *bio)
{
	if (bio->bi_opf & REQ_PREFLUSH)
		atomic64_inc(&c->flushes);

	switch (bio_op(bio)) {
	case REQ_OP_READ:
		atomic64_inc(&c->reads);
		atomic64_add(bio_sectors(bio), &c->read_sectors);
		break;
	case REQ_OP_WRITE:
		if (!bio_sectors(bio))
			break;	/* an empty flush */
		atomic64_inc(&c->writes);
		atomic64_add(bio_sectors(bio), &c->write_sectors);
		break;
	case REQ_OP_DISCARD:
		atomic64_inc(&c->discards);
		break;
	default:
		break;
	}
}

int tess_disk_map_data(struct tess_disk *td, struct bio *bio)
{
	if (bio_op(bio) == REQ_OP_DISCARD && !td->features.discard_passdown) {
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}

	bio_set_dev(bio, td->data_dev->bdev);
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = dm_target_offset(td->ti,
							  bio->bi_iter.bi_sector);
	return DM_MAPIO_REMAPPED;
}

/* Map a write or discard, first or again (handed back by relocation). */
static int tess_map_write(struct tess_disk *td, struct bio *bio, bool again)
{
	enum tess_rc_verdict v;

	v = again ? tess_rc_map_write_again(&td->rc, bio) :
		    tess_rc_map_write(&td->rc, bio);
	switch (v) {
	case TESS_RC_TAKEN:
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	case TESS_RC_DEFER:
		tess_rc_queue(&td->rc, bio);
		return DM_MAPIO_SUBMITTED;
	case TESS_RC_KILL:
		DMERR_LIMIT("%s: write over remapped blocks in a read-only pool",
			    tess_name(td->ti));
		/* Not DM_MAPIO_KILL: end_io must run, to put the extent lock. */
		bio_io_error(bio);
		return DM_MAPIO_SUBMITTED;
	default:
		return tess_disk_map_data(td, bio);
	}
}

/* A write goes in one relocation extent: cut it at the next boundary. */
static void tess_cut_to_extent(struct dm_target *ti, struct bio *bio)
{
	sector_t off = dm_target_offset(ti, bio->bi_iter.bi_sector);
	sector_t left = TESS_RELOC_EXTENT_SECTORS -
			(off & (TESS_RELOC_EXTENT_SECTORS - 1));

	if (bio_sectors(bio) > left)
		dm_accept_partial_bio(bio, left);
}

/*
 * Take a write's shared lock on its extent.  False if it waits in the
 * cell for a relocation step (relocation hands it to tess_disk_redrive())
 * or was ended (REQ_NOWAIT and no cell without blocking); *@r is then
 * DM_MAPIO_SUBMITTED.
 */
static bool tess_lock_extent(struct tess_disk *td, struct bio *bio, int *r)
{
	struct tess_io *io = dm_per_bio_data(bio, sizeof(*io));
	sector_t off = dm_target_offset(td->ti, bio->bi_iter.bi_sector);

	if (tess_reloc_get_extent(tess_pool_reloc(td->pool), td->id, off, bio,
				  &io->cell))
		return true;
	if (IS_ERR(io->cell)) {
		io->cell = NULL;
		bio_wouldblock_error(bio);
	}
	*r = DM_MAPIO_SUBMITTED;
	return false;
}

void tess_disk_redrive(struct bio *bio)
{
	struct tess_io *io = dm_per_bio_data(bio, sizeof(*io));
	struct tess_disk *td = io->ti->private;
	int r;

	if (!tess_lock_extent(td, bio, &r))
		return;
	r = tess_map_write(td, bio, true);
	if (r == DM_MAPIO_REMAPPED)
		dm_submit_bio_remap(bio, NULL);
}

static int tess_map(struct dm_target *ti, struct bio *bio)
{
	struct tess_disk *td = ti->private;
	bool write = bio_op(bio) == REQ_OP_WRITE && bio_sectors(bio);
	int r;

	tess_rc_init_io(ti, bio);
	WRITE_ONCE(td->pd->last_io, jiffies);
	/* Count the bio as reconciliation cut it, once if it is requeued. */
	if (bio_op(bio) == REQ_OP_READ) {
		if (!tess_rc_map_read(&td->rc, bio, &r))
			r = tess_disk_map_data(td, bio);
		if (r != DM_MAPIO_REQUEUE)
			tess_account(&td->counters, bio);
		return r;
	}

	if (write)
		tess_cut_to_extent(ti, bio);
	tess_account(&td->counters, bio);
	/* A flush is the pool's commit, then the data device's flush. */
	if (op_is_flush(bio->bi_opf) && !bio_sectors(bio)) {
		tess_disk_map_data(td, bio);
		return tess_pool_defer_flush(td->pd, bio);
	}
	/* Writes wait for a relocation step moving their extent. */
	if (write && !tess_lock_extent(td, bio, &r))
		return r;
	return tess_map_write(td, bio, false);
}

static int tess_end_io(struct dm_target *ti, struct bio *bio,
		       blk_status_t *error)
{
	struct tess_disk *td = ti->private;
	struct tess_io *io = dm_per_bio_data(bio, sizeof(*io));

	if (io->waited)
		return DM_ENDIO_DONE;	/* the second time, after a commit */
	tess_rc_end_io(&td->rc, bio, *error);
	/* Its remaps are dropped: a relocation step may move the extent. */
	if (io->cell) {
		tess_reloc_put_extent(tess_pool_reloc(td->pool), io->cell);
		io->cell = NULL;
	}
	/* A FUA write is durable once what it changed is committed. */
	if (io->fua && !*error) {
		io->waited = true;
		if (tess_pool_defer_completion(td->pd, bio))
			return DM_ENDIO_INCOMPLETE;
	}
	return DM_ENDIO_DONE;
}

static int tess_preresume(struct dm_target *ti)
{
	return tess_disk_check_len(ti->private);
}

static void tess_resume(struct dm_target *ti)
{
	struct tess_disk *td = ti->private;

	tess_pool_disk_resume(td->pd, td->data_dev->bdev);
	tess_rc_start(&td->rc, td->features.reconcile);
}

static void tess_presuspend_undo(struct dm_target *ti)
{
	struct tess_disk *td = ti->private;

	tess_pool_disk_presuspend_undo(td->pd);
	tess_rc_start(&td->rc, td->features.reconcile);
}

static void tess_presuspend(struct dm_target *ti)
{
	struct tess_disk *td = ti->private;

	tess_pool_disk_presuspend(td->pd);
	tess_rc_unhook(&td->rc);
}

/*
 * Suspend no longer copies anything home: the remaps are the pool's.
 * - the worker finishes the writes it holds;
 * - the pool writes this disk's dirty entries and commits, and flushes
 *   this data device if dropped remaps wait for it.
 */
static void tess_postsuspend(struct dm_target *ti)
{
	struct tess_disk *td = ti->private;

	tess_rc_stop(&td->rc);
	tess_pool_disk_suspend(td->pd);
}

static void tess_status_info(struct tess_disk *td, char *result,
			     unsigned int maxlen)
{
	struct tess_counters *c = &td->counters;
	unsigned int sz = 0;

	DMEMIT("%lld %lld %lld %lld %lld %lld ",
	       atomic64_read(&c->reads), atomic64_read(&c->writes),
	       atomic64_read(&c->flushes), atomic64_read(&c->discards),
	       atomic64_read(&c->read_sectors),
	       atomic64_read(&c->write_sectors));
	sz = tess_rc_status(&td->rc, result, maxlen, sz);
	DMEMIT("%lld %lld ", atomic64_read(&td->pd->commits),
	       atomic64_read(&td->rc.counters.declined_moving));
	tess_emit_features(&td->features, result, maxlen, sz);
}

static void tess_status(struct dm_target *ti, status_type_t type,
			unsigned int status_flags, char *result,
			unsigned int maxlen)
{
	struct tess_disk *td = ti->private;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		tess_status_info(td, result, maxlen);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %u %s ", td->pool_dev->name, td->id,
		       td->data_dev->name);
		tess_emit_features(&td->features, result, maxlen, sz);
		break;
	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",pool_dev=%s,disk_id=%u,data_dev=%s,", td->pool_dev->name,
		       td->id, td->data_dev->name);
		DMEMIT("discard_passdown=%c,reconcile=%c,remap=%c;",
		       td->features.discard_passdown ? 'y' : 'n',
		       td->features.reconcile ? 'y' : 'n',
		       td->features.remap ? 'y' : 'n');
		break;
	}
}

static int tess_message(struct dm_target *ti, unsigned int argc, char **argv,
			char *result, unsigned int maxlen)
{
	struct tess_disk *td = ti->private;
	const char *error;
	enum tess_msg msg;
	u64 arg;
	int r = 0;

	if (tess_parse_message(argc, argv, false, &msg, &arg, &error)) {
		/* Bounded: printk cuts a line at 1 KiB, the reason last. */
		DMERR("%s: message \"%.64s\": %s", tess_name(ti),
		      argc ? argv[0] : "", error);
		return -EINVAL;
	}

	switch (msg) {
	case TESS_MSG_RESET_COUNTERS:
		tess_counters_reset(&td->counters);
		tess_rc_reset_counters(&td->rc);
		break;
	case TESS_MSG_COPY_HOME:
		r = tess_rc_copy_home(&td->rc);
		break;
	default:
		return -EINVAL;
	}
	if (!r && tess_verbose)
		DMINFO("%s: message %s", tess_name(ti), argv[0]);
	return r;
}

static int tess_iterate_devices(struct dm_target *ti,
				iterate_devices_callout_fn fn, void *data)
{
	struct tess_disk *td = ti->private;

	return fn(ti, td->data_dev, 0, ti->len, data);
}

/*
 * Redirected reads go to the store: the device must not accept I/O the
 * store cannot take.
 */
static void tess_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct tess_disk *td = ti->private;
	struct block_device *store = tess_pool_store(td->pool)->bdev;

	limits->logical_block_size = max(limits->logical_block_size,
					 bdev_logical_block_size(store));
	limits->dma_alignment = max(limits->dma_alignment,
				    bdev_dma_alignment(store));
}

static struct target_type tess_target_type = {
	.name = "tesseract",
	.version = {0, 3, 0},
	.module = THIS_MODULE,
	.ctr = tess_ctr,
	.dtr = tess_dtr,
	.map = tess_map,
	.end_io = tess_end_io,
	.presuspend = tess_presuspend,
	.presuspend_undo = tess_presuspend_undo,
	.postsuspend = tess_postsuspend,
	.preresume = tess_preresume,
	.resume = tess_resume,
	.status = tess_status,
	.message = tess_message,
	.iterate_devices = tess_iterate_devices,
	.io_hints = tess_io_hints,
};

int tess_disk_register(void)
{
	return dm_register_target(&tess_target_type);
}

void tess_disk_unregister(void)
{
	dm_unregister_target(&tess_target_type);
}
