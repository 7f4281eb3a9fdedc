// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the store block allocator.
 */
#include <kunit/test.h>

#include "tess-alloc.h"

static struct tess_alloc *alloc_new(struct kunit *test, u64 first, u64 end)
{
	struct tess_alloc *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_EQ(test, tess_alloc_init(a, first, end), 0);
	return a;
}

static void tess_alloc_sequential_test(struct kunit *test)
{
	struct tess_alloc *a = alloc_new(test, 1, 65);
	u64 blocks[8];
	unsigned int i;

	KUNIT_EXPECT_EQ(test, tess_alloc_nr_blocks(a), 64ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_get(a, 8, blocks), 8U);
	for (i = 0; i < 8; i++) {
		KUNIT_EXPECT_EQ(test, blocks[i], 1ULL + i);
		KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, blocks[i]), 1U);
	}
	/* The next batch continues the log, it does not reuse. */
	KUNIT_EXPECT_TRUE(test, tess_alloc_put(a, 3));
	KUNIT_EXPECT_EQ(test, tess_alloc_get(a, 2, blocks), 2U);
	KUNIT_EXPECT_EQ(test, blocks[0], 9ULL);
	KUNIT_EXPECT_EQ(test, blocks[1], 10ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_nr_free(a), 64ULL - 9);
	tess_alloc_destroy(a);
}

static void tess_alloc_wraps_test(struct kunit *test)
{
	struct tess_alloc *a = alloc_new(test, 2, 10);
	u64 blocks[8];

	KUNIT_ASSERT_EQ(test, tess_alloc_get(a, 6, blocks), 6U);	/* 2..7 */
	KUNIT_EXPECT_TRUE(test, tess_alloc_put(a, 2));
	KUNIT_EXPECT_TRUE(test, tess_alloc_put(a, 4));
	/* 8, 9 at the end, then wrap to the holes at 2 and 4. */
	KUNIT_ASSERT_EQ(test, tess_alloc_get(a, 4, blocks), 4U);
	KUNIT_EXPECT_EQ(test, blocks[0], 8ULL);
	KUNIT_EXPECT_EQ(test, blocks[1], 9ULL);
	KUNIT_EXPECT_EQ(test, blocks[2], 2ULL);
	KUNIT_EXPECT_EQ(test, blocks[3], 4ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_nr_free(a), 0ULL);
	tess_alloc_destroy(a);
}

static void tess_alloc_exhaustion_test(struct kunit *test)
{
	struct tess_alloc *a = alloc_new(test, 0, 5);
	u64 blocks[8];

	KUNIT_EXPECT_EQ(test, tess_alloc_get(a, 8, blocks), 5U);
	KUNIT_EXPECT_EQ(test, tess_alloc_get(a, 1, blocks), 0U);
	KUNIT_EXPECT_TRUE(test, tess_alloc_put(a, 3));
	KUNIT_EXPECT_EQ(test, tess_alloc_get(a, 8, blocks), 1U);
	KUNIT_EXPECT_EQ(test, blocks[0], 3ULL);
	tess_alloc_destroy(a);
}

static void tess_alloc_refcount_test(struct kunit *test)
{
	struct tess_alloc *a = alloc_new(test, 1, 9);
	u64 b;

	KUNIT_ASSERT_EQ(test, tess_alloc_get(a, 1, &b), 1U);
	KUNIT_EXPECT_EQ(test, tess_alloc_ref(a, b), 0);	/* swap + remap */
	KUNIT_EXPECT_EQ(test, tess_alloc_ref(a, b), 0);	/* second remap */
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, b), 3U);
	KUNIT_EXPECT_FALSE(test, tess_alloc_put(a, b));
	KUNIT_EXPECT_FALSE(test, tess_alloc_put(a, b));
	KUNIT_EXPECT_EQ(test, tess_alloc_nr_free(a), 7ULL);
	KUNIT_EXPECT_TRUE(test, tess_alloc_put(a, b));
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, b), 0U);
	KUNIT_EXPECT_EQ(test, tess_alloc_nr_free(a), 8ULL);
	/* A free block cannot gain a reference. */
	KUNIT_EXPECT_EQ(test, tess_alloc_ref(a, b), -EINVAL);
	tess_alloc_destroy(a);
}

static void tess_alloc_bounds_test(struct kunit *test)
{
	struct tess_alloc *a = alloc_new(test, 1, 9);
	struct tess_alloc bad;
	u64 b;

	KUNIT_EXPECT_EQ(test, tess_alloc_ref(a, 0), -EINVAL);	/* superblock */
	KUNIT_EXPECT_EQ(test, tess_alloc_ref(a, 9), -EINVAL);	/* past end */
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, 0), 0U);
	KUNIT_EXPECT_EQ(test, tess_alloc_init(&bad, 4, 4), -EINVAL);
	/* Never hands out a block below @first. */
	while (tess_alloc_get(a, 1, &b))
		KUNIT_EXPECT_GE(test, b, 1ULL);
	tess_alloc_destroy(a);
}

static void tess_alloc_saturation_test(struct kunit *test)
{
	struct tess_alloc *a = alloc_new(test, 0, 2);
	unsigned int i;
	u64 b;

	KUNIT_ASSERT_EQ(test, tess_alloc_get(a, 1, &b), 1U);
	for (i = 1; i < TESS_MAX_REFS; i++)
		KUNIT_ASSERT_EQ(test, tess_alloc_ref(a, b), 0);
	KUNIT_EXPECT_EQ(test, tess_alloc_ref(a, b), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, b), TESS_MAX_REFS);
	tess_alloc_destroy(a);
}

static struct kunit_case tess_alloc_cases[] = {
	KUNIT_CASE(tess_alloc_sequential_test),
	KUNIT_CASE(tess_alloc_wraps_test),
	KUNIT_CASE(tess_alloc_exhaustion_test),
	KUNIT_CASE(tess_alloc_refcount_test),
	KUNIT_CASE(tess_alloc_bounds_test),
	KUNIT_CASE(tess_alloc_saturation_test),
	{}
};

static struct kunit_suite tess_alloc_suite = {
	.name = "dm-tesseract-alloc",
	.test_cases = tess_alloc_cases,
};

kunit_test_suite(tess_alloc_suite);
