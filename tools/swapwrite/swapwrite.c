// SPDX-License-Identifier: GPL-2.0
/*
 * swapwrite: write host-swapped-out memory to a disk with O_DIRECT, as a
 * guest paging out does under QEMU cache=none, and check it back.
 *
 *   swapwrite [OPTION...] write  DEV FIRST PAGES SEED [READ_EVERY [DIRTY_EVERY]]
 *   swapwrite [OPTION...] keep   DEV FIRST PAGES SEED
 *   swapwrite splice DEV FIRST PAGES SEED
 *   swapwrite splice-dirty DEV FIRST PAGES SEED
 *   swapwrite [OPTION...] verify DEV FIRST PAGES SEED
 *   swapwrite [OPTION...] either DEV FIRST PAGES SEED OLD_SEED
 *   swapwrite [OPTION...] read   DEV FIRST PAGES SEED
 *   swapwrite readv  DEV FIRST PAGES SEED
 *   swapwrite [OPTION...] patch  DEV SECTOR SECTORS SEED
 *   swapwrite [OPTION...] kvmwrite DEV FIRST PAGES OLD_SEED SEED
 *
 * Options: --submit pwrite|aio|io_uring issues the one I/O of write,
 * keep, verify, either, read and patch with pwrite()/pread(), linux-aio
 * or io_uring (raw system calls, as vmsim does); --fsync calls fsync()
 * after a write; --dsync opens DEV with O_DSYNC; --buffered opens it
 * without O_DIRECT (writes only: keep and patch); --prot-none makes the
 * buffer of write or keep PROT_NONE just before the I/O, which must then
 * fail with EFAULT; --nonblock opens DEV with O_NONBLOCK, so that io_uring
 * first tries the I/O without blocking (IOCB_NOWAIT); --fork and --hold
 * ref|pin are kvmwrite's (below).
 *
 * write fills PAGES anonymous pages with stamps of disk pages FIRST..,
 * pushes them out to swap with MADV_PAGEOUT, waits until the kernel shows
 * them swapped and written back, drops them from the swap cache through
 * its cgroup's memory.reclaim (run it in a cgroup of its own), reads back
 * every READ_EVERY-th page and rewrites every DIRTY_EVERY-th one (so that
 * the write mixes swapped-out, clean swapped-in and dirty pages), then
 * writes the whole buffer to DEV at page FIRST with one O_DIRECT
 * pwrite().  keep does the same without swapping anything out.  splice
 * writes with splice() through a pipe (at most 256 pages) that vmsplice()
 * filled with the swapped-out memory, which was then swapped out again:
 * the write's pages are then clean swap-cache pages mapped nowhere, which
 * the write hook never sees.  splice-dirty swaps the memory out and back
 * in clean, writes the stamps (dirtying PTEs, not pages), vmsplices it and
 * discards the mapping: clean swap-cache pages mapped nowhere again, whose
 * swap copies are stale.  verify
 * reads the pages back with O_DIRECT and checks every word.  read does
 * the same into memory it first swapped out (as a guest pages in into a
 * frame the host swapped out), and prints "swapped N pswpin K store_read
 * B majflt F", counted around the pread(); it also checks that a swapped-out page
 * next to the buffer kept its content.  readv reads with preadv() and an
 * empty first segment based inside that page, which must stay untouched.
 *
 * Every 8-byte word w of disk page p holds a mix of SEED, p and w, so a
 * page that is stale, misplaced or torn is caught.  write prints
 * "swapped N resident M dirty D pswpin K store_read B majflt F": pages
 * swapped out, resident and rewritten when the write was issued, then
 * swap-ins (/proc/vmstat, the whole system's), bytes read from the
 * tesseract store (-1 without one) and this process's major faults
 * (swap-ins it caused, its io_uring workers' included) during the I/O.
 * either checks that each page holds its stamps for SEED or for OLD_SEED,
 * whole, and prints "new N old M".  patch writes SECTORS
 * sectors of stamps at SECTOR with one I/O.  An I/O that fails or falls
 * short prints "errno NAME op CALL" (NAME as in errno.h, e.g. EIO, or
 * "short"; CALL pwrite, pread, aio, io_uring, splice, preadv or fsync),
 * after write's report.  Exits 0 on success, 1 on an I/O error or a
 * mismatch, 2 on bad arguments.
 *
 * kvmwrite is a guest writing a page to its disk after writing it in RAM,
 * under KVM, once the host swapped the page out and in again: it fills
 * PAGES pages with the stamps of OLD_SEED, swaps them out as write does,
 * reads every page back in (so each PTE is present, writable and clean,
 * and its folio clean in the swap cache), has /dev/kvmlike (the test
 * module tests/kvmlike) write the stamps of SEED into them as a vCPU
 * would, through a kernel mapping, telling the page's dirtiness only when
 * its MMU notifier sees the range invalidated, then writes the buffer to
 * DEV at page FIRST with one O_DIRECT I/O and reads it back.  --fork: a
 * child forked after the swap-out reads the pages in too, so that they
 * are mapped by two processes (copy-on-write: kvmlike's FOLL_WRITE breaks
 * the sharing).  --hold ref|pin: kvmlike keeps a reference (as
 * kvm_vcpu_map()) or a pin on the pages across the write, and lets them
 * go, marking them dirty, only after the disk was read back.  It prints
 * "swapped N clean_swapcache C pswpin K store_read B stale S old O torn T
 * memory_stale M": pages swapped out after the read-back (0 expected),
 * pages clean in the swap cache just before the write (/proc/kpageflags),
 * swap-ins and store bytes read during the write, then disk pages that do
 * not hold SEED's stamps, of them those holding OLD_SEED's whole, and the
 * rest; and pages of memory that do not hold SEED's.  Exits 1 if any page
 * is stale.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../tests/kvmlike/kvmlike.h"
#include "../include/page-out.h"

#define PAGE 4096UL
#define WORDS (PAGE / sizeof(uint64_t))
#define PM_PRESENT (UINT64_C(1) << 63)
#define PM_PFN ((UINT64_C(1) << 55) - 1)
#define KPF_DIRTY 4
#define KPF_SWAPCACHE 13
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t stamp(uint64_t seed, uint64_t page, uint64_t w)
{
	uint64_t x = (seed << 48) ^ (page << 9) ^ w;

	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

static void fill(uint64_t *mem, size_t pages, uint64_t first, uint64_t seed)
{
	for (size_t p = 0; p < pages; p++)
		for (size_t w = 0; w < WORDS; w++)
			mem[p * WORDS + w] = stamp(seed, first + p, w);
}

/* Swap @mem out and wait until it is written back; returns pages out. */
static size_t page_out(void *mem, size_t pages)
{
	return page_out_poll(mem, pages, 20, "swapwrite");
}

/*
 * Pages of @mem whose folio is in the swap cache and clean, from the PFNs
 * of pagemap (root only) and /proc/kpageflags; -1 if they cannot be read.
 */
static long count_clean_swapcache(const void *mem, size_t pages)
{
	int pm = open("/proc/self/pagemap", O_RDONLY);
	int kf = open("/proc/kpageflags", O_RDONLY);
	uint64_t e, flags;
	long n = -1;

	if (pm < 0 || kf < 0)
		goto out;
	n = 0;
	for (size_t p = 0; p < pages; p++) {
		off_t off = ((uintptr_t)mem / PAGE + p) * sizeof(e);

		if (pread(pm, &e, sizeof(e), off) != sizeof(e) ||
		    !(e & PM_PRESENT) || !(e & PM_PFN))
			continue;
		off = (e & PM_PFN) * sizeof(flags);
		if (pread(kf, &flags, sizeof(flags), off) == sizeof(flags) &&
		    flags & (UINT64_C(1) << KPF_SWAPCACHE) &&
		    !(flags & (UINT64_C(1) << KPF_DIRTY)))
			n++;
	}
out:
	if (pm >= 0)
		close(pm);
	if (kf >= 0)
		close(kf);
	return n;
}

/* A counter read from the first line of @path, or -1. */
static long long read_counter(const char *path, const char *key)
{
	char line[128];
	long long v = -1, x;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(key);

		if (!n) {
			v = strtoll(line, NULL, 10);
			break;
		}
		if (!strncmp(line, key, n) && line[n] == ' ' &&
		    sscanf(line + n, "%lld", &x) == 1) {
			v = x;
			break;
		}
	}
	fclose(f);
	return v;
}

#define STORE_READ "/sys/kernel/tesseract/store/bytes_read"

/*
 * Swap-ins (system-wide), major faults of this process (its io_uring
 * workers included: a swap-in the I/O caused here, whatever else the
 * system does) and store bytes read (-1: no store) during one I/O.
 */
struct io_cost {
	long long pswpin;
	long long majflt;
	long long store_read;
};

static long long majflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_majflt;
}

static void cost_start(struct io_cost *c)
{
	/*
	 * Once for nothing: the stack and code the sampling uses may have
	 * been swapped out with the buffer, and their swap-in is no cost of
	 * the I/O.
	 */
	read_counter("/proc/vmstat", "pswpin");
	read_counter(STORE_READ, "");
	majflt();
	c->pswpin = read_counter("/proc/vmstat", "pswpin");
	c->majflt = majflt();
	c->store_read = read_counter(STORE_READ, "");
}

static void cost_end(struct io_cost *c)
{
	c->pswpin = read_counter("/proc/vmstat", "pswpin") - c->pswpin;
	c->majflt = majflt() - c->majflt;
	if (c->store_read >= 0)
		c->store_read = read_counter(STORE_READ, "") - c->store_read;
}

/*
 * Did an I/O of @len bytes (@what) move them all?  Else say why, on
 * stderr for people and on stdout for scripts.
 */
static int io_whole(const char *what, ssize_t n, size_t len)
{
	const char *name;

	if (n == (ssize_t)len)
		return 1;
	name = n < 0 ? strerrorname_np(errno) : "short";
	fprintf(stderr, "swapwrite: %s: %zd of %zu bytes: %s\n", what, n, len,
		n < 0 ? strerror(errno) : "short");
	printf("errno %s op %s\n", name ? name : "unknown", what);
	return 0;
}

/* How the one I/O of a mode is issued: --submit. */
static enum { SUBMIT_SYNC, SUBMIT_AIO, SUBMIT_URING } submit;
static const char *const submit_name[] = { "pwrite", "aio", "io_uring" };

/* One I/O through linux-aio: bytes moved, or -1 with errno set. */
static ssize_t aio_rw(int fd, int write, void *buf, size_t len, off_t off)
{
	aio_context_t ctx = 0;
	struct iocb cb = {
		.aio_lio_opcode = write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD,
		.aio_fildes = fd,
		.aio_buf = (uint64_t)(uintptr_t)buf,
		.aio_nbytes = len,
		.aio_offset = off,
	}, *cbp = &cb;
	struct io_event ev;
	ssize_t n = -1;
	long r;

	if (syscall(SYS_io_setup, 1, &ctx))
		return -1;
	if (syscall(SYS_io_submit, ctx, 1, &cbp) != 1)
		goto out;
	do
		r = syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		goto out;
	n = ev.res;
	if (n < 0) {
		errno = -n;
		n = -1;
	}
out:
	syscall(SYS_io_destroy, ctx);
	return n;
}

static void *ring_map(int fd, size_t len, off_t what)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, what);
}

/* One I/O through a one-entry io_uring: bytes moved, or -1 and errno. */
static ssize_t uring_rw(int fd, int write, void *buf, size_t len, off_t off)
{
	struct io_uring_params p = { 0 };
	size_t sq_len, cq_len, sqe_len;
	uint8_t *sq = MAP_FAILED, *cq = MAP_FAILED;
	struct io_uring_sqe *sqe = MAP_FAILED;
	struct io_uring_cqe *cqe;
	unsigned int *tail, *head;
	ssize_t n = -1;
	int ring, e;

	ring = syscall(SYS_io_uring_setup, 1, &p);
	if (ring < 0)
		return -1;
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(*cqe);
	sqe_len = p.sq_entries * sizeof(*sqe);
	sq = ring_map(ring, sq_len, IORING_OFF_SQ_RING);
	cq = ring_map(ring, cq_len, IORING_OFF_CQ_RING);
	sqe = ring_map(ring, sqe_len, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqe == MAP_FAILED)
		goto out;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = write ? IORING_OP_WRITE : IORING_OP_READ;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)buf;
	sqe->len = len;
	sqe->off = off;
	tail = (unsigned int *)(sq + p.sq_off.tail);
	((unsigned int *)(sq + p.sq_off.array))[*tail & (p.sq_entries - 1)] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	head = (unsigned int *)(cq + p.cq_off.head);
	while (syscall(SYS_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS,
		       NULL, 0) < 0)
		if (errno != EINTR)
			goto out;
	if (*head == __atomic_load_n((unsigned int *)(cq + p.cq_off.tail),
				     __ATOMIC_ACQUIRE))
		goto out;
	cqe = (struct io_uring_cqe *)(cq + p.cq_off.cqes) +
	      (*head & *(unsigned int *)(cq + p.cq_off.ring_mask));
	n = cqe->res;
	if (n < 0) {
		errno = -n;
		n = -1;
	}
out:
	e = errno;
	if (sq != MAP_FAILED)
		munmap(sq, sq_len);
	if (cq != MAP_FAILED)
		munmap(cq, cq_len);
	if (sqe != MAP_FAILED)
		munmap(sqe, sqe_len);
	close(ring);
	errno = e;
	return n;
}

/*
 * The one I/O of a mode, issued as --submit says; checked with
 * io_whole(), which names the call.
 */
static int io_do(int fd, int write, void *buf, size_t len, off_t off)
{
	const char *what = submit_name[submit];
	ssize_t n;

	if (submit == SUBMIT_AIO) {
		n = aio_rw(fd, write, buf, len, off);
	} else if (submit == SUBMIT_URING) {
		n = uring_rw(fd, write, buf, len, off);
	} else {
		n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
		what = write ? "pwrite" : "pread";
	}
	return io_whole(what, n, len);
}

/* --fsync: make a write durable, or say why not. */
static int want_fsync;
static int prot_none;	/* --prot-none: write from a PROT_NONE buffer */

static int sync_after_write(int fd)
{
	if (!want_fsync || !fsync(fd))
		return 1;
	return io_whole("fsync", -1, 0);
}

/* Swap every @every-th page of @mem back in; false if one came back wrong. */
static int read_back(uint64_t *mem, size_t pages, uint64_t first,
		     uint64_t seed, size_t every)
{
	for (size_t p = 0; every && p < pages; p += every) {
		if (mem[p * WORDS] != stamp(seed, first + p, 0)) {
			fprintf(stderr, "swapwrite: page %zu came back wrong\n",
				p);
			return 0;
		}
	}
	return 1;
}

/* Swap every @every-th page back in by rewriting it; returns how many. */
static size_t dirty_back(uint64_t *mem, size_t pages, uint64_t first,
			 uint64_t seed, size_t every)
{
	size_t n = 0;

	for (size_t p = 0; every && p < pages; p += every, n++)
		mem[p * WORDS] = stamp(seed, first + p, 0);
	return n;
}

/*
 * Put the swapped-out @mem in a pipe with vmsplice(), which swaps it back
 * in, and swap it out again: the pipe's references keep the folios in the
 * swap cache, clean and mapped nowhere.  With @zap, discard the mapping
 * instead (MADV_DONTNEED), which leaves them so too, but with nothing
 * referencing their swap entries.  Returns the pipe's read end.
 */
static int pipe_pages(uint64_t *mem, size_t pages, int zap)
{
	struct iovec iov = { mem, pages * PAGE };
	int p[2];

	if (pipe(p) || fcntl(p[1], F_SETPIPE_SZ, (int)(pages * PAGE)) < 0) {
		perror("swapwrite: pipe");
		return -1;
	}
	while (iov.iov_len) {
		ssize_t n = vmsplice(p[1], &iov, 1, 0);

		if (n <= 0) {
			perror("swapwrite: vmsplice");
			return -1;
		}
		iov.iov_base = (char *)iov.iov_base + n;
		iov.iov_len -= n;
	}
	close(p[1]);
	if (zap)
		madvise(mem, pages * PAGE, MADV_DONTNEED);
	else
		page_out(mem, pages);
	return p[0];
}

/* Write the @len bytes in pipe @in to @fd at @off with splice(). */
static ssize_t splice_out(int in, int fd, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = splice(in, NULL, fd, &off, len - done, 0);

		if (n <= 0)
			return n < 0 ? n : (ssize_t)done;
		done += n;
	}
	return done;
}

enum mode { WRITE, KEEP, SPLICE, SPLICE_DIRTY };

static int do_write(int fd, uint64_t first, size_t pages, uint64_t seed,
		    size_t read_every, size_t dirty_every, enum mode mode)
{
	size_t swapped = 0, resident = 0, dirty = 0;
	struct io_cost cost;
	int in = -1, ok;
	uint64_t *mem;
	ssize_t n;

	mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("swapwrite: mmap");
		return 1;
	}
	fill(mem, pages, first, mode == SPLICE_DIRTY ? ~seed : seed);
	if (mode == SPLICE_DIRTY) {
		/* Swap in clean, then write the stamps: dirty PTEs only. */
		page_out(mem, pages);
		if (!read_back(mem, pages, first, ~seed, 1))
			return 1;
		fill(mem, pages, first, seed);
	} else if (mode != KEEP) {
		page_out(mem, pages);
		if (!read_back(mem, pages, first, seed, read_every))
			return 1;
		dirty = dirty_back(mem, pages, first, seed, dirty_every);
	}
	if (mode == SPLICE || mode == SPLICE_DIRTY) {
		in = pipe_pages(mem, pages, mode == SPLICE_DIRTY);
		if (in < 0)
			return 1;
	}
	if (mode != KEEP && mode != SPLICE_DIRTY)
		swapped = count_swapped(mem, pages);
	resident = pages - swapped;
	if (prot_none && mprotect(mem, pages * PAGE, PROT_NONE)) {
		perror("swapwrite: mprotect");
		return 1;
	}
	cost_start(&cost);
	if (in >= 0) {
		n = splice_out(in, fd, pages * PAGE, first * PAGE);
		ok = io_whole("splice", n, pages * PAGE);
	} else {
		ok = io_do(fd, 1, mem, pages * PAGE, first * PAGE);
	}
	cost_end(&cost);
	/* Also after a failure: which pages the failed write held. */
	printf("swapped %zu resident %zu dirty %zu pswpin %lld store_read %lld majflt %lld\n",
	       swapped, resident, dirty, cost.pswpin, cost.store_read,
	       cost.majflt);
	return ok && sync_after_write(fd) ? 0 : 1;
}

/* Write @sectors sectors of stamps at @sector with one I/O. */
static int do_patch(int fd, uint64_t sector, size_t sectors, uint64_t seed)
{
	size_t len = sectors * 512;
	uint64_t *buf;
	int ok;

	if (posix_memalign((void **)&buf, PAGE, len))
		return 1;
	for (size_t w = 0; w < len / sizeof(*buf); w++)
		buf[w] = stamp(seed, sector, w);
	ok = io_do(fd, 1, buf, len, sector * 512);
	free(buf);
	return ok && sync_after_write(fd) ? 0 : 1;
}

static int do_verify(int fd, uint64_t first, size_t pages, uint64_t seed)
{
	size_t bad = 0;
	uint64_t *buf;

	if (posix_memalign((void **)&buf, PAGE, pages * PAGE))
		return 1;
	if (!io_do(fd, 0, buf, pages * PAGE, first * PAGE))
		return 1;
	for (size_t p = 0; p < pages; p++) {
		for (size_t w = 0; w < WORDS; w++) {
			if (buf[p * WORDS + w] == stamp(seed, first + p, w))
				continue;
			if (bad++ < 5)
				fprintf(stderr,
					"swapwrite: bad stamp: page %llu word %zu\n",
					(unsigned long long)(first + p), w);
		}
	}
	if (bad)
		fprintf(stderr, "swapwrite: %zu bad words\n", bad);
	free(buf);
	return bad ? 1 : 0;
}

/* Does @page (disk page @p) hold the stamps of @seed, every word? */
static int page_is(const uint64_t *page, uint64_t p, uint64_t seed)
{
	for (size_t w = 0; w < WORDS; w++)
		if (page[w] != stamp(seed, p, w))
			return 0;
	return 1;
}

/*
 * After a write of @seed over @old_seed that failed: each page must hold
 * one or the other, whole.
 */
static int do_either(int fd, uint64_t first, size_t pages, uint64_t seed,
		     uint64_t old_seed)
{
	size_t new = 0, old = 0, bad = 0;
	uint64_t *buf, *page;

	if (posix_memalign((void **)&buf, PAGE, pages * PAGE))
		return 1;
	if (!io_do(fd, 0, buf, pages * PAGE, first * PAGE))
		return 1;
	for (size_t p = 0; p < pages; p++) {
		page = buf + p * WORDS;
		if (page_is(page, first + p, seed))
			new++;
		else if (page_is(page, first + p, old_seed))
			old++;
		else if (bad++ < 5)
			fprintf(stderr,
				"swapwrite: page %llu is neither old nor new\n",
				(unsigned long long)(first + p));
	}
	free(buf);
	printf("new %zu old %zu\n", new, old);
	if (bad)
		fprintf(stderr, "swapwrite: %zu pages neither old nor new\n",
			bad);
	return bad ? 1 : 0;
}

/* kvmwrite's variants: --fork, --hold ref|pin. */
static int kvm_fork;
static unsigned int kvm_hold;

/*
 * A child that maps @mem too: it reads every page in (checking it holds
 * the stamps of @seed), then waits for the parent's end of *@keep to close.
 */
static pid_t fork_reader(uint64_t *mem, size_t pages, uint64_t first,
			 uint64_t seed, int *keep)
{
	int ready[2], wait_fd[2];
	char c = 0;
	pid_t pid;

	if (pipe(ready) || pipe(wait_fd)) {
		perror("swapwrite: pipe");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		perror("swapwrite: fork");
		return -1;
	}
	if (!pid) {
		close(ready[0]);
		close(wait_fd[1]);
		if (!read_back(mem, pages, first, seed, 1) ||
		    write(ready[1], &c, 1) != 1)
			_exit(1);
		/* Until the parent is done: its end of the pipe closes. */
		while (read(wait_fd[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(ready[1]);
	close(wait_fd[0]);
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "swapwrite: the child did not read the pages\n");
		return -1;
	}
	close(ready[0]);
	*keep = wait_fd[1];
	return pid;
}

/*
 * The guest writes pages in RAM, under KVM, after the host swapped them
 * out and in, then writes them to its disk (see kvmwrite above).
 */
static int do_kvmwrite(int fd, uint64_t first, size_t pages,
		       uint64_t old_seed, uint64_t seed)
{
	size_t len = pages * PAGE, swapped, stale = 0, old = 0, torn = 0;
	size_t mem_stale = 0;
	struct kvmlike_range slot;
	struct kvmlike_write w;
	uint64_t *mem, *src, *buf;
	int kvm, keep = -1, ok;
	struct io_cost cost;
	long clean;
	pid_t child = -1;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	src = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || src == MAP_FAILED ||
	    posix_memalign((void **)&buf, PAGE, len)) {
		perror("swapwrite: mmap");
		return 1;
	}
	/* KVM's notifier is there from the VM's creation on. */
	kvm = open("/dev/kvmlike", O_RDWR);
	slot = (struct kvmlike_range){ (uintptr_t)mem, len };
	if (kvm < 0 || ioctl(kvm, KVMLIKE_SET_SLOT, &slot)) {
		perror("swapwrite: /dev/kvmlike");
		return 1;
	}
	fill(mem, pages, first, old_seed);
	page_out(mem, pages);
	if (kvm_fork) {
		child = fork_reader(mem, pages, first, old_seed, &keep);
		if (child < 0)
			return 1;
	}
	/* Read faults: present, writable, clean PTEs of swap-cache folios. */
	if (!read_back(mem, pages, first, old_seed, 1))
		return 1;
	swapped = count_swapped(mem, pages);

	fill(src, pages, first, seed);
	w = (struct kvmlike_write){ (uintptr_t)mem, len, (uintptr_t)src,
				    kvm_hold, 0 };
	if (ioctl(kvm, KVMLIKE_WRITE, &w)) {
		perror("swapwrite: KVMLIKE_WRITE");
		return 1;
	}
	clean = count_clean_swapcache(mem, pages);

	cost_start(&cost);
	ok = io_do(fd, 1, mem, len, first * PAGE);
	cost_end(&cost);
	if (ok)
		ok = io_do(fd, 0, buf, len, first * PAGE);
	/* Only now does the holder tell the pages' dirtiness. */
	if (kvm_hold && ioctl(kvm, KVMLIKE_RELEASE)) {
		perror("swapwrite: KVMLIKE_RELEASE");
		ok = 0;
	}
	for (size_t p = 0; ok && p < pages; p++) {
		if (!page_is(mem + p * WORDS, first + p, seed))
			mem_stale++;
		if (page_is(buf + p * WORDS, first + p, seed))
			continue;
		stale++;
		if (page_is(buf + p * WORDS, first + p, old_seed))
			old++;
		else
			torn++;
		if (stale <= 5)
			fprintf(stderr, "swapwrite: disk page %llu is stale\n",
				(unsigned long long)(first + p));
	}
	if (child > 0) {
		close(keep);
		waitpid(child, NULL, 0);
	}
	close(kvm);
	printf("swapped %zu clean_swapcache %ld pswpin %lld store_read %lld ",
	       swapped, clean, cost.pswpin, cost.store_read);
	printf("stale %zu old %zu torn %zu memory_stale %zu\n", stale, old,
	       torn, mem_stale);
	free(buf);
	return ok && !stale && !mem_stale ? 0 : 1;
}

/*
 * Read disk pages FIRST.. into swapped-out memory, as a guest pages in
 * into a frame the host swapped out, and check what arrived.
 */
static int do_read_into(int fd, uint64_t first, size_t pages, uint64_t seed,
			int bystander)
{
	size_t swapped, bad = 0;
	struct io_cost cost;
	uint64_t *mem, *by;
	struct iovec iov[2];
	ssize_t n;
	int ok;

	by = mmap(NULL, (pages + 1) * PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (by == MAP_FAILED) {
		perror("swapwrite: mmap");
		return 1;
	}
	mem = by + WORDS;
	fill(by, 1, 0, seed ^ 0x5555);	/* a page the read must not touch */
	fill(mem, pages, first, ~seed);	/* what the read must replace */
	page_out(by, pages + 1);
	swapped = count_swapped(mem, pages);
	/* An empty first segment based inside the bystander page. */
	iov[0] = (struct iovec){ (char *)by + 512, 0 };
	iov[1] = (struct iovec){ mem, pages * PAGE };
	cost_start(&cost);
	if (bystander) {
		n = preadv(fd, iov, 2, first * PAGE);
		ok = io_whole("preadv", n, pages * PAGE);
	} else {
		ok = io_do(fd, 0, mem, pages * PAGE, first * PAGE);
	}
	cost_end(&cost);
	if (!ok)
		return 1;
	for (size_t p = 0; p < pages; p++)
		for (size_t w = 0; w < WORDS; w++)
			bad += mem[p * WORDS + w] != stamp(seed, first + p, w);
	for (size_t w = 0; w < WORDS; w++)
		bad += by[w] != stamp(seed ^ 0x5555, 0, w);
	if (bad) {
		fprintf(stderr, "swapwrite: %zu bad words read\n", bad);
		return 1;
	}
	printf("swapped %zu pswpin %lld store_read %lld majflt %lld\n", swapped,
	       cost.pswpin, cost.store_read, cost.majflt);
	return 0;
}

static int print_usage(void)
{
	fprintf(stderr,
		"usage: swapwrite [OPTION...] write DEV FIRST PAGES SEED [READ_EVERY [DIRTY_EVERY]]\n"
		"       swapwrite [OPTION...] keep DEV FIRST PAGES SEED\n"
		"       swapwrite splice DEV FIRST PAGES SEED\n"
		"       swapwrite splice-dirty DEV FIRST PAGES SEED\n"
		"       swapwrite [OPTION...] verify DEV FIRST PAGES SEED\n"
		"       swapwrite [OPTION...] either DEV FIRST PAGES SEED OLD_SEED\n"
		"       swapwrite [OPTION...] read DEV FIRST PAGES SEED\n"
		"       swapwrite readv DEV FIRST PAGES SEED\n"
		"       swapwrite [OPTION...] patch DEV SECTOR SECTORS SEED\n"
		"       swapwrite [OPTION...] kvmwrite DEV FIRST PAGES OLD_SEED SEED\n"
		"options: --submit pwrite|aio|io_uring, --fsync, --dsync, --buffered,\n"
		"         --prot-none, --nonblock, --fork, --hold ref|pin (kvmwrite)\n");
	return 2;
}

static int number(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || !*s || *end || *s == '-';
}

enum cmd { C_WRITE, C_KEEP, C_SPLICE, C_SPLICE_DIRTY, C_VERIFY, C_EITHER,
	   C_READ, C_READV, C_PATCH, C_KVMWRITE };

static const struct {
	const char *name;
	int max_args;	/* after SEED */
	int is_write, options;	/* is_write 2: reads too */
} cmds[] = {
	[C_WRITE] = { "write", 2, 1, 1 },
	[C_KEEP] = { "keep", 0, 1, 1 },
	[C_SPLICE] = { "splice", 0, 1, 0 },
	[C_SPLICE_DIRTY] = { "splice-dirty", 0, 1, 0 },
	[C_VERIFY] = { "verify", 0, 0, 1 },
	[C_EITHER] = { "either", 1, 0, 1 },
	[C_READ] = { "read", 0, 0, 1 },
	[C_READV] = { "readv", 0, 0, 0 },
	[C_PATCH] = { "patch", 0, 1, 1 },
	/* Opens DEV for reading too, to read the write back. */
	[C_KVMWRITE] = { "kvmwrite", 1, 2, 1 },
};

int main(int argc, char **argv)
{
	unsigned long long first, pages, seed, extra[2] = { 0, 0 };
	int fd, r, flags = O_DIRECT, options = 0, kvm_options = 0, nextra;
	unsigned int c;

	for (; argc > 1 && !strncmp(argv[1], "--", 2); argc--, argv++) {
		options++;
		if (!strcmp(argv[1], "--fsync")) {
			want_fsync = 1;
		} else if (!strcmp(argv[1], "--prot-none")) {
			prot_none = 1;
		} else if (!strcmp(argv[1], "--nonblock")) {
			flags |= O_NONBLOCK;
		} else if (!strcmp(argv[1], "--dsync")) {
			flags |= O_DSYNC;
		} else if (!strcmp(argv[1], "--buffered")) {
			flags &= ~O_DIRECT;
		} else if (!strcmp(argv[1], "--fork")) {
			kvm_fork = 1;
			kvm_options++;
		} else if (!strcmp(argv[1], "--hold") && argc > 2) {
			argc--, argv++;
			if (!strcmp(argv[1], "ref"))
				kvm_hold = KVMLIKE_HOLD_REF;
			else if (!strcmp(argv[1], "pin"))
				kvm_hold = KVMLIKE_HOLD_PIN;
			else
				return print_usage();
			kvm_options++;
		} else if (!strcmp(argv[1], "--submit") && argc > 2) {
			argc--, argv++;
			for (c = 0; c < 3; c++)
				if (!strcmp(argv[1], submit_name[c]))
					break;
			if (c == 3)
				return print_usage();
			submit = c;
		} else {
			return print_usage();
		}
	}
	if (argc < 6)
		return print_usage();
	for (c = 0; c < ARRAY_SIZE(cmds); c++)
		if (!strcmp(argv[1], cmds[c].name))
			break;
	if (c == ARRAY_SIZE(cmds))
		return print_usage();
	nextra = argc - 6;
	if (nextra > cmds[c].max_args ||
	    ((c == C_EITHER || c == C_KVMWRITE) && nextra != 1) ||
	    (kvm_options && c != C_KVMWRITE) ||
	    (options && !cmds[c].options) || number(argv[3], &first) ||
	    number(argv[4], &pages) || number(argv[5], &seed) ||
	    (nextra >= 1 && number(argv[6], &extra[0])) ||
	    (nextra == 2 && number(argv[7], &extra[1])) || !pages ||
	    pages > (1ULL << 20))
		return print_usage();
	if ((c == C_SPLICE || c == C_SPLICE_DIRTY) && pages > 256)
		return print_usage();	/* the largest pipe root may have */
	if (!(flags & O_DIRECT) && c != C_KEEP && c != C_PATCH)
		return print_usage();	/* page-cache pages are never swapped */

	fd = open(argv[2], (cmds[c].is_write == 2 ? O_RDWR :
			    cmds[c].is_write ? O_WRONLY : O_RDONLY) | flags);
	if (fd < 0) {
		fprintf(stderr, "swapwrite: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	switch (c) {
	case C_VERIFY:
		r = do_verify(fd, first, pages, seed);
		break;
	case C_EITHER:
		r = do_either(fd, first, pages, seed, extra[0]);
		break;
	case C_READ:
	case C_READV:
		r = do_read_into(fd, first, pages, seed, c == C_READV);
		break;
	case C_PATCH:
		r = do_patch(fd, first, pages, seed);
		break;
	case C_KVMWRITE:
		r = do_kvmwrite(fd, first, pages, seed, extra[0]);
		break;
	default:
		r = do_write(fd, first, pages, seed, extra[0], extra[1],
			     c == C_WRITE ? WRITE : c == C_KEEP ? KEEP :
			     c == C_SPLICE ? SPLICE : SPLICE_DIRTY);
		break;
	}
	close(fd);
	return r;
}
