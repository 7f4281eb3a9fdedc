// SPDX-License-Identifier: GPL-2.0
/*
 * dm-model: a test-only target that charges each bio the time a modelled
 * drive (a 7200 RPM hard disk or a 2013-era SATA SSD) would take to serve
 * it, and completes the bio no earlier than that.  The I/O itself goes to a
 * real device below; only its completion is held back.
 *
 *   model <dev> <hdd|ssd> <group> <base sector> [<#feature args> <arg>*]
 *
 * Tables naming the same group share one modelled drive: one clock, one
 * queue, one head.  Documentation/storage-model.rst gives the model, its
 * formulas, the status fields and how it was checked with fio.
 *
 * Locking: model_drives_lock (a mutex) guards the list of drives and their
 * reference counts (constructor and destructor only).  Each drive's lock (a
 * spinlock taken with interrupts off: bios end in any context) guards its
 * modelled state, the counters of the drive and of all its tables, and the
 * list of held bios.  The drive's hrtimer callback takes the drive's lock;
 * nothing is called with it held but hrtimer_start().
 */

#include <linux/module.h>
#include <linux/bio.h>
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/device-mapper.h>

#define DM_MSG_PREFIX "model"

#define MODEL_NAME_MAX		32

/*
 * The hard disk.  A track holds what passes under the head in one
 * revolution at the transfer rate: 2441 sectors in 8.33 ms is 149.97 MB/s.
 * Seek time by the distance d in tracks, as a fraction of the stroke
 * (f = d / tracks, in 2^32 units): 0 for d = 0, else
 *   t = A + B * sqrt(f)  for f <= F0,   t = C + E * f  above,
 * fitted (continuous with a continuous slope) to 1.0 ms near f = 0,
 * 20 ms at f = 1 and 8.5 ms on average over uniformly random pairs.
 */
#define HDD_REV_NS		8333333ULL
#define HDD_TRACK_SECTORS	2441U
#define HDD_DEFAULT_CAPACITY	1953125000ULL	/* 1 TB */
#define HDD_SEEK_A_NS		1000000ULL
#define HDD_SEEK_B_NS		11258194ULL
#define HDD_SEEK_C_NS		2847336ULL
#define HDD_SEEK_E_NS		17152664ULL
#define HDD_SEEK_F0		462566485ULL	/* 0.1077 * 2^32 */
#define HDD_FLUSH_NS		HDD_REV_NS

/* The SSD: 8 flash channels behind one 500 MB/s link (2 ns a byte). */
#define SSD_CHANNELS		8
#define SSD_READ_NS		90000ULL
#define SSD_WRITE_NS		70000ULL
#define SSD_LINK_NS_PER_SECTOR	1024ULL
#define SSD_DEFAULT_CAPACITY	500000000ULL	/* 256 GB */

enum model_kind { MODEL_HDD, MODEL_SSD };
enum model_op { MODEL_READ, MODEL_WRITE, MODEL_FLUSH, MODEL_DISCARD };

static const char * const model_kind_names[] = { "hdd", "ssd" };

/* Counters of a table or a drive; times in ns (status prints us). */
struct model_stats {
	u64 requests;
	u64 read_bytes;
	u64 written_bytes;
	u64 busy;	/* seek + rotation + transfer + flash + flush */
	u64 wait;	/* arrival to start, and waits for the SSD's link */
	u64 seek;
	u64 rotation;
	u64 transfer;
	u64 flash;
	u64 flush;
};

/* What one request costs, in ns; the drive's times are since its epoch. */
struct model_cost {
	u64 wait, seek, rotation, transfer, flash, flush;
};

struct model_drive {
	struct list_head list;		/* on model_drives */
	unsigned int refs;		/* tables; guarded by model_drives_lock */
	char name[MODEL_NAME_MAX + 1];
	enum model_kind kind;
	sector_t capacity;
	u64 tracks;			/* hdd: capacity in tracks, >= 1 */
	u64 epoch;			/* ktime_get_ns() at creation */

	spinlock_t lock;		/* guards all below, and the tables' stats */
	u64 free;			/* hdd: when the drive is next idle */
	sector_t head;			/* hdd: the sector after the last one served */
	u64 ch_free[SSD_CHANNELS];	/* ssd: when each channel is next idle */
	u64 link_free;			/* ssd: when the link is next idle */
	struct model_stats stats;
	struct list_head held;		/* model_io, by finish time */
	struct hrtimer timer;		/* ends the first held bio */
};

struct model_c {
	struct dm_dev *dev;
	struct model_drive *drive;
	sector_t base;			/* where sector 0 lies on the drive */
	sector_t capacity_arg;		/* the capacity feature, 0 if none */
	struct model_stats stats;	/* guarded by drive->lock */
};

/* Per-bio data. */
struct model_io {
	struct list_head entry;		/* on drive->held */
	u64 finish;			/* ktime_get_ns() when it may complete */
	bool held;
};

static LIST_HEAD(model_drives);
static DEFINE_MUTEX(model_drives_lock);	/* guards model_drives, refs */

/* ---- the hard disk ------------------------------------------------- */

/* hdd_seek_ns - seek time over @dist tracks.  Any context. */
static u64 hdd_seek_ns(const struct model_drive *d, u64 dist)
{
	u64 f;

	if (!dist)
		return 0;
	/* The last, partial track may lie a whole track past tracks - 1. */
	f = min(mul_u64_u64_div_u64(dist, 1ULL << 32, d->tracks), 1ULL << 32);
	if (f <= HDD_SEEK_F0)	/* sqrt(f << 16) is sqrt(fraction) * 2^24 */
		return HDD_SEEK_A_NS +
			((HDD_SEEK_B_NS * int_sqrt64(f << 16)) >> 24);
	return HDD_SEEK_C_NS + ((HDD_SEEK_E_NS * f) >> 32);
}

/*
 * hdd_rotation_ns - the wait at time @t (since the epoch) until @sector
 * comes under the head.  The platter turns at a constant rate from the
 * epoch: the head is over angle (t mod rev), a sector at angle
 * (sector mod track) / track of a revolution.  Any context.
 */
static u64 hdd_rotation_ns(u64 t, sector_t sector)
{
	u32 now_angle, off;
	u64 target;

	div_u64_rem(t, HDD_REV_NS, &now_angle);
	div_u64_rem(sector, HDD_TRACK_SECTORS, &off);
	target = div_u64((u64)off * HDD_REV_NS, HDD_TRACK_SECTORS);
	if (target >= now_angle)
		return target - now_angle;
	return target + HDD_REV_NS - now_angle;
}

/*
 * hdd_charge - serve a request at @now: one at a time, in arrival order.
 * A request that starts where the previous one ended streams on: no seek,
 * no rotation (the drive's track buffer and write cache).  Returns the
 * finish time.  Called with d->lock held.
 */
static u64 hdd_charge(struct model_drive *d, enum model_op op, sector_t lba,
		      unsigned int sectors, u64 now, struct model_cost *c)
{
	u64 start = max(now, d->free);
	u64 t = start;

	c->wait = start - now;
	if (op == MODEL_FLUSH) {
		c->flush = HDD_FLUSH_NS;
	} else if (op != MODEL_DISCARD) {
		if (lba != d->head) {
			u64 from = div_u64(d->head, HDD_TRACK_SECTORS);
			u64 to = div_u64(lba, HDD_TRACK_SECTORS);

			c->seek = hdd_seek_ns(d, from > to ? from - to : to - from);
			c->rotation = hdd_rotation_ns(start + c->seek, lba);
		}
		c->transfer = div_u64((u64)sectors * HDD_REV_NS,
				      HDD_TRACK_SECTORS);
		d->head = lba + sectors;
	}
	t += c->flush + c->seek + c->rotation + c->transfer;
	d->free = t;
	return t;
}

/* ---- the SSD --------------------------------------------------------- */

/* ssd_channel - the channel that is idle first.  Called with d->lock held. */
static unsigned int ssd_channel(const struct model_drive *d)
{
	unsigned int i, best = 0;

	for (i = 1; i < SSD_CHANNELS; i++)
		if (d->ch_free[i] < d->ch_free[best])
			best = i;
	return best;
}

/*
 * ssd_charge - a read takes a channel for the flash read, then the link
 * for the transfer; a write takes the link, then a channel to program.
 * The channel is held throughout.  Flushes and discards cost nothing (the
 * model writes through).  Returns the finish time.  Called with d->lock
 * held.
 */
static u64 ssd_charge(struct model_drive *d, enum model_op op,
		      unsigned int sectors, u64 now, struct model_cost *c)
{
	unsigned int ch = ssd_channel(d);
	u64 start, link, t;

	if (op == MODEL_FLUSH || op == MODEL_DISCARD)
		return now;
	start = max(now, d->ch_free[ch]);
	c->wait = start - now;
	c->transfer = sectors * SSD_LINK_NS_PER_SECTOR;
	if (op == MODEL_READ) {
		c->flash = SSD_READ_NS;
		link = max(start + c->flash, d->link_free);
		c->wait += link - (start + c->flash);
		t = link + c->transfer;
		d->link_free = t;
	} else {
		c->flash = SSD_WRITE_NS;
		link = max(start, d->link_free);
		c->wait += link - start;
		d->link_free = link + c->transfer;
		t = d->link_free + c->flash;
	}
	d->ch_free[ch] = t;
	return t;
}

/* ---- charging a bio --------------------------------------------------- */

static enum model_op model_op_of(struct bio *bio)
{
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		return MODEL_READ;
	case REQ_OP_DISCARD:
	case REQ_OP_SECURE_ERASE:
		return MODEL_DISCARD;
	default:
		if ((bio->bi_opf & REQ_PREFLUSH) && !bio_sectors(bio))
			return MODEL_FLUSH;
		return MODEL_WRITE;	/* write, write zeroes */
	}
}

/* Called with the drive's lock held. */
static void model_account(struct model_stats *s, enum model_op op,
			  unsigned int bytes, const struct model_cost *c)
{
	s->requests++;
	if (op == MODEL_READ)
		s->read_bytes += bytes;
	else if (op == MODEL_WRITE)
		s->written_bytes += bytes;
	s->busy += c->seek + c->rotation + c->transfer + c->flash + c->flush;
	s->wait += c->wait;
	s->seek += c->seek;
	s->rotation += c->rotation;
	s->transfer += c->transfer;
	s->flash += c->flash;
	s->flush += c->flush;
}

/*
 * model_charge - charge @bio (already remapped to the table's sectors) to
 * the drive and return when it may complete (ktime_get_ns()).  Does not
 * sleep; any context.  Takes the drive's lock.
 */
static u64 model_charge(struct model_c *mc, struct bio *bio)
{
	struct model_drive *d = mc->drive;
	enum model_op op = model_op_of(bio);
	sector_t lba = mc->base + bio->bi_iter.bi_sector;
	unsigned int sectors = bio_sectors(bio);
	struct model_cost c = { };
	unsigned long flags;
	u64 now, finish;

	spin_lock_irqsave(&d->lock, flags);
	now = ktime_get_ns() - d->epoch;
	if (d->kind == MODEL_HDD)
		finish = hdd_charge(d, op, lba, sectors, now, &c);
	else
		finish = ssd_charge(d, op, sectors, now, &c);
	model_account(&mc->stats, op, sectors << SECTOR_SHIFT, &c);
	model_account(&d->stats, op, sectors << SECTOR_SHIFT, &c);
	spin_unlock_irqrestore(&d->lock, flags);
	return d->epoch + finish;
}

/* ---- holding completions ---------------------------------------------- */

static struct bio *model_io_bio(struct model_io *io)
{
	return dm_bio_from_per_bio_data(io, sizeof(*io));
}

/*
 * model_hold - keep @io until its finish time.  Any context; takes the
 * drive's lock.
 */
static void model_hold(struct model_drive *d, struct model_io *io)
{
	struct model_io *prev;
	struct list_head *pos = &d->held;
	unsigned long flags;

	spin_lock_irqsave(&d->lock, flags);
	/* Usually the latest: look from the tail. */
	list_for_each_entry_reverse(prev, &d->held, entry) {
		if (prev->finish <= io->finish) {
			pos = &prev->entry;
			break;
		}
	}
	list_add(&io->entry, pos);
	if (d->held.next == &io->entry)
		hrtimer_start(&d->timer, ns_to_ktime(io->finish),
			      HRTIMER_MODE_ABS_SOFT);
	spin_unlock_irqrestore(&d->lock, flags);
}

/*
 * model_timer_fn - end the held bios that are due, and set the timer for
 * the next.  Softirq context; takes the drive's lock, ends the bios
 * without it (their end_io is model_end_io again, which lets them go).
 */
static enum hrtimer_restart model_timer_fn(struct hrtimer *timer)
{
	struct model_drive *d = container_of(timer, struct model_drive, timer);
	struct model_io *io, *next;
	unsigned long flags;
	LIST_HEAD(due);
	u64 now;

	spin_lock_irqsave(&d->lock, flags);
	now = ktime_get_ns();
	list_for_each_entry_safe(io, next, &d->held, entry) {
		if (io->finish > now)
			break;
		list_move_tail(&io->entry, &due);
	}
	if (!list_empty(&d->held)) {
		io = list_first_entry(&d->held, struct model_io, entry);
		hrtimer_start(timer, ns_to_ktime(io->finish),
			      HRTIMER_MODE_ABS_SOFT);
	}
	spin_unlock_irqrestore(&d->lock, flags);

	list_for_each_entry_safe(io, next, &due, entry)
		bio_endio(model_io_bio(io));
	return HRTIMER_NORESTART;
}

/* ---- drives (groups) --------------------------------------------------- */

/* Called with model_drives_lock held. */
static struct model_drive *model_drive_find(const char *name)
{
	struct model_drive *d;

	list_for_each_entry(d, &model_drives, list)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

/* model_drive_new - a drive at rest, head at sector 0.  May sleep. */
static struct model_drive *model_drive_new(const char *name,
					   enum model_kind kind,
					   sector_t capacity)
{
	struct model_drive *d = kzalloc(sizeof(*d), GFP_KERNEL);

	if (!d)
		return NULL;
	strscpy(d->name, name, sizeof(d->name));
	d->kind = kind;
	d->capacity = capacity;
	d->tracks = max_t(u64, 1, div_u64(capacity, HDD_TRACK_SECTORS));
	spin_lock_init(&d->lock);
	INIT_LIST_HEAD(&d->held);
	hrtimer_init(&d->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
	d->timer.function = model_timer_fn;
	d->epoch = ktime_get_ns();
	return d;
}

/*
 * model_drive_get - the drive of group @name, created for the first table
 * (with @capacity, 0 for the default).  Sets ti->error and returns an
 * ERR_PTR when the table disagrees with the drive.  Process context; takes
 * model_drives_lock.
 */
static struct model_drive *model_drive_get(struct dm_target *ti,
					   const char *name,
					   enum model_kind kind,
					   sector_t capacity)
{
	struct model_drive *d;

	mutex_lock(&model_drives_lock);
	d = model_drive_find(name);
	if (d && d->kind != kind) {
		ti->error = "Group is a drive of the other kind";
		d = ERR_PTR(-EINVAL);
	} else if (d && capacity && capacity != d->capacity) {
		ti->error = "Group's drive has another capacity";
		d = ERR_PTR(-EINVAL);
	} else if (d) {
		d->refs++;
	} else {
		if (!capacity)
			capacity = kind == MODEL_HDD ? HDD_DEFAULT_CAPACITY :
						       SSD_DEFAULT_CAPACITY;
		d = model_drive_new(name, kind, capacity);
		if (d) {
			d->refs = 1;
			list_add(&d->list, &model_drives);
		} else {
			ti->error = "Cannot allocate the drive";
			d = ERR_PTR(-ENOMEM);
		}
	}
	mutex_unlock(&model_drives_lock);
	return d;
}

/*
 * model_drive_put - drop a table's reference; the last one frees the drive
 * (no bio is held then: dm ends a table's I/O before its destructor).
 * Process context; takes model_drives_lock.
 */
static void model_drive_put(struct model_drive *d)
{
	bool last;

	mutex_lock(&model_drives_lock);
	last = !--d->refs;
	if (last)
		list_del(&d->list);
	mutex_unlock(&model_drives_lock);
	if (last) {
		WARN_ON(!list_empty(&d->held));
		hrtimer_cancel(&d->timer);
		kfree(d);
	}
}

/* ---- the target --------------------------------------------------------- */

/* model_features - "capacity <sectors>".  Process context. */
static int model_features(struct dm_target *ti, struct dm_arg_set *as,
			  sector_t *capacity)
{
	static const struct dm_arg _args[] = {
		{0, 2, "Invalid number of feature arguments"},
	};
	unsigned int argc;
	unsigned long long v;
	const char *name;
	int r;

	if (!as->argc)
		return 0;
	r = dm_read_arg_group(_args, as, &argc, &ti->error);
	if (r)
		return r;
	if (!argc)
		return 0;
	name = dm_shift_arg(as);
	if (strcasecmp(name, "capacity") || argc != 2) {
		ti->error = "Unknown feature (only: capacity <sectors>)";
		return -EINVAL;
	}
	if (kstrtoull(dm_shift_arg(as), 10, &v) || !v || v != (sector_t)v) {
		ti->error = "Invalid capacity";
		return -EINVAL;
	}
	*capacity = v;
	return 0;
}

/* model_parse - the table's words but the device.  Process context. */
static int model_parse(struct dm_target *ti, struct dm_arg_set *as,
		       enum model_kind *kind, const char **group,
		       struct model_c *mc)
{
	unsigned long long base;
	const char *word;

	word = dm_shift_arg(as);
	if (!strcmp(word, "hdd")) {
		*kind = MODEL_HDD;
	} else if (!strcmp(word, "ssd")) {
		*kind = MODEL_SSD;
	} else {
		ti->error = "Invalid drive type (hdd or ssd)";
		return -EINVAL;
	}
	*group = dm_shift_arg(as);
	if (!**group || strlen(*group) > MODEL_NAME_MAX) {
		ti->error = "Invalid group name (1 to 32 characters)";
		return -EINVAL;
	}
	if (kstrtoull(dm_shift_arg(as), 10, &base) || base != (sector_t)base) {
		ti->error = "Invalid base sector";
		return -EINVAL;
	}
	mc->base = base;
	if (model_features(ti, as, &mc->capacity_arg))
		return -EINVAL;
	if (as->argc) {
		ti->error = "Too many arguments";
		return -EINVAL;
	}
	return 0;
}

/* model_fits - the table lies inside the drive.  Process context. */
static int model_fits(struct dm_target *ti, struct model_c *mc)
{
	sector_t cap = mc->drive->capacity;

	if (mc->base >= cap || ti->len > cap - mc->base) {
		ti->error = "Table extends beyond the drive's capacity";
		return -EINVAL;
	}
	return 0;
}

/*
 * Construct: model <dev> <hdd|ssd> <group> <base sector>
 *            [<#feature args> <arg>*].  Process context; may sleep.
 */
static int model_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	enum model_kind kind;
	const char *group;
	struct model_c *mc;
	int r;

	if (argc < 4) {
		ti->error = "Invalid argument count (<dev> <hdd|ssd> <group> <base>)";
		return -EINVAL;
	}
	mc = kzalloc(sizeof(*mc), GFP_KERNEL);
	if (!mc) {
		ti->error = "Cannot allocate the target";
		return -ENOMEM;
	}
	dm_consume_args(&as, 1);
	r = model_parse(ti, &as, &kind, &group, mc);
	if (r)
		goto bad;
	mc->drive = model_drive_get(ti, group, kind, mc->capacity_arg);
	if (IS_ERR(mc->drive)) {
		r = PTR_ERR(mc->drive);
		goto bad;
	}
	r = model_fits(ti, mc);
	if (r)
		goto bad_drive;
	r = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table), &mc->dev);
	if (r) {
		ti->error = "Device lookup failed";
		goto bad_drive;
	}
	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_secure_erase_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct model_io);
	ti->private = mc;
	return 0;

bad_drive:
	model_drive_put(mc->drive);
bad:
	kfree(mc);
	return r;
}

/* Process context; the table's I/O has ended. */
static void model_dtr(struct dm_target *ti)
{
	struct model_c *mc = ti->private;

	dm_put_device(ti, mc->dev);
	model_drive_put(mc->drive);
	kfree(mc);
}

/*
 * model_map - charge the bio and send it down at once.  Does not sleep
 * (dm may call it in atomic context, and for REQ_NOWAIT bios).
 */
static int model_map(struct dm_target *ti, struct bio *bio)
{
	struct model_c *mc = ti->private;
	struct model_io *io = dm_per_bio_data(bio, sizeof(*io));

	bio_set_dev(bio, mc->dev->bdev);
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	io->held = false;
	io->finish = model_charge(mc, bio);
	return DM_MAPIO_REMAPPED;
}

/*
 * model_end_io - the real I/O ended: hold the bio until the modelled
 * finish, unless that has passed.  A REQ_NOWAIT bio that would have
 * blocked ends at once (its charge stays).  Any context.
 */
static int model_end_io(struct dm_target *ti, struct bio *bio,
			blk_status_t *error)
{
	struct model_c *mc = ti->private;
	struct model_io *io = dm_per_bio_data(bio, sizeof(*io));

	if (io->held || *error == BLK_STS_AGAIN || ktime_get_ns() >= io->finish)
		return DM_ENDIO_DONE;
	io->held = true;
	model_hold(mc->drive, io);
	return DM_ENDIO_INCOMPLETE;
}

/* Called with the drive's lock held. */
static void model_emit_stats(const struct model_stats *s, char *result,
			     unsigned int maxlen, unsigned int *sz_p)
{
	unsigned int sz = *sz_p;

	DMEMIT(" %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
	       s->requests, s->read_bytes, s->written_bytes,
	       div_u64(s->busy, NSEC_PER_USEC), div_u64(s->wait, NSEC_PER_USEC),
	       div_u64(s->seek, NSEC_PER_USEC),
	       div_u64(s->rotation, NSEC_PER_USEC),
	       div_u64(s->transfer, NSEC_PER_USEC),
	       div_u64(s->flash, NSEC_PER_USEC),
	       div_u64(s->flush, NSEC_PER_USEC));
	*sz_p = sz;
}

/* Process context; takes the drive's lock for the counters. */
static void model_status(struct dm_target *ti, status_type_t type,
			 unsigned int status_flags, char *result,
			 unsigned int maxlen)
{
	struct model_c *mc = ti->private;
	struct model_drive *d = mc->drive;
	unsigned long flags;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		DMEMIT("%s %s table", model_kind_names[d->kind], d->name);
		spin_lock_irqsave(&d->lock, flags);
		model_emit_stats(&mc->stats, result, maxlen, &sz);
		DMEMIT(" drive");
		model_emit_stats(&d->stats, result, maxlen, &sz);
		spin_unlock_irqrestore(&d->lock, flags);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %s %s %llu", mc->dev->name, model_kind_names[d->kind],
		       d->name, (unsigned long long)mc->base);
		if (mc->capacity_arg)
			DMEMIT(" 2 capacity %llu",
			       (unsigned long long)mc->capacity_arg);
		break;
	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

/* "reset": zero this table's and its drive's counters.  Process context. */
static int model_message(struct dm_target *ti, unsigned int argc, char **argv,
			 char *result, unsigned int maxlen)
{
	struct model_c *mc = ti->private;
	struct model_drive *d = mc->drive;
	unsigned long flags;

	if (argc != 1 || strcasecmp(argv[0], "reset")) {
		DMERR("%s: unknown message (only: reset)", d->name);
		return -EINVAL;
	}
	spin_lock_irqsave(&d->lock, flags);
	memset(&mc->stats, 0, sizeof(mc->stats));
	memset(&d->stats, 0, sizeof(d->stats));
	spin_unlock_irqrestore(&d->lock, flags);
	return 0;
}

static int model_iterate_devices(struct dm_target *ti,
				 iterate_devices_callout_fn fn, void *data)
{
	struct model_c *mc = ti->private;

	return fn(ti, mc->dev, 0, ti->len, data);
}

static struct target_type model_target = {
	.name = "model",
	.version = {1, 0, 0},
	.features = DM_TARGET_NOWAIT,
	.module = THIS_MODULE,
	.ctr = model_ctr,
	.dtr = model_dtr,
	.map = model_map,
	.end_io = model_end_io,
	.status = model_status,
	.message = model_message,
	.iterate_devices = model_iterate_devices,
};
module_dm(model);

MODULE_DESCRIPTION(DM_NAME " storage model (hard disk, SSD) for tests");
MODULE_LICENSE("GPL");
