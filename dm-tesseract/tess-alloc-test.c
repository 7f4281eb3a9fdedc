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

/*
 * A put after commit keeps the block until the commit that began after it
 * succeeded; one recorded during a commit waits for the next.
 */
static void tess_alloc_put_after_commit_test(struct kunit *test)
{
	struct tess_alloc *a = alloc_new(test, 1, 9);
	u64 b[3];

	KUNIT_ASSERT_EQ(test, tess_alloc_get(a, 3, b), 3U);
	tess_alloc_put_after_commit(a, b[0]);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, b[0]), 1U);
	KUNIT_EXPECT_EQ(test, tess_alloc_nr_pending(a), 1ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_nr_free(a), 5ULL);

	KUNIT_EXPECT_EQ(test, tess_alloc_commit_begin(a), 1ULL);
	/* During the commit: the next generation. */
	tess_alloc_put_after_commit(a, b[1]);
	KUNIT_EXPECT_EQ(test, tess_alloc_commit_end(a, true), 1ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, b[0]), 0U);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, b[1]), 1U);
	KUNIT_EXPECT_EQ(test, tess_alloc_nr_pending(a), 1ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_nr_free(a), 6ULL);

	/* The log head moved past b[0]: the next block is a new one. */
	KUNIT_EXPECT_EQ(test, tess_alloc_commit_begin(a), 1ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_commit_end(a, true), 1ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, b[1]), 0U);
	KUNIT_EXPECT_EQ(test, tess_alloc_nr_pending(a), 0ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, b[2]), 1U);
	tess_alloc_destroy(a);
}

/* A failed commit releases nothing; the next one that works does. */
static void tess_alloc_failed_commit_test(struct kunit *test)
{
	struct tess_alloc *a = alloc_new(test, 1, 9);
	u64 b[2];

	KUNIT_ASSERT_EQ(test, tess_alloc_get(a, 2, b), 2U);
	tess_alloc_put_after_commit(a, b[0]);
	KUNIT_EXPECT_EQ(test, tess_alloc_commit_begin(a), 1ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_commit_end(a, false), 0ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, b[0]), 1U);

	/* Recorded after the failure: still waits for a commit of its own. */
	tess_alloc_put_after_commit(a, b[1]);
	KUNIT_EXPECT_EQ(test, tess_alloc_commit_begin(a), 1ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_commit_end(a, true), 1ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, b[0]), 0U);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, b[1]), 1U);
	KUNIT_EXPECT_EQ(test, tess_alloc_commit_begin(a), 1ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_commit_end(a, true), 1ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, b[1]), 0U);
	KUNIT_EXPECT_EQ(test, tess_alloc_nr_free(a), 8ULL);
	tess_alloc_destroy(a);
}

/*
 * Both kinds of reference: a block a swap entry and two remaps hold is
 * free only once the entry is gone (at once) and both remaps' drops are
 * committed (after); a block the metadata counts at open is not handed
 * out.
 */
static void tess_alloc_both_kinds_test(struct kunit *test)
{
	struct tess_alloc *a = alloc_new(test, 1, 5);
	u64 b, got[4];
	unsigned int n;

	KUNIT_ASSERT_EQ(test, tess_alloc_set_refs(a, 2, 3), 0);
	KUNIT_EXPECT_EQ(test, tess_alloc_nr_free(a), 3ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_set_refs(a, 5, 1), -EINVAL);
	n = tess_alloc_get(a, 4, got);
	KUNIT_EXPECT_EQ(test, n, 3U);
	while (n--)
		KUNIT_EXPECT_NE(test, got[n], 2ULL);

	KUNIT_ASSERT_EQ(test, tess_alloc_set_refs(a, 2, 0), 0);
	b = got[0];
	/* Swap entry (the allocation) + two remaps (held from the entry). */
	KUNIT_ASSERT_EQ(test, tess_alloc_ref(a, b), 0);
	KUNIT_ASSERT_EQ(test, tess_alloc_ref(a, b), 0);
	tess_alloc_put_after_commit(a, b);		/* remap dropped */
	KUNIT_EXPECT_FALSE(test, tess_alloc_put(a, b));	/* entry freed */
	tess_alloc_commit_begin(a);
	tess_alloc_put_after_commit(a, b);		/* other remap */
	KUNIT_EXPECT_EQ(test, tess_alloc_commit_end(a, true), 0ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, b), 1U);
	tess_alloc_commit_begin(a);
	KUNIT_EXPECT_EQ(test, tess_alloc_commit_end(a, true), 1ULL);
	KUNIT_EXPECT_EQ(test, tess_alloc_refs(a, b), 0U);
	tess_alloc_destroy(a);
}

static struct kunit_case tess_alloc_cases[] = {
	KUNIT_CASE(tess_alloc_put_after_commit_test),
	KUNIT_CASE(tess_alloc_failed_commit_test),
	KUNIT_CASE(tess_alloc_both_kinds_test),
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
