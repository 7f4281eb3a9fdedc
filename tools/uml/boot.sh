#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the UML host under test on the machine's own root (hostfs) with
# fresh image files, and run one thing in it.
#
#   boot.sh OUTDIR RUN [NAME=VALUE...]
#
# RUN is "kunit" or the path of a script that tests/uml-init.sh sources.
# NAME=VALUE pairs go on the kernel command line, and so into the
# environment of RUN.  OUTDIR receives the console log, the kernel log and what RUN writes.
# Images: ubda = VM disk data device, ubdb = swap, ubdc = store,
# ubdd = pool metadata.
# Environment: TESS_TIMEOUT (seconds, default 300), TESS_MEM (default
# 512M), TESS_DATA_SIZE, TESS_SWAP_SIZE, TESS_STORE_SIZE, TESS_META_SIZE.
# TESS_IMAGES=DIR keeps the image files in DIR and reuses those already
# there (a second boot then finds the first one's disks: reboot tests).
# TESS_KILL="FILE MS": once OUTDIR/FILE appears (RUN creates it), SIGKILL
# the UML kernel at a random moment within MS milliseconds, as a host
# crash would end it; OUTDIR/killed then says when ("killed D ms after
# FILE") and the exit status is 3.  If FILE never appears, the boot ends
# as any other.
# Exits 0 when the init ran, powered the kernel off and UML exited cleanly,
# all in time; 3 when killed as TESS_KILL asked; otherwise non-zero (124
# or 137: killed at TESS_TIMEOUT).  tools/uml/klog.sh boot_fault says
# which step went wrong.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=$1 run=$2
shift 2
linux=$("$top/tools/uml/kernel.sh" dir)/build/linux

mkdir -p "$out"
img=${TESS_IMAGES:-$out}
mkdir -p "$img"
[ -n "${TESS_IMAGES:-}" ] || rm -f "$out"/*.img
# A kept image is reused as it is; a new one reads as zeroes.
for f in data:"${TESS_DATA_SIZE:-256M}" swap:"${TESS_SWAP_SIZE:-128M}" \
	 store:"${TESS_STORE_SIZE:-256M}" meta:"${TESS_META_SIZE:-16M}"; do
	[ -f "$img/${f%%:*}.img" ] || truncate -s "${f#*:}" "$img/${f%%:*}.img"
done
rm -f "$out/killed"
timeout -k 10 "${TESS_TIMEOUT:-300}" "$linux" mem="${TESS_MEM:-512M}" \
	ubda="$img/data.img" ubdb="$img/swap.img" ubdc="$img/store.img" \
	ubdd="$img/meta.img" \
	root=/dev/root rootfstype=hostfs rootflags=/ rw \
	init="$top/tests/uml-init.sh" con=null con0=null,fd:1 \
	tess_top="$top" tess_out="$out" tess_run="$run" "$@" \
	< /dev/null > "$out/console.txt" 2>&1 &
uml=$!
trap 'kill "$uml" 2> /dev/null' INT TERM

# uml_kernel PID: the UML kernel's process among PID and its descendants
# (the first one running $linux: its helper processes are its children).
uml_kernel() {
	local pid=$1
	while [ -n "$pid" ]; do
		[ "$(readlink "/proc/$pid/exe" 2> /dev/null)" = "$(readlink -f "$linux")" ] &&
			echo "$pid" && return
		pid=$(ps -o pid= --ppid "$pid" | awk 'NR == 1 { print $1 }')
	done
}

# kill_when_asked FILE MS: the TESS_KILL watcher.  It kills the UML
# kernel's process; its helpers die with it (threads, or children that
# asked for SIGKILL at their parent's death).
kill_when_asked() {
	local file=$out/$1 ms=$2 delay kernel
	while [ ! -e "$file" ]; do
		kill -0 "$uml" 2> /dev/null || return 0
		sleep 0.05
	done
	# Not $RANDOM: a background subshell may repeat its parent's sequence.
	delay=$(($(od -An -N4 -tu4 /dev/urandom) % (ms + 1)))
	sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
	kernel=$(uml_kernel "$uml")
	[ -n "$kernel" ] && kill -KILL "$kernel" 2> /dev/null || return 0
	echo "killed $delay ms after $1" > "$out/killed"
}
watcher=
if [ -n "${TESS_KILL:-}" ]; then
	# shellcheck disable=SC2086 # "FILE MS"
	kill_when_asked $TESS_KILL &
	watcher=$!
fi
# (No report from bash on stderr of a killed job.)
wait "$uml" 2> /dev/null
rc=$?
# The watcher ends within 50 ms of UML, or once it killed it.
[ -z "$watcher" ] || wait "$watcher"
[ -n "${TESS_IMAGES:-}" ] || rm -f "$out"/*.img
[ ! -f "$out/killed" ] || exit 3
[ "$rc" -eq 0 ] || exit "$rc"
[ -f "$out/booted" ] && [ -f "$out/powered-off" ] &&
	grep -q 'reboot: Power down' "$out/console.txt" || exit 1
