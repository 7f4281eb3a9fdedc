# SPDX-License-Identifier: GPL-2.0
# Store I/O errors surface as swap device errors do: a page that cannot be
# read back kills its task with SIGBUS; it never comes back wrong.  The
# store sits on a dm device whose table is switched to "error".

size=$(sectors /dev/ubdc)
check "store on a dm device" dmsetup create st --table "0 $size linear /dev/ubdc 0"
check "insmod with store=/dev/mapper/st" load_module store=/dev/mapper/st
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb

in_memcg vm 16M "$MEMTOUCH" -h 6 48 2 > "$tess_out/memtouch.txt" 2>&1 &
holder=$!
check "pages held in the store" wait_for 20 pages_above 4096

kmsg_mark
check "the store starts failing" sh -c "dmsetup suspend st && dmsetup load st --table '0 $size error' && dmsetup resume st"
wait "$holder"
rc=$?
check_eq "the task died of SIGBUS (128 + 7), not of bad data" "$rc" 135
check_fails "memtouch never saw a wrong page" grep -q "memtouch: page" "$tess_out/memtouch.txt"
check "read failures counted" test "$(backend failed)" -gt 0
check_kmsg "the kernel log says so" "tesseract: read error on store"

# Writes: a folio whose store write failed is re-dirtied, and pages go to
# the swap device for a while: a new workload runs intact on a dead store.
before=$(swap_written)
declined=$(backend declined)
check "a new workload with the store failing, verified" in_memcg vm2 12M "$MEMTOUCH" 32 2
check_kmsg "write errors reported" "tesseract: write error on store"
check "its pages fell back to the swap device" test "$(backend declined)" -gt "$declined"
check "the swap device was written" test "$(swap_written)" -gt "$before"
