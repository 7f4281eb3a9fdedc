// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: the "tesseract" device-mapper target.
 *
 * Table: <data_dev> [<#feature args> <feature arg>*]
 *
 * A VM disk mapped onto its data device.  Every bio goes to the data
 * device at the same offset; the target counts them so that the
 * reconciliation added on top can be observed and compared.
 */
#include <linux/bio.h>
#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "tess-args.h"
#include "tess-target.h"

atomic_t tess_nr_targets = ATOMIC_INIT(0);

/*
 * Counters are plain atomics updated in the map path; they are reported by
 * status and reset by the reset_counters message, both of which race
 * harmlessly with I/O (a reset may miss a bio in flight).
 */
struct tess_counters {
	atomic64_t reads;
	atomic64_t writes;
	atomic64_t flushes;
	atomic64_t discards;
	atomic64_t read_sectors;
	atomic64_t write_sectors;
};

struct tess_target {
	struct dm_target *ti;
	struct dm_dev *data_dev;
	struct tess_features features;
	struct tess_counters counters;
};

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
		ti->error = "Error opening data device";
		return r;
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
	struct tess_target *tt;
	int r;

	if (argc < 1) {
		ti->error = "Requires <data_dev> [<#feature args> <args>...]";
		return -EINVAL;
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

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->discards_supported = !tt->features.discard_passdown;
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

static int tess_map(struct dm_target *ti, struct bio *bio)
{
	struct tess_target *tt = ti->private;

	tess_account(&tt->counters, bio);

	if (bio_op(bio) == REQ_OP_DISCARD && !tt->features.discard_passdown) {
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}

	bio_set_dev(bio, tt->data_dev->bdev);
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = dm_target_offset(ti,
							  bio->bi_iter.bi_sector);
	return DM_MAPIO_REMAPPED;
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
		DMEMIT(",data_dev=%s,discard_passdown=%c;", tt->data_dev->name,
		       tt->features.discard_passdown ? 'y' : 'n');
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
		DMERR("%s: message \"%s\": %s", tess_name(ti),
		      argc ? argv[0] : "", error);
		return -EINVAL;
	}

	switch (msg) {
	case TESS_MSG_RESET_COUNTERS:
		tess_counters_reset(&tt->counters);
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

static struct target_type tess_target_type = {
	.name = "tesseract",
	.version = {0, 1, 0},
	.module = THIS_MODULE,
	.ctr = tess_ctr,
	.dtr = tess_dtr,
	.map = tess_map,
	.status = tess_status,
	.message = tess_message,
	.iterate_devices = tess_iterate_devices,
};

int tess_target_register(void)
{
	return dm_register_target(&tess_target_type);
}

void tess_target_unregister(void)
{
	dm_unregister_target(&tess_target_type);
}
