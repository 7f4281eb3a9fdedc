# SPDX-License-Identifier: GPL-2.0
# Crash consistency, replayed: every write acknowledged before a completed
# flush survives a crash at any point, and nothing else is corrupted.
#
# One dm-log-writes device over one backing device (ubda) logs, in one
# order, every write and flush that reaches the metadata, the store and
# the data, which are dm-linear slices of it.  A workload runs on them:
# vmsim paging a VM disk, and crashwrite writing stamped blocks from
# host-swapped and resident pages to another, with fdatasync after every
# few writes and then a log mark that names the sync.  Then the log (ubdc)
# is replayed, forward, onto a replay target (ubdd), and at each crash
# point (every flush, FUA and mark entry, and random entries between: at
# least CRASH_POINTS, default 500) the image, under a dm-snapshot so that
# the target stays as replayed, is cut into the same slices and brought
# up: the pool and the disks must come up (and pass tess_check when it is
# built), and every stamp acknowledged before the last mark at or before
# the point must read back; newer ones may read old or new, never
# anything else.  Meanwhile the pool's relocation moves remapped blocks,
# home and regrouped in turn (a step of 64 blocks while a disk has 24
# remaps or more: some stay, for the replay to read through), so that
# crash points fall inside and between its steps.  CRASH_SEED picks the random points (printed; with the
# kept log it replays a failure: see "reproduce" below).
#
# Without the pool target in the module (before the pool landed) the
# stack is plain dm-linear: then this checks the log, the replay and the
# checker themselves, on a device that keeps what it is told to, and the
# point that asks for the pool target fails.
#
# tess-boot: TESS_DATA_SIZE=144M TESS_STORE_SIZE=1G TESS_META_SIZE=144M
# tess-boot: TESS_TIMEOUT=600

CW=$tess_top/tools/crashwrite/crashwrite
LR=$tess_top/tools/log-replay/log-replay
VMSIM=$tess_top/tools/vmsim/vmsim
TESS_CHECK=$tess_top/tools/tess-check/tess_check
points_wanted=${CRASH_POINTS:-500}
seed=${CRASH_SEED:-$(($(date +%s) % 100000))}
echo "# seed $seed (CRASH_SEED=$seed replays the choice of points)"
rec=$tess_out/crashwrite.rec

# The slices, in 512-byte sectors: metadata, store, vmsim's disk,
# crashwrite's disk.
meta_len=32768 store_len=131072 data1_len=98304 data2_len=32768
meta_at=0
store_at=$((meta_at + meta_len))
data1_at=$((store_at + store_len))
data2_at=$((data1_at + data1_len))
total=$((data2_at + data2_len))
cw_blocks=1024			# crashwrite's region: the first 4 MiB of its disk

# concise PREFIX DEV: the four slices of DEV, PREFIX-named, as a
# "dmsetup create --concise" list; slices PREFIX DEV creates them.
concise() {
	echo "$1meta,,,rw,0 $meta_len linear $2 $meta_at;$1store,,,rw,0 $store_len linear $2 $store_at;\
$1data1,,,rw,0 $data1_len linear $2 $data1_at;$1data2,,,rw,0 $data2_len linear $2 $data2_at"
}
slices() { dmsetup create --concise "$(concise "$1" "$2")"; }
remove_slices() { dmsetup remove "$1data2" "$1data1" "$1store" "$1meta"; }

check "the backing device holds the four slices" test "$(sectors /dev/ubda)" -ge "$total"
check "the replay target is as large" test "$(sectors /dev/ubdd)" -ge "$total"
check "load the module" load_module
pool=
dmsetup targets | grep -q '^tesseract-pool ' && pool=1
check "the module has the tesseract-pool target" test -n "$pool"
if [ -z "$pool" ]; then
	echo "# no tesseract-pool target in this module: plain dm-linear slices"
fi

# pool_table PREFIX FEATURES, disk_table PREFIX ID: the pool on PREFIX's
# slices and its disk ID, as "dmsetup create --concise" entries.
pool_table() {
	echo "$1pool,,,rw,0 $store_len tesseract-pool /dev/mapper/$1meta /dev/mapper/$1store $2"
}
disk_table() {
	local len=$data1_len
	[ "$2" = 1 ] || len=$data2_len
	echo "$1vm$2,,,rw,0 $len tesseract /dev/mapper/$1pool $2 /dev/mapper/$1data$2"
}
pool_up() { dmsetup create --concise "$(pool_table "$1" "$2")"; }
disk_up() { dmsetup create --concise "$(disk_table "$1" "$2")"; }

# --- The workload, logged.
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb
check "log-writes over the backing device" \
	dmsetup create lw --table "0 $total log-writes /dev/ubda /dev/ubdc"
check "the four slices of it" slices "" /dev/mapper/lw
if [ -n "$pool" ]; then
	check "the pool on them, relocating" pool_up "" \
		"8 relocate regroup relocate_idle 0 relocate_remapped 24 relocate_batch 64"
	check "create disk 1" dmsetup message pool 0 create_disk 1
	check "create disk 2" dmsetup message pool 0 create_disk 2
	check "disk 1 up" disk_up "" 1
	check "disk 2 up" disk_up "" 2
	check "mark the end of the setup" dmsetup message lw 0 mark setup
	vm_dev=/dev/mapper/vm1 cw_dev=/dev/mapper/vm2
else
	vm_dev=/dev/mapper/data1 cw_dev=/dev/mapper/data2
fi
in_memcg_high vm 9M "$VMSIM" --dev "$vm_dev" --ram 12 --ws 24 --disk 32 \
	--seconds 3 > "$tess_out/vmsim.json" 2> "$tess_out/vmsim.err" &
vmsim_pid=$!
# Relocation: regroup and home in turn, while the workload runs.
reloc_turns() {
	local m
	while :; do
		for m in home regroup; do
			sleep 0.3
			dmsetup message pool 0 set_relocate $m || return
		done
	done
}
if [ -n "$pool" ]; then
	reloc_turns &
	turns_pid=$!
fi
check "crashwrite: stamped writes, fdatasync and a mark every 4" \
	in_memcg_high cw max sh -c "$CW run $cw_dev $rec 0 $cw_blocks 256 $seed --sync-every 4 --mark lw > $tess_out/cw.txt"
if [ -n "$pool" ]; then
	kill "$turns_pid"
	wait "$turns_pid" 2> /dev/null
	check "a last regroup pass" sh -c \
		"dmsetup message pool 0 set_relocate regroup && dmsetup message pool 0 relocate now"
	# Relocation fields 11.. of the status, after dm's three words.
	set -- $(dmsetup status pool)
	echo "# relocation: ${16} extents, ${17} blocks home, ${18} regrouped, ${20} bytes written"
	check "relocation moved blocks home while logged" test "${17}" -gt 0
	check "and regrouped some" test "${18}" -gt 0
fi
check "vmsim ran along, its stamps right" wait "$vmsim_pid"
syncs=$(sw_field "$tess_out/cw.txt" syncs)
echo "# crashwrite: $(cat "$tess_out/cw.txt")"
check "crashwrite synced 64 times" test "${syncs:-0}" -eq 64
if [ -n "$pool" ]; then
	check "most of its writes came from swapped-out pages" \
		test "$(sw_field "$tess_out/cw.txt" swapped)" -ge 128
	check "and were reconciled" test "$(status_field vm2 8)" -gt 0
	echo "# pool: $(dmsetup status pool)"
	echo "# vm2: $(dmsetup status vm2)"
fi
check "swapoff" swapoff /dev/ubdb
if [ -n "$pool" ]; then
	check "remove the disks and the pool" dmsetup remove vm1 vm2 pool
fi
check "remove the slices" remove_slices ""
check "remove log-writes (it writes its last super)" dmsetup remove lw

# --- The crash points.
"$LR" list /dev/ubdc > "$tess_out/entries.txt" 2> "$tess_out/entries.err"
check "log-replay lists the log" test -s "$tess_out/entries.txt"
entries=$(awk 'NR == 1 { print $2 }' "$tess_out/entries.txt")
marks=$(grep -c ' M cw-' "$tess_out/entries.txt")
echo "# log: $entries entries, $(awk '$5 ~ /[FU]/' "$tess_out/entries.txt" | wc -l) flush or FUA, $marks marks"
check_eq "every sync's mark is in the log" "$marks" "$syncs"

# The points: P means "entries 0..P-1 reached the disk".  Each flush,
# FUA and mark entry (the state just after it), the start, the end, and
# random ones between, up to CRASH_POINTS in all (a fifth at least).
# Each goes with N, its last mark "cw-N" (0: none): the sync it is judged by.
awk -v seed="$seed" -v want="$points_wanted" '
	NR == 1 { n = $2; p[0] = 1; p[n] = 1; count = 2; next }
	$5 ~ /[FUM]/ && !p[$1 + 1]++ { count++ }
	$6 ~ /^cw-/ { mark[$1] = substr($6, 4) }
	END {
		srand(seed)
		extra = want - count
		if (extra < want / 5)
			extra = int(want / 5)
		for (i = 0; i < extra && count <= n; i++) {
			do
				r = int(rand() * (n + 1))
			while (r in p)
			p[r] = 1
			count++
		}
		for (i = 0; i <= n; i++) {
			if (i - 1 in mark)
				m = mark[i - 1]
			if (i in p)
				print i, m + 0
		}
	}' "$tess_out/entries.txt" > "$tess_out/points.txt"
npoints=$(wc -l < "$tess_out/points.txt")
check "at least $points_wanted crash points (CRASH_POINTS)" test "$npoints" -ge "$points_wanted"
setup_entry=$(awk 'NR > 1 && $6 == "setup" { print $1 }' "$tess_out/entries.txt")
setup_entry=${setup_entry:--1}

final_remaps= ok_points=0 bad_points=0 check_fail=0 lost=0 corrupt=0 lost_points=0 corrupt_points=0
failed=
# verdict V: add crashwrite verify's report V to the counts; false when
# it is not one, or names a lost or corrupt block.
verdict() {
	set -- $1
	[ "$#" -eq 12 ] || return 1
	lost=$((lost + $8)) corrupt=$((corrupt + ${10}))
	[ "$8" -eq 0 ] || lost_points=$((lost_points + 1))
	[ "${10}" -eq 0 ] || corrupt_points=$((corrupt_points + 1))
	[ "$8" -eq 0 ] && [ "${10}" -eq 0 ]
}

# remove_up NAME...: remove those of the devices NAME... that exist, in
# that order, with one dmsetup (it stops at the first that fails).
remove_up() {
	local d up=()
	for d in "$@"; do
		[ ! -b "/dev/mapper/$d" ] || up+=("$d")
	done
	[ "${#up[@]}" -eq 0 ] || dmsetup remove "${up[@]}"
}

# check_point P N: bring up the image at point P, judge it against sync N.
# lap NAME: add the time since the last lap to step NAME's total (ms).
declare -A step_ms=()
lap() {
	local now=${EPOCHREALTIME/[.,]/}
	step_ms[$1]=$(( ${step_ms[$1]:-0} + (now - lap_at) / 1000 ))
	lap_at=$now
}
check_point() {
	local p=$1 n=$2 why= v dev=/dev/mapper/rdata2 up
	lap_at=${EPOCHREALTIME/[.,]/}
	up="rsnap,,,rw,0 $total snapshot /dev/ubdd /dev/ubdb N 8;$(concise r /dev/mapper/rsnap)"
	if [ -n "$pool" ]; then
		dev=/dev/mapper/rvm2
		# tess_check reads the image as replayed, before anything opens
		# it: through tmeta, the replay target's own metadata slice.
		# Before the setup's mark, the metadata may still be unwritten
		# (block 0 all zeroes: the pool formats it) and not checkable.
		if [ -x "$TESS_CHECK" ] &&
		   { [ "$p" -gt "$setup_entry" ] ||
		     ! dd if=/dev/mapper/tmeta bs=4096 count=1 iflag=direct status=none |
		       cmp -s -n 4096 - /dev/zero; } &&
		   ! "$TESS_CHECK" /dev/mapper/tmeta > "$tess_out/check.txt" 2>&1; then
			check_fail=$((check_fail + 1))
			why="tess_check: $(head -n 3 "$tess_out/check.txt" | tr '\n' ' ')"
		fi
		lap tess_check
		# One dmsetup for the image, its slices, the pool and its disks.
		up="$up;$(pool_table r "1 no_swap");$(disk_table r 1);$(disk_table r 2)"
	fi
	if dmsetup create --concise "$up"; then
		if [ -n "$pool" ]; then
			# A crash is no metadata damage: rw, no needs_check.
			v=$(dmsetup status rpool)
			set -- $v
			[ "${10} ${11}" = "rw -" ] ||
				why="${why:+$why; }the pool came up ${10} ${11}: $v"
			# Now and then (it takes time), all of vmsim's disk.
			[ $((p % 32)) -ne 0 ] ||
				dd if=/dev/mapper/rvm1 of=/dev/null bs=1M iflag=direct status=none ||
				why="${why:+$why; }vmsim's disk does not read back"
		fi
	elif [ ! -b /dev/mapper/rdata2 ]; then
		why="${why:+$why; }the replayed image did not come up"
	elif [ ! -b /dev/mapper/rpool ]; then
		why="${why:+$why; }the pool did not come up"
	elif [ "$p" -le "$setup_entry" ]; then
		dev=	# crashed before the disks were created
	else
		why="${why:+$why; }the disks did not come up"
	fi
	lap up
	if [ -z "$why" ] && [ -n "$dev" ]; then
		v=$("$CW" verify "$dev" "$rec" --sync "$n" 2> "$tess_out/verify.err")
		verdict "$v" || why="${v:-crashwrite verify failed}: $(head -n 3 "$tess_out/verify.err" | tr '\n' ' ')"
		[ "$p" != "$entries" ] || [ -z "$pool" ] ||
			final_remaps=$(status_field rvm2 7)
	fi
	lap verify
	remove_up rvm2 rvm1 rpool rdata2 rdata1 rstore rmeta rsnap ||
		why="${why:+$why; }its devices would not go away"
	lap remove
	[ -z "$why" ] && return 0
	[ -n "$failed" ] || failed="$p $n"
	bad_points=$((bad_points + 1))
	[ "$bad_points" -gt 20 ] || echo "#   point $p (after sync $n): $why"
	return 1
}

k=0
t0=$(date +%s)
[ -z "$pool" ] ||
	check "the replay target's metadata slice, for tess_check" \
		dmsetup create tmeta --table "0 $meta_len linear /dev/ubdd $meta_at"
# A crash point that hangs ends only at the boot's timeout: after 60 s
# without progress, the watchdog dumps the blocked tasks into the kernel
# log, once, to say where.
beat=$TMPDIR/crash-beat
echo start > "$beat"
(
	while sleep 10 && [ -e "$beat" ]; do
		[ $(($(date +%s) - $(stat -c %Y "$beat"))) -gt 60 ] || continue
		echo "crash-replay: no progress for 60 s at crash point $(cat "$beat")" > /dev/kmsg
		echo w > /proc/sysrq-trigger
		break
	done
) &
watchdog=$!
coproc replay { "$LR" serve /dev/ubdc /dev/ubdd 2> "$tess_out/replay.err"; }
while read -r p n; do
	lap_at=${EPOCHREALTIME/[.,]/}
	echo "$p" >&"${replay[1]}"
	if ! read -r line <&"${replay[0]}" || [ "$line" != "at $p" ]; then
		not_ok "replay to entry $p: $(cat "$tess_out/replay.err")"
		break
	fi
	lap replay
	echo "$p" > "$beat"
	check_point "$p" "$n" && ok_points=$((ok_points + 1))
	k=$((k + 1))
done < "$tess_out/points.txt"
exec {replay[1]}>&-
wait "$replay_PID"
rm -f "$beat"
kill "$watchdog" 2> /dev/null
[ -z "$pool" ] || check "remove it" dmsetup remove tmeta
echo "# $k crash points in $(($(date +%s) - t0)) s: $ok_points clean; lost $lost blocks at $lost_points points, corrupt $corrupt at $corrupt_points"
echo "# time (ms) per step over all points:$(for i in "${!step_ms[@]}"; do printf ' %s %s' "$i" "${step_ms[$i]}"; done)"
check_eq "every crash point replayed" "$k" "$npoints"
check_eq "every crash point came up and read back (of $k)" "$ok_points" "$k"
check_eq "no acknowledged stamp lost ($lost blocks at $lost_points points)" "$lost" 0
check_eq "no corrupt block ($corrupt at $corrupt_points points)" "$corrupt" 0
[ -z "$pool" ] || check "the replayed disk 2 read its stamps through remaps (${final_remaps:-none} at the end)" \
	test "${final_remaps:-0}" -gt 0
check "tools/tess-check is built" test -x "$TESS_CHECK"
[ -z "$pool" ] ||
	check_eq "tess_check passed at every point" "$check_fail" 0
if [ -n "$failed" ]; then
	# Keep what replays the first failure: the log, the record, the points.
	set -- $failed
	used=$(awk 'NR == 1 { ss = $4 } END { print $2 + ss * (1 + ($5 ~ /D/ ? 0 : $4)) }' \
		"$tess_out/entries.txt")
	dd if=/dev/ubdc of="$tess_out/crash-log.img" bs=1M \
		count=$(((used + (1 << 20) - 1) >> 20)) status=none
	echo "# first failure at point $1 (sync $2), seed $seed: kept in $tess_out"
	echo "#   crash-log.img, crashwrite.rec, points.txt: log-replay replay"
	echo "#   crash-log.img IMAGE 0 512 $1 rebuilds its image"
fi

# The checker can fail: the image of the first mark does not hold what
# the last sync acknowledged.
first=$(awk '$6 == "cw-1" { print $1 + 1 }' "$tess_out/entries.txt")
check "replay afresh to the first mark" sh -c "dd if=/dev/zero of=/dev/ubdd bs=1M count=$((total / 2048)) status=none &&
	$LR replay /dev/ubdc /dev/ubdd 0 512 $first > /dev/null"
check "slices of it" slices r /dev/ubdd
if [ -n "$pool" ]; then
	check "its pool" pool_up r "1 no_swap"
	check "its disk 2" disk_up r 2
	dev=/dev/mapper/rvm2
else
	dev=/dev/mapper/rdata2
fi
"$CW" verify "$dev" "$rec" > "$tess_out/control.txt" 2>&1
check_eq "judged against the last sync, it fails" "$?" 1
check "and finds lost blocks" grep -q 'lost [1-9]' "$tess_out/control.txt"
check "remove the control's devices" remove_up rvm2 rpool rdata2 rdata1 rstore rmeta
check "rmmod" rmmod dm_tesseract
