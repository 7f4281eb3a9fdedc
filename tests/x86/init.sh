#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the x86_64 host kernel under QEMU (tools/x86/check.sh).  The
# root file system is the machine's own over virtio-9p, read-only; the
# results directory is a second 9p share, writable, mounted where the
# runner has it.  The kernel command line passes:
#   tess_top  the project checkout (the test scripts, lib.sh, the tools)
#   tess_mod  the x86_64 build of the modules (tools/x86/modules.sh)
#   tess_out  the results directory (of the runner: here it is /run/out)
#   tess_run  the script to run: an integration script, or tests/x86/kvm.sh
#
# The integration scripts, tests/lib.sh and the tools they run are
# written for the UML host, whose disks are ubda (data), ubdb (swap), ubdc
# (store) and ubdd (metadata) and whose module is the checkout's UML
# build.  Here the disks are virtio, vda..vdd in the same order: their
# device nodes are renamed /dev/ubda..ubdd (the only nodes of those
# devices, so a tool that lists /dev finds those names), and each script
# is sourced from a copy in which a bare ubdX (a name in /proc/diskstats
# or /sys/block, not a /dev path) is vdX and the modules are those of
# tess_mod; the copies are in $tess_out/src for a look at what ran.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/run/tess LC_ALL=C
export DM_DISABLE_UDEV=1

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=755 run /run
mount -t tmpfs -o mode=1777 tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir -p /run/lock /run/tess /run/out
# The results share is mounted under /run (the runner's path may be under
# /tmp, which is a tmpfs here).
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /run/out
export tess_out=/run/out
export TMPDIR=/run/tess

# As tests/uml-init.sh: "booted", "end" (with the status of what ran) and
# "powered-off" tell the runner how far the boot got.
finish() {
	dmesg > "$tess_out/dmesg.txt" 2>&1
	sync
	echo "$(date +%s)" > "$tess_out/powered-off"
	echo o > /proc/sysrq-trigger
	# Wait with a builtin: the power-off shuts the 9p root down, and an
	# init that cannot run sleep(1) would exit and panic the kernel.
	read -r -t 30 _ < /dev/console
}
trap finish EXIT

# x86_source SCRIPT: SCRIPT's text for this machine (see above).
# shellcheck disable=SC2016 # $tess_top and $tess_mod are text here
x86_source() {
	sed -E -e 's#(^|[^/[:alnum:]_])ubd([a-d])\b#\1vd\2#g' \
		-e 's#\$tess_top/(dm-tesseract|tests/kvmlike|tests/dm-model)/([a-z-]+\.ko)#$tess_mod/\1/\2#g' \
		"$1"
}

cd "$TMPDIR" || exit 1
echo "booted $(uname -r)" > "$tess_out/booted"
for d in a b c d; do
	[ -b "/dev/vd$d" ] || { echo "no /dev/vd$d" > "$tess_out/stderr.txt"; exit 1; }
	mv "/dev/vd$d" "/dev/ubd$d"
done
mkdir -p "$tess_out/src"
x86_source "$tess_top/tests/lib.sh" > "$tess_out/src/lib.sh"
x86_source "$tess_run" > "$tess_out/src/run.sh"
. "$tess_out/src/lib.sh"
. "$tess_out/src/run.sh" > "$tess_out/result.tap" 2> "$tess_out/stderr.txt"
echo "status $?" > "$tess_out/end"
