/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: the "tesseract" disk target, one per VM disk.
 */
#ifndef DM_TESSERACT_DISK_H
#define DM_TESSERACT_DISK_H

#include <linux/atomic.h>
#include <linux/device-mapper.h>

#include "tess-args.h"
#include "tess-reconcile.h"

#define DM_MSG_PREFIX "tesseract"

/* Module-wide state the targets report through sysfs. */
extern atomic_t tess_nr_targets;	/* disk tables constructed, not destroyed */
extern unsigned int tess_verbose;	/* module parameter "verbose" */

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

struct tess_disk {
	struct dm_target *ti;
	struct dm_dev *pool_dev;
	struct tess_pool *pool;		/* referenced */
	struct tess_pool_disk *pd;	/* open */
	u32 id;
	struct dm_dev *data_dev;
	struct tess_features features;
	struct tess_counters counters;
	struct tess_reconcile rc;
};

/*
 * Send @bio to the data device: returns DM_MAPIO_REMAPPED, or ends a
 * discard that is not passed down and returns DM_MAPIO_SUBMITTED.  Any
 * context.
 */
int tess_disk_map_data(struct tess_disk *td, struct bio *bio);

/*
 * Map again a write that waited in a relocation cell: take its extent's
 * lock, then submit it (or queue or end it) as map() would have.  Process
 * context (the relocation worker).
 */
void tess_disk_redrive(struct bio *bio);

/* Module init and exit. */
int tess_disk_register(void);
void tess_disk_unregister(void);

#endif /* DM_TESSERACT_DISK_H */
