# SPDX-License-Identifier: GPL-2.0
# The pool's devices.  The module loads without any parameter (the store
# is a pool's, no longer the module's).  A zeroed metadata device and
# store are formatted; a metadata device or store that is not ours,
# damaged, too small, or another pool's is refused with the reason in
# the kernel log, and left as it was.
#
# Two pools' devices: halves of the metadata device (mA, mB) and of the
# store (stA, stB); a third store and a metadata device too small, on the
# swap image, which this script does not swap to.

check "insmod without any parameter" load_module
check_fails "store= is no longer a parameter" test -e /sys/module/dm_tesseract/parameters/store
check_eq "no pool at load" "$(cat /sys/kernel/tesseract/pools)" 0

ssize=$(sectors /dev/ubdc) msize=$(sectors /dev/ubdd)
shalf=$((ssize / 2 / 8 * 8)) mhalf=$((msize / 2 / 8 * 8))
check "two stores, two metadata devices" sh -c "
	dmsetup create stA --table '0 $shalf linear /dev/ubdc 0' &&
	dmsetup create stB --table '0 $shalf linear /dev/ubdc $shalf' &&
	dmsetup create mA --table '0 $mhalf linear /dev/ubdd 0' &&
	dmsetup create mB --table '0 $mhalf linear /dev/ubdd $mhalf' &&
	dmsetup create stC --table '0 65536 linear /dev/ubdb 65536' &&
	dmsetup create mtiny --table '0 504 linear /dev/ubdb 0'"

# block0 DEV: the md5 of DEV's first 4 KiB.
block0() { dd if="$1" bs=4k count=1 iflag=direct status=none | md5sum | cut -d' ' -f1; }
zero_md5=$(head -c 4096 /dev/zero | md5sum | cut -d' ' -f1)
# on META STORE CMD...: CMD with POOL_META, POOL_STORE set to /dev/mapper/*.
on() { POOL_META=/dev/mapper/$1 POOL_STORE=/dev/mapper/$2; shift 2; "$@"; }
# flip DEV OFFSET: invert the byte at OFFSET of DEV.  O_DIRECT both ways:
# the pool writes its blocks past the page cache.
flip() {
	local dev=$1 blk=$(($2 / 4096)) off=$(($2 % 4096)) t=$TMPDIR/flip.$$
	dd if="$dev" of="$t" bs=4k skip="$blk" count=1 iflag=direct status=none &&
		python3 -c 'import sys
f = open(sys.argv[1], "r+b"); o = int(sys.argv[2]); f.seek(o); b = f.read(1)[0]
f.seek(o); f.write(bytes([b ^ 255]))' "$t" "$off" &&
		dd if="$t" of="$dev" bs=4k seek="$blk" count=1 oflag=direct conv=notrunc status=none
}
# pool_and_disk: the pool, then a table for its disk 1.
pool_and_disk() { pool_create && disk_open vm0 1 /dev/ubda; }

# Foreign data on the metadata device: refused, neither device written.
check "foreign data in block 0 of mA" dd if=/dev/urandom of=/dev/mapper/mA bs=4k count=1 oflag=direct status=none
before=$(block0 /dev/mapper/mA)
kmsg_mark
check_fails "refused: a pool on foreign metadata" on mA stA pool_create
check_kmsg "kernel says why: foreign metadata" "tesseract-pool: .*metadata"
check_eq "the foreign block 0 left as it was" "$(block0 /dev/mapper/mA)" "$before"
check_eq "and the store not formatted" "$(block0 /dev/mapper/stA)" "$zero_md5"

# Foreign data on the store, the metadata zeroed: refused, neither written.
check "zero block 0 of mA" zero_block0 /dev/mapper/mA
check "foreign data in block 0 of stA" dd if=/dev/urandom of=/dev/mapper/stA bs=4k count=1 oflag=direct status=none
before=$(block0 /dev/mapper/stA)
kmsg_mark
check_fails "refused: a pool on a foreign store" on mA stA pool_create
check_kmsg "kernel says why: foreign store" "not a tesseract store"
check_eq "the foreign store left as it was" "$(block0 /dev/mapper/stA)" "$before"
check_eq "and the metadata not formatted" "$(block0 /dev/mapper/mA)" "$zero_md5"
check "zero block 0 of stA" zero_block0 /dev/mapper/stA

# Zeroed: formatted, both of them.
kmsg_mark
check "a pool on zeroed metadata and store" on mA stA pool_create
check_kmsg "the kernel says it formatted them" "formatted"
check "the store has a superblock now" test "$(block0 /dev/mapper/stA)" != "$zero_md5"
check "the metadata too" test "$(block0 /dev/mapper/mA)" != "$zero_md5"
check_eq "the pool is read-write" "$(pool_status_field 7)" rw
check_eq "metadata blocks: the device's" "$(pool_status_field 2 | cut -d/ -f2)" $((mhalf / 8))
check_eq "no disk" "$(pool_status_field 6)" 0
check "create_disk 1" pool_msg create_disk 1
check "remove pool A" dmsetup remove pool
kmsg_mark
check "pool A again" on mA stA pool_create
check_no_kmsg "not formatted again" "formatted"
check_eq "it has disk 1" "$(pool_status_field 6)" 1
check "remove pool A" dmsetup remove pool
mA_sb=$(block0 /dev/mapper/mA) stA_sb=$(block0 /dev/mapper/stA)

check "pool B, formatted" on mB stB pool_create
check "create_disk 5 in B" pool_msg create_disk 5
check "remove pool B" dmsetup remove pool
mB_sb=$(block0 /dev/mapper/mB) stB_sb=$(block0 /dev/mapper/stB)

# Another pool's: the uuids of metadata and store differ.
for pair in "mA stB" "mB stA"; do
	kmsg_mark
	# shellcheck disable=SC2086 # two words
	check_fails "refused: metadata and store of two pools ($pair)" on $pair pool_create
	check_kmsg "kernel says why: another pool's ($pair)" "tesseract-pool: .*\(another store\|another pool\|uuid\)"
done
check_eq "metadata A left as it was" "$(block0 /dev/mapper/mA)" "$mA_sb"
check_eq "metadata B left as it was" "$(block0 /dev/mapper/mB)" "$mB_sb"
check_eq "store A left as it was" "$(block0 /dev/mapper/stA)" "$stA_sb"
check_eq "store B left as it was" "$(block0 /dev/mapper/stB)" "$stB_sb"

# Too small: 63 blocks, fewer than a pool needs (TESS_MD_MIN_BLOCKS, 64).
kmsg_mark
check_fails "refused: a metadata device of 63 blocks" on mtiny stC pool_create
check_kmsg "kernel says why: too small" "tesseract-pool: .*small"
check_eq "the small device not formatted" "$(block0 /dev/mapper/mtiny)" "$zero_md5"
check_eq "nor the store" "$(block0 /dev/mapper/stC)" "$zero_md5"
check_eq "no pool left behind" "$(cat /sys/kernel/tesseract/pools)" 0

# A damaged store superblock: one byte flipped inside its checksum.
check "flip a byte of store A's superblock" flip /dev/mapper/stA 100
before=$(block0 /dev/mapper/stA)
kmsg_mark
check_fails "refused: a damaged store superblock" on mA stA pool_create
check_kmsg "kernel says why: the store's checksum" "store.*checksum"
check_eq "the damaged superblock left as it was" "$(block0 /dev/mapper/stA)" "$before"
check "flip it back" flip /dev/mapper/stA 100

# A damaged metadata superblock, the same way.
check "flip a byte of metadata A's superblock" flip /dev/mapper/mA 100
before=$(block0 /dev/mapper/mA)
kmsg_mark
check_fails "refused: a damaged metadata superblock" on mA stA pool_create
check_kmsg "kernel says why: the superblock's checksum" "checksum\|csum"
check_eq "the damaged superblock left as it was" "$(block0 /dev/mapper/mA)" "$before"
check "flip it back" flip /dev/mapper/mA 100
check "pool A opens again" on mA stA pool_create
check_eq "with disk 1" "$(pool_status_field 6)" 1
check "a table for disk 1" disk_open vm0 1 /dev/ubda
check "remove it and the pool (a commit)" dmsetup remove vm0 pool

# A damaged btree block: the remap tree's root (the superblock's
# remap_root, a little-endian u64 at byte 336 of block 0), committed by
# the remove above; one byte flipped in the middle of the node.
root=$(dd if=/dev/mapper/mA bs=4k count=1 iflag=direct status=none | od -An -tu8 -j 336 -N 8 | tr -d ' ')
check "the remap tree's root is a block inside the metadata device" \
	test "${root:-0}" -gt 0 -a "${root:-0}" -lt $((mhalf / 8))
check "flip a byte of it" flip /dev/mapper/mA $((root * 4096 + 2000))
kmsg_mark
check_fails "refused: pool A with a damaged btree, or its disk" on mA stA pool_and_disk
check_kmsg "kernel says why: the node's checksum" "node_check failed\|checksum\|csum"
check_fails "no disk table on damaged metadata" test -e /dev/mapper/vm0
check_no_kmsg "the damage is not called a missing disk" "No such disk id"
if [ -e /dev/mapper/pool ]; then
	# A metadata error, not a missing disk: the pool must say so.
	check_eq "the pool knows: needs_check" "$(pool_status_field 8)" needs_check
	check_eq "and is read-only" "$(pool_status_field 7)" ro
	check "remove the pool" dmsetup remove pool
fi

check "remove the devices" dmsetup remove stA stB mA mB stC mtiny
check "rmmod" rmmod dm_tesseract
