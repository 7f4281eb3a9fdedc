// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the swap backend on a real store: a pool that serves
 * swap must be resumed (tests/kunit-in-uml.sh creates one).  The swap core is not
 * involved: the suite plays its part on a swap type no swap area uses,
 * with folios it allocates, large ones included (User-Mode Linux has no
 * THP, so large anonymous folios never reach swap there).
 */
#include <kunit/test.h>
#include <linux/highmem.h>
#include <linux/pagemap.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/writeback.h>

#include "tess-backend.h"

#define TEST_TYPE	(MAX_SWAPFILES - 1)
#define TEST_OFFSET	100

static u32 pattern(unsigned int page, unsigned int word)
{
	return 0x7e550000 ^ (page << 12) ^ word;
}

/* A folio of 2^@order pages, page i filled with pattern(@first + i, ...). */
static struct folio *pattern_folio(struct kunit *test, unsigned int order,
				   unsigned int first)
{
	struct folio *folio = folio_alloc(GFP_KERNEL, order);
	unsigned int i, w;
	u32 *p;

	KUNIT_ASSERT_NOT_NULL(test, folio);
	for (i = 0; i < folio_nr_pages(folio); i++) {
		p = kmap_local_folio(folio, i * PAGE_SIZE);
		for (w = 0; w < PAGE_SIZE / sizeof(*p); w++)
			p[w] = pattern(first + i, w);
		kunmap_local(p);
	}
	return folio;
}

/* Page @i of @folio holds pattern(@page, ...). */
static bool page_is(struct folio *folio, unsigned int i, unsigned int page)
{
	unsigned int w;
	bool same = true;
	u32 *p = kmap_local_folio(folio, i * PAGE_SIZE);

	for (w = 0; w < PAGE_SIZE / sizeof(*p) && same; w++)
		same = p[w] == pattern(page, w);
	kunmap_local(p);
	return same;
}

static u64 stat(unsigned int which)
{
	u64 vals[TESS_BE_NR_STATS];

	tess_backend_get_stats(vals);
	return vals[which];
}

static int tess_backend_test_init(struct kunit *test)
{
	if (!tess_backend_active()) {
		KUNIT_FAIL(test, "no tesseract-pool serves swap");
		return -ENODEV;
	}
	tess_swapon(TEST_TYPE, 1024);
	return 0;
}

static void tess_backend_test_exit(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < 16; i++)
		tess_invalidate(swp_entry(TEST_TYPE, TEST_OFFSET + i));
	tess_swapoff(TEST_TYPE);
}

/* Store @folio at TEST_OFFSET + @first as the swap core would. */
static void store(struct kunit *test, struct folio *folio, unsigned int first)
{
	struct writeback_control wbc = { .sync_mode = WB_SYNC_NONE };

	folio_lock(folio);
	folio->swap = swp_entry(TEST_TYPE, TEST_OFFSET + first);
	KUNIT_ASSERT_TRUE(test, tess_store_folio(folio, &wbc));
	KUNIT_EXPECT_FALSE(test, folio_test_locked(folio));
	folio_wait_writeback(folio);
	KUNIT_EXPECT_FALSE(test, folio_test_dirty(folio));
}

/* Load entry TEST_OFFSET + @first into a new folio of 2^@order pages. */
static struct folio *load(struct kunit *test, unsigned int order,
			  unsigned int first)
{
	struct folio *folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, order);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	folio_lock(folio);
	folio->swap = swp_entry(TEST_TYPE, TEST_OFFSET + first);
	if (!tess_load_folio(folio)) {
		folio_unlock(folio);
		folio->swap.val = 0;
		folio_put(folio);
		return NULL;
	}
	folio_lock(folio);	/* waits for the read */
	KUNIT_EXPECT_TRUE(test, folio_test_uptodate(folio));
	folio_unlock(folio);
	folio->swap.val = 0;
	return folio;
}

static void tess_backend_small_folio_test(struct kunit *test)
{
	struct folio *folio = pattern_folio(test, 0, 7), *back;
	u64 stored = stat(TESS_BE_STORED), pages = stat(TESS_BE_PAGES);

	store(test, folio, 0);
	KUNIT_EXPECT_EQ(test, stat(TESS_BE_STORED), stored + 1);
	KUNIT_EXPECT_EQ(test, stat(TESS_BE_PAGES), pages + 1);
	back = load(test, 0, 0);
	KUNIT_ASSERT_NOT_NULL(test, back);
	KUNIT_EXPECT_TRUE(test, page_is(back, 0, 7));
	folio_put(back);

	tess_invalidate(swp_entry(TEST_TYPE, TEST_OFFSET));
	KUNIT_EXPECT_EQ(test, stat(TESS_BE_PAGES), pages);
	KUNIT_EXPECT_NULL(test, load(test, 0, 0));
	folio->swap.val = 0;
	folio_put(folio);
}

/* Each subpage of a large folio has its own entry and its own block. */
static void tess_backend_large_folio_test(struct kunit *test)
{
	struct folio *folio = pattern_folio(test, 2, 20), *back;
	u64 pages = stat(TESS_BE_PAGES);
	unsigned int i;

	KUNIT_ASSERT_TRUE(test, folio_test_large(folio));
	store(test, folio, 0);
	KUNIT_EXPECT_EQ(test, stat(TESS_BE_PAGES), pages + 4);

	/* Subpages come back one by one, each from its own entry... */
	for (i = 0; i < 4; i++) {
		back = load(test, 0, i);
		KUNIT_ASSERT_NOT_NULL(test, back);
		KUNIT_EXPECT_TRUE_MSG(test, page_is(back, 0, 20 + i),
				      "subpage %u", i);
		folio_put(back);
	}
	/* ...and whole, into a large folio. */
	back = load(test, 2, 0);
	KUNIT_ASSERT_NOT_NULL(test, back);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_TRUE_MSG(test, page_is(back, i, 20 + i),
				      "subpage %u", i);
	folio_put(back);

	/* Freeing one subpage's entry frees its block only. */
	tess_invalidate(swp_entry(TEST_TYPE, TEST_OFFSET + 1));
	KUNIT_EXPECT_EQ(test, stat(TESS_BE_PAGES), pages + 3);
	KUNIT_EXPECT_NULL(test, load(test, 0, 1));
	back = load(test, 0, 2);
	KUNIT_ASSERT_NOT_NULL(test, back);
	KUNIT_EXPECT_TRUE(test, page_is(back, 0, 22));
	folio_put(back);
	folio->swap.val = 0;
	folio_put(folio);
}

/* New content stored to an entry replaces the old, it does not leak. */
static void tess_backend_restore_test(struct kunit *test)
{
	struct folio *a = pattern_folio(test, 0, 40);
	struct folio *b = pattern_folio(test, 0, 41), *back;
	u64 pages = stat(TESS_BE_PAGES);

	store(test, a, 5);
	store(test, b, 5);
	KUNIT_EXPECT_EQ(test, stat(TESS_BE_PAGES), pages + 1);
	back = load(test, 0, 5);
	KUNIT_ASSERT_NOT_NULL(test, back);
	KUNIT_EXPECT_TRUE(test, page_is(back, 0, 41));
	folio_put(back);
	a->swap.val = 0;
	b->swap.val = 0;
	folio_put(a);
	folio_put(b);
}

static struct kunit_case tess_backend_cases[] = {
	KUNIT_CASE(tess_backend_small_folio_test),
	KUNIT_CASE(tess_backend_large_folio_test),
	KUNIT_CASE(tess_backend_restore_test),
	{}
};

static struct kunit_suite tess_backend_suite = {
	.name = "dm-tesseract-backend",
	.init = tess_backend_test_init,
	.exit = tess_backend_test_exit,
	.test_cases = tess_backend_cases,
};

kunit_test_suite(tess_backend_suite);
