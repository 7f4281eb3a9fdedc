// SPDX-License-Identifier: GPL-2.0
/*
 * Table-driven crc32c, reflected polynomial 0x82f63b78, one byte a step.
 * Metadata blocks are few and small; speed does not matter here.
 */
#include "crc32c.h"

#define CRC32C_POLY	0x82f63b78u

static uint32_t table[256];
static int table_ready;

static void crc32c_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ ((c & 1) ? CRC32C_POLY : 0);
		table[i] = c;
	}
	table_ready = 1;
}

uint32_t crc32c(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (!table_ready)
		crc32c_init();
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}
