# SPDX-License-Identifier: GPL-2.0
# Helpers for integration scripts, sourced inside the UML host under test.
# Each script prints TAP test points (no plan line; tests/run numbers them).
#
# Devices: /dev/ubda is the VM disk's data device, /dev/ubdb a swap area,
# /dev/ubdc the pool's store, /dev/ubdd the pool's metadata.  $tess_out is a host
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

TESS_KO=$tess_top/dm-tesseract/dm-tesseract.ko
load_module() { insmod "$TESS_KO" "$@"; }
module_loaded() { grep -q '^dm_tesseract ' /proc/modules; }
# module_ready: the module is loaded (insmod, without parameters, if not).
module_ready() { module_loaded || load_module; }

sectors() { blockdev --getsz "$1"; }

# devno DEV: "major:minor", as device-mapper prints devices in tables.
devno() { printf '%d:%d' "0x$(stat -L -c %t "$1")" "0x$(stat -L -c %T "$1")"; }

# sw_field FILE KEY: the word after KEY in a report of "key value" pairs
# (swapwrite's: "swapped N ... pswpin K", "errno NAME op CALL").
sw_field() { awk -v k="$2" '{ for (i = 1; i < NF; i += 2) if ($i == k) print $(i + 1) }' "$1"; }

# status_field DEV N: field N (1-based) of the target's status, after the
# three dmsetup adds (start, length, target type).  For disks; pools have
# pool_status_field.
status_field() { dmsetup status "$1" | awk -v n="$2" '{ print $(n + 3) }'; }

# --- the pool and its disks (Documentation/dm-tesseract.rst) ---------------
#
#   tesseract-pool <metadata dev> <store dev> [<#feature args> <arg>*]
#   tesseract <pool dev> <disk id> <data dev> [<#feature args> <arg>*]
#
# POOL is the pool the disk helpers name (a dm device name), POOL_META and
# POOL_STORE the devices pool_create puts it on; set them around a call
# (POOL_STORE=/dev/mapper/st pool_create) to stack the store or the
# metadata on a dm device.  Feature arguments are given as words
# ("commit_period 0 no_swap"); the helpers count them.
POOL=pool
POOL_META=/dev/ubdd
POOL_STORE=/dev/ubdc

# zero_block0 DEV: zero the first 4 KiB of DEV.
zero_block0() { dd if=/dev/zero of="$1" bs=4k count=1 oflag=direct status=none; }

# pool_fresh: zero block 0 of POOL_META and POOL_STORE, so that the next
# pool table on them formats both (a fresh pool, no disks).  A boot starts
# with zeroed images; this is for a second pool in the same boot.
pool_fresh() { zero_block0 "$POOL_META" && zero_block0 "$POOL_STORE"; }

# feature_args WORD...: the feature part of a table, " N WORD...", or nothing.
feature_args() {
	# shellcheck disable=SC2048,SC2086 # word splitting wanted
	set -- $*
	[ $# -eq 0 ] || echo " $# $*"
}

# pool_len [STORE]: the length a pool table on STORE must have, the
# store's size in whole 4 KiB blocks.
pool_len() { echo $(($(sectors "${1:-$POOL_STORE}") / 8 * 8)); }

# pool_table [FEATURE...]: the table line of a pool on POOL_META, POOL_STORE.
pool_table() {
	echo "0 $(pool_len) tesseract-pool $POOL_META $POOL_STORE$(feature_args "$@")"
}

# pool_create [NAME [FEATURE...]]: load the module if needed and create the
# pool NAME (default: POOL) on POOL_META and POOL_STORE.
pool_create() {
	local name=${1:-$POOL}
	[ $# -eq 0 ] || shift
	module_ready && dmsetup create "$name" --table "$(pool_table "$@")"
}

# pool_reload [NAME [FEATURE...]]: suspend the pool, load its table again
# (a new table instance, the same pool object), resume it.
pool_reload() {
	local name=${1:-$POOL}
	[ $# -eq 0 ] || shift
	dmsetup suspend "$name" && dmsetup load "$name" --table "$(pool_table "$@")" &&
		dmsetup resume "$name"
}

# pool_msg WORD...: a message to POOL.
pool_msg() { dmsetup message "$POOL" 0 "$@"; }

# pool_status_field N [NAME]: field N (1-based) of a pool's status after
# dm's three: 1 transaction id, 2 used/total metadata blocks, 3 used/total
# store blocks, 4 held by swap entries, 5 held by remaps, 6 disks, 7 mode,
# 8 needs_check, 9 swap, 10 low water, 11..19 relocation (mode, state,
# extents, blocks home, blocks regrouped, bytes read, bytes written, copy
# errors, blocks remapped), 20.. features.
pool_status_field() { dmsetup status "${2:-$POOL}" | awk -v n="$1" '{ print $(n + 3) }'; }

# disk_table ID DATA_DEV [FEATURE...]: the table line of disk ID of POOL on
# DATA_DEV, as long as DATA_DEV (DISK_LEN sectors if set).
disk_table() {
	local id=$1 data=$2
	shift 2
	echo "0 ${DISK_LEN:-$(sectors "$data")} tesseract /dev/mapper/$POOL $id $data$(feature_args "$@")"
}

# disk_open NAME ID DATA_DEV [FEATURE...]: a table for disk ID, created
# before (re-creating a disk after a remove, a reboot).
disk_open() {
	local name=$1
	shift
	dmsetup create "$name" --table "$(disk_table "$@")"
}

# disk_create NAME ID DATA_DEV [FEATURE...]: create disk ID in POOL
# (create_disk) and its table NAME.
disk_create() {
	pool_msg create_disk "$2" && disk_open "$@"
}

# disk_reload NAME ID DATA_DEV [FEATURE...]: suspend the disk, load its
# table again, resume it.
disk_reload() {
	local name=$1
	shift
	dmsetup suspend "$name" && dmsetup load "$name" --table "$(disk_table "$@")" &&
		dmsetup resume "$name"
}

# copy_home NAME: copy every remapped block of disk NAME home; after it,
# the data device alone holds the disk.
copy_home() { dmsetup message "$1" 0 copy_home; }

# retable DEV TABLE: switch DEV's table (suspend, load, resume), as a
# failing disk would change.
retable() { dmsetup suspend "$1" && dmsetup load "$1" --table "$2" && dmsetup resume "$1"; }

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
