// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: the store device: superblock, formatting.
 */
#include <linux/dm-bufio.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "persistent-data/dm-block-manager.h"
#include "tess-disk.h"
#include "tess-store.h"

#define TESS_SB_MAGIC		0x3174636573736574ULL	/* "tessect1" */
#define TESS_SB_CSUM_XOR	0x7e55e12a

struct tess_sb_disk {
	__le32 csum;		/* of the rest of the block */
	__le32 version;
	__le64 magic;
	__le64 nr_blocks;
	__le32 block_size;
	__le32 pad;
	__u8 uuid[UUID_SIZE];	/* version 2: the pool's, as in its metadata */
} __packed;

static __le32 tess_sb_csum(const void *block)
{
	return cpu_to_le32(dm_bm_checksum(block + sizeof(__le32),
					  TESS_BLOCK_SIZE - sizeof(__le32),
					  TESS_SB_CSUM_XOR));
}

u64 tess_store_dev_blocks(struct block_device *bdev)
{
	/* Block numbers beyond 2^32 - 1 are not supported: use that much. */
	return min_t(u64, bdev_nr_bytes(bdev) / TESS_BLOCK_SIZE, UINT_MAX);
}

static int tess_sb_check(const char *name, const struct tess_sb_disk *sb,
			 u64 dev_blocks)
{
	u64 nr = le64_to_cpu(sb->nr_blocks);

	if (sb->csum != tess_sb_csum(sb)) {
		DMERR("store %s: superblock checksum mismatch", name);
		return -EIO;
	}
	if (le32_to_cpu(sb->version) != TESS_STORE_VERSION ||
	    le32_to_cpu(sb->block_size) != TESS_BLOCK_SIZE) {
		DMERR("store %s: unsupported version %u or block size %u",
		      name, le32_to_cpu(sb->version),
		      le32_to_cpu(sb->block_size));
		return -EINVAL;
	}
	if (nr > dev_blocks || nr < TESS_STORE_MIN_BLOCKS) {
		DMERR("store %s: superblock says %llu blocks, device has %llu",
		      name, nr, dev_blocks);
		return -EINVAL;
	}
	return 0;
}

static struct dm_bufio_client *tess_sb_client(struct block_device *bdev)
{
	return dm_bufio_client_create(bdev, TESS_BLOCK_SIZE, 1, 0, NULL, NULL,
				      0);
}

int tess_store_read_sb(struct block_device *bdev, const char *name,
		       u64 *nr_blocks, u8 *uuid)
{
	u64 dev_blocks = tess_store_dev_blocks(bdev);
	const struct tess_sb_disk *sb;
	struct dm_bufio_client *c;
	struct dm_buffer *b;
	void *data;
	int r;

	if (dev_blocks < TESS_STORE_MIN_BLOCKS) {
		DMERR("store %s: too small (%llu blocks, need %u)", name,
		      dev_blocks, TESS_STORE_MIN_BLOCKS);
		return -EINVAL;
	}
	c = tess_sb_client(bdev);
	if (IS_ERR(c))
		return PTR_ERR(c);
	data = dm_bufio_read(c, 0, &b);
	if (IS_ERR(data)) {
		r = PTR_ERR(data);
		DMERR("store %s: cannot read the superblock: %d", name, r);
		goto out;
	}
	sb = data;
	if (le64_to_cpu(sb->magic) == TESS_SB_MAGIC) {
		r = tess_sb_check(name, sb, dev_blocks);
		if (!r) {
			*nr_blocks = le64_to_cpu(sb->nr_blocks);
			memcpy(uuid, sb->uuid, UUID_SIZE);
		}
	} else if (!memchr_inv(data, 0, TESS_BLOCK_SIZE)) {
		*nr_blocks = dev_blocks;
		r = 1;
	} else {
		DMERR("store %s: not a tesseract store, left alone; zero its first 4 KiB to use it",
		      name);
		r = -EINVAL;
	}
	dm_bufio_release(b);
out:
	dm_bufio_client_destroy(c);
	return r;
}

int tess_store_format(struct block_device *bdev, u64 nr_blocks,
		      const u8 *uuid)
{
	struct dm_bufio_client *c;
	struct tess_sb_disk *sb;
	struct dm_buffer *b;
	void *data;
	int r;

	c = tess_sb_client(bdev);
	if (IS_ERR(c))
		return PTR_ERR(c);
	data = dm_bufio_new(c, 0, &b);
	if (IS_ERR(data)) {
		r = PTR_ERR(data);
		goto out;
	}
	memset(data, 0, TESS_BLOCK_SIZE);
	sb = data;
	sb->version = cpu_to_le32(TESS_STORE_VERSION);
	sb->magic = cpu_to_le64(TESS_SB_MAGIC);
	sb->nr_blocks = cpu_to_le64(nr_blocks);
	sb->block_size = cpu_to_le32(TESS_BLOCK_SIZE);
	memcpy(sb->uuid, uuid, UUID_SIZE);
	sb->csum = tess_sb_csum(data);
	dm_bufio_mark_buffer_dirty(b);
	dm_bufio_release(b);
	r = dm_bufio_write_dirty_buffers(c);
	if (!r)
		r = dm_bufio_issue_flush(c);
out:
	dm_bufio_client_destroy(c);
	return r;
}

int tess_store_init(struct tess_store *s, struct block_device *bdev,
		    u64 nr_blocks, const u8 *uuid)
{
	memset(s, 0, sizeof(*s));
	s->bdev = bdev;
	s->nr_blocks = nr_blocks;
	memcpy(s->uuid, uuid, UUID_SIZE);
	return tess_alloc_init(&s->alloc, 1, nr_blocks);
}

void tess_store_exit(struct tess_store *s)
{
	tess_alloc_destroy(&s->alloc);
	s->bdev = NULL;
}
