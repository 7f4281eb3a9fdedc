// SPDX-License-Identifier: GPL-2.0
/*
 * memtouch: fill anonymous memory with a known pattern and check it, so that
 * tests can push pages through host swap and prove they come back intact.
 *
 *   memtouch [-h SECONDS] MIB PASSES
 *
 * Each pass checks every page written by the pass before (if any) and then
 * writes every page again with a new version.  Every 8-byte word of page i
 * holds (version << 40 | i << 12 | word index) ^ a salt drawn afresh each
 * run, so a page that comes back from the wrong place, stale, torn, or
 * from an earlier run's memory or disk is caught.  -h holds the memory
 * after the first pass for SECONDS, or until SIGUSR1 if that comes first,
 * before going on; it prints "memtouch: holding" when the hold begins, so
 * that a test can act while the task allocates nothing and then end the
 * hold itself.
 * Exits 0 when every check passed, 1 on a mismatch, 2 on bad arguments.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define WORDS (PAGE / sizeof(uint64_t))

static uint64_t salt;		/* this run's, from getrandom() */

static uint64_t word(uint64_t version, uint64_t page, uint64_t w)
{
	return ((version << 40) | (page << 12) | w) ^ salt;
}

static void fill(uint64_t *mem, size_t pages, uint64_t version)
{
	for (size_t p = 0; p < pages; p++)
		for (size_t w = 0; w < WORDS; w++)
			mem[p * WORDS + w] = word(version, p, w);
}

static size_t check(const uint64_t *mem, size_t pages, uint64_t version)
{
	size_t bad = 0;

	for (size_t p = 0; p < pages; p++) {
		for (size_t w = 0; w < WORDS; w++) {
			if (mem[p * WORDS + w] == word(version, p, w))
				continue;
			if (bad++ < 10)
				fprintf(stderr,
					"memtouch: page %zu word %zu: got %#llx, want %#llx\n",
					p, w,
					(unsigned long long)mem[p * WORDS + w],
					(unsigned long long)word(version, p, w));
			break;
		}
	}
	return bad;
}

/* SIGUSR1, blocked from the start: one sent early is pending, not lost. */
static sigset_t end_hold;

/* Hold the memory for @seconds or until SIGUSR1. */
static void hold_memory(unsigned int seconds)
{
	struct timespec left = { .tv_sec = seconds };

	printf("memtouch: holding\n");
	fflush(stdout);
	sigtimedwait(&end_hold, NULL, &left);
}

static int print_usage(void)
{
	fputs("usage: memtouch [-h SECONDS] MIB PASSES\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	unsigned int hold = 0;
	size_t pages, bad = 0;
	long mib, passes;
	uint64_t *mem;
	int opt;

	while ((opt = getopt(argc, argv, "h:")) != -1) {
		if (opt != 'h')
			return print_usage();
		hold = atoi(optarg);
	}
	if (argc - optind != 2)
		return print_usage();
	mib = atol(argv[optind]);
	passes = atol(argv[optind + 1]);
	if (mib <= 0 || passes <= 0)
		return print_usage();

	if (getrandom(&salt, sizeof(salt), 0) != sizeof(salt)) {
		perror("memtouch: getrandom");
		return 1;
	}
	sigemptyset(&end_hold);
	sigaddset(&end_hold, SIGUSR1);
	if (hold)
		sigprocmask(SIG_BLOCK, &end_hold, NULL);
	pages = (size_t)mib * (1 << 20) / PAGE;
	mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "memtouch: mmap: %s\n", strerror(errno));
		return 1;
	}
	for (long v = 1; v <= passes; v++) {
		if (v > 1)
			bad += check(mem, pages, v - 1);
		fill(mem, pages, v);
		if (v == 1 && hold)
			hold_memory(hold);
	}
	bad += check(mem, pages, passes);
	printf("memtouch: %zu pages, %ld passes, %zu bad\n", pages, passes, bad);
	return bad ? 1 : 0;
}
