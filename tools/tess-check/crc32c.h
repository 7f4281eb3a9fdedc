/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crc32c (Castagnoli), as the kernel's crc32c() computes it: the caller
 * passes the seed, no final inversion.
 */
#ifndef TESS_CHECK_CRC32C_H
#define TESS_CHECK_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
