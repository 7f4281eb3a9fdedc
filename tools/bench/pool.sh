# SPDX-License-Identifier: GPL-2.0
# Sourced by the benchmark parts inside the UML host (after tests/lib.sh):
# the pool and disks they measure, and the bytes their four devices move.
#
# Devices: /dev/ubda data, /dev/ubdb swap, /dev/ubdc store, /dev/ubdd pool
# metadata.  The pool is /dev/mapper/pool; a disk's table covers all of
# /dev/ubda.

progress() { echo "bench: $*" > /dev/console; }
fail() { progress "$*"; exit 1; }

# bench_pool [FEATURE_ARG...]: load the module and create the pool on a
# metadata device formatted afresh (block 0 zeroed: the pool formats it).
bench_pool() {
	local len feat=
	load_module || return 1
	dd if=/dev/zero of=/dev/ubdd bs=4096 count=1 oflag=direct status=none ||
		return 1
	len=$(($(sectors /dev/ubdc) / 8 * 8))
	[ $# -eq 0 ] || feat=" $# $*"
	dmsetup create pool --table "0 $len tesseract-pool /dev/ubdd /dev/ubdc$feat"
}

# disk_table ID [FEATURE_ARG...]: the table line of disk ID over /dev/ubda.
disk_table() {
	local id=$1 feat=
	shift
	[ $# -eq 0 ] || feat=" $# $*"
	echo "0 $(sectors /dev/ubda) tesseract /dev/mapper/pool $id /dev/ubda$feat"
}

# bench_disk NAME ID [FEATURE_ARG...]: create disk ID in the pool and its
# table NAME.
bench_disk() {
	local name=$1 id=$2
	shift 2
	dmsetup message pool 0 create_disk "$id" &&
		dmsetup create "$name" --table "$(disk_table "$id" "$@")"
}

# bench_disk_delete NAME ID: remove table NAME, then disk ID with its
# remaps.
bench_disk_delete() {
	dmsetup remove "$1" && dmsetup message pool 0 delete_disk "$2"
}

# bench_pool_remove FILE: the pool's status into FILE (report.py checks
# that the pool stayed read-write and never needed a check), then the pool
# and the module go.  Swap must be off: stored pages hold the pool.
bench_pool_remove() {
	dmsetup status pool > "$1"
	dmsetup remove pool && rmmod dm_tesseract
}

# disk_field NAME N: field N of disk NAME's status after dm's three.
disk_field() { dmsetup status "$1" | awk -v n="$2" '{ print $(n + 3) }'; }

# io_snap FILE: per device, I/O counters so far from /proc/diskstats:
# name, sectors read, write requests, sectors written, flush requests.
io_snap() {
	awk '$3 ~ /^ubd[abcd]$/ { print $3, $6, $8, $10, $19 + 0 }' \
		/proc/diskstats > "$1"
}

# io_json FILE: what each device did since io_snap FILE, as JSON:
# {"data": {"read": bytes, "written": bytes, "writes": requests,
# "flushes": requests}, "swap": ..., "store": ..., "metadata": ...}.
io_json() {
	awk 'BEGIN { role["ubda"] = "data"; role["ubdb"] = "swap"
		     role["ubdc"] = "store"; role["ubdd"] = "metadata" }
	     NR == FNR { r[$1] = $2; n[$1] = $3; w[$1] = $4; f[$1] = $5; next }
	     $3 in r {
		out = out sep sprintf("\"%s\": {\"read\": %d, \"written\": %d, " \
			"\"writes\": %d, \"flushes\": %d}", role[$3],
			($6 - r[$3]) * 512, ($10 - w[$3]) * 512, $8 - n[$3],
			$19 - f[$3])
		sep = ", "
	     }
	     END { print "{" out "}" }' "$1" /proc/diskstats
}

# meminfo_json: /proc/meminfo as JSON, in bytes.
meminfo_json() {
	awk '{ sub(":", "", $1); v = $2 * ($3 == "kB" ? 1024 : 1)
	       out = out sep sprintf("\"%s\": %d", $1, v); sep = ", " }
	     END { print "{" out "}" }' /proc/meminfo
}
