// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: the store device: opening, superblock, formatting.
 */
#include <linux/dm-bufio.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "persistent-data/dm-block-manager.h"
#include "tess-store.h"
#include "tess-target.h"

#define TESS_SB_MAGIC		0x3174636573736574ULL	/* "tessect1" */
#define TESS_SB_CSUM_XOR	0x7e55e12a

struct tess_sb_disk {
	__le32 csum;		/* of the rest of the block */
	__le32 version;
	__le64 magic;
	__le64 nr_blocks;
	__le32 block_size;
	__le32 pad;
} __packed;

static __le32 tess_sb_csum(const void *block)
{
	return cpu_to_le32(dm_bm_checksum(block + sizeof(__le32),
					  TESS_BLOCK_SIZE - sizeof(__le32),
					  TESS_SB_CSUM_XOR));
}

static void tess_sb_format(void *block, u64 nr_blocks)
{
	struct tess_sb_disk *sb = block;

	memset(block, 0, TESS_BLOCK_SIZE);
	sb->version = cpu_to_le32(TESS_STORE_VERSION);
	sb->magic = cpu_to_le64(TESS_SB_MAGIC);
	sb->nr_blocks = cpu_to_le64(nr_blocks);
	sb->block_size = cpu_to_le32(TESS_BLOCK_SIZE);
	sb->csum = tess_sb_csum(block);
}

/* Check a superblock; on success *@nr_blocks is the store's block count. */
static int tess_sb_check(const char *path, const void *block, u64 dev_blocks,
			 u64 *nr_blocks)
{
	const struct tess_sb_disk *sb = block;

	if (sb->csum != tess_sb_csum(block)) {
		DMERR("store %s: superblock checksum mismatch", path);
		return -EIO;
	}
	if (le32_to_cpu(sb->version) != TESS_STORE_VERSION ||
	    le32_to_cpu(sb->block_size) != TESS_BLOCK_SIZE) {
		DMERR("store %s: unsupported version %u or block size %u",
		      path, le32_to_cpu(sb->version),
		      le32_to_cpu(sb->block_size));
		return -EINVAL;
	}
	*nr_blocks = le64_to_cpu(sb->nr_blocks);
	if (*nr_blocks > dev_blocks || *nr_blocks < TESS_STORE_MIN_BLOCKS) {
		DMERR("store %s: superblock says %llu blocks, device has %llu",
		      path, *nr_blocks, dev_blocks);
		return -EINVAL;
	}
	return 0;
}

/*
 * Read block 0: check it if it is ours, format it if the device is new
 * (block 0 all zeroes), refuse it otherwise.
 */
static int tess_sb_load(struct tess_store *s, const char *path,
			u64 dev_blocks)
{
	struct dm_bufio_client *c;
	struct dm_buffer *b;
	void *data;
	int r = 0;

	c = dm_bufio_client_create(s->bdev, TESS_BLOCK_SIZE, 1, 0, NULL, NULL, 0);
	if (IS_ERR(c))
		return PTR_ERR(c);

	data = dm_bufio_read(c, 0, &b);
	if (IS_ERR(data)) {
		r = PTR_ERR(data);
		DMERR("store %s: cannot read the superblock: %d", path, r);
		goto out;
	}

	if (le64_to_cpu(((struct tess_sb_disk *)data)->magic) == TESS_SB_MAGIC) {
		r = tess_sb_check(path, data, dev_blocks, &s->nr_blocks);
	} else if (!memchr_inv(data, 0, TESS_BLOCK_SIZE)) {
		tess_sb_format(data, dev_blocks);
		s->nr_blocks = dev_blocks;
		dm_bufio_mark_buffer_dirty(b);
		DMINFO("store %s: formatted, %llu blocks of %u bytes", path,
		       dev_blocks, TESS_BLOCK_SIZE);
	} else {
		DMERR("store %s: not a tesseract store, left alone; zero its first 4 KiB to use it",
		      path);
		r = -EINVAL;
	}
	dm_bufio_release(b);
	if (!r)
		r = dm_bufio_write_dirty_buffers(c);
	if (!r)
		r = dm_bufio_issue_flush(c);
out:
	dm_bufio_client_destroy(c);
	return r;
}

int tess_store_open(struct tess_store *s, const char *path)
{
	u64 dev_blocks;
	int r;

	memset(s, 0, sizeof(*s));
	s->bdev_file = bdev_file_open_by_path(path, BLK_OPEN_READ |
					      BLK_OPEN_WRITE | BLK_OPEN_EXCL,
					      s, NULL);
	if (IS_ERR(s->bdev_file)) {
		r = PTR_ERR(s->bdev_file);
		DMERR("store %s: cannot open: %d", path, r);
		return r;
	}
	s->bdev = file_bdev(s->bdev_file);

	/* Block numbers beyond 2^32 - 1 are not supported: use that much. */
	dev_blocks = min_t(u64, bdev_nr_bytes(s->bdev) / TESS_BLOCK_SIZE,
			   UINT_MAX);
	if (dev_blocks < TESS_STORE_MIN_BLOCKS) {
		DMERR("store %s: too small (%llu blocks, need %u)", path,
		      dev_blocks, TESS_STORE_MIN_BLOCKS);
		r = -EINVAL;
		goto bad;
	}

	r = tess_sb_load(s, path, dev_blocks);
	if (r)
		goto bad;

	r = tess_alloc_init(&s->alloc, 1, s->nr_blocks);
	if (r)
		goto bad;
	DMINFO("store %s: opened, %llu free blocks", path,
	       tess_alloc_nr_free(&s->alloc));
	return 0;

bad:
	bdev_fput(s->bdev_file);
	s->bdev_file = NULL;
	return r;
}

void tess_store_close(struct tess_store *s)
{
	tess_alloc_destroy(&s->alloc);
	bdev_fput(s->bdev_file);
	s->bdev_file = NULL;
}
