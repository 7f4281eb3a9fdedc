#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the x86_64 host kernel (tools/x86/kernel.sh) under QEMU TCG on the
# machine's own root (virtio-9p, read-only) with four fresh sparse disk
# images, and run one thing in it (tests/x86/init.sh).
#
#   boot.sh OUTDIR RUN [NAME=VALUE...]
#
# RUN is the path of the script to run: an integration script, or
# tests/x86/kvm.sh.
# NAME=VALUE pairs go on the kernel command line, and so into the
# environment of RUN.  OUTDIR receives the console log (console.txt), the
# kernel log (dmesg.txt) and what RUN writes; it is the guest's $tess_out,
# shared writable over 9p.  Disks, in order (vda..vdd): data, swap,
# store, metadata.
# Environment: TESS_TIMEOUT (seconds, default 900), TESS_MEM (default
# 512M), TESS_DATA_SIZE, TESS_SWAP_SIZE, TESS_STORE_SIZE, TESS_META_SIZE
# (as tools/uml/boot.sh), X86_CPU (QEMU -cpu, default qemu64), X86_SMP
# (default 1).
# Exits 0 when the init ran and powered the machine off, all in time;
# otherwise non-zero (124 or 137: killed at TESS_TIMEOUT).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd) run=$2
shift 2
kdir=$("$top/tools/x86/kernel.sh" dir)
mdir=$("$top/tools/x86/modules.sh" dir)
bzimage=$kdir/build/arch/x86/boot/bzImage
[ -f "$bzimage" ] || { echo "x86/boot.sh: no kernel at $bzimage (run 'make kernel-x86')" >&2; exit 2; }

rm -f "$out"/*.img "$out"/booted "$out"/end "$out"/powered-off
drives=()
for f in data:"${TESS_DATA_SIZE:-256M}" swap:"${TESS_SWAP_SIZE:-128M}" \
	 store:"${TESS_STORE_SIZE:-256M}" meta:"${TESS_META_SIZE:-16M}"; do
	truncate -s "${f#*:}" "$out/${f%%:*}.img"
	drives+=(-drive "file=$out/${f%%:*}.img,if=virtio,format=raw,cache=writeback,discard=unmap")
done
p9=trans=virtio,version=9p2000.L,msize=262144
timeout -k 10 "${TESS_TIMEOUT:-900}" qemu-system-x86_64 -accel tcg \
	-cpu "${X86_CPU:-qemu64}" -smp "${X86_SMP:-1}" -m "${TESS_MEM:-512M}" \
	-display none -no-reboot -monitor none -serial stdio \
	-kernel "$bzimage" \
	-append "console=ttyS0 panic=-1 root=root rootfstype=9p rootflags=$p9,cache=loose ro init=$top/tests/x86/init.sh tess_top=$top tess_mod=$mdir tess_out=$out tess_run=$run $*" \
	-virtfs local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$out,mount_tag=out,security_model=none" \
	"${drives[@]}" < /dev/null > "$out/console.txt" 2>&1
rc=$?
rm -f "$out"/*.img
[ "$rc" -eq 0 ] || exit "$rc"
[ -f "$out/booted" ] && [ -f "$out/powered-off" ] &&
	grep -q 'reboot: Power down' "$out/console.txt" || exit 1
