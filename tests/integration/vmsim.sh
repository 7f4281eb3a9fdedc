# SPDX-License-Identifier: GPL-2.0
# vmsim, the VM-like process of the double-paging benchmark, on a disk of
# a pool with host swapping through the backend: guest RAM really swapped
# by the host, guest paging really through O_DIRECT, every stamp checked.
# The VM's memcg uses memory.high: under a memory.max below guest RAM this
# access pattern (O_DIRECT from and into memory being swapped) ends in a
# memcg OOM kill in UML, with the swap device as with the store.

VMSIM=$tess_top/tools/vmsim/vmsim
check "create the pool" pool_create
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb
check "create vm0" disk_create vm0 1 /dev/ubda

reconciled() { status_field vm0 8; }

for submit in pwritev aio io_uring; do
	out=$tess_out/vmsim-$submit.json
	rec=$(reconciled)
	check "vmsim ($submit): 32 MiB guest RAM in a 24 MiB memcg, stamps verified" \
		in_memcg_high vm 24M sh -c "$VMSIM --dev /dev/mapper/vm0 --ram 32 --ws 64 --disk 128 --seconds 4 --submit $submit --data-dev ubda --store-dev ubdc > $out"
	check "vmsim ($submit): JSON output" json_get "$out" throughput
	check "vmsim ($submit): the guest paged out" test "$(json_get "$out" guest.page_outs)" -gt 1000
	check "vmsim ($submit): the guest paged in" test "$(json_get "$out" guest.page_ins)" -gt 1000
	check "vmsim ($submit): the host swapped guest RAM in" test "$(json_get "$out" host.pswpin)" -gt 100
	check "vmsim ($submit): host swap went to the store" test "$(json_get "$out" bytes.store_written)" -gt 0
	check_eq "vmsim ($submit): no bad stamp" "$(json_get "$out" bad_stamps)" 0
	check "vmsim ($submit): the probe ran" test "$(json_get "$out" probe_ms.samples)" -ge 5
	check "vmsim ($submit): guest page-outs were reconciled" test "$(reconciled)" -gt "$rec"
done
check "remove vm0" dmsetup remove vm0

# The baseline: with reconciliation off, guest page-outs of host-swapped
# pages read them back from the store, and write them to the data device.
check "open vm0 with no_reconcile" disk_open vm0 1 /dev/ubda no_reconcile
out=$tess_out/vmsim-baseline.json
check "vmsim (baseline): stamps verified" \
	in_memcg_high vm 24M sh -c "$VMSIM --dev /dev/mapper/vm0 --ram 32 --ws 64 --disk 128 --seconds 4 --data-dev ubda --store-dev ubdc > $out"
check_eq "vmsim (baseline): no bad stamp" "$(json_get "$out" bad_stamps)" 0
check_eq "vmsim (baseline): nothing reconciled" "$(reconciled)" 0
check "vmsim (baseline): page-outs wrote the data device" test "$(json_get "$out" bytes.data_written)" -gt $((1000 * 4096))

# The stamps catch a disk that loses writes: dm-zero reads back zeroes.
check "a disk that loses writes" dmsetup create z --table "0 262144 zero"
check_fails "vmsim fails on it" sh -c "$VMSIM --dev /dev/mapper/z --ram 8 --ws 16 --disk 32 --seconds 1 > /dev/null 2> $tess_out/vmsim-zero.txt"
check "and says why" grep -q "stamp" "$tess_out/vmsim-zero.txt"
check_fails "bad arguments refused" "$VMSIM" --dev /dev/mapper/vm0 --ram 0
check_eq "with exit code 2" "$("$VMSIM" --bogus > /dev/null 2>&1; echo $?)" 2
check "remove vm0" dmsetup remove vm0
check "remove z" dmsetup remove z
check "remove the pool" dmsetup remove pool
