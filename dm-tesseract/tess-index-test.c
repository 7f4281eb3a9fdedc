// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the swap entry to store block index.
 */
#include <kunit/test.h>

#include "tess-index.h"

/* Tests may leave entries behind: empty the arrays, then swap them off. */
static void tess_index_test_exit(struct kunit *test)
{
	struct tess_index *idx = test->priv;
	unsigned int t;

	for (t = 0; t < MAX_SWAPFILES; t++) {
		if (!idx->types[t])
			continue;
		xa_destroy(idx->types[t]);
		tess_index_swapoff(idx, t);
	}
}

static int tess_index_test_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct tess_index), GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

static void tess_index_store_lookup_test(struct kunit *test)
{
	struct tess_index *idx = test->priv;
	swp_entry_t e = swp_entry(1, 12345);
	bool had_old;
	u64 b, old;

	KUNIT_ASSERT_EQ(test, tess_index_swapon(idx, 1), 0);
	KUNIT_EXPECT_FALSE(test, tess_index_lookup(idx, e, &b));
	KUNIT_EXPECT_EQ(test, tess_index_store(idx, e, 77, GFP_KERNEL, &old,
					       &had_old), 0);
	KUNIT_EXPECT_FALSE(test, had_old);
	KUNIT_EXPECT_TRUE(test, tess_index_lookup(idx, e, &b));
	KUNIT_EXPECT_EQ(test, b, 77ULL);
	/* Same offset, other type: a different entry. */
	KUNIT_EXPECT_FALSE(test, tess_index_lookup(idx, swp_entry(0, 12345), &b));
}

static void tess_index_replace_test(struct kunit *test)
{
	struct tess_index *idx = test->priv;
	swp_entry_t e = swp_entry(0, 5);
	bool had_old;
	u64 b, old = 0;

	KUNIT_ASSERT_EQ(test, tess_index_swapon(idx, 0), 0);
	KUNIT_ASSERT_EQ(test, tess_index_store(idx, e, 10, GFP_KERNEL, &old,
					       &had_old), 0);
	KUNIT_ASSERT_EQ(test, tess_index_store(idx, e, 11, GFP_KERNEL, &old,
					       &had_old), 0);
	KUNIT_EXPECT_TRUE(test, had_old);
	KUNIT_EXPECT_EQ(test, old, 10ULL);
	KUNIT_EXPECT_TRUE(test, tess_index_lookup(idx, e, &b));
	KUNIT_EXPECT_EQ(test, b, 11ULL);
}

static void tess_index_erase_test(struct kunit *test)
{
	struct tess_index *idx = test->priv;
	swp_entry_t e = swp_entry(2, 0);
	bool had_old;
	u64 b, old;

	KUNIT_ASSERT_EQ(test, tess_index_swapon(idx, 2), 0);
	KUNIT_EXPECT_FALSE(test, tess_index_erase(idx, e, &b));
	KUNIT_ASSERT_EQ(test, tess_index_store(idx, e, 3, GFP_KERNEL, &old,
					       &had_old), 0);
	KUNIT_EXPECT_TRUE(test, tess_index_erase(idx, e, &b));
	KUNIT_EXPECT_EQ(test, b, 3ULL);
	KUNIT_EXPECT_FALSE(test, tess_index_lookup(idx, e, &b));
	KUNIT_EXPECT_TRUE(test, xa_empty(idx->types[2]));
}

static void tess_index_types_test(struct kunit *test)
{
	struct tess_index *idx = test->priv;
	bool had_old;
	u64 b, old;

	KUNIT_EXPECT_FALSE(test, tess_index_has_type(idx, 3));
	KUNIT_EXPECT_EQ(test, tess_index_store(idx, swp_entry(3, 1), 1,
					       GFP_KERNEL, &old, &had_old),
			-ENOENT);
	KUNIT_EXPECT_FALSE(test, tess_index_lookup(idx, swp_entry(3, 1), &b));
	KUNIT_ASSERT_EQ(test, tess_index_swapon(idx, 3), 0);
	KUNIT_EXPECT_TRUE(test, tess_index_has_type(idx, 3));
	KUNIT_EXPECT_EQ(test, tess_index_swapon(idx, 3), -EINVAL);
	tess_index_swapoff(idx, 3);
	KUNIT_EXPECT_FALSE(test, tess_index_has_type(idx, 3));
	KUNIT_EXPECT_EQ(test, tess_index_swapon(idx, MAX_SWAPFILES), -EINVAL);
}

/* Offsets across the whole range of a swap device, and large blocks. */
static void tess_index_wide_test(struct kunit *test)
{
	struct tess_index *idx = test->priv;
	static const pgoff_t offs[] = { 0, 1, 511, 512, 1UL << 20, (1UL << 32) - 1 };
	bool had_old;
	unsigned int i;
	u64 b, old;

	KUNIT_ASSERT_EQ(test, tess_index_swapon(idx, 0), 0);
	for (i = 0; i < ARRAY_SIZE(offs); i++)
		KUNIT_ASSERT_EQ(test, tess_index_store(idx, swp_entry(0, offs[i]),
						       (1ULL << 40) + i, GFP_KERNEL,
						       &old, &had_old), 0);
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		KUNIT_EXPECT_TRUE(test, tess_index_lookup(idx, swp_entry(0, offs[i]), &b));
		KUNIT_EXPECT_EQ(test, b, (1ULL << 40) + i);
		KUNIT_EXPECT_TRUE(test, tess_index_erase(idx, swp_entry(0, offs[i]), &b));
	}
}

static struct kunit_case tess_index_cases[] = {
	KUNIT_CASE(tess_index_store_lookup_test),
	KUNIT_CASE(tess_index_replace_test),
	KUNIT_CASE(tess_index_erase_test),
	KUNIT_CASE(tess_index_types_test),
	KUNIT_CASE(tess_index_wide_test),
	{}
};

static struct kunit_suite tess_index_suite = {
	.name = "dm-tesseract-index",
	.init = tess_index_test_init,
	.exit = tess_index_test_exit,
	.test_cases = tess_index_cases,
};

kunit_test_suite(tess_index_suite);
