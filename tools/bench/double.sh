# SPDX-License-Identifier: GPL-2.0
# Sourced inside the UML host by tests/uml-init.sh for tools/bench/run:
# the double-paging workload (vmsim) on a tesseract target, host swapping
# through the backend, once as the baseline (table feature no_reconcile)
# and once with reconciliation (the default table) in every round, on a
# vm0 created afresh for each run, with the same seed for the pair.  The
# order of the pair alternates from round to round.
progress() { echo "bench: $*" > /dev/console; }

load_module store=/dev/ubdc || { progress "insmod failed"; exit 1; }
mkswap -q /dev/ubdb && swapon /dev/ubdb || { progress "swapon failed"; exit 1; }
size=$(sectors /dev/ubda)
secs=${BENCH_VMSIM_SECONDS:-8}
rounds=${BENCH_VMSIM_ROUNDS:-4}

# table MODE: the table line of vm0 for the baseline or Tesseract.
table() {
	case $1 in
	baseline) echo "0 $size tesseract /dev/ubda 1 no_reconcile" ;;
	tesseract) echo "0 $size tesseract /dev/ubda" ;;
	esac
}

for round in $(seq "$rounds"); do
	order="baseline tesseract"
	[ $((round % 2)) -eq 0 ] && order="tesseract baseline"
	for mode in $order; do
		progress "round $round/$rounds: vmsim, 32 MiB guest RAM in a 24 MiB memcg, ${secs}s, $mode"
		dmsetup create vm0 --table "$(table "$mode")" ||
			{ progress "dmsetup create ($mode) failed"; exit 1; }
		in_memcg_high "vm-$mode-$round" 24M "$tess_top/tools/vmsim/vmsim" \
			--dev /dev/mapper/vm0 --ram 32 --ws 64 --disk 128 \
			--seconds "$secs" --seed "$round" --data-dev ubda --store-dev ubdc \
			> "$tess_out/vmsim-$mode-$round.json"
		rc=$?
		echo "$rc" > "$tess_out/vmsim-$mode-$round.rc"
		[ "$rc" -eq 0 ] || progress "vmsim ($mode, round $round) failed: exit $rc"
		dmsetup status vm0 > "$tess_out/status-$mode-$round.txt"
		# Removal copies every remapped block home (remaps do not persist).
		dmsetup remove vm0 || { progress "dmsetup remove ($mode) failed"; exit 1; }
		rmdir "/sys/fs/cgroup/vm-$mode-$round" 2> /dev/null
	done
done
swapoff /dev/ubdb
progress "done"
