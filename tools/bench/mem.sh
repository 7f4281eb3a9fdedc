# SPDX-License-Identifier: GPL-2.0
# Sourced inside the UML host by tests/uml-init.sh for tools/bench/run:
# kernel memory per stored swap page and per remapped block, from
# /proc/meminfo before and after (page cache and reclaimable slab dropped
# before each snapshot), each beside a control that does the same work
# without the item:
# - swap: hold.py pushes BENCH_MEM_PAGES (default 16384) pages out to
#   swap and keeps them there, once in /plain (to the swap device: the
#   control) and once in /vms (the backend stores them in the pool);
# - remaps: swapwrite writes BENCH_MEM_REMAPS (default 32768) pages the
#   host swapped out into the pool's store to a disk, in 8 MiB runs, once
#   on a no_reconcile disk (the control: the same swapping and writing, no
#   remaps left) and once on a reconciling disk (every page leaves a
#   remap); the pool commits before the second snapshot.
# The warm-up run (2048 pages, reconciling) is not reported.
# Output: mem-swap-MODE.json (hold.py's) and mem-remap-MODE.json
# {"mode", "pages", "remapped", "before", "after"}.
. "$tess_top/tools/bench/pool.sh"

SW=$tess_top/tools/swapwrite/swapwrite
mkswap -q /dev/ubdb && swapon /dev/ubdb || fail "swapon failed"
pool_create || fail "pool create failed"
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/vms /sys/fs/cgroup/plain
echo /vms > /sys/kernel/tesseract/backend/memcg

pages=${BENCH_MEM_PAGES:-16384}
# A first small swap-out of each kind, so that neither measured run pays
# for what the first swapping of a boot allocates once.
in_memcg_high plain max python3 "$tess_top/tools/bench/hold.py" warmup 1024 > /dev/null
in_memcg_high vms max python3 "$tess_top/tools/bench/hold.py" warmup 1024 > /dev/null
for mode in plain vms; do
	progress "memory: $pages pages swapped out and held, $mode"
	in_memcg_high "$mode" max python3 "$tess_top/tools/bench/hold.py" \
		"$mode" "$pages" > "$tess_out/mem-swap-$mode.json" ||
		fail "hold.py ($mode) failed: pages lost or not swapped out"
done

# snapshot: page cache and reclaimable slab dropped, then /proc/meminfo.
snapshot() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	sleep 1
	meminfo_json
}

remaps=${BENCH_MEM_REMAPS:-32768}
id=1
for mode in warmup baseline tesseract; do
	n=$remaps feat=
	[ "$mode" = warmup ] && n=2048
	[ "$mode" = baseline ] && feat=no_reconcile
	progress "memory: $n swapped-out pages written to a disk, $mode"
	# shellcheck disable=SC2086 # feat: no word or one
	bench_disk vm0 $id $feat || fail "disk create ($mode) failed"
	before=$(snapshot)
	for ((first = 0; first < n; first += 2048)); do
		in_memcg_high vms max "$SW" write /dev/mapper/vm0 "$first" 2048 \
			$((first / 2048 + 1)) > "$tess_out/swapwrite.txt" ||
			fail "swapwrite at page $first failed: $(cat "$tess_out/swapwrite.txt")"
	done
	pool_msg commit || fail "pool commit ($mode) failed"
	after=$(snapshot)
	echo "{\"mode\": \"$mode\", \"pages\": $n, \"remapped\": $(status_field vm0 7)," \
		"\"before\": $before, \"after\": $after}" > "$tess_out/mem-remap-$mode.json"
	bench_disk_delete vm0 $id || fail "disk delete ($mode) failed"
	id=$((id + 1))
done
rm -f "$tess_out/mem-remap-warmup.json"
swapoff /dev/ubdb
bench_pool_remove "$tess_out/pool-status.txt" || fail "pool remove failed"
progress "done"
