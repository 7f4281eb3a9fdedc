# SPDX-License-Identifier: GPL-2.0
# The write hook never switches off silently and never widens what a
# write may do: status says whether the disk reconciles and why not,
# counts the pages the hook offered, took and declined (by kind of page
# and by reason), taken pages count in the device's diskstats, and a write
# from memory it may not read fails with EFAULT as without the hook.

SW=$tess_top/tools/swapwrite/swapwrite
size=$(sectors /dev/ubda)

# Status fields after the pass-through ones (Documentation/dm-tesseract.rst).
state() { status_field vm0 12; }
offered_pte() { status_field vm0 13; }
taken_pte() { status_field vm0 14; }
offered_cache() { status_field vm0 15; }
taken_cache() { status_field vm0 16; }
not_stored() { status_field vm0 18; }
# Sectors written to vm0, from its diskstats.
dm_written() { awk '{ print $7 }' "/sys/block/$(dmsetup info -c --noheadings -o blkdevname vm0)/stat"; }

# A pool that does not serve host swap holds no page to reconcile with.
check "create a pool with no_swap" pool_create pool no_swap
check_eq "the pool says: no_swap" "$(pool_status_field 9)" no_swap
check "create vm0" disk_create vm0 1 /dev/ubda
check_eq "status says: no store" "$(state)" no_store
check "suspend vm0" dmsetup suspend vm0
check_eq "status says: suspended" "$(state)" suspended
check "remove vm0" dmsetup remove vm0
check "remove the pool" dmsetup remove pool

check "create the pool again, serving swap" pool_create
check_eq "the pool says: swap" "$(pool_status_field 9)" swap
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb
check "open vm0 with no_reconcile" disk_open vm0 1 /dev/ubda no_reconcile
check_eq "status says: off" "$(state)" off
check "remove vm0" dmsetup remove vm0
half=$((size / 2))
check "open vm0 over half the device, linear after" dmsetup create vm0 --table "0 $half tesseract /dev/mapper/pool 1 /dev/ubda
$half $((size - half)) linear /dev/ubda $half"
check_eq "status says: not the whole device" "$(state)" partial_device
check "remove vm0" dmsetup remove vm0

check "open vm0" disk_open vm0 1 /dev/ubda
check_eq "status says: reconciling" "$(state)" reconciling

# 64 swapped-out pages: offered and taken as swap PTEs, counted as one
# write of 64 pages in the device's diskstats.
w0=$(dm_written)
check "write 64 swapped-out pages" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 0 64 1 > $tess_out/w1.txt"
check_eq "all 64 were swapped out" "$(sw_field "$tess_out/w1.txt" swapped)" 64
check_eq "64 offered as swap PTEs" "$(offered_pte)" 64
check_eq "64 taken as swap PTEs" "$(taken_pte)" 64
check_eq "diskstats count their sectors" $(($(dm_written) - w0)) $((64 * 8))

# 64 pages swapped out and read back clean: swap-cache pages, made stable
# (no secondary MMU here, no other reference) and taken.
check "write 64 pages swapped in clean" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 64 64 2 1 > $tess_out/w2.txt"
check_eq "none left swapped out" "$(sw_field "$tess_out/w2.txt" swapped)" 0
check_eq "64 offered as swap-cache pages" "$(offered_cache)" 64
check_eq "64 taken as swap-cache pages" "$(taken_cache)" 64
check "both read back right" sh -c "$SW verify /dev/mapper/vm0 0 64 1 && $SW verify /dev/mapper/vm0 64 64 2"

# io_uring on an O_NONBLOCK file first tries without blocking: a write of
# pages the hook would take, and a read over swapped-out pages, get
# -EAGAIN there, before GUP could swap the pages in, and are retried from
# io_uring's worker, where the hook takes them and the discard drops them.
taken=$(taken_pte)
check "io_uring O_NONBLOCK write of 64 swapped-out pages" in_memcg_high sw max sh -c "$SW --nonblock --submit io_uring write /dev/mapper/vm0 192 64 7 > $tess_out/w6.txt"
check_eq "all 64 were swapped out" "$(sw_field "$tess_out/w6.txt" swapped)" 64
# Counted as this process's major faults: pswpin is the whole system's.
check_eq "no swap-in by the non-blocking try" "$(sw_field "$tess_out/w6.txt" majflt)" 0
check_eq "64 taken on the retry" $(($(taken_pte) - taken)) 64
check "io_uring O_NONBLOCK read into swapped-out memory" in_memcg_high sw max sh -c "$SW --nonblock --submit io_uring read /dev/mapper/vm0 192 64 7 > $tess_out/r6.txt"
check_eq "no swap-in by the read either" "$(sw_field "$tess_out/r6.txt" majflt)" 0

# A write from a PROT_NONE buffer fails, as GUP would make it, whether or
# not its pages are swapped out; the disk keeps what it had.
check "write 64 pages before" "$SW" keep /dev/mapper/vm0 128 64 3
offered=$(offered_pte)
check_fails "a swapped-out PROT_NONE buffer is refused" in_memcg_high sw max sh -c "$SW --prot-none write /dev/mapper/vm0 128 64 4 > $tess_out/w3.txt"
check_eq "with EFAULT" "$(sw_field "$tess_out/w3.txt" errno)" EFAULT
check_eq "nothing was offered" "$(offered_pte)" "$offered"
check_fails "a resident PROT_NONE buffer is refused" sh -c "$SW --prot-none keep /dev/mapper/vm0 128 64 5 > $tess_out/w4.txt"
check_eq "with EFAULT" "$(sw_field "$tess_out/w4.txt" errno)" EFAULT
check "the disk kept the pages before" "$SW" verify /dev/mapper/vm0 128 64 3

# Pages the store does not hold are offered and declined, by reason.
mkdir -p /sys/fs/cgroup/vms
check "restrict the backend to /vms" sh -c "echo /vms > $TESS_SYS/backend/memcg"
check "write 64 pages swapped to the swap device" in_memcg_high other max sh -c "$SW write /dev/mapper/vm0 256 64 6 > $tess_out/w5.txt"
check_eq "all 64 were swapped out" "$(sw_field "$tess_out/w5.txt" swapped)" 64
check_eq "64 declined: not in the store" "$(not_stored)" 64
check "they went to the data device, right" "$SW" verify /dev/ubda 256 64 6
check "lift the restriction" sh -c "echo > $TESS_SYS/backend/memcg"

check "reset_counters" dmsetup message vm0 0 reset_counters
check_eq "counters reset" "$(offered_pte) $(taken_pte) $(offered_cache) $(taken_cache) $(not_stored)" "0 0 0 0 0"
check "remove vm0" dmsetup remove vm0
check "swapoff" swapoff /dev/ubdb
check "remove the pool" dmsetup remove pool
check "rmmod" rmmod dm_tesseract
