// SPDX-License-Identifier: GPL-2.0
/*
 * vmsim: a VM-like process for the double-paging benchmark.
 *
 * Guest RAM is anonymous memory of this process, so when it runs in a
 * memory cgroup below its size, the host swaps guest RAM out for real.  A
 * Linux-like guest reclaim model pages guest pages out to a guest swap area
 * (a block device, e.g. the tesseract target) with O_DIRECT writes straight
 * from guest RAM and pages them in with O_DIRECT reads into guest RAM, both
 * submitted as QEMU does with cache=none (--submit): pwritev/preadv from a
 * pool of threads (aio=threads), linux-aio (aio=native) or io_uring.
 * When the guest evicts a page the host has already swapped out, the write
 * faults it back in first: double paging.
 *
 * Guest model: active and inactive LRU lists of frames, reclaim in batches
 * of 32 from the inactive tail (referenced pages are activated instead),
 * the active list refilled into the inactive one when it grows larger;
 * swap slots allocated in clusters of 256; readahead of up to 8 slots on a
 * page-in; a page keeps its slot while clean, so evicting it again costs no
 * write (a write to a page frees its slot, as a write fault does).
 * Every guest page is stamped whole: the disk's id (--disk-id, for several
 * VMs on one pool) and the page's id, its version, then words that follow
 * from (salt, disk id, page id, version), the salt drawn afresh each run;
 * every word is checked on every access and at the end, and a mismatch
 * fails the run, so a lost write cannot pass by reading back what an
 * earlier run on the same disk left there.  A probe thread touches a few
 * pages every 10 ms and records how long that took: the guest's
 * responsiveness.
 *
 * The timed part runs until the guest made --accesses accesses (the
 * fixed-work figure: time_to_n) or --seconds passed, whichever is first;
 * throughput is accesses per second over it either way.
 *
 * When --dev is a tesseract target, its reconciliation counters over the
 * run (from dmsetup status) go into the output as "target"; otherwise
 * "target" is null.
 *
 * Output: one JSON object on stdout.  Exit 0: every stamp checked out;
 * 1: a stamp mismatch or an I/O error; 2: bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/aio_abi.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096UL
#define BATCH		32
#define CLUSTER		256
#define READAHEAD	8
#define PROBE_PAGES	8
#define PROBE_MS	10
#define NONE		UINT32_MAX

#define WORDS		(PAGE / sizeof(uint64_t))

struct gpage {			/* a guest page */
	uint32_t frame;		/* NONE: not resident */
	uint32_t slot;		/* NONE: no copy in the swap area */
	uint64_t version;
	int dirty;		/* changed since its slot was written */
};

struct frame {			/* a guest RAM frame */
	uint32_t page;		/* NONE: free */
	uint32_t prev, next;	/* LRU links */
	int active, referenced;
};

static struct {
	long ram_mib, disk_mib, ws_mib, seconds, hot_pct, hot_prob, write_pct;
	unsigned long long accesses;	/* 0: as many as fit in seconds */
	long region_mib;
	unsigned int check_pages;	/* 0: all */
	unsigned int seed, disk_id;
	const char *dev, *submit, *data_dev, *store_dev;
} opt = { 64, 0, 0, 20, 20, 80, 30, 0, 4, 0, 1, 0, NULL, "pwritev",
	    NULL, NULL };

static uint8_t *ram;
static struct gpage *pages;
static struct frame *frames;
static uint32_t *slot_owner;	/* slot -> page, NONE: free */
static uint8_t *slot_hs;	/* slot last written from a host-swapped frame */
static int pagemap_fd;
static uint8_t *bounce;		/* BATCH pages outside guest RAM, for O_DIRECT */
static uint32_t *free_stack;	/* free frames */
static uint32_t nr_pages, nr_frames, nr_slots, slot_cursor, free_frames;
static uint32_t lru_head[2] = { NONE, NONE }, lru_tail[2] = { NONE, NONE };
static uint32_t lru_len[2];
static int fd;
static aio_context_t aio_ctx;
static pthread_mutex_t guest_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t page_outs, page_ins, writes_skipped, accesses, bad_stamps;
static uint64_t io_errors, hs_page_outs;
static double boot_secs, check_secs;	/* how long boot() and final_check() took */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- LRU lists of frames ---- */

static void lru_del(uint32_t f)
{
	struct frame *fr = &frames[f];
	int l = fr->active;

	if (fr->prev != NONE)
		frames[fr->prev].next = fr->next;
	else
		lru_head[l] = fr->next;
	if (fr->next != NONE)
		frames[fr->next].prev = fr->prev;
	else
		lru_tail[l] = fr->prev;
	lru_len[l]--;
}

static void lru_add_head(uint32_t f, int active)
{
	struct frame *fr = &frames[f];

	fr->active = active;
	fr->prev = NONE;
	fr->next = lru_head[active];
	if (lru_head[active] != NONE)
		frames[lru_head[active]].prev = f;
	else
		lru_tail[active] = f;
	lru_head[active] = f;
	lru_len[active]++;
}

/* ---- stamps ---- */

static uint64_t salt;		/* this run's, from getrandom() */

/*
 * The content of page @p at @version: the disk id in the high half of the
 * first word and the page id in the low half, its version, then
 * splitmix64 words seeded from (salt, disk id, page id, version).
 */
static void stamp_make(uint64_t *w, uint32_t p, uint64_t version)
{
	uint64_t id = (uint64_t)opt.disk_id << 32 | p;
	uint64_t x = salt ^ (id * 0x9e3779b97f4a7c15ULL) ^
		     (version * 0xd1b54a32d192ed03ULL);

	w[0] = id;
	w[1] = version;
	for (size_t i = 2; i < WORDS; i++) {
		uint64_t z = (x += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		w[i] = z ^ (z >> 31);
	}
}

static void stamp_write(uint32_t p)
{
	stamp_make((uint64_t *)(ram + pages[p].frame * PAGE), p,
		   pages[p].version);
}

/*
 * Whether @got holds page @p as last written.  Called with guest_lock
 * held (or with no probe running): one buffer.
 */
static void stamp_check_at(uint32_t p, const uint64_t *got, const char *when)
{
	static uint64_t want[WORDS];
	size_t i;

	stamp_make(want, p, pages[p].version);
	if (!memcmp(got, want, PAGE))
		return;
	for (i = 0; got[i] == want[i]; i++)
		;
	if (bad_stamps++ < 10)
		fprintf(stderr,
			"vmsim: page %u %s: holds disk %llu page %llu version %llu, want disk %u version %llu; word %zu differs (bad stamp)\n",
			p, when, (unsigned long long)(got[0] >> 32),
			(unsigned long long)(got[0] & 0xffffffffULL),
			(unsigned long long)got[1], opt.disk_id,
			(unsigned long long)pages[p].version, i);
}

/* Resident page @p holds what was last written to it. */
static void stamp_check(uint32_t p, const char *when)
{
	stamp_check_at(p, (const uint64_t *)(ram + pages[p].frame * PAGE),
		       when);
}

/* ---- guest disk I/O: O_DIRECT straight from and to guest RAM ---- */

/* A run of consecutive slots read into or written from the frames of @iov. */
struct run {
	uint32_t slot;
	struct iovec *iov;
	int n;
};

static void count_io_error(void)
{
	__atomic_add_fetch(&io_errors, 1, __ATOMIC_RELAXED);
}

/* One run by preadv or pwritev, in the calling thread. */
static void run_sync(int write, const struct run *r)
{
	ssize_t want = r->n * PAGE, got;

	if (write)
		got = pwritev(fd, r->iov, r->n, (off_t)r->slot * PAGE);
	else
		got = preadv(fd, r->iov, r->n, (off_t)r->slot * PAGE);
	if (got != want) {
		fprintf(stderr, "vmsim: %s of %d pages at slot %u: %s\n",
			write ? "write" : "read", r->n, r->slot,
			got < 0 ? strerror(errno) : "short");
		count_io_error();
	}
}

/*
 * QEMU's aio=threads: the vCPU hands each request to a pool of worker
 * threads, which do preadv/pwritev, and waits for their completions.
 */
#define POOL_THREADS	4

static struct {
	pthread_mutex_t lock;	/* guards every field below */
	pthread_cond_t work;	/* next < nr: a run to take */
	pthread_cond_t done;	/* finished == nr: the batch is done */
	struct run *runs;
	int nr, next, finished, write;
} tp = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	 PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0, 0 };

static void *tp_worker(void *arg)
{
	struct run *r;
	int write;

	(void)arg;
	pthread_mutex_lock(&tp.lock);
	for (;;) {
		while (tp.next >= tp.nr)
			pthread_cond_wait(&tp.work, &tp.lock);
		r = &tp.runs[tp.next++];
		write = tp.write;
		pthread_mutex_unlock(&tp.lock);
		run_sync(write, r);
		pthread_mutex_lock(&tp.lock);
		if (++tp.finished == tp.nr)
			pthread_cond_signal(&tp.done);
	}
	return NULL;
}

static void tp_setup(void)
{
	pthread_t tid;
	int i;

	for (i = 0; i < POOL_THREADS; i++)
		if (pthread_create(&tid, NULL, tp_worker, NULL)) {
			fprintf(stderr, "vmsim: thread pool: cannot start\n");
			exit(1);
		}
}

/* Hand @runs to the pool and wait until every one of them is done. */
static void runs_threads(int write, struct run *runs, int nr)
{
	pthread_mutex_lock(&tp.lock);
	tp.runs = runs;
	tp.write = write;
	tp.next = 0;
	tp.finished = 0;
	tp.nr = nr;
	pthread_cond_broadcast(&tp.work);
	while (tp.finished < tp.nr)
		pthread_cond_wait(&tp.done, &tp.lock);
	tp.nr = 0;		/* nothing left to take */
	tp.next = 0;
	pthread_mutex_unlock(&tp.lock);
}

/* Submit @runs all at once through linux-aio and wait for them. */
static void runs_aio(int write, struct run *runs, int nr)
{
	struct iocb cbs[BATCH], *cbp[BATCH];
	struct io_event ev[BATCH];
	int i, got = 0, r;

	for (i = 0; i < nr; i++) {
		memset(&cbs[i], 0, sizeof(cbs[i]));
		cbs[i].aio_lio_opcode = write ? IOCB_CMD_PWRITEV :
						IOCB_CMD_PREADV;
		cbs[i].aio_fildes = fd;
		cbs[i].aio_buf = (uint64_t)(uintptr_t)runs[i].iov;
		cbs[i].aio_nbytes = runs[i].n;
		cbs[i].aio_offset = (int64_t)runs[i].slot * PAGE;
		cbp[i] = &cbs[i];
	}
	if (syscall(SYS_io_submit, aio_ctx, nr, cbp) != nr) {
		fprintf(stderr, "vmsim: io_submit: %s\n", strerror(errno));
		count_io_error();
		return;
	}
	while (got < nr) {
		r = syscall(SYS_io_getevents, aio_ctx, 1, nr - got, ev, NULL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			count_io_error();
			return;
		}
		for (i = 0; i < r; i++) {
			struct iocb *cb = (struct iocb *)(uintptr_t)ev[i].obj;

			if (ev[i].res != (int64_t)(cb->aio_nbytes * PAGE))
				count_io_error();
		}
		got += r;
	}
}

/* An io_uring, driven by raw system calls. */
static struct {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
} ur;

static void *ring_map(int fd, size_t len, off_t what)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, fd, what);

	if (p == MAP_FAILED) {
		fprintf(stderr, "vmsim: io_uring mmap: %s\n", strerror(errno));
		exit(1);
	}
	return p;
}

static void uring_setup(void)
{
	struct io_uring_params p;
	uint8_t *sq, *cq;

	memset(&p, 0, sizeof(p));
	ur.fd = syscall(SYS_io_uring_setup, BATCH, &p);
	if (ur.fd < 0) {
		fprintf(stderr, "vmsim: io_uring_setup: %s\n", strerror(errno));
		exit(1);
	}
	sq = ring_map(ur.fd, p.sq_off.array + p.sq_entries * sizeof(unsigned int),
		      IORING_OFF_SQ_RING);
	cq = ring_map(ur.fd, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		      IORING_OFF_CQ_RING);
	ur.sqes = ring_map(ur.fd, p.sq_entries * sizeof(struct io_uring_sqe),
			   IORING_OFF_SQES);
	ur.sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	ur.sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	ur.sq_array = (unsigned int *)(sq + p.sq_off.array);
	ur.cq_head = (unsigned int *)(cq + p.cq_off.head);
	ur.cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	ur.cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	ur.cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
}

/* Submit @runs all at once through io_uring and wait for them. */
static void runs_uring(int write, struct run *runs, int nr)
{
	unsigned int tail = *ur.sq_tail, head, idx;
	struct io_uring_sqe *sqe;
	int i, got = 0;

	for (i = 0; i < nr; i++, tail++) {
		idx = tail & *ur.sq_mask;
		sqe = &ur.sqes[idx];
		memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = write ? IORING_OP_WRITEV : IORING_OP_READV;
		sqe->fd = fd;
		sqe->addr = (uint64_t)(uintptr_t)runs[i].iov;
		sqe->len = runs[i].n;
		sqe->off = (uint64_t)runs[i].slot * PAGE;
		sqe->user_data = (uint64_t)runs[i].n * PAGE;
		ur.sq_array[idx] = idx;
	}
	__atomic_store_n(ur.sq_tail, tail, __ATOMIC_RELEASE);
	while (got < nr) {
		if (syscall(SYS_io_uring_enter, ur.fd, got ? 0 : nr, nr - got,
			    IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "vmsim: io_uring_enter: %s\n",
				strerror(errno));
			count_io_error();
			return;
		}
		head = *ur.cq_head;
		while (head != __atomic_load_n(ur.cq_tail, __ATOMIC_ACQUIRE)) {
			struct io_uring_cqe *cqe = &ur.cqes[head & *ur.cq_mask];

			if (cqe->res < 0 || (uint64_t)cqe->res != cqe->user_data)
				count_io_error();
			head++;
			got++;
		}
		__atomic_store_n(ur.cq_head, head, __ATOMIC_RELEASE);
	}
}

/* Read or write @runs by the chosen submission; returns when all are done. */
static void submit_runs(int write, struct run *runs, int nr)
{
	if (!strcmp(opt.submit, "aio"))
		runs_aio(write, runs, nr);
	else if (!strcmp(opt.submit, "io_uring"))
		runs_uring(write, runs, nr);
	else
		runs_threads(write, runs, nr);
}

/* Read @n frames @fr from consecutive slots from @slot: one request. */
static void disk_read(uint32_t slot, const uint32_t *fr, int n)
{
	struct iovec iov[READAHEAD];
	struct run r = { slot, iov, n };
	int i;

	for (i = 0; i < n; i++) {
		iov[i].iov_base = ram + fr[i] * PAGE;
		iov[i].iov_len = PAGE;
	}
	submit_runs(0, &r, 1);
}

/* Group @n frames at sorted @slot into runs of consecutive slots. */
static int build_runs(const uint32_t *slot, const uint32_t *fr, int n,
		      struct iovec *iov, struct run *runs)
{
	int i, nr = 0;

	for (i = 0; i < n; i++) {
		iov[i].iov_base = ram + fr[i] * PAGE;
		iov[i].iov_len = PAGE;
		if (i && slot[i] == slot[i - 1] + 1) {
			runs[nr - 1].n++;
			continue;
		}
		runs[nr++] = (struct run){ slot[i], &iov[i], 1 };
	}
	return nr;
}

/* Write @n frames to their sorted @slot, all submitted at once. */
static void write_batch(const uint32_t *slot, const uint32_t *fr, int n)
{
	struct iovec iov[BATCH];
	struct run runs[BATCH];

	submit_runs(1, runs, build_runs(slot, fr, n, iov, runs));
}

/* ---- swap slots ---- */

static uint32_t slot_alloc(uint32_t p)
{
	uint32_t i, s;

	for (i = 0; i < nr_slots; i++) {
		s = (slot_cursor + i) % nr_slots;
		if (slot_owner[s] == NONE) {
			slot_owner[s] = p;
			/* Stay in the cluster; a full one sends us to the next. */
			slot_cursor = s + 1;
			if (i >= CLUSTER)
				slot_cursor = (s / CLUSTER) * CLUSTER + 1;
			return s;
		}
	}
	fprintf(stderr, "vmsim: guest swap area full\n");
	exit(1);
}

static void slot_free(uint32_t p)
{
	if (pages[p].slot == NONE)
		return;
	slot_owner[pages[p].slot] = NONE;
	pages[p].slot = NONE;
}

/* ---- reclaim ---- */

/* Give frame @f (off the LRU lists) back to the free frames. */
static void release(uint32_t f)
{
	pages[frames[f].page].frame = NONE;
	frames[f].page = NONE;
	free_stack[free_frames++] = f;
}

static void evict(uint32_t f)
{
	lru_del(f);
	release(f);
}

static int cmp_slot(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/*
 * Whether the host has swapped guest RAM frame @f out (/proc/self/pagemap
 * bit 62), as it is about to be written: a page-out that double-pages.
 */
static int host_swapped(uint32_t f)
{
	uint64_t e;
	off_t at = (off_t)((uintptr_t)(ram + f * PAGE) / PAGE) * sizeof(e);

	if (pagemap_fd < 0 || pread(pagemap_fd, &e, sizeof(e), at) != sizeof(e))
		return 0;
	return (e >> 62) & 1;
}

/* Page out up to a batch of inactive frames, as kswapd would. */
static void reclaim(void)
{
	uint32_t pick[BATCH][2], slots[BATCH], frs[BATCH], f, p;
	int n = 0, i;

	while (n < BATCH && (lru_len[0] || lru_len[1])) {
		if (lru_len[0] < lru_len[1] || lru_tail[0] == NONE) {
			f = lru_tail[1];	/* refill the inactive list */
			lru_del(f);
			frames[f].referenced = 0;
			lru_add_head(f, 0);
			continue;
		}
		f = lru_tail[0];
		if (frames[f].referenced) {
			frames[f].referenced = 0;
			lru_del(f);
			lru_add_head(f, 1);
			continue;
		}
		p = frames[f].page;
		if (pages[p].slot != NONE && !pages[p].dirty) {
			evict(f);		/* clean: its slot has it */
			writes_skipped++;
			continue;
		}
		lru_del(f);		/* off the lists while written */
		if (pages[p].slot == NONE)
			pages[p].slot = slot_alloc(p);
		pick[n][0] = pages[p].slot;
		pick[n][1] = f;
		n++;
	}
	qsort(pick, n, sizeof(pick[0]), cmp_slot);
	for (i = 0; i < n; i++) {
		slots[i] = pick[i][0];
		frs[i] = pick[i][1];
		slot_hs[slots[i]] = host_swapped(frs[i]);
		hs_page_outs += slot_hs[slots[i]];
	}
	if (n)
		write_batch(slots, frs, n);
	for (i = 0; i < n; i++) {
		f = frs[i];
		p = frames[f].page;
		pages[p].dirty = 0;
		release(f);
		page_outs++;
	}
}

static uint32_t frame_get(void)
{
	while (!free_frames)
		reclaim();
	return free_stack[--free_frames];
}

static void map_page(uint32_t p, uint32_t f)
{
	pages[p].frame = f;
	frames[f].page = p;
	frames[f].referenced = 0;
	lru_add_head(f, 0);
}

/* Page @p in from its slot, with readahead of clean neighbours. */
static void page_in(uint32_t p)
{
	uint32_t s = pages[p].slot, frs[READAHEAD], who[READAHEAD], q;
	int n = 0, i;

	frs[n] = frame_get();
	who[n++] = p;
	for (q = s + 1; n < READAHEAD && q < nr_slots && free_frames; q++) {
		uint32_t o = slot_owner[q];

		if (o == NONE || pages[o].frame != NONE)
			break;
		frs[n] = frame_get();
		who[n++] = o;
	}
	disk_read(s, frs, n);
	for (i = 0; i < n; i++) {
		map_page(who[i], frs[i]);
		stamp_check(who[i], "after page-in");
		page_ins++;
	}
}

/* A guest access to page @p: the guest kernel is locked around it. */
static void access_page(uint32_t p, int write)
{
	if (pages[p].frame == NONE) {
		if (pages[p].slot == NONE) {	/* first touch */
			map_page(p, frame_get());
			stamp_write(p);
			pages[p].dirty = 1;
			return;
		}
		page_in(p);
	}
	frames[pages[p].frame].referenced = 1;
	stamp_check(p, "on access");
	if (write) {
		/* As Linux on a write fault: the swap copy is stale now. */
		slot_free(p);
		pages[p].version++;
		stamp_write(p);
		pages[p].dirty = 1;
	}
}

/* Write the @n boot pages in @buf to consecutive slots from @slot. */
static void boot_write(uint8_t *buf, uint32_t slot, int n)
{
	struct iovec iov[BATCH];
	struct run r = { slot, iov, n };
	int i;

	for (i = 0; i < n; i++) {
		iov[i].iov_base = buf + i * PAGE;
		iov[i].iov_len = PAGE;
	}
	submit_runs(1, &r, 1);
}

/*
 * Boot: the guest has touched its whole working set once.  The first pages
 * fill guest RAM; those that do not fit start out paged out, as after a
 * while of running: stamped in a buffer outside guest RAM and written to
 * their slots in batches, so that the boot itself double-pages nothing
 * (the host has swapped nothing the guest pages out yet) and costs little
 * on a slow drive.  The timed part starts from there.
 */
static void boot(void)
{
	uint8_t *buf = bounce;
	uint32_t p, s, first = 0;
	int n = 0;

	for (p = 0; p < nr_pages && p < nr_frames; p++)
		access_page(p, 1);
	for (; p < nr_pages; p++) {
		s = slot_alloc(p);
		if (n && (n == BATCH || s != first + n)) {
			boot_write(buf, first, n);
			n = 0;
		}
		if (!n)
			first = s;
		pages[p].slot = s;
		stamp_make((uint64_t *)(buf + n++ * PAGE), p, 0);
	}
	if (n)
		boot_write(buf, first, n);
}

/* Paged-out page @p holds, in its slot, what was last written to it. */
static void check_slot(uint32_t p)
{
	uint64_t *buf = (uint64_t *)bounce;
	struct iovec iov = { buf, PAGE };
	struct run r = { pages[p].slot, &iov, 1 };

	submit_runs(0, &r, 1);
	stamp_check_at(p, buf, "at the end, in its slot");
}

/*
 * Shutdown: every page must still be what the guest last wrote
 * (--check-pages N: N pages drawn at random), a resident one in guest RAM,
 * a paged-out one read from its slot into a buffer outside guest RAM (in
 * slot order when all are checked), so that the check pages nothing out.
 */
static void final_check(void)
{
	uint32_t p, s, left = nr_pages, want = opt.check_pages;

	if (!want) {
		for (p = 0; p < nr_pages; p++)
			if (pages[p].frame != NONE)
				stamp_check(p, "at the end");
		for (s = 0; s < nr_slots; s++) {
			p = slot_owner[s];
			if (p != NONE && pages[p].frame == NONE)
				check_slot(p);
		}
		return;
	}
	/* Each page is taken with the odds still needed: N of them. */
	for (p = 0; p < nr_pages && want; p++, left--) {
		if ((uint32_t)rand() % left >= want)
			continue;
		want--;
		if (pages[p].frame != NONE)
			stamp_check(p, "at the end");
		else
			check_slot(p);
	}
}

/* ---- probe ---- */

static int running = 1;		/* cleared to stop the probe */
static double *probe_lat;
static size_t probe_n, probe_cap;

static void *probe(void *arg)
{
	struct timespec ts = { 0, PROBE_MS * 1000000L };
	double t0;
	uint32_t i;

	(void)arg;
	while (__atomic_load_n(&running, __ATOMIC_RELAXED)) {
		nanosleep(&ts, NULL);
		t0 = now();
		pthread_mutex_lock(&guest_lock);
		for (i = 0; i < PROBE_PAGES; i++)
			access_page(i * (nr_pages / PROBE_PAGES), 0);
		pthread_mutex_unlock(&guest_lock);
		if (probe_n == probe_cap) {
			probe_cap = probe_cap ? 2 * probe_cap : 1024;
			probe_lat = realloc(probe_lat, probe_cap * sizeof(*probe_lat));
			if (!probe_lat)
				exit(1);
		}
		probe_lat[probe_n++] = (now() - t0) * 1000;
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double q)
{
	return probe_n ? probe_lat[(size_t)(q * (probe_n - 1))] : 0;
}

/* ---- host counters ---- */

static unsigned long long read_vmstat(const char *key)
{
	char name[64];
	unsigned long long v, r = 0;
	FILE *f = fopen("/proc/vmstat", "r");

	while (f && fscanf(f, "%63s %llu", name, &v) == 2)
		if (!strcmp(name, key))
			r = v;
	if (f)
		fclose(f);
	return r;
}

/* Sectors read and written of block device @dev ("" or NULL: zero). */
static void read_diskstats(const char *dev, unsigned long long *rd,
			   unsigned long long *wr)
{
	char line[512], name[64];
	unsigned long long v[10];
	FILE *f = fopen("/proc/diskstats", "r");

	*rd = *wr = 0;
	while (dev && f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*u %*u %63s %llu %llu %llu %llu %llu %llu %llu",
			   name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			   &v[6]) == 8 && !strcmp(name, dev)) {
			*rd = v[2];
			*wr = v[6];
		}
	if (f)
		fclose(f);
}

/* ---- target counters ---- */

/* Reconciliation counters of a tesseract target, as its status has them. */
struct tstat {
	unsigned long long remapped, reconciled, rbytes, redirected, overwritten;
	/* by the kind of page: swap PTE, swap-cache page; then the fallback */
	unsigned long long offered[2], taken[2], fallback;
	unsigned long long declined[3];	/* not stored, no memory, range */
};

/*
 * Read the counters of the tesseract target at @dev from dmsetup status.
 * Returns 0, or -1 if dmsetup fails or @dev is not one tesseract target.
 */
static int read_target(const char *dev, struct tstat *t)
{
	/* Pass-through counters, then ours up to the reconcile state. */
	static const char head[] =
		"%*u %*u %31s %*u %*u %*u %*u %*u %*u %llu %llu %llu %llu %llu %*s%n";
	static const char tail[] = "%llu %llu %llu %llu %llu %llu %llu %llu";
	char cmd[512], line[512], type[32];
	int n = 0, m = 0, at = 0, lines = 0;
	FILE *f;

	if (strchr(dev, '\'') ||
	    snprintf(cmd, sizeof(cmd), "dmsetup status '%s' 2>/dev/null",
		     dev) >= (int)sizeof(cmd))
		return -1;
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (lines++)
			continue;
		n = sscanf(line, head, type, &t->remapped, &t->reconciled,
			   &t->rbytes, &t->redirected, &t->overwritten, &at);
		if (n == 6 && at)
			m = sscanf(line + at, tail, &t->offered[0],
				   &t->taken[0], &t->offered[1], &t->taken[1],
				   &t->fallback, &t->declined[0],
				   &t->declined[1], &t->declined[2]);
	}
	if (pclose(f) || lines != 1 || n != 6 || m != 8 ||
	    strcmp(type, "tesseract"))
		return -1;
	return 0;
}

/* ---- main ---- */

static int print_usage(void)
{
	fprintf(stderr,
		"usage: vmsim --dev PATH [--ram MIB] [--ws MIB] [--disk MIB]\n"
		"             [--seconds N] [--accesses N]\n"
		"             [--hot-pct P] [--hot-prob P] [--write-pct P]\n"
		"             [--submit pwritev|aio|io_uring] [--seed N]\n"
		"             [--data-dev NAME] [--store-dev NAME] [--disk-id N]\n"
		"             [--region-mib N] [--check-pages N]\n");
	return 2;
}

/* A decimal number, the whole of @s. */
static int parse_u64(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		return -1;
	return 0;
}

/* A decimal number below 2^32, the whole of @s. */
static int parse_u32(const char *s, unsigned int *v)
{
	unsigned long long n;

	if (parse_u64(s, &n) || n > UINT32_MAX)
		return -1;
	*v = n;
	return 0;
}

static int parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dev", 1, NULL, 'd' }, { "ram", 1, NULL, 'r' },
		{ "ws", 1, NULL, 'w' }, { "disk", 1, NULL, 'D' },
		{ "seconds", 1, NULL, 's' }, { "hot-pct", 1, NULL, 'h' },
		{ "hot-prob", 1, NULL, 'H' }, { "write-pct", 1, NULL, 'W' },
		{ "submit", 1, NULL, 'S' }, { "seed", 1, NULL, 'z' },
		{ "data-dev", 1, NULL, 'a' }, { "store-dev", 1, NULL, 'b' },
		{ "disk-id", 1, NULL, 'i' }, { "accesses", 1, NULL, 'n' },
		{ "region-mib", 1, NULL, 'g' }, { "check-pages", 1, NULL, 'c' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			opt.dev = optarg;
			break;
		case 'r':
			opt.ram_mib = atol(optarg);
			break;
		case 'w':
			opt.ws_mib = atol(optarg);
			break;
		case 'D':
			opt.disk_mib = atol(optarg);
			break;
		case 's':
			opt.seconds = atol(optarg);
			break;
		case 'h':
			opt.hot_pct = atol(optarg);
			break;
		case 'H':
			opt.hot_prob = atol(optarg);
			break;
		case 'W':
			opt.write_pct = atol(optarg);
			break;
		case 'S':
			opt.submit = optarg;
			break;
		case 'z':
			opt.seed = atoi(optarg);
			break;
		case 'a':
			opt.data_dev = optarg;
			break;
		case 'b':
			opt.store_dev = optarg;
			break;
		case 'i':
			if (parse_u32(optarg, &opt.disk_id))
				return -1;
			break;
		case 'n':
			if (parse_u64(optarg, &opt.accesses))
				return -1;
			break;
		case 'g':
			opt.region_mib = atol(optarg);
			break;
		case 'c':
			if (parse_u32(optarg, &opt.check_pages))
				return -1;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc || !opt.dev || opt.ram_mib < 1 || opt.seconds < 1 ||
	    opt.hot_pct < 1 || opt.hot_pct > 100 || opt.hot_prob < 0 ||
	    opt.hot_prob > 100 || opt.write_pct < 0 || opt.write_pct > 100 ||
	    opt.region_mib < 0 ||
	    (strcmp(opt.submit, "pwritev") && strcmp(opt.submit, "aio") &&
	     strcmp(opt.submit, "io_uring")))
		return -1;
	if (!opt.ws_mib)
		opt.ws_mib = 2 * opt.ram_mib;
	if (!opt.disk_mib)
		opt.disk_mib = 2 * opt.ws_mib;
	if (opt.ws_mib <= opt.ram_mib || opt.disk_mib < opt.ws_mib)
		return -1;
	return 0;
}

static void *alloc_or_die(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "vmsim: out of memory\n");
		exit(1);
	}
	return p;
}

static void setup(void)
{
	uint32_t i;

	nr_frames = opt.ram_mib * (1 << 20) / PAGE;
	nr_pages = opt.ws_mib * (1 << 20) / PAGE;
	nr_slots = opt.disk_mib * (1 << 20) / PAGE;
	ram = mmap(NULL, (size_t)nr_frames * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED) {
		fprintf(stderr, "vmsim: mmap: %s\n", strerror(errno));
		exit(1);
	}
	pages = alloc_or_die(nr_pages, sizeof(*pages));
	frames = alloc_or_die(nr_frames, sizeof(*frames));
	slot_owner = alloc_or_die(nr_slots, sizeof(*slot_owner));
	slot_hs = alloc_or_die(nr_slots, sizeof(*slot_hs));
	bounce = aligned_alloc(PAGE, BATCH * PAGE);
	if (!bounce) {
		fprintf(stderr, "vmsim: out of memory\n");
		exit(1);
	}
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	free_stack = alloc_or_die(nr_frames, sizeof(*free_stack));
	for (i = 0; i < nr_pages; i++)
		pages[i] = (struct gpage){ NONE, NONE, 0, 0 };
	for (i = 0; i < nr_slots; i++)
		slot_owner[i] = NONE;
	for (i = 0; i < nr_frames; i++) {
		frames[i].page = NONE;
		free_stack[free_frames++] = nr_frames - 1 - i;
	}
	fd = open(opt.dev, O_RDWR | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "vmsim: %s: %s\n", opt.dev, strerror(errno));
		exit(1);
	}
	if (lseek(fd, 0, SEEK_END) < (off_t)nr_slots * (off_t)PAGE) {
		fprintf(stderr, "vmsim: %s is smaller than --disk %ld MiB\n",
			opt.dev, opt.disk_mib);
		exit(1);
	}
	if (!strcmp(opt.submit, "io_uring"))
		uring_setup();
	if (!strcmp(opt.submit, "pwritev"))
		tp_setup();
	if (!strcmp(opt.submit, "aio") && syscall(SYS_io_setup, BATCH, &aio_ctx)) {
		fprintf(stderr, "vmsim: io_setup: %s\n", strerror(errno));
		exit(1);
	}
}

static uint32_t pick_page(void)
{
	uint32_t hot = nr_pages * opt.hot_pct / 100;

	if (hot && (long)(rand() % 100) < opt.hot_prob)
		return rand() % hot;
	return rand() % nr_pages;
}

/* JSON output: "key": value pairs, with commas between them. */
static const char *json_sep = "";

static void json_open(const char *key)
{
	if (key)
		printf("%s\"%s\": ", json_sep, key);
	printf("{");
	json_sep = "";
}

static void json_close(void)
{
	printf("}");
	json_sep = ", ";
}

static void json_str(const char *key, const char *v)
{
	printf("%s\"%s\": \"%s\"", json_sep, key, v);
	json_sep = ", ";
}

static void json_u64(const char *key, unsigned long long v)
{
	printf("%s\"%s\": %llu", json_sep, key, v);
	json_sep = ", ";
}

static void json_num(const char *key, double v)
{
	printf("%s\"%s\": %.3f", json_sep, key, v);
	json_sep = ", ";
}

static void json_null(const char *key)
{
	printf("%s\"%s\": null", json_sep, key);
	json_sep = ", ";
}

/* Target counters @t over the run: deltas from @t0, remapped blocks now. */
static void report_target(const struct tstat *t0, const struct tstat *t)
{
	if (!t0 || !t) {
		json_null("target");
		return;
	}
	json_open("target");
	json_u64("reconciled_writes", t->reconciled - t0->reconciled);
	json_u64("reconciled_bytes", t->rbytes - t0->rbytes);
	json_u64("redirected_reads", t->redirected - t0->redirected);
	json_u64("overwritten_remaps", t->overwritten - t0->overwritten);
	json_u64("remapped_blocks", t->remapped);
	json_u64("offered_swap_pte", t->offered[0] - t0->offered[0]);
	json_u64("taken_swap_pte", t->taken[0] - t0->taken[0]);
	json_u64("offered_swap_cache", t->offered[1] - t0->offered[1]);
	json_u64("taken_swap_cache", t->taken[1] - t0->taken[1]);
	json_u64("taken_fallback", t->fallback - t0->fallback);
	json_u64("declined_not_stored", t->declined[0] - t0->declined[0]);
	json_u64("declined_no_memory", t->declined[1] - t0->declined[1]);
	json_u64("declined_range", t->declined[2] - t0->declined[2]);
	json_close();
}

static void report(double secs, const unsigned long long *host0,
		   const unsigned long long *disk0, const struct tstat *target0)
{
	unsigned long long dr, dw, sr, sw;
	struct tstat target;
	int target_ok = target0 && !read_target(opt.dev, &target);

	qsort(probe_lat, probe_n, sizeof(*probe_lat), cmp_double);
	read_diskstats(opt.data_dev, &dr, &dw);
	read_diskstats(opt.store_dev, &sr, &sw);
	json_open(NULL);
	json_str("submit", opt.submit);
	json_num("seconds", secs);
	json_u64("accesses", accesses);
	json_num("throughput", accesses / secs);
	json_u64("target_accesses", opt.accesses);
	if (opt.accesses && accesses >= opt.accesses)
		json_num("time_to_n", secs);
	else
		json_null("time_to_n");
	json_open("probe_ms");
	json_u64("samples", probe_n);
	json_num("p50", pct(0.5));
	json_num("p99", pct(0.99));
	json_num("max", pct(1));
	json_close();
	json_open("guest");
	json_u64("page_outs", page_outs);
	json_u64("page_ins", page_ins);
	json_u64("clean_evictions", writes_skipped);
	json_close();
	json_open("host");
	json_u64("pswpin", read_vmstat("pswpin") - host0[0]);
	json_u64("pswpout", read_vmstat("pswpout") - host0[1]);
	json_close();
	json_open("bytes");
	json_u64("data_read", (dr - disk0[0]) * 512);
	json_u64("data_written", (dw - disk0[1]) * 512);
	json_u64("store_read", (sr - disk0[2]) * 512);
	json_u64("store_written", (sw - disk0[3]) * 512);
	json_close();
	report_target(target0, target_ok ? &target : NULL);
	json_u64("host_swapped_page_outs", hs_page_outs);
	json_u64("disk_id", opt.disk_id);
	json_u64("salt", salt);
}

/*
 * The end of the output, after the shutdown check: its stamps and errors
 * count too; and the --region-mib window of the swap area holding the most
 * live slots last written from a host-swapped frame (the disk most likely
 * remapped them): where a sequential read finds remaps.
 */
static void report_end(void)
{
	uint32_t win = opt.region_mib * (1 << 20) / PAGE, best = 0, s, w;
	uint32_t best_n = 0, n;

	for (w = 0; win && w + win <= nr_slots; w += win) {
		for (n = 0, s = w; s < w + win; s++)
			n += slot_owner[s] != NONE && slot_hs[s];
		if (n > best_n) {
			best_n = n;
			best = w;
		}
	}
	json_num("boot_seconds", boot_secs);
	json_num("check_seconds", check_secs);
	json_open("remap_region");
	json_u64("offset_mib", (unsigned long long)best * PAGE >> 20);
	json_u64("mib", opt.region_mib);
	json_u64("host_swapped_slots", best_n);
	json_close();
	json_u64("bad_stamps", bad_stamps);
	json_u64("io_errors", io_errors);
	json_close();
	printf("\n");
}

int main(int argc, char **argv)
{
	unsigned long long host0[2], disk0[4];
	struct tstat target0;
	int target_ok;
	pthread_t tid;
	double t0, secs;

	if (parse(argc, argv))
		return print_usage();
	if (getrandom(&salt, sizeof(salt), 0) != sizeof(salt)) {
		perror("vmsim: getrandom");
		return 1;
	}
	srand(opt.seed);
	setup();

	t0 = now();
	boot();
	boot_secs = now() - t0;
	/* Every count in the output is over the run, as the host's are. */
	page_outs = 0;
	page_ins = 0;
	writes_skipped = 0;
	hs_page_outs = 0;

	target_ok = !read_target(opt.dev, &target0);
	host0[0] = read_vmstat("pswpin");
	host0[1] = read_vmstat("pswpout");
	read_diskstats(opt.data_dev, &disk0[0], &disk0[1]);
	read_diskstats(opt.store_dev, &disk0[2], &disk0[3]);
	pthread_create(&tid, NULL, probe, NULL);
	t0 = now();
	while ((secs = now() - t0) < opt.seconds &&
	       (!opt.accesses || accesses < opt.accesses)) {
		pthread_mutex_lock(&guest_lock);
		for (int i = 0; i < 64 && (!opt.accesses ||
					   accesses < opt.accesses);
		     i++, accesses++)
			access_page(pick_page(), rand() % 100 < opt.write_pct);
		pthread_mutex_unlock(&guest_lock);
	}
	secs = now() - t0;
	__atomic_store_n(&running, 0, __ATOMIC_RELAXED);
	pthread_join(tid, NULL);
	report(secs, host0, disk0, target_ok ? &target0 : NULL);

	t0 = now();
	final_check();
	check_secs = now() - t0;
	report_end();
	if (bad_stamps || io_errors)
		fprintf(stderr, "vmsim: %llu bad stamps, %llu I/O errors\n",
			(unsigned long long)bad_stamps,
			(unsigned long long)io_errors);
	return bad_stamps || io_errors;
}
