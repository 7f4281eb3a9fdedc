# SPDX-License-Identifier: GPL-2.0
# Host swapping through the backend: pages of a process in a memory cgroup
# far below its working set go to the pool's store and come back intact;
# swapoff empties the store; the module cannot be removed while it holds
# pages.  The pool's status counts the store blocks swap entries hold.

kmsg_mark
check "create the pool" pool_create
check_kmsg "a new pool is formatted" "formatted"
check_eq "the pool serves swap" "$(pool_status_field 9)" swap
check "mkswap" mkswap /dev/ubdb
check "swapon" swapon /dev/ubdb
blocks=$(store_stat blocks)
swap_before=$(swap_written)
check_eq "store starts empty" "$(store_stat free)" "$blocks"

vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
pswpout=$(vmstat pswpout) pswpin=$(vmstat pswpin)

# 48 MiB touched three times in a 16 MiB memory cgroup: real host swapping.
check "48 MiB in a 16 MiB memcg, pattern verified" in_memcg_high vm 16M "$MEMTOUCH" 48 3
check_eq "stored pages count as pswpout" "$(( $(vmstat pswpout) - pswpout ))" "$(backend stored)"
check_eq "loaded pages count as pswpin" "$(( $(vmstat pswpin) - pswpin ))" "$(backend loaded)"
check "pages went to the store" test "$(backend stored)" -gt 4096
check "pages came back from the store" test "$(backend loaded)" -gt 4096
check "store bytes written" test "$(store_stat bytes_written)" -ge $(( $(backend stored) * 4096 ))
check "store bytes read" test "$(store_stat bytes_read)" -ge $(( $(backend loaded) * 4096 ))
check_eq "no page declined" "$(backend declined)" 0
check_eq "no store I/O failed" "$(backend failed)" 0
check_eq "swap device not written" "$(swap_written)" "$swap_before"
# Freed swap slots may wait in per-cpu slot caches and in the swap cache:
# exit frees nearly all entries at once, swapoff below all of them.
check "process exit frees the entries" test "$(backend pages)" -lt 256
check "and their blocks" test $((blocks - $(store_stat free))) -eq "$(backend pages)"
check_eq "the pool counts them as held by swap entries" "$(pool_status_field 4)" "$(backend pages)"
check_eq "and none by remaps" "$(pool_status_field 5)" 0

# Hold swapped-out pages: rmmod must be refused, swapoff brings them back.
in_memcg_high vm 16M "$MEMTOUCH" -h 6 48 2 > "$tess_out/memtouch-hold.txt" 2>&1 &
holder=$!
check "pages held in the store" wait_for 20 pages_above 4096
check "the pool counts them" test "$(pool_status_field 4)" -gt 4096
check_fails "rmmod refused while the store holds pages" rmmod dm_tesseract
check "lift the memcg limit, as before a swapoff" sh -c "echo max > /sys/fs/cgroup/vm/memory.high"
check "swapoff" swapoff /dev/ubdb
check_eq "swapoff leaves the store empty" "$(backend pages)" 0
check_eq "all blocks free after swapoff" "$(store_stat free)" "$blocks"
check "held pages verified after swapoff" wait "$holder"
check_eq "the pool holds no swap entry" "$(pool_status_field 4)" 0
check "remove the pool" dmsetup remove pool
check "rmmod once the store is empty" rmmod dm_tesseract

kmsg_mark
check "the pool again, on the same devices" pool_create
check_no_kmsg "not formatted again" "formatted"
check_eq "the store is recognised, every block free" "$(store_stat free)" "$blocks"
check_eq "and the pool serves swap again" "$(pool_status_field 9)" swap
check "remove the pool" dmsetup remove pool
check "rmmod" rmmod dm_tesseract
