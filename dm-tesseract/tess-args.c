// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: parsing of table feature arguments and messages.
 */
#include <kunit/visibility.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "tess-args.h"
#include "tess-metadata.h"

void tess_features_init(struct tess_features *f)
{
	f->discard_passdown = true;
	f->reconcile = true;
	f->max_remapped = 0;
	f->max_remapped_set = false;
}
EXPORT_SYMBOL_IF_KUNIT(tess_features_init);

/*
 * A number: decimal digits only.  kstrto*() take a sign and "%u" wraps
 * (4294967297 reads as 1), so a wrong value could pass.
 */
static int tess_read_u64(const char *arg, u64 max, u64 *v)
{
	if (!arg || !*arg || arg[strspn(arg, "0123456789")] ||
	    kstrtou64(arg, 10, v) || *v > max)
		return -EINVAL;
	return 0;
}

static int tess_read_count(struct dm_arg_set *as, unsigned int max,
			   unsigned int *count, char **error)
{
	u64 v;

	if (tess_read_u64(dm_shift_arg(as), max, &v) || v > as->argc) {
		*error = "Invalid number of feature arguments";
		return -EINVAL;
	}
	*count = v;
	return 0;
}

/* The value of a feature that takes one, counted in *@argc. */
static int tess_read_value(struct dm_arg_set *as, unsigned int *argc,
			   u64 max, u64 *v, char **error)
{
	if (!*argc || tess_read_u64(dm_shift_arg(as), max, v)) {
		*error = "Invalid feature argument value";
		return -EINVAL;
	}
	(*argc)--;
	return 0;
}

/* A table must read back as it was given: each feature once. */
static int tess_seen(bool *seen, char **error)
{
	if (*seen) {
		*error = "Duplicate feature argument";
		return -EINVAL;
	}
	*seen = true;
	return 0;
}

int tess_parse_features(struct dm_arg_set *as, struct tess_features *f,
			char **error)
{
	bool seen_discard = false, seen_reconcile = false, seen_max = false;
	unsigned int argc;
	const char *name;
	int r;

	tess_features_init(f);
	if (!as->argc)
		return 0;

	r = tess_read_count(as, TESS_MAX_FEATURE_ARGS, &argc, error);
	if (r)
		return r;

	while (argc--) {
		name = dm_shift_arg(as);
		if (!strcasecmp(name, "no_discard_passdown")) {
			f->discard_passdown = false;
			r = tess_seen(&seen_discard, error);
		} else if (!strcasecmp(name, "no_reconcile")) {
			f->reconcile = false;
			r = tess_seen(&seen_reconcile, error);
		} else if (!strcasecmp(name, "max_remapped")) {
			r = tess_seen(&seen_max, error) ?:
			    tess_read_value(as, &argc, U32_MAX,
					    &f->max_remapped, error);
			f->max_remapped_set = true;
		} else {
			*error = "Invalid feature argument";
			r = -EINVAL;
		}
		if (r)
			return r;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tess_parse_features);

unsigned int tess_emit_features(const struct tess_features *f, char *result,
				unsigned int maxlen, unsigned int sz)
{
	unsigned int count = !f->discard_passdown + !f->reconcile +
			     2 * f->max_remapped_set;

	DMEMIT("%u", count);
	if (!f->discard_passdown)
		DMEMIT(" no_discard_passdown");
	if (!f->reconcile)
		DMEMIT(" no_reconcile");
	if (f->max_remapped_set)
		DMEMIT(" max_remapped %llu", f->max_remapped);
	return sz;
}
EXPORT_SYMBOL_IF_KUNIT(tess_emit_features);

void tess_pool_features_init(struct tess_pool_features *f)
{
	f->commit_period = TESS_DEFAULT_COMMIT_PERIOD;
	f->commit_period_set = false;
	f->swap = true;
	f->low_water = 0;
	f->low_water_set = false;
}
EXPORT_SYMBOL_IF_KUNIT(tess_pool_features_init);

int tess_parse_pool_features(struct dm_arg_set *as,
			     struct tess_pool_features *f, char **error)
{
	bool seen_swap = false;
	unsigned int argc;
	const char *name;
	u64 v;
	int r;

	tess_pool_features_init(f);
	if (!as->argc)
		return 0;

	r = tess_read_count(as, TESS_MAX_POOL_FEATURE_ARGS, &argc, error);
	if (r)
		return r;

	while (argc--) {
		name = dm_shift_arg(as);
		if (!strcasecmp(name, "commit_period")) {
			r = tess_seen(&f->commit_period_set, error) ?:
			    tess_read_value(as, &argc, TESS_MAX_COMMIT_PERIOD,
					    &v, error);
			f->commit_period = v;
		} else if (!strcasecmp(name, "no_swap")) {
			f->swap = false;
			r = tess_seen(&seen_swap, error);
		} else if (!strcasecmp(name, "low_water")) {
			r = tess_seen(&f->low_water_set, error) ?:
			    tess_read_value(as, &argc, U32_MAX, &f->low_water,
					    error);
		} else {
			*error = "Invalid feature argument";
			r = -EINVAL;
		}
		if (r)
			return r;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tess_parse_pool_features);

unsigned int tess_emit_pool_features(const struct tess_pool_features *f,
				     char *result, unsigned int maxlen,
				     unsigned int sz)
{
	unsigned int count = 2 * f->commit_period_set + !f->swap +
			     2 * f->low_water_set;

	DMEMIT("%u", count);
	if (f->commit_period_set)
		DMEMIT(" commit_period %u", f->commit_period);
	if (!f->swap)
		DMEMIT(" no_swap");
	if (f->low_water_set)
		DMEMIT(" low_water %llu", f->low_water);
	return sz;
}
EXPORT_SYMBOL_IF_KUNIT(tess_emit_pool_features);

u64 tess_default_low_water(u64 nr_blocks)
{
	return max_t(u64, nr_blocks / 64, 16);
}
EXPORT_SYMBOL_IF_KUNIT(tess_default_low_water);

struct tess_msg_desc {
	const char *name;
	enum tess_msg msg;
	bool pool;		/* a pool's message, else a disk's */
	bool has_arg;
	u64 max;
	const char *usage;	/* for a wrong argument count */
};

static const struct tess_msg_desc tess_msgs[] = {
	{ "reset_counters", TESS_MSG_RESET_COUNTERS, false, false, 0,
	  "reset_counters takes no arguments" },
	{ "copy_home", TESS_MSG_COPY_HOME, false, false, 0,
	  "copy_home takes no arguments" },
	{ "create_disk", TESS_MSG_CREATE_DISK, true, true, TESS_MD_MAX_DISK_ID,
	  "create_disk takes a disk id (0..16777215)" },
	{ "delete_disk", TESS_MSG_DELETE_DISK, true, true, TESS_MD_MAX_DISK_ID,
	  "delete_disk takes a disk id (0..16777215)" },
	{ "commit", TESS_MSG_COMMIT, true, false, 0,
	  "commit takes no arguments" },
	{ "set_commit_period", TESS_MSG_SET_COMMIT_PERIOD, true, true,
	  TESS_MAX_COMMIT_PERIOD,
	  "set_commit_period takes milliseconds (0..3600000)" },
	{ "set_low_water", TESS_MSG_SET_LOW_WATER, true, true, U32_MAX,
	  "set_low_water takes a number of blocks" },
};

int tess_parse_message(unsigned int argc, char **argv, bool pool,
		       enum tess_msg *msg, u64 *arg, const char **error)
{
	const struct tess_msg_desc *d;
	unsigned int i;

	if (!argc) {
		*error = "empty message";
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(tess_msgs); i++) {
		d = &tess_msgs[i];
		if (d->pool != pool || strcasecmp(argv[0], d->name))
			continue;
		if (argc != 1 + d->has_arg ||
		    (d->has_arg && tess_read_u64(argv[1], d->max, arg))) {
			*error = d->usage;
			return -EINVAL;
		}
		*msg = d->msg;
		return 0;
	}
	*error = "unknown message";
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(tess_parse_message);
