# SPDX-License-Identifier: GPL-2.0
# One real guest run of `make check-vm`, inside the UML host (sourced by
# tests/uml-init.sh with tests/lib.sh; tools/vm/check-vm boots it).
#
# A pool on /dev/ubdd (metadata) and /dev/ubdc (store) serves host swap
# (swapon /dev/ubdb: the backend sends the pages to the store); disk 1 of
# the pool over /dev/ubda is /dev/mapper/vm0, the guest's virtio disk,
# opened by QEMU with cache=none (with vm_model hdd or ssd, all on
# dm-model tables over those images).  QEMU (TCG) runs in memory cgroup "vm"
# with memory.high below guest RAM, so the host swaps guest RAM out.
# The guest (tools/vm/guest.sh) puts its swap on the whole disk and runs
# dpwork.
#
# Settings (kernel command line, from tools/vm/check-vm):
#   vm_guest    the guest's directory (vmlinuz, initrd.img)
#   vm_mode     tesseract, or baseline (the disk with no_reconcile)
#   vm_aio      QEMU's aio= (threads, native, io_uring)
#   vm_ram      guest RAM, MiB
#   vm_high     QEMU's memory.high, MiB
#   vm_timeout  seconds QEMU may run
#   vm_reclaim  MiB of QEMU's memory to reclaim after the cold fill (0: none)
#   vm_maps     1: which cold pages the host had swapped out at the end of
#               the cold fill, and which of them the guest paged out
#               (tools/vm/pagemap.py; the guest prints its maps)
#   vm_fpr      free page reporting: a virtio-balloon with
#               free-page-reporting=on and the guest's reporting order
#               (page_reporting_order, set by its init); empty: no balloon
#   vm_wsf      the guest's vm.watermark_scale_factor (empty: its default)
#   vm_greclaim MiB the guest reclaims proactively between its cold and
#               hot phases (0: none)
#   vm_idle     seconds the guest idles after that reclaim (empty: none)
#   vm_relocate the pool's relocation mode (off, home, regroup, auto;
#               empty: the module's default, off)
#   vm_ioa      the guest's init_on_alloc (0 or 1; empty: its kernel's
#               default, on in Debian's)
#   vm_model    the drives under the four images: ram (none, the host's
#               page cache), hdd or ssd (dm-model, tools/model.sh)
#   vm_layout   with a model: shared (one drive, the default) or separate
#   dp_cold, dp_hot, dp_passes, dp_hot_end   the workload (tools/vm/dpwork.c)
# Prints TAP points for what must hold, "# " lines for what was
# measured, and writes the measures, "key value" lines, to
# $tess_out/vm.txt.

. "$tess_top/tools/uml/klog.sh"
. "$tess_top/tools/model.sh"
res=$tess_out/vm.txt
console=$tess_out/guest-console.txt
: > "$res"

# measure KEY VALUE: one figure, to vm.txt and the TAP log.
measure() { echo "$1 $2" >> "$res"; echo "# $1 $2"; }

vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
# disk_sectors DEV read|written: sectors moved on DEV (/proc/diskstats).
disk_sectors() {
	awk -v d="$1" -v f="$2" '$3 == d { print (f == "read" ? $6 : $10) }' /proc/diskstats
}
# guest_value KEY: the value after KEY on the guest's "vm: " and
# "dpwork: " lines.
guest_value() {
	sed -n 's/^vm: //p; /^dpwork: map /d; /^dpwork: /p' "$console" | tr -d '\r' |
		awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) v = $(i + 1) } END { print v }'
}
# phase_value PHASE KEY: a figure of dpwork's line for PHASE.
phase_value() {
	tr -d '\r' < "$console" | awk -v p="$1" -v k="$2" '
		$1 == "dpwork:" && $2 == p {
			for (i = 3; i < NF; i++) if ($i == k) print $(i + 1) }'
}

features=
[ "$vm_mode" = baseline ] && features=no_reconcile
# On ram model_setup only names the images: nothing to check then.
if [ "${vm_model:-ram}" = ram ]; then
	model_setup ram shared "$tess_out/layout.txt"
else
	check "storage: $vm_model (${vm_layout:-shared})" \
		model_setup "$vm_model" "${vm_layout:-shared}" "$tess_out/layout.txt"
fi
POOL_META=$META POOL_STORE=$STORE
if [ -n "${vm_relocate:-}" ]; then
	check "create the pool (relocate $vm_relocate)" pool_create "$POOL" relocate "$vm_relocate"
else
	check "create the pool" pool_create
fi
check "mkswap on the swap device" mkswap -q "$SWAP"
check "swapon: host swap goes through the pool" swapon "$SWAP"
check "create disk vm0 ($vm_mode)" disk_create vm0 1 "$DATA" $features
if [ "$vm_mode" = baseline ]; then
	check_eq "vm0 does not reconcile" "$(status_field vm0 12)" off
else
	check_eq "vm0 reconciles" "$(status_field vm0 12)" reconciling
fi

append="console=ttyS0 loglevel=5 panic=-1 transparent_hugepage=never"
append+=" dp_cold=$dp_cold dp_hot=$dp_hot dp_passes=$dp_passes dp_hot_end=$dp_hot_end dp_maps=${vm_maps:-0}"
[ -z "${vm_fpr:-}" ] || append+=" dp_fpr=$vm_fpr"
[ -z "${vm_wsf:-}" ] || append+=" dp_wsf=$vm_wsf"
[ "${vm_greclaim:-0}" = 0 ] || append+=" dp_reclaim=$vm_greclaim"
[ "${vm_greclaim:-0}" = 0 ] || [ -z "${vm_idle:-}" ] || append+=" dp_idle=$vm_idle"
[ -z "${vm_ioa:-}" ] || append+=" init_on_alloc=$vm_ioa"
qemu=(qemu-system-x86_64 -accel tcg,thread=single,tb-size=32
	-m "$vm_ram" -smp 1 -nodefaults -no-user-config -display none
	-no-reboot -monitor none -serial "file:$console"
	-kernel "$vm_guest/vmlinuz" -initrd "$vm_guest/initrd.img" -append "$append"
	-drive "file=/dev/mapper/vm0,format=raw,if=virtio,cache=none,aio=$vm_aio")
[ -z "${vm_fpr:-}" ] || qemu+=(-device virtio-balloon-pci,free-page-reporting=on)
echo "# ${qemu[*]}" >> "$LOG"

# The disk's status fields, in order (Documentation/dm-tesseract.rst).
disk_fields=(reads writes flushes discards read_sectors write_sectors remapped
	reconciled reconciled_bytes redirected_reads overwritten state
	offered_ptes taken_ptes offered_swapcache taken_swapcache
	fallback_taken declined_not_stored declined_no_memory
	declined_beyond_end declined_cap declined_pool commits declined_moving)

# counters: the host's counters now, "key value" lines.  Few forks: the
# guest idles only 2 s at each mark.
counters() {
	local i=0 f st v
	awk '$1 == "pswpin" || $1 == "pswpout" { print "host_" $1, $2 }
	     $3 == "ubda" { print "data_read_bytes", $6 * 512; print "data_written_bytes", $10 * 512 }
	     $3 == "ubdc" { print "store_read_bytes", $6 * 512; print "store_written_bytes", $10 * 512 }' \
		/proc/vmstat /proc/diskstats
	for f in stored loaded invalidated; do
		read -r v < "$TESS_SYS/backend/$f"
		echo "backend_$f $v"
	done
	# Relocation's copies: bytes read from the store, written home or to
	# the store (pool status fields 16 and 17 after dm's three).
	read -r -a st <<< "$(dmsetup status pool)"
	echo "reloc_read_bytes ${st[18]}"
	echo "reloc_written_bytes ${st[19]}"
	echo "reloc_home_blocks ${st[16]}"
	echo "reloc_regrouped_blocks ${st[17]}"
	echo "model_busy_us $(model_busy_us)"
	read -r -a st <<< "$(dmsetup status vm0)"
	for f in "${disk_fields[@]}"; do
		echo "disk_$f ${st[i + 3]}"
		i=$((i + 1))
	done
}

# sample: the host side of the run, about every 2 s, to samples.txt
# (seconds, host pswpin, pswpout, reconciled, QEMU's memcg: current, anon,
# file bytes; the guest's last console line); and the counters at each of
# the guest's marks (it idles 2 s after each), to start.txt, cold.txt,
# [reclaim.txt, idle.txt,] hot.txt, back.txt and end.txt.
marks=(start cold)
if [ "${vm_greclaim:-0}" != 0 ]; then
	marks+=(reclaim)
	[ -z "${vm_idle:-}" ] || marks+=(idle)
fi
marks+=(hot back end)
mark_line() {
	case $1 in
	start | end) echo "^vm: $1" ;;
	*) echo "^dpwork: $1 " ;;
	esac
}
sample() {
	local cg=/sys/fs/cgroup/vm t=0 k v anon file last mark
	echo "s pswpin pswpout reconciled memcg anon file guest" > "$tess_out/samples.txt"
	for mark in "${marks[@]}"; do
		while ! grep -q "$(mark_line "$mark")" "$console" 2> /dev/null; do
			sleep 0.25
			t=$((t + 1))
			[ $((t % 8)) -eq 0 ] || continue
			anon=0 file=0
			while read -r k v; do
				case $k in anon) anon=$v ;; file) file=$v ;; esac
			done < "$cg/memory.stat"
			read -r v < "$cg/memory.current"
			last=$(tail -n 1 "$console" 2> /dev/null | tr -d '\r')
			echo "$((t / 4)) $(vmstat pswpin) $(vmstat pswpout) $(status_field vm0 8)" \
				"$v $anon $file ${last:0:60}" >> "$tess_out/samples.txt"
		done
		counters > "$tess_out/$mark.txt"
		case $mark in
		cold | hot) [ "${vm_maps:-0}" != 1 ] ||
			python3 "$tess_top/tools/vm/pagemap.py" host \
				"$(pidof qemu-system-x86_64)" "$vm_ram" "$tess_out/host-$mark.map" ;;
		esac
		[ "$mark" != cold ] || [ "${vm_reclaim:-0}" -eq 0 ] || reclaim_cold
	done
}

# reclaim_cold: proactive reclaim of vm_reclaim MiB of QEMU's memory once
# the cold fill is done (as a host that squeezes idle memory would), so
# that the cold data is host-swapped before the guest pages it out.
reclaim_cold() {
	if echo "${vm_reclaim}M" > /sys/fs/cgroup/vm/memory.reclaim 2> "$tess_out/host-reclaim.txt"; then
		echo "reclaimed ${vm_reclaim}M" >> "$tess_out/host-reclaim.txt"
	else
		echo "memory.reclaim of ${vm_reclaim}M fell short" >> "$tess_out/host-reclaim.txt"
	fi
}

# delta KEY [FROM TO]: KEY's change between the marks FROM and TO
# (default: start and end, the workload).
delta() {
	awk -v k="$1" 'FNR == 1 { n++ } $1 == k { v[n] = $2 } END { print v[2] - v[1] }' \
		"$tess_out/${2:-start}.txt" "$tess_out/${3:-end}.txt"
}

grep -qw memory /sys/fs/cgroup/cgroup.subtree_control ||
	echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/vm
: > "$console"
counters > "$tess_out/before.txt"
sample &
sampler=$!
t0=$(date +%s.%N)
in_memcg_high vm "$((vm_high << 20))" timeout "$vm_timeout" "${qemu[@]}" \
	> "$tess_out/qemu.txt" 2>&1
qemu_rc=$?
t1=$(date +%s.%N)
kill "$sampler" 2> /dev/null
wait "$sampler" 2> /dev/null
counters > "$tess_out/after.txt"

check_eq "QEMU exited cleanly (guest powered off, in time)" "$qemu_rc" 0
check "the guest powered off" grep -q 'reboot: Power down' "$console"
if grep -E "$KLOG_BUGS" "$console" > /dev/null 2>&1; then
	not_ok "guest kernel log clean"
	grep -E "$KLOG_BUGS" "$console" | head -n 10 | sed 's/^/#   /'
else
	ok "guest kernel log clean"
fi
check_eq "guest verdict: every stamp intact" "$(guest_value stamps)" ok
# VM_FPR: the balloon came up and took the order (the 6.1 driver sets its
# own when it registers; the guest's init writes ours after it).
[ -z "${vm_fpr:-}" ] ||
	check_eq "the guest reports free pages at order $vm_fpr" "$(guest_value order)" "$vm_fpr"
# VM_INIT_ON_ALLOC: the guest's kernel took it ("heap alloc:on|off").
if [ -n "${vm_ioa:-}" ]; then
	want=off
	[ "$vm_ioa" = 0 ] || want=on
	check_eq "the guest's init_on_alloc is $want" \
		"$(tr -d '\r' < "$console" | sed -n 's/^vm: mem auto-init .*heap alloc:\([a-z]*\).*/\1/p')" "$want"
fi
missing=
for m in "${marks[@]}"; do
	[ -s "$tess_out/$m.txt" ] || missing+=" $m"
done
check_eq "host counters taken at the guest's marks" "${missing# }" ""

g_out=$(( $(guest_value pswpout) ))
g_in=$(( $(guest_value pswpin) ))
# The workload is meant to make both levels page: if either did not, the
# run measured nothing.
check "the guest paged out to its virtio disk" test "$g_out" -gt 0
check "the host swapped guest RAM out during the workload" \
	test "$(delta host_pswpout)" -gt 0

measure seconds "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
measure memcg_peak_bytes "$(cat /sys/fs/cgroup/vm/memory.peak 2> /dev/null)"
measure guest_pswpout "$g_out"
measure guest_pswpin "$g_in"
# The whole QEMU run (guest boot included), then the workload alone.
for k in host_pswpin host_pswpout; do
	measure "run_$k" "$(awk -v k="$k" 'FNR == 1 { n++ } $1 == k { v[n] = $2 } END { print v[2] - v[1] }' \
		"$tess_out/before.txt" "$tess_out/after.txt")"
done
for k in host_pswpin host_pswpout backend_stored backend_loaded backend_invalidated \
	 data_read_bytes data_written_bytes store_read_bytes store_written_bytes \
	 reloc_read_bytes reloc_written_bytes reloc_home_blocks reloc_regrouped_blocks \
	 model_busy_us; do
	measure "$k" "$(delta "$k")"
done
# Each phase (the marks between start and end): the guest's rate, worst
# touch and paging, the host's.  The guest's reclaim and idleness
# (VM_GUEST_RECLAIM, VM_IDLE) are phases of their own, before the hot one.
prev=start g_out0=0 g_in0=0
for ph in "${marks[@]:1:${#marks[@]}-2}"; do
	case $ph in
	cold | hot | back)
		measure "${ph}_pages_per_s" "$(phase_value "$ph" pages_per_s)"
		measure "${ph}_worst_us" "$(phase_value "$ph" worst_us)"
		;;
	esac
	[ "$ph" = idle ] || measure "${ph}_ms" "$(phase_value "$ph" ms)"
	v=$(( $(phase_value "$ph" pswpout) ))
	measure "${ph}_guest_pswpout" "$((v - g_out0))"
	g_out0=$v
	v=$(( $(phase_value "$ph" pswpin) ))
	measure "${ph}_guest_pswpin" "$((v - g_in0))"
	g_in0=$v
	for k in host_pswpin host_pswpout backend_invalidated disk_reconciled data_written_bytes \
		 model_busy_us; do
		measure "${ph}_$k" "$(delta "$k" "$prev" "$ph")"
	done
	prev=$ph
done
# Every byte the run moved on the data device and the store, whoever moved
# it (QEMU, host swap, relocation).
measure bytes_moved "$(( $(delta data_read_bytes) + $(delta data_written_bytes) +
	$(delta store_read_bytes) + $(delta store_written_bytes) ))"
# The guest's working time: its phases, without the idleness between them.
work_ms=0
for ph in cold reclaim hot back; do
	v=$(phase_value "$ph" ms)
	work_ms=$((work_ms + ${v:-0}))
done
measure work_ms "$work_ms"
# The guest's proactive reclaim between cold and hot (VM_GUEST_RECLAIM).
# memory.reclaim fails (EAGAIN) when its retries free less than asked,
# as on a slow drive, where pages under writeback are not freed yet: the
# reclaim ran, fell short, and reclaim_short says so.  The console ends
# its lines with CR LF.
reclaim_line() {
	tr -d '\r' < "$console" |
		grep -E '^dpwork: reclaim mib [0-9]+ ms [0-9]+ pswpout [0-9]+ pswpin [0-9]+( failed)?$'
}
if [ "${vm_greclaim:-0}" != 0 ]; then
	check "the guest's proactive reclaim ran" reclaim_line
	measure reclaim_short "$(reclaim_line | grep -c ' failed$')"
fi
# The disk's counters over the workload (state and remapped: at its end).
for f in "${disk_fields[@]}"; do
	case $f in
	state | remapped) measure "disk_$f" "$(awk -v k="disk_$f" '$1 == k { print $2 }' "$tess_out/end.txt")" ;;
	*) measure "disk_$f" "$(delta "disk_$f")" ;;
	esac
done
if [ "${vm_maps:-0}" = 1 ]; then
	if python3 "$tess_top/tools/vm/pagemap.py" join "$console" \
		"$tess_out/host-cold.map" > "$tess_out/map.txt"; then
		while read -r k v; do measure "$k" "$v"; done < "$tess_out/map.txt"
	else
		echo "# pagemap: no maps (guest or host side missing)"
	fi
fi
echo "# disk status: $(dmsetup status vm0)"
echo "# pool status: $(dmsetup status pool)"
sed -n 's/^vm: //p; /^dpwork: map /d; /^dpwork: /p' "$console" | tr -d '\r' | sed 's/^/# guest: /'

if [ "$vm_mode" = baseline ]; then
	check_eq "baseline: nothing reconciled" "$(status_field vm0 8)" 0
else
	# The workload makes the guest page host-swapped memory out: the hook
	# must have been offered such pages, and reconciled nearly all of
	# them (it may decline a few for a reason its counters name).
	offered=$(( $(delta disk_offered_ptes) + $(delta disk_offered_swapcache) ))
	taken=$(( $(delta disk_taken_ptes) + $(delta disk_taken_swapcache) ))
	check "tesseract: the hook was offered host-swapped guest page-outs" \
		test "$offered" -gt 0
	check "tesseract: it reconciled at least 90% of them ($taken of $offered)" \
		test "$((taken * 10))" -ge "$((offered * 9))"
fi
check "remove vm0" dmsetup remove vm0
check "swapoff" swapoff "$SWAP"
check "remove the pool" dmsetup remove pool
[ "${vm_model:-ram}" = ram ] || check "remove the storage model's tables" model_remove
