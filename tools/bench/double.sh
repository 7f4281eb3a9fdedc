# SPDX-License-Identifier: GPL-2.0
# Sourced inside the UML host by tests/uml-init.sh for tools/bench/run:
# the double-paging workload (vmsim) on a tesseract target, host swapping
# through the backend.  Only the baseline exists until reconciliation
# lands; then the same run with it on goes beside this one.
progress() { echo "bench: $*" > /dev/console; }

load_module store=/dev/ubdc || { progress "insmod failed"; exit 1; }
mkswap -q /dev/ubdb && swapon /dev/ubdb || { progress "swapon failed"; exit 1; }
size=$(sectors /dev/ubda)
dmsetup create vm0 --table "0 $size tesseract /dev/ubda"
secs=${BENCH_VMSIM_SECONDS:-20}
for round in $(seq "${BENCH_VMSIM_ROUNDS:-2}"); do
	progress "round $round: vmsim, 32 MiB guest RAM in a 24 MiB memcg, ${secs}s, baseline"
	in_memcg_high "vm$round" 24M "$tess_top/tools/vmsim/vmsim" \
		--dev /dev/mapper/vm0 --ram 32 --ws 64 --disk 128 \
		--seconds "$secs" --seed "$round" --data-dev ubda --store-dev ubdc \
		> "$tess_out/vmsim-baseline-$round.json" || progress "vmsim failed"
done
dmsetup remove vm0
swapoff /dev/ubdb
progress "done"
