/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: parsing of table feature arguments and messages.
 *
 * Pure functions over argument vectors: no I/O, no locks, may be called
 * from any process context.  Kept apart from the target so that KUnit can
 * exercise them directly.
 */
#ifndef DM_TESSERACT_ARGS_H
#define DM_TESSERACT_ARGS_H

#include <linux/device-mapper.h>
#include <linux/types.h>

/* Optional table features: `<#feature args> <feature arg>*`. */
struct tess_features {
	bool discard_passdown;	/* pass discards to the data device */
	bool reconcile;		/* take swapped-out pages of guest writes */
};

/* Largest number of feature arguments a table line can carry. */
#define TESS_MAX_FEATURE_ARGS	2

/* The features of a table line that gives none. */
void tess_features_init(struct tess_features *f);

/*
 * Parse `[<#feature args> <feature arg>*]` from @as into @f.  On error
 * returns -EINVAL and points *@error at a static message for ti->error;
 * @f may then be partly filled.
 */
int tess_parse_features(struct dm_arg_set *as, struct tess_features *f,
			char **error);

/*
 * Print `<#feature args> <feature arg>*` for @f into @result, as
 * DMEMIT does: returns the new value of @sz.
 */
unsigned int tess_emit_features(const struct tess_features *f, char *result,
				unsigned int maxlen, unsigned int sz);

/* The messages `dmsetup message <dev> 0 <msg>` accepts. */
enum tess_msg {
	TESS_MSG_RESET_COUNTERS,	/* reset_counters */
};

/*
 * Recognise a message.  Returns 0 and sets *@msg, or -EINVAL with a static
 * explanation in *@error for an unknown word or a wrong argument count.
 */
int tess_parse_message(unsigned int argc, char **argv, enum tess_msg *msg,
		       const char **error);

#endif /* DM_TESSERACT_ARGS_H */
