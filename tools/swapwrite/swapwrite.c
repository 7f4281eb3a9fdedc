// SPDX-License-Identifier: GPL-2.0
/*
 * swapwrite: write host-swapped-out memory to a disk with O_DIRECT, as a
 * guest paging out does under QEMU cache=none, and check it back.
 *
 *   swapwrite write  DEV FIRST PAGES SEED [READ_EVERY [DIRTY_EVERY]]
 *   swapwrite keep   DEV FIRST PAGES SEED
 *   swapwrite splice DEV FIRST PAGES SEED
 *   swapwrite splice-dirty DEV FIRST PAGES SEED
 *   swapwrite verify DEV FIRST PAGES SEED
 *   swapwrite read   DEV FIRST PAGES SEED
 *   swapwrite readv  DEV FIRST PAGES SEED
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
 * B", counted around the pread(); it also checks that a swapped-out page
 * next to the buffer kept its content.  readv reads with preadv() and an
 * empty first segment based inside that page, which must stay untouched.
 *
 * Every 8-byte word w of disk page p holds a mix of SEED, p and w, so a
 * page that is stale, misplaced or torn is caught.  write prints
 * "swapped N resident M dirty D pswpin K store_read B": pages swapped out,
 * resident and rewritten when the write was issued, then swap-ins (/proc/vmstat) and
 * bytes read from the tesseract store (-1 without one) during the
 * pwrite().  Exits 0 on success, 1 on an I/O error or a mismatch, 2 on
 * bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define WORDS (PAGE / sizeof(uint64_t))
#define PM_SWAP (UINT64_C(1) << 62)

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

/* Pages of @mem that the kernel shows as swapped out (pagemap bit 62). */
static size_t count_swapped(const void *mem, size_t pages)
{
	uint64_t e;
	size_t n = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	for (size_t p = 0; p < pages; p++) {
		off_t off = ((uintptr_t)mem / PAGE + p) * sizeof(e);

		if (pread(fd, &e, sizeof(e), off) == sizeof(e) && e & PM_SWAP)
			n++;
	}
	close(fd);
	return n;
}

/* Kilobytes under writeback, from /proc/meminfo. */
static long writeback_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Writeback: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
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

/* Swap-ins and store bytes read (-1: no store) during one I/O. */
struct io_cost {
	long long pswpin;
	long long store_read;
};

static void cost_start(struct io_cost *c)
{
	c->pswpin = read_counter("/proc/vmstat", "pswpin");
	c->store_read = read_counter(STORE_READ, "");
}

static void cost_end(struct io_cost *c)
{
	c->pswpin = read_counter("/proc/vmstat", "pswpin") - c->pswpin;
	if (c->store_read >= 0)
		c->store_read = read_counter(STORE_READ, "") - c->store_read;
}

/* Did an I/O of @len bytes (@what) move them all?  Else say why. */
static int io_whole(const char *what, ssize_t n, size_t len)
{
	if (n == (ssize_t)len)
		return 1;
	fprintf(stderr, "swapwrite: %s: %zd of %zu bytes: %s\n", what, n, len,
		n < 0 ? strerror(errno) : "short");
	return 0;
}

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Reclaim memory of our own cgroup (cgroup v2 memory.reclaim), so that
 * the folios MADV_PAGEOUT wrote out leave the swap cache: a later access
 * then really reads them back.  Best effort: a root cgroup has no file.
 */
static void reclaim_own_cgroup(void)
{
	char line[512], path[600];
	FILE *f = fopen("/proc/self/cgroup", "r");
	int fd;

	if (!f)
		return;
	if (!fgets(line, sizeof(line), f) || strncmp(line, "0::", 3)) {
		fclose(f);
		return;
	}
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.reclaim",
		 line + 3);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return;
	for (int i = 0; i < 4; i++)
		if (write(fd, "256M", 4) < 0 && errno != EAGAIN)
			break;
	close(fd);
}

/* Swap @mem out and wait until it is written back; returns pages out. */
static size_t page_out(void *mem, size_t pages)
{
	size_t out = 0;

	for (int i = 0; i < 50 && out < pages; i++) {
		if (madvise(mem, pages * PAGE, MADV_PAGEOUT))
			perror("swapwrite: madvise(MADV_PAGEOUT)");
		nap(20);
		out = count_swapped(mem, pages);
	}
	for (int i = 0; i < 250 && writeback_kb() > 0; i++)
		nap(20);
	reclaim_own_cgroup();
	return out;
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
	int in = -1;
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
	cost_start(&cost);
	if (in >= 0)
		n = splice_out(in, fd, pages * PAGE, first * PAGE);
	else
		n = pwrite(fd, mem, pages * PAGE, first * PAGE);
	cost_end(&cost);
	if (!io_whole(in >= 0 ? "splice" : "pwrite", n, pages * PAGE))
		return 1;
	printf("swapped %zu resident %zu dirty %zu pswpin %lld store_read %lld\n",
	       swapped, resident, dirty, cost.pswpin, cost.store_read);
	return 0;
}

static int do_verify(int fd, uint64_t first, size_t pages, uint64_t seed)
{
	size_t bad = 0;
	uint64_t *buf;
	ssize_t n;

	if (posix_memalign((void **)&buf, PAGE, pages * PAGE))
		return 1;
	n = pread(fd, buf, pages * PAGE, first * PAGE);
	if (!io_whole("pread", n, pages * PAGE))
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
	if (bystander)
		n = preadv(fd, iov, 2, first * PAGE);
	else
		n = pread(fd, mem, pages * PAGE, first * PAGE);
	cost_end(&cost);
	if (!io_whole(bystander ? "preadv" : "pread", n, pages * PAGE))
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
	printf("swapped %zu pswpin %lld store_read %lld\n", swapped,
	       cost.pswpin, cost.store_read);
	return 0;
}

static int print_usage(void)
{
	fprintf(stderr,
		"usage: swapwrite write DEV FIRST PAGES SEED [READ_EVERY [DIRTY_EVERY]]\n"
		"       swapwrite keep DEV FIRST PAGES SEED\n"
		"       swapwrite splice DEV FIRST PAGES SEED\n"
		"       swapwrite splice-dirty DEV FIRST PAGES SEED\n"
		"       swapwrite verify DEV FIRST PAGES SEED\n"
		"       swapwrite read DEV FIRST PAGES SEED\n"
		"       swapwrite readv DEV FIRST PAGES SEED\n");
	return 2;
}

static int number(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || !*s || *end || *s == '-';
}

int main(int argc, char **argv)
{
	unsigned long long first, pages, seed, read_every = 0, dirty_every = 0;
	int fd, r;

	if (argc < 6 || argc > 8 || number(argv[3], &first) ||
	    number(argv[4], &pages) || number(argv[5], &seed) ||
	    (argc >= 7 && number(argv[6], &read_every)) ||
	    (argc == 8 && number(argv[7], &dirty_every)) || !pages ||
	    pages > (1ULL << 20))
		return print_usage();
	if (strcmp(argv[1], "write") && strcmp(argv[1], "keep") &&
	    strcmp(argv[1], "splice") && strcmp(argv[1], "splice-dirty") &&
	    strcmp(argv[1], "verify") && strcmp(argv[1], "read") &&
	    strcmp(argv[1], "readv"))
		return print_usage();
	if (!strncmp(argv[1], "splice", 6) && pages > 256)
		return print_usage();	/* the largest pipe root may have */
	if (argc >= 7 && strcmp(argv[1], "write"))
		return print_usage();

	fd = open(argv[2], (strchr("vr", argv[1][0]) ? O_RDONLY : O_WRONLY) |
		  O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "swapwrite: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (argv[1][0] == 'v')
		r = do_verify(fd, first, pages, seed);
	else if (argv[1][0] == 'r')
		r = do_read_into(fd, first, pages, seed, argv[1][4] == 'v');
	else
		r = do_write(fd, first, pages, seed, read_every, dirty_every,
			     argv[1][0] == 'w' ? WRITE :
			     argv[1][0] == 'k' ? KEEP :
			     argv[1][6] ? SPLICE_DIRTY : SPLICE);
	close(fd);
	return r;
}
