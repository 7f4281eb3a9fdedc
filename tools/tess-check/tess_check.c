// SPDX-License-Identifier: GPL-2.0
/*
 * tess_check: check a tesseract pool's metadata, as thin_check does for
 * dm-thin's.
 *
 *   tess_check [--ignore-non-fatal-errors] [--clear-needs-check-flag]
 *              [--list-blocks] [--store <store dev or image>]
 *              <metadata dev or image>
 *
 * Checks the superblock (magic, version, checksum, blocknr, block sizes),
 * every btree node (checksum, blocknr, header, keys strictly increasing),
 * the remap tree (24-bit disk ids, nr_disks, every store block inside the
 * store and not block 0), the store space map (index and bitmap blocks,
 * ref-count tree; each store block's count equals the number of remaps
 * that name it, over all disks) and the metadata space map (index and
 * bitmap blocks, ref-count tree; every block reachable from the
 * superblock is counted, and only those).
 *
 * Each problem is one line on stderr.  Counts higher than the references
 * found (leaked blocks) and wrong free-block hints are non-fatal: nothing
 * is lost, space is.  Exit 0: clean; 1: damaged (or non-fatal problems,
 * unless --ignore-non-fatal-errors); 2: bad arguments or an I/O error.
 * --clear-needs-check-flag clears the superblock's needs_check flag (set
 * by the pool after a metadata error; it keeps the pool read-only) when
 * the check passes, as thin_check's does.  A block device is opened
 * exclusively: the metadata of a live pool is refused (exit 2).
 * --store also checks the store's superblock against the metadata's:
 * magic, version, checksum, block size, block count and the pool's uuid.
 * --list-blocks prints, after the check, each metadata block in use and
 * what uses it ("<block> <owner>" lines on stdout), for tests and
 * debugging.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tess-md.h"

/* A block's count above 2, from a ref-count tree. */
struct rc_entry {
	uint64_t block;
	uint32_t count;
	bool matched;			/* its bitmap entry says 3 */
};

/* Where a space map's counts go: fn(md, arg, block, count). */
struct count_cb {
	void (*fn)(struct md *md, void *arg, uint64_t b, uint32_t c);
	void *arg;
};

/* A space map as found on the device. */
struct sm {
	const char *name, *index_what, *bitmap_what, *rc_what;
	struct md_sm_root root;
	uint64_t nr_bitmaps;
	uint64_t *bitmap;		/* block of each bitmap; 0: unusable */
	uint32_t *nr_free;		/* each bitmap's index entry */
	struct rc_entry *rc;
	size_t nr_rc, rc_cap;
	uint64_t nr_allocated;		/* counted from the bitmaps */
};

static void *zalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "tess_check: out of memory\n");
		exit(2);
	}
	return p;
}

static void sm_init(struct sm *sm, const uint8_t *raw, const char *name,
		    const char *index_what, const char *bitmap_what,
		    const char *rc_what)
{
	memset(sm, 0, sizeof(*sm));
	sm->name = name;
	sm->index_what = index_what;
	sm->bitmap_what = bitmap_what;
	sm->rc_what = rc_what;
	md_sm_root(raw, &sm->root);
	sm->nr_bitmaps = (sm->root.nr_blocks + ENTRIES_PER_BITMAP - 1) /
			 ENTRIES_PER_BITMAP;
}

static int rc_leaf(struct md *md, void *arg, uint64_t key, const void *value)
{
	struct sm *sm = arg;
	uint32_t count = md_le32(value);

	if (key >= sm->root.nr_blocks) {
		md_error(md, "%s: block %llu is past the space map's %llu blocks",
			 sm->rc_what, (unsigned long long)key,
			 (unsigned long long)sm->root.nr_blocks);
		return 0;
	}
	if (count < 3)
		md_error(md, "%s: block %llu has count %u, below 3",
			 sm->rc_what, (unsigned long long)key, count);
	if (sm->nr_rc == sm->rc_cap) {
		sm->rc_cap = sm->rc_cap ? 2 * sm->rc_cap : 64;
		sm->rc = realloc(sm->rc, sm->rc_cap * sizeof(*sm->rc));
		if (!sm->rc) {
			fprintf(stderr, "tess_check: out of memory\n");
			exit(2);
		}
	}
	sm->rc[sm->nr_rc++] = (struct rc_entry){ key, count, false };
	return 0;
}

static void sm_load_rc(struct md *md, struct sm *sm)
{
	struct md_btree bt = { .what = sm->rc_what, .value_size = 4,
			       .leaf = rc_leaf, .arg = sm };

	md_walk_btree(md, sm->root.ref_count_root, &bt);
}

/* Visit and check each bitmap the index names; forget the bad ones. */
static void sm_load_bitmaps(struct md *md, struct sm *sm)
{
	uint8_t buf[MD_BLOCK_SIZE];
	uint64_t i;

	for (i = 0; i < sm->nr_bitmaps; i++) {
		if (!sm->bitmap[i]) {
			md_error(md, "%s: no bitmap for blocks %llu..%llu",
				 sm->index_what,
				 (unsigned long long)(i * ENTRIES_PER_BITMAP),
				 (unsigned long long)((i + 1) * ENTRIES_PER_BITMAP - 1));
			continue;
		}
		if (!md_visit(md, sm->bitmap[i], sm->bitmap_what) ||
		    !md_read_checked(md, sm->bitmap[i], buf, BITMAP_CSUM_XOR,
				     sm->bitmap_what))
			sm->bitmap[i] = 0;
	}
}

static void sm_alloc_index(struct sm *sm)
{
	sm->bitmap = zalloc(sm->nr_bitmaps, sizeof(*sm->bitmap));
	sm->nr_free = zalloc(sm->nr_bitmaps, sizeof(*sm->nr_free));
}

/* The metadata space map: its index is one block. */
static void sm_load_metadata(struct md *md, struct sm *sm)
{
	uint8_t buf[MD_BLOCK_SIZE];
	const struct md_index_entry *ie;
	uint64_t i;

	if (sm->nr_bitmaps > MAX_METADATA_BITMAPS) {
		md_error(md, "%s: %llu blocks need more than %d bitmaps",
			 sm->name, (unsigned long long)sm->root.nr_blocks,
			 MAX_METADATA_BITMAPS);
		sm->nr_bitmaps = MAX_METADATA_BITMAPS;
	}
	sm_alloc_index(sm);
	if (md_visit(md, sm->root.bitmap_root, sm->index_what) &&
	    md_read_checked(md, sm->root.bitmap_root, buf, INDEX_CSUM_XOR,
			    sm->index_what)) {
		ie = (const struct md_index_entry *)
			(buf + offsetof(struct md_metadata_index, index));
		for (i = 0; i < sm->nr_bitmaps; i++) {
			sm->bitmap[i] = md_le64(&ie[i].blocknr);
			sm->nr_free[i] = md_le32(&ie[i].nr_free);
		}
	}
	sm_load_bitmaps(md, sm);
	sm_load_rc(md, sm);
}

static int index_leaf(struct md *md, void *arg, uint64_t key,
		      const void *value)
{
	struct sm *sm = arg;
	const struct md_index_entry *ie = value;

	if (key >= sm->nr_bitmaps) {
		md_error(md, "%s: bitmap %llu, but %llu blocks need %llu",
			 sm->index_what, (unsigned long long)key,
			 (unsigned long long)sm->root.nr_blocks,
			 (unsigned long long)sm->nr_bitmaps);
		return 0;
	}
	sm->bitmap[key] = md_le64(&ie->blocknr);
	sm->nr_free[key] = md_le32(&ie->nr_free);
	return 0;
}

/* The store space map (dm_sm_disk): its index is a btree. */
static void sm_load_disk(struct md *md, struct sm *sm)
{
	struct md_btree bt = { .what = sm->index_what,
			       .value_size = sizeof(struct md_index_entry),
			       .leaf = index_leaf, .arg = sm };

	sm_alloc_index(sm);
	md_walk_btree(md, sm->root.bitmap_root, &bt);
	sm_load_bitmaps(md, sm);
	sm_load_rc(md, sm);
}

static unsigned int bitmap_entry(const uint8_t *bits, unsigned int i)
{
	unsigned int bit = 2 * i;
	unsigned int hi = (bits[bit / 8] >> (bit % 8)) & 1;
	unsigned int lo = (bits[(bit + 1) / 8] >> ((bit + 1) % 8)) & 1;

	return hi << 1 | lo;
}

static uint32_t rc_lookup(struct md *md, struct sm *sm, uint64_t b)
{
	size_t lo = 0, hi = sm->nr_rc, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sm->rc[mid].block == b) {
			sm->rc[mid].matched = true;
			return sm->rc[mid].count;
		}
		if (sm->rc[mid].block < b)
			lo = mid + 1;
		else
			hi = mid;
	}
	md_error(md, "%s: block %llu has bitmap entry 3 but no count in the ref-count tree",
		 sm->name, (unsigned long long)b);
	return 3;
}

/* Every count of bitmap @i to @cb; check its index entry's free count. */
static void sm_count_bitmap(struct md *md, struct sm *sm, uint64_t i,
			    const struct count_cb *cb)
{
	uint8_t buf[MD_BLOCK_SIZE];
	const uint8_t *bits = buf + sizeof(struct md_bitmap_header);
	uint64_t b;
	uint32_t j, v, nr_free = 0;

	md_read(md, sm->bitmap[i], buf);
	for (j = 0; j < ENTRIES_PER_BITMAP; j++) {
		v = bitmap_entry(bits, j);
		b = i * ENTRIES_PER_BITMAP + j;
		if (!v) {
			nr_free++;
			continue;
		}
		if (b >= sm->root.nr_blocks) {
			md_error(md, "%s: block %llu is counted, past the space map's %llu blocks",
				 sm->name, (unsigned long long)b,
				 (unsigned long long)sm->root.nr_blocks);
			continue;
		}
		sm->nr_allocated++;
		cb->fn(md, cb->arg, b, v == 3 ? rc_lookup(md, sm, b) : v);
	}
	if (nr_free != sm->nr_free[i])
		md_warn(md, "%s: bitmap %llu (block %llu): index says %u free, bitmap has %u",
			sm->name, (unsigned long long)i,
			(unsigned long long)sm->bitmap[i], sm->nr_free[i],
			nr_free);
}

/* Is block @b of the space map in a bitmap that could be read? */
static bool sm_readable(const struct sm *sm, uint64_t b)
{
	return b / ENTRIES_PER_BITMAP < sm->nr_bitmaps &&
	       sm->bitmap[b / ENTRIES_PER_BITMAP];
}

/*
 * Call @cb for each block with a non-zero count.  Blocks whose bitmap is
 * missing or damaged were reported already and are skipped.
 */
static void sm_count_all(struct md *md, struct sm *sm,
			 const struct count_cb *cb)
{
	uint64_t i;
	size_t k;

	for (i = 0; i < sm->nr_bitmaps; i++)
		if (sm->bitmap[i])
			sm_count_bitmap(md, sm, i, cb);
	for (k = 0; k < sm->nr_rc; k++)
		if (!sm->rc[k].matched && sm_readable(sm, sm->rc[k].block))
			md_error(md,
				 "%s: block %llu has a count of %u in the ref-count tree but not 3 in its bitmap",
				 sm->name, (unsigned long long)sm->rc[k].block,
				 sm->rc[k].count);
	for (i = 0; i < sm->nr_bitmaps; i++)
		if (!sm->bitmap[i])
			return;
	if (sm->nr_allocated != sm->root.nr_allocated)
		md_warn(md, "%s: root says %llu blocks allocated, bitmaps count %llu",
			sm->name, (unsigned long long)sm->root.nr_allocated,
			(unsigned long long)sm->nr_allocated);
}

static void sm_free(struct sm *sm)
{
	free(sm->bitmap);
	free(sm->nr_free);
	free(sm->rc);
}

/* ---- the remap tree and the store space map ---- */

/*
 * The store blocks the remaps name, sorted, against the store space map's
 * counts, which come in increasing block order: memory in proportion to
 * the remaps, not to the store.
 */
struct store_check {
	uint64_t nr_blocks;		/* of the store */
	uint64_t *names;		/* one per remap, then sorted */
	size_t nr_names, cap, pos;	/* pos: the next not yet compared */
	uint64_t leak, leak_end;	/* a run of leaked blocks, or none */
	bool complete;			/* the remap tree was read whole */
	struct sm *sm;
};

static int check_remap(struct md *md, void *arg, uint32_t id, uint64_t block,
		       uint64_t store)
{
	struct store_check *sc = arg;

	if (store == 0) {
		md_error(md,
			 "disk %u: block %llu remapped to store block 0, the store's superblock",
			 id, (unsigned long long)block);
		return 0;
	}
	if (store >= sc->nr_blocks) {
		md_error(md,
			 "disk %u: block %llu remapped to store block %llu, past the store (%llu blocks)",
			 id, (unsigned long long)block,
			 (unsigned long long)store,
			 (unsigned long long)sc->nr_blocks);
		return 0;
	}
	if (sc->nr_names == sc->cap) {
		sc->cap = sc->cap ? 2 * sc->cap : 1024;
		sc->names = realloc(sc->names, sc->cap * sizeof(*sc->names));
		if (!sc->names) {
			fprintf(stderr, "tess_check: out of memory\n");
			exit(2);
		}
	}
	sc->names[sc->nr_names++] = store;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void flush_leak(struct md *md, struct store_check *sc)
{
	if (sc->leak == UINT64_MAX)
		return;
	if (sc->leak_end - sc->leak == 1)
		md_warn(md, "store block %llu is counted but no remap names it (leaked)",
			(unsigned long long)sc->leak);
	else
		md_warn(md,
			"store blocks %llu..%llu are counted but no remap names them (leaked)",
			(unsigned long long)sc->leak,
			(unsigned long long)sc->leak_end - 1);
	sc->leak = UINT64_MAX;
}

/* Store block @b: count @c, named by @r remaps. */
static void store_compare(struct md *md, struct store_check *sc, uint64_t b,
			  uint32_t c, uint64_t r)
{
	if (c > r && !r && sc->complete) {
		if (sc->leak != UINT64_MAX && sc->leak_end == b) {
			sc->leak_end++;
			return;
		}
		flush_leak(md, sc);
		sc->leak = b;
		sc->leak_end = b + 1;
		return;
	}
	flush_leak(md, sc);
	if (c == r || (c > r && !sc->complete))
		return;
	if (c < r)
		md_error(md, "store block %llu: reference count %u, but %llu remaps name it",
			 (unsigned long long)b, c, (unsigned long long)r);
	else
		md_warn(md,
			"store block %llu: reference count %u, but %llu remaps name it (leaked)",
			(unsigned long long)b, c, (unsigned long long)r);
}

/* The next named block and how many remaps name it; false if none left. */
static bool next_named(struct store_check *sc, uint64_t *b, uint64_t *r)
{
	size_t end = sc->pos;

	if (sc->pos >= sc->nr_names)
		return false;
	*b = sc->names[sc->pos];
	while (end < sc->nr_names && sc->names[end] == *b)
		end++;
	*r = end - sc->pos;
	return true;
}

/* Named blocks below @limit that the space map counts 0. */
static void store_uncounted(struct md *md, struct store_check *sc,
			    uint64_t limit)
{
	uint64_t b, r;

	while (next_named(sc, &b, &r) && b < limit) {
		if (sm_readable(sc->sm, b))
			store_compare(md, sc, b, 0, r);
		sc->pos += r;
	}
}

static void store_counted(struct md *md, void *arg, uint64_t b, uint32_t c)
{
	struct store_check *sc = arg;
	uint64_t nb, r = 0;

	store_uncounted(md, sc, b);
	if (next_named(sc, &nb, &r) && nb == b)
		sc->pos += r;
	else
		r = 0;
	store_compare(md, sc, b, c, r);
}

static void check_remaps_and_store(struct md *md)
{
	struct store_check sc = { .nr_blocks = md->sb.store_nr_blocks,
				  .leak = UINT64_MAX };
	struct md_remap_walk rw = { .remap = check_remap, .arg = &sc };
	unsigned long errors = md->errors;
	struct sm sm;

	md_walk_remaps(md, &rw);
	sc.complete = md->errors == errors;
	if (rw.nr_disks != md->sb.nr_disks)
		md_error(md, "superblock: nr_disks %u, but the remap tree holds %u disks",
			 md->sb.nr_disks, rw.nr_disks);
	qsort(sc.names, sc.nr_names, sizeof(*sc.names), cmp_u64);

	sm_init(&sm, md->sb.store_space_map_root, "store space map",
		"store space map index", "store space map bitmap",
		"store space map ref counts");
	if (sm.root.nr_blocks != sc.nr_blocks)
		md_error(md, "store space map: %llu blocks, the superblock says %llu",
			 (unsigned long long)sm.root.nr_blocks,
			 (unsigned long long)sc.nr_blocks);
	if (sm.root.nr_blocks <= MD_MAX_STORE_BLOCKS) {
		sc.sm = &sm;
		sm_load_disk(md, &sm);
		sm_count_all(md, &sm, &(struct count_cb){ store_counted, &sc });
		store_uncounted(md, &sc, UINT64_MAX);
		flush_leak(md, &sc);
		sm_free(&sm);
	}
	free(sc.names);
}

/* ---- the metadata space map ---- */

struct meta_check {
	uint32_t *counted;
	uint64_t nr_blocks;
};

static void meta_counted(struct md *md, void *arg, uint64_t b, uint32_t c)
{
	struct meta_check *mc = arg;

	(void)md;
	if (b < mc->nr_blocks)
		mc->counted[b] = c;
}

/* Report a run of leaked blocks [first, end) as one line. */
static void report_leak(struct md *md, uint64_t first, uint64_t end)
{
	if (end - first == 1)
		md_warn(md, "metadata block %llu is counted but nothing uses it (leaked)",
			(unsigned long long)first);
	else
		md_warn(md, "metadata blocks %llu..%llu are counted but nothing uses them (leaked)",
			(unsigned long long)first, (unsigned long long)end - 1);
}

static void meta_compare_one(struct md *md, struct meta_check *mc,
			     uint64_t b)
{
	uint32_t used = md->seen[b], c = mc->counted[b];

	if (!c)
		md_error(md,
			 "metadata block %llu (%s) is in use but the metadata space map counts it free",
			 (unsigned long long)b, md->owner[b]);
	else if (c < used)
		md_error(md, "metadata block %llu (%s): count %u, but used %u times",
			 (unsigned long long)b, md->owner[b], c, used);
	else
		md_warn(md, "metadata block %llu (%s): count %u, but used %u times",
			(unsigned long long)b, md->owner[b], c, used);
}

/*
 * Each metadata block's count against its uses.  When some structure
 * could not be read whole (@complete false), the blocks below the damage
 * were not reached and are not reported as leaked.
 */
static void meta_compare(struct md *md, struct meta_check *mc, struct sm *sm,
			 bool complete)
{
	uint64_t b, leak = UINT64_MAX;
	bool leaked;

	for (b = 0; b < md->dev_blocks; b++) {
		leaked = complete && b < mc->nr_blocks && mc->counted[b] &&
			 !md->seen[b];
		if (leaked) {
			if (leak == UINT64_MAX)
				leak = b;
			continue;
		}
		if (leak != UINT64_MAX)
			report_leak(md, leak, b);
		leak = UINT64_MAX;
		if (!md->seen[b])
			continue;
		if (b >= mc->nr_blocks)
			md_error(md,
				 "metadata block %llu (%s) is in use, past the metadata space map's %llu blocks",
				 (unsigned long long)b, md->owner[b],
				 (unsigned long long)mc->nr_blocks);
		else if (sm_readable(sm, b) && mc->counted[b] != md->seen[b])
			meta_compare_one(md, mc, b);
	}
	if (leak != UINT64_MAX)
		report_leak(md, leak, b);
}

/* After every other walk: all the blocks in use have been seen. */
static void check_metadata_space_map(struct md *md)
{
	bool complete = !md->errors;
	struct meta_check mc;
	struct sm sm;

	sm_init(&sm, md->sb.metadata_space_map_root, "metadata space map",
		"metadata space map index", "metadata space map bitmap",
		"metadata space map ref counts");
	if (sm.root.nr_blocks > md->sb.nr_blocks)
		md_error(md, "metadata space map: %llu blocks, the superblock says %llu",
			 (unsigned long long)sm.root.nr_blocks,
			 (unsigned long long)md->sb.nr_blocks);
	/* Counts past the device are counted nowhere: nothing is there. */
	mc.nr_blocks = sm.root.nr_blocks < md->dev_blocks ? sm.root.nr_blocks :
							    md->dev_blocks;
	mc.counted = zalloc(mc.nr_blocks, sizeof(*mc.counted));
	sm_load_metadata(md, &sm);
	sm_count_all(md, &sm, &(struct count_cb){ meta_counted, &mc });
	meta_compare(md, &mc, &sm, complete);
	sm_free(&sm);
	free(mc.counted);
}

static void help(FILE *f)
{
	fprintf(f,
		"usage: tess_check [--ignore-non-fatal-errors] [--clear-needs-check-flag] [--list-blocks] [--store <dev>] <metadata dev or image>\n");
}

static void list_blocks(struct md *md)
{
	uint64_t b;

	for (b = 0; b < md->dev_blocks; b++)
		if (md->seen[b])
			printf("%llu %s\n", (unsigned long long)b, md->owner[b]);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ignore-non-fatal-errors", no_argument, NULL, 'i' },
		{ "list-blocks", no_argument, NULL, 'l' },
		{ "store", required_argument, NULL, 's' },
		{ "clear-needs-check-flag", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	bool ignore_non_fatal = false, list = false, clear = false;
	const char *store = NULL;
	struct md md;
	int c, ret;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'i') {
			ignore_non_fatal = true;
		} else if (c == 'l') {
			list = true;
		} else if (c == 's') {
			store = optarg;
		} else if (c == 'c') {
			clear = true;
		} else {
			help(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc - 1) {
		help(stderr);
		return 2;
	}
	ret = md_open(&md, "tess_check", argv[optind]);
	if (!ret) {
		if (md.sb.flags & MD_NEEDS_CHECK)
			fprintf(stderr, "note: superblock: needs_check is set\n");
		check_remaps_and_store(&md);
		check_metadata_space_map(&md);
		if (store)
			ret = md_check_store(&md, store);
		if (list)
			list_blocks(&md);
		if (!ret)
			ret = md.errors || (md.warnings && !ignore_non_fatal);
		if (!ret && clear && (md.sb.flags & MD_NEEDS_CHECK))
			ret = md_clear_needs_check(&md, argv[optind]);
	}
	md_close(&md);
	return ret;
}
