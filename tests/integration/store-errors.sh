# SPDX-License-Identifier: GPL-2.0
# Store I/O errors surface as swap device errors do: a page that cannot be
# read back kills its task with SIGBUS; it never comes back wrong.  The
# store sits on a dm device whose table is switched to "error".
#
# Both workloads run under memory.high, not memory.max.  Under memory.max a
# charge that finds every page of the memcg under writeback fails: memcg
# reclaim does not wait for writeback (it activates such folios, and its
# congestion throttle is skipped while the node as a whole has few pages
# under writeback), so after MAX_RECLAIM_RETRIES passes the memcg OOM
# killer fires, before any store read can fail.  That takes a device slower
# than the reclaim loop: the suspended store during the table switch, whose
# bios wait in device-mapper until the resume, or an idle moment of UML's
# ubd I/O thread.  What is tested here only needs the pages swapped out,
# which memory.high does too (it reclaims and throttles, never kills); the
# test checks that the store holds them.  The store also fails only while
# the task holds its pages and allocates nothing, and the task reads them
# back only once the store is failing.

size=$(sectors /dev/ubdc)
check "store on a dm device" dmsetup create st --table "0 $size linear /dev/ubdc 0"
POOL_STORE=/dev/mapper/st
check "a pool with its store on it" pool_create
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb

# The hold ends on SIGUSR1; its 120 s are only a bound.
in_memcg_high vm 16M "$MEMTOUCH" -h 120 48 2 > "$tess_out/memtouch.txt" 2>&1 &
holder=$!
holding() { grep -q "^memtouch: holding" "$tess_out/memtouch.txt"; }
check "48 MiB written, held in a memcg with 16 MiB of memory.high" wait_for 60 holding
check "pages held in the store" pages_above 4096

kmsg_mark
check "the store starts failing" sh -c "dmsetup suspend st && dmsetup load st --table '0 $size error' && dmsetup resume st"
check "the task reads its pages back" kill -USR1 "$(cat /sys/fs/cgroup/vm/cgroup.procs)"
wait "$holder"
rc=$?
check_eq "the task died of SIGBUS (128 + 7), not of bad data" "$rc" 135
check_eq "and not of the OOM killer" \
	"$(awk '$1 == "oom_kill" { print $2 }' /sys/fs/cgroup/vm/memory.events)" 0
check_fails "memtouch never saw a wrong page" grep -q "memtouch: page" "$tess_out/memtouch.txt"
check "read failures counted" test "$(backend failed)" -gt 0
check_kmsg "the kernel log says so" "tesseract: read error on store"

# Writes: a folio whose store write failed is re-dirtied, and pages go to
# the swap device for a while: a new workload runs intact on a dead store.
before=$(swap_written)
declined=$(backend declined)
check "a new workload with the store failing, verified" in_memcg_high vm2 12M "$MEMTOUCH" 32 2
check_kmsg "write errors reported" "tesseract: write error on store"
check "its pages fell back to the swap device" test "$(backend declined)" -gt "$declined"
check "the swap device was written" test "$(swap_written)" -gt "$before"
