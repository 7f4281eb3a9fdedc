// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: parsing of table feature arguments and messages.
 */
#include <kunit/visibility.h>
#include <linux/string.h>

#include "tess-args.h"

void tess_features_init(struct tess_features *f)
{
	f->discard_passdown = true;
	f->reconcile = true;
}
EXPORT_SYMBOL_IF_KUNIT(tess_features_init);

int tess_parse_features(struct dm_arg_set *as, struct tess_features *f,
			char **error)
{
	static const struct dm_arg group = {
		.min = 0,
		.max = TESS_MAX_FEATURE_ARGS,
		.error = "Invalid number of feature arguments",
	};
	unsigned int argc;
	const char *name;
	int r;

	tess_features_init(f);
	if (!as->argc)
		return 0;

	r = dm_read_arg_group(&group, as, &argc, error);
	if (r)
		return r;

	while (argc--) {
		name = dm_shift_arg(as);
		if (!strcasecmp(name, "no_discard_passdown")) {
			f->discard_passdown = false;
		} else if (!strcasecmp(name, "no_reconcile")) {
			f->reconcile = false;
		} else {
			*error = "Invalid feature argument";
			return -EINVAL;
		}
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
