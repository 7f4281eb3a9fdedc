// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: the swap backend.
 *
 * store() runs in swap_writepage() with the folio locked in the swap
 * cache; it allocates one store block per subpage at the log head, records
 * swap entry -> block in the index, and writes the folio with as few bios
 * as the blocks allow.  load() reads it back.  A swap entry keeps its block
 * after a load, as a swap slot keeps its data: a clean swap-cache folio can
 * then be dropped without a write.  invalidate() releases the block when
 * the swap core frees the entry; a store of new content to an entry that
 * still has a block replaces it.
 *
 * Each swap entry in the index holds one reference on the module, so the
 * module cannot be unloaded while the store holds swapped-out pages, and
 * the bound pool cannot be unbound (tess_backend_unbind()): the store
 * stays while entries need it.
 */
#include <kunit/visibility.h>
#include <linux/bio.h>
#include <linux/cgroup.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/swap.h>
#include <linux/swap_backend.h>
#include <linux/wait_bit.h>
#include <linux/writeback.h>

#include "tess-backend.h"
#include "tess-index.h"
#include "tess-disk.h"
#include "tess-pool.h"
#include "tess-store.h"

/*
 * The bound pool and its store.  Written under tess_bind_lock held for
 * write, only while the store holds no entry; store() reads them under it
 * held for read; the other ops and the hook read them with READ_ONCE(),
 * as an entry they hold keeps them bound.
 */
static struct tess_pool *tess_bound;
static struct tess_store *tess_store;
static DECLARE_RWSEM(tess_bind_lock);
static struct tess_index tess_index;

/* Memory cgroup the backend is restricted to; NULL: every page. */
static struct cgroup __rcu *tess_memcg;
static DEFINE_MUTEX(tess_memcg_lock);	/* serialises writers of tess_memcg */

static atomic64_t tess_stats[TESS_BE_NR_STATS];

/*
 * After a store write error, pages go to the swap device for a while: the
 * failed folio is re-dirtied and its next writeback must not fail again.
 */
#define TESS_WRITE_ERROR_BACKOFF	(10 * HZ)
static bool tess_write_failing;
static unsigned long tess_write_retry_at;	/* jiffies */

static bool tess_store_failing(void)
{
	if (!READ_ONCE(tess_write_failing))
		return false;
	if (time_before(jiffies, READ_ONCE(tess_write_retry_at)))
		return true;
	WRITE_ONCE(tess_write_failing, false);
	return false;
}

static bool tess_wants(struct folio *folio)
{
	struct mem_cgroup *memcg;
	struct cgroup *cg;
	bool wants;

	rcu_read_lock();
	cg = rcu_dereference(tess_memcg);
	memcg = folio_memcg(folio);
	wants = !cg || (memcg && cgroup_is_descendant(memcg->css.cgroup, cg));
	rcu_read_unlock();
	return wants;
}

/* The swap entry of subpage @i of @folio. */
static swp_entry_t tess_entry(struct folio *folio, long i)
{
	return swp_entry(swp_type(folio->swap), swp_offset(folio->swap) + i);
}

/* Forget entry @e and release its block; any context.  False: unknown. */
static bool tess_forget(swp_entry_t e)
{
	u64 b;

	if (!tess_index_erase(&tess_index, e, &b))
		return false;
	tess_alloc_put(&READ_ONCE(tess_store)->alloc, b);
	/* The last one: an orphaned pool may go (before the module may). */
	if (atomic64_dec_and_test(&tess_stats[TESS_BE_PAGES]))
		tess_pool_swap_drained();
	module_put(THIS_MODULE);
	return true;
}

static void tess_forget_folio(struct folio *folio)
{
	long i;

	for (i = 0; i < folio_nr_pages(folio); i++)
		tess_forget(tess_entry(folio, i));
}

/*
 * Give subpage @i of @folio a new block in the index; process context.
 * A new entry takes a module reference, refused once module exit began.
 */
static int tess_assign(struct folio *folio, long i)
{
	struct tess_alloc *a = &tess_store->alloc;
	bool had_old;
	u64 b, old;
	int r;

	if (!tess_alloc_get(a, 1, &b))
		return -ENOSPC;
	if (!try_module_get(THIS_MODULE)) {
		tess_alloc_put(a, b);
		return -ENODEV;
	}
	r = tess_index_store(&tess_index, tess_entry(folio, i), b, GFP_NOIO,
			     &old, &had_old);
	if (r) {
		tess_alloc_put(a, b);
		module_put(THIS_MODULE);
		return r;
	}
	if (had_old) {
		/* The entry already held a reference. */
		tess_alloc_put(a, old);
		module_put(THIS_MODULE);
	} else {
		atomic64_inc(&tess_stats[TESS_BE_PAGES]);
	}
	return 0;
}

/* Number of @folio's subpages whose entries the store holds. */
static long tess_nr_held(struct folio *folio)
{
	long i, held = 0;
	u64 b;

	for (i = 0; i < folio_nr_pages(folio); i++)
		held += tess_index_lookup(&tess_index, tess_entry(folio, i), &b);
	return held;
}

/*
 * Bios for every subpage of @folio, one per run of consecutive blocks:
 * all but the last are submitted, chained to the last, which is returned
 * for the caller to complete and submit (its end_io then runs once, after
 * all of them, with the first error).  The caller holds the folio lock
 * and has made sure the store holds every subpage: the entries cannot
 * change under it.
 */
static struct bio *tess_folio_bios(struct folio *folio, blk_opf_t opf)
{
	long i, nr = folio_nr_pages(folio);
	struct bio *bio = NULL;
	u64 b = 0, prev = 0;

	for (i = 0; i < nr; i++) {
		WARN_ON_ONCE(!tess_index_lookup(&tess_index,
						tess_entry(folio, i), &b));
		if (!bio || b != prev + 1 ||
		    !bio_add_page(bio, folio_page(folio, i), PAGE_SIZE, 0)) {
			bio = blk_next_bio(bio, READ_ONCE(tess_store)->bdev,
					   min_t(long, nr - i, BIO_MAX_VECS),
					   opf, GFP_NOIO);
			bio->bi_iter.bi_sector = tess_store_sector(b);
			__bio_add_page(bio, folio_page(folio, i), PAGE_SIZE, 0);
		}
		prev = b;
	}
	return bio;
}

/*
 * Bios in flight with an end_io of ours: module exit waits for them, as
 * their completion may run after the last entry's module reference is
 * dropped.
 */
static atomic_t tess_inflight = ATOMIC_INIT(0);

static void tess_submit(struct bio *bio, bio_end_io_t end_io)
{
	atomic_inc(&tess_inflight);
	bio->bi_end_io = end_io;
	bio->bi_private = READ_ONCE(tess_store);
	submit_bio(bio);
}

static void tess_end_io(struct bio *bio)
{
	bio_put(bio);
	if (atomic_dec_and_test(&tess_inflight))
		wake_up_var(&tess_inflight);
}

static void tess_write_end_io(struct bio *bio)
{
	struct folio *folio = bio_first_folio_all(bio);
	struct tess_store *s = bio->bi_private;
	long nr = folio_nr_pages(folio);

	if (bio->bi_status) {
		/* As a swap device write error: keep the page, retry later. */
		WRITE_ONCE(tess_write_retry_at, jiffies + TESS_WRITE_ERROR_BACKOFF);
		WRITE_ONCE(tess_write_failing, true);
		folio_mark_dirty(folio);
		folio_clear_reclaim(folio);
		/* The blocks hold garbage: nobody may rely on them. */
		tess_forget_folio(folio);
		pr_alert_ratelimited("tesseract: write error on store, swap entry %lx: %d\n",
				     folio->swap.val,
				     blk_status_to_errno(bio->bi_status));
		atomic64_add(nr, &tess_stats[TESS_BE_FAILED]);
	} else {
		atomic64_add(nr, &tess_stats[TESS_BE_STORED]);
		atomic64_add(nr * PAGE_SIZE, &s->bytes_written);
	}
	folio_end_writeback(folio);
	tess_end_io(bio);
}

VISIBLE_IF_KUNIT bool tess_store_folio(struct folio *folio, struct writeback_control *wbc)
{
	long i, nr = folio_nr_pages(folio);
	struct bio *bio;

	if (!tess_index_has_type(&tess_index, swp_type(folio->swap)))
		return false;
	down_read(&tess_bind_lock);
	if (!tess_bound) {
		up_read(&tess_bind_lock);
		return false;
	}
	if (!tess_pool_takes_swap(tess_bound) || !tess_wants(folio) ||
	    tess_store_failing())
		goto decline;

	for (i = 0; i < nr; i++)
		if (tess_assign(folio, i))
			goto decline;

	folio_start_writeback(folio);
	bio = tess_folio_bios(folio, REQ_OP_WRITE | REQ_SWAP |
			      wbc_to_write_flags(wbc));
	folio_unlock(folio);
	tess_submit(bio, tess_write_end_io);
	up_read(&tess_bind_lock);
	return true;

decline:
	/* Older content of these entries in the store is stale now. */
	tess_forget_folio(folio);
	up_read(&tess_bind_lock);
	atomic64_add(nr, &tess_stats[TESS_BE_DECLINED]);
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(tess_store_folio);

/* A read of @folio from the store finished: unlock it, uptodate on success. */
static void tess_read_done(struct tess_store *s, struct folio *folio,
			   blk_status_t status)
{
	long nr = folio_nr_pages(folio);

	if (status) {
		pr_alert_ratelimited("tesseract: read error on store, swap entry %lx: %d\n",
				     folio->swap.val, blk_status_to_errno(status));
		atomic64_add(nr, &tess_stats[TESS_BE_FAILED]);
	} else {
		folio_mark_uptodate(folio);
		atomic64_add(nr, &tess_stats[TESS_BE_LOADED]);
		atomic64_add(nr * PAGE_SIZE, &s->bytes_read);
	}
	folio_unlock(folio);
}

static void tess_read_end_io(struct bio *bio)
{
	tess_read_done(bio->bi_private, bio_first_folio_all(bio),
		       bio->bi_status);
	tess_end_io(bio);
}

VISIBLE_IF_KUNIT bool tess_load_folio(struct folio *folio)
{
	long held = tess_nr_held(folio);
	struct bio *bio;

	if (!held)
		return false;
	if (held < folio_nr_pages(folio)) {
		/* Swap-in is order-0 while we are registered: a bug. */
		WARN_ONCE(1, "tesseract: swap entry %lx only partly in the store\n",
			  folio->swap.val);
		tess_read_done(READ_ONCE(tess_store), folio, BLK_STS_IOERR);
		return true;
	}
	bio = tess_folio_bios(folio, REQ_OP_READ | REQ_SWAP);
	if (folio_test_swapcache(folio)) {
		tess_submit(bio, tess_read_end_io);
	} else {
		/* Off the swap cache the caller may free the folio on return. */
		tess_read_done(READ_ONCE(tess_store), folio,
			       errno_to_blk_status(submit_bio_wait(bio)));
		bio_put(bio);
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(tess_load_folio);

VISIBLE_IF_KUNIT void tess_invalidate(swp_entry_t e)
{
	if (tess_forget(e))
		atomic64_inc(&tess_stats[TESS_BE_INVALIDATED]);
}
EXPORT_SYMBOL_IF_KUNIT(tess_invalidate);

VISIBLE_IF_KUNIT void tess_swapon(int type, unsigned long maxpages)
{
	if (tess_index_swapon(&tess_index, type))
		DMWARN("swap type %d: no index, its pages go to the swap device",
		       type);
}
EXPORT_SYMBOL_IF_KUNIT(tess_swapon);

VISIBLE_IF_KUNIT void tess_swapoff(int type)
{
	tess_index_swapoff(&tess_index, type);
}
EXPORT_SYMBOL_IF_KUNIT(tess_swapoff);

static const struct swap_backend_ops tess_backend_ops = {
	.store = tess_store_folio,
	.load = tess_load_folio,
	.invalidate = tess_invalidate,
	.swapon = tess_swapon,
	.swapoff = tess_swapoff,
};

bool tess_backend_active(void)
{
	return READ_ONCE(tess_bound);
}
EXPORT_SYMBOL_IF_KUNIT(tess_backend_active);

struct tess_pool *tess_backend_bound(void)
{
	return READ_ONCE(tess_bound);
}

u64 tess_backend_pages(void)
{
	return atomic64_read(&tess_stats[TESS_BE_PAGES]);
}

bool tess_backend_hold(struct tess_pool *pool, swp_entry_t e, u64 *block)
{
	struct tess_store *s = READ_ONCE(tess_store);
	u64 b;

	if (READ_ONCE(tess_bound) != pool || !s ||
	    !tess_index_has_type(&tess_index, swp_type(e)))
		return false;
	/* The caller keeps @e alive: its entry keeps the store bound. */
	if (!tess_index_lookup(&tess_index, e, &b))
		return false;
	/* Leave room for the references of reads and copies. */
	if (tess_alloc_refs(&s->alloc, b) >= TESS_MAX_HOLDS)
		return false;
	if (tess_alloc_ref(&s->alloc, b))
		return false;
	*block = b;
	return true;
}

int tess_backend_bind(struct tess_pool *pool)
{
	int r = 0;

	down_write(&tess_bind_lock);
	if (!tess_bound) {
		WRITE_ONCE(tess_store, tess_pool_store(pool));
		WRITE_ONCE(tess_bound, pool);
		DMINFO("swap backend: bound to the pool with store %pg",
		       tess_store->bdev);
	} else if (tess_bound != pool) {
		r = -EBUSY;
	}
	up_write(&tess_bind_lock);
	return r;
}

bool tess_backend_unbind(struct tess_pool *pool)
{
	down_write(&tess_bind_lock);
	if (tess_bound != pool) {
		up_write(&tess_bind_lock);
		return true;
	}
	if (atomic64_read(&tess_stats[TESS_BE_PAGES])) {
		up_write(&tess_bind_lock);
		return false;
	}
	WRITE_ONCE(tess_bound, NULL);
	WRITE_ONCE(tess_store, NULL);
	up_write(&tess_bind_lock);
	/* Completions of bios in flight still count the store's bytes. */
	wait_var_event(&tess_inflight, !atomic_read(&tess_inflight));
	return true;
}

void tess_backend_store_stats(u64 *vals)
{
	struct tess_store *s;

	down_read(&tess_bind_lock);
	s = tess_store;
	if (s) {
		vals[0] = tess_alloc_nr_blocks(&s->alloc);
		vals[2] = tess_alloc_nr_free(&s->alloc);
		vals[1] = vals[0] - vals[2];
		vals[3] = atomic64_read(&s->bytes_written);
		vals[4] = atomic64_read(&s->bytes_read);
	} else {
		memset(vals, 0, 5 * sizeof(*vals));
	}
	up_read(&tess_bind_lock);
}

int tess_backend_init(void)
{
	return swap_backend_register(&tess_backend_ops);
}

void tess_backend_exit(void)
{
	/* Tells swapoff() of every type still active. */
	swap_backend_unregister(&tess_backend_ops);
	wait_var_event(&tess_inflight, !atomic_read(&tess_inflight));
	tess_backend_set_memcg("");
	WARN_ON_ONCE(READ_ONCE(tess_bound));
}

void tess_backend_get_stats(u64 *vals)
{
	unsigned int i;

	for (i = 0; i < TESS_BE_NR_STATS; i++)
		vals[i] = atomic64_read(&tess_stats[i]);
}
EXPORT_SYMBOL_IF_KUNIT(tess_backend_get_stats);

int tess_backend_set_memcg(const char *path)
{
	struct cgroup *cg = NULL, *old;

	if (*path) {
		cg = cgroup_get_from_path(path);
		if (IS_ERR(cg))
			return PTR_ERR(cg);
	}
	mutex_lock(&tess_memcg_lock);
	old = rcu_replace_pointer(tess_memcg, cg,
				  lockdep_is_held(&tess_memcg_lock));
	mutex_unlock(&tess_memcg_lock);
	if (old) {
		synchronize_rcu();
		cgroup_put(old);
	}
	return 0;
}

int tess_backend_get_memcg(char *buf, size_t len)
{
	struct cgroup *cg;
	int r = 0;

	mutex_lock(&tess_memcg_lock);
	cg = rcu_dereference_protected(tess_memcg,
				       lockdep_is_held(&tess_memcg_lock));
	buf[0] = '\0';
	if (cg)
		r = cgroup_path(cg, buf, len);
	mutex_unlock(&tess_memcg_lock);
	return r < 0 ? r : strlen(buf);
}
