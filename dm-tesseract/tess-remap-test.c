// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the remap map and extent planning.
 */
#include <kunit/test.h>

#include "tess-remap.h"

static void remap_release(void *rm)
{
	tess_remap_destroy(rm);
}

/*
 * An empty map, destroyed when the case ends however it ends, so that a
 * failed assertion leaks no xarray node.
 */
static struct tess_remap *test_map(struct kunit *test)
{
	struct tess_remap *rm = kunit_kzalloc(test, sizeof(*rm), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, rm);
	tess_remap_init(rm);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, remap_release,
							rm), 0);
	return rm;
}

static void tess_remap_map_test(struct kunit *test)
{
	struct tess_remap *rm = test_map(test);
	bool had_old;
	u64 s, old = 0;

	KUNIT_EXPECT_FALSE(test, tess_remap_get(rm, 7, &s));
	KUNIT_ASSERT_EQ(test, tess_remap_set(rm, 7, 70, GFP_NOWAIT, &old,
					     &had_old), 0);
	KUNIT_EXPECT_FALSE(test, had_old);
	KUNIT_EXPECT_TRUE(test, tess_remap_get(rm, 7, &s));
	KUNIT_EXPECT_EQ(test, s, 70ULL);
	/* Remapping again hands back the old store block to release. */
	KUNIT_ASSERT_EQ(test, tess_remap_set(rm, 7, 71, GFP_NOWAIT, &old,
					     &had_old), 0);
	KUNIT_EXPECT_TRUE(test, had_old);
	KUNIT_EXPECT_EQ(test, old, 70ULL);
	KUNIT_ASSERT_EQ(test, tess_remap_set(rm, 1ULL << 33, 5, GFP_NOWAIT,
					     &old, &had_old), 0);
	KUNIT_EXPECT_EQ(test, tess_remap_count(rm), 2ULL);
	KUNIT_EXPECT_TRUE(test, tess_remap_drop_if(rm, 7, 0, true, &s));
	KUNIT_EXPECT_EQ(test, s, 71ULL);
	KUNIT_EXPECT_FALSE(test, tess_remap_drop_if(rm, 7, 0, true, &s));
	KUNIT_EXPECT_TRUE(test, tess_remap_drop_if(rm, 1ULL << 33, 0, true, &s));
	KUNIT_EXPECT_EQ(test, tess_remap_count(rm), 0ULL);
}

/*
 * A compare-and-drop takes only a live remap of the given store block (or
 * any, with @any); a refused one leaves the entry as it was, clean.
 */
static void tess_remap_drop_if_test(struct kunit *test)
{
	struct tess_remap_change ch[2];
	struct tess_remap *rm = test_map(test);
	bool had_old;
	u64 s, cur = 0, old, pos = 0;

	KUNIT_ASSERT_EQ(test, tess_remap_set(rm, 7, 70, GFP_NOWAIT, &old,
					     &had_old), 0);
	KUNIT_ASSERT_EQ(test, tess_remap_set(rm, 9, 90, GFP_NOWAIT, &old,
					     &had_old), 0);
	KUNIT_ASSERT_EQ(test, tess_remap_collect(rm, &pos, ch, 2), 2U);

	/* Another store block: a newer remap, left alone. */
	KUNIT_EXPECT_FALSE(test, tess_remap_drop_if(rm, 7, 71, false, &cur));
	KUNIT_EXPECT_TRUE(test, tess_remap_get(rm, 7, &s));
	KUNIT_EXPECT_EQ(test, s, 70ULL);
	KUNIT_EXPECT_FALSE(test, tess_remap_dirty(rm));
	KUNIT_EXPECT_EQ(test, tess_remap_drops(rm), 0UL);

	KUNIT_EXPECT_TRUE(test, tess_remap_drop_if(rm, 7, 70, false, &cur));
	KUNIT_EXPECT_EQ(test, cur, 70ULL);
	KUNIT_EXPECT_FALSE(test, tess_remap_get(rm, 7, &s));
	/* The drop is a dirty tombstone: the next commit removes it. */
	KUNIT_EXPECT_TRUE(test, tess_remap_dirty(rm));
	/* A tombstone, and a block never remapped, are not dropped. */
	KUNIT_EXPECT_FALSE(test, tess_remap_drop_if(rm, 7, 70, false, &cur));
	KUNIT_EXPECT_FALSE(test, tess_remap_drop_if(rm, 7, 0, true, &cur));
	KUNIT_EXPECT_FALSE(test, tess_remap_drop_if(rm, 8, 0, true, &cur));
	/* @any ignores @store, and reports the block it dropped. */
	KUNIT_EXPECT_TRUE(test, tess_remap_drop_if(rm, 9, 12345, true, &cur));
	KUNIT_EXPECT_EQ(test, cur, 90ULL);
	KUNIT_EXPECT_EQ(test, tess_remap_drops(rm), 2UL);
	KUNIT_EXPECT_EQ(test, tess_remap_count(rm), 0ULL);
	/* Both drops reach the commit as removals of the blocks they held. */
	pos = 0;
	KUNIT_ASSERT_EQ(test, tess_remap_collect(rm, &pos, ch, 2), 2U);
	KUNIT_EXPECT_EQ(test, ch[0].disk, 7ULL);
	KUNIT_EXPECT_EQ(test, ch[0].store, 70ULL);
	KUNIT_EXPECT_FALSE(test, ch[0].live);
	KUNIT_EXPECT_EQ(test, ch[1].disk, 9ULL);
	KUNIT_EXPECT_EQ(test, ch[1].store, 90ULL);
	KUNIT_EXPECT_FALSE(test, ch[1].live);
}

static int tess_remap_test_ref(void *ctx, u64 store)
{
	unsigned int *refs = ctx;

	/* Store block 41 cannot take another reference. */
	if (store == 41)
		return -EOVERFLOW;
	(*refs)++;
	return 0;
}

/*
 * Drops are counted; undrop turns the dirty tombstones back into live,
 * dirty remaps of their last store block, each with a reference taken,
 * and leaves the one whose reference fails a tombstone.
 */
static void tess_remap_undrop_test(struct kunit *test)
{
	struct tess_remap_change ch[4];
	struct tess_remap *rm = test_map(test);
	unsigned int refs = 0;
	bool had_old;
	u64 s, old, pos = 0;

	KUNIT_ASSERT_EQ(test, tess_remap_set(rm, 1, 40, GFP_NOWAIT, &old,
					     &had_old), 0);
	KUNIT_ASSERT_EQ(test, tess_remap_set(rm, 2, 41, GFP_NOWAIT, &old,
					     &had_old), 0);
	KUNIT_ASSERT_EQ(test, tess_remap_set(rm, 3, 42, GFP_NOWAIT, &old,
					     &had_old), 0);
	KUNIT_EXPECT_EQ(test, tess_remap_collect(rm, &pos, ch, 4), 3U);
	KUNIT_EXPECT_EQ(test, tess_remap_drops(rm), 0UL);
	KUNIT_ASSERT_TRUE(test, tess_remap_drop_if(rm, 1, 0, true, &s));
	KUNIT_ASSERT_TRUE(test, tess_remap_drop_if(rm, 2, 0, true, &s));
	KUNIT_EXPECT_FALSE(test, tess_remap_drop_if(rm, 2, 0, true, &s));
	KUNIT_EXPECT_EQ(test, tess_remap_drops(rm), 2UL);

	KUNIT_EXPECT_EQ(test, tess_remap_undrop(rm, tess_remap_test_ref,
						&refs), 1U);
	KUNIT_EXPECT_EQ(test, refs, 1U);
	KUNIT_EXPECT_TRUE(test, tess_remap_get(rm, 1, &s));
	KUNIT_EXPECT_EQ(test, s, 40ULL);
	KUNIT_EXPECT_FALSE(test, tess_remap_get(rm, 2, &s));
	/* Block 1 is dirty and live again, 2 still a tombstone, 3 clean. */
	pos = 0;
	KUNIT_ASSERT_EQ(test, tess_remap_collect(rm, &pos, ch, 4), 2U);
	KUNIT_EXPECT_EQ(test, ch[0].disk, 1ULL);
	KUNIT_EXPECT_TRUE(test, ch[0].live);
	KUNIT_EXPECT_EQ(test, ch[0].store, 40ULL);
	KUNIT_EXPECT_EQ(test, ch[1].disk, 2ULL);
	KUNIT_EXPECT_FALSE(test, ch[1].live);
	KUNIT_EXPECT_EQ(test, tess_remap_count(rm), 2ULL);
}

/*
 * A dropped remap is a tombstone: get, any, next and plan do not see it,
 * a new remap replaces it without handing back a block to release (the
 * drop's caller put it after commit already).
 */
static void tess_remap_tombstone_test(struct kunit *test)
{
	struct tess_extent ext[2];
	struct tess_remap *rm = test_map(test);
	bool had_old;
	u64 s, old, b;

	KUNIT_ASSERT_EQ(test, tess_remap_set(rm, 3, 30, GFP_NOWAIT, &old,
					     &had_old), 0);
	KUNIT_ASSERT_TRUE(test, tess_remap_drop_if(rm, 3, 0, true, &s));
	KUNIT_EXPECT_FALSE(test, tess_remap_get(rm, 3, &s));
	KUNIT_EXPECT_FALSE(test, tess_remap_any(rm, 0, ULONG_MAX));
	b = 0;
	KUNIT_EXPECT_FALSE(test, tess_remap_next(rm, &b, ULONG_MAX, &s));
	KUNIT_EXPECT_EQ(test, tess_remap_plan(rm, 0, 64, ext, 2), 1U);
	KUNIT_EXPECT_FALSE(test, ext[0].remapped);
	KUNIT_EXPECT_EQ(test, tess_remap_count(rm), 0ULL);
	KUNIT_EXPECT_TRUE(test, tess_remap_dirty(rm));

	KUNIT_ASSERT_EQ(test, tess_remap_set(rm, 3, 31, GFP_NOWAIT, &old,
					     &had_old), 0);
	KUNIT_EXPECT_FALSE(test, had_old);
	KUNIT_EXPECT_TRUE(test, tess_remap_get(rm, 3, &s));
	KUNIT_EXPECT_EQ(test, s, 31ULL);
	b = 0;
	KUNIT_EXPECT_TRUE(test, tess_remap_next(rm, &b, ULONG_MAX, &s));
	KUNIT_EXPECT_EQ(test, b, 3ULL);
}

/*
 * Changes are dirty until collected, in disk order; collecting erases
 * tombstones and cleans live entries; loaded entries are clean.
 */
static void tess_remap_collect_test(struct kunit *test)
{
	struct tess_remap_change ch[4];
	struct tess_remap *rm = test_map(test);
	bool had_old;
	u64 s, old, pos = 0;

	KUNIT_ASSERT_EQ(test, tess_remap_load(rm, 1, 10, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, tess_remap_load(rm, 2, 20, GFP_KERNEL), 0);
	KUNIT_EXPECT_FALSE(test, tess_remap_dirty(rm));
	KUNIT_EXPECT_EQ(test, tess_remap_collect(rm, &pos, ch, 4), 0U);
	KUNIT_EXPECT_EQ(test, tess_remap_count(rm), 2ULL);

	KUNIT_ASSERT_EQ(test, tess_remap_set(rm, 9, 90, GFP_NOWAIT, &old,
					     &had_old), 0);
	KUNIT_ASSERT_TRUE(test, tess_remap_drop_if(rm, 2, 0, true, &s));
	KUNIT_ASSERT_EQ(test, tess_remap_set(rm, 5, 50, GFP_NOWAIT, &old,
					     &had_old), 0);
	KUNIT_EXPECT_TRUE(test, tess_remap_dirty(rm));

	/* Two at a time: the position moves on. */
	pos = 0;
	KUNIT_ASSERT_EQ(test, tess_remap_collect(rm, &pos, ch, 2), 2U);
	KUNIT_EXPECT_EQ(test, ch[0].disk, 2ULL);
	KUNIT_EXPECT_FALSE(test, ch[0].live);
	KUNIT_EXPECT_EQ(test, ch[1].disk, 5ULL);
	KUNIT_EXPECT_TRUE(test, ch[1].live);
	KUNIT_EXPECT_EQ(test, ch[1].store, 50ULL);
	KUNIT_ASSERT_EQ(test, tess_remap_collect(rm, &pos, ch, 2), 1U);
	KUNIT_EXPECT_EQ(test, ch[0].disk, 9ULL);
	KUNIT_EXPECT_EQ(test, ch[0].store, 90ULL);
	KUNIT_EXPECT_FALSE(test, tess_remap_dirty(rm));
	pos = 0;
	KUNIT_EXPECT_EQ(test, tess_remap_collect(rm, &pos, ch, 4), 0U);

	/* The live ones stay, the tombstone is gone from the xarray. */
	KUNIT_EXPECT_EQ(test, tess_remap_count(rm), 3ULL);
	KUNIT_EXPECT_NULL(test, xa_load(&rm->map, 2));
	KUNIT_EXPECT_TRUE(test, tess_remap_get(rm, 1, &s));
	KUNIT_EXPECT_EQ(test, s, 10ULL);

	/* Changed again after collection: dirty again. */
	KUNIT_ASSERT_EQ(test, tess_remap_set(rm, 5, 51, GFP_NOWAIT, &old,
					     &had_old), 0);
	KUNIT_EXPECT_TRUE(test, had_old);
	KUNIT_EXPECT_EQ(test, old, 50ULL);
	pos = 0;
	KUNIT_ASSERT_EQ(test, tess_remap_collect(rm, &pos, ch, 4), 1U);
	KUNIT_EXPECT_EQ(test, ch[0].store, 51ULL);
}

/* tess_remap_any() sees a remap anywhere in the range, bounds included. */
static void tess_remap_any_test(struct kunit *test)
{
	struct tess_remap *rm = test_map(test);
	bool had_old;
	u64 old;

	KUNIT_EXPECT_FALSE(test, tess_remap_any(rm, 0, ULONG_MAX));
	KUNIT_ASSERT_EQ(test, tess_remap_set(rm, 10, 1, GFP_NOWAIT, &old,
					     &had_old), 0);
	KUNIT_EXPECT_TRUE(test, tess_remap_any(rm, 10, 10));
	KUNIT_EXPECT_TRUE(test, tess_remap_any(rm, 0, 10));
	KUNIT_EXPECT_TRUE(test, tess_remap_any(rm, 10, 20));
	KUNIT_EXPECT_TRUE(test, tess_remap_any(rm, 5, 15));
	KUNIT_EXPECT_FALSE(test, tess_remap_any(rm, 0, 9));
	KUNIT_EXPECT_FALSE(test, tess_remap_any(rm, 11, ULONG_MAX));
	tess_remap_drop_if(rm, 10, 0, true, &old);
	KUNIT_EXPECT_FALSE(test, tess_remap_any(rm, 0, ULONG_MAX));
}

/*
 * Reserved slots read as unmapped everywhere, take a remap, and release
 * leaves remaps alone and the map empty otherwise.
 */
static void tess_remap_reserve_test(struct kunit *test)
{
	struct tess_remap_change ch[4];
	struct tess_remap *rm = test_map(test);
	bool had_old;
	u64 s, old, pos = 0;

	KUNIT_ASSERT_EQ(test, tess_remap_set(rm, 102, 9, GFP_NOWAIT, &old,
					     &had_old), 0);
	tess_remap_reserve(rm, 100, 4, GFP_KERNEL);
	KUNIT_EXPECT_FALSE(test, tess_remap_get(rm, 100, &s));
	KUNIT_EXPECT_FALSE(test, tess_remap_any(rm, 100, 101));
	KUNIT_EXPECT_TRUE(test, tess_remap_get(rm, 102, &s));
	KUNIT_EXPECT_EQ(test, s, 9ULL);
	KUNIT_EXPECT_EQ(test, tess_remap_count(rm), 1ULL);
	KUNIT_ASSERT_EQ(test, tess_remap_set(rm, 101, 5, GFP_NOWAIT, &old,
					     &had_old), 0);
	KUNIT_EXPECT_FALSE(test, had_old);
	tess_remap_release(rm, 100, 4);
	KUNIT_EXPECT_EQ(test, tess_remap_count(rm), 2ULL);
	KUNIT_EXPECT_TRUE(test, tess_remap_get(rm, 101, &s));
	KUNIT_EXPECT_EQ(test, s, 5ULL);
	/* Dropped and collected, nothing is left: the slots were released. */
	KUNIT_EXPECT_TRUE(test, tess_remap_drop_if(rm, 101, 0, true, &s));
	KUNIT_EXPECT_TRUE(test, tess_remap_drop_if(rm, 102, 0, true, &s));
	KUNIT_EXPECT_EQ(test, tess_remap_collect(rm, &pos, ch, 4), 2U);
	KUNIT_EXPECT_TRUE(test, xa_empty(&rm->map));
}

#define MAX_MAPS 4
#define MAX_EXT 4

struct plan_case {
	const char *desc;
	u64 maps[MAX_MAPS][2];		/* disk block, store block */
	unsigned int nr_maps;
	sector_t sector, len;
	unsigned int max;
	unsigned int nr_ext;
	struct tess_extent ext[MAX_EXT];
};

static const struct plan_case plan_cases[] = {
	{ "no remaps: one home extent", {}, 0, 0, 64, MAX_EXT,
	  1, { { 0, 64, false, 0 } } },
	{ "one remapped block splits the range", { { 1, 100 } }, 1, 0, 32, MAX_EXT,
	  3, { { 0, 8, false, 0 }, { 8, 8, true, 800 }, { 16, 16, false, 0 } } },
	{ "consecutive store blocks coalesce", { { 2, 10 }, { 3, 11 }, { 4, 12 } }, 3,
	  16, 24, MAX_EXT, 1, { { 16, 24, true, 80 } } },
	{ "scattered store blocks do not", { { 2, 10 }, { 3, 20 } }, 2, 16, 16, MAX_EXT,
	  2, { { 16, 8, true, 80 }, { 24, 8, true, 160 } } },
	{ "reverse order does not", { { 2, 11 }, { 3, 10 } }, 2, 16, 16, MAX_EXT,
	  2, { { 16, 8, true, 88 }, { 24, 8, true, 80 } } },
	{ "unaligned start and end", { { 0, 5 } }, 1, 3, 10, MAX_EXT,
	  2, { { 3, 5, true, 43 }, { 8, 5, false, 0 } } },
	{ "inside one remapped block", { { 4, 9 } }, 1, 34, 2, MAX_EXT,
	  1, { { 34, 2, true, 74 } } },
	{ "max reached: a prefix", { { 1, 50 }, { 3, 60 } }, 2, 0, 40, 2,
	  2, { { 0, 8, false, 0 }, { 8, 8, true, 400 } } },
};

static void plan_case_desc(const struct plan_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(plan, plan_cases, plan_case_desc);

static void tess_remap_plan_test(struct kunit *test)
{
	const struct plan_case *c = test->param_value;
	struct tess_extent ext[MAX_EXT];
	struct tess_remap *rm = test_map(test);
	unsigned int i, n;
	bool had_old;
	u64 old;

	for (i = 0; i < c->nr_maps; i++)
		KUNIT_ASSERT_EQ(test, tess_remap_set(rm, c->maps[i][0],
						     c->maps[i][1], GFP_NOWAIT,
						     &old, &had_old), 0);

	n = tess_remap_plan(rm, c->sector, c->len, ext, c->max);
	KUNIT_EXPECT_EQ(test, n, c->nr_ext);
	for (i = 0; i < min(n, c->nr_ext); i++) {
		KUNIT_EXPECT_EQ_MSG(test, ext[i].sector, c->ext[i].sector, "extent %u", i);
		KUNIT_EXPECT_EQ_MSG(test, ext[i].len, c->ext[i].len, "extent %u", i);
		KUNIT_EXPECT_EQ_MSG(test, ext[i].remapped, c->ext[i].remapped, "extent %u", i);
		KUNIT_EXPECT_EQ_MSG(test, ext[i].store_sector, c->ext[i].store_sector,
				    "extent %u", i);
	}
}

static struct kunit_case tess_remap_cases[] = {
	KUNIT_CASE(tess_remap_map_test),
	KUNIT_CASE(tess_remap_tombstone_test),
	KUNIT_CASE(tess_remap_drop_if_test),
	KUNIT_CASE(tess_remap_undrop_test),
	KUNIT_CASE(tess_remap_collect_test),
	KUNIT_CASE(tess_remap_any_test),
	KUNIT_CASE(tess_remap_reserve_test),
	KUNIT_CASE_PARAM(tess_remap_plan_test, plan_gen_params),
	{}
};

static struct kunit_suite tess_remap_suite = {
	.name = "dm-tesseract-remap",
	.test_cases = tess_remap_cases,
};

kunit_test_suite(tess_remap_suite);
