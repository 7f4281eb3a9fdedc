/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pool metadata's on-disk format, read from userspace by tess_check
 * and tess_dump.  It must match dm-tesseract/tess-metadata.h (the
 * superblock) and the kernel's dm-persistent-data (btree nodes, space map
 * index and bitmap blocks); no kernel header is included, every field is
 * defined here with its width and read as little-endian.
 *
 * Layout (4 KiB blocks):
 * - block 0: the superblock;
 * - the metadata space map: an index block (up to 255 entries) naming
 *   bitmap blocks of 2 bits a metadata block (0, 1, 2, 3 = "see the
 *   ref-count btree"), and a ref-count btree (block -> __le32 count);
 * - the remap tree: a two-level btree, disk id -> subtree root, then
 *   disk block -> store block (__le64);
 * - the store space map: a btree of index entries (bitmap number ->
 *   struct md_index_entry) naming bitmap blocks, and a ref-count btree,
 *   as above, over the store's blocks.
 */
#ifndef TESS_CHECK_MD_H
#define TESS_CHECK_MD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef __packed
#define __packed	__attribute__((packed))
#endif
#define __aligned(x)	__attribute__((aligned(x)))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define MD_BLOCK_SIZE		4096
#define MD_SECTORS		(MD_BLOCK_SIZE / 512)
#define MD_MAGIC		0x6174656d73736574ULL	/* "tessmeta" */
#define MD_VERSION		1
#define MD_MAX_DISK_ID		((1U << 24) - 1)
#define MD_NEEDS_CHECK		1U
/* A sanity bound: 4 PiB of store; more is a damaged superblock. */
#define MD_MAX_STORE_BLOCKS	(1ULL << 40)

/* Checksum xors: the superblock's, and dm-persistent-data's. */
#define MD_SB_CSUM_XOR		0x54e55a6d
#define BTREE_CSUM_XOR		121107
#define INDEX_CSUM_XOR		160478
#define BITMAP_CSUM_XOR		240779

/*
 * The store's superblock, block 0 of the store device: struct tess_sb_disk
 * of dm-tesseract/tess-store.c.  @block_size is in bytes there.
 */
#define STORE_MAGIC		0x3174636573736574ULL	/* "tessect1" */
#define STORE_VERSION		2
#define STORE_CSUM_XOR		0x7e55e12a

struct store_super {
	uint32_t csum;
	uint32_t version;
	uint64_t magic;
	uint64_t nr_blocks;
	uint32_t block_size;
	uint32_t pad;
	uint8_t uuid[16];
} __packed;

#define SM_ROOT_SIZE		128
#define MAX_METADATA_BITMAPS	255
/* Blocks one bitmap block describes: 2 bits each after its header. */
#define ENTRIES_PER_BITMAP	((MD_BLOCK_SIZE - 16) * 4)

#define INTERNAL_NODE		1U
#define LEAF_NODE		2U

struct md_super {
	uint32_t csum;
	uint32_t flags;
	uint64_t blocknr;
	uint8_t uuid[16];
	uint64_t magic;
	uint32_t version;
	uint32_t block_size;
	uint64_t nr_blocks;
	uint64_t trans_id;
	uint64_t store_nr_blocks;
	uint32_t store_block_size;
	uint32_t nr_disks;
	uint8_t metadata_space_map_root[SM_ROOT_SIZE];
	uint8_t store_space_map_root[SM_ROOT_SIZE];
	uint64_t remap_root;
} __packed;

/* struct disk_sm_root */
struct md_sm_root {
	uint64_t nr_blocks;
	uint64_t nr_allocated;
	uint64_t bitmap_root;
	uint64_t ref_count_root;
} __packed;

/* struct node_header; keys (__le64) follow, then the values. */
struct md_node_header {
	uint32_t csum;
	uint32_t flags;
	uint64_t blocknr;
	uint32_t nr_entries;
	uint32_t max_entries;
	uint32_t value_size;
	uint32_t padding;
} __packed;

/* struct disk_index_entry */
struct md_index_entry {
	uint64_t blocknr;
	uint32_t nr_free;
	uint32_t none_free_before;
} __packed;

/* struct disk_metadata_index: the metadata space map's index block. */
struct md_metadata_index {
	uint32_t csum;
	uint32_t padding;
	uint64_t blocknr;
	struct md_index_entry index[MAX_METADATA_BITMAPS];
} __packed;

/* struct disk_bitmap_header; the 2-bit entries follow. */
struct md_bitmap_header {
	uint32_t csum;
	uint32_t not_used;
	uint64_t blocknr;
} __packed;

/*
 * A metadata device opened for reading, and what a walk found.  Every
 * problem found is printed on stderr, one line, and counted: fatal ones
 * (the metadata is damaged) in @errors, the others (a leaked block, a
 * wrong free count: nothing is lost) in @warnings.
 */
struct md {
	const char *prog;
	int fd;
	uint64_t dev_blocks;		/* blocks of the device or image */
	struct md_super sb;		/* in host byte order */
	unsigned long errors, warnings;
	uint32_t *seen;			/* per block: references found */
	const char **owner;		/* per block: what referenced it */
	void *bounce;			/* aligned, for O_DIRECT */
};

/*
 * Open @path read-only (exclusively if a block device: not one a live
 * pool holds) and read its superblock.  Returns 0, 1 with a
 * problem printed (no superblock, or one that cannot be trusted), or 2
 * with an error printed (cannot open or read).
 */
int md_open(struct md *md, const char *prog, const char *path);
void md_close(struct md *md);

/*
 * Check the store on @path against the metadata's superblock: its own
 * superblock (magic, version, checksum, block size), its block count and
 * uuid.  Returns 0 (problems counted) or 2 if it cannot be read.
 */
int md_check_store(struct md *md, const char *path);

/*
 * Clear MD_NEEDS_CHECK in the superblock of @path, which md_open() read:
 * block 0 is read again, must be unchanged, and is written back with
 * the flag cleared and its checksum fixed, then synced.  Returns 0, or 2
 * with the error printed.
 */
int md_clear_needs_check(struct md *md, const char *path);

/* Read metadata block @b into @buf; on an I/O error, print it and exit 2. */
void md_read(struct md *md, uint64_t b, void *buf);

__printf(2, 3)
void md_error(struct md *md, const char *fmt, ...);
__printf(2, 3)
void md_warn(struct md *md, const char *fmt, ...);

/*
 * Note a reference to metadata block @b from @what.  Returns false (with
 * a problem counted) if @b is past the device or already referenced: the
 * caller must not read it then.
 */
bool md_visit(struct md *md, uint64_t b, const char *what);

/*
 * Read block @b, which @what references, and check its blocknr and its
 * checksum with @csum_xor.  Returns false, with a problem counted, when
 * the block cannot be used.
 */
bool md_read_checked(struct md *md, uint64_t b, void *buf, uint32_t csum_xor,
		     const char *what);

/* A btree walk: one call of @leaf for each key, in increasing order. */
struct md_btree {
	const char *what;		/* names the tree in problems */
	uint32_t value_size;		/* of its leaves */
	int (*leaf)(struct md *md, void *arg, uint64_t key, const void *value);
	void *arg;
	int leaf_depth;			/* set by the walk */
};

/*
 * Walk the btree rooted at @root, checking every node (checksum, blocknr,
 * flags, entry counts, value size, keys strictly increasing and inside
 * their parent's range, leaves at one depth).  A damaged node is reported
 * and skipped.  Returns the first non-zero @leaf result, else 0.
 */
int md_walk_btree(struct md *md, uint64_t root, struct md_btree *bt);

/*
 * The remap tree: @disk once per disk id, then @remap once per remap of
 * that disk, in order; either may be NULL.  Checks that disk ids are
 * 24-bit.  Returns the first non-zero callback result, else 0.
 */
struct md_remap_walk {
	int (*disk)(struct md *md, void *arg, uint32_t id);
	int (*remap)(struct md *md, void *arg, uint32_t id, uint64_t block,
		     uint64_t store);
	void *arg;
	uint32_t nr_disks;		/* set by the walk */
};

int md_walk_remaps(struct md *md, struct md_remap_walk *rw);

/* A space map root in host byte order. */
void md_sm_root(const uint8_t *raw, struct md_sm_root *root);

/* The uuid as 8-4-4-4-12 hex digits into @out (37 bytes). */
void md_uuid_str(const uint8_t *uuid, char *out);

static inline uint32_t md_le32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline uint64_t md_le64(const void *p)
{
	const uint8_t *b = p;

	return (uint64_t)md_le32(b) | (uint64_t)md_le32(b + 4) << 32;
}

/* The checksum dm_bm_checksum() puts at the start of a block. */
uint32_t md_block_csum(const void *block, uint32_t csum_xor);

#endif
