/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: the pool's metadata, on dm-persistent-data.
 *
 * The metadata device holds, in 4 KiB blocks managed by a transaction
 * manager (as dm-thin-metadata.c and dm-clone-metadata.c use it):
 *
 * - block 0, the superblock (struct tess_md_super_disk below), written
 *   last by every commit;
 * - the metadata space map (dm_sm_metadata), which counts the metadata
 *   blocks in use;
 * - the remap tree: a two-level btree, (disk id, disk block) -> store
 *   block (__le64), as dm-thin's mapping tree: the top level holds the
 *   root of one subtree per disk;
 * - the store space map (dm_sm_disk over the store's blocks): for each
 *   store block, the number of remaps that name it.  Block 0 of the store
 *   is the store's own superblock and is never named.
 *
 * Only remaps are persistent.  References a store block gets from swap
 * entries, reads and copies live in memory (tess-alloc.h): swap does not
 * survive a reboot.
 *
 * A change is durable once tess_md_commit() returned 0.  After a crash
 * the device reads as of the last commit that completed; everything done
 * since is gone, in one piece.
 *
 * Context: every call below may sleep and does metadata I/O; process
 * context only, never from the map path, a hook or a completion.  The
 * calls serialise among themselves (a reader/writer semaphore inside);
 * the caller needs no lock of its own.  Once a call failed with an I/O
 * error or found the metadata damaged, the metadata is "failed": every
 * later call that would change it returns -EIO without doing so, and the
 * caller should tess_md_set_needs_check() and stop (tess_md_abort()
 * drops what was not committed).
 */
#ifndef DM_TESSERACT_METADATA_H
#define DM_TESSERACT_METADATA_H

#include <linux/bits.h>
#include <linux/blkdev.h>
#include <linux/types.h>

#include "persistent-data/dm-space-map.h"

#define TESS_MD_MAGIC		0x6174656d73736574ULL	/* "tessmeta" */
#define TESS_MD_VERSION		1
#define TESS_MD_BLOCK_SIZE	4096	/* metadata and store blocks */
#define TESS_MD_SB_CSUM_XOR	0x54e55a6d
/* Disk ids are 24-bit, as dm-thin's device ids. */
#define TESS_MD_MAX_DISK_ID	((1U << 24) - 1)
/* Superblock flags. */
#define TESS_MD_NEEDS_CHECK	BIT(0)
/*
 * Metadata blocks a pool needs at least (superblock, space map roots, the
 * first btree nodes), for "metadata device too small".
 */
#define TESS_MD_MIN_BLOCKS	64
/*
 * Bytes kept for a space map root, as dm-thin and dm-clone keep them (the
 * persistent-data headers leave this to their users).
 */
#define SPACE_MAP_ROOT_SIZE	128

/*
 * Block 0 of the metadata device, little-endian.  @csum is the crc32c
 * (dm_bm_checksum()) of bytes 4..4095 of the block, xor
 * TESS_MD_SB_CSUM_XOR.  tools/tess-check reads the same layout.
 */
struct tess_md_super_disk {
	__le32 csum;
	__le32 flags;			/* TESS_MD_NEEDS_CHECK */
	__le64 blocknr;			/* 0 */
	__u8 uuid[16];			/* the pool's, also in the store's superblock */
	__le64 magic;			/* TESS_MD_MAGIC */
	__le32 version;			/* TESS_MD_VERSION */
	__le32 block_size;		/* sectors of a metadata block: 8 */
	__le64 nr_blocks;		/* metadata blocks, as formatted */
	__le64 trans_id;		/* bumped by every commit */
	__le64 store_nr_blocks;		/* blocks of the store, block 0 included */
	__le32 store_block_size;	/* sectors of a store block: 8 */
	__le32 nr_disks;
	__u8 metadata_space_map_root[SPACE_MAP_ROOT_SIZE];
	__u8 store_space_map_root[SPACE_MAP_ROOT_SIZE];
	__le64 remap_root;		/* the two-level remap tree */
} __packed;

struct tess_metadata;

/*
 * Open the metadata on @bdev for a store of @store_nr_blocks blocks whose
 * superblock carries @store_uuid; if every byte of block 0 is zero, format
 * it first (empty tree, all store blocks free) with @store_uuid as the
 * pool's uuid.  Refused, with *@error set and the reason logged: a
 * superblock that is damaged or of another version (-EIO or -EINVAL), of
 * another store (uuid: -EINVAL), for a store of another size (-EINVAL), or
 * a device too small to format (-ENOSPC).  Returns the metadata or an
 * ERR_PTR().
 */
struct tess_metadata *tess_md_open(struct block_device *bdev,
				   u64 store_nr_blocks, const u8 *store_uuid,
				   bool *formatted, char **error);
/*
 * Close without committing: what was not committed with tess_md_commit()
 * is dropped, as after a crash.  (A close that committed would make
 * durable what its caller may not have made durable yet, e.g. after a
 * failed store flush.)
 */
void tess_md_close(struct tess_metadata *md);

/*
 * Make every change so far durable: write the btree and space map
 * blocks, then the superblock, with REQ_PREFLUSH | REQ_FUA.  The caller
 * makes sure beforehand that what the new remaps name (store blocks, home
 * blocks of dropped remaps) is durable.  Returns 0 or -errno (then the
 * metadata is failed).
 */
int tess_md_commit(struct tess_metadata *md);
/*
 * Drop every change since the last commit and reopen at it; clears the
 * failed state if that works.  Returns 0 or -errno.
 */
int tess_md_abort(struct tess_metadata *md);

/* True once a call failed (see above). */
bool tess_md_failed(struct tess_metadata *md);
/* Set TESS_MD_NEEDS_CHECK in the superblock, durably if it can. */
int tess_md_set_needs_check(struct tess_metadata *md);
bool tess_md_needs_check(struct tess_metadata *md);

/* Disks.  -EEXIST / -ENODATA for an id that is / is not there. */
int tess_md_create_disk(struct tess_metadata *md, u32 id);
/* Drop the disk and all its remaps, with their store references. */
int tess_md_delete_disk(struct tess_metadata *md, u32 id);
/*
 * False too when the lookup met damage or an I/O error: the metadata is
 * then failed (tess_md_failed()), which the caller must check before it
 * says "no such disk".
 */
bool tess_md_disk_exists(struct tess_metadata *md, u32 id);
/* Call @fn for each disk id, in increasing order, until it returns != 0. */
int tess_md_for_each_disk(struct tess_metadata *md,
			  int (*fn)(void *ctx, u32 id), void *ctx);

/*
 * Remap disk block @block of disk @id onto store block @store: the store
 * block gains a reference, and the block it replaces, if any, loses one.
 * -EINVAL if @store is 0 or past the store, -ENODATA if no such disk.
 */
int tess_md_insert(struct tess_metadata *md, u32 id, u64 block, u64 store);
/* Drop the remap of @block: -ENODATA if it has none. */
int tess_md_remove(struct tess_metadata *md, u32 id, u64 block);
/* Look up @block: 0 and *@store, or -ENODATA. */
int tess_md_lookup(struct tess_metadata *md, u32 id, u64 block, u64 *store);
/*
 * Call @fn for each remap of disk @id in increasing disk block order,
 * until it returns != 0 (returned).  @fn may sleep but must not call
 * into this API.
 */
int tess_md_for_each_remap(struct tess_metadata *md, u32 id,
			   int (*fn)(void *ctx, u64 block, u64 store),
			   void *ctx);

/* Remap references of store block @store (0 when none). */
int tess_md_store_refs(struct tess_metadata *md, u64 store, u32 *count);
/*
 * Call @fn for each store block with remap references, in increasing
 * order, with its count, until it returns != 0.  For loading the
 * in-memory allocator when the pool opens.
 */
int tess_md_for_each_store_ref(struct tess_metadata *md,
			       int (*fn)(void *ctx, u64 store, u32 count),
			       void *ctx);

/* For status: blocks of the metadata device, of the store with remaps. */
struct tess_md_usage {
	u64 trans_id;
	u64 metadata_used, metadata_total;
	u64 store_used;		/* store blocks with remap references */
	u64 store_total;
	u32 nr_disks;
};

int tess_md_get_usage(struct tess_metadata *md, struct tess_md_usage *u);

/*
 * For KUnit, not for the pool: tess_md_open() on a device taken to have
 * @dev_blocks blocks, and a close that does not commit (a crash, as far
 * as the metadata device can tell).  Same context as the calls above.
 */
struct tess_metadata *tess_md_open_blocks(struct block_device *bdev,
					  u64 dev_blocks, u64 store_nr_blocks,
					  const u8 *store_uuid, bool *formatted,
					  char **error);
void tess_md_destroy(struct tess_metadata *md);

#endif /* DM_TESSERACT_METADATA_H */
