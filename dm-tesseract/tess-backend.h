/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: the swap backend.
 *
 * Host swap-outs of VM memory go to the store instead of the swap device,
 * so that the content of every swapped-out page is in a store block the
 * index knows.  Registered with the swap core (mm-hooks) while the module
 * is loaded; it takes pages only while bound to a pool that serves swap
 * (tess-pool.h): the first such pool to resume.  While the store holds
 * swapped-out pages the binding stays (tess_backend_unbind() refuses),
 * so that they can be read back; the pool object stays with it.
 */
#ifndef DM_TESSERACT_BACKEND_H
#define DM_TESSERACT_BACKEND_H

#include <linux/swap.h>
#include <linux/types.h>

#include "tess-alloc.h"

struct tess_pool;
struct tess_store;
struct writeback_control;

/* Counters, as tess_backend_get_stats() reports them. */
enum tess_backend_stat {
	TESS_BE_STORED,		/* pages written to the store */
	TESS_BE_LOADED,		/* pages read back from the store */
	TESS_BE_INVALIDATED,	/* swap entries freed while in the store */
	TESS_BE_DECLINED,	/* pages left to the swap device */
	TESS_BE_FAILED,		/* pages whose store I/O failed */
	TESS_BE_PAGES,		/* swap entries the store holds now */
	TESS_BE_NR_STATS
};

/* Register the backend with the swap core.  Process context, may sleep. */
int tess_backend_init(void);
void tess_backend_exit(void);

/*
 * Bind the backend to @pool: 0, or -EBUSY if another pool is bound.
 * Process context, may sleep.
 */
int tess_backend_bind(struct tess_pool *pool);
/*
 * Unbind @pool if it is bound and its store holds no swapped-out page:
 * true if @pool is not (or no longer) bound, after waiting for the
 * backend's I/O in flight.  Process context, may sleep.
 */
bool tess_backend_unbind(struct tess_pool *pool);
/* The bound pool, or NULL; any context (a hint unless entries exist). */
struct tess_pool *tess_backend_bound(void);
/* Swap entries the store holds now; any context. */
u64 tess_backend_pages(void);
/*
 * The bound pool's store counters into @vals (blocks, used, free, bytes
 * written, bytes read); zeroes when none.  Process context.
 */
void tess_backend_store_stats(u64 *vals);

/* Fill @vals[TESS_BE_NR_STATS]; any context. */
void tess_backend_get_stats(u64 *vals);

/*
 * Restrict the backend to the memory cgroup at @path (relative to the
 * cgroup2 root) and its descendants; "" lifts the restriction.  Process
 * context.  Returns 0 or -errno (-ENOENT for a path that is no cgroup).
 */
int tess_backend_set_memcg(const char *path);
/* The current restriction's path into @buf ("" if none); returns length. */
int tess_backend_get_memcg(char *buf, size_t len);

/* True when a pool is bound. */
bool tess_backend_active(void);

/* Most references tess_backend_hold() takes on one block. */
#define TESS_MAX_HOLDS	(TESS_MAX_REFS / 2)

/*
 * If @pool is the bound pool and its store holds the content of swap entry
 * @e, take one more reference on its block, put it in *@block and return
 * true.  The caller must keep
 * @e from being freed or stored again meanwhile (as the O_DIRECT write
 * hook does, under the page-table lock); it drops the reference with
 * tess_alloc_put() on the store's allocator.  False too when the block
 * holds TESS_MAX_HOLDS references, so that readers always find room.  Any
 * context.
 */
bool tess_backend_hold(struct tess_pool *pool, swp_entry_t e, u64 *block);

#if IS_ENABLED(CONFIG_KUNIT)
/* The swap backend ops, visible to the KUnit suite only. */
bool tess_store_folio(struct folio *folio, struct writeback_control *wbc);
bool tess_load_folio(struct folio *folio);
void tess_invalidate(swp_entry_t e);
void tess_swapon(int type, unsigned long maxpages);
void tess_swapoff(int type);
#endif

#endif /* DM_TESSERACT_BACKEND_H */
