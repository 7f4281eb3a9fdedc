/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: the store device.
 *
 * One block device shared by all VMs, named by the "store" module
 * parameter, divided into 4 KiB blocks.  Block 0 is the superblock (magic,
 * version, block size, block count, checksum), written when the device is
 * first used (its first block all zeroes) and checked on every later open;
 * a device whose block 0 holds anything else is refused, never overwritten.
 * Blocks 1.. hold page contents, handed out by the allocator.
 *
 * open and close are process context and may sleep; the rest may be
 * called from any context.
 */
#ifndef DM_TESSERACT_STORE_H
#define DM_TESSERACT_STORE_H

#include <linux/blkdev.h>
#include <linux/fs.h>

#include "tess-alloc.h"

#define TESS_BLOCK_SIZE		4096
#define TESS_BLOCK_SECTORS	(TESS_BLOCK_SIZE >> SECTOR_SHIFT)
#define TESS_STORE_VERSION	1
/* Smallest useful store: the superblock and some room. */
#define TESS_STORE_MIN_BLOCKS	16

struct tess_store {
	struct file *bdev_file;
	struct block_device *bdev;
	u64 nr_blocks;			/* including the superblock */
	struct tess_alloc alloc;
	atomic64_t bytes_written;
	atomic64_t bytes_read;
};

/* Open and check (or format) the store at @path.  Returns 0 or -errno. */
int tess_store_open(struct tess_store *s, const char *path);
void tess_store_close(struct tess_store *s);

static inline sector_t tess_store_sector(u64 block)
{
	return block * TESS_BLOCK_SECTORS;
}

#endif /* DM_TESSERACT_STORE_H */
