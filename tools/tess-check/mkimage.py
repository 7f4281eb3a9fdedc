#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write a small, valid pool metadata image for tess_check's self-test.

    mkimage.py IMAGE

Independent of the kernel: it writes the layout tools/tess-check/tess-md.h
describes (dm-persistent-data's btree nodes and space maps, the pool's
superblock), so the self-test can run on the host.  The kernel's own
output is checked in tests/integration/tess-check.sh.

Contents: 256 metadata blocks, a store of 40000 blocks (three bitmaps),
disk 1 with a few remaps (one store block shared by disk 1 and disk 7
three times over, to use the ref-count tree; one in the last bitmap),
disk 7 with 600 remaps (a two-level subtree).
"""
import struct
import sys

BS = 4096
EPB = (BS - 16) * 4
SB_XOR, BTREE_XOR, INDEX_XOR, BITMAP_XOR = 0x54e55a6d, 121107, 160478, 240779
META_BLOCKS, STORE_BLOCKS = 256, 40000


def crc_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82f63b78 if c & 1 else 0)
        t.append(c)
    return t


TABLE = crc_table()


def csum(block, xor):
    c = 0xffffffff
    for b in block[4:]:
        c = TABLE[(c ^ b) & 0xff] ^ (c >> 8)
    return c ^ xor


def sealed(block, xor):
    block[0:4] = struct.pack('<I', csum(block, xor))
    return block


def node(loc, leaf, keys, values, vsize):
    maxe = (BS - 32) // (8 + vsize) // 3 * 3
    b = bytearray(BS)
    struct.pack_into('<IIQIIII', b, 0, 0, 2 if leaf else 1, loc, len(keys),
                     maxe, vsize, 0)
    for i, k in enumerate(keys):
        struct.pack_into('<Q', b, 32 + 8 * i, k)
    base = 32 + 8 * maxe
    for i, v in enumerate(values):
        b[base + vsize * i:base + vsize * (i + 1)] = v
    return sealed(b, BTREE_XOR)


class Image:
    def __init__(self):
        self.blocks = {}
        self.next = 1

    def alloc(self):
        self.next += 1
        return self.next - 1

    def tree(self, items, vsize):
        """A btree of (key, value bytes), leaves of up to 100 entries."""
        items = sorted(items)
        level = []
        for i in range(0, max(len(items), 1), 100):
            chunk = items[i:i + 100]
            loc = self.alloc()
            self.blocks[loc] = node(loc, True, [k for k, _ in chunk],
                                    [v for _, v in chunk], vsize)
            level.append((chunk[0][0] if chunk else 0, loc))
        while len(level) > 1:
            up = []
            for i in range(0, len(level), 100):
                chunk = level[i:i + 100]
                loc = self.alloc()
                self.blocks[loc] = node(
                    loc, False, [k for k, _ in chunk],
                    [struct.pack('<Q', c) for _, c in chunk], 8)
                up.append((chunk[0][0], loc))
            level = up
        return level[0][1]


def bitmap(loc, counts, first):
    b = bytearray(BS)
    struct.pack_into('<IIQ', b, 0, 0, 0, loc)
    free = 0
    for j in range(EPB):
        v = min(counts.get(first + j, 0), 3)
        if not v:
            free += 1
        bit = 2 * j
        if v & 2:
            b[16 + bit // 8] |= 1 << (bit % 8)
        if v & 1:
            b[16 + (bit + 1) // 8] |= 1 << ((bit + 1) % 8)
    return sealed(b, BITMAP_XOR), free


def remaps():
    disks = {1: {0: 1, 1: 2, 2: 3, 10: 20, 11: 500, 12: STORE_BLOCKS - 1}}
    disks[7] = {100 + i: 100 + i for i in range(600)}
    disks[7][50] = 500
    disks[7][51] = 500
    return disks


def sm_root(nr, alloc, bitmap_root, rc_root):
    return struct.pack('<QQQQ', nr, alloc, bitmap_root, rc_root).ljust(128,
                                                                       b'\0')


def main():
    img = Image()
    disks = remaps()
    subtrees = {d: img.tree([(k, struct.pack('<Q', v))
                             for k, v in m.items()], 8)
                for d, m in disks.items()}
    remap_root = img.tree([(d, struct.pack('<Q', r))
                           for d, r in subtrees.items()], 8)
    refs = {}
    for m in disks.values():
        for v in m.values():
            refs[v] = refs.get(v, 0) + 1
    big = [(k, struct.pack('<I', v)) for k, v in refs.items() if v > 2]
    s_rc = img.tree(big, 4)
    entries = []
    for i in range((STORE_BLOCKS + EPB - 1) // EPB):
        loc = img.alloc()
        img.blocks[loc], free = bitmap(loc, refs, i * EPB)
        entries.append((i, struct.pack('<QII', loc, free, 0)))
    s_index = img.tree(entries, 16)
    m_rc = img.tree([], 4)
    m_index, m_bm = img.alloc(), img.alloc()
    used = {b: 1 for b in list(img.blocks) + [0, m_index, m_bm]}
    img.blocks[m_bm], m_free = bitmap(m_bm, used, 0)
    ix = bytearray(BS)
    struct.pack_into('<IIQQII', ix, 0, 0, 0, m_index, m_bm, m_free, 0)
    img.blocks[m_index] = sealed(ix, INDEX_XOR)

    sb = bytearray(BS)
    struct.pack_into('<IIQ16sQIIQQQII', sb, 0, 0, 0, 0,
                     bytes(range(16)), 0x6174656d73736574, 1, 8,
                     META_BLOCKS, 42, STORE_BLOCKS, 8, len(disks))
    sb[80:208] = sm_root(META_BLOCKS, len(used), m_index, m_rc)
    sb[208:336] = sm_root(STORE_BLOCKS, len(refs), s_index, s_rc)
    struct.pack_into('<Q', sb, 336, remap_root)
    img.blocks[0] = sealed(sb, SB_XOR)

    with open(sys.argv[1], 'wb') as f:
        f.truncate(META_BLOCKS * BS)
        for loc, b in img.blocks.items():
            f.seek(loc * BS)
            f.write(b)


if __name__ == '__main__':
    main()
