# SPDX-License-Identifier: GPL-2.0
# One real guest run of `make check-vm`, inside the UML host (sourced by
# tests/uml-init.sh with tests/lib.sh; tools/vm/check-vm boots it).
#
# A pool on /dev/ubdd (metadata) and /dev/ubdc (store) serves host swap
# (swapon /dev/ubdb: the backend sends the pages to the store); disk 1 of
# the pool over /dev/ubda is /dev/mapper/vm0, the guest's virtio disk,
# opened by QEMU with cache=none.  QEMU (TCG) runs in memory cgroup "vm"
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
#   dp_cold, dp_hot, dp_passes   the workload's sizes (tools/vm/dpwork.c)
# Prints TAP points for what must hold, "# " lines for what was
# measured, and writes the measures, "key value" lines, to
# $tess_out/vm.txt.

. "$tess_top/tools/uml/klog.sh"
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
# guest_value KEY: the value after KEY on the guest's "vm: " lines.
guest_value() {
	sed -n 's/^vm: //p' "$console" | tr -d '\r' |
		awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) v = $(i + 1) } END { print v }'
}
# phase_value PHASE KEY: a figure of dpwork's line for PHASE.
phase_value() {
	tr -d '\r' < "$console" | awk -v p="$1" -v k="$2" '
		$1 == "vm:" && $2 == "dpwork:" && $3 == p {
			for (i = 4; i < NF; i++) if ($i == k) print $(i + 1) }'
}

features=
[ "$vm_mode" = baseline ] && features=no_reconcile
check "create the pool" pool_create
check "mkswap on the swap device" mkswap -q /dev/ubdb
check "swapon: host swap goes through the pool" swapon /dev/ubdb
check "create disk vm0 ($vm_mode)" disk_create vm0 1 /dev/ubda $features
if [ "$vm_mode" = baseline ]; then
	check_eq "vm0 does not reconcile" "$(status_field vm0 12)" off
else
	check_eq "vm0 reconciles" "$(status_field vm0 12)" reconciling
fi

qemu=(qemu-system-x86_64 -accel tcg,thread=single,tb-size=32
	-m "$vm_ram" -smp 1 -nodefaults -no-user-config -display none
	-no-reboot -monitor none -serial "file:$console"
	-kernel "$vm_guest/vmlinuz" -initrd "$vm_guest/initrd.img"
	-append "console=ttyS0 panic=-1 transparent_hugepage=never dp_cold=$dp_cold dp_hot=$dp_hot dp_passes=$dp_passes"
	-drive "file=/dev/mapper/vm0,format=raw,if=virtio,cache=none,aio=$vm_aio")
echo "# ${qemu[*]}" >> "$LOG"

pswpin0=$(vmstat pswpin) pswpout0=$(vmstat pswpout)
data_r0=$(disk_sectors ubda read) data_w0=$(disk_sectors ubda written)
store_r0=$(disk_sectors ubdc read) store_w0=$(disk_sectors ubdc written)
loaded0=$(backend loaded) stored0=$(backend stored)
t0=$(date +%s.%N)
in_memcg_high vm "$((vm_high << 20))" timeout "$vm_timeout" "${qemu[@]}" \
	> "$tess_out/qemu.txt" 2>&1
qemu_rc=$?
t1=$(date +%s.%N)

check_eq "QEMU exited cleanly (guest powered off, in time)" "$qemu_rc" 0
check "the guest powered off" grep -q 'reboot: Power down' "$console"
if grep -E "$KLOG_BUGS" "$console" > /dev/null 2>&1; then
	not_ok "guest kernel log clean"
	grep -E "$KLOG_BUGS" "$console" | head -n 10 | sed 's/^/#   /'
else
	ok "guest kernel log clean"
fi
check_eq "guest verdict: every stamp intact" "$(guest_value stamps)" ok

g_out=$(( $(guest_value pswpout) ))
g_in=$(( $(guest_value pswpin) ))
h_in=$(( $(vmstat pswpin) - pswpin0 ))
h_out=$(( $(vmstat pswpout) - pswpout0 ))
# The workload is meant to make both levels page: if either did not, the
# run measured nothing.
check "the guest paged out to its virtio disk" test "$g_out" -gt 0
check "the host swapped guest RAM out" test "$h_out" -gt 0

measure seconds "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
measure guest_pswpout "$g_out"
measure guest_pswpin "$g_in"
measure host_pswpout "$h_out"
measure host_pswpin "$h_in"
measure backend_stored "$(( $(backend stored) - stored0 ))"
measure backend_loaded "$(( $(backend loaded) - loaded0 ))"
measure data_read_bytes "$(( ($(disk_sectors ubda read) - data_r0) * 512 ))"
measure data_written_bytes "$(( ($(disk_sectors ubda written) - data_w0) * 512 ))"
measure store_read_bytes "$(( ($(disk_sectors ubdc read) - store_r0) * 512 ))"
measure store_written_bytes "$(( ($(disk_sectors ubdc written) - store_w0) * 512 ))"
for ph in cold hot back; do
	measure "${ph}_pages_per_s" "$(phase_value "$ph" pages_per_s)"
	measure "${ph}_worst_us" "$(phase_value "$ph" worst_us)"
	measure "${ph}_ms" "$(phase_value "$ph" ms)"
done
i=0
for f in reads writes flushes discards read_sectors write_sectors remapped \
	 reconciled reconciled_bytes redirected_reads overwritten state \
	 offered_ptes taken_ptes offered_swapcache taken_swapcache \
	 fallback_taken declined_not_stored declined_no_memory \
	 declined_beyond_end declined_cap declined_pool commits \
	 declined_moving; do
	i=$((i + 1))
	measure "disk_$f" "$(status_field vm0 "$i")"
done
echo "# disk status: $(dmsetup status vm0)"
echo "# pool status: $(dmsetup status pool)"
sed -n 's/^vm: //p' "$console" | tr -d '\r' | sed 's/^/# guest: /'

if [ "$vm_mode" = baseline ]; then
	check_eq "baseline: nothing reconciled" "$(status_field vm0 8)" 0
fi
check "remove vm0" dmsetup remove vm0
check "swapoff" swapoff /dev/ubdb
check "remove the pool" dmsetup remove pool
