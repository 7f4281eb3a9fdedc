// SPDX-License-Identifier: GPL-2.0
/*
 * tess_dump: print a tesseract pool's metadata, as thin_dump does for
 * dm-thin's.
 *
 *   tess_dump [--format text|xml] <metadata dev or image>
 *
 * The superblock's fields and the blocks each space map counts in use,
 * then every disk and its remaps, runs of consecutive disk blocks on
 * consecutive store blocks coalesced.  Text:
 *
 *   uuid 0f1e...             one "name value" line per field
 *   ...
 *   disk <id> mapped_blocks <n>
 *     <disk block> <store block> <length>
 *
 * XML, shaped like thin_dump's:
 *
 *   <superblock uuid="..." transaction="..." ...>
 *     <disk disk_id="1" mapped_blocks="3">
 *       <range_mapping origin_begin="0" store_begin="9" length="2"/>
 *       <single_mapping origin_block="7" store_block="4"/>
 *     </disk>
 *   </superblock>
 *
 * Damage found on the way (a bad checksum, keys out of order...) is
 * reported on stderr and what it hides is left out.  Exit 0: dumped;
 * 1: damaged (what could be read was dumped); 2: bad arguments or an I/O
 * error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tess-md.h"

struct run {
	uint64_t block, store, len;
};

/* The disk being dumped: its runs, printed once it is walked whole. */
struct dump {
	bool xml;
	bool open;			/* a disk is being collected */
	uint32_t id;
	uint64_t mapped;
	struct run *runs;
	size_t nr_runs, cap;
};

static void print_super(struct md *md, bool xml)
{
	const struct md_super *sb = &md->sb;
	struct md_sm_root msm, ssm;
	char uuid[40];

	md_uuid_str(sb->uuid, uuid);
	md_sm_root(sb->metadata_space_map_root, &msm);
	md_sm_root(sb->store_space_map_root, &ssm);
	if (xml) {
		printf("<superblock uuid=\"%s\" version=\"%u\" flags=\"%u\"",
		       uuid, sb->version, sb->flags);
		printf(" transaction=\"%llu\" block_size=\"%u\" nr_blocks=\"%llu\"",
		       (unsigned long long)sb->trans_id, sb->block_size,
		       (unsigned long long)sb->nr_blocks);
		printf(" metadata_used=\"%llu\" store_block_size=\"%u\"",
		       (unsigned long long)msm.nr_allocated,
		       sb->store_block_size);
		printf(" nr_store_blocks=\"%llu\" store_used=\"%llu\" nr_disks=\"%u\">\n",
		       (unsigned long long)sb->store_nr_blocks,
		       (unsigned long long)ssm.nr_allocated, sb->nr_disks);
		return;
	}
	printf("uuid %s\nversion %u\nflags %u%s\ntransaction %llu\n",
	       uuid, sb->version, sb->flags,
	       sb->flags & MD_NEEDS_CHECK ? " needs_check" : "",
	       (unsigned long long)sb->trans_id);
	printf("block_size %u\nnr_blocks %llu\nmetadata_used %llu\n",
	       sb->block_size, (unsigned long long)sb->nr_blocks,
	       (unsigned long long)msm.nr_allocated);
	printf("store_block_size %u\nnr_store_blocks %llu\nstore_used %llu\nnr_disks %u\n",
	       sb->store_block_size, (unsigned long long)sb->store_nr_blocks,
	       (unsigned long long)ssm.nr_allocated, sb->nr_disks);
}

static void print_run(const struct run *r, bool xml)
{
	unsigned long long b = r->block, s = r->store, n = r->len;

	if (!xml)
		printf("  %llu %llu %llu\n", b, s, n);
	else if (n == 1)
		printf("    <single_mapping origin_block=\"%llu\" store_block=\"%llu\"/>\n",
		       b, s);
	else
		printf("    <range_mapping origin_begin=\"%llu\" store_begin=\"%llu\"%s%llu\"/>\n",
		       b, s, " length=\"", n);
}

static void flush_disk(struct dump *d)
{
	size_t i;

	if (!d->open)
		return;
	if (d->xml)
		printf("  <disk disk_id=\"%u\" mapped_blocks=\"%llu\">\n",
		       d->id, (unsigned long long)d->mapped);
	else
		printf("disk %u mapped_blocks %llu\n", d->id,
		       (unsigned long long)d->mapped);
	for (i = 0; i < d->nr_runs; i++)
		print_run(&d->runs[i], d->xml);
	if (d->xml)
		printf("  </disk>\n");
	d->open = false;
}

static int dump_disk(struct md *md, void *arg, uint32_t id)
{
	struct dump *d = arg;

	(void)md;
	flush_disk(d);
	d->open = true;
	d->id = id;
	d->mapped = 0;
	d->nr_runs = 0;
	return 0;
}

static int dump_remap(struct md *md, void *arg, uint32_t id, uint64_t block,
		      uint64_t store)
{
	struct dump *d = arg;
	struct run *r = d->nr_runs ? &d->runs[d->nr_runs - 1] : NULL;

	(void)md;
	(void)id;
	d->mapped++;
	if (r && r->block + r->len == block && r->store + r->len == store) {
		r->len++;
		return 0;
	}
	if (d->nr_runs == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 256;
		d->runs = realloc(d->runs, d->cap * sizeof(*d->runs));
		if (!d->runs) {
			fprintf(stderr, "tess_dump: out of memory\n");
			exit(2);
		}
	}
	d->runs[d->nr_runs++] = (struct run){ block, store, 1 };
	return 0;
}

static void help(FILE *f)
{
	fprintf(f, "usage: tess_dump [--format text|xml] <metadata dev or image>\n");
}

/* Returns 0 and sets *@xml, or 2 after printing the usage. */
static int parse_args(int argc, char **argv, bool *xml)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	*xml = false;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		if (c == 'f' && !strcmp(optarg, "xml")) {
			*xml = true;
		} else if (c != 'f' || strcmp(optarg, "text")) {
			help(c == 'h' ? stdout : stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		help(stderr);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct dump d = { 0 };
	struct md_remap_walk rw = { .disk = dump_disk, .remap = dump_remap,
				    .arg = &d };
	struct md md;
	int ret;

	if (parse_args(argc, argv, &d.xml))
		return 2;
	ret = md_open(&md, "tess_dump", argv[optind]);
	if (!ret) {
		print_super(&md, d.xml);
		md_walk_remaps(&md, &rw);
		flush_disk(&d);
		if (d.xml)
			printf("</superblock>\n");
		ret = md.errors ? 1 : 0;
	}
	md_close(&md);
	free(d.runs);
	return ret;
}
