# SPDX-License-Identifier: GPL-2.0
# Reconciliation: an O_DIRECT write of pages the host swapped out to the
# pool's store becomes remaps, with no swap-in and no data write; reads,
# partial and whole overwrites, discards, suspend, remove and reload (of
# the disk and of the pool) keep every byte and every remap; copy_home
# puts them all on the data device.  Counters prove it: the writer's major
# faults and the store device's reads during the write, the data device's writes, and
# the disk's status.

SW=$tess_top/tools/swapwrite/swapwrite
kmsg_mark
check "create the pool" pool_create
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb

# swapwrite's report, read with sw_field: "swapped N resident M dirty D
# pswpin K store_read B majflt F", the last three counted around its
# pwrite() alone.  pswpin is the whole system's: "no swap-in" points count
# the writer's own major faults (a swap-in in the write's get_user_pages
# is one), which another process's swap-in cannot raise.

# Status fields after the pass-through ones.
remapped() { status_field vm0 7; }
reconciled() { status_field vm0 8; }
redirected() { status_field vm0 10; }
overwritten() { status_field vm0 11; }
# diskstat DEV FIELD: sectors read (6) or written (10) on DEV so far.
diskstat() { awk -v d="$1" -v f="$2" '$3 == d { print $f }' /proc/diskstats; }

# snap / delta: counters around one swapwrite run.
snap() { s_data_wr=$(diskstat ubda 10) s_rec=$(reconciled); }
delta_data_wr() { echo $(($(diskstat ubda 10) - s_data_wr)); }
delta_rec() { echo $(($(reconciled) - s_rec)); }

check "create vm0" disk_create vm0 1 /dev/ubda

# 256 swapped-out pages written at disk pages 0..255.
snap
check "write 256 swapped-out pages" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 0 256 1 > $tess_out/w1.txt"
check_eq "all 256 were swapped out" "$(sw_field "$tess_out/w1.txt" swapped)" 256
check_eq "256 writes reconciled" "$(delta_rec)" 256
check_eq "no swap-in caused by the write (its major faults)" "$(sw_field "$tess_out/w1.txt" majflt)" 0
check_eq "no store read during the write" "$(sw_field "$tess_out/w1.txt" store_read)" 0
check_eq "nothing written to the data device" "$(delta_data_wr)" 0
check_eq "256 blocks remapped" "$(remapped)" 256
check "commit" pool_msg commit
check_eq "the pool counts 256 store blocks held by remaps" "$(pool_status_field 5)" 256
check_eq "reconciled bytes" "$(status_field vm0 9)" $((256 * 4096))
check "read back right (from the store)" "$SW" verify /dev/mapper/vm0 0 256 1
check "reads were redirected" test "$(redirected)" -ge 1

# A page-in into memory the host swapped out: the read overwrites it, so
# the pages are discarded rather than swapped in.
check "read 64 pages into swapped-out memory" in_memcg_high sw max sh -c "$SW read /dev/mapper/vm0 64 64 1 > $tess_out/r1.txt"
check_eq "all 64 were swapped out" "$(sw_field "$tess_out/r1.txt" swapped)" 64
check_eq "the read swapped none of them in (its major faults)" "$(sw_field "$tess_out/r1.txt" majflt)" 0
check_eq "nor read the store for swap" "$(sw_field "$tess_out/r1.txt" store_read)" 0
# An empty iovec based in a swapped-out page outside the buffer: that page
# is not the read's to discard (swapwrite checks it kept its content).
check "preadv with an empty first segment" in_memcg_high sw max sh -c "$SW readv /dev/mapper/vm0 64 64 1 > $tess_out/r3.txt"
check_eq "it swapped none of the buffer in (its major faults)" "$(sw_field "$tess_out/r3.txt" majflt)" 0

# One write mixing swapped-out pages, pages swapped back in and not
# written since (every 3rd: reconciled too, their swap entry still holds
# their content), and pages rewritten after swap-in (every 4th: written).
snap
check "write 192 pages: swapped out, read back, rewritten" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 256 192 2 3 4 > $tess_out/w2.txt"
swapped=$(sw_field "$tess_out/w2.txt" swapped)
dirty=$(sw_field "$tess_out/w2.txt" dirty)
check_eq "96 still swapped out" "$swapped" 96
check_eq "48 rewritten" "$dirty" 48
check_eq "all but the rewritten reconciled" "$(delta_rec)" $((192 - dirty))
check_eq "the rewritten went to the data device" "$(delta_data_wr)" $((dirty * 8))
check "the mixed write reads back right" "$SW" verify /dev/mapper/vm0 256 192 2
check "a read across both writes" "$SW" verify /dev/mapper/vm0 0 256 1

# Whole-block overwrite of remapped pages 10..19.
check "overwrite pages 10..19 (resident memory)" "$SW" keep /dev/mapper/vm0 10 10 3
check_eq "10 remaps dropped" "$(overwritten)" 10
check "overwritten pages read new data" "$SW" verify /dev/mapper/vm0 10 10 3
check "their neighbours are intact" "$SW" verify /dev/mapper/vm0 0 10 1
check "and the other side too" "$SW" verify /dev/mapper/vm0 20 236 1

# Partial overwrites.  read_pages FIRST N: pages of vm0, O_DIRECT.
read_pages() { dd if=/dev/mapper/vm0 bs=4096 skip="$1" count="$2" iflag=direct status=none; }
# 512 bytes into remapped page 30 (its sector 1).
read_pages 30 1 > "$tess_out/p30.want"
head -c 512 /dev/urandom > "$tess_out/patch"
dd if="$tess_out/patch" of="$tess_out/p30.want" bs=512 seek=1 conv=notrunc status=none
check "write 512 bytes into remapped page 30" dd if="$tess_out/patch" of=/dev/mapper/vm0 bs=512 seek=$((30 * 8 + 1)) oflag=direct status=none
read_pages 30 1 > "$tess_out/p30.got"
check "page 30 holds the old block with the new sector" cmp "$tess_out/p30.want" "$tess_out/p30.got"
check_eq "page 30 no longer remapped" "$(remapped)" $((256 + 192 - dirty - 10 - 1))
# 12 KiB from the middle of page 60 to the middle of page 63: two blocks
# in part, two whole.
read_pages 60 4 > "$tess_out/p60.want"
head -c 12288 /dev/urandom > "$tess_out/patch"
dd if="$tess_out/patch" of="$tess_out/p60.want" bs=512 seek=4 conv=notrunc status=none
check "write 12 KiB across remapped pages 60..63, one bio" dd if="$tess_out/patch" of=/dev/mapper/vm0 bs=12288 count=1 seek=$(((60 * 8 + 4) * 512)) oflag=direct,seek_bytes status=none
read_pages 60 4 > "$tess_out/p60.got"
check "pages 60..63 hold old and new data where they should" cmp "$tess_out/p60.want" "$tess_out/p60.got"
check_eq "their 4 remaps dropped" "$(remapped)" $((256 + 192 - dirty - 10 - 1 - 4))
check "pages 31..59 intact" "$SW" verify /dev/mapper/vm0 31 29 1
check "pages 64..255 intact" "$SW" verify /dev/mapper/vm0 64 192 1

# Discard of remapped pages 40..49, then new data there.
check "discard pages 40..49" blkdiscard -o $((40 * 4096)) -l $((10 * 4096)) /dev/mapper/vm0
check_eq "10 more remaps dropped" "$(overwritten)" 25
check "write pages 40..49 again" "$SW" keep /dev/mapper/vm0 40 10 4
check "they read back the new data" "$SW" verify /dev/mapper/vm0 40 10 4
check "pages after them intact" "$SW" verify /dev/mapper/vm0 64 192 1

# Suspend no longer copies remapped blocks home (issue 10: it used to, with
# guest I/O frozen): every remap stays, and nothing changes for the guest.
nr=$(remapped)
check "remaps before the suspend" test "$nr" -gt 100
check "suspend" dmsetup suspend vm0
check_eq "suspend keeps every remap" "$(remapped)" "$nr"
check "resume" dmsetup resume vm0
check_eq "and so does the resume" "$(remapped)" "$nr"
check "data intact after suspend" "$SW" verify /dev/mapper/vm0 64 192 1

# The fallback for writes the hook does not see: splice() from a pipe that
# holds swapped-out pages gives bios whose pages are clean swap-cache
# pages mapped nowhere.
snap
check "splice 64 swapped-out pages from a pipe" in_memcg_high sw max sh -c "$SW splice /dev/mapper/vm0 700 64 7 > $tess_out/w5.txt"
check_eq "all 64 swapped out" "$(sw_field "$tess_out/w5.txt" swapped)" 64
check_eq "all 64 reconciled by the target" "$(delta_rec)" 64
check_eq "no swap-in" "$(sw_field "$tess_out/w5.txt" pswpin)" 0
check_eq "nothing written to the data device" "$(delta_data_wr)" 0
check "they read back right" "$SW" verify /dev/mapper/vm0 700 64 7
# The same pages, but written after their swap-in (dirty PTEs, clean
# pages) and unmapped with MADV_DONTNEED, which forgets the PTEs' dirty
# bits: their swap copies are stale and must not be remapped.  (The zap
# usually drops such pages from the swap cache too; the target's check
# that a page table still holds the entry covers the times it cannot.)
snap
check "splice 64 pages whose swap copies are stale" in_memcg_high sw max sh -c "$SW splice-dirty /dev/mapper/vm0 800 64 8 > $tess_out/w6.txt"
check_eq "none of them reconciled" "$(delta_rec)" 0
check_eq "all written to the data device" "$(delta_data_wr)" $((64 * 8))
check "they read back the new data" "$SW" verify /dev/mapper/vm0 800 64 8

# Remove and reload keep the remaps (issue 10: remove used to copy them
# home): a new table of the disk, and a new pool table, find every one.
# Until copy_home the data device alone is not the disk.
snap
check "write 128 more swapped-out pages" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 512 128 5 > $tess_out/w3.txt"
check "they were reconciled" test "$(delta_rec)" -ge 100
nr=$(remapped)
# every_write DEV DESC: each write above reads back from DEV.
every_write() {
	check "$2: the last write" "$SW" verify "$1" 512 128 5
	check "$2: the first write" "$SW" verify "$1" 64 192 1
	check "$2: the mixed one" "$SW" verify "$1" 256 192 2
	check "$2: the spliced one" "$SW" verify "$1" 700 64 7
}
check "remove vm0 with remaps" dmsetup remove vm0
check_fails "the data device is not the disk before copy_home" "$SW" verify /dev/ubda 512 128 5
check "open vm0 again" disk_open vm0 1 /dev/ubda
check_eq "vm0 finds every remap" "$(remapped)" "$nr"
every_write /dev/mapper/vm0 "after remove and re-create"
check "reload vm0's table" disk_reload vm0 1 /dev/ubda
check_eq "the reload keeps every remap" "$(remapped)" "$nr"
check "reload the pool's table" pool_reload
check_eq "so does the pool's reload" "$(remapped)" "$nr"
every_write /dev/mapper/vm0 "after both reloads"
check "remove vm0 and the pool" dmsetup remove vm0 pool
check "the pool again" pool_create
check "and vm0" disk_open vm0 1 /dev/ubda
check_eq "they find every remap" "$(remapped)" "$nr"
every_write /dev/mapper/vm0 "after the pool's remove and re-create"

kmsg_mark
check "copy_home" copy_home vm0
check_eq "copy_home leaves no remap" "$(remapped)" 0
check "commit (blocks of dropped remaps come free after a commit)" pool_msg commit
check_eq "the pool holds no block for remaps" "$(pool_status_field 5)" 0
check "remove vm0" dmsetup remove vm0
every_write /dev/ubda "the data device after copy_home"
check "open vm0 again" disk_open vm0 1 /dev/ubda
check_eq "starting with no remap" "$(remapped)" 0
check "vm0 reads them back" "$SW" verify /dev/mapper/vm0 512 128 5
check "remove vm0" dmsetup remove vm0

# Baseline: no_reconcile gives the double paging back.
check "open vm0 with no_reconcile" disk_open vm0 1 /dev/ubda no_reconcile
snap
check "write 256 swapped-out pages" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 0 256 6 > $tess_out/w4.txt"
check_eq "nothing reconciled" "$(delta_rec)" 0
check "the write swapped the pages in" test "$(sw_field "$tess_out/w4.txt" pswpin)" -ge 200
# The counter the "no swap-in" points read sees these: the writer faults
# them in (readahead can make most of the faults minor).
check "the writer took major faults for them" test "$(sw_field "$tess_out/w4.txt" majflt)" -ge 1
check "reading them from the store" test "$(sw_field "$tess_out/w4.txt" store_read)" -ge $((200 * 4096))
check_eq "and wrote them all to the data device" "$(delta_data_wr)" $((256 * 8))
check "reads back right" "$SW" verify /dev/mapper/vm0 0 256 6
check "read 64 pages into swapped-out memory" in_memcg_high sw max sh -c "$SW read /dev/mapper/vm0 0 64 6 > $tess_out/r2.txt"
check "the read swapped them in first" test "$(sw_field "$tess_out/r2.txt" pswpin)" -ge 60
check "remove vm0" dmsetup remove vm0

check "swapoff" swapoff /dev/ubdb
check "remove the pool" dmsetup remove pool
check "rmmod" rmmod dm_tesseract
check_no_kmsg "no remap lost" "could not be copied home"
