// SPDX-License-Identifier: GPL-2.0
/*
 * dpwork: the guest's workload of `make check-vm`, a phased one that makes
 * double paging happen (built statically, it runs as the only program of a
 * busybox initramfs).
 *
 *   dpwork COLD_MIB HOT_MIB HOT_PASSES [keep|free]
 *
 * 1. cold: fill COLD_MIB of anonymous memory with stamped pages, once.
 *    QEMU, in a memory cgroup below guest RAM, cannot keep them all: the
 *    host swaps the oldest out while the fill goes on.
 * 2. hot: fill HOT_MIB of new memory, then rewrite it HOT_PASSES times,
 *    checking each page before it is rewritten.  Cold and hot together do
 *    not fit in guest RAM, so the guest pages the cold data (its least
 *    recently used) out to its swap on the virtio disk: the pages the host
 *    swapped out, written through QEMU's cache=none I/O.  Double paging.
 * 3. back: read every cold page and check every word of it; the guest
 *    pages it in from its swap.  With "free" (the default), the hot set is
 *    unmapped first, as a program done with it would, so that the pages the
 *    guest reads back go into free frames and it pages nothing more out;
 *    with "keep" it pages the hot set out to make room (page-outs of pages
 *    the host holds: no double paging).
 *
 * Every 8-byte word of page i of an area holds
 *   (version << 40 | area << 36 | i << 12 | word index) ^ salt
 * so a page that comes back stale, from another area or place, torn, or
 * from another run is caught.  Each phase prints one line:
 *   dpwork: <phase> pages <n> ms <elapsed> pages_per_s <rate> worst_us <us>
 *           pswpout <n> pswpin <n>
 * (worst_us: the longest time one page took to touch; pswpout, pswpin:
 * the guest's page-outs and page-ins so far, from /proc/vmstat) and sleeps
 * DPWORK_PAUSE seconds (environment; the guest's init sets 2), so that
 * the host can read its own counters between phases; then
 *   dpwork: stamps ok      or      dpwork: stamps BAD <pages>
 * DPWORK_RECLAIM=MIB: between the cold and the hot phase, the guest
 * reclaims MIB of its memory proactively (cgroup2's memory.reclaim at
 * /sys/fs/cgroup, as a guest agent that offloads idle memory would), then
 * idles DPWORK_PAUSE seconds again; it prints
 *   dpwork: reclaim mib <n> ms <elapsed> pswpout <n> pswpin <n> [failed]
 * DPWORK_IDLE=S: after that reclaim, the guest idles S seconds more before
 * the hot phase, as a guest whose next job starts later would: time for
 * free page reporting to hand the frames the reclaim freed back to the
 * host.  It prints, then idles DPWORK_PAUSE seconds again,
 *   dpwork: idle s <n> pswpout <n> pswpin <n>
 * Exits 0 when every stamp held, 1 when one did not, 2 on bad arguments.
 * DPWORK_FLIP=N (a self-test) flips a bit of cold page N after the fill.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define WORDS (PAGE / sizeof(uint64_t))

enum { AREA_COLD = 1, AREA_HOT = 2 };

static uint64_t salt;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t word(uint64_t version, uint64_t area, uint64_t page, uint64_t w)
{
	return ((version << 40) | (area << 36) | (page << 12) | w) ^ salt;
}

struct phase {
	const char *name;
	uint64_t start, worst, pages;
};

static void phase_begin(struct phase *ph, const char *name)
{
	ph->name = name;
	ph->start = now_ns();
	ph->worst = 0;
	ph->pages = 0;
}

/* The guest's own paging so far: /proc/vmstat's @key, or 0 without it. */
static unsigned long long guest_vmstat(const char *key)
{
	unsigned long long v = 0, x;
	char name[64];
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return 0;
	while (fscanf(f, "%63s %llu", name, &x) == 2)
		if (!strcmp(name, key))
			v = x;
	fclose(f);
	return v;
}

/*
 * A mark's line is printed: flush it, then idle DPWORK_PAUSE seconds, so
 * that the host can take its counters between phases.
 */
static void mark_done(void)
{
	fflush(stdout);
	if (getenv("DPWORK_PAUSE"))
		sleep((unsigned int)strtoul(getenv("DPWORK_PAUSE"), NULL, 10));
}

static void phase_end(const struct phase *ph)
{
	uint64_t ns = now_ns() - ph->start;
	uint64_t ms = ns / 1000000;

	printf("dpwork: %s pages %llu ms %llu pages_per_s %llu worst_us %llu",
	       ph->name, (unsigned long long)ph->pages, (unsigned long long)ms,
	       (unsigned long long)(ns ? ph->pages * 1000000000ULL / ns : 0),
	       (unsigned long long)(ph->worst / 1000));
	printf(" pswpout %llu pswpin %llu\n",
	       guest_vmstat("pswpout"), guest_vmstat("pswpin"));
	mark_done();
}

/*
 * Check page p of an area against version (0: not written yet, nothing to
 * check), then write it with next (0: leave it); time the two.  Returns
 * whether the check held.
 */
static int touch(struct phase *ph, uint64_t *mem, uint64_t area, size_t p,
		 uint64_t version, uint64_t next)
{
	uint64_t *pg = mem + p * WORDS;
	uint64_t t0 = now_ns(), dt;
	size_t w, bad = 0;

	if (version)
		for (w = 0; w < WORDS; w++)
			bad += pg[w] != word(version, area, p, w);
	if (next)
		for (w = 0; w < WORDS; w++)
			pg[w] = word(next, area, p, w);
	dt = now_ns() - t0;
	if (dt > ph->worst)
		ph->worst = dt;
	ph->pages++;
	if (bad)
		printf("dpwork: area %llu page %zu: %zu words wrong (version %llu)\n",
		       (unsigned long long)area, p, bad,
		       (unsigned long long)version);
	return !bad;
}

/*
 * With DPWORK_MAPS=1 in the environment, print where an area's pages are,
 * from /proc/self/pagemap, for tools/vm/pagemap.py:
 *   dpwork: map <label> pfn <first>+<count> ...     runs of consecutive
 *                                                   frames, in page order
 *   dpwork: map <label> swapped <page>+<count> ...  runs of pages in swap
 */
#define BIT_ULL(n)	(1ULL << (n))
#define PM_PFN_MASK	(BIT_ULL(55) - 1)
#define PM_SWAPPED	BIT_ULL(62)
#define PM_PRESENT	BIT_ULL(63)

static void print_map(const char *label, const uint64_t *mem, size_t pages,
		      int swapped)
{
	uint64_t e, run_start = 0, run_len = 0, key;
	FILE *f = fopen("/proc/self/pagemap", "r");
	size_t p;

	if (!f) {
		printf("dpwork: map %s unavailable\n", label);
		return;
	}
	printf("dpwork: map %s %s", label, swapped ? "swapped" : "pfn");
	for (p = 0; p < pages; p++) {
		if (fseek(f, (long)((uintptr_t)(mem + p * WORDS) / PAGE * 8), SEEK_SET) ||
		    fread(&e, sizeof(e), 1, f) != 1)
			break;
		if (swapped)
			key = (e & PM_SWAPPED) ? p : ~0ULL;
		else
			key = (e & PM_PRESENT) ? (e & PM_PFN_MASK) : ~0ULL;
		if (run_len && key != ~0ULL && key == run_start + run_len) {
			run_len++;
			continue;
		}
		if (run_len)
			printf(" %llu+%llu", (unsigned long long)run_start,
			       (unsigned long long)run_len);
		run_start = key;
		run_len = key != ~0ULL;
	}
	if (run_len)
		printf(" %llu+%llu", (unsigned long long)run_start,
		       (unsigned long long)run_len);
	printf("\n");
	fflush(stdout);
	fclose(f);
}

static uint64_t *area_map(size_t pages)
{
	void *m = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED) {
		perror("dpwork: mmap");
		exit(2);
	}
	return m;
}

/*
 * Proactive reclaim of @mib MiB of the guest's memory (DPWORK_RECLAIM): the
 * guest pages idle memory out before anything needs the room, so that the
 * frames it frees stay free (and can be reported) until the hot phase.
 */
static void reclaim_ahead(unsigned long mib)
{
	uint64_t t0 = now_ns();
	FILE *f = fopen("/sys/fs/cgroup/memory.reclaim", "w");
	int ok = f && fprintf(f, "%luM", mib) > 0;

	if (f && fclose(f))
		ok = 0;
	printf("dpwork: reclaim mib %lu ms %llu pswpout %llu pswpin %llu%s\n",
	       mib, (unsigned long long)((now_ns() - t0) / 1000000),
	       guest_vmstat("pswpout"), guest_vmstat("pswpin"),
	       ok ? "" : " failed");
	mark_done();
}

/* DPWORK_IDLE: @s seconds of nothing between the reclaim and the hot phase. */
static void idle_for(unsigned int s)
{
	sleep(s);
	printf("dpwork: idle s %u pswpout %llu pswpin %llu\n", s,
	       guest_vmstat("pswpout"), guest_vmstat("pswpin"));
	mark_done();
}

static long arg(const char *s, long min)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min) {
		fprintf(stderr, "dpwork: bad argument '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	size_t cold_pages, hot_pages, p, bad = 0;
	uint64_t *cold, *hot;
	struct phase ph;
	long passes, i;
	int keep, maps;

	if (argc < 4 || argc > 5 ||
	    (argc == 5 && strcmp(argv[4], "keep") && strcmp(argv[4], "free"))) {
		fprintf(stderr, "usage: dpwork COLD_MIB HOT_MIB HOT_PASSES [keep|free]\n");
		return 2;
	}
	keep = argc == 5 && !strcmp(argv[4], "keep");
	cold_pages = (size_t)arg(argv[1], 1) * (1 << 20) / PAGE;
	hot_pages = (size_t)arg(argv[2], 1) * (1 << 20) / PAGE;
	passes = arg(argv[3], 0);
	salt = now_ns() ^ ((uint64_t)getpid() << 48);
	cold = area_map(cold_pages);
	hot = area_map(hot_pages);

	phase_begin(&ph, "cold");
	for (p = 0; p < cold_pages; p++)
		touch(&ph, cold, AREA_COLD, p, 0, 1);
	phase_end(&ph);

	/* Self-test (tools/vm/check-vm): change a word behind the checks. */
	if (getenv("DPWORK_FLIP"))
		cold[(strtoul(getenv("DPWORK_FLIP"), NULL, 10) % cold_pages) * WORDS] ^= 1;
	maps = getenv("DPWORK_MAPS") && !strcmp(getenv("DPWORK_MAPS"), "1");
	if (maps)
		print_map("cold", cold, cold_pages, 0);
	if (getenv("DPWORK_RECLAIM"))
		reclaim_ahead(strtoul(getenv("DPWORK_RECLAIM"), NULL, 10));
	if (getenv("DPWORK_RECLAIM") && getenv("DPWORK_IDLE"))
		idle_for((unsigned int)strtoul(getenv("DPWORK_IDLE"), NULL, 10));
	phase_begin(&ph, "hot");
	for (i = 0; i <= passes; i++)
		for (p = 0; p < hot_pages; p++)
			bad += !touch(&ph, hot, AREA_HOT, p, i, i + 1);
	phase_end(&ph);
	if (maps) {
		print_map("cold", cold, cold_pages, 1);
		print_map("hot", hot, hot_pages, 0);
	}

	if (!keep)
		munmap(hot, hot_pages * PAGE);
	phase_begin(&ph, "back");
	for (p = 0; p < cold_pages; p++)
		bad += !touch(&ph, cold, AREA_COLD, p, 1, 0);
	phase_end(&ph);

	if (bad)
		printf("dpwork: stamps BAD %zu\n", bad);
	else
		printf("dpwork: stamps ok\n");
	return bad ? 1 : 0;
}
