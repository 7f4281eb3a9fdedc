// SPDX-License-Identifier: GPL-2.0
/*
 * Reading the pool metadata: the device, the superblock, checked blocks,
 * and btree walks shared by tess_check and tess_dump.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "crc32c.h"
#include "tess-md.h"

/* A field of an on-disk struct at @buf, read as little-endian. */
#define LE32(buf, type, field) \
	md_le32((const uint8_t *)(buf) + offsetof(type, field))
#define LE64(buf, type, field) \
	md_le64((const uint8_t *)(buf) + offsetof(type, field))

static_assert(sizeof(struct md_super) == 344, "superblock layout");
static_assert(offsetof(struct md_super, remap_root) == 336, "superblock");
static_assert(sizeof(struct md_node_header) == 32, "node header");
static_assert(sizeof(struct md_metadata_index) == MD_BLOCK_SIZE, "index");
static_assert(sizeof(struct md_bitmap_header) == 16, "bitmap header");
static_assert(sizeof(struct store_super) == 48, "store superblock");

/* Btrees are a few levels deep; more means a loop or garbage. */
#define MAX_DEPTH	32

void md_error(struct md *md, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	md->errors++;
}

void md_warn(struct md *md, const char *fmt, ...)
{
	va_list ap;

	fputs("warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	md->warnings++;
}

uint32_t md_block_csum(const void *block, uint32_t csum_xor)
{
	return crc32c(0xffffffffu, (const uint8_t *)block + 4,
		      MD_BLOCK_SIZE - 4) ^ csum_xor;
}

/*
 * A block device is read with O_DIRECT, through an aligned buffer: the
 * kernel writes metadata with bios that bypass the page cache, which may
 * still hold older copies of those blocks.
 */
void md_read(struct md *md, uint64_t b, void *buf)
{
	ssize_t n = pread(md->fd, md->bounce, MD_BLOCK_SIZE, b * MD_BLOCK_SIZE);

	if (n == MD_BLOCK_SIZE) {
		memcpy(buf, md->bounce, MD_BLOCK_SIZE);
		return;
	}
	if (n < 0)
		fprintf(stderr, "%s: read of block %llu: %s\n", md->prog,
			(unsigned long long)b, strerror(errno));
	else
		fprintf(stderr, "%s: read of block %llu: short read\n",
			md->prog, (unsigned long long)b);
	exit(2);
}

/*
 * Open @path with @flags and get its size.  A block device is opened
 * O_DIRECT and O_EXCL: a live pool holds its metadata device (EBUSY), and
 * metadata that changes while it is read would look damaged.
 */
static int dev_open_flags(struct md *md, const char *path, uint64_t *bytes,
			  int flags)
{
	struct stat st;

	if (stat(path, &st))
		return -1;
	if (S_ISBLK(st.st_mode))
		flags |= O_DIRECT | O_EXCL;
	md->fd = open(path, flags);
	if (md->fd < 0)
		return -1;
	if (S_ISBLK(st.st_mode))
		return ioctl(md->fd, BLKGETSIZE64, bytes);
	*bytes = st.st_size;
	return 0;
}

static int dev_open(struct md *md, const char *path, uint64_t *bytes)
{
	return dev_open_flags(md, path, bytes, O_RDONLY);
}

static void parse_super(const uint8_t *buf, struct md_super *sb)
{
	sb->csum = LE32(buf, struct md_super, csum);
	sb->flags = LE32(buf, struct md_super, flags);
	sb->blocknr = LE64(buf, struct md_super, blocknr);
	memcpy(sb->uuid, buf + offsetof(struct md_super, uuid), 16);
	sb->magic = LE64(buf, struct md_super, magic);
	sb->version = LE32(buf, struct md_super, version);
	sb->block_size = LE32(buf, struct md_super, block_size);
	sb->nr_blocks = LE64(buf, struct md_super, nr_blocks);
	sb->trans_id = LE64(buf, struct md_super, trans_id);
	sb->store_nr_blocks = LE64(buf, struct md_super, store_nr_blocks);
	sb->store_block_size = LE32(buf, struct md_super, store_block_size);
	sb->nr_disks = LE32(buf, struct md_super, nr_disks);
	memcpy(sb->metadata_space_map_root,
	       buf + offsetof(struct md_super, metadata_space_map_root),
	       SM_ROOT_SIZE);
	memcpy(sb->store_space_map_root,
	       buf + offsetof(struct md_super, store_space_map_root),
	       SM_ROOT_SIZE);
	sb->remap_root = LE64(buf, struct md_super, remap_root);
}

static bool all_zero(const uint8_t *buf, size_t len)
{
	while (len--)
		if (*buf++)
			return false;
	return true;
}

/*
 * The superblock problems after which nothing else can be trusted: not
 * ours, another version, a bad checksum.  Returns true if usable.
 */
static bool super_usable(struct md *md, const uint8_t *buf)
{
	struct md_super *sb = &md->sb;
	uint32_t csum = md_block_csum(buf, MD_SB_CSUM_XOR);

	if (all_zero(buf, MD_BLOCK_SIZE)) {
		md_error(md, "no superblock: block 0 is all zeroes");
		return false;
	}
	if (sb->magic != MD_MAGIC) {
		md_error(md, "superblock: bad magic 0x%016llx, not a tesseract pool's metadata",
			 (unsigned long long)sb->magic);
		return false;
	}
	if (csum != sb->csum) {
		md_error(md, "superblock: bad checksum 0x%08x, computed 0x%08x",
			 sb->csum, csum);
		return false;
	}
	if (sb->version != MD_VERSION) {
		md_error(md, "superblock: version %u, this tool reads version %u",
			 sb->version, MD_VERSION);
		return false;
	}
	return true;
}

/* The superblock problems that leave the rest readable. */
static void super_check_fields(struct md *md)
{
	struct md_super *sb = &md->sb;

	if (sb->blocknr != 0)
		md_error(md, "superblock: blocknr %llu, not 0",
			 (unsigned long long)sb->blocknr);
	if (sb->block_size != MD_SECTORS)
		md_error(md, "superblock: metadata block size %u sectors, not %u",
			 sb->block_size, MD_SECTORS);
	if (sb->store_block_size != MD_SECTORS)
		md_error(md, "superblock: store block size %u sectors, not %u",
			 sb->store_block_size, MD_SECTORS);
	if (sb->nr_blocks > md->dev_blocks)
		md_error(md, "superblock: %llu metadata blocks, but the device has %llu",
			 (unsigned long long)sb->nr_blocks,
			 (unsigned long long)md->dev_blocks);
	if (sb->store_nr_blocks < 2 || sb->store_nr_blocks > MD_MAX_STORE_BLOCKS)
		md_error(md, "superblock: a store of %llu blocks",
			 (unsigned long long)sb->store_nr_blocks);
	if (sb->flags & ~MD_NEEDS_CHECK)
		md_error(md, "superblock: unknown flags 0x%x",
			 sb->flags & ~MD_NEEDS_CHECK);
}

static int md_alloc_tracking(struct md *md)
{
	md->seen = calloc(md->dev_blocks, sizeof(*md->seen));
	md->owner = calloc(md->dev_blocks, sizeof(*md->owner));
	if (!md->seen || !md->owner) {
		fprintf(stderr, "%s: out of memory\n", md->prog);
		return 2;
	}
	return 0;
}

int md_open(struct md *md, const char *prog, const char *path)
{
	uint8_t buf[MD_BLOCK_SIZE];
	uint64_t bytes;

	memset(md, 0, sizeof(*md));
	md->prog = prog;
	md->fd = -1;
	if (posix_memalign(&md->bounce, MD_BLOCK_SIZE, MD_BLOCK_SIZE)) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 2;
	}
	if (dev_open(md, path, &bytes)) {
		fprintf(stderr, "%s: %s: %s%s\n", prog, path, strerror(errno),
			errno == EBUSY ? " (held by a live pool?)" : "");
		return 2;
	}
	md->dev_blocks = bytes / MD_BLOCK_SIZE;
	if (!md->dev_blocks) {
		md_error(md, "no superblock: the device is smaller than one block");
		return 1;
	}
	md_read(md, 0, buf);
	parse_super(buf, &md->sb);
	if (!super_usable(md, buf))
		return 1;
	super_check_fields(md);
	if (md_alloc_tracking(md))
		return 2;
	md_visit(md, 0, "superblock");
	return 0;
}

void md_close(struct md *md)
{
	free(md->seen);
	free(md->owner);
	free(md->bounce);
	if (md->fd >= 0)
		close(md->fd);
}

bool md_visit(struct md *md, uint64_t b, const char *what)
{
	if (b >= md->dev_blocks) {
		md_error(md, "%s: block %llu is past the end of the metadata device (%llu blocks)",
			 what, (unsigned long long)b,
			 (unsigned long long)md->dev_blocks);
		return false;
	}
	if (md->seen[b]++) {
		md_error(md, "%s: block %llu is already used by %s",
			 what, (unsigned long long)b, md->owner[b]);
		return false;
	}
	md->owner[b] = what;
	return true;
}

bool md_read_checked(struct md *md, uint64_t b, void *buf, uint32_t csum_xor,
		     const char *what)
{
	uint64_t blocknr;
	uint32_t csum;

	md_read(md, b, buf);
	blocknr = md_le64((uint8_t *)buf + 8);
	if (blocknr != b) {
		md_error(md, "%s: block %llu: blocknr %llu, not its location",
			 what, (unsigned long long)b,
			 (unsigned long long)blocknr);
		return false;
	}
	csum = md_block_csum(buf, csum_xor);
	if (csum != md_le32(buf)) {
		md_error(md, "%s: block %llu: bad checksum 0x%08x, computed 0x%08x",
			 what, (unsigned long long)b, md_le32(buf), csum);
		return false;
	}
	return true;
}

void md_sm_root(const uint8_t *raw, struct md_sm_root *root)
{
	root->nr_blocks = LE64(raw, struct md_sm_root, nr_blocks);
	root->nr_allocated = LE64(raw, struct md_sm_root, nr_allocated);
	root->bitmap_root = LE64(raw, struct md_sm_root, bitmap_root);
	root->ref_count_root = LE64(raw, struct md_sm_root, ref_count_root);
}

void md_uuid_str(const uint8_t *uuid, char *out)
{
	int i;

	for (i = 0; i < 16; i++) {
		out += sprintf(out, "%02x", uuid[i]);
		if (i == 3 || i == 5 || i == 7 || i == 9)
			*out++ = '-';
	}
	*out = '\0';
}

static void store_super_compare(struct md *md, const uint8_t *buf,
				uint64_t dev_blocks)
{
	uint64_t nr = LE64(buf, struct store_super, nr_blocks);
	char a[40], b[40];

	if (LE32(buf, struct store_super, block_size) != MD_BLOCK_SIZE)
		md_error(md, "store: block size %u bytes, not %u",
			 LE32(buf, struct store_super, block_size),
			 MD_BLOCK_SIZE);
	if (nr != md->sb.store_nr_blocks)
		md_error(md, "store: %llu blocks, the metadata says %llu",
			 (unsigned long long)nr,
			 (unsigned long long)md->sb.store_nr_blocks);
	if (nr > dev_blocks)
		md_error(md, "store: %llu blocks, but the device has %llu",
			 (unsigned long long)nr,
			 (unsigned long long)dev_blocks);
	if (memcmp(buf + offsetof(struct store_super, uuid), md->sb.uuid, 16)) {
		md_uuid_str(buf + offsetof(struct store_super, uuid), a);
		md_uuid_str(md->sb.uuid, b);
		md_error(md, "store: uuid %s, the metadata's is %s (another pool's store?)",
			 a, b);
	}
}

int md_check_store(struct md *md, const char *path)
{
	struct md store = { .prog = md->prog, .fd = -1 };
	uint8_t buf[MD_BLOCK_SIZE];
	uint64_t bytes;
	int ret = 0;

	if (posix_memalign(&store.bounce, MD_BLOCK_SIZE, MD_BLOCK_SIZE) ||
	    dev_open(&store, path, &bytes)) {
		fprintf(stderr, "%s: %s: %s\n", md->prog, path, strerror(errno));
		ret = 2;
	} else if (bytes < MD_BLOCK_SIZE) {
		md_error(md, "store: the device is smaller than one block");
	} else {
		md_read(&store, 0, buf);
		if (LE64(buf, struct store_super, magic) != STORE_MAGIC)
			md_error(md, "store: bad magic, not a tesseract store");
		else if (md_block_csum(buf, STORE_CSUM_XOR) != md_le32(buf))
			md_error(md, "store: superblock: bad checksum");
		else if (LE32(buf, struct store_super, version) != STORE_VERSION)
			md_error(md, "store: version %u, not %u",
				 LE32(buf, struct store_super, version),
				 STORE_VERSION);
		else
			store_super_compare(md, buf, bytes / MD_BLOCK_SIZE);
	}
	md_close(&store);
	return ret;
}

static int write_super(struct md *w, struct md *md)
{
	uint8_t *buf = w->bounce;
	uint32_t csum;
	int i;

	if (pread(w->fd, buf, MD_BLOCK_SIZE, 0) != MD_BLOCK_SIZE ||
	    md_le32(buf) != md->sb.csum) {
		fprintf(stderr, "%s: the superblock changed while checked, left alone\n",
			md->prog);
		return 2;
	}
	buf[offsetof(struct md_super, flags)] &= ~MD_NEEDS_CHECK;
	csum = md_block_csum(buf, MD_SB_CSUM_XOR);
	for (i = 0; i < 4; i++)
		buf[i] = csum >> (8 * i);
	if (pwrite(w->fd, buf, MD_BLOCK_SIZE, 0) != MD_BLOCK_SIZE ||
	    fsync(w->fd)) {
		fprintf(stderr, "%s: writing the superblock: %s\n", md->prog,
			strerror(errno));
		return 2;
	}
	return 0;
}

int md_clear_needs_check(struct md *md, const char *path)
{
	struct md w = { .prog = md->prog, .fd = -1 };
	uint64_t bytes;
	int ret;

	/* Reading is done; an exclusive open of ours would stand in the way. */
	close(md->fd);
	md->fd = -1;
	if (posix_memalign(&w.bounce, MD_BLOCK_SIZE, MD_BLOCK_SIZE) ||
	    dev_open_flags(&w, path, &bytes, O_RDWR)) {
		fprintf(stderr, "%s: %s: %s\n", md->prog, path, strerror(errno));
		ret = 2;
	} else {
		ret = write_super(&w, md);
	}
	md_close(&w);
	return ret;
}

/* ---- btrees ---- */

/* A node's keys must lie in [lo, hi), or [lo, max] when !bounded. */
struct key_range {
	uint64_t lo, hi;
	bool bounded;
};

struct node {
	uint64_t b;
	uint32_t flags, nr, max, value_size;
	const uint8_t *keys, *values;
};

static bool node_header_ok(struct md *md, struct md_btree *bt, uint8_t *buf,
			   struct node *n)
{
	const char *w = bt->what;
	unsigned long long b = n->b;

	n->flags = LE32(buf, struct md_node_header, flags);
	n->nr = LE32(buf, struct md_node_header, nr_entries);
	n->max = LE32(buf, struct md_node_header, max_entries);
	n->value_size = LE32(buf, struct md_node_header, value_size);
	n->keys = buf + sizeof(struct md_node_header);
	n->values = n->keys + 8ULL * n->max;

	if (n->flags != INTERNAL_NODE && n->flags != LEAF_NODE) {
		md_error(md, "%s: node %llu: flags 0x%x, neither internal nor leaf",
			 w, b, n->flags);
		return false;
	}
	if (sizeof(struct md_node_header) +
	    (8ULL + n->value_size) * n->max > MD_BLOCK_SIZE) {
		md_error(md, "%s: node %llu: max_entries %u too large", w, b,
			 n->max);
		return false;
	}
	if (n->nr > n->max) {
		md_error(md, "%s: node %llu: nr_entries %u > max_entries %u",
			 w, b, n->nr, n->max);
		return false;
	}
	if (n->flags == INTERNAL_NODE && !n->nr) {
		md_error(md, "%s: node %llu: an internal node with no entries",
			 w, b);
		return false;
	}
	if (n->value_size != (n->flags == LEAF_NODE ? bt->value_size : 8)) {
		md_error(md, "%s: node %llu: value size %u, not %u", w, b,
			 n->value_size,
			 n->flags == LEAF_NODE ? bt->value_size : 8);
		return false;
	}
	return true;
}

static bool node_keys_ok(struct md *md, struct md_btree *bt, struct node *n,
			 const struct key_range *r)
{
	uint64_t k, prev = 0;
	uint32_t i;

	for (i = 0; i < n->nr; i++) {
		k = md_le64(n->keys + 8ULL * i);
		if (i && k <= prev) {
			md_error(md, "%s: node %llu: keys not increasing (key %u: %llu after %llu)",
				 bt->what, (unsigned long long)n->b, i,
				 (unsigned long long)k,
				 (unsigned long long)prev);
			return false;
		}
		if (k < r->lo || (r->bounded && k >= r->hi)) {
			md_error(md, "%s: node %llu: key %llu outside its parent's range",
				 bt->what, (unsigned long long)n->b,
				 (unsigned long long)k);
			return false;
		}
		prev = k;
	}
	return true;
}

static int walk_node(struct md *md, struct md_btree *bt, uint64_t b,
		     const struct key_range *r, int depth);

static int walk_children(struct md *md, struct md_btree *bt, struct node *n,
			 const struct key_range *r, int depth)
{
	struct key_range cr;
	uint32_t i;
	int ret;

	for (i = 0; i < n->nr; i++) {
		cr.lo = md_le64(n->keys + 8ULL * i);
		cr.bounded = i + 1 < n->nr || r->bounded;
		cr.hi = i + 1 < n->nr ? md_le64(n->keys + 8ULL * (i + 1)) :
					r->hi;
		ret = walk_node(md, bt, md_le64(n->values + 8ULL * i), &cr,
				depth + 1);
		if (ret)
			return ret;
	}
	return 0;
}

static int walk_leaf(struct md *md, struct md_btree *bt, struct node *n,
		     int depth)
{
	uint32_t i;
	int ret;

	if (bt->leaf_depth < 0)
		bt->leaf_depth = depth;
	else if (bt->leaf_depth != depth)
		md_error(md, "%s: leaf %llu at depth %d, others at depth %d",
			 bt->what, (unsigned long long)n->b, depth,
			 bt->leaf_depth);
	for (i = 0; i < n->nr; i++) {
		ret = bt->leaf(md, bt->arg, md_le64(n->keys + 8ULL * i),
			       n->values + (uint64_t)n->value_size * i);
		if (ret)
			return ret;
	}
	return 0;
}

static int walk_node(struct md *md, struct md_btree *bt, uint64_t b,
		     const struct key_range *r, int depth)
{
	uint8_t *buf;
	struct node n = { .b = b };
	int ret = 0;

	if (depth > MAX_DEPTH) {
		md_error(md, "%s: node %llu: deeper than %d levels", bt->what,
			 (unsigned long long)b, MAX_DEPTH);
		return 0;
	}
	if (!md_visit(md, b, bt->what))
		return 0;
	buf = malloc(MD_BLOCK_SIZE);
	if (!buf) {
		fprintf(stderr, "%s: out of memory\n", md->prog);
		exit(2);
	}
	if (md_read_checked(md, b, buf, BTREE_CSUM_XOR, bt->what) &&
	    node_header_ok(md, bt, buf, &n) && node_keys_ok(md, bt, &n, r)) {
		if (n.flags == INTERNAL_NODE)
			ret = walk_children(md, bt, &n, r, depth);
		else
			ret = walk_leaf(md, bt, &n, depth);
	}
	free(buf);
	return ret;
}

int md_walk_btree(struct md *md, uint64_t root, struct md_btree *bt)
{
	struct key_range r = { 0, 0, false };

	bt->leaf_depth = -1;
	return walk_node(md, bt, root, &r, 0);
}

/* ---- the remap tree ---- */

/* One disk's subtree; its name lives as long as the walk's messages. */
struct disk_walk {
	struct md_remap_walk *rw;
	uint32_t id;
};

static int remap_leaf(struct md *md, void *arg, uint64_t key,
		      const void *value)
{
	struct disk_walk *dw = arg;

	if (!dw->rw->remap)
		return 0;
	return dw->rw->remap(md, dw->rw->arg, dw->id, key, md_le64(value));
}

static const char *disk_tree_name(uint32_t id)
{
	char *s;

	if (asprintf(&s, "remap tree of disk %u", id) < 0) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return s;	/* kept: block owners point at it */
}

static int disk_leaf(struct md *md, void *arg, uint64_t key,
		     const void *value)
{
	struct md_remap_walk *rw = arg;
	struct disk_walk dw = { rw, (uint32_t)key };
	struct md_btree bt = { .value_size = 8, .leaf = remap_leaf,
			       .arg = &dw };
	int ret;

	rw->nr_disks++;
	if (key > MD_MAX_DISK_ID) {
		md_error(md, "remap tree: disk id %llu is not 24-bit",
			 (unsigned long long)key);
		return 0;
	}
	if (rw->disk) {
		ret = rw->disk(md, rw->arg, dw.id);
		if (ret)
			return ret;
	}
	bt.what = disk_tree_name(dw.id);
	return md_walk_btree(md, md_le64(value), &bt);
}

int md_walk_remaps(struct md *md, struct md_remap_walk *rw)
{
	struct md_btree bt = { .what = "remap tree (disks)", .value_size = 8,
			       .leaf = disk_leaf, .arg = rw };

	rw->nr_disks = 0;
	return md_walk_btree(md, md->sb.remap_root, &bt);
}
