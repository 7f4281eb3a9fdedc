# SPDX-License-Identifier: GPL-2.0
# Sourced by the benchmark parts inside the UML host (after tests/lib.sh):
# the pool and disks they measure, and the bytes their four devices move.
#
# Devices: /dev/ubda data, /dev/ubdb swap, /dev/ubdc store, /dev/ubdd pool
# metadata.

progress() { echo "bench: $*" > /dev/console; }
fail() { progress "$*"; exit 1; }

# The pool and disks come from tests/lib.sh (pool_create, disk_create,
# pool_msg, status_field): the pool "pool" on /dev/ubdd and /dev/ubdc, a
# boot's fresh images, so the pool formats both.

# bench_disk NAME ID [FEATURE...]: create disk ID in the pool with its
# table NAME over all of /dev/ubda.
bench_disk() {
	local name=$1 id=$2
	shift 2
	disk_create "$name" "$id" /dev/ubda "$@"
}

# bench_disk_delete NAME ID: remove table NAME, then disk ID with its
# remaps.
bench_disk_delete() { dmsetup remove "$1" && pool_msg delete_disk "$2"; }

# bench_pool_remove FILE: the pool's status into FILE (report.py checks
# that the pool stayed read-write and never needed a check), then the pool
# and the module go.  Swap must be off: stored pages hold the pool.
bench_pool_remove() {
	dmsetup status "$POOL" > "$1"
	dmsetup remove "$POOL" && rmmod dm_tesseract
}

# pool_txn: the pool's transaction id (status field 1), which every
# commit of its metadata raises by one; 0 without a pool.
pool_txn() {
	local t
	t=$(dmsetup status "$POOL" 2> /dev/null | awk '$3 == "tesseract-pool" { print $4 }')
	echo "${t:-0}"
}

# io_snap FILE: per device, I/O counters so far from /proc/diskstats:
# name, sectors read, write requests, sectors written, flush requests;
# then "txn" and the pool's transaction id; then, for each dm-model table
# m-NAME (tools/bench/double.sh), "model NAME" and its table's counters
# (Documentation/storage-model.rst: requests, bytes read, bytes written,
# busy, wait, seek, rotation, transfer, flash, flush; times in us).
io_snap() {
	local t
	awk '$3 ~ /^ubd[abcd]$/ { print $3, $6, $8, $10, $19 + 0 }' \
		/proc/diskstats > "$1"
	echo "txn $(pool_txn)" >> "$1"
	for t in data swap store meta; do
		dmsetup status "m-$t" 2> /dev/null |
			awk -v n="$t" '$3 == "model" && $6 == "table" {
				printf "model %s", n
				for (i = 7; i <= 16; i++) printf " %s", $i
				print "" }' >> "$1"
	done
}

# io_json FILE: what each device did since io_snap FILE, as JSON:
# {"data": {"read": bytes, "written": bytes, "writes": requests,
# "flushes": requests}, "swap": ..., "store": ..., "metadata": ...,
# "pool_commits": commits of the pool's metadata, and with dm-model
# tables "model": {"data": {"requests", "read", "written", "busy_us",
# "wait_us", "seek_us", "rotation_us", "transfer_us", "flash_us",
# "flush_us"}, "swap": ..., "store": ..., "meta": ...}}: the modelled
# drive's work for each slice.
io_json() {
	local txn0 models
	txn0=$(awk '$1 == "txn" { print $2 }' "$1")
	models=$(for t in data swap store meta; do
		dmsetup status "m-$t" 2> /dev/null |
			awk -v n="$t" '$3 == "model" && $6 == "table" {
				printf "now %s", n
				for (i = 7; i <= 16; i++) printf " %s", $i
				print "" }'
	done | awk '
	     BEGIN { split("requests read written busy_us wait_us seek_us rotation_us transfer_us flash_us flush_us", k) }
	     NR == FNR { if ($1 == "model") for (i = 3; i <= 12; i++) v[$2, i] = $i; next }
	     {
		s = ""
		for (i = 3; i <= 12; i++)
			s = s (i > 3 ? ", " : "") sprintf("\"%s\": %d", k[i - 2], $i - v[$2, i])
		out = out sep sprintf("\"%s\": {%s}", $2, s); sep = ", "
	     }
	     END { if (out != "") printf ", \"model\": {%s}", out }' "$1" -)
	awk -v commits=$(($(pool_txn) - ${txn0:-0})) -v models="$models" '
	     BEGIN { role["ubda"] = "data"; role["ubdb"] = "swap"
		     role["ubdc"] = "store"; role["ubdd"] = "metadata" }
	     NR == FNR { if ($1 ~ /^ubd/) { r[$1] = $2; n[$1] = $3; w[$1] = $4; f[$1] = $5 }; next }
	     $3 in r {
		out = out sep sprintf("\"%s\": {\"read\": %d, \"written\": %d, " \
			"\"writes\": %d, \"flushes\": %d}", role[$3],
			($6 - r[$3]) * 512, ($10 - w[$3]) * 512, $8 - n[$3],
			$19 - f[$3])
		sep = ", "
	     }
	     END { print "{" out ", \"pool_commits\": " commits models "}" }' \
		"$1" /proc/diskstats
}

# meminfo_json: /proc/meminfo as JSON, in bytes, with PcpFree: the free
# pages on the per-CPU lists (/proc/zoneinfo's pagesets), which MemFree
# leaves out; pages freed in bulk wait there, many MiB of them.
meminfo_json() {
	awk 'FILENAME == "/proc/zoneinfo" { if ($1 == "count:") pcp += $2; next }
	     { sub(":", "", $1); v = $2 * ($3 == "kB" ? 1024 : 1)
	       out = out sep sprintf("\"%s\": %d", $1, v); sep = ", " }
	     END { printf "{%s, \"PcpFree\": %d}\n", out, pcp * 4096 }' \
		/proc/zoneinfo /proc/meminfo
}
