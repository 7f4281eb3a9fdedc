/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: parsing of table feature arguments, messages and the
 * numbers of module parameters.
 *
 * Pure functions over argument vectors and strings: no I/O, no locks,
 * may be called from any context.  Kept apart from the targets so that
 * KUnit can exercise them directly.
 */
#ifndef DM_TESSERACT_ARGS_H
#define DM_TESSERACT_ARGS_H

#include <linux/device-mapper.h>
#include <linux/types.h>

#include "tess-relocate.h"

/*
 * Read @arg as a number: decimal digits only, no sign, no spaces, at most
 * @max.  Returns 0 with *@v set, or -EINVAL (NULL, empty, other
 * characters, overflow, over @max).  For table arguments, messages and
 * module parameters (strip a sysfs write's newline first).  Pure: any
 * context.
 */
int tess_read_u64(const char *arg, u64 max, u64 *v);

/* Optional disk table features: `<#feature args> <feature arg>*`. */
struct tess_features {
	bool discard_passdown;	/* pass discards to the data device */
	bool reconcile;		/* take swapped-out pages of guest writes */
	bool remap;		/* no no_remap: hook for page-in discards only */
	u64 max_remapped;	/* cap on this disk's remaps; 0: none */
	bool max_remapped_set;	/* given in the table: printed back */
};

/* Largest number of feature arguments a disk table line can carry. */
#define TESS_MAX_FEATURE_ARGS	5

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

/* Pool table features. */
#define TESS_DEFAULT_COMMIT_PERIOD	1000	/* ms */
#define TESS_MAX_COMMIT_PERIOD		3600000	/* ms: an hour */
#define TESS_MAX_POOL_FEATURE_ARGS	17

/* Relocation features given in a pool table: printed back. */
enum {
	TESS_RELOC_SET_MODE = 1 << 0,
	TESS_RELOC_SET_IDLE = 1 << 1,
	TESS_RELOC_SET_RATE = 1 << 2,
	TESS_RELOC_SET_BATCH = 1 << 3,
	TESS_RELOC_SET_REMAPPED = 1 << 4,
	TESS_RELOC_SET_STORE = 1 << 5,
};

struct tess_pool_features {
	unsigned int commit_period;	/* ms; 0: commit on flush only */
	bool commit_period_set;		/* given: printed back */
	bool swap;			/* serve host swap (no no_swap) */
	u64 low_water;			/* free store blocks; 0: the default */
	bool low_water_set;
	/* Relocation; what is not given comes from the module's defaults. */
	struct tess_reloc_config reloc;
	unsigned int reloc_set;		/* TESS_RELOC_SET_* given */
};

void tess_pool_features_init(struct tess_pool_features *f);
int tess_parse_pool_features(struct dm_arg_set *as,
			     struct tess_pool_features *f, char **error);
unsigned int tess_emit_pool_features(const struct tess_pool_features *f,
				     char *result, unsigned int maxlen,
				     unsigned int sz);
/* The default low-water mark for a store of @nr_blocks: 1/64, min 16. */
u64 tess_default_low_water(u64 nr_blocks);

/* The messages `dmsetup message <dev> 0 <msg>` accepts. */
enum tess_msg {
	TESS_MSG_RESET_COUNTERS,	/* disk: reset_counters */
	TESS_MSG_COPY_HOME,		/* disk: copy_home */
	TESS_MSG_CREATE_DISK,		/* pool: create_disk <id> */
	TESS_MSG_DELETE_DISK,		/* pool: delete_disk <id> */
	TESS_MSG_COMMIT,		/* pool: commit */
	TESS_MSG_SET_COMMIT_PERIOD,	/* pool: set_commit_period <ms> */
	TESS_MSG_SET_LOW_WATER,		/* pool: set_low_water <blocks> */
	TESS_MSG_SET_RELOCATE,		/* pool: set_relocate <mode> */
	TESS_MSG_SET_RELOCATE_IDLE,	/* pool: set_relocate_idle <ms> */
	TESS_MSG_SET_RELOCATE_RATE,	/* pool: set_relocate_rate <MiB/s> */
	TESS_MSG_SET_RELOCATE_BATCH,	/* pool: set_relocate_batch <blocks> */
	TESS_MSG_SET_RELOCATE_REMAPPED,	/* pool: set_relocate_remapped <n> */
	TESS_MSG_SET_RELOCATE_STORE,	/* pool: set_relocate_store <pct> */
	TESS_MSG_RELOCATE,		/* pool: relocate start|stop|now */
};

/* The argument of "relocate". */
enum tess_msg_relocate {
	TESS_RELOCATE_START,
	TESS_RELOCATE_STOP,
	TESS_RELOCATE_NOW,
};

/*
 * Apply a set_relocate* message's @arg to @f (the table's features, so
 * that the table reads back with it).  Returns false for other messages.
 */
bool tess_pool_features_set_reloc(struct tess_pool_features *f,
				  enum tess_msg msg, u64 arg);

/*
 * Recognise a message of a disk (@pool false) or a pool.  Returns 0 and
 * sets *@msg and, for messages with an argument, *@arg (a number, or the
 * index of a word: a relocation mode, a TESS_RELOCATE_*); or -EINVAL with a
 * static explanation in *@error for an unknown word, a wrong argument
 * count or a bad number.
 */
int tess_parse_message(unsigned int argc, char **argv, bool pool,
		       enum tess_msg *msg, u64 *arg, const char **error);

#endif /* DM_TESSERACT_ARGS_H */
