// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for relocation: which extents a step takes, the rate
 * limit's wait, how a step applies its copies to the map (and the pool
 * disk's compare-and-drop its home moves use), and the reading of its
 * module parameters.
 */
#include <kunit/test.h>
#include <linux/slab.h>

#include "tess-alloc.h"
#include "tess-pool.h"
#include "tess-relocate.h"

/*
 * Teardown as KUnit actions, so that a failed assertion in a case or its
 * setup leaks nothing: they run when the case ends, however it ends.
 */
static void remap_release(void *rm)
{
	tess_remap_destroy(rm);
}

static void alloc_release(void *a)
{
	tess_alloc_destroy(a);
}

/* A pool disk object with its lock and an empty map, freed with the case. */
static struct tess_pool_disk *test_disk(struct kunit *test)
{
	struct tess_pool_disk *pd = kunit_kzalloc(test, sizeof(*pd),
						  GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, pd);
	spin_lock_init(&pd->lock);
	tess_remap_init(&pd->map);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, remap_release,
							&pd->map), 0);
	return pd;
}

/* An allocator of store blocks [0, 8), destroyed with the case. */
static struct tess_alloc *test_alloc(struct kunit *test)
{
	struct tess_alloc *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_EQ(test, tess_alloc_init(a, 0, 8), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, alloc_release, a),
			0);
	return a;
}

/* A disk object with only its remap map, as planning reads it. */
static struct tess_pool_disk *plan_disk(struct kunit *test,
					const u64 (*remaps)[2],
					unsigned int nr)
{
	struct tess_pool_disk *pd = test_disk(test);
	unsigned int i;

	for (i = 0; i < nr; i++)
		KUNIT_ASSERT_EQ(test, tess_remap_load(&pd->map, remaps[i][0],
						      remaps[i][1], GFP_KERNEL),
				0);
	return pd;
}

static void tess_reloc_scattered_test(struct kunit *test)
{
	/* Extent 0 in order; extent 1 out of order; extent 2 one block. */
	static const u64 remaps[][2] = {
		{ 0, 10 }, { 1, 11 }, { 5, 12 }, { 63, 13 },
		{ 64, 30 }, { 65, 32 }, { 66, 31 },
		{ 130, 7 },
	};
	struct tess_pool_disk *pd = plan_disk(test, remaps,
					      ARRAY_SIZE(remaps));

	KUNIT_EXPECT_FALSE(test, tess_reloc_scattered(pd, 0, 1));
	KUNIT_EXPECT_TRUE(test, tess_reloc_scattered(pd, 1, 1));
	KUNIT_EXPECT_FALSE(test, tess_reloc_scattered(pd, 2, 1));
	/* 13 then 30: two extents together are out of order. */
	KUNIT_EXPECT_TRUE(test, tess_reloc_scattered(pd, 0, 2));
	KUNIT_EXPECT_FALSE(test, tess_reloc_scattered(pd, 3, 4));
}

static void tess_reloc_find_test(struct kunit *test)
{
	static const u64 remaps[][2] = {
		{ 64, 100 }, { 65, 101 },		/* extent 1, in order */
		{ 320, 200 }, { 321, 150 },		/* extent 5, scattered */
	};
	struct tess_pool_disk *pd = plan_disk(test, remaps,
					      ARRAY_SIZE(remaps));
	u64 ext = 0;

	KUNIT_EXPECT_EQ(test, tess_reloc_find(pd, TESS_MOVE_HOME, 1, &ext, 8),
			TESS_FOUND);
	KUNIT_EXPECT_EQ(test, ext, 1ULL);
	ext = 2;
	KUNIT_EXPECT_EQ(test, tess_reloc_find(pd, TESS_MOVE_HOME, 1, &ext, 8),
			TESS_FOUND);
	KUNIT_EXPECT_EQ(test, ext, 5ULL);
	ext = 6;
	KUNIT_EXPECT_EQ(test, tess_reloc_find(pd, TESS_MOVE_HOME, 1, &ext, 8),
			TESS_FOUND_NONE);

	/* Regroup skips the extent in order. */
	ext = 0;
	KUNIT_EXPECT_EQ(test, tess_reloc_find(pd, TESS_MOVE_REGROUP, 1, &ext,
					      8), TESS_FOUND);
	KUNIT_EXPECT_EQ(test, ext, 5ULL);
	/* With a budget of one candidate it stops after extent 1. */
	ext = 0;
	KUNIT_EXPECT_EQ(test, tess_reloc_find(pd, TESS_MOVE_REGROUP, 1, &ext,
					      1), TESS_FOUND_LATER);
	KUNIT_EXPECT_EQ(test, ext, 2ULL);
	/* Steps of 8 extents: 0..7 holds both, out of order. */
	ext = 0;
	KUNIT_EXPECT_EQ(test, tess_reloc_find(pd, TESS_MOVE_REGROUP, 8, &ext,
					      8), TESS_FOUND);
	KUNIT_EXPECT_EQ(test, ext, 1ULL);
}

static void tess_reloc_delay_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, tess_reloc_delay(0, 1024), 0UL);
	/* 256 blocks are 1 MiB: a second at 1 MiB/s, a tenth at 10. */
	KUNIT_EXPECT_EQ(test, tess_reloc_delay(1, 256), (unsigned long)HZ);
	KUNIT_EXPECT_EQ(test, tess_reloc_delay(10, 256),
			DIV_ROUND_UP((unsigned long)HZ, 10));
	/* Never rounds a copy down to no wait. */
	KUNIT_EXPECT_GE(test, tess_reloc_delay(100000, 1), 1UL);
}

/*
 * The mode parameter's write: trailing white space stripped, a leading
 * one refused as the number reader refuses it, never truncated.
 */
static void tess_reloc_read_mode_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, tess_reloc_read_mode("regroup\n"),
			TESS_RELOC_REGROUP);
	KUNIT_EXPECT_EQ(test, tess_reloc_read_mode("home \t\n"),
			TESS_RELOC_HOME);
	KUNIT_EXPECT_EQ(test, tess_reloc_read_mode(" home"), -EINVAL);
	KUNIT_EXPECT_EQ(test, tess_reloc_read_mode("\thome\n"), -EINVAL);
	/* 15 characters fit; 16 would read as "regroup" and spaces. */
	KUNIT_EXPECT_EQ(test, tess_reloc_read_mode("regroup        "),
			TESS_RELOC_REGROUP);
	KUNIT_EXPECT_EQ(test, tess_reloc_read_mode("regroup         "),
			-E2BIG);
	KUNIT_EXPECT_EQ(test, tess_reloc_read_mode("regroupx\n"), -EINVAL);
}

static void tess_reloc_parse_mode_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, tess_reloc_parse_mode("off"), TESS_RELOC_OFF);
	KUNIT_EXPECT_EQ(test, tess_reloc_parse_mode("Home"), TESS_RELOC_HOME);
	KUNIT_EXPECT_EQ(test, tess_reloc_parse_mode("regroup"),
			TESS_RELOC_REGROUP);
	KUNIT_EXPECT_EQ(test, tess_reloc_parse_mode("auto"), TESS_RELOC_AUTO);
	KUNIT_EXPECT_EQ(test, tess_reloc_parse_mode("homes"), -EINVAL);
	KUNIT_EXPECT_EQ(test, tess_reloc_parse_mode(""), -EINVAL);
	KUNIT_EXPECT_EQ(test, tess_reloc_parse_mode(NULL), -EINVAL);
}

static bool drop_if(struct tess_pool_disk *pd, struct tess_alloc *a, u64 disk,
		    u64 store, bool any)
{
	unsigned long flags;
	bool dropped;

	spin_lock_irqsave(&pd->lock, flags);
	dropped = __tess_pool_disk_drop_remap(pd, a, disk, store, any);
	spin_unlock_irqrestore(&pd->lock, flags);
	return dropped;
}

/*
 * A pool disk's compare-and-drop: only a live remap of the given store
 * block (or any, with @any) goes, counted off, its block put after commit.
 */
static void tess_pool_disk_drop_remap_test(struct kunit *test)
{
	struct tess_pool_disk *pd = test_disk(test);
	struct tess_alloc *a = test_alloc(test);
	struct tess_remap_change ch[3];
	u64 blocks[2], s, pos = 0;

	KUNIT_ASSERT_EQ(test, tess_alloc_get(a, 2, blocks), 2U);
	KUNIT_ASSERT_EQ(test, tess_remap_load(&pd->map, 5, blocks[0],
					      GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, tess_remap_load(&pd->map, 6, blocks[1],
					      GFP_KERNEL), 0);
	atomic64_set(&pd->remapped, 2);

	/* Another store block: a newer remap, left alone. */
	KUNIT_EXPECT_FALSE(test, drop_if(pd, a, 5, blocks[1], false));
	KUNIT_EXPECT_TRUE(test, tess_remap_get(&pd->map, 5, &s));
	KUNIT_EXPECT_EQ(test, s, blocks[0]);
	KUNIT_EXPECT_EQ(test, atomic64_read(&pd->remapped), 2LL);
	KUNIT_EXPECT_EQ(test, tess_alloc_nr_pending(a), 0ULL);

	KUNIT_EXPECT_TRUE(test, drop_if(pd, a, 5, blocks[0], false));
	KUNIT_EXPECT_FALSE(test, tess_remap_get(&pd->map, 5, &s));
	KUNIT_EXPECT_EQ(test, atomic64_read(&pd->remapped), 1LL);
	/* Put after commit: still referenced until then. */
	KUNIT_EXPECT_EQ(test, tess_alloc_nr_pending(a), 1ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, blocks[0]), 1U);
	/* A tombstone, and a block never remapped, are not dropped. */
	KUNIT_EXPECT_FALSE(test, drop_if(pd, a, 5, blocks[0], false));
	KUNIT_EXPECT_FALSE(test, drop_if(pd, a, 5, 0, true));
	KUNIT_EXPECT_FALSE(test, drop_if(pd, a, 7, 0, true));

	KUNIT_EXPECT_TRUE(test, drop_if(pd, a, 6, blocks[0], true));
	KUNIT_EXPECT_EQ(test, atomic64_read(&pd->remapped), 0LL);
	KUNIT_EXPECT_EQ(test, tess_alloc_nr_pending(a), 2ULL);
	KUNIT_EXPECT_EQ(test, tess_remap_drops(&pd->map), 2UL);
	/* Each drop is a dirty removal of the block it had, for the btree. */
	KUNIT_ASSERT_EQ(test, tess_remap_collect(&pd->map, &pos, ch, 3), 2U);
	KUNIT_EXPECT_EQ(test, ch[0].disk, 5ULL);
	KUNIT_EXPECT_EQ(test, ch[0].store, blocks[0]);
	KUNIT_EXPECT_FALSE(test, ch[0].live);
	KUNIT_EXPECT_EQ(test, ch[1].disk, 6ULL);
	KUNIT_EXPECT_EQ(test, ch[1].store, blocks[1]);
	KUNIT_EXPECT_FALSE(test, ch[1].live);
	/* The commit puts the very blocks the drops named. */
	KUNIT_EXPECT_EQ(test, tess_alloc_commit_begin(a), 2ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_commit_end(a, true), 2ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, blocks[0]), 0U);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, blocks[1]), 0U);
}

struct param_case {
	const char *desc;
	const char *val;
	int ret;
	u64 v;
};

/* Read with [1, 10], as a parameter with a lower bound is. */
static const struct param_case param_cases[] = {
	{ "plain", "5", 0, 5 },
	{ "newline stripped", "5\n", 0, 5 },
	{ "trailing space stripped", "5 ", 0, 5 },
	{ "leading space refused", " 5", -EINVAL },
	{ "only a newline", "\n", -EINVAL },
	{ "empty", "", -EINVAL },
	{ "at the lower bound", "1", 0, 1 },
	{ "below the lower bound", "0\n", -EINVAL },
	{ "at the upper bound", "10\n", 0, 10 },
	{ "over the upper bound", "11", -EINVAL },
	{ "minus sign", "-1", -EINVAL },
	{ "plus sign", "+5", -EINVAL },
	/* 23 characters fit the reader's buffer; 24 would read truncated. */
	{ "longest write", "00000000000000000000005", 0, 5 },
	{ "too long, not truncated", "000000000000000000000010", -E2BIG },
	{ "too long and not a number", "xxxxxxxxxxxxxxxxxxxxxxxx", -E2BIG },
};

static void param_case_desc(const struct param_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(param, param_cases, param_case_desc);

/*
 * A disk whose remaps 5 and 6 a step copied (from blocks b[0], b[1]), then
 * a guest write remapped 5 anew (to b[2]) before the step applied.
 */
static struct tess_pool_disk *apply_disk(struct kunit *test,
					 struct tess_alloc *a, u64 *b)
{
	struct tess_pool_disk *pd = test_disk(test);
	unsigned long flags;
	bool had = false;
	u64 old = 0;
	int r;

	KUNIT_ASSERT_EQ(test, tess_alloc_get(a, 3, b), 3U);
	KUNIT_ASSERT_EQ(test, tess_remap_load(&pd->map, 5, b[0], GFP_KERNEL),
			0);
	KUNIT_ASSERT_EQ(test, tess_remap_load(&pd->map, 6, b[1], GFP_KERNEL),
			0);
	atomic64_set(&pd->remapped, 2);
	/* The guest's overwrite, as reconciliation makes it: under the lock. */
	spin_lock_irqsave(&pd->lock, flags);
	r = tess_remap_set(&pd->map, 5, b[2], GFP_NOWAIT, &old, &had);
	if (!r && had)
		tess_alloc_put_after_commit(a, old);
	spin_unlock_irqrestore(&pd->lock, flags);
	KUNIT_ASSERT_EQ(test, r, 0);
	KUNIT_ASSERT_TRUE(test, had);
	KUNIT_ASSERT_EQ(test, old, b[0]);
	return pd;
}

static unsigned int apply(struct tess_pool_disk *pd, struct tess_alloc *a,
			  enum tess_reloc_kind kind, const u64 *from,
			  const u64 *to)
{
	static const u64 disk[] = { 5, 6 };
	unsigned long flags;
	unsigned int n;

	spin_lock_irqsave(&pd->lock, flags);
	n = __tess_reloc_apply_remaps(pd, a, kind, 2, disk, from, to);
	spin_unlock_irqrestore(&pd->lock, flags);
	return n;
}

/* A home step drops what it copied, never the guest's newer remap. */
static void tess_reloc_apply_home_test(struct kunit *test)
{
	struct tess_alloc *a = test_alloc(test);
	struct tess_pool_disk *pd;
	u64 b[3], from[2], s;

	pd = apply_disk(test, a, b);
	from[0] = b[0];
	from[1] = b[1];
	KUNIT_EXPECT_EQ(test, apply(pd, a, TESS_MOVE_HOME, from, NULL), 1U);
	KUNIT_EXPECT_TRUE(test, tess_remap_get(&pd->map, 5, &s));
	KUNIT_EXPECT_EQ(test, s, b[2]);
	KUNIT_EXPECT_FALSE(test, tess_remap_get(&pd->map, 6, &s));
	KUNIT_EXPECT_EQ(test, atomic64_read(&pd->remapped), 1LL);
	/* b[0] by the guest's write, b[1] by the step: both after commit. */
	KUNIT_EXPECT_EQ(test, tess_alloc_nr_pending(a), 2ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, b[2]), 1U);
}

/*
 * A regroup step switches what it copied to its new block; the new block
 * of a remap the guest changed since is freed at once.
 */
static void tess_reloc_apply_regroup_test(struct kunit *test)
{
	struct tess_alloc *a = test_alloc(test);
	struct tess_pool_disk *pd;
	u64 b[3], from[2], to[2], s;

	pd = apply_disk(test, a, b);
	KUNIT_ASSERT_EQ(test, tess_alloc_get(a, 2, to), 2U);
	from[0] = b[0];
	from[1] = b[1];
	KUNIT_EXPECT_EQ(test, apply(pd, a, TESS_MOVE_REGROUP, from, to), 1U);
	KUNIT_EXPECT_TRUE(test, tess_remap_get(&pd->map, 5, &s));
	KUNIT_EXPECT_EQ(test, s, b[2]);
	KUNIT_EXPECT_TRUE(test, tess_remap_get(&pd->map, 6, &s));
	KUNIT_EXPECT_EQ(test, s, to[1]);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, to[0]), 0U);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, to[1]), 1U);
	/* A switch is no remap more or less. */
	KUNIT_EXPECT_EQ(test, atomic64_read(&pd->remapped), 2LL);
	KUNIT_EXPECT_EQ(test, tess_alloc_nr_pending(a), 2ULL);
}

/* A number module parameter's write, as relocation reads it. */
static void tess_reloc_read_test(struct kunit *test)
{
	const struct param_case *c = test->param_value;
	u64 v = 0;

	KUNIT_EXPECT_EQ(test, tess_reloc_read(c->val, 1, 10, &v), c->ret);
	if (!c->ret)
		KUNIT_EXPECT_EQ(test, v, c->v);
}

static struct kunit_case tess_reloc_cases[] = {
	KUNIT_CASE(tess_reloc_scattered_test),
	KUNIT_CASE(tess_reloc_find_test),
	KUNIT_CASE(tess_reloc_delay_test),
	KUNIT_CASE(tess_reloc_parse_mode_test),
	KUNIT_CASE(tess_reloc_read_mode_test),
	KUNIT_CASE(tess_pool_disk_drop_remap_test),
	KUNIT_CASE(tess_reloc_apply_home_test),
	KUNIT_CASE(tess_reloc_apply_regroup_test),
	KUNIT_CASE_PARAM(tess_reloc_read_test, param_gen_params),
	{}
};

static struct kunit_suite tess_reloc_suite = {
	.name = "dm-tesseract-relocate",
	.test_cases = tess_reloc_cases,
};

kunit_test_suite(tess_reloc_suite);
