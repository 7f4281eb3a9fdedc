# SPDX-License-Identifier: GPL-2.0
# Sourced inside the UML host by tests/uml-init.sh for tools/bench/run:
# the double-paging workload (vmsim) on a tesseract disk of the pool, host
# swapping through the backend into the pool's store, once as the baseline
# (disk feature no_reconcile) and once with reconciliation (the default
# table) in every round, each run on a disk created afresh in the pool
# (a new disk id, deleted with its remaps after the run), with the same
# seed for the pair.  The order of the pair alternates from round to round.
#
# Per run: vmsim's JSON (its own window: the timed part), the disk's
# status at its end, io-MODE-ROUND.json: what the data, swap, store and
# metadata devices did from just before the disk's table was created to
# just after vmsim ended and the pool committed, so that every metadata
# write the run caused is counted, the commit of its last remaps included;
# and copyhome-MODE-ROUND.json: what the disk's copy_home then cost (every
# remapped block copied home, the drops committed), apart.
. "$tess_top/tools/bench/pool.sh"

mkswap -q /dev/ubdb && swapon /dev/ubdb || fail "swapon failed"
pool_create || fail "pool create failed"
secs=${BENCH_VMSIM_SECONDS:-8}
rounds=${BENCH_VMSIM_ROUNDS:-4}

for round in $(seq "$rounds"); do
	order="baseline tesseract"
	[ $((round % 2)) -eq 0 ] && order="tesseract baseline"
	for mode in $order; do
		feat=; id=$((2 * round))
		[ "$mode" = baseline ] && feat=no_reconcile id=$((id + 1))
		progress "round $round/$rounds: vmsim, 32 MiB guest RAM in a 24 MiB memcg, ${secs}s, $mode"
		pool_msg create_disk "$id" ||
			fail "create_disk $id ($mode) failed"
		io_snap "$tess_out/io0"
		# shellcheck disable=SC2086 # feat: no word or one
		disk_open vm0 "$id" /dev/ubda $feat ||
			fail "dmsetup create ($mode) failed"
		in_memcg_high "vm-$mode-$round" 24M "$tess_top/tools/vmsim/vmsim" \
			--dev /dev/mapper/vm0 --ram 32 --ws 64 --disk 128 \
			--seconds "$secs" --seed "$round" --data-dev ubda --store-dev ubdc \
			> "$tess_out/vmsim-$mode-$round.json"
		rc=$?
		echo "$rc" > "$tess_out/vmsim-$mode-$round.rc"
		[ "$rc" -eq 0 ] || progress "vmsim ($mode, round $round) failed: exit $rc"
		dmsetup status vm0 > "$tess_out/status-$mode-$round.txt"
		pool_msg commit || fail "pool commit ($mode) failed"
		io_json "$tess_out/io0" > "$tess_out/io-$mode-$round.json"
		# What it costs to make the data device the whole disk again.
		rem0=$(status_field vm0 7)
		io_snap "$tess_out/io0"
		t0=$(date +%s.%N)
		copy_home vm0; rc=$?
		t1=$(date +%s.%N)
		echo "{\"rc\": $rc," \
			"\"seconds\": $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')," \
			"\"remapped\": [$rem0, $(status_field vm0 7)]," \
			"\"io\": $(io_json "$tess_out/io0")}" \
			> "$tess_out/copyhome-$mode-$round.json"
		# Remaps persist: removal copies nothing home.
		dmsetup remove vm0 || fail "dmsetup remove ($mode) failed"
		pool_msg delete_disk "$id" ||
			fail "delete_disk $id ($mode) failed"
		rmdir "/sys/fs/cgroup/vm-$mode-$round" 2> /dev/null
	done
done
swapoff /dev/ubdb
bench_pool_remove "$tess_out/pool-status.txt" || fail "pool remove failed"
progress "done"
