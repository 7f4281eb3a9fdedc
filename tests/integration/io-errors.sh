# SPDX-License-Identifier: GPL-2.0
# I/O errors under the target reach the writer and the reader as EIO, by
# pwrite()/pread(), linux-aio and io_uring, and nothing reads back as
# anything but the old or the new content of its block.  The data device
# and the pool's store each sit on a dm device whose table is switched
# between linear, error and flakey (error_writes for the data device,
# error_reads for the store); the pool's metadata stays healthy.

SW=$tess_top/tools/swapwrite/swapwrite
VM=/dev/mapper/vm0
dsize=$(sectors /dev/ubda)
ssize=$(sectors /dev/ubdc)

data_ok() { retable data "0 $dsize linear /dev/ubda 0"; }
data_dead() { retable data "0 $dsize error"; }
data_no_writes() { retable data "0 $dsize flakey /dev/ubda 0 0 1 1 error_writes"; }
store_ok() { retable st "0 $ssize linear /dev/ubdc 0"; }
store_no_reads() { retable st "0 $ssize flakey /dev/ubdc 0 0 1 1 error_reads"; }

# sw NAME ARGS...: swapwrite, its report in $tess_out/NAME.txt; swm: the
# same in a cgroup of its own, as modes that swap their memory out need.
sw() { local out=$tess_out/$1.txt; shift; "$SW" "$@" > "$out" 2>> "$LOG"; }
swm() { local out=$tess_out/$1.txt; shift; in_memcg_high sw max "$SW" "$@" > "$out" 2>> "$LOG"; }
# swapwrite's report: "key value" pairs, e.g. "errno EIO op pwrite".
sw_out() { sw_field "$tess_out/$1.txt" "$2"; }
sw_error() { echo "$(sw_out "$1" errno) $(sw_out "$1" op)"; }

remapped() { status_field vm0 7; }
reconciled() { status_field vm0 8; }
redirected() { status_field vm0 10; }

kmsg_mark
check "data device on a dm device" dmsetup create data --table "0 $dsize linear /dev/ubda 0"
check "store on a dm device" dmsetup create st --table "0 $ssize linear /dev/ubdc 0"
POOL_STORE=/dev/mapper/st
check "a pool with its store on it" pool_create
# Only cgroup sw swaps to the store: a task elsewhere that swaps out its
# own memory while the store fails reads must not die of SIGBUS.
check "cgroup sw" in_memcg_high sw max true
check "the backend serves cgroup sw only" sh -c "echo /sw > $TESS_SYS/backend/memcg"
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb
check "create vm0 on the data dm device" disk_create vm0 1 /dev/mapper/data

# Old content everywhere a failed write will go: pages 0..63 (seed 11),
# three ranges for mixed writes (21), 500..515 (40), 600..663 (50),
# 800..863 (85), 960..999 home blocks before the remapped range 1000..1063 (62), and
# 1100..1163 (71), which stays home.
write_old() {
	"$SW" keep $VM 0 64 11 && "$SW" keep $VM 100 64 21 &&
	"$SW" keep $VM 200 64 21 && "$SW" keep $VM 300 64 21 &&
	"$SW" keep $VM 500 16 40 && "$SW" keep $VM 600 64 50 &&
	"$SW" keep $VM 800 64 85 && "$SW" keep $VM 960 40 62 &&
	"$SW" keep $VM 1100 64 71
}
check "old content written" write_old

# 1. Writes of resident, dirty pages (nothing to reconcile) on a dead
# data device fail with EIO, whatever the submission.
check "the data device fails every I/O (error target)" data_dead
for s in pwrite aio io_uring; do
	check_fails "plain write via $s fails" sw plain-$s --submit $s keep $VM 0 64 12
	check_eq "plain write via $s: EIO from $s" "$(sw_error plain-$s)" "EIO $s"
done
check "the data device is back" data_ok
check "plain writes: pages 0..63 all hold the old content" sw plain-after either $VM 0 64 12 11
check_eq "plain writes: no page holds the new content" "$(sw_out plain-after new)" 0

# A mixed write: the odd pages are swapped out (the hook remaps them, no
# I/O), the even ones rewritten after swap-in (they must go to the data
# device, which fails their writes).  The write as a whole fails; each
# page then holds its old or its new content: the remapped ones the new.
check "the data device fails writes (flakey error_writes)" data_no_writes
first=100
for s in pwrite aio io_uring; do
	rec=$(reconciled)
	check_fails "mixed write via $s fails" swm mixed-$s --submit $s write $VM $first 64 22 0 2
	check_eq "mixed write via $s: EIO from $s, no short count" "$(sw_error mixed-$s)" "EIO $s"
	check_eq "mixed write via $s: 32 pages were swapped out, 32 rewritten" \
		"$(sw_out mixed-$s swapped) $(sw_out mixed-$s dirty)" "32 32"
	check_eq "mixed write via $s: the 32 swapped-out pages reconciled" $(($(reconciled) - rec)) 32
	check "mixed write via $s: every page old or new, none torn" sw mixed-$s-after either $VM $first 64 22 21
	check_eq "mixed write via $s: reconciled pages new, the others old" \
		"$(sw_out mixed-$s-after new) $(sw_out mixed-$s-after old)" "32 32"
	first=$((first + 100))
done

# Writes the hook does not see (splice): pages the target's fallback
# takes do no I/O and succeed; the others fail with EIO.
rec=$(reconciled)
check "splice of swapped-out pages succeeds (no data I/O)" swm splice-ok splice $VM 900 32 9
check_eq "splice: all 32 reconciled by the target" $(($(reconciled) - rec)) 32
check_fails "splice of pages with stale swap copies fails" swm splice-dw splice-dirty $VM 800 64 8
check_eq "splice: EIO from splice" "$(sw_error splice-dw)" "EIO splice"
check "splice: pages hold old content" sw splice-dw-after either $VM 800 64 8 85
check_eq "splice: none of them new" "$(sw_out splice-dw-after new)" 0

# 2. Flushes.  A write the hook takes whole does no data I/O and succeeds,
# but the flush after it fails: fsync() says so.
rec=$(reconciled)
check_fails "reconciled write then fsync fails" swm flush-rec --fsync write $VM 400 64 31
check_eq "reconciled write: fsync gets EIO (the pwrite succeeded)" "$(sw_error flush-rec)" "EIO fsync"
check_eq "reconciled write: all 64 pages reconciled" $(($(reconciled) - rec)) 64
check "reconciled write: reads back the new content" sw flush-rec-after verify $VM 400 64 31
check_fails "buffered write then fsync fails" sw flush-buf --buffered --fsync keep $VM 500 16 41
check_eq "buffered write: fsync gets EIO (the write succeeded)" "$(sw_error flush-buf)" "EIO fsync"
check "buffered write: pages hold old content (O_DIRECT read)" sw flush-buf-after either $VM 500 16 41 40
check_eq "buffered write: none of them new" "$(sw_out flush-buf-after new)" 0
rec=$(reconciled)
check_fails "O_DSYNC write of swapped-out pages fails" swm flush-dsync --dsync write $VM 600 64 51
check_eq "O_DSYNC write: EIO from pwrite" "$(sw_error flush-dsync)" "EIO pwrite"
check_eq "O_DSYNC write: nothing reconciled (a remap is not FUA)" $(($(reconciled) - rec)) 0
check "O_DSYNC write: pages hold old content" sw flush-dsync-after either $VM 600 64 51 50
check_eq "O_DSYNC write: none of them new" "$(sw_out flush-dsync-after new)" 0
check "the data device is back" data_ok
check "fsync succeeds on the healthy device" sw flush-ok --fsync keep $VM 700 4 81

# 3. Store read errors: reads of remapped blocks fail with EIO, never
# return other data (zeroes, the home block's old content); reads of home
# blocks go on; the remapped blocks read right once the store is back.
rec=$(reconciled)
check "write 64 swapped-out pages at 1000" swm remap --fsync write $VM 1000 64 61
check_eq "the 64 pages reconciled" $(($(reconciled) - rec)) 64
nr_remapped=$(remapped)
check "the store fails reads (flakey error_reads)" store_no_reads
red=$(redirected)
for s in pwrite aio io_uring; do
	r=$s; [ $s = pwrite ] && r=pread
	check_fails "read of remapped blocks via $r fails" sw sread-$s --submit $s verify $VM 1000 64 61
	check_eq "read of remapped blocks via $r: EIO from $r" "$(sw_error sread-$s)" "EIO $r"
	check_fails "read of home and remapped blocks via $r fails" sw sread2-$s --submit $s either $VM 990 20 61 62
	check_eq "read of home and remapped blocks via $r: EIO" "$(sw_error sread2-$s)" "EIO $r"
	check "read of home blocks via $r works" sw hread-$s --submit $s verify $VM 1100 64 71
done
check "the failed reads went to the store" test "$(redirected)" -gt "$red"
# A page-in into memory swapped out (to the swap device: cgroup sw2 is not
# the backend's) discards it first; the read still fails whole.
check_fails "read into swapped-out memory fails" in_memcg_high sw2 max sh -c "'$SW' read $VM 1000 8 61 > $tess_out/sread-into.txt"
check_eq "read into swapped-out memory: EIO" "$(sw_error sread-into)" "EIO pread"

# 4. A partial overwrite of a remapped block copies it home first; if
# the store read of that copy fails, the write fails and the block keeps
# its content (and its remap).
kmsg_mark
check_fails "512-byte write into remapped page 1010 fails" sw patch-sr patch $VM $((1010 * 8 + 1)) 1 91
check_eq "partial write, store failing: EIO from pwrite" "$(sw_error patch-sr)" "EIO pwrite"
check_eq "partial write, store failing: remaps kept" "$(remapped)" "$nr_remapped"
check_kmsg "partial write, store failing: logged" "copying a remapped block home failed"
# copy_home (suspend used to copy remapped blocks home; issue 10 moved
# that to the message): a failed copy fails the message and keeps them all.
kmsg_mark
check_fails "copy_home with the store failing reads fails" copy_home vm0
check_kmsg "copy_home: the failed copy is logged" "copy_home"
check_eq "copy_home: remaps kept" "$(remapped)" "$nr_remapped"
check "suspend and resume vm0" sh -c "dmsetup suspend vm0 && dmsetup resume vm0"
check_eq "suspend: remaps kept" "$(remapped)" "$nr_remapped"
check "the store is back" store_ok
check "remapped pages 1000..1063 read back right" sw sread-after verify $VM 1000 64 61
for s in aio io_uring; do
	check "remapped pages via $s too" sw sread-after-$s --submit $s verify $VM 1000 64 61
done

# The same with the data device failing the copy's write; and a whole-
# block overwrite of remapped blocks that fails keeps their remaps.
check "the data device fails writes" data_no_writes
check_fails "12 KiB write across remapped pages 1020..1023 fails" sw patch-dw patch $VM $((1020 * 8 + 4)) 24 92
check_eq "partial write, data failing: EIO from pwrite" "$(sw_error patch-dw)" "EIO pwrite"
check_eq "partial write, data failing: remaps kept" "$(remapped)" "$nr_remapped"
check_fails "whole-page overwrite of remapped 1030..1033 fails" sw over-dw --submit aio keep $VM 1030 4 93
check_eq "whole-page overwrite: EIO from aio" "$(sw_error over-dw)" "EIO aio"
check_eq "whole-page overwrite: remaps kept" "$(remapped)" "$nr_remapped"
check "pages 1000..1063 still read their content" sw dread-after verify $VM 1000 64 61
check "the data device is back" data_ok
# Healthy, the same partial write succeeds: the failures above were the
# devices'.
check "512-byte write into page 1010, healthy" sw patch-ok patch $VM $((1010 * 8 + 1)) 1 91
check_eq "page 1010 no longer remapped" "$(remapped)" $((nr_remapped - 1))

# 5. Nothing else corrupted: every range reads what it should, through
# the disk and, after copy_home, on the data device itself.
verify_all() {
	local dev=$1 where=$2 first=100 s
	check "$where: pages 0..63 old" "$SW" verify "$dev" 0 64 11
	for s in pwrite aio io_uring; do
		check "$where: mixed write via $s, old or new" sw "all-$s" either "$dev" $first 64 22 21
		check_eq "$where: mixed write via $s, 32 new 32 old" \
			"$(sw_out "all-$s" new) $(sw_out "all-$s" old)" "32 32"
		first=$((first + 100))
	done
	check "$where: pages 400..463 new" "$SW" verify "$dev" 400 64 31
	check "$where: pages 500..515 old" "$SW" verify "$dev" 500 16 40
	check "$where: pages 600..663 old" "$SW" verify "$dev" 600 64 50
	check "$where: pages 700..703" "$SW" verify "$dev" 700 4 81
	check "$where: pages 800..863 old" "$SW" verify "$dev" 800 64 85
	check "$where: pages 900..931 spliced" "$SW" verify "$dev" 900 32 9
	check "$where: pages 960..999 (home)" "$SW" verify "$dev" 960 40 62
	check "$where: pages 1000..1009 (remapped)" "$SW" verify "$dev" 1000 10 61
	check "$where: pages 1011..1063 (remapped)" "$SW" verify "$dev" 1011 53 61
	check "$where: pages 1100..1163 (home)" "$SW" verify "$dev" 1100 64 71
}
verify_all $VM "vm0"
kmsg_mark
check "copy_home, the devices healthy" copy_home vm0
check_eq "no remap left" "$(remapped)" 0
check "remove vm0" dmsetup remove vm0
check_no_kmsg "no remap lost" "could not be copied home"
verify_all /dev/mapper/data "data device"

check "swapoff" swapoff /dev/ubdb
check "remove the pool" dmsetup remove pool
check "rmmod" rmmod dm_tesseract
check "remove the dm devices" dmsetup remove data st
