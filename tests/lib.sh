# SPDX-License-Identifier: GPL-2.0
# Helpers for integration scripts, sourced inside the UML host under test.
# Each script prints TAP test points (no plan line; tests/run numbers them).
#
# Devices: /dev/ubda is the VM disk's data device, /dev/ubdb a swap area,
# /dev/ubdc the store, /dev/ubdd the pool metadata.  $tess_out is a host
# directory for extra logs.

_tap_n=0
LOG=$tess_out/log.txt

ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok() { _tap_n=$((_tap_n + 1)); echo "not ok $_tap_n - $*"; }

# check DESC CMD...: CMD succeeds.
check() {
	local desc=$1; shift
	echo "# $desc: $*" >> "$LOG"
	if "$@" >> "$LOG" 2>&1; then ok "$desc"; else not_ok "$desc"; fi
}

# check_fails DESC CMD...: CMD fails.
check_fails() {
	local desc=$1; shift
	echo "# $desc (must fail): $*" >> "$LOG"
	if "$@" >> "$LOG" 2>&1; then not_ok "$desc"; else ok "$desc"; fi
}

# check_eq DESC ACTUAL EXPECTED
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "#   got:      '$2'"
		echo "#   expected: '$3'"
	fi
}

# kmsg_mark; ...; kmsg_since_mark: the kernel log written in between.
# Records are told apart by their /dev/kmsg sequence numbers, so a log
# buffer that wrapped cannot hide new lines; if records after the mark were
# overwritten before they were read, kmsg_since_mark says so (and a
# check_no_kmsg then fails on that line).
_kmsg_records() { dd if=/dev/kmsg iflag=nonblock bs=16k status=none 2> /dev/null; }
kmsg_mark() {
	_kmsg_seq=$(_kmsg_records | awk -F '[,;]' '/^[0-9]/ { s = $2 } END { print s + 0 }')
}
kmsg_since_mark() {
	_kmsg_records | awk -F '[,;]' -v mark="${_kmsg_seq:-0}" '
		/^[0-9]/ {
			if (!seen++ && $2 > mark + 1)
				print "kmsg: records " mark + 1 "-" $2 - 1 " were lost (log buffer wrapped)"
			if ($2 > mark) { sub(/^[^;]*;/, ""); print }
		}'
}

# check_kmsg DESC PATTERN: the kernel log since kmsg_mark matches PATTERN.
check_kmsg() {
	if kmsg_since_mark | grep -q -- "$2"; then
		ok "$1"
	else
		not_ok "$1"
		echo "#   no kernel message matching '$2'"
	fi
}

# check_no_kmsg DESC PATTERN: the kernel log since kmsg_mark does not (and
# none of it was lost before it could be read).
check_no_kmsg() {
	local log
	log=$(kmsg_since_mark)
	if grep -q -e "$2" -e '^kmsg: records .* were lost' <<< "$log"; then
		not_ok "$1"
		grep -e "$2" -e '^kmsg: records .* were lost' <<< "$log" | sed 's/^/#   /'
	else
		ok "$1"
	fi
}

load_module() { insmod "$tess_top/dm-tesseract/dm-tesseract.ko" "$@"; }
module_loaded() { grep -q '^dm_tesseract ' /proc/modules; }

sectors() { blockdev --getsz "$1"; }

# devno DEV: "major:minor", as device-mapper prints devices in tables.
devno() { printf '%d:%d' "0x$(stat -L -c %t "$1")" "0x$(stat -L -c %T "$1")"; }

# sw_field FILE KEY: the word after KEY in a report of "key value" pairs
# (swapwrite's: "swapped N ... pswpin K", "errno NAME op CALL").
sw_field() { awk -v k="$2" '{ for (i = 1; i < NF; i += 2) if ($i == k) print $(i + 1) }' "$1"; }

# status_field DEV N: field N (1-based) of the target's status, after the
# three dmsetup adds (start, length, target type).
status_field() { dmsetup status "$1" | awk -v n="$2" '{ print $(n + 3) }'; }

MEMTOUCH=$tess_top/tools/memtouch/memtouch

# in_memcg NAME MAX CMD...: run CMD in memory cgroup NAME (created if
# needed) limited to MAX bytes of memory (memory.max).  In UML, a charge
# under memory.max is OOM-killed whenever every page of the cgroup is under
# writeback for longer than its 16 reclaim passes take (vmscan does not wait
# for writeback in cgroup v2 reclaim, and the one throttle is skipped on a
# node this size): use it only where the hard limit is the point.
in_memcg() { _in_memcg memory.max "$@"; }

# in_memcg_high NAME HIGH CMD...: the same, throttled above HIGH bytes
# (memory.high, as systemd's MemoryHigh=) instead of a hard limit.
in_memcg_high() { _in_memcg memory.high "$@"; }

_in_memcg() {
	local knob=$1 cg=/sys/fs/cgroup/$2 limit=$3; shift 3
	grep -qw memory /sys/fs/cgroup/cgroup.subtree_control ||
		echo +memory > /sys/fs/cgroup/cgroup.subtree_control
	mkdir -p "$cg"
	echo "$limit" > "$cg/$knob"
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

# wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds.
wait_for() {
	local n=$(($1 * 5)); shift
	while ! "$@" 2> /dev/null; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.2
	done
}

TESS_SYS=/sys/kernel/tesseract
backend() { cat "$TESS_SYS/backend/$1"; }
store_stat() { cat "$TESS_SYS/store/$1"; }

# pages_above N: the store holds more than N swapped-out pages.
pages_above() { [ "$(backend pages)" -gt "$1" ]; }

# swap_written: sectors written to the swap device (ubdb) so far.
swap_written() { awk '$3 == "ubdb" { print $10 }' /proc/diskstats; }

# json_get FILE KEY[.KEY...]: a value from a JSON file.
json_get() {
	python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(v)' "$1" "$2"
}
