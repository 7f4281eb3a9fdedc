// SPDX-License-Identifier: GPL-2.0
/*
 * log-replay: read a dm-log-writes log and replay it onto a device, to
 * build the disk image of a crash at any point of the log.
 *
 *   log-replay list LOG
 *   log-replay replay LOG TARGET FROM OFFSET TO
 *   log-replay serve LOG TARGET
 *
 * The log format is drivers/md/dm-log-writes.c's: a super in sector 0
 * (magic, version, number of entries, sector size), then each entry, one
 * sector of header (sector, nr_sectors, flags, data_len; a mark's text
 * follows the header in that sector) and then, for a write, its
 * nr_sectors sectors of data.  Sectors are of the logged device's sector
 * size.  dm-log-writes logs a write only once a flush that followed its
 * completion completed (or at once for FUA), so a prefix of the log is a
 * state the disk could have been left in by a crash.
 *
 * list prints "entries N sectorsize S", then one line per entry:
 * "INDEX OFFSET SECTOR NR_SECTORS FLAGS [MARK]", OFFSET the byte offset of
 * the entry's header in LOG, FLAGS the letters F (flush), U (FUA),
 * D (discard), M (mark), T (metadata), or "-".
 *
 * replay applies entries FROM..TO-1 (OFFSET: where entry FROM starts, as
 * list printed it; 0 and the sector size for the first) onto TARGET:
 * writes are written, discards are written as zeroes, flushes and marks
 * change nothing.  Then it syncs TARGET and prints "next OFFSET", the
 * offset of entry TO, so that replay can go on from there.  TO may be at
 * most the log's number of entries.
 *
 * serve replays forward from entry 0 as its standard input asks: for each
 * line "TO" it applies the entries up to TO-1 not applied yet, syncs, and
 * answers "at TO" (or exits 1); it saves a process per crash point.
 *
 * Exits 0 on success, 1 on a damaged or short log or an I/O error,
 * 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_FLUSH_FLAG		0x01
#define LOG_FUA_FLAG		0x02
#define LOG_DISCARD_FLAG	0x04
#define LOG_MARK_FLAG		0x08
#define LOG_METADATA_FLAG	0x10

#define WRITE_LOG_VERSION	1ULL
#define WRITE_LOG_MAGIC		0x6a736677736872ULL

/* On disk, little endian (struct log_write_super of dm-log-writes.c). */
struct log_super {
	uint64_t magic;
	uint64_t version;
	uint64_t nr_entries;
	uint32_t sectorsize;
};

/* On disk, little endian (struct log_write_entry). */
struct log_entry {
	uint64_t sector;
	uint64_t nr_sectors;
	uint64_t flags;
	uint64_t data_len;
};

struct replay_log {
	int fd;
	unsigned long long nr_entries;
	uint32_t sectorsize;
	char *sector_buf;	/* one sector: an entry's header */
};

/* An entry's header, in host order, and its mark text if it is one. */
struct entry {
	unsigned long long sector;
	unsigned long long nr_sectors;
	unsigned long long flags;
	char mark[512];
};

static int read_all(int fd, void *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, off);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return n < 0 ? -errno : -EIO;
		}
		buf = (char *)buf + n;
		len -= n;
		off += n;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return n < 0 ? -errno : -EIO;
		}
		buf = (const char *)buf + n;
		len -= n;
		off += n;
	}
	return 0;
}

static int open_log(struct replay_log *log, const char *path)
{
	struct log_super super;
	int r;

	log->fd = open(path, O_RDONLY);
	if (log->fd < 0) {
		fprintf(stderr, "log-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	r = read_all(log->fd, &super, sizeof(super), 0);
	if (r) {
		fprintf(stderr, "log-replay: %s: reading the super: %s\n", path,
			strerror(-r));
		return -1;
	}
	if (le64toh(super.magic) != WRITE_LOG_MAGIC ||
	    le64toh(super.version) != WRITE_LOG_VERSION) {
		fprintf(stderr,
			"log-replay: %s: not a dm-log-writes log (magic %#llx version %llu)\n",
			path,
			(unsigned long long)le64toh(super.magic),
			(unsigned long long)le64toh(super.version));
		return -1;
	}
	log->nr_entries = le64toh(super.nr_entries);
	log->sectorsize = le32toh(super.sectorsize);
	if (log->sectorsize < 512 || log->sectorsize > 65536 ||
	    log->sectorsize & (log->sectorsize - 1)) {
		fprintf(stderr, "log-replay: %s: bad sector size %u\n", path,
			log->sectorsize);
		return -1;
	}
	log->sector_buf = malloc(log->sectorsize);
	return log->sector_buf ? 0 : -1;
}

/*
 * Read the header of the entry at byte @off into @e; on success return
 * the offset of the next entry, else -1 (said why).
 */
static off_t read_entry(struct replay_log *log, off_t off, unsigned long long index,
			struct entry *e)
{
	struct log_entry raw;
	unsigned long long data_len;
	int r;

	r = read_all(log->fd, log->sector_buf, log->sectorsize, off);
	if (r) {
		fprintf(stderr, "log-replay: entry %llu at %jd: %s\n",
			index, (intmax_t)off, strerror(-r));
		return -1;
	}
	memcpy(&raw, log->sector_buf, sizeof(raw));
	e->sector = le64toh(raw.sector);
	e->nr_sectors = le64toh(raw.nr_sectors);
	e->flags = le64toh(raw.flags);
	data_len = le64toh(raw.data_len);
	e->mark[0] = 0;
	if (e->flags & ~0x1fULL || e->nr_sectors > (1ULL << 32)) {
		fprintf(stderr,
			"log-replay: entry %llu at %jd is damaged (flags %#llx, %llu sectors)\n",
			index, (intmax_t)off,
			e->flags, e->nr_sectors);
		return -1;
	}
	if (e->flags & LOG_MARK_FLAG) {
		size_t max = log->sectorsize - sizeof(raw);

		if (data_len >= max || data_len >= sizeof(e->mark)) {
			fprintf(stderr, "log-replay: entry %llu: mark of %llu bytes\n",
				index, data_len);
			return -1;
		}
		memcpy(e->mark, log->sector_buf + sizeof(raw), data_len);
		e->mark[data_len] = 0;
	}
	off += log->sectorsize;
	/* A discard logs its range but no data. */
	if (!(e->flags & LOG_DISCARD_FLAG))
		off += e->nr_sectors * log->sectorsize;
	return off;
}

static void flag_letters(unsigned long long flags, char *buf)
{
	static const char letters[] = "FUDMT";
	char *p = buf;

	for (int i = 0; letters[i]; i++)
		if (flags & (1ULL << i))
			*p++ = letters[i];
	if (p == buf)
		*p++ = '-';
	*p = 0;
}

static int do_list(struct replay_log *log)
{
	struct entry e;
	off_t off = log->sectorsize, next;
	char flags[8];

	printf("entries %llu sectorsize %u\n", log->nr_entries,
	       log->sectorsize);
	for (unsigned long long i = 0; i < log->nr_entries; i++) {
		next = read_entry(log, off, i, &e);
		if (next < 0)
			return 1;
		flag_letters(e.flags, flags);
		printf("%llu %jd %llu %llu %s%s%s\n", i,
		       (intmax_t)off, e.sector, e.nr_sectors, flags,
		       e.mark[0] ? " " : "", e.mark);
		off = next;
	}
	return fflush(stdout) ? 1 : 0;
}

/*
 * Zero @len bytes of @fd at @off, through the page cache like every other
 * write of the replay (BLKZEROOUT would go around it).
 */
static int zero_range(int fd, unsigned long long off, unsigned long long len)
{
	static char zeroes[65536];

	while (len) {
		size_t n = len < sizeof(zeroes) ? len : sizeof(zeroes);
		int r = write_all(fd, zeroes, n, off);

		if (r)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

/* Copy the data of a write entry (at @off in the log) onto the target. */
static int replay_write(struct replay_log *log, int fd, off_t off,
			const struct entry *e)
{
	static char buf[1 << 20];
	unsigned long long len = e->nr_sectors * log->sectorsize;
	unsigned long long to = e->sector * log->sectorsize;
	int r;

	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		r = read_all(log->fd, buf, n, off);
		if (r) {
			fprintf(stderr, "log-replay: log data at %jd: %s\n",
				(intmax_t)off, strerror(-r));
			return -1;
		}
		r = write_all(fd, buf, n, to);
		if (r) {
			fprintf(stderr, "log-replay: target at %llu: %s\n", to,
				strerror(-r));
			return -1;
		}
		off += n;
		to += n;
		len -= n;
	}
	return 0;
}

static int number(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && *s && !*end && *s != '-';
}

/* Apply entries @from..@to-1, the first at @off; returns the next offset. */
static off_t apply(struct replay_log *log, int fd, unsigned long long size,
		   unsigned long long from, off_t off, unsigned long long to)
{
	struct entry e;
	off_t next;

	for (unsigned long long i = from; i < to; i++) {
		unsigned long long end;
		int r;

		next = read_entry(log, off, i, &e);
		if (next < 0)
			return -1;
		if (!e.nr_sectors || e.flags & LOG_MARK_FLAG) {
			off = next;
			continue;
		}
		end = (e.sector + e.nr_sectors) * log->sectorsize;
		if (end > size || end / log->sectorsize < e.sector) {
			fprintf(stderr,
				"log-replay: entry %llu ends at byte %llu, past the target\n",
				i, end);
			return -1;
		}
		if (e.flags & LOG_DISCARD_FLAG)
			r = zero_range(fd, e.sector * log->sectorsize,
				       e.nr_sectors * log->sectorsize);
		else
			r = replay_write(log, fd, off + log->sectorsize, &e);
		if (r) {
			fprintf(stderr, "log-replay: entry %llu failed\n", i);
			return -1;
		}
		off = next;
	}
	if (fdatasync(fd)) {
		fprintf(stderr, "log-replay: sync: %s\n", strerror(errno));
		return -1;
	}
	return off;
}

/* Open the target; its size in @size (a file: no limit). */
static int open_target(const char *target, unsigned long long *size)
{
	struct stat st;
	int fd = open(target, O_RDWR);

	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "log-replay: %s: %s\n", target, strerror(errno));
		return -1;
	}
	*size = ~0ULL;
	if (S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, size)) {
		fprintf(stderr, "log-replay: %s: %s\n", target, strerror(errno));
		return -1;
	}
	return fd;
}

static int do_replay(struct replay_log *log, const char *target,
		     unsigned long long from, off_t off, unsigned long long to)
{
	unsigned long long size;
	int fd;

	if (from > to || to > log->nr_entries ||
	    off < (off_t)log->sectorsize || off % log->sectorsize) {
		fprintf(stderr,
			"log-replay: bad range %llu..%llu at %jd (%llu entries)\n",
			from, to, (intmax_t)off, log->nr_entries);
		return 2;
	}
	fd = open_target(target, &size);
	if (fd < 0)
		return 1;
	off = apply(log, fd, size, from, off, to);
	if (off < 0 || close(fd))
		return 1;
	printf("next %jd\n", (intmax_t)off);
	return fflush(stdout) ? 1 : 0;
}

static int do_serve(struct replay_log *log, const char *target)
{
	unsigned long long size, at = 0, to;
	off_t off = log->sectorsize;
	char line[64];
	int fd = open_target(target, &size);

	if (fd < 0)
		return 1;
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = 0;
		if (!number(line, &to) || to < at || to > log->nr_entries) {
			fprintf(stderr, "log-replay: cannot replay to %s\n", line);
			return 1;
		}
		off = apply(log, fd, size, at, off, to);
		if (off < 0)
			return 1;
		at = to;
		printf("at %llu\n", at);
		if (fflush(stdout))
			return 1;
	}
	return close(fd) ? 1 : 0;
}

static int print_usage(void)
{
	fprintf(stderr, "usage: log-replay list LOG\n"
		"       log-replay replay LOG TARGET FROM OFFSET TO\n"
		"       log-replay serve LOG TARGET\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct replay_log log;
	unsigned long long from, off, to;

	if (argc == 3 && !strcmp(argv[1], "list")) {
		if (open_log(&log, argv[2]))
			return 1;
		return do_list(&log);
	}
	if (argc == 7 && !strcmp(argv[1], "replay")) {
		if (!number(argv[4], &from) || !number(argv[5], &off) ||
		    !number(argv[6], &to))
			return print_usage();
		if (open_log(&log, argv[2]))
			return 1;
		return do_replay(&log, argv[3], from, off, to);
	}
	if (argc == 4 && !strcmp(argv[1], "serve")) {
		if (open_log(&log, argv[2]))
			return 1;
		return do_serve(&log, argv[3]);
	}
	return print_usage();
}
