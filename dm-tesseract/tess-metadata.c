// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: the pool's metadata, on dm-persistent-data.
 *
 * On-disk layout (for tools/tess-check), all little-endian, 4 KiB blocks
 * on the metadata device; every checksum is dm_bm_checksum(): crc32c
 * seeded with 0xffffffff (no final inversion) over the block from byte 4
 * to its end, xor a per-kind constant, in bytes 0..3; every block but the
 * superblock is one of dm-persistent-data's, exactly as in dm-thin's
 * metadata (drivers/md/persistent-data/):
 *
 * - Block 0: struct tess_md_super_disk (tess-metadata.h), xor
 *   TESS_MD_SB_CSUM_XOR, @blocknr 0.  All zeroes means "not formatted".
 *   Rewritten in place, last, by every commit.  trans_id is 0 when
 *   formatted and + 1 per commit; nr_disks counts the top-level entries.
 *
 * - metadata_space_map_root: struct disk_sm_root { __le64 nr_blocks,
 *   nr_allocated, bitmap_root, ref_count_root } of a dm_sm_metadata over
 *   the metadata device's nr_blocks blocks.  bitmap_root is one index
 *   block (struct disk_metadata_index: csum xor 160478, padding, blocknr,
 *   255 x struct disk_index_entry { __le64 blocknr; __le32 nr_free,
 *   none_free_before }).
 *
 * - store_space_map_root: the same struct, of a dm_sm_disk over the
 *   store's store_nr_blocks blocks; its bitmap_root is a btree (below)
 *   of disk_index_entry values (16 bytes) keyed by bitmap number.  The
 *   count of a store block is the number of remaps that name it; block 0
 *   (the store's superblock) is never counted.
 *
 * - In both space maps: bitmap blocks (header: csum xor 240779, __le32
 *   unused, __le64 blocknr; then 2 bits per block, (4096 - 16) * 4 blocks
 *   per bitmap, block b at bit pair 2 * (b % 32) of __le64 word b / 32:
 *   the lower bit number is the high bit of the count), values 0..2 the
 *   count, 3 "look it up in ref_count_root": a btree of __le32 counts
 *   keyed by block.
 *
 * - Btree nodes (dm-btree): struct node_header { __le32 csum (xor
 *   121107), flags (1 internal, 2 leaf), __le64 blocknr, __le32
 *   nr_entries, max_entries, value_size, padding }, then max_entries
 *   __le64 keys in ascending order, then max_entries values; an internal
 *   node's values are __le64 child blocks.
 *
 * - remap_root: a two-level btree.  Top level: key = disk id
 *   (0..2^24-1), value = __le64 root block of the disk's subtree.  Bottom
 *   level, one subtree per disk: key = disk block (4 KiB units of the
 *   disk), value = __le64 store block (1 .. store_nr_blocks - 1).  A disk
 *   without remaps has an empty subtree (a leaf without entries).
 *
 * Reference counting: an insert increments the store block's count;
 * dm-btree's value type callbacks decrement it when a remap is
 * overwritten, removed, or its disk deleted (dm_btree_del of the subtree
 * through the top level's dec callback), as dm-thin does for data blocks.
 * So after every commit each store block's count equals the number of
 * remaps, over all disks, that name it.
 */
#include <linux/device-mapper.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "persistent-data/dm-block-manager.h"
#include "persistent-data/dm-btree.h"
#include "persistent-data/dm-space-map-disk.h"
#include "persistent-data/dm-space-map-metadata.h"
#include "persistent-data/dm-transaction-manager.h"

#include "tess-metadata.h"

#define DM_MSG_PREFIX "tesseract metadata"

#define TESS_MD_SB_LOCATION	0
#define TESS_MD_SECTORS		(TESS_MD_BLOCK_SIZE >> SECTOR_SHIFT)
/*
 * Block locks one thread may hold, as dm-thin's THIN_MAX_CONCURRENT_LOCKS
 * (enforced only with CONFIG_DM_DEBUG_BLOCK_MANAGER_LOCKING).
 */
#define TESS_MD_MAX_LOCKS	5

/* Bits of tess_metadata.state. */
enum {
	TESS_MD_FAILED,		/* see tess-metadata.h; cleared by abort */
};

struct tess_metadata {
	struct dm_block_manager *bm;		/* set at open, never changes */
	u64 dev_blocks;				/* of the metadata device */
	u64 store_nr_blocks;			/* as given to tess_md_open() */
	u8 uuid[16];				/* the store's */

	unsigned long state;			/* TESS_MD_FAILED: atomic bitops */

	/*
	 * Writers (every change, commit, abort) hold @lock for write,
	 * lookups and iterators for read.  It guards every field below:
	 * the persistent-data objects (NULL once an abort could not reopen),
	 * the roots and the counters of the open transaction.
	 */
	struct rw_semaphore lock;
	struct dm_transaction_manager *tm;
	struct dm_space_map *metadata_sm;
	struct dm_space_map *store_sm;
	struct dm_btree_info info;	/* (disk, block) -> store block */
	struct dm_btree_info tl_info;	/* disk -> subtree root */
	struct dm_btree_info bl_info;	/* block -> store block, one disk */
	dm_block_t remap_root;
	u64 trans_id;			/* of the last commit */
	u64 nr_blocks;			/* metadata blocks, as formatted */
	u32 nr_disks;
	u32 flags;			/* TESS_MD_NEEDS_CHECK */
	int vt_error;			/* first error of a value callback */
};

/*----------------------------------------------------------------*/
/* Superblock validator. */

static void sb_prepare_for_write(const struct dm_block_validator *v,
				 struct dm_block *b, size_t block_size)
{
	struct tess_md_super_disk *sb = dm_block_data(b);

	sb->blocknr = cpu_to_le64(dm_block_location(b));
	sb->csum = cpu_to_le32(dm_bm_checksum(&sb->flags,
					      block_size - sizeof(__le32),
					      TESS_MD_SB_CSUM_XOR));
}

/*
 * A block 0 that is not ours at all (another magic) is -EINVAL; one of
 * ours that does not check out is damaged: -EILSEQ, -ENOTBLK as dm-thin,
 * which tess_md_open() reports as -EIO.
 */
static int sb_check(const struct dm_block_validator *v, struct dm_block *b,
		    size_t block_size)
{
	struct tess_md_super_disk *sb = dm_block_data(b);
	__le32 csum;

	if (le64_to_cpu(sb->magic) != TESS_MD_MAGIC) {
		DMERR("superblock: magic %llx, wanted %llx",
		      le64_to_cpu(sb->magic), TESS_MD_MAGIC);
		return -EINVAL;
	}
	if (le64_to_cpu(sb->blocknr) != dm_block_location(b)) {
		DMERR("superblock: blocknr %llu, wanted %llu",
		      le64_to_cpu(sb->blocknr), dm_block_location(b));
		return -ENOTBLK;
	}
	csum = cpu_to_le32(dm_bm_checksum(&sb->flags,
					  block_size - sizeof(__le32),
					  TESS_MD_SB_CSUM_XOR));
	if (csum != sb->csum) {
		DMERR("superblock: checksum %x, wanted %x",
		      le32_to_cpu(sb->csum), le32_to_cpu(csum));
		return -EILSEQ;
	}
	return 0;
}

static const struct dm_block_validator sb_validator = {
	.name = "tesseract superblock",
	.prepare_for_write = sb_prepare_for_write,
	.check = sb_check,
};

/*----------------------------------------------------------------*/
/*
 * Value types.  dm-btree's callbacks return nothing, so an error of the
 * space map lands in md->vt_error, which md_result() turns into the
 * btree call's error (and the failed state): a lost reference change is
 * damage.
 */

static void vt_note(struct tess_metadata *md, int r)
{
	if (r && !md->vt_error)
		md->vt_error = r;
}

/* Call @fn on each run of consecutive store blocks in @count values. */
static void store_runs(struct tess_metadata *md, const void *values,
		       unsigned int count,
		       int (*fn)(struct dm_space_map *, dm_block_t, dm_block_t))
{
	const __le64 *v = values;
	u64 begin = 0, end = 0, b;
	unsigned int i;

	for (i = 0; i < count; i++) {
		b = le64_to_cpu(v[i]);
		if (end && b == end) {
			end++;
			continue;
		}
		if (end)
			vt_note(md, fn(md->store_sm, begin, end));
		begin = b;
		end = b + 1;
	}
	if (end)
		vt_note(md, fn(md->store_sm, begin, end));
}

static void store_inc(void *context, const void *values, unsigned int count)
{
	store_runs(context, values, count, dm_sm_inc_blocks);
}

static void store_dec(void *context, const void *values, unsigned int count)
{
	store_runs(context, values, count, dm_sm_dec_blocks);
}

static void subtree_inc(void *context, const void *values, unsigned int count)
{
	struct tess_metadata *md = context;
	const __le64 *v = values;
	unsigned int i;

	for (i = 0; i < count; i++)
		dm_tm_inc(md->tm, le64_to_cpu(v[i]));
}

/* Deleting a disk's subtree drops the references of all its remaps. */
static void subtree_dec(void *context, const void *values, unsigned int count)
{
	struct tess_metadata *md = context;
	const __le64 *v = values;
	unsigned int i;

	for (i = 0; i < count; i++)
		vt_note(md, dm_btree_del(&md->bl_info, le64_to_cpu(v[i])));
}

/*
 * No .equal for store values: dm_btree_insert() then drops the reference
 * of every value it overwrites, the same block included, and
 * tess_md_insert() takes the new one first.  That keeps counts exact
 * whether the key is new, remapped elsewhere or remapped to the same block.
 */
static void setup_btrees(struct tess_metadata *md)
{
	md->info.tm = md->tm;
	md->info.levels = 2;
	md->info.value_type.context = md;
	md->info.value_type.size = sizeof(__le64);
	md->info.value_type.inc = store_inc;
	md->info.value_type.dec = store_dec;
	md->info.value_type.equal = NULL;

	md->bl_info = md->info;
	md->bl_info.levels = 1;

	md->tl_info.tm = md->tm;
	md->tl_info.levels = 1;
	md->tl_info.value_type.context = md;
	md->tl_info.value_type.size = sizeof(__le64);
	md->tl_info.value_type.inc = subtree_inc;
	md->tl_info.value_type.dec = subtree_dec;
	md->tl_info.value_type.equal = NULL;
}

/*----------------------------------------------------------------*/
/* The failed state. */

static bool md_is_failed(struct tess_metadata *md)
{
	return test_bit(TESS_MD_FAILED, &md->state);
}

static void md_fail(struct tess_metadata *md, const char *op, int r)
{
	if (!test_and_set_bit(TESS_MD_FAILED, &md->state))
		DMERR("%s failed (%d): metadata failed until aborted", op, r);
}

/*
 * The result of a persistent-data call made under the write lock: a
 * value callback's error counts as the call's, and any error fails the
 * metadata (the transaction may hold half of the change).
 */
static int md_result(struct tess_metadata *md, const char *op, int r)
{
	if (!r)
		r = md->vt_error;
	md->vt_error = 0;
	if (r)
		md_fail(md, op, r);
	return r;
}

/* A lookup's result: -ENODATA is an answer, any other error is damage. */
static int md_lookup_result(struct tess_metadata *md, const char *op, int r)
{
	if (r && r != -ENODATA)
		md_fail(md, op, r);
	return r;
}

/*----------------------------------------------------------------*/
/* Superblock, format, open, commit. */

static int superblock_all_zeroes(struct dm_block_manager *bm, bool *zero)
{
	struct dm_block *b;
	const u64 *data;
	unsigned int i;
	int r;

	/* No validator: an unformatted block 0 would not pass it. */
	r = dm_bm_read_lock(bm, TESS_MD_SB_LOCATION, NULL, &b);
	if (r)
		return r;
	data = dm_block_data(b);
	*zero = true;
	for (i = 0; i < TESS_MD_BLOCK_SIZE / sizeof(*data); i++) {
		if (data[i]) {
			*zero = false;
			break;
		}
	}
	dm_bm_unlock(b);
	return 0;
}

static void destroy_pd(struct tess_metadata *md)
{
	if (md->store_sm)
		dm_sm_destroy(md->store_sm);
	md->store_sm = NULL;
	if (md->tm)
		dm_tm_destroy(md->tm);
	md->tm = NULL;
	if (md->metadata_sm)
		dm_sm_destroy(md->metadata_sm);
	md->metadata_sm = NULL;
}

/*
 * Write the superblock of a new transaction: the space maps' roots are
 * taken after they committed (the metadata one in dm_tm_pre_commit()),
 * then block 0 is written and flushed last by dm_tm_commit().
 */
static int write_super(struct tess_metadata *md, bool zero, u64 trans_id)
{
	u8 meta_root[SPACE_MAP_ROOT_SIZE] = {};
	u8 store_root[SPACE_MAP_ROOT_SIZE] = {};
	struct tess_md_super_disk *sb;
	struct dm_block *sblock;
	int r;

	/* One sector: the superblock is written whole or not at all. */
	BUILD_BUG_ON(sizeof(struct tess_md_super_disk) > 512);
	r = dm_sm_commit(md->store_sm);
	if (r)
		return r;
	r = dm_tm_pre_commit(md->tm);
	if (r)
		return r;
	r = dm_sm_copy_root(md->metadata_sm, meta_root, sizeof(meta_root));
	if (!r)
		r = dm_sm_copy_root(md->store_sm, store_root, sizeof(store_root));
	if (r)
		return r;

	if (zero)
		r = dm_bm_write_lock_zero(md->bm, TESS_MD_SB_LOCATION,
					  &sb_validator, &sblock);
	else
		r = dm_bm_write_lock(md->bm, TESS_MD_SB_LOCATION,
				     &sb_validator, &sblock);
	if (r)
		return r;

	sb = dm_block_data(sblock);
	sb->flags = cpu_to_le32(md->flags);
	memcpy(sb->uuid, md->uuid, sizeof(sb->uuid));
	sb->magic = cpu_to_le64(TESS_MD_MAGIC);
	sb->version = cpu_to_le32(TESS_MD_VERSION);
	sb->block_size = cpu_to_le32(TESS_MD_SECTORS);
	sb->nr_blocks = cpu_to_le64(md->nr_blocks);
	sb->trans_id = cpu_to_le64(trans_id);
	sb->store_nr_blocks = cpu_to_le64(md->store_nr_blocks);
	sb->store_block_size = cpu_to_le32(TESS_MD_SECTORS);
	sb->nr_disks = cpu_to_le32(md->nr_disks);
	memcpy(sb->metadata_space_map_root, meta_root, sizeof(meta_root));
	memcpy(sb->store_space_map_root, store_root, sizeof(store_root));
	sb->remap_root = cpu_to_le64(md->remap_root);

	r = dm_tm_commit(md->tm, sblock);
	if (!r)
		md->trans_id = trans_id;
	return r;
}

static int format(struct tess_metadata *md, char **error)
{
	dm_block_t nr_blocks;
	int r;

	r = dm_tm_create_with_sm(md->bm, TESS_MD_SB_LOCATION, &md->tm,
				 &md->metadata_sm);
	if (r) {
		md->tm = NULL;
		md->metadata_sm = NULL;
		*error = "Cannot create metadata space map";
		return r;
	}
	md->store_sm = dm_sm_disk_create(md->tm, md->store_nr_blocks);
	if (IS_ERR(md->store_sm)) {
		r = PTR_ERR(md->store_sm);
		md->store_sm = NULL;
		*error = r == -ENOSPC ? "Metadata device too small for the store" :
					"Cannot create store space map";
		goto bad;
	}
	r = dm_sm_get_nr_blocks(md->metadata_sm, &nr_blocks);
	if (r)
		goto bad_write;
	md->nr_blocks = nr_blocks;
	setup_btrees(md);
	r = dm_btree_empty(&md->tl_info, &md->remap_root);
	if (r)
		goto bad_write;
	md->nr_disks = 0;
	md->flags = 0;
	r = write_super(md, true, 0);
	if (r)
		goto bad_write;
	return 0;

bad_write:
	*error = r == -ENOSPC ? "Metadata device too small for the store" :
				"Cannot write the metadata superblock";
bad:
	destroy_pd(md);
	return r;
}

/* Is @sb a superblock of this pool on this device? */
static int check_super(struct tess_metadata *md,
		       const struct tess_md_super_disk *sb, char **error)
{
	if (le32_to_cpu(sb->version) != TESS_MD_VERSION) {
		DMERR("superblock version %u, this is %u",
		      le32_to_cpu(sb->version), TESS_MD_VERSION);
		*error = "Unsupported metadata version";
		return -EINVAL;
	}
	if (le32_to_cpu(sb->block_size) != TESS_MD_SECTORS ||
	    le32_to_cpu(sb->store_block_size) != TESS_MD_SECTORS) {
		DMERR("block sizes %u/%u sectors, expected %u",
		      le32_to_cpu(sb->block_size),
		      le32_to_cpu(sb->store_block_size), TESS_MD_SECTORS);
		*error = "Unsupported metadata or store block size";
		return -EINVAL;
	}
	if (memcmp(sb->uuid, md->uuid, sizeof(sb->uuid))) {
		DMERR("metadata of pool %pU, store of pool %pU",
		      sb->uuid, md->uuid);
		*error = "Metadata belongs to another store";
		return -EINVAL;
	}
	if (le64_to_cpu(sb->store_nr_blocks) != md->store_nr_blocks) {
		DMERR("metadata for a store of %llu blocks, store has %llu",
		      le64_to_cpu(sb->store_nr_blocks), md->store_nr_blocks);
		*error = "Metadata is for a store of another size";
		return -EINVAL;
	}
	if (le64_to_cpu(sb->nr_blocks) < TESS_MD_MIN_BLOCKS ||
	    le64_to_cpu(sb->nr_blocks) > md->dev_blocks) {
		DMERR("metadata of %llu blocks on a device of %llu",
		      le64_to_cpu(sb->nr_blocks), md->dev_blocks);
		*error = "Metadata device smaller than its metadata";
		return -EINVAL;
	}
	return 0;
}

static int open_pd(struct tess_metadata *md, const struct tess_md_super_disk *sb,
		   char **error)
{
	dm_block_t n;
	int r;

	r = dm_tm_open_with_sm(md->bm, TESS_MD_SB_LOCATION,
			       (void *)sb->metadata_space_map_root,
			       sizeof(sb->metadata_space_map_root),
			       &md->tm, &md->metadata_sm);
	if (r) {
		md->tm = NULL;
		md->metadata_sm = NULL;
		*error = "Cannot open metadata space map";
		return r;
	}
	md->store_sm = dm_sm_disk_open(md->tm, (void *)sb->store_space_map_root,
				       sizeof(sb->store_space_map_root));
	if (IS_ERR(md->store_sm)) {
		r = PTR_ERR(md->store_sm);
		md->store_sm = NULL;
		*error = "Cannot open store space map";
		goto bad;
	}
	r = dm_sm_get_nr_blocks(md->store_sm, &n);
	if (!r && n != md->store_nr_blocks) {
		DMERR("store space map of %llu blocks, superblock says %llu",
		      n, md->store_nr_blocks);
		r = -EIO;
	}
	if (r) {
		*error = "Store space map damaged";
		goto bad;
	}
	setup_btrees(md);
	md->remap_root = le64_to_cpu(sb->remap_root);
	md->trans_id = le64_to_cpu(sb->trans_id);
	md->nr_blocks = le64_to_cpu(sb->nr_blocks);
	md->nr_disks = le32_to_cpu(sb->nr_disks);
	/* An in-core needs_check survives an abort. */
	md->flags |= le32_to_cpu(sb->flags);
	return 0;

bad:
	destroy_pd(md);
	return r;
}

/* Open the persistent-data objects at the last commit. */
static int open_existing(struct tess_metadata *md, char **error)
{
	struct dm_block *sblock;
	int r;

	r = dm_bm_read_lock(md->bm, TESS_MD_SB_LOCATION, &sb_validator, &sblock);
	if (r) {
		if (r == -EINVAL) {
			*error = "Not tesseract metadata (bad magic)";
		} else {
			*error = "Metadata superblock damaged or unreadable";
			if (r == -EILSEQ || r == -ENOTBLK)
				r = -EIO;
		}
		return r;
	}
	r = check_super(md, dm_block_data(sblock), error);
	if (!r)
		r = open_pd(md, dm_block_data(sblock), error);
	dm_bm_unlock(sblock);
	return r;
}

static int open_or_format(struct tess_metadata *md, bool *formatted,
			  char **error)
{
	bool zero;
	int r;

	r = superblock_all_zeroes(md->bm, &zero);
	if (r) {
		*error = "Cannot read the metadata superblock";
		return r;
	}
	if (formatted)
		*formatted = zero;
	return zero ? format(md, error) : open_existing(md, error);
}

/*
 * tess_md_open() with the metadata device's size in blocks given, so
 * that KUnit can check the size rules on a device of any size.
 */
struct tess_metadata *tess_md_open_blocks(struct block_device *bdev,
					  u64 dev_blocks, u64 store_nr_blocks,
					  const u8 *store_uuid, bool *formatted,
					  char **error)
{
	struct tess_metadata *md;
	int r;

	if (dev_blocks < TESS_MD_MIN_BLOCKS) {
		DMERR("metadata device of %llu blocks, %u needed",
		      dev_blocks, TESS_MD_MIN_BLOCKS);
		*error = "Metadata device too small";
		return ERR_PTR(-ENOSPC);
	}
	if (store_nr_blocks < 2) {
		DMERR("store of %llu blocks", store_nr_blocks);
		*error = "Store too small";
		return ERR_PTR(-EINVAL);
	}
	md = kzalloc(sizeof(*md), GFP_KERNEL);
	if (!md) {
		*error = "Cannot allocate metadata";
		return ERR_PTR(-ENOMEM);
	}
	init_rwsem(&md->lock);
	md->dev_blocks = min_t(u64, dev_blocks, DM_SM_METADATA_MAX_BLOCKS);
	md->store_nr_blocks = store_nr_blocks;
	memcpy(md->uuid, store_uuid, sizeof(md->uuid));

	md->bm = dm_block_manager_create(bdev, TESS_MD_BLOCK_SIZE,
					 TESS_MD_MAX_LOCKS);
	if (IS_ERR(md->bm)) {
		r = PTR_ERR(md->bm);
		*error = "Cannot create metadata block manager";
		goto bad;
	}
	r = open_or_format(md, formatted, error);
	if (r) {
		dm_block_manager_destroy(md->bm);
		goto bad;
	}
	return md;

bad:
	DMERR("%s (%d)", *error, r);
	kfree(md);
	return ERR_PTR(r);
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_open_blocks);

struct tess_metadata *tess_md_open(struct block_device *bdev,
				   u64 store_nr_blocks, const u8 *store_uuid,
				   bool *formatted, char **error)
{
	return tess_md_open_blocks(bdev, bdev_nr_bytes(bdev) / TESS_MD_BLOCK_SIZE,
				   store_nr_blocks, store_uuid, formatted,
				   error);
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_open);

static int __commit(struct tess_metadata *md)
{
	int r;

	if (md_is_failed(md))
		return -EIO;
	r = write_super(md, false, md->trans_id + 1);
	return md_result(md, "commit", r);
}

/* Drop the objects and the block manager; what was not committed is lost. */
void tess_md_destroy(struct tess_metadata *md)
{
	destroy_pd(md);
	dm_block_manager_destroy(md->bm);
	kfree(md);
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_destroy);

/*
 * No commit here: the caller commits when what the metadata is about to
 * name is durable (tess_md_commit()), and only then.
 */
void tess_md_close(struct tess_metadata *md)
{
	tess_md_destroy(md);
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_close);

int tess_md_commit(struct tess_metadata *md)
{
	int r;

	down_write(&md->lock);
	r = __commit(md);
	up_write(&md->lock);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_commit);

/*
 * As dm_pool_abort_metadata(): drop the objects, forget every cached
 * block (dirty ones of the open transaction included), reopen from the
 * superblock of the last commit.
 */
int tess_md_abort(struct tess_metadata *md)
{
	char *error = NULL;
	int r;

	down_write(&md->lock);
	destroy_pd(md);
	md->vt_error = 0;
	dm_block_manager_reset(md->bm);
	r = open_existing(md, &error);
	if (r) {
		DMERR("abort: %s (%d)", error, r);
		set_bit(TESS_MD_FAILED, &md->state);
	} else {
		clear_bit(TESS_MD_FAILED, &md->state);
	}
	up_write(&md->lock);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_abort);

bool tess_md_failed(struct tess_metadata *md)
{
	return md_is_failed(md);
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_failed);

/*
 * The flag goes into the superblock of the last commit, in place: that
 * block names nothing of the open transaction, so writing it now is safe,
 * and the flush makes it durable without a commit (which a failed
 * metadata cannot do).  A later commit keeps it: it writes md->flags.
 */
int tess_md_set_needs_check(struct tess_metadata *md)
{
	struct tess_md_super_disk *sb;
	struct dm_block *sblock;
	int r;

	down_write(&md->lock);
	md->flags |= TESS_MD_NEEDS_CHECK;
	r = dm_bm_write_lock(md->bm, TESS_MD_SB_LOCATION, &sb_validator,
			     &sblock);
	if (!r) {
		sb = dm_block_data(sblock);
		sb->flags = cpu_to_le32(le32_to_cpu(sb->flags) |
					TESS_MD_NEEDS_CHECK);
		dm_bm_unlock(sblock);
		r = dm_bm_flush(md->bm);
	}
	if (r)
		md_fail(md, "set_needs_check", r);
	up_write(&md->lock);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_set_needs_check);

bool tess_md_needs_check(struct tess_metadata *md)
{
	bool r;

	down_read(&md->lock);
	r = md->flags & TESS_MD_NEEDS_CHECK;
	up_read(&md->lock);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_needs_check);

/*----------------------------------------------------------------*/
/* Disks. */

/* Look disk @id up in the top level; *@root gets its subtree's root. */
static int disk_root(struct tess_metadata *md, u32 id, dm_block_t *root)
{
	u64 key = id;
	__le64 v;
	int r;

	r = dm_btree_lookup(&md->tl_info, md->remap_root, &key, &v);
	if (!r && root)
		*root = le64_to_cpu(v);
	return md_lookup_result(md, "disk lookup", r);
}

int tess_md_create_disk(struct tess_metadata *md, u32 id)
{
	dm_block_t sub;
	u64 key = id;
	__le64 v;
	int r;

	if (id > TESS_MD_MAX_DISK_ID)
		return -EINVAL;
	down_write(&md->lock);
	r = -EIO;
	if (md_is_failed(md))
		goto out;
	r = disk_root(md, id, NULL);
	if (!r)
		r = -EEXIST;
	if (r != -ENODATA)
		goto out;
	r = dm_btree_empty(&md->bl_info, &sub);
	if (!r) {
		v = cpu_to_le64(sub);
		__dm_bless_for_disk(&v);
		r = dm_btree_insert(&md->tl_info, md->remap_root, &key, &v,
				    &md->remap_root);
	}
	r = md_result(md, "create_disk", r);
	if (!r)
		md->nr_disks++;
out:
	up_write(&md->lock);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_create_disk);

int tess_md_delete_disk(struct tess_metadata *md, u32 id)
{
	u64 key = id;
	int r;

	if (id > TESS_MD_MAX_DISK_ID)
		return -EINVAL;
	down_write(&md->lock);
	r = -EIO;
	if (md_is_failed(md))
		goto out;
	/*
	 * dm_btree_remove() of a missing key has already shadowed the
	 * spine when it finds out, and leaves the root unchanged: never
	 * call it for a key that is not there.
	 */
	r = disk_root(md, id, NULL);
	if (r)
		goto out;
	r = dm_btree_remove(&md->tl_info, md->remap_root, &key,
			    &md->remap_root);
	r = md_result(md, "delete_disk", r);
	if (!r)
		md->nr_disks--;
out:
	up_write(&md->lock);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_delete_disk);

bool tess_md_disk_exists(struct tess_metadata *md, u32 id)
{
	int r = -EIO;

	if (id > TESS_MD_MAX_DISK_ID)
		return false;
	down_read(&md->lock);
	if (md->tm)
		r = disk_root(md, id, NULL);
	up_read(&md->lock);
	return !r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_disk_exists);

struct walk_ctx {
	union {
		int (*disk_fn)(void *ctx, u32 id);
		int (*remap_fn)(void *ctx, u64 block, u64 store);
	};
	void *ctx;
	bool stopped;		/* the callback returned != 0 */
};

static int walk_disk(void *context, u64 *keys, void *leaf)
{
	struct walk_ctx *w = context;
	int r = w->disk_fn(w->ctx, keys[0]);

	w->stopped = r;
	return r;
}

static int walk_remap(void *context, u64 *keys, void *leaf)
{
	struct walk_ctx *w = context;
	__le64 v;
	int r;

	memcpy(&v, leaf, sizeof(v));
	r = w->remap_fn(w->ctx, keys[0], le64_to_cpu(v));
	w->stopped = r;
	return r;
}

/* dm_btree_walk() under the read lock; its own errors fail the metadata. */
static int walk(struct tess_metadata *md, struct dm_btree_info *info,
		dm_block_t root, int (*fn)(void *, u64 *, void *),
		struct walk_ctx *w)
{
	int r = dm_btree_walk(info, root, fn, w);

	if (r && !w->stopped)
		md_fail(md, "walk", r);
	return r;
}

/*
 * The name in parentheses, here and below: checkpatch reads "for_each...("
 * followed by a brace on the next line as a loop macro.
 */
int (tess_md_for_each_disk)(struct tess_metadata *md,
			    int (*fn)(void *ctx, u32 id), void *ctx)
{
	struct walk_ctx w = { .disk_fn = fn, .ctx = ctx };
	int r = -EIO;

	down_read(&md->lock);
	if (md->tm)
		r = walk(md, &md->tl_info, md->remap_root, walk_disk, &w);
	up_read(&md->lock);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_for_each_disk);

/*----------------------------------------------------------------*/
/* Remaps. */

int tess_md_insert(struct tess_metadata *md, u32 id, u64 block, u64 store)
{
	u64 keys[2] = { id, block };
	__le64 v;
	int r;

	if (id > TESS_MD_MAX_DISK_ID || !store || store >= md->store_nr_blocks)
		return -EINVAL;
	down_write(&md->lock);
	r = -EIO;
	if (md_is_failed(md))
		goto out;
	/* A missing disk would be created by dm_btree_insert(). */
	r = disk_root(md, id, NULL);
	if (r)
		goto out;
	/* The new reference first, see setup_btrees(). */
	r = dm_sm_inc_block(md->store_sm, store);
	if (!r) {
		v = cpu_to_le64(store);
		__dm_bless_for_disk(&v);
		r = dm_btree_insert(&md->info, md->remap_root, keys, &v,
				    &md->remap_root);
	}
	r = md_result(md, "insert", r);
out:
	up_write(&md->lock);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_insert);

int tess_md_remove(struct tess_metadata *md, u32 id, u64 block)
{
	u64 keys[2] = { id, block };
	__le64 v;
	int r;

	if (id > TESS_MD_MAX_DISK_ID)
		return -EINVAL;
	down_write(&md->lock);
	r = -EIO;
	if (md_is_failed(md))
		goto out;
	/* Never dm_btree_remove() a missing key: see delete_disk. */
	r = dm_btree_lookup(&md->info, md->remap_root, keys, &v);
	r = md_lookup_result(md, "remove lookup", r);
	if (r)
		goto out;
	r = dm_btree_remove(&md->info, md->remap_root, keys, &md->remap_root);
	r = md_result(md, "remove", r);
out:
	up_write(&md->lock);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_remove);

int tess_md_lookup(struct tess_metadata *md, u32 id, u64 block, u64 *store)
{
	u64 keys[2] = { id, block };
	__le64 v;
	int r = -EIO;

	if (id > TESS_MD_MAX_DISK_ID)
		return -EINVAL;
	down_read(&md->lock);
	if (md->tm) {
		r = dm_btree_lookup(&md->info, md->remap_root, keys, &v);
		r = md_lookup_result(md, "lookup", r);
	}
	up_read(&md->lock);
	if (!r)
		*store = le64_to_cpu(v);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_lookup);

int (tess_md_for_each_remap)(struct tess_metadata *md, u32 id,
			     int (*fn)(void *ctx, u64 block, u64 store),
			     void *ctx)
{
	struct walk_ctx w = { .remap_fn = fn, .ctx = ctx };
	dm_block_t root;
	int r = -EIO;

	if (id > TESS_MD_MAX_DISK_ID)
		return -EINVAL;
	down_read(&md->lock);
	if (md->tm)
		r = disk_root(md, id, &root);
	if (!r)
		r = walk(md, &md->bl_info, root, walk_remap, &w);
	up_read(&md->lock);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_for_each_remap);

/*----------------------------------------------------------------*/
/* Store references and usage. */

int tess_md_store_refs(struct tess_metadata *md, u64 store, u32 *count)
{
	int r = -EIO;

	if (store >= md->store_nr_blocks)
		return -EINVAL;
	down_read(&md->lock);
	if (md->tm) {
		r = dm_sm_get_count(md->store_sm, store, count);
		if (r)
			md_fail(md, "store_refs", r);
	}
	up_read(&md->lock);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_store_refs);

/*
 * The space map has no "next used block", so this asks each block in
 * turn, and stops once it has seen as many as the space map has in use.
 */
int (tess_md_for_each_store_ref)(struct tess_metadata *md,
				 int (*fn)(void *ctx, u64 store, u32 count),
				 void *ctx)
{
	dm_block_t nr_free, used, seen = 0, b;
	u32 count;
	int r = -EIO;

	down_read(&md->lock);
	if (!md->tm)
		goto out;
	r = dm_sm_get_nr_free(md->store_sm, &nr_free);
	if (r)
		goto bad;
	used = md->store_nr_blocks - nr_free;
	for (b = 1; seen < used && b < md->store_nr_blocks; b++) {
		r = dm_sm_get_count(md->store_sm, b, &count);
		if (r)
			goto bad;
		if (!count)
			continue;
		seen++;
		r = fn(ctx, b, count);
		if (r)
			goto out;
		cond_resched();
	}
	goto out;
bad:
	md_fail(md, "for_each_store_ref", r);
out:
	up_read(&md->lock);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_for_each_store_ref);

int tess_md_get_usage(struct tess_metadata *md, struct tess_md_usage *u)
{
	dm_block_t meta_free, meta_total, store_free;
	int r = -EIO;

	down_read(&md->lock);
	if (!md->tm)
		goto out;
	r = dm_sm_get_nr_free(md->metadata_sm, &meta_free);
	if (!r)
		r = dm_sm_get_nr_blocks(md->metadata_sm, &meta_total);
	if (!r)
		r = dm_sm_get_nr_free(md->store_sm, &store_free);
	if (r) {
		md_fail(md, "get_usage", r);
		goto out;
	}
	u->trans_id = md->trans_id;
	u->metadata_used = meta_total - meta_free;
	u->metadata_total = meta_total;
	u->store_used = md->store_nr_blocks - store_free;
	/* Block 0 included, as in the superblock; it is never used. */
	u->store_total = md->store_nr_blocks;
	u->nr_disks = md->nr_disks;
out:
	up_read(&md->lock);
	return r;
}
EXPORT_SYMBOL_IF_KUNIT(tess_md_get_usage);
