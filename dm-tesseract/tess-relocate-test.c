// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for relocation planning: which extents a step takes, and
 * the rate limit's wait.
 */
#include <kunit/test.h>
#include <linux/slab.h>

#include "tess-pool.h"
#include "tess-relocate.h"

/* A disk object with only its remap map, as planning reads it. */
static struct tess_pool_disk *plan_disk(struct kunit *test,
					const u64 (*remaps)[2],
					unsigned int nr)
{
	struct tess_pool_disk *pd = kunit_kzalloc(test, sizeof(*pd),
						  GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pd);
	tess_remap_init(&pd->map);
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
	tess_remap_destroy(&pd->map);
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
	tess_remap_destroy(&pd->map);
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

static struct kunit_case tess_reloc_cases[] = {
	KUNIT_CASE(tess_reloc_scattered_test),
	KUNIT_CASE(tess_reloc_find_test),
	KUNIT_CASE(tess_reloc_delay_test),
	KUNIT_CASE(tess_reloc_parse_mode_test),
	{}
};

static struct kunit_suite tess_reloc_suite = {
	.name = "tesseract-relocate",
	.test_cases = tess_reloc_cases,
};

kunit_test_suite(tess_reloc_suite);
