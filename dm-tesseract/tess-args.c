// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: parsing of table feature arguments and messages.
 */
#include <kunit/visibility.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "tess-args.h"

void tess_features_init(struct tess_features *f)
{
	f->discard_passdown = true;
	f->reconcile = true;
}
EXPORT_SYMBOL_IF_KUNIT(tess_features_init);

/*
 * The feature count: decimal digits only.  dm_read_arg_group()'s "%u"
 * wraps (4294967297 reads as 1), so a wrong count could pass.
 */
static int tess_read_count(struct dm_arg_set *as, unsigned int *count,
			   char **error)
{
	const char *arg = dm_shift_arg(as);

	if (!arg || !*arg || arg[strspn(arg, "0123456789")] ||
	    kstrtouint(arg, 10, count) || *count > TESS_MAX_FEATURE_ARGS ||
	    *count > as->argc) {
		*error = "Invalid number of feature arguments";
		return -EINVAL;
	}
	return 0;
}

int tess_parse_features(struct dm_arg_set *as, struct tess_features *f,
			char **error)
{
	bool seen_discard = false, seen_reconcile = false, *seen;
	unsigned int argc;
	const char *name;
	int r;

	tess_features_init(f);
	if (!as->argc)
		return 0;

	r = tess_read_count(as, &argc, error);
	if (r)
		return r;

	while (argc--) {
		name = dm_shift_arg(as);
		if (!strcasecmp(name, "no_discard_passdown")) {
			f->discard_passdown = false;
			seen = &seen_discard;
		} else if (!strcasecmp(name, "no_reconcile")) {
			f->reconcile = false;
			seen = &seen_reconcile;
		} else {
			*error = "Invalid feature argument";
			return -EINVAL;
		}
		/* A table must read back as it was given. */
		if (*seen) {
			*error = "Duplicate feature argument";
			return -EINVAL;
		}
		*seen = true;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(tess_parse_features);

unsigned int tess_emit_features(const struct tess_features *f, char *result,
				unsigned int maxlen, unsigned int sz)
{
	unsigned int count = !f->discard_passdown + !f->reconcile;

	DMEMIT("%u", count);
	if (!f->discard_passdown)
		DMEMIT(" no_discard_passdown");
	if (!f->reconcile)
		DMEMIT(" no_reconcile");
	return sz;
}
EXPORT_SYMBOL_IF_KUNIT(tess_emit_features);

int tess_parse_message(unsigned int argc, char **argv, enum tess_msg *msg,
		       const char **error)
{
	if (!argc) {
		*error = "empty message";
		return -EINVAL;
	}
	if (!strcasecmp(argv[0], "reset_counters")) {
		if (argc != 1) {
			*error = "reset_counters takes no arguments";
			return -EINVAL;
		}
		*msg = TESS_MSG_RESET_COUNTERS;
		return 0;
	}
	*error = "unknown message";
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(tess_parse_message);
