// SPDX-License-Identifier: GPL-2.0
/*
 * tess_poke: read or change one field of a metadata image, for tests that
 * damage metadata on purpose (tests/integration/tess-check.sh).
 *
 *   tess_poke [--csum super|btree|index|bitmap|store] IMAGE BLOCK
 *             [OFFSET u8|le32|le64|entry [VALUE]]
 *
 * Without VALUE, prints the field (decimal).  With VALUE, writes it.
 * "entry" is the 2-bit count of entry OFFSET in a space map bitmap block.
 * --csum then recomputes the block's checksum as the kernel would for
 * that kind of block ("store": the store's superblock), so that only the
 * changed value is wrong.  Exit 0,
 * or 2 on bad arguments or an I/O error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tess-md.h"

struct poke {
	const char *image, *type;
	uint64_t block, offset, value;
	bool has_field, has_value;
	uint32_t csum_xor;
	bool csum;
};

static int help(void)
{
	fprintf(stderr,
		"usage: tess_poke [--csum super|btree|index|bitmap|store] IMAGE BLOCK [OFFSET u8|le32|le64|entry [VALUE]]\n");
	return 2;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && *s && !*end;
}

static bool parse_csum(const char *s, uint32_t *xor)
{
	static const struct { const char *name; uint32_t xor; } kinds[] = {
		{ "super", MD_SB_CSUM_XOR }, { "btree", BTREE_CSUM_XOR },
		{ "index", INDEX_CSUM_XOR }, { "bitmap", BITMAP_CSUM_XOR },
		{ "store", STORE_CSUM_XOR },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (!strcmp(s, kinds[i].name)) {
			*xor = kinds[i].xor;
			return true;
		}
	}
	return false;
}

static size_t field_size(const char *type)
{
	if (!strcmp(type, "u8") || !strcmp(type, "entry"))
		return 1;
	if (!strcmp(type, "le32"))
		return 4;
	if (!strcmp(type, "le64"))
		return 8;
	return 0;
}

static bool parse_args(int argc, char **argv, struct poke *p)
{
	static const struct option opts[] = {
		{ "csum", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	int c, n;

	memset(p, 0, sizeof(*p));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'c' || !parse_csum(optarg, &p->csum_xor))
			return false;
		p->csum = true;
	}
	n = argc - optind;
	if (n != 2 && n != 4 && n != 5)
		return false;
	p->image = argv[optind];
	if (!parse_u64(argv[optind + 1], &p->block))
		return false;
	if (n == 2)
		return true;
	p->has_field = true;
	p->type = argv[optind + 3];
	if (!parse_u64(argv[optind + 2], &p->offset) || !field_size(p->type))
		return false;
	if (!strcmp(p->type, "entry")) {
		if (p->offset >= ENTRIES_PER_BITMAP)
			return false;
	} else if (p->offset + field_size(p->type) > MD_BLOCK_SIZE) {
		return false;
	}
	p->has_value = n == 5;
	return !p->has_value || parse_u64(argv[optind + 4], &p->value);
}

static uint64_t get_field(const uint8_t *buf, const struct poke *p)
{
	uint64_t bit = 2 * p->offset;
	const uint8_t *bits = buf + sizeof(struct md_bitmap_header);

	if (!strcmp(p->type, "entry"))
		return ((bits[bit / 8] >> (bit % 8)) & 1) << 1 |
		       ((bits[(bit + 1) / 8] >> ((bit + 1) % 8)) & 1);
	if (!strcmp(p->type, "u8"))
		return buf[p->offset];
	if (!strcmp(p->type, "le32"))
		return md_le32(buf + p->offset);
	return md_le64(buf + p->offset);
}

static void set_bit(uint8_t *bits, uint64_t bit, bool on)
{
	if (on)
		bits[bit / 8] |= 1U << (bit % 8);
	else
		bits[bit / 8] &= ~(1U << (bit % 8));
}

static void set_field(uint8_t *buf, const struct poke *p)
{
	size_t i, size = field_size(p->type);

	if (!strcmp(p->type, "entry")) {
		set_bit(buf + sizeof(struct md_bitmap_header), 2 * p->offset,
			p->value & 2);
		set_bit(buf + sizeof(struct md_bitmap_header),
			2 * p->offset + 1, p->value & 1);
		return;
	}
	for (i = 0; i < size; i++)
		buf[p->offset + i] = p->value >> (8 * i);
}

static void set_csum(uint8_t *buf, uint32_t xor)
{
	uint32_t csum = md_block_csum(buf, xor);
	int i;

	for (i = 0; i < 4; i++)
		buf[i] = csum >> (8 * i);
}

static int io(int fd, uint8_t *buf, uint64_t block, bool write)
{
	off_t pos = block * MD_BLOCK_SIZE;
	ssize_t n = write ? pwrite(fd, buf, MD_BLOCK_SIZE, pos) :
			    pread(fd, buf, MD_BLOCK_SIZE, pos);

	if (n == MD_BLOCK_SIZE)
		return 0;
	fprintf(stderr, "tess_poke: %s of block %llu: %s\n",
		write ? "write" : "read", (unsigned long long)block,
		n < 0 ? strerror(errno) : "short");
	return 2;
}

/*
 * A block device is opened O_DIRECT (the kernel's metadata I/O bypasses
 * the page cache, which could hold stale blocks) and synced after a write.
 */
static int open_image(const char *path, bool write)
{
	struct stat st;
	int flags = write ? O_RDWR : O_RDONLY;

	if (!stat(path, &st) && S_ISBLK(st.st_mode))
		flags |= O_DIRECT;
	return open(path, flags);
}

int main(int argc, char **argv)
{
	static uint8_t buf[MD_BLOCK_SIZE] __aligned(MD_BLOCK_SIZE);
	struct poke p;
	bool write;
	int fd, ret;

	if (!parse_args(argc, argv, &p))
		return help();
	write = p.has_value || p.csum;
	fd = open_image(p.image, write);
	if (fd < 0) {
		fprintf(stderr, "tess_poke: %s: %s\n", p.image, strerror(errno));
		return 2;
	}
	ret = io(fd, buf, p.block, false);
	if (!ret && p.has_field && !p.has_value)
		printf("%llu\n", (unsigned long long)get_field(buf, &p));
	if (!ret && p.has_value)
		set_field(buf, &p);
	if (!ret && p.csum)
		set_csum(buf, p.csum_xor);
	if (!ret && write)
		ret = io(fd, buf, p.block, true);
	if (!ret && write && fsync(fd)) {
		fprintf(stderr, "tess_poke: %s: %s\n", p.image, strerror(errno));
		ret = 2;
	}
	if (close(fd) && !ret) {
		fprintf(stderr, "tess_poke: %s: %s\n", p.image, strerror(errno));
		ret = 2;
	}
	return ret;
}
