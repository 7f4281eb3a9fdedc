# SPDX-License-Identifier: GPL-2.0
# Sourced inside the UML host by tests/uml-init.sh for tools/bench/run:
# double paging (vmsim) on one storage model, every configuration on a
# disk created afresh for each run, rounds interleaved.
#
# Storage (BENCH_MODEL): "hdd" or "ssd" puts the data device, the host
# swap device, the store and the pool's metadata on dm-model tables
# (tests/dm-model, Documentation/storage-model.rst) over the ubd images;
# "ram" uses the ubd images themselves (the host page cache: CPU cost
# only).  BENCH_LAYOUT "shared" (the default, the paper's layout): the four
# are slices of ONE modelled drive, one after another (data, swap, store,
# metadata), the drive exactly as large as they are, so that going from
# one to another is a seek of that drive; "separate": each on a drive of
# its own (each drive as large as the shared one, its slice at its start,
# so seeks within a slice cost the same in both layouts).  The metadata
# goes where a one-disk host would have it, on the same drive: its commits
# and flushes then cost what they would, and both sides pay them (the
# baseline's pool serves host swap too).
#
# Configurations (BENCH_CONFIGS): baseline (disk feature no_reconcile:
# guest writes go home, a page-in overwriting a host-swapped frame faults
# it in), discard (no_remap: the page-in discard only), tesseract (the
# default table), home, regroup, auto (tesseract with the pool's relocation
# set to that mode for the run, then one forced pass: relocate now).  A
# configuration the module refuses (no such feature or message) is marked
# unavailable (unavailable.txt) and skipped.
#
# Per run (CFG, ROUND), in $tess_out:
#   vmsim-CFG-ROUND.json (.rc)   vmsim's JSON and exit code
#   status-CFG-ROUND.txt         the disk's status at the end of vmsim
#   io-CFG-ROUND.json            the four devices (their ubd images, under
#                                any model) from just before the disk's
#                                table to just after vmsim and a commit
#   reloc-CFG-ROUND.txt          the pool's status every 0.5 s of the run
#                                ("T <seconds> <status>"), relocation fields
#   relocnow-CFG-ROUND.json      {"rc", "seconds", "io", "before", "after"}
#                                of the forced pass (relocation configs)
#   seq-CFG-ROUND.json           sequential guest reads: {"remapped_before",
#                                "remapped_after", "never"} each {"mib",
#                                "seconds", "redirected"}
# and pool-status.txt at the end, unavailable.txt, layout.txt.
. "$tess_top/tools/bench/pool.sh"

model=${BENCH_MODEL:-ram} layout=${BENCH_LAYOUT:-shared}
rounds=${BENCH_VMSIM_ROUNDS:-3}
configs=${BENCH_CONFIGS:-baseline,tesseract}
configs=${configs//,/ }
ram=${BENCH_VMSIM_RAM:-32} ws=${BENCH_VMSIM_WS:-64}
vdisk=${BENCH_VMSIM_DISK:-128} high=${BENCH_VMSIM_HIGH:-24M}
accesses=${BENCH_ACCESSES:-1000000} secs=${BENCH_VMSIM_SECONDS:-20}
seq_mib=${BENCH_SEQ_MIB:-16} check=${BENCH_CHECK_PAGES:-0}
budget=${BENCH_BUDGET:-0}

# --- storage ---------------------------------------------------------------
. "$tess_top/tools/model.sh"
MODEL_KO=${BENCH_MODEL_KO:-$tess_top/tests/dm-model/dm-model.ko} \
	model_setup "$model" "$layout" "$tess_out/layout.txt" ||
	fail "BENCH_MODEL=$model BENCH_LAYOUT=$layout: no storage"

mkswap -q "$SWAP" && swapon "$SWAP" || fail "swapon failed"
POOL_META=$META POOL_STORE=$STORE pool_create || fail "pool create failed"

# --- which configurations the module has ----------------------------------
: > "$tess_out/unavailable.txt"
unavailable() { echo "$1 $2" >> "$tess_out/unavailable.txt"; progress "$model: $1 unavailable: $2"; }
pool_msg create_disk 999 || fail "create_disk failed"
if ! disk_open probe 999 "$DATA" no_remap 2> /dev/null; then
	unavailable discard "the disk feature no_remap is refused"
else
	dmsetup remove probe
fi
pool_msg delete_disk 999 || fail "delete_disk failed"
reloc_ok=1
pool_msg set_relocate off 2> /dev/null || {
	reloc_ok=
	for c in home regroup auto; do
		unavailable "$c" "the pool message set_relocate is refused"
	done
}
run_configs=
for c in $configs; do
	case $c in
	baseline | tesseract) ;;
	discard) grep -q '^discard ' "$tess_out/unavailable.txt" && continue ;;
	home | regroup | auto) [ -n "$reloc_ok" ] || continue ;;
	*) fail "unknown configuration '$c'" ;;
	esac
	run_configs="$run_configs $c"
done
# shellcheck disable=SC2086 # a list
set -- $run_configs
nconf=$#

# --- one run ----------------------------------------------------------------
# sampler FILE: the pool's status every 0.5 s until killed.
sampler() {
	while :; do
		echo "T $(date +%s.%N) $(dmsetup status "$POOL")" >> "$1"
		sleep 0.5
	done
}

# seqread NAME OFFSET_MIB: read seq_mib MiB of vm0 from OFFSET_MIB with
# 1 MiB O_DIRECT reads; JSON "NAME": {"mib", "seconds", "redirected"}.
# The time is dd's own (its copy, not its start-up: milliseconds in UML);
# "busy_s" the modelled drives' busy time over the read (0 on ram): the
# read's time on the model alone, without UML's own delays.
seqread() {
	local r0 secs b0
	r0=$(status_field vm0 10)
	b0=$(model_busy_us)
	secs=$(LC_ALL=C dd if=/dev/mapper/vm0 of=/dev/null bs=1M skip="$2" \
		count="$seq_mib" iflag=direct 2>&1 |
		awk '/copied/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^s,?$/) print $i }')
	[ -n "$secs" ] || return 1
	echo "\"$1\": {\"mib\": $seq_mib, \"seconds\": $secs, \"redirected\": $(($(status_field vm0 10) - r0)), \"busy_s\": $(awk -v a="$b0" -v b="$(model_busy_us)" 'BEGIN { printf "%.6f", (b - a) / 1e6 }')}"
}

# run_one CFG ROUND ID
run_one() {
	local cfg=$1 round=$2 id=$3 feat= mode=off rc pid t0 t1 seq at
	case $cfg in
	baseline) feat=no_reconcile ;;
	discard) feat=no_remap ;;
	home | regroup | auto) mode=$cfg ;;
	esac
	[ -z "$reloc_ok" ] || pool_msg set_relocate "$mode" ||
		fail "set_relocate $mode refused"
	pool_msg create_disk "$id" || fail "create_disk $id ($cfg) failed"
	io_snap "$tess_out/io0"
	# shellcheck disable=SC2086 # feat: no word or one
	disk_open vm0 "$id" "$DATA" $feat || fail "dmsetup create ($cfg) failed"
	sampler "$tess_out/reloc-$cfg-$round.txt" &
	pid=$!
	in_memcg_high "vm-$cfg-$round" "$high" "$tess_top/tools/vmsim/vmsim" \
		--dev /dev/mapper/vm0 --ram "$ram" --ws "$ws" --disk "$vdisk" \
		--seconds "$secs" --accesses "$accesses" --seed "$round" \
		--data-dev ubda --store-dev ubdc --disk-id "$id" --region-mib "$seq_mib" \
		--check-pages "$check" \
		> "$tess_out/vmsim-$cfg-$round.json"
	rc=$?
	# No relocation behind the first sequential read: the worker would
	# move home as soon as the disk is idle.  relocate now still runs.
	[ "$mode" = off ] || pool_msg relocate stop ||
		fail "relocate stop refused"
	echo "$rc" > "$tess_out/vmsim-$cfg-$round.rc"
	[ "$rc" -eq 0 ] || progress "vmsim ($cfg, round $round) failed: exit $rc"
	dmsetup status vm0 > "$tess_out/status-$cfg-$round.txt"
	pool_msg commit || fail "pool commit ($cfg) failed"
	kill "$pid"; wait "$pid" 2> /dev/null
	io_json "$tess_out/io0" > "$tess_out/io-$cfg-$round.json"
	rmdir "/sys/fs/cgroup/vm-$cfg-$round" 2> /dev/null

	# The guest reads sequentially the seq_mib MiB of its swap area where
	# the most blocks were last written from host-swapped frames (vmsim's
	# remap_region: where the remaps are, if any); after a forced
	# relocation pass again; and a region of the disk no run ever wrote.
	at=$(json_get "$tess_out/vmsim-$cfg-$round.json" remap_region.offset_mib) ||
		at=0
	seq="\"offset_mib\": $at, $(seqread remapped_before "$at")" ||
		fail "sequential read failed"
	if [ "$mode" != off ]; then
		io_snap "$tess_out/io0"
		echo "T $(date +%s.%N) $(dmsetup status "$POOL")" >> "$tess_out/reloc-$cfg-$round.txt"
		local before
		before=$(dmsetup status "$POOL")
		pool_msg relocate start || fail "relocate start refused"
		t0=$(date +%s.%N)
		pool_msg relocate now; rc=$?
		t1=$(date +%s.%N)
		echo "T $(date +%s.%N) $(dmsetup status "$POOL")" >> "$tess_out/reloc-$cfg-$round.txt"
		echo "{\"rc\": $rc, \"seconds\": $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')," \
			"\"remapped_after\": $(status_field vm0 7)," \
			"\"before\": \"$before\", \"after\": \"$(dmsetup status "$POOL")\"," \
			"\"io\": $(io_json "$tess_out/io0")}" \
			> "$tess_out/relocnow-$cfg-$round.json"
		pool_msg set_relocate off || fail "set_relocate off refused"
		seq="$seq, $(seqread remapped_after "$at")" || fail "sequential read failed"
	fi
	seq="$seq, $(seqread never "$vdisk")" || fail "sequential read failed"
	echo "{$seq}" > "$tess_out/seq-$cfg-$round.json"
	dmsetup remove vm0 || fail "dmsetup remove ($cfg) failed"
	pool_msg delete_disk "$id" || fail "delete_disk $id ($cfg) failed"
}

# --- rounds -----------------------------------------------------------------
# Round r runs the configurations rotated by r, so each takes each place
# in the order as often; same seed for all runs of a round.
total=$((rounds * nconf)) done=0 start=$(date +%s)
[ "$model" = ram ] && layout="no model"
progress "$model ($layout): $nconf configurations ($*), $rounds rounds: $total runs"
for round in $(seq "$rounds"); do
	for k in $(seq 0 $((nconf - 1))); do
		j=$(((k + round - 1) % nconf + 1))
		cfg=${!j}
		el=$(($(date +%s) - start))
		left=?
		[ "$done" -eq 0 ] || left=$((el * (total - done) / done))
		progress "$model [$((done + 1))/$total] round $round/$rounds $cfg (${el}s so far, ~${left}s left)"
		run_one "$cfg" "$round" $((1000 + 10 * round + j))
		done=$((done + 1))
	done
	# A budget (seconds): no round that would end past it, 2 rounds at least.
	el=$(($(date +%s) - start))
	if [ "$budget" -gt 0 ] && [ "$round" -ge 2 ] && [ "$round" -lt "$rounds" ] &&
	   [ $((el + el / round)) -gt "$budget" ]; then
		progress "$model: time budget ${budget}s: stopping after $round of $rounds rounds"
		echo "$round" > "$tess_out/rounds-done"
		break
	fi
done
[ -f "$tess_out/rounds-done" ] || echo "$rounds" > "$tess_out/rounds-done"
swapoff "$SWAP"
bench_pool_remove "$tess_out/pool-status.txt" || fail "pool remove failed"
progress "done"
