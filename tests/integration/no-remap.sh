# SPDX-License-Identifier: GPL-2.0
# The disk feature no_remap ("discard only"): the disk keeps the write hook,
# so a page-in into host-swapped memory discards it rather than swapping
# it in, but writes of host-swapped pages are ordinary writes.  Against
# no_reconcile (neither) and the default table (both), on one data device.

SW=$tess_top/tools/swapwrite/swapwrite
VM=/dev/mapper/vm0
state() { status_field vm0 12; }

check "a pool" pool_create
check "cgroup sw" in_memcg_high sw max true
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb

check "vm0 with no_remap" disk_create vm0 1 /dev/ubda no_remap
check_eq "the state says discard_only" "$(state)" discard_only
check "the table reads no_remap back" sh -c "dmsetup table vm0 | grep -q ' 1 no_remap$'"
check "write 64 swapped-out pages" in_memcg_high sw max sh -c \
	"$SW write $VM 0 64 1 > $tess_out/w1.txt"
check_eq "all 64 were swapped out" "$(sw_field "$tess_out/w1.txt" swapped)" 64
check_eq "none was remapped" "$(status_field vm0 7)" 0
check "the hook offered them (swap PTEs offered)" test "$(status_field vm0 13)" -ge 64
check_eq "and took none" "$(status_field vm0 14)" 0
check "the data device has them" "$SW" verify /dev/ubda 0 64 1
check "read 64 pages into swapped-out memory" in_memcg_high sw max sh -c \
	"$SW read $VM 0 64 1 > $tess_out/r1.txt"
check_eq "all 64 were swapped out" "$(sw_field "$tess_out/r1.txt" swapped)" 64
check_eq "the read swapped none of them in" "$(sw_field "$tess_out/r1.txt" majflt)" 0
check "remove vm0" dmsetup remove vm0

check "vm0 with no_reconcile" disk_open vm0 1 /dev/ubda no_reconcile
check_eq "the state says off" "$(state)" off
check "read 64 pages into swapped-out memory" in_memcg_high sw max sh -c \
	"$SW read $VM 0 64 1 > $tess_out/r2.txt"
check_eq "all 64 were swapped out" "$(sw_field "$tess_out/r2.txt" swapped)" 64
check "without the hook the read swaps them in" test "$(sw_field "$tess_out/r2.txt" majflt)" -gt 0
check "remove vm0" dmsetup remove vm0

check "vm0, the default table" disk_open vm0 1 /dev/ubda
check "write 64 swapped-out pages" in_memcg_high sw max sh -c \
	"$SW write $VM 64 64 2 > /dev/null"
check "they were remapped" test "$(status_field vm0 7)" -ge 48
check "remove vm0" dmsetup remove vm0
check "swapoff" swapoff /dev/ubdb
check "remove the pool" dmsetup remove "$POOL"
check "rmmod" rmmod dm_tesseract
