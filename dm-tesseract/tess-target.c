// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: the "tesseract" device-mapper target.
 *
 * Table: <data_dev> [<#feature args> <feature arg>*]
 *
 * A VM disk mapped onto its data device at the same offset.  Guest writes
 * of host-swapped pages become remaps onto the store (tess-reconcile.c);
 * everything else goes to the data device.  The target counts bios so that
 * reconciliation can be observed and compared.
 */
#include <linux/bio.h>
#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "tess-store.h"
#include "tess-target.h"

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

static int tess_get_data_dev(struct tess_target *tt, const char *path)
{
	struct dm_target *ti = tt->ti;
	int r;

	r = dm_get_device(ti, path, dm_table_get_mode(ti->table),
			  &tt->data_dev);
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
	if (ti->len > bdev_nr_sectors(tt->data_dev->bdev)) {
		ti->error = "Data device is smaller than the target";
		dm_put_device(ti, tt->data_dev);
		return -EINVAL;
	}
	return 0;
}

static int tess_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	struct tess_target *tt = NULL;
	int r;

	if (argc < 1) {
		ti->error = "Requires <data_dev> [<#feature args> <args>...]";
		r = -EINVAL;
		goto bad;
	}

	tt = kzalloc(sizeof(*tt), GFP_KERNEL);
	if (!tt) {
		ti->error = "Cannot allocate target context";
		return -ENOMEM;
	}
	tt->ti = ti;

	dm_consume_args(&as, 1);
	r = tess_parse_features(&as, &tt->features, &ti->error);
	if (!r && as.argc) {
		ti->error = "Unexpected arguments after the feature arguments";
		r = -EINVAL;
	}
	if (r)
		goto bad;

	r = tess_get_data_dev(tt, argv[0]);
	if (r)
		goto bad;
	r = tess_rc_init(&tt->rc, ti, &ti->error);
	if (r) {
		dm_put_device(ti, tt->data_dev);
		goto bad;
	}

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->discards_supported = !tt->features.discard_passdown;
	ti->per_io_data_size = sizeof(struct tess_io);
	ti->accounts_remapped_io = true;
	ti->private = tt;
	atomic_inc(&tess_nr_targets);
	if (tess_verbose)
		DMINFO("%s: created on %s", tess_name(ti),
		       tt->data_dev->name);
	return 0;

bad:
	DMERR("%s: %s", tess_name(ti), ti->error);
	kfree(tt);
	return r;
}

static void tess_dtr(struct dm_target *ti)
{
	struct tess_target *tt = ti->private;

	if (tess_verbose)
		DMINFO("%s: destroyed", tess_name(ti));
	tess_rc_exit(&tt->rc);
	dm_put_device(ti, tt->data_dev);
	atomic_dec(&tess_nr_targets);
	kfree(tt);
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

int tess_map_data(struct tess_target *tt, struct bio *bio)
{
	if (bio_op(bio) == REQ_OP_DISCARD && !tt->features.discard_passdown) {
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}

	bio_set_dev(bio, tt->data_dev->bdev);
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = dm_target_offset(tt->ti,
							  bio->bi_iter.bi_sector);
	return DM_MAPIO_REMAPPED;
}

static int tess_map(struct dm_target *ti, struct bio *bio)
{
	struct tess_target *tt = ti->private;
	enum tess_rc_verdict v;
	int r;

	/* Count the bio as reconciliation cut it, once if it is requeued. */
	if (bio_op(bio) == REQ_OP_READ) {
		if (!tess_rc_map_read(&tt->rc, bio, &r))
			r = tess_map_data(tt, bio);
		if (r != DM_MAPIO_REQUEUE)
			tess_account(&tt->counters, bio);
		return r;
	}

	v = tess_rc_map_write(&tt->rc, bio);
	tess_account(&tt->counters, bio);
	switch (v) {
	case TESS_RC_TAKEN:
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	case TESS_RC_DEFER:
		tess_rc_queue(&tt->rc, bio);
		return DM_MAPIO_SUBMITTED;
	default:
		return tess_map_data(tt, bio);
	}
}

static int tess_end_io(struct dm_target *ti, struct bio *bio,
		       blk_status_t *error)
{
	struct tess_target *tt = ti->private;

	tess_rc_end_io(&tt->rc, bio, *error);
	return DM_ENDIO_DONE;
}

static void tess_resume(struct dm_target *ti)
{
	struct tess_target *tt = ti->private;

	tess_rc_start(&tt->rc, tt->features.reconcile);
}

static void tess_presuspend(struct dm_target *ti)
{
	struct tess_target *tt = ti->private;

	tess_rc_unhook(&tt->rc);
}

static void tess_postsuspend(struct dm_target *ti)
{
	struct tess_target *tt = ti->private;

	tess_rc_stop(&tt->rc);
}

static void tess_status_info(struct tess_target *tt, char *result,
			     unsigned int maxlen)
{
	struct tess_counters *c = &tt->counters;
	unsigned int sz = 0;

	DMEMIT("%lld %lld %lld %lld %lld %lld ",
	       atomic64_read(&c->reads), atomic64_read(&c->writes),
	       atomic64_read(&c->flushes), atomic64_read(&c->discards),
	       atomic64_read(&c->read_sectors),
	       atomic64_read(&c->write_sectors));
	sz = tess_rc_status(&tt->rc, result, maxlen, sz);
	tess_emit_features(&tt->features, result, maxlen, sz);
}

static void tess_status(struct dm_target *ti, status_type_t type,
			unsigned int status_flags, char *result,
			unsigned int maxlen)
{
	struct tess_target *tt = ti->private;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		tess_status_info(tt, result, maxlen);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s ", tt->data_dev->name);
		tess_emit_features(&tt->features, result, maxlen, sz);
		break;
	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",data_dev=%s,discard_passdown=%c,reconcile=%c;",
		       tt->data_dev->name,
		       tt->features.discard_passdown ? 'y' : 'n',
		       tt->features.reconcile ? 'y' : 'n');
		break;
	}
}

static int tess_message(struct dm_target *ti, unsigned int argc, char **argv,
			char *result, unsigned int maxlen)
{
	struct tess_target *tt = ti->private;
	const char *error;
	enum tess_msg msg;

	if (tess_parse_message(argc, argv, &msg, &error)) {
		/* Bounded: printk cuts a line at 1 KiB, the reason last. */
		DMERR("%s: message \"%.64s\": %s", tess_name(ti),
		      argc ? argv[0] : "", error);
		return -EINVAL;
	}

	switch (msg) {
	case TESS_MSG_RESET_COUNTERS:
		tess_counters_reset(&tt->counters);
		tess_rc_reset_counters(&tt->rc);
		break;
	}
	if (tess_verbose)
		DMINFO("%s: message %s", tess_name(ti),
		       argv[0]);
	return 0;
}

static int tess_iterate_devices(struct dm_target *ti,
				iterate_devices_callout_fn fn, void *data)
{
	struct tess_target *tt = ti->private;

	return fn(ti, tt->data_dev, 0, ti->len, data);
}

/*
 * Redirected reads go to the store: the device must not accept I/O the
 * store cannot take.
 */
static void tess_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct tess_target *tt = ti->private;
	struct block_device *store;

	if (!tt->rc.store || !tt->features.reconcile)
		return;
	store = tt->rc.store->bdev;
	limits->logical_block_size = max(limits->logical_block_size,
					 bdev_logical_block_size(store));
	limits->dma_alignment = max(limits->dma_alignment,
				    bdev_dma_alignment(store));
}

static struct target_type tess_target_type = {
	.name = "tesseract",
	.version = {0, 2, 0},
	.module = THIS_MODULE,
	.ctr = tess_ctr,
	.dtr = tess_dtr,
	.map = tess_map,
	.end_io = tess_end_io,
	.presuspend = tess_presuspend,
	.presuspend_undo = tess_resume,
	.postsuspend = tess_postsuspend,
	.resume = tess_resume,
	.status = tess_status,
	.message = tess_message,
	.iterate_devices = tess_iterate_devices,
	.io_hints = tess_io_hints,
};

int tess_target_register(void)
{
	return dm_register_target(&tess_target_type);
}

void tess_target_unregister(void)
{
	dm_unregister_target(&tess_target_type);
}
