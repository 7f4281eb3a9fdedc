// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the pool's metadata (tess-metadata.c), on a real block
 * device named by the module parameter metadata_dev (in UML: /dev/ubdd).
 * Every case formats it afresh: block 0 is zeroed first.  Without the
 * parameter the cases are skipped.
 */
#include <kunit/test.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>

#include "tess-metadata.h"

static char *metadata_dev;
module_param(metadata_dev, charp, 0444);
MODULE_PARM_DESC(metadata_dev,
		 "scratch block device for the metadata suite (overwritten)");

#define STORE_BLOCKS	1024ULL

static const u8 uuid_a[16] = { 0x74, 0x65, 0x73, 0x73, 1, 2, 3, 4,
			       5, 6, 7, 8, 9, 10, 11, 12 };
static const u8 uuid_b[16] = { 0x74, 0x65, 0x73, 0x73, 1, 2, 3, 4,
			       5, 6, 7, 8, 9, 10, 11, 13 };

struct md_env {
	struct kunit *test;
	struct file *file;
	struct block_device *bdev;
	struct page *page;		/* for raw I/O on block 0 */
	struct tess_metadata *md;	/* the open one, destroyed at exit */
};

static void env_release(void *data)
{
	struct md_env *env = data;

	if (env->md)
		tess_md_destroy(env->md);
	if (env->page)
		__free_page(env->page);
	if (env->file)
		bdev_fput(env->file);
}

/* Read or write block 0 of the device through env->page. */
static int raw_io(struct md_env *env, blk_opf_t opf)
{
	struct bio_vec bv;
	struct bio bio;
	int r;

	bio_init(&bio, env->bdev, &bv, 1, opf);
	bio.bi_iter.bi_sector = 0;
	__bio_add_page(&bio, env->page, TESS_MD_BLOCK_SIZE, 0);
	r = submit_bio_wait(&bio);
	bio_uninit(&bio);
	return r;
}

static void raw_read(struct md_env *env)
{
	KUNIT_ASSERT_EQ(env->test, raw_io(env, REQ_OP_READ), 0);
}

static void raw_write(struct md_env *env)
{
	KUNIT_ASSERT_EQ(env->test,
			raw_io(env, REQ_OP_WRITE | REQ_SYNC | REQ_FUA), 0);
}

/* The device, opened, with block 0 zeroed; or a skip. */
static struct md_env *env_get(struct kunit *test)
{
	struct md_env *env;

	if (!metadata_dev || !*metadata_dev)
		kunit_skip(test, "no metadata_dev= module parameter");
	env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, env);
	env->test = test;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, env_release, env),
			0);
	env->file = bdev_file_open_by_path(metadata_dev,
					   BLK_OPEN_READ | BLK_OPEN_WRITE,
					   NULL, NULL);
	if (IS_ERR(env->file)) {
		long r = PTR_ERR(env->file);

		env->file = NULL;
		KUNIT_FAIL_AND_ABORT(test, "cannot open %s: %ld",
				     metadata_dev, r);
	}
	env->bdev = file_bdev(env->file);
	KUNIT_ASSERT_GE(test, bdev_nr_bytes(env->bdev) / TESS_MD_BLOCK_SIZE,
			(u64)TESS_MD_MIN_BLOCKS);
	env->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, env->page);
	raw_write(env);
	return env;
}

/* Open with @uuid and @store_blocks: the metadata or the errno. */
static int env_open(struct md_env *env, const u8 *uuid, u64 store_blocks,
		    bool *formatted)
{
	struct tess_metadata *md;
	char *error = NULL;

	KUNIT_ASSERT_NULL(env->test, env->md);
	md = tess_md_open(env->bdev, store_blocks, uuid, formatted, &error);
	if (IS_ERR(md)) {
		KUNIT_EXPECT_NOT_NULL(env->test, error);
		return PTR_ERR(md);
	}
	env->md = md;
	return 0;
}

static struct tess_metadata *env_open_ok(struct md_env *env, bool formatted)
{
	bool f = !formatted;

	KUNIT_ASSERT_EQ(env->test, env_open(env, uuid_a, STORE_BLOCKS, &f), 0);
	KUNIT_EXPECT_EQ(env->test, f, formatted);
	return env->md;
}

/* Commit, then close, as the pool does. */
static void env_close(struct md_env *env)
{
	int r = tess_md_commit(env->md);

	tess_md_close(env->md);
	env->md = NULL;
	KUNIT_EXPECT_EQ(env->test, r, 0);
}

/* Close without a commit, as a crash would. */
static void env_crash(struct md_env *env)
{
	tess_md_destroy(env->md);
	env->md = NULL;
}

static u32 refs(struct kunit *test, struct tess_metadata *md, u64 store)
{
	u32 count = 12345;

	KUNIT_EXPECT_EQ(test, tess_md_store_refs(md, store, &count), 0);
	return count;
}

static u64 lookup(struct kunit *test, struct tess_metadata *md, u32 id,
		  u64 block)
{
	u64 store = 0;

	KUNIT_EXPECT_EQ(test, tess_md_lookup(md, id, block, &store), 0);
	return store;
}

/* Collects what the iterators report, as pairs. */
struct collect {
	unsigned int n;
	u64 a[64], b[64];
};

static int collect_disk(void *ctx, u32 id)
{
	struct collect *c = ctx;

	if (c->n == ARRAY_SIZE(c->a))
		return -E2BIG;
	c->a[c->n++] = id;
	return 0;
}

static int collect_remap(void *ctx, u64 block, u64 store)
{
	struct collect *c = ctx;

	if (c->n == ARRAY_SIZE(c->a))
		return -E2BIG;
	c->a[c->n] = block;
	c->b[c->n++] = store;
	return 0;
}

static int collect_ref(void *ctx, u64 store, u32 count)
{
	return collect_remap(ctx, store, count);
}

static struct collect *store_refs_of(struct kunit *test,
				     struct tess_metadata *md)
{
	struct collect *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_EQ(test, tess_md_for_each_store_ref(md, collect_ref, c), 0);
	return c;
}

static u64 store_used(struct kunit *test, struct tess_metadata *md)
{
	struct tess_md_usage u;

	KUNIT_EXPECT_EQ(test, tess_md_get_usage(md, &u), 0);
	return u.store_used;
}

/*----------------------------------------------------------------*/

static void tess_md_format_reopen_test(struct kunit *test)
{
	struct md_env *env = env_get(test);
	struct tess_metadata *md = env_open_ok(env, true);
	struct tess_md_usage u;
	struct collect *c;

	KUNIT_ASSERT_EQ(test, tess_md_get_usage(md, &u), 0);
	KUNIT_EXPECT_EQ(test, u.trans_id, 0ULL);
	KUNIT_EXPECT_EQ(test, u.nr_disks, 0U);
	KUNIT_EXPECT_EQ(test, u.store_used, 0ULL);
	KUNIT_EXPECT_EQ(test, u.store_total, STORE_BLOCKS);
	KUNIT_EXPECT_GT(test, u.metadata_used, 0ULL);
	KUNIT_EXPECT_EQ(test, u.metadata_total,
			bdev_nr_bytes(env->bdev) / TESS_MD_BLOCK_SIZE);
	KUNIT_EXPECT_FALSE(test, tess_md_needs_check(md));

	KUNIT_ASSERT_EQ(test, tess_md_create_disk(md, 7), 0);
	KUNIT_ASSERT_EQ(test, tess_md_create_disk(md, 1), 0);
	KUNIT_ASSERT_EQ(test, tess_md_create_disk(md, TESS_MD_MAX_DISK_ID), 0);
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 1, 11, 6), 0);
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 1, 10, 5), 0);
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 7, 0, 5), 0);
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 7, U64_MAX, STORE_BLOCKS - 1),
			0);
	KUNIT_ASSERT_EQ(test, tess_md_commit(md), 0);
	KUNIT_ASSERT_EQ(test, tess_md_get_usage(md, &u), 0);
	KUNIT_EXPECT_EQ(test, u.trans_id, 1ULL);
	env_close(env);		/* commits again: 2 */

	md = env_open_ok(env, false);
	KUNIT_ASSERT_EQ(test, tess_md_get_usage(md, &u), 0);
	KUNIT_EXPECT_EQ(test, u.trans_id, 2ULL);
	KUNIT_EXPECT_EQ(test, u.nr_disks, 3U);
	KUNIT_EXPECT_EQ(test, u.store_used, 3ULL);
	KUNIT_EXPECT_TRUE(test, tess_md_disk_exists(md, 1));
	KUNIT_EXPECT_TRUE(test, tess_md_disk_exists(md, 7));
	KUNIT_EXPECT_TRUE(test, tess_md_disk_exists(md, TESS_MD_MAX_DISK_ID));
	KUNIT_EXPECT_FALSE(test, tess_md_disk_exists(md, 2));

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_EQ(test, tess_md_for_each_disk(md, collect_disk, c), 0);
	KUNIT_ASSERT_EQ(test, c->n, 3U);
	KUNIT_EXPECT_EQ(test, c->a[0], 1ULL);
	KUNIT_EXPECT_EQ(test, c->a[1], 7ULL);
	KUNIT_EXPECT_EQ(test, c->a[2], (u64)TESS_MD_MAX_DISK_ID);

	memset(c, 0, sizeof(*c));
	KUNIT_EXPECT_EQ(test, tess_md_for_each_remap(md, 1, collect_remap, c), 0);
	KUNIT_ASSERT_EQ(test, c->n, 2U);
	KUNIT_EXPECT_EQ(test, c->a[0], 10ULL);
	KUNIT_EXPECT_EQ(test, c->b[0], 5ULL);
	KUNIT_EXPECT_EQ(test, c->a[1], 11ULL);
	KUNIT_EXPECT_EQ(test, c->b[1], 6ULL);

	KUNIT_EXPECT_EQ(test, lookup(test, md, 7, 0), 5ULL);
	KUNIT_EXPECT_EQ(test, lookup(test, md, 7, U64_MAX), STORE_BLOCKS - 1);
	KUNIT_EXPECT_EQ(test, refs(test, md, 5), 2U);
	KUNIT_EXPECT_EQ(test, refs(test, md, 6), 1U);
	KUNIT_EXPECT_EQ(test, refs(test, md, STORE_BLOCKS - 1), 1U);
	KUNIT_EXPECT_EQ(test, refs(test, md, 0), 0U);

	c = store_refs_of(test, md);
	KUNIT_ASSERT_EQ(test, c->n, 3U);
	KUNIT_EXPECT_EQ(test, c->a[0], 5ULL);
	KUNIT_EXPECT_EQ(test, c->b[0], 2ULL);
	KUNIT_EXPECT_EQ(test, c->a[1], 6ULL);
	KUNIT_EXPECT_EQ(test, c->b[1], 1ULL);
	KUNIT_EXPECT_EQ(test, c->a[2], STORE_BLOCKS - 1);
	KUNIT_EXPECT_EQ(test, c->b[2], 1ULL);

	memset(c, 0, sizeof(*c));
	KUNIT_EXPECT_EQ(test, tess_md_for_each_remap(md, TESS_MD_MAX_DISK_ID,
						     collect_remap, c), 0);
	KUNIT_EXPECT_EQ(test, c->n, 0U);
	env_close(env);
}

/* New key, same value again, another value, removal: counts stay exact. */
static void tess_md_refcount_test(struct kunit *test)
{
	struct md_env *env = env_get(test);
	struct tess_metadata *md = env_open_ok(env, true);
	struct collect *c;

	KUNIT_ASSERT_EQ(test, tess_md_create_disk(md, 3), 0);
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 3, 100, 20), 0);
	KUNIT_EXPECT_EQ(test, refs(test, md, 20), 1U);
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 3, 100, 20), 0);
	KUNIT_EXPECT_EQ(test, refs(test, md, 20), 1U);
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 3, 100, 21), 0);
	KUNIT_EXPECT_EQ(test, refs(test, md, 20), 0U);
	KUNIT_EXPECT_EQ(test, refs(test, md, 21), 1U);
	KUNIT_EXPECT_EQ(test, lookup(test, md, 3, 100), 21ULL);
	/* A second block of the same disk naming 21. */
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 3, 101, 21), 0);
	KUNIT_EXPECT_EQ(test, refs(test, md, 21), 2U);
	KUNIT_ASSERT_EQ(test, tess_md_commit(md), 0);

	c = store_refs_of(test, md);
	KUNIT_ASSERT_EQ(test, c->n, 1U);
	KUNIT_EXPECT_EQ(test, c->a[0], 21ULL);
	KUNIT_EXPECT_EQ(test, c->b[0], 2ULL);
	KUNIT_EXPECT_EQ(test, store_used(test, md), 1ULL);

	KUNIT_ASSERT_EQ(test, tess_md_remove(md, 3, 100), 0);
	KUNIT_EXPECT_EQ(test, refs(test, md, 21), 1U);
	KUNIT_EXPECT_EQ(test, tess_md_remove(md, 3, 100), -ENODATA);
	KUNIT_EXPECT_EQ(test, refs(test, md, 21), 1U);
	KUNIT_ASSERT_EQ(test, tess_md_remove(md, 3, 101), 0);
	KUNIT_EXPECT_EQ(test, refs(test, md, 21), 0U);
	KUNIT_EXPECT_EQ(test, store_used(test, md), 0ULL);
	c = store_refs_of(test, md);
	KUNIT_EXPECT_EQ(test, c->n, 0U);
	KUNIT_EXPECT_FALSE(test, tess_md_failed(md));

	/* And durably so. */
	env_close(env);
	md = env_open_ok(env, false);
	KUNIT_EXPECT_EQ(test, refs(test, md, 21), 0U);
	KUNIT_EXPECT_EQ(test, store_used(test, md), 0ULL);
	env_close(env);
}

/* Enough remaps for several btree leaves. */
#define MANY	600

static void tess_md_shared_and_delete_test(struct kunit *test)
{
	struct md_env *env = env_get(test);
	struct tess_metadata *md = env_open_ok(env, true);
	struct tess_md_usage u;
	struct collect *c;
	u64 i;

	KUNIT_ASSERT_EQ(test, tess_md_create_disk(md, 1), 0);
	KUNIT_ASSERT_EQ(test, tess_md_create_disk(md, 2), 0);
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 1, 5, 9), 0);
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 2, 5, 9), 0);
	KUNIT_EXPECT_EQ(test, refs(test, md, 9), 2U);
	for (i = 0; i < MANY; i++)
		KUNIT_ASSERT_EQ(test, tess_md_insert(md, 1, 1000 + i, 10 + i), 0);
	KUNIT_ASSERT_EQ(test, tess_md_commit(md), 0);
	KUNIT_EXPECT_EQ(test, store_used(test, md), MANY + 1ULL);

	KUNIT_ASSERT_EQ(test, tess_md_delete_disk(md, 1), 0);
	KUNIT_EXPECT_EQ(test, refs(test, md, 9), 1U);
	KUNIT_EXPECT_EQ(test, refs(test, md, 10), 0U);
	KUNIT_EXPECT_EQ(test, refs(test, md, 10 + MANY - 1), 0U);
	KUNIT_EXPECT_EQ(test, store_used(test, md), 1ULL);
	c = store_refs_of(test, md);
	KUNIT_ASSERT_EQ(test, c->n, 1U);
	KUNIT_EXPECT_EQ(test, c->a[0], 9ULL);
	KUNIT_EXPECT_EQ(test, c->b[0], 1ULL);
	KUNIT_EXPECT_FALSE(test, tess_md_disk_exists(md, 1));
	KUNIT_EXPECT_EQ(test, tess_md_delete_disk(md, 1), -ENODATA);
	KUNIT_ASSERT_EQ(test, tess_md_get_usage(md, &u), 0);
	KUNIT_EXPECT_EQ(test, u.nr_disks, 1U);
	env_close(env);

	md = env_open_ok(env, false);
	KUNIT_EXPECT_EQ(test, refs(test, md, 9), 1U);
	KUNIT_EXPECT_EQ(test, refs(test, md, 10), 0U);
	KUNIT_EXPECT_EQ(test, lookup(test, md, 2, 5), 9ULL);
	KUNIT_EXPECT_EQ(test, store_used(test, md), 1ULL);
	KUNIT_ASSERT_EQ(test, tess_md_get_usage(md, &u), 0);
	KUNIT_EXPECT_EQ(test, u.nr_disks, 1U);
	/* The id can be created again, empty. */
	KUNIT_EXPECT_EQ(test, tess_md_create_disk(md, 1), 0);
	KUNIT_EXPECT_EQ(test, tess_md_lookup(md, 1, 1000, &i), -ENODATA);
	env_close(env);
}

/* The committed state, for the abort and crash cases. */
static void committed_state(struct kunit *test, struct md_env *env)
{
	struct tess_metadata *md = env->md;

	KUNIT_ASSERT_EQ(test, tess_md_create_disk(md, 4), 0);
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 4, 1, 30), 0);
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 4, 2, 31), 0);
	KUNIT_ASSERT_EQ(test, tess_md_commit(md), 0);
	/* Not committed: */
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 4, 1, 32), 0);
	KUNIT_ASSERT_EQ(test, tess_md_remove(md, 4, 2), 0);
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 4, 3, 30), 0);
	KUNIT_ASSERT_EQ(test, tess_md_create_disk(md, 5), 0);
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 5, 1, 31), 0);
	KUNIT_EXPECT_EQ(test, refs(test, md, 31), 1U);
	KUNIT_EXPECT_EQ(test, refs(test, md, 32), 1U);
}

static void expect_committed_state(struct kunit *test, struct tess_metadata *md)
{
	struct tess_md_usage u;
	u64 store;

	KUNIT_EXPECT_EQ(test, lookup(test, md, 4, 1), 30ULL);
	KUNIT_EXPECT_EQ(test, lookup(test, md, 4, 2), 31ULL);
	KUNIT_EXPECT_EQ(test, tess_md_lookup(md, 4, 3, &store), -ENODATA);
	KUNIT_EXPECT_FALSE(test, tess_md_disk_exists(md, 5));
	KUNIT_EXPECT_EQ(test, refs(test, md, 30), 1U);
	KUNIT_EXPECT_EQ(test, refs(test, md, 31), 1U);
	KUNIT_EXPECT_EQ(test, refs(test, md, 32), 0U);
	KUNIT_ASSERT_EQ(test, tess_md_get_usage(md, &u), 0);
	KUNIT_EXPECT_EQ(test, u.trans_id, 1ULL);
	KUNIT_EXPECT_EQ(test, u.nr_disks, 1U);
	KUNIT_EXPECT_EQ(test, u.store_used, 2ULL);
}

static void tess_md_abort_test(struct kunit *test)
{
	struct md_env *env = env_get(test);
	struct tess_metadata *md = env_open_ok(env, true);

	committed_state(test, env);
	KUNIT_ASSERT_EQ(test, tess_md_abort(md), 0);
	expect_committed_state(test, md);
	/* It goes on from there. */
	KUNIT_EXPECT_EQ(test, tess_md_insert(md, 4, 3, 33), 0);
	KUNIT_EXPECT_EQ(test, tess_md_commit(md), 0);
	KUNIT_EXPECT_EQ(test, refs(test, md, 33), 1U);
	env_close(env);
}

static void tess_md_crash_test(struct kunit *test)
{
	struct md_env *env = env_get(test);
	struct tess_metadata *md;

	env_open_ok(env, true);
	committed_state(test, env);
	env_crash(env);
	md = env_open_ok(env, false);
	expect_committed_state(test, md);
	env_close(env);
}

/* A close does not commit: the open transaction is dropped, as by a crash. */
static void tess_md_close_drops_test(struct kunit *test)
{
	struct md_env *env = env_get(test);
	struct tess_metadata *md;

	env_open_ok(env, true);
	committed_state(test, env);
	tess_md_close(env->md);
	env->md = NULL;
	md = env_open_ok(env, false);
	expect_committed_state(test, md);
	env_close(env);
}

static void tess_md_refused_test(struct kunit *test)
{
	struct md_env *env = env_get(test);
	bool formatted;

	env_open_ok(env, true);
	env_close(env);
	/* Same store: opens, does not format. */
	env_open_ok(env, false);
	env_close(env);

	KUNIT_EXPECT_EQ(test, env_open(env, uuid_b, STORE_BLOCKS, &formatted),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, env_open(env, uuid_a, STORE_BLOCKS + 1,
				       &formatted), -EINVAL);
	KUNIT_EXPECT_EQ(test, env_open(env, uuid_a, STORE_BLOCKS - 1,
				       &formatted), -EINVAL);
	/* None of those touched it. */
	env_open_ok(env, false);
	env_close(env);

	/* One byte of the superblock flipped (trans_id): damaged. */
	raw_read(env);
	((u8 *)page_address(env->page))[offsetof(struct tess_md_super_disk,
						 trans_id)] ^= 0x10;
	raw_write(env);
	KUNIT_EXPECT_EQ(test, env_open(env, uuid_a, STORE_BLOCKS, &formatted),
			-EIO);
	/* Not ours at all. */
	memset(page_address(env->page), 0xa5, TESS_MD_BLOCK_SIZE);
	raw_write(env);
	KUNIT_EXPECT_EQ(test, env_open(env, uuid_a, STORE_BLOCKS, &formatted),
			-EINVAL);
}

static void tess_md_too_small_test(struct kunit *test)
{
	struct md_env *env = env_get(test);
	struct tess_metadata *md;
	struct tess_md_usage u;
	char *error = NULL;
	bool formatted;

	md = tess_md_open_blocks(env->bdev, TESS_MD_MIN_BLOCKS - 1,
				 STORE_BLOCKS, uuid_a, &formatted, &error);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(md), -ENOSPC);
	KUNIT_EXPECT_NOT_NULL(test, error);
	if (!IS_ERR(md))
		tess_md_destroy(md);
	/* Nothing was written: block 0 is still zero. */
	raw_read(env);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(page_address(env->page), 0,
					    TESS_MD_BLOCK_SIZE));

	/* Formatted, then the device "shrank" below the metadata. */
	md = env_open_ok(env, true);
	KUNIT_ASSERT_EQ(test, tess_md_get_usage(md, &u), 0);
	env_close(env);
	md = tess_md_open_blocks(env->bdev, u.metadata_total - 1,
				 STORE_BLOCKS, uuid_a, &formatted, &error);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(md), -EINVAL);
	if (!IS_ERR(md))
		tess_md_destroy(md);
}

static void tess_md_bad_args_test(struct kunit *test)
{
	struct md_env *env = env_get(test);
	struct tess_metadata *md = env_open_ok(env, true);
	const u32 big = TESS_MD_MAX_DISK_ID + 1;
	struct collect *c;
	u64 store;
	u32 count;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_EQ(test, tess_md_create_disk(md, big), -EINVAL);
	KUNIT_EXPECT_EQ(test, tess_md_create_disk(md, U32_MAX), -EINVAL);
	KUNIT_EXPECT_EQ(test, tess_md_delete_disk(md, big), -EINVAL);
	KUNIT_EXPECT_EQ(test, tess_md_insert(md, big, 0, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, tess_md_remove(md, big, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, tess_md_lookup(md, big, 0, &store), -EINVAL);
	KUNIT_EXPECT_EQ(test, tess_md_for_each_remap(md, big, collect_remap, c),
			-EINVAL);
	KUNIT_EXPECT_FALSE(test, tess_md_disk_exists(md, big));

	/* Unknown disk. */
	KUNIT_EXPECT_EQ(test, tess_md_lookup(md, 8, 0, &store), -ENODATA);
	KUNIT_EXPECT_EQ(test, tess_md_insert(md, 8, 0, 1), -ENODATA);
	KUNIT_EXPECT_EQ(test, tess_md_remove(md, 8, 0), -ENODATA);
	KUNIT_EXPECT_EQ(test, tess_md_delete_disk(md, 8), -ENODATA);
	KUNIT_EXPECT_EQ(test, tess_md_for_each_remap(md, 8, collect_remap, c),
			-ENODATA);
	KUNIT_EXPECT_FALSE(test, tess_md_disk_exists(md, 8));

	KUNIT_ASSERT_EQ(test, tess_md_create_disk(md, 8), 0);
	KUNIT_EXPECT_EQ(test, tess_md_create_disk(md, 8), -EEXIST);
	KUNIT_EXPECT_EQ(test, tess_md_lookup(md, 8, 0, &store), -ENODATA);
	KUNIT_EXPECT_EQ(test, tess_md_remove(md, 8, 0), -ENODATA);
	/* Store block 0 is the store's superblock; the end is the end. */
	KUNIT_EXPECT_EQ(test, tess_md_insert(md, 8, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, tess_md_insert(md, 8, 0, STORE_BLOCKS), -EINVAL);
	KUNIT_EXPECT_EQ(test, tess_md_store_refs(md, STORE_BLOCKS, &count),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, store_used(test, md), 0ULL);
	/* None of that failed the metadata. */
	KUNIT_EXPECT_FALSE(test, tess_md_failed(md));
	KUNIT_EXPECT_EQ(test, tess_md_commit(md), 0);
	env_close(env);
}

static void tess_md_needs_check_test(struct kunit *test)
{
	struct md_env *env = env_get(test);
	struct tess_metadata *md = env_open_ok(env, true);

	KUNIT_ASSERT_EQ(test, tess_md_create_disk(md, 1), 0);
	KUNIT_ASSERT_EQ(test, tess_md_commit(md), 0);
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 1, 1, 1), 0);
	KUNIT_EXPECT_EQ(test, tess_md_set_needs_check(md), 0);
	KUNIT_EXPECT_TRUE(test, tess_md_needs_check(md));
	/* Durable without a commit; the flag alone changed. */
	env_crash(env);
	md = env_open_ok(env, false);
	KUNIT_EXPECT_TRUE(test, tess_md_needs_check(md));
	KUNIT_EXPECT_TRUE(test, tess_md_disk_exists(md, 1));
	KUNIT_EXPECT_EQ(test, refs(test, md, 1), 0U);
	/* Kept by abort and by a commit. */
	KUNIT_EXPECT_EQ(test, tess_md_abort(md), 0);
	KUNIT_EXPECT_TRUE(test, tess_md_needs_check(md));
	env_close(env);
	md = env_open_ok(env, false);
	KUNIT_EXPECT_TRUE(test, tess_md_needs_check(md));
	env_close(env);
}

/*
 * The superblock goes bad under an open pool: abort cannot reopen, the
 * metadata is failed and refuses everything; once block 0 is good again,
 * abort brings it back.
 */
static void tess_md_failed_test(struct kunit *test)
{
	struct md_env *env = env_get(test);
	struct tess_metadata *md = env_open_ok(env, true);
	struct tess_md_usage u;
	u8 *good;
	u64 store;

	KUNIT_ASSERT_EQ(test, tess_md_create_disk(md, 1), 0);
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 1, 1, 2), 0);
	KUNIT_ASSERT_EQ(test, tess_md_commit(md), 0);
	KUNIT_ASSERT_EQ(test, tess_md_insert(md, 1, 2, 3), 0);

	raw_read(env);
	good = kunit_kmalloc(test, TESS_MD_BLOCK_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, good);
	memcpy(good, page_address(env->page), TESS_MD_BLOCK_SIZE);
	((u8 *)page_address(env->page))[TESS_MD_BLOCK_SIZE - 1] ^= 1;
	raw_write(env);

	KUNIT_EXPECT_EQ(test, tess_md_abort(md), -EIO);
	KUNIT_EXPECT_TRUE(test, tess_md_failed(md));
	KUNIT_EXPECT_EQ(test, tess_md_insert(md, 1, 3, 4), -EIO);
	KUNIT_EXPECT_EQ(test, tess_md_remove(md, 1, 1), -EIO);
	KUNIT_EXPECT_EQ(test, tess_md_create_disk(md, 2), -EIO);
	KUNIT_EXPECT_EQ(test, tess_md_delete_disk(md, 1), -EIO);
	KUNIT_EXPECT_EQ(test, tess_md_commit(md), -EIO);
	KUNIT_EXPECT_EQ(test, tess_md_lookup(md, 1, 1, &store), -EIO);
	KUNIT_EXPECT_EQ(test, tess_md_get_usage(md, &u), -EIO);

	memcpy(page_address(env->page), good, TESS_MD_BLOCK_SIZE);
	raw_write(env);
	KUNIT_EXPECT_EQ(test, tess_md_abort(md), 0);
	KUNIT_EXPECT_FALSE(test, tess_md_failed(md));
	KUNIT_EXPECT_EQ(test, lookup(test, md, 1, 1), 2ULL);
	KUNIT_EXPECT_EQ(test, tess_md_lookup(md, 1, 2, &store), -ENODATA);
	KUNIT_EXPECT_EQ(test, tess_md_insert(md, 1, 3, 4), 0);
	KUNIT_EXPECT_EQ(test, tess_md_commit(md), 0);
	env_close(env);
}

/* Counts of 3 and more live in the space map's ref count tree. */
static void tess_md_high_count_test(struct kunit *test)
{
	struct md_env *env = env_get(test);
	struct tess_metadata *md = env_open_ok(env, true);
	u32 id;

	for (id = 0; id < 5; id++) {
		KUNIT_ASSERT_EQ(test, tess_md_create_disk(md, id), 0);
		KUNIT_ASSERT_EQ(test, tess_md_insert(md, id, 77, 40), 0);
		KUNIT_EXPECT_EQ(test, refs(test, md, 40), id + 1);
	}
	KUNIT_ASSERT_EQ(test, tess_md_commit(md), 0);
	env_close(env);
	md = env_open_ok(env, false);
	KUNIT_EXPECT_EQ(test, refs(test, md, 40), 5U);
	KUNIT_EXPECT_EQ(test, store_used(test, md), 1ULL);
	for (id = 0; id < 5; id++) {
		KUNIT_ASSERT_EQ(test, tess_md_delete_disk(md, id), 0);
		KUNIT_EXPECT_EQ(test, refs(test, md, 40), 4 - id);
	}
	KUNIT_EXPECT_EQ(test, store_used(test, md), 0ULL);
	env_close(env);
}

static int stop_second(void *ctx, u64 a, u64 b)
{
	unsigned int *calls = ctx;

	return ++*calls == 2 ? 7 : 0;
}

static int stop_second_disk(void *ctx, u32 id)
{
	return stop_second(ctx, id, 0);
}

static int stop_second_ref(void *ctx, u64 store, u32 count)
{
	return stop_second(ctx, store, count);
}

/* An iterator returns what its callback returned, and stops there. */
static void tess_md_iterator_stop_test(struct kunit *test)
{
	struct md_env *env = env_get(test);
	struct tess_metadata *md = env_open_ok(env, true);
	unsigned int calls;
	u32 id;

	for (id = 1; id <= 3; id++) {
		KUNIT_ASSERT_EQ(test, tess_md_create_disk(md, id), 0);
		KUNIT_ASSERT_EQ(test, tess_md_insert(md, 1, id, id), 0);
	}
	calls = 0;
	KUNIT_EXPECT_EQ(test, tess_md_for_each_disk(md, stop_second_disk,
						    &calls), 7);
	KUNIT_EXPECT_EQ(test, calls, 2U);
	calls = 0;
	KUNIT_EXPECT_EQ(test, tess_md_for_each_remap(md, 1, stop_second,
						     &calls), 7);
	KUNIT_EXPECT_EQ(test, calls, 2U);
	calls = 0;
	KUNIT_EXPECT_EQ(test, tess_md_for_each_store_ref(md, stop_second_ref,
							 &calls), 7);
	KUNIT_EXPECT_EQ(test, calls, 2U);
	KUNIT_EXPECT_FALSE(test, tess_md_failed(md));
	env_close(env);
}

/*
 * Many inserts, overwrites and removals on three disks against a model
 * kept here; every remap and every count must match, before and after a
 * reopen.  Enough entries to split and rebalance btree nodes.
 */
#define MODEL_DISKS	3
#define MODEL_BLOCKS	700
#define MODEL_OPS	6000

struct model {
	u16 map[MODEL_DISKS][MODEL_BLOCKS];	/* 0: no remap */
	u32 refs[STORE_BLOCKS];
	unsigned int next_disk, next_block, errors;
	struct kunit *test;
};

static int model_remap(void *ctx, u64 block, u64 store)
{
	struct model *m = ctx;
	unsigned int d = m->next_disk;

	/* Skip the model's holes: the tree lists remaps only. */
	while (m->next_block < MODEL_BLOCKS && !m->map[d][m->next_block])
		m->next_block++;
	if (block != m->next_block || m->next_block >= MODEL_BLOCKS ||
	    store != m->map[d][block])
		m->errors++;
	m->next_block = block + 1;
	return 0;
}

static int model_ref(void *ctx, u64 store, u32 count)
{
	struct model *m = ctx;

	/* Every listed count is checked here, the unlisted ones below. */
	if (store >= STORE_BLOCKS || m->refs[store] != count)
		m->errors++;
	else
		m->refs[store] |= 1U << 31;
	return 0;
}

static void model_check(struct kunit *test, struct tess_metadata *md,
			struct model *m)
{
	unsigned int d, b;

	m->errors = 0;
	for (d = 0; d < MODEL_DISKS; d++) {
		m->next_disk = d;
		m->next_block = 0;
		KUNIT_EXPECT_EQ(test, tess_md_for_each_remap(md, d, model_remap,
							     m), 0);
		while (m->next_block < MODEL_BLOCKS &&
		       !m->map[d][m->next_block])
			m->next_block++;
		KUNIT_EXPECT_EQ(test, m->next_block, MODEL_BLOCKS);
	}
	KUNIT_EXPECT_EQ(test, m->errors, 0U);
	KUNIT_EXPECT_EQ(test, tess_md_for_each_store_ref(md, model_ref, m), 0);
	for (b = 0; b < STORE_BLOCKS; b++) {
		if (m->refs[b] & (1U << 31))
			m->refs[b] &= ~(1U << 31);
		else if (m->refs[b])
			m->errors++;	/* a count the space map lost */
	}
	KUNIT_EXPECT_EQ(test, m->errors, 0U);
}

static void tess_md_model_test(struct kunit *test)
{
	struct md_env *env = env_get(test);
	struct tess_metadata *md = env_open_ok(env, true);
	struct model *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	u32 x = 12345, d, b, store, i;

	KUNIT_ASSERT_NOT_NULL(test, m);
	for (d = 0; d < MODEL_DISKS; d++)
		KUNIT_ASSERT_EQ(test, tess_md_create_disk(md, d), 0);
	for (i = 0; i < MODEL_OPS; i++) {
		x = x * 1103515245 + 12345;
		d = (x >> 8) % MODEL_DISKS;
		b = (x >> 12) % MODEL_BLOCKS;
		/* A small store range, so blocks are shared and reused. */
		store = 1 + (x >> 3) % 300;
		if ((x >> 28) < 4) {
			int want = m->map[d][b] ? 0 : -ENODATA;

			KUNIT_ASSERT_EQ(test, tess_md_remove(md, d, b), want);
			if (m->map[d][b])
				m->refs[m->map[d][b]]--;
			m->map[d][b] = 0;
		} else {
			KUNIT_ASSERT_EQ(test, tess_md_insert(md, d, b, store), 0);
			if (m->map[d][b])
				m->refs[m->map[d][b]]--;
			m->map[d][b] = store;
			m->refs[store]++;
		}
		if (i % 1000 == 999)
			KUNIT_ASSERT_EQ(test, tess_md_commit(md), 0);
	}
	model_check(test, md, m);
	env_close(env);
	md = env_open_ok(env, false);
	model_check(test, md, m);
	env_close(env);
}

static struct kunit_case tess_md_cases[] = {
	KUNIT_CASE(tess_md_format_reopen_test),
	KUNIT_CASE(tess_md_refcount_test),
	KUNIT_CASE(tess_md_shared_and_delete_test),
	KUNIT_CASE(tess_md_abort_test),
	KUNIT_CASE(tess_md_crash_test),
	KUNIT_CASE(tess_md_close_drops_test),
	KUNIT_CASE(tess_md_refused_test),
	KUNIT_CASE(tess_md_too_small_test),
	KUNIT_CASE(tess_md_bad_args_test),
	KUNIT_CASE(tess_md_needs_check_test),
	KUNIT_CASE(tess_md_failed_test),
	KUNIT_CASE(tess_md_high_count_test),
	KUNIT_CASE(tess_md_iterator_stop_test),
	KUNIT_CASE(tess_md_model_test),
	{}
};

static struct kunit_suite tess_md_suite = {
	.name = "dm-tesseract-metadata",
	.test_cases = tess_md_cases,
};

kunit_test_suite(tess_md_suite);
