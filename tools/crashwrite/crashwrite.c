// SPDX-License-Identifier: GPL-2.0
/*
 * crashwrite: write stamped 4 KiB blocks to a disk, from host-swapped-out
 * and from resident pages, make them durable with fdatasync, and record
 * which writes were acknowledged before each sync; then, after a crash,
 * check that the disk still holds every one of them.
 *
 *   crashwrite run DEV RECORD FIRST BLOCKS WRITES SEED [OPTION...]
 *   crashwrite verify DEV RECORD [--sync N]
 *
 * run writes WRITES blocks (0: until killed) at random among BLOCKS
 * blocks of DEV from block FIRST, one O_DIRECT pwrite() of one page each,
 * in rounds of --sync-every K (default 8) writes.  Before a round the
 * pages are stamped and pushed out to swap (MADV_PAGEOUT, then waiting
 * for writeback, then the cgroup's memory.reclaim, as tools/swapwrite
 * does: run it in a memory cgroup of its own), except every
 * --plain-every P-th write's (default 3), which is stamped again after
 * that, so it is written from a resident, dirty page.  After each round,
 * fdatasync(DEV); when it returned, with --mark NAME, "dmsetup message
 * NAME 0 mark cw-N" inserts mark N (1, 2, ...) into the dm-log-writes
 * log NAME, and then the record gets "s N SEQ" and is fsync()ed: every
 * write up to SEQ was acknowledged before sync N.  --ready FILE creates
 * FILE once the first sync is recorded (for a watcher that then kills
 * the machine).
 *
 * The record is text: a header "crashwrite seed S first F blocks N
 * sync_every K", "w SEQ BLOCK KIND" before write SEQ is issued (KIND 1
 * swapped, 0 resident), "s N SEQ" after sync N, "end SEQ" when run ends.
 *
 * Each block is stamped whole: a magic, the seed, its block number, the
 * write's sequence number and kind, then words that follow from (seed,
 * block, sequence, index): a torn, stale or misplaced block is caught.
 *
 * verify reads the region back (O_DIRECT) and judges each block against
 * sync N of the record (default: the last one recorded; 0: none):
 * "lost" when it holds an older write than the last one acknowledged
 * before sync N (or zeroes); "corrupt" when it holds anything but zeroes
 * or a whole stamp of a write of that block that run issued (a record cut
 * short by a kill lets writes after its end through, up to K past the
 * last sync).  Newer writes than the acknowledged one are allowed.  It
 * prints "blocks N written W acked A lost L corrupt C newer X" (blocks
 * written at all, blocks with an acknowledged write, blocks reading a
 * newer write) and details of the first problems on stderr.
 *
 * Exits 0 on success, 1 on an I/O error or a lost or corrupt block,
 * 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../include/page-out.h"

#define PAGE		4096UL
#define WORDS		(PAGE / sizeof(unsigned long long))
#define CW_MAGIC	0x3177726873617263ULL	/* "crashwr1" */
#define HDR_WORDS	5
#define MAX_REPORTS	10

static unsigned long long mix(unsigned long long seed,
			      unsigned long long block, unsigned long long seq,
			      unsigned long long w)
{
	unsigned long long x = seed * 0x9e3779b97f4a7c15ULL ^ (block << 20) ^
		     (seq << 40) ^ (seq >> 24) ^ w;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 32);
}

static void stamp(unsigned long long *page, unsigned long long seed, unsigned long long block,
		  unsigned long long seq, unsigned long long kind)
{
	page[0] = CW_MAGIC;
	page[1] = seed;
	page[2] = block;
	page[3] = seq;
	page[4] = kind;
	for (size_t w = HDR_WORDS; w < WORDS; w++)
		page[w] = mix(seed, block, seq, w);
}

static unsigned long long rng_state;

static unsigned long long rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Swap @mem out and wait until it is written back; returns pages out. */
static size_t page_out(void *mem, size_t pages)
{
	return page_out_poll(mem, pages, 10, "crashwrite");
}

/* "dmsetup message @log 0 mark cw-@n": false if it failed. */
static int insert_mark(const char *log, unsigned long n)
{
	char name[32];
	pid_t pid;
	int status;

	snprintf(name, sizeof(name), "cw-%lu", n);
	pid = fork();
	if (pid < 0) {
		perror("crashwrite: fork");
		return 0;
	}
	if (!pid) {
		execlp("dmsetup", "dmsetup", "message", log, "0", "mark", name,
		       (char *)NULL);
		perror("crashwrite: dmsetup");
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "crashwrite: dmsetup message %s 0 mark %s failed\n",
			log, name);
		return 0;
	}
	return 1;
}

struct run_opts {
	unsigned long long first, blocks, writes, seed;
	size_t sync_every, plain_every;
	const char *mark, *ready;
};

/* Make the record durable: a kill may come at any moment. */
static int record_sync(FILE *rec)
{
	if (fflush(rec) || fsync(fileno(rec))) {
		perror("crashwrite: record");
		return 0;
	}
	return 1;
}

/* One round: stamp, swap out, write each page; false on an error. */
static int write_round(int fd, FILE *rec, unsigned long long *mem,
		       const struct run_opts *o, unsigned long long *seq, size_t n,
		       size_t *swapped)
{
	unsigned long long blocks[64], kinds[64];

	for (size_t i = 0; i < n; i++) {
		blocks[i] = o->first + rng() % o->blocks;
		kinds[i] = (*seq + i + 1) % o->plain_every ? 1 : 0;
		stamp(mem + i * WORDS, o->seed, blocks[i], *seq + i + 1,
		      kinds[i]);
	}
	page_out(mem, n);
	/* Resident pages: stamped again, so swapped in and dirty. */
	for (size_t i = 0; i < n; i++)
		if (!kinds[i])
			stamp(mem + i * WORDS, o->seed, blocks[i],
			      *seq + i + 1, 0);
	*swapped += count_swapped(mem, n);
	for (size_t i = 0; i < n; i++) {
		ssize_t r;

		*seq += 1;
		fprintf(rec, "w %llu %llu %llu\n", *seq,
			blocks[i], kinds[i]);
		r = pwrite(fd, mem + i * WORDS, PAGE, blocks[i] * PAGE);
		if (r != (ssize_t)PAGE) {
			fprintf(stderr,
				"crashwrite: write %llu to block %llu: %s\n",
				*seq, blocks[i],
				r < 0 ? strerror(errno) : "short");
			return 0;
		}
	}
	return 1;
}

static int do_run(const char *dev, const char *record,
		  const struct run_opts *o)
{
	size_t swapped = 0, plain = 0;
	unsigned long syncs = 0;
	unsigned long long seq = 0, *mem;
	FILE *rec;
	int fd;

	fd = open(dev, O_RDWR | O_DIRECT);
	rec = fopen(record, "w");
	if (fd < 0 || !rec) {
		fprintf(stderr, "crashwrite: %s: %s\n", fd < 0 ? dev : record,
			strerror(errno));
		return 1;
	}
	mem = mmap(NULL, o->sync_every * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("crashwrite: mmap");
		return 1;
	}
	fprintf(rec,
		"crashwrite seed %llu first %llu blocks %llu sync_every %zu\n",
		o->seed, o->first, o->blocks,
		o->sync_every);
	if (!record_sync(rec))
		return 1;
	while (!o->writes || seq < o->writes) {
		size_t n = o->sync_every;

		if (o->writes && o->writes - seq < n)
			n = o->writes - seq;
		if (!write_round(fd, rec, mem, o, &seq, n, &swapped))
			return 1;
		if (fdatasync(fd)) {
			perror("crashwrite: fdatasync");
			return 1;
		}
		syncs++;
		if (o->mark && !insert_mark(o->mark, syncs))
			return 1;
		fprintf(rec, "s %lu %llu\n", syncs, seq);
		if (!record_sync(rec))
			return 1;
		if (o->ready && syncs == 1)
			close(open(o->ready, O_WRONLY | O_CREAT, 0644));
	}
	for (unsigned long long s = 1; s <= seq; s++)
		plain += !(s % o->plain_every);
	fprintf(rec, "end %llu\n", seq);
	if (!record_sync(rec) || fclose(rec))
		return 1;
	printf("writes %llu swapped %zu plain %zu syncs %lu\n", seq,
	       swapped, plain, syncs);
	return 0;
}

/* What the record says: every write's block, and the syncs. */
struct record {
	unsigned long long seed, first, blocks, sync_every;
	unsigned long long nr_writes;	/* writes recorded: seq 1..nr_writes */
	unsigned long long *block_of;	/* [seq]: the block write seq went to */
	unsigned long long nr_syncs;
	unsigned long long *sync_seq;	/* [n]: last write acknowledged before sync n */
	int ended;		/* "end" seen: the record is whole */
};

static int push(unsigned long long **v, unsigned long long *cap,
		unsigned long long i, unsigned long long x)
{
	if (i >= *cap) {
		unsigned long long *n;

		*cap = *cap ? *cap * 2 : 1024;
		n = realloc(*v, *cap * sizeof(**v));
		if (!n)
			return 0;
		*v = n;
	}
	(*v)[i] = x;
	return 1;
}

static int read_record(const char *path, struct record *r)
{
	unsigned long long wcap = 0, scap = 0, a, b, c;
	char line[256];
	FILE *f = fopen(path, "r");

	memset(r, 0, sizeof(*r));
	if (!f || !fgets(line, sizeof(line), f) ||
	    sscanf(line, "crashwrite seed %llu first %llu blocks %llu sync_every %llu", &r->seed,
		   &r->first, &r->blocks, &r->sync_every) != 4) {
		fprintf(stderr, "crashwrite: %s: not a record\n", path);
		return 0;
	}
	if (!push(&r->block_of, &wcap, 0, 0) || !push(&r->sync_seq, &scap, 0, 0))
		return 0;
	/* A line cut by a kill has no newline: the record ends before it. */
	while (fgets(line, sizeof(line), f) && strchr(line, '\n')) {
		if (sscanf(line, "w %llu %llu %llu", &a, &b,
			   &c) == 3 && a == r->nr_writes + 1) {
			if (!push(&r->block_of, &wcap, a, b))
				return 0;
			r->nr_writes = a;
		} else if (sscanf(line, "s %llu %llu", &a, &b) == 2 &&
			   a == r->nr_syncs + 1 && b <= r->nr_writes) {
			if (!push(&r->sync_seq, &scap, a, b))
				return 0;
			r->nr_syncs = a;
		} else if (sscanf(line, "end %llu", &a) == 1 &&
			   a == r->nr_writes) {
			r->ended = 1;
		} else {
			fprintf(stderr, "crashwrite: %s: bad line: %s", path, line);
			return 0;
		}
	}
	fclose(f);
	return 1;
}

/*
 * The write a block holds: 0 for zeroes, its sequence number for a whole
 * stamp of @block by this run, or -1 for anything else.
 */
static long long block_holds(const unsigned long long *page,
			     const struct record *r, unsigned long long block)
{
	size_t w;

	for (w = 0; w < WORDS && !page[w]; w++)
		;
	if (w == WORDS)
		return 0;
	if (page[0] != CW_MAGIC || page[1] != r->seed || page[2] != block ||
	    !page[3] || page[4] > 1)
		return -1;
	for (w = HDR_WORDS; w < WORDS; w++)
		if (page[w] != mix(r->seed, block, page[3], w))
			return -1;
	return (long long)page[3];
}

/* Did this run issue write @seq to @block, as far as the record knows? */
static int was_written(const struct record *r, unsigned long long seq, unsigned long long block)
{
	unsigned long long last_sync = r->sync_seq[r->nr_syncs];

	if (seq <= r->nr_writes)
		return r->block_of[seq] == block;
	/* Past a record a kill cut short: at most one round of writes. */
	return !r->ended && seq <= last_sync + r->sync_every;
}

struct verdict {
	unsigned long long written, acked, lost, corrupt, newer;
};

static void judge(const struct record *r, unsigned long long block, long long holds,
		  unsigned long long acked, struct verdict *v)
{
	const char *what = NULL;

	if (holds < 0) {
		v->corrupt++;
		what = "corrupt: not a stamp of this block";
	} else if (holds && !was_written(r, holds, block)) {
		v->corrupt++;
		what = "corrupt: a write this block never got";
	} else if ((unsigned long long)holds < acked) {
		v->lost++;
		what = "lost: an older write than the acknowledged one";
	} else if ((unsigned long long)holds > acked) {
		v->newer++;
	}
	if (what && v->lost + v->corrupt <= MAX_REPORTS)
		fprintf(stderr,
			"crashwrite: block %llu: %s (holds %lld, acknowledged %llu)\n",
			block, what, holds, acked);
}

static int do_verify(const char *dev, const char *record, long long sync)
{
	const unsigned long long chunk = 256;
	struct verdict v = { 0 };
	unsigned long long *acked, *last, *buf;
	struct record r;
	int fd;

	if (!read_record(record, &r))
		return 1;
	if (sync < 0)
		sync = r.nr_syncs;
	if ((unsigned long long)sync > r.nr_syncs) {
		fprintf(stderr, "crashwrite: the record has %llu syncs, not %lld\n",
			r.nr_syncs, sync);
		return 2;
	}
	acked = calloc(r.blocks, sizeof(*acked));
	last = calloc(r.blocks, sizeof(*last));
	if (!acked || !last || posix_memalign((void **)&buf, PAGE, chunk * PAGE))
		return 1;
	for (unsigned long long s = 1; s <= r.nr_writes; s++) {
		unsigned long long b = r.block_of[s] - r.first;

		if (b >= r.blocks) {
			fprintf(stderr, "crashwrite: write %llu outside the region\n", s);
			return 1;
		}
		last[b] = s;
		if (s <= r.sync_seq[sync])
			acked[b] = s;
	}
	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0) {
		fprintf(stderr, "crashwrite: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	for (unsigned long long b = 0; b < r.blocks; b += chunk) {
		unsigned long long n = r.blocks - b < chunk ? r.blocks - b : chunk;
		ssize_t got = pread(fd, buf, n * PAGE, (r.first + b) * PAGE);

		if (got != (ssize_t)(n * PAGE)) {
			fprintf(stderr, "crashwrite: read of blocks %llu..: %s\n",
				r.first + b, got < 0 ? strerror(errno) : "short");
			return 1;
		}
		for (unsigned long long i = 0; i < n; i++) {
			v.written += !!last[b + i];
			v.acked += !!acked[b + i];
			judge(&r, r.first + b + i,
			      block_holds(buf + i * WORDS, &r, r.first + b + i),
			      acked[b + i], &v);
		}
	}
	printf("blocks %llu written %llu acked %llu lost %llu corrupt %llu newer %llu\n", r.blocks,
	       v.written, v.acked, v.lost, v.corrupt, v.newer);
	return v.lost || v.corrupt ? 1 : 0;
}

static int number(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && *s && !*end && *s != '-';
}

static int print_usage(void)
{
	fprintf(stderr,
		"usage: crashwrite run DEV RECORD FIRST BLOCKS WRITES SEED\n"
		"         [--sync-every K] [--plain-every P] [--mark LOG] [--ready FILE]\n"
		"       crashwrite verify DEV RECORD [--sync N]\n");
	return 2;
}

static int parse_run(int argc, char **argv, struct run_opts *o)
{
	unsigned long long x;

	if (argc < 8 || !number(argv[4], &o->first) ||
	    !number(argv[5], &o->blocks) || !number(argv[6], &o->writes) ||
	    !number(argv[7], &o->seed) || !o->blocks)
		return 0;
	o->sync_every = 8;
	o->plain_every = 3;
	for (int i = 8; i < argc; i += 2) {
		const char *name = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			return 0;
		if (!strcmp(name, "--mark"))
			o->mark = val;
		else if (!strcmp(name, "--ready"))
			o->ready = val;
		else if (!number(val, &x) || !x)
			return 0;
		else if (!strcmp(name, "--sync-every") && x <= 64)
			o->sync_every = x;
		else if (!strcmp(name, "--plain-every"))
			o->plain_every = x;
		else
			return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct run_opts o = { 0 };
	unsigned long long n;

	if (argc >= 2 && !strcmp(argv[1], "run")) {
		if (!parse_run(argc, argv, &o))
			return print_usage();
		rng_state = o.seed * 0x2545f4914f6cdd1dULL + 1;
		return do_run(argv[2], argv[3], &o);
	}
	if (argc == 4 && !strcmp(argv[1], "verify"))
		return do_verify(argv[2], argv[3], -1);
	if (argc == 6 && !strcmp(argv[1], "verify") &&
	    !strcmp(argv[4], "--sync") && number(argv[5], &n))
		return do_verify(argv[2], argv[3], (long long)n);
	return print_usage();
}
