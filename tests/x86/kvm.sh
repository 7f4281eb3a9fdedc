# SPDX-License-Identifier: GPL-2.0
#
# KVM's own path (`make check-x86 X86_KVM=1`): sourced by tests/x86/init.sh
# with tests/lib.sh, in the x86_64 host kernel under QEMU TCG with a CPU
# model that has SVM.  KVM (kvm_amd) must come up on the emulated SVM, and
# a KVM guest (tools/vm/guest.sh's: Debian's kernel, a busybox initramfs,
# dpwork) must run with its disk on a tesseract disk of the pool and its
# swap on that disk: nested paging (NPT) maps its memory, the
# secondary MMU of the hazard in Documentation/dm-tesseract.rst.
# x86_guest (kernel command line) is the guest's directory; KVM_RAM,
# KVM_COLD, KVM_HOT the guest's memory and dpwork's areas (MiB).  With
# KVM_HIGH (bytes), QEMU runs in a memory cgroup throttled above it, with
# host swap through the pool, so that the host swaps guest memory that
# KVM maps.
KVM_RAM=${KVM_RAM:-128}
KVM_COLD=${KVM_COLD:-4}
KVM_HOT=${KVM_HOT:-4}

check "the CPU has SVM" grep -qw svm /proc/cpuinfo
check "kvm_amd is up (/dev/kvm)" test -c /dev/kvm
dmesg | grep -i -E 'kvm|svm' | sed 's/^/# dmesg: /'

check "create the pool" pool_create
check "create disk vm0" disk_create vm0 1 /dev/ubda

run=()
if [ -n "${KVM_HIGH:-}" ]; then
	check "mkswap on the swap device" mkswap -q /dev/ubdb
	check "swapon: host swap goes through the pool" swapon /dev/ubdb
	run=(in_memcg_high kvm "$KVM_HIGH")
fi
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
pswpout0=$(vmstat pswpout) pswpin0=$(vmstat pswpin)

guest_log=$tess_out/kvm-guest.txt
echo "# x86_guest=${x86_guest:-unset}"
t0=$(date +%s)
check "a KVM guest ran on vm0" "${run[@]}" timeout 900 qemu-system-x86_64 -accel kvm \
	-cpu host -m "$KVM_RAM" -smp 1 -nodefaults -no-user-config \
	-display none -no-reboot -monitor none -serial "file:$guest_log" \
	-kernel "$x86_guest/vmlinuz" -initrd "$x86_guest/initrd.img" \
	-append "console=ttyS0 loglevel=5 panic=-1 dp_cold=$KVM_COLD dp_hot=$KVM_HOT dp_passes=1" \
	-drive file=/dev/mapper/vm0,format=raw,if=virtio,cache=none,aio=threads
echo "# the KVM guest ran $(($(date +%s) - t0)) s"
grep -E '^(vm|dpwork): ' "$guest_log" | sed 's/^/# guest: /'
echo "# host pswpout $(($(vmstat pswpout) - pswpout0)) pswpin $(($(vmstat pswpin) - pswpin0))"
echo "# vm0 status: $(dmsetup status vm0)"
check "the guest ran dpwork to its end" grep -q 'vm: end, dpwork status 0' "$guest_log"
check "the guest's stamps came back" grep -q 'dpwork: stamps ok' "$guest_log"
check "the guest wrote through vm0" test "$(status_field vm0 2)" -gt 0
[ -z "${KVM_HIGH:-}" ] || check "swapoff" swapoff /dev/ubdb
check "remove disk vm0" dmsetup remove vm0
check "remove the pool" dmsetup remove pool
