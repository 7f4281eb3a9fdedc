# SPDX-License-Identifier: GPL-2.0
# A store too small for the working set: what does not fit is declined to
# the swap device, and every page comes back intact.

check "an 8 MiB store" dmsetup create small --table "0 16384 linear /dev/ubdc 0"
POOL_STORE=/dev/mapper/small
check "a pool on it" pool_create
check_eq "the pool is as long as the store" "$(dmsetup table pool | cut -d' ' -f2)" 16384
check_eq "2047 blocks besides the superblock" "$(store_stat blocks)" 2047
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb

in_memcg_high vm 16M "$MEMTOUCH" -h 4 48 2 > "$tess_out/memtouch.txt" 2>&1 &
holder=$!
store_full() { [ "$(store_stat free)" -eq 0 ]; }
check "the store fills up" wait_for 20 store_full
check "48 MiB in a 16 MiB memcg over a full store, verified" wait "$holder"
check "pages that did not fit were declined" test "$(backend declined)" -gt 1024
check "and the store was used" test "$(backend stored)" -gt 1024
check_eq "no store I/O failed" "$(backend failed)" 0
check "lift the memcg limit" sh -c "echo max > /sys/fs/cgroup/vm/memory.high"
check "swapoff" swapoff /dev/ubdb
check_eq "the store is empty again" "$(store_stat free)" 2047
check_eq "the pool holds no swap entry" "$(pool_status_field 4)" 0
check "remove the pool" dmsetup remove pool
check "rmmod" rmmod dm_tesseract
check "remove the small store" dmsetup remove small
