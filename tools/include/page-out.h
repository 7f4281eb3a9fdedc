/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pushing a program's own pages out to swap, for the test and benchmark
 * programs (swapwrite, crashwrite): MADV_PAGEOUT until pagemap shows the
 * pages swapped out, wait for writeback, then reclaim the program's own
 * memory cgroup so that the folios leave the swap cache and a later
 * access really reads them back.  Static functions: include it once.
 */
#ifndef TESS_TOOLS_PAGE_OUT_H
#define TESS_TOOLS_PAGE_OUT_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE_OUT_PAGE		4096UL
#define PAGE_OUT_PM_SWAP	(UINT64_C(1) << 62)	/* pagemap: swapped */

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Pages of @mem that the kernel shows as swapped out (pagemap bit 62). */
static size_t count_swapped(const void *mem, size_t pages)
{
	unsigned long long e;
	size_t n = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	for (size_t p = 0; p < pages; p++) {
		off_t off = ((uintptr_t)mem / PAGE_OUT_PAGE + p) * sizeof(e);

		if (pread(fd, &e, sizeof(e), off) == sizeof(e) && e & PAGE_OUT_PM_SWAP)
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

/*
 * Reclaim memory of our own cgroup (cgroup v2 memory.reclaim), so that
 * the folios MADV_PAGEOUT wrote out leave the swap cache.  Best effort.
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

/*
 * Swap @mem out and wait until it is written back, polling every
 * @poll_ms milliseconds; @who names the program in errors.  Returns the
 * pages swapped out.
 */
static size_t page_out_poll(void *mem, size_t pages, long poll_ms,
			    const char *who)
{
	size_t out = 0;

	for (int i = 0; i < 50 && out < pages; i++) {
		if (madvise(mem, pages * PAGE_OUT_PAGE, MADV_PAGEOUT))
			fprintf(stderr, "%s: madvise(MADV_PAGEOUT): %s\n", who,
				strerror(errno));
		nap(poll_ms);
		out = count_swapped(mem, pages);
	}
	for (int i = 0; i < 250 && writeback_kb() > 0; i++)
		nap(poll_ms);
	reclaim_own_cgroup();
	return out;
}

#endif /* TESS_TOOLS_PAGE_OUT_H */
