#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the User-Mode Linux host under test.  The root file system is
# the machine's own, through hostfs; everything this script mounts lives in
# the UML kernel only.  The host-side runner (tests/run) passes, as kernel
# command line variables:
#   tess_top  the project checkout (for the module and the test scripts)
#   tess_out  a host directory for results
#   tess_run  what to run: "kunit" or the path of an integration script
#   tess_args module parameters for dm-tesseract.ko
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LC_ALL=C
export DM_DISABLE_UDEV=1

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=755 run /run
mount -t debugfs debugfs /sys/kernel/debug
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir -p /run/lock /run/tess
export TMPDIR=/run/tess

# The runner judges a boot by three marks: "booted" (this script ran),
# "end" (RUN returned to it, with RUN's status: a script that exits early
# or dies leaves none) and "powered-off" (this script got to the power-off;
# the console must then show the kernel's "reboot: Power down").
# Under the debug kernel, kmemleak scans twice (an object is reported only
# once its checksum held still over a scan) before the power-off.
finish() {
	local leaks=/sys/kernel/debug/kmemleak
	if [ -f "$leaks" ]; then
		echo scan > "$leaks"; echo scan > "$leaks"
		cat "$leaks" > "$tess_out/kmemleak.txt"
	fi
	dmesg > "$tess_out/dmesg.txt" 2>&1
	sync
	echo "$(date +%s)" > "$tess_out/powered-off"
	echo o > /proc/sysrq-trigger
	sleep 10
}
trap finish EXIT

cd "$TMPDIR" || exit 1
echo "booted $(uname -r)" > "$tess_out/booted"
if [ "$tess_run" = kunit ]; then
	. "$tess_top/tests/kunit-in-uml.sh"
else
	. "$tess_top/tests/lib.sh"
	. "$tess_run" > "$tess_out/result.tap" 2> "$tess_out/stderr.txt"
fi
echo "status $?" > "$tess_out/end"
