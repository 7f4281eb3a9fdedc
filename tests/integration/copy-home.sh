# SPDX-License-Identifier: GPL-2.0
# copy_home, and the failed copy home: a store read error during copy_home
# fails the message with a reason in the kernel log, and every remap it
# did not finish stays, reading right once the store works; a reload of
# the disk and of the pool, and a remove and re-create of both, lose
# nothing in between; then copy_home succeeds and the data device alone
# holds the disk.  The store sits on a dm device switched between linear,
# flakey error_reads, and both: linear below a block, flakey above it (a
# copy that fails halfway).

SW=$tess_top/tools/swapwrite/swapwrite
VM=/dev/mapper/vm0
ssize=$(sectors /dev/ubdc)
store_ok() { retable st "0 $ssize linear /dev/ubdc 0"; }
# store_fails_above BLOCK: reads of store blocks from BLOCK on fail.
store_fails_above() {
	local s=$(($1 * 8))
	retable st "0 $s linear /dev/ubdc 0
$s $((ssize - s)) flakey /dev/ubdc $s 0 1 1 error_reads"
}
store_no_reads() { retable st "0 $ssize flakey /dev/ubdc 0 0 1 1 error_reads"; }
remapped() { status_field vm0 7; }
disk_md5() { dd if="$1" bs=1M iflag=direct status=none | md5sum | cut -d' ' -f1; }

check "store on a dm device" dmsetup create st --table "0 $ssize linear /dev/ubdc 0"
POOL_STORE=/dev/mapper/st
check "a pool with its store on it" pool_create
check "create vm0" disk_create vm0 1 /dev/ubda
# Only cgroup sw swaps to the store: nothing else may die of SIGBUS while
# the store fails reads.
check "cgroup sw" in_memcg_high sw max true
check "the backend serves cgroup sw only" sh -c "echo /sw > $TESS_SYS/backend/memcg"
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb

# Remapped pages 0..511 (seed 1), home pages 600..663 (seed 2).
check "write 512 swapped-out pages, fsync" in_memcg_high sw max sh -c \
	"$SW --fsync write $VM 0 512 1 > $tess_out/w1.txt"
check "write 64 home pages" "$SW" keep $VM 600 64 2
nr=$(remapped)
check "most pages remapped" test "$nr" -ge 400
check_fails "the data device alone is not the disk yet" "$SW" verify /dev/ubda 0 512 1

# 1. The store fails reads from the start: nothing can be copied.
check "the store fails reads" store_no_reads
kmsg_mark
check_fails "copy_home fails" copy_home vm0
check_kmsg "the kernel log says why" "copy_home"
check_eq "every remap stays" "$(remapped)" "$nr"
check_fails "remapped pages fail to read, never read wrong" "$SW" verify $VM 0 512 1
check "home pages still read" "$SW" verify $VM 600 64 2
check "the store is back" store_ok
check "remapped pages read right" "$SW" verify $VM 0 512 1

# 2. The store fails reads of its upper part: the copy fails halfway.
# The remaps hold D distinct store blocks (pool status field 5), numbered
# from 1, so at least one of them lies at or above D / 2 + 1.
held=$(pool_status_field 5)
check "the pool counts the blocks of the remaps" test "$held" -ge 1 -a "$held" -le "$nr"
check "the store fails reads from block $((held / 2 + 1)) on" store_fails_above $((held / 2 + 1))
kmsg_mark
check_fails "copy_home fails" copy_home vm0
check_kmsg "the kernel log says why" "copy_home"
left=$(remapped)
echo "# remaps: $nr before, $left after the failed copy"
check "remaps stay" test "$left" -ge 1 -a "$left" -le "$nr"
check "the store is back" store_ok
check "every page reads right" "$SW" verify $VM 0 512 1
check "the home pages too" "$SW" verify $VM 600 64 2

# 3. Reloads, and a remove of everything, in between: nothing lost.
check "reload vm0" disk_reload vm0 1 /dev/ubda
check_eq "vm0 keeps its remaps" "$(remapped)" "$left"
check "reload the pool" pool_reload
check_eq "so does the pool's reload" "$(remapped)" "$left"
check "pages read right after the reloads" "$SW" verify $VM 0 512 1
check "remove vm0 and the pool" dmsetup remove vm0 pool
check "the pool again" pool_create
check "vm0 again" disk_open vm0 1 /dev/ubda
check_eq "it finds its remaps" "$(remapped)" "$left"
check "pages read right after the re-create" "$SW" verify $VM 0 512 1
check "home pages too" "$SW" verify $VM 600 64 2

# 4. The store works: copy_home succeeds, and the data device is the disk.
before=$(disk_md5 $VM)
kmsg_mark
check "copy_home succeeds" copy_home vm0
check_eq "no remap left" "$(remapped)" 0
check "commit (the dropped remaps' blocks come free after it)" pool_msg commit
check_eq "the pool holds no block for remaps" "$(pool_status_field 5)" 0
check_eq "the disk reads as before" "$(disk_md5 $VM)" "$before"
check "remove vm0" dmsetup remove vm0
check_eq "the data device alone holds the disk" "$(disk_md5 /dev/ubda)" "$before"
check "remapped pages on the data device" "$SW" verify /dev/ubda 0 512 1
check "home pages on the data device" "$SW" verify /dev/ubda 600 64 2
check "vm0 again" disk_open vm0 1 /dev/ubda
check_eq "with no remap" "$(remapped)" 0
check "copy_home with nothing to copy" copy_home vm0
check "remove vm0" dmsetup remove vm0

check "swapoff" swapoff /dev/ubdb
check "lift the restriction" sh -c "echo > $TESS_SYS/backend/memcg"
check "remove the pool" dmsetup remove pool
check "rmmod" rmmod dm_tesseract
check "remove the store device" dmsetup remove st
