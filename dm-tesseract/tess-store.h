/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: the store device of a pool.
 *
 * One block device per pool, shared by its disks and (if the pool serves
 * swap) by host swap, divided into 4 KiB blocks.  Block 0 is the
 * superblock (magic, version 2, block size, block count, the pool's uuid,
 * checksum).  A store whose block 0 is all zeroes is new: the pool formats
 * it after it formats the metadata with a new uuid (so that a crash in
 * between leaves metadata that names nothing, which the store is then
 * formatted for); a store with blank metadata is refused.  A store of
 * another format or version is refused, never overwritten.  Blocks 1..
 * hold page contents, handed out by the allocator.
 *
 * Context: tess_store_read_sb(), tess_store_format(), tess_store_init()
 * and tess_store_exit() are process context and may sleep (I/O); the
 * rest may be called from any context.  The store does not open or close
 * its block device: the pool does, and keeps it open for the store's life.
 */
#ifndef DM_TESSERACT_STORE_H
#define DM_TESSERACT_STORE_H

#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/uuid.h>

#include "tess-alloc.h"

#define TESS_BLOCK_SIZE		4096
#define TESS_BLOCK_SECTORS	(TESS_BLOCK_SIZE >> SECTOR_SHIFT)
#define TESS_STORE_VERSION	2
/* Smallest useful store: the superblock and some room. */
#define TESS_STORE_MIN_BLOCKS	16

struct tess_store {
	struct block_device *bdev;
	u64 nr_blocks;			/* including the superblock */
	u8 uuid[UUID_SIZE];		/* the pool's */
	struct tess_alloc alloc;
	atomic64_t bytes_written;
	atomic64_t bytes_read;
};

/* Blocks a store device of @bdev's size can have (capped at 2^32 - 1). */
u64 tess_store_dev_blocks(struct block_device *bdev);

/*
 * Read and check the superblock of the store on @bdev.  Returns 0 with
 * *@nr_blocks and @uuid filled, 1 if block 0 is all zeroes (a new store),
 * or -errno with the reason logged (@name names the device): -EIO for a
 * damaged superblock or a read error, -EINVAL for a foreign or old format.
 */
int tess_store_read_sb(struct block_device *bdev, const char *name,
		       u64 *nr_blocks, u8 *uuid);
/* Write a version 2 superblock for @nr_blocks blocks and @uuid, durably. */
int tess_store_format(struct block_device *bdev, u64 nr_blocks,
		      const u8 *uuid);

/*
 * Set up @s on @bdev as read by tess_store_read_sb(), all blocks free.
 * Returns 0 or -ENOMEM.
 */
int tess_store_init(struct tess_store *s, struct block_device *bdev,
		    u64 nr_blocks, const u8 *uuid);
void tess_store_exit(struct tess_store *s);

static inline sector_t tess_store_sector(u64 block)
{
	return block * TESS_BLOCK_SECTORS;
}

#endif /* DM_TESSERACT_STORE_H */
