# SPDX-License-Identifier: GPL-2.0
# Relocation: the pool's worker moves remapped blocks home (relocate home)
# or regroups their store blocks in disk order (relocate regroup), on
# "relocate now" and in the background; feature args, messages and module
# parameters are checked and read back; guest writes racing a slow
# relocation win; every page reads right after each move, after a reload
# and once the disk is gone from the pool (copy-home of what is left).
#
# Remapped pages are written 16 at a time in reverse disk order, so that a
# disk-contiguous run lies in the store in pieces: what regroup is for.

SW=$tess_top/tools/swapwrite/swapwrite
VM=/dev/mapper/vm0
remapped() { status_field vm0 7; }
# reloc_field N: relocation field N of the pool's status (1 mode, 2 state,
# 3 extents, 4 blocks home, 5 blocks regrouped, 6 bytes read, 7 bytes
# written, 8 copy errors, 9 blocks remapped on the pool's disks).
reloc_field() { pool_status_field $((10 + $1)); }
# remap_reverse FIRST PAGES SEED: PAGES swapped-out pages at FIRST, 16 at
# a time from the last 16 down.
remap_reverse() {
	local c
	for c in $(seq $(($2 / 16 - 1)) -1 0); do
		in_memcg_high sw max "$SW" write $VM $(($1 + c * 16)) 16 "$3" \
			> /dev/null || return 1
	done
}
# wait_for CMD...: up to 20 s for CMD to succeed.
wait_for() {
	local i
	for i in $(seq 200); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
no_remaps() { [ "$(remapped)" -eq 0 ]; }
param() { cat /sys/module/dm_tesseract/parameters/"$1"; }

ssize=$(sectors /dev/ubdc)
store_ok() { retable st "0 $ssize linear /dev/ubdc 0"; }
store_slow() { retable st "0 $ssize delay /dev/ubdc 0 1000 /dev/ubdc 0 0"; }
check "store on a dm device" dmsetup create st --table "0 $ssize linear /dev/ubdc 0"
POOL_STORE=/dev/mapper/st
check "a pool" pool_create
check "module parameters: relocation is off by default" test "$(param relocate)" = off
check_eq "the pool says so: mode" "$(reloc_field 1)" off
check_eq "and state" "$(reloc_field 2)" idle
check "create vm0" disk_create vm0 1 /dev/ubda
check "cgroup sw" in_memcg_high sw max true
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb

# Tables, messages and parameters.
check_fails "relocate now while off" pool_msg relocate now
check_fails "an unknown mode" pool_msg set_relocate sideways
check_fails "a batch of 0" pool_msg set_relocate_batch 0
check_fails "a batch over 1024" pool_msg set_relocate_batch 1025
check_fails "a store threshold over 100" pool_msg set_relocate_store 101
check_fails "relocate what?" pool_msg relocate later
check_fails "relocate with no argument" pool_msg relocate
check_fails "a bad mode parameter" sh -c "echo sideways > /sys/module/dm_tesseract/parameters/relocate"
check_fails "a bad batch parameter" sh -c "echo 0 > /sys/module/dm_tesseract/parameters/relocate_batch"
check_fails "a signed rate parameter" sh -c "echo -1 > /sys/module/dm_tesseract/parameters/relocate_rate"
# A write longer than the parameter's buffer is refused for its length,
# not read truncated (24 characters of a value in range, then a mode
# padded past 15).
kmsg_mark
check_fails "a too-long store parameter" sh -c "echo 000000000000000000000010 > /sys/module/dm_tesseract/parameters/relocate_store"
check_kmsg "refused for its length" "relocate_store: value too long (at most 23 characters)"
check_eq "the store threshold is unchanged" "$(param relocate_store)" 75
kmsg_mark
check_fails "a too-long mode parameter" sh -c "echo 'regroup         ' > /sys/module/dm_tesseract/parameters/relocate"
check_kmsg "refused for its length too" "relocate: value too long (at most 15 characters)"
check_eq "the mode is unchanged" "$(param relocate)" off
check "a good batch parameter" sh -c "echo 128 > /sys/module/dm_tesseract/parameters/relocate_batch"
check_eq "reads back" "$(param relocate_batch)" 128
check "back to the default" sh -c "echo 256 > /sys/module/dm_tesseract/parameters/relocate_batch"
kmsg_mark
check_fails "a pool table with a bad mode" pool_reload "$POOL" relocate sideways
check_kmsg "refused with its reason" "Invalid relocation mode"
kmsg_mark
check_fails "a pool table with relocate twice" pool_reload "$POOL" relocate home relocate off
check_kmsg "refused with its reason" "Duplicate feature argument"
check "the pool resumes after the refused loads" dmsetup resume "$POOL"
check "the pool reloaded with relocation features" pool_reload "$POOL" \
	relocate off relocate_idle 0 relocate_batch 128 relocate_remapped 1
check "the table reads them back" sh -c "dmsetup table $POOL | grep -q 'relocate off relocate_idle 0 relocate_batch 128 relocate_remapped 1'"
check "set_relocate_rate 0" pool_msg set_relocate_rate 0
check "the table reads the message back" sh -c "dmsetup table $POOL | grep -q 'relocate_rate 0'"

# 1. Regroup on demand.
check "remap 512 pages in reverse chunks" remap_reverse 0 512 1
check "write 64 home pages" "$SW" keep $VM 600 64 2
nr=$(remapped)
check "most pages remapped" test "$nr" -ge 400
check "set_relocate regroup" pool_msg set_relocate regroup
check "relocate stop (no background pass)" pool_msg relocate stop
check_eq "state stopped" "$(reloc_field 2)" stopped
check "relocate now" pool_msg relocate now
moved=$(reloc_field 5)
echo "# regrouped $moved of $nr remapped blocks"
check "blocks were regrouped" test "$moved" -ge $((nr / 2))
check_eq "the remaps stay remaps" "$(remapped)" "$nr"
check "relocation counted its bytes" test "$(reloc_field 6)" -eq $((moved * 4096))
check "every page reads right" "$SW" verify $VM 0 512 1
check "home pages too" "$SW" verify $VM 600 64 2
check "a second pass finds nothing out of order" pool_msg relocate now
check_eq "nothing more regrouped" "$(reloc_field 5)" "$moved"
check "reload vm0" disk_reload vm0 1 /dev/ubda
check "pages read right after the reload" "$SW" verify $VM 0 512 1
check "reload the pool" pool_reload "$POOL" relocate regroup relocate_idle 0
check "pages read right after the pool's reload" "$SW" verify $VM 0 512 1

# 2. Home on demand.
check "set_relocate home" pool_msg set_relocate home
check "relocate now" pool_msg relocate now
check_eq "no remap left" "$(remapped)" 0
check "blocks moved home" test "$(reloc_field 4)" -ge "$nr"
check "every page reads right" "$SW" verify $VM 0 512 1
check "the pool holds no block for remaps" test "$(pool_status_field 5)" -eq 0
check "the data device has them" "$SW" verify /dev/ubda 0 512 1

# 3. In the background: regroup while the disk is busy, home when idle.
check "remap 256 pages" remap_reverse 1024 256 3
check_eq "counted on the pool" "$(reloc_field 9)" "$(remapped)"
check "set_relocate_idle 500" pool_msg set_relocate_idle 500
check "set_relocate_remapped 1" pool_msg set_relocate_remapped 1
check "set_relocate auto" pool_msg set_relocate auto
check "relocate start" pool_msg relocate start
check "the worker moves them home" wait_for no_remaps
check "pages read right" "$SW" verify $VM 1024 256 3

# 4. Guest writes race a relocation step whose store reads take a second:
# they wait for it (dm-bio-prison), then win.  Without that wait a home
# move's copy would land after them, and the even chunks read stale.
for mode in home regroup; do
	check "relocate stop" pool_msg relocate stop
	check "remap 512 pages ($mode)" remap_reverse 2048 512 4
	check "set_relocate $mode, one step for all" sh -c \
		"dmsetup message $POOL 0 set_relocate $mode &&
		 dmsetup message $POOL 0 set_relocate_rate 0 &&
		 dmsetup message $POOL 0 set_relocate_batch 1024 &&
		 dmsetup message $POOL 0 set_relocate_idle 0"
	check "store reads take a second" store_slow
	check "relocate start" pool_msg relocate start
	sleep 0.3
	for c in $(seq 0 2 31); do
		"$SW" keep $VM $((2048 + c * 16)) 16 5 > /dev/null || break
	done
	check "the overwrites succeeded" test "$c" -eq 30
	check "relocate stop" pool_msg relocate stop
	check "store reads are fast again" store_ok
	for c in $(seq 0 31); do
		seed=4
		[ $((c % 2)) -eq 0 ] && seed=5
		"$SW" verify $VM $((2048 + c * 16)) 16 $seed || break
	done
	check_eq "every chunk holds its last write ($mode)" "$c" 31
	check "commit" pool_msg commit
done
echo "# relocation: $(dmsetup status $POOL)"
check_eq "no copy failed" "$(reloc_field 8)" 0

check "copy_home the rest" copy_home vm0
check "remove vm0" dmsetup remove vm0
check "pages 0..511 on the data device" "$SW" verify /dev/ubda 0 512 1
check "pages 1024..1279 on the data device" "$SW" verify /dev/ubda 1024 256 3
check "swapoff" swapoff /dev/ubdb
check "remove the pool" dmsetup remove "$POOL"
check "rmmod" rmmod dm_tesseract
check "remove the store device" dmsetup remove st
