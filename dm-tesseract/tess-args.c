// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: parsing of table feature arguments and messages.
 */
#include <kunit/visibility.h>
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "tess-args.h"
#include "tess-metadata.h"

void tess_features_init(struct tess_features *f)
{
	f->discard_passdown = true;
	f->reconcile = true;
	f->remap = true;
	f->max_remapped = 0;
	f->max_remapped_set = false;
}
EXPORT_SYMBOL_IF_KUNIT(tess_features_init);

/*
 * Digits only: kstrto*() take a leading '+' and a trailing newline, and
 * "%u" wraps (4294967297 reads as 1), so a wrong value could pass.
 */
int tess_read_u64(const char *arg, u64 max, u64 *v)
{
	if (!arg || !*arg || arg[strspn(arg, "0123456789")] ||
	    kstrtou64(arg, 10, v) || *v > max)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tess_read_u64);

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
	bool seen_remap = false;
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
		} else if (!strcasecmp(name, "no_remap")) {
			f->remap = false;
			r = tess_seen(&seen_remap, error);
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
			     !f->remap + 2 * f->max_remapped_set;

	DMEMIT("%u", count);
	if (!f->discard_passdown)
		DMEMIT(" no_discard_passdown");
	if (!f->reconcile)
		DMEMIT(" no_reconcile");
	if (!f->remap)
		DMEMIT(" no_remap");
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
	f->reloc = tess_reloc_defaults;
	f->reloc_set = 0;
}
EXPORT_SYMBOL_IF_KUNIT(tess_pool_features_init);

/* A relocation feature's value, given once. */
static int tess_reloc_feature(struct dm_arg_set *as, unsigned int *argc,
			      struct tess_pool_features *f, unsigned int bit,
			      u64 min, u64 max, u64 *v, char **error)
{
	int r;

	if (f->reloc_set & bit) {
		*error = "Duplicate feature argument";
		return -EINVAL;
	}
	f->reloc_set |= bit;
	r = tess_read_value(as, argc, max, v, error);
	if (!r && *v < min) {
		*error = "Invalid feature argument value";
		r = -EINVAL;
	}
	return r;
}

static int tess_reloc_mode_feature(struct dm_arg_set *as, unsigned int *argc,
				   struct tess_pool_features *f, char **error)
{
	int m;

	if (f->reloc_set & TESS_RELOC_SET_MODE) {
		*error = "Duplicate feature argument";
		return -EINVAL;
	}
	f->reloc_set |= TESS_RELOC_SET_MODE;
	m = *argc ? tess_reloc_parse_mode(dm_shift_arg(as)) : -EINVAL;
	if (m < 0) {
		*error = "Invalid relocation mode (off, home, regroup, auto)";
		return -EINVAL;
	}
	(*argc)--;
	f->reloc.mode = m;
	return 0;
}

/* A relocation feature named @name, if it is one: 1 if not. */
static int tess_parse_reloc_feature(const char *name, struct dm_arg_set *as,
				    unsigned int *argc,
				    struct tess_pool_features *f, char **error)
{
	struct tess_reloc_config *c = &f->reloc;
	u64 v;
	int r;

	if (!strcasecmp(name, "relocate"))
		return tess_reloc_mode_feature(as, argc, f, error);
	if (!strcasecmp(name, "relocate_idle")) {
		r = tess_reloc_feature(as, argc, f, TESS_RELOC_SET_IDLE, 0,
				       TESS_RELOC_MAX_IDLE_MS, &v, error);
		c->idle_ms = v;
	} else if (!strcasecmp(name, "relocate_rate")) {
		r = tess_reloc_feature(as, argc, f, TESS_RELOC_SET_RATE, 0,
				       TESS_RELOC_MAX_RATE, &v, error);
		c->rate = v;
	} else if (!strcasecmp(name, "relocate_batch")) {
		r = tess_reloc_feature(as, argc, f, TESS_RELOC_SET_BATCH, 1,
				       TESS_RELOC_MAX_BATCH, &v, error);
		c->batch = v;
	} else if (!strcasecmp(name, "relocate_remapped")) {
		r = tess_reloc_feature(as, argc, f, TESS_RELOC_SET_REMAPPED, 0,
				       U32_MAX, &v, error);
		c->remapped = v;
	} else if (!strcasecmp(name, "relocate_store")) {
		r = tess_reloc_feature(as, argc, f, TESS_RELOC_SET_STORE, 0,
				       100, &v, error);
		c->store_pct = v;
	} else {
		return 1;
	}
	return r;
}

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
			r = tess_parse_reloc_feature(name, as, &argc, f,
						     error);
			if (r == 1) {
				*error = "Invalid feature argument";
				r = -EINVAL;
			}
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
	const struct tess_reloc_config *c = &f->reloc;
	unsigned int count = 2 * f->commit_period_set + !f->swap +
			     2 * f->low_water_set + 2 * hweight32(f->reloc_set);

	DMEMIT("%u", count);
	if (f->commit_period_set)
		DMEMIT(" commit_period %u", f->commit_period);
	if (!f->swap)
		DMEMIT(" no_swap");
	if (f->low_water_set)
		DMEMIT(" low_water %llu", f->low_water);
	if (f->reloc_set & TESS_RELOC_SET_MODE)
		DMEMIT(" relocate %s", tess_reloc_mode_names[c->mode]);
	if (f->reloc_set & TESS_RELOC_SET_IDLE)
		DMEMIT(" relocate_idle %u", c->idle_ms);
	if (f->reloc_set & TESS_RELOC_SET_RATE)
		DMEMIT(" relocate_rate %u", c->rate);
	if (f->reloc_set & TESS_RELOC_SET_BATCH)
		DMEMIT(" relocate_batch %u", c->batch);
	if (f->reloc_set & TESS_RELOC_SET_REMAPPED)
		DMEMIT(" relocate_remapped %u", c->remapped);
	if (f->reloc_set & TESS_RELOC_SET_STORE)
		DMEMIT(" relocate_store %u", c->store_pct);
	return sz;
}
EXPORT_SYMBOL_IF_KUNIT(tess_emit_pool_features);

u64 tess_default_low_water(u64 nr_blocks)
{
	return max_t(u64, nr_blocks / 64, 16);
}
EXPORT_SYMBOL_IF_KUNIT(tess_default_low_water);

bool tess_pool_features_set_reloc(struct tess_pool_features *f,
				  enum tess_msg msg, u64 arg)
{
	struct tess_reloc_config *c = &f->reloc;

	switch (msg) {
	case TESS_MSG_SET_RELOCATE:
		c->mode = arg;
		f->reloc_set |= TESS_RELOC_SET_MODE;
		break;
	case TESS_MSG_SET_RELOCATE_IDLE:
		c->idle_ms = arg;
		f->reloc_set |= TESS_RELOC_SET_IDLE;
		break;
	case TESS_MSG_SET_RELOCATE_RATE:
		c->rate = arg;
		f->reloc_set |= TESS_RELOC_SET_RATE;
		break;
	case TESS_MSG_SET_RELOCATE_BATCH:
		c->batch = arg;
		f->reloc_set |= TESS_RELOC_SET_BATCH;
		break;
	case TESS_MSG_SET_RELOCATE_REMAPPED:
		c->remapped = arg;
		f->reloc_set |= TESS_RELOC_SET_REMAPPED;
		break;
	case TESS_MSG_SET_RELOCATE_STORE:
		c->store_pct = arg;
		f->reloc_set |= TESS_RELOC_SET_STORE;
		break;
	default:
		return false;
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(tess_pool_features_set_reloc);

static const char * const tess_relocate_words[] = {
	[TESS_RELOCATE_START] = "start",
	[TESS_RELOCATE_STOP] = "stop",
	[TESS_RELOCATE_NOW] = "now",
};

struct tess_msg_desc {
	const char *name;
	enum tess_msg msg;
	bool pool;		/* a pool's message, else a disk's */
	bool has_arg;
	u64 max;
	const char *usage;	/* for a wrong argument count */
	u64 min;
	/* The argument is one of these words (its index), not a number. */
	const char * const *words;
	unsigned int nr_words;
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
	{ "set_relocate", TESS_MSG_SET_RELOCATE, true, true, 0,
	  "set_relocate takes a mode (off, home, regroup, auto)", 0,
	  tess_reloc_mode_names, TESS_RELOC_NR_MODES },
	{ "set_relocate_idle", TESS_MSG_SET_RELOCATE_IDLE, true, true,
	  TESS_RELOC_MAX_IDLE_MS,
	  "set_relocate_idle takes milliseconds (0..3600000)" },
	{ "set_relocate_rate", TESS_MSG_SET_RELOCATE_RATE, true, true,
	  TESS_RELOC_MAX_RATE,
	  "set_relocate_rate takes MiB/s (0..100000, 0: unlimited)" },
	{ "set_relocate_batch", TESS_MSG_SET_RELOCATE_BATCH, true, true,
	  TESS_RELOC_MAX_BATCH,
	  "set_relocate_batch takes a number of blocks (1..1024)", 1 },
	{ "set_relocate_remapped", TESS_MSG_SET_RELOCATE_REMAPPED, true, true,
	  U32_MAX, "set_relocate_remapped takes a number of blocks" },
	{ "set_relocate_store", TESS_MSG_SET_RELOCATE_STORE, true, true, 100,
	  "set_relocate_store takes a percentage (0..100)" },
	{ "relocate", TESS_MSG_RELOCATE, true, true, 0,
	  "relocate takes start, stop or now", 0, tess_relocate_words,
	  ARRAY_SIZE(tess_relocate_words) },
};

/* The index of @arg in @d's words: 0 and *@v, or -EINVAL. */
static int tess_read_word(const struct tess_msg_desc *d, const char *arg,
			  u64 *v)
{
	unsigned int i;

	for (i = 0; i < d->nr_words; i++) {
		if (!strcasecmp(arg, d->words[i])) {
			*v = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int tess_read_arg(const struct tess_msg_desc *d, const char *arg,
			 u64 *v)
{
	if (d->words)
		return tess_read_word(d, arg, v);
	if (tess_read_u64(arg, d->max, v) || *v < d->min)
		return -EINVAL;
	return 0;
}

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
		    (d->has_arg && tess_read_arg(d, argv[1], arg))) {
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
