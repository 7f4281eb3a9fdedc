# SPDX-License-Identifier: GPL-2.0
# Sourced inside the UML host by tests/uml-init.sh for tools/bench/run:
# the same swapping workload through the tesseract swap backend (store on
# ubdc) and through the plain swap device (ubdb), rounds interleaved.  The
# backend is restricted to the /vms memory cgroup; /plain runs beside it.
progress() { echo "bench: $*" > /dev/console; }

load_module store=/dev/ubdc || { progress "insmod failed"; exit 1; }
mkswap -q /dev/ubdb && swapon /dev/ubdb || { progress "swapon failed"; exit 1; }
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/vms /sys/fs/cgroup/plain
echo /vms > /sys/kernel/tesseract/backend/memcg

# disk_sectors DEV: "read written" sectors of DEV from /proc/diskstats.
disk_sectors() { awk -v d="$1" '$3 == d { print $6, $10 }' /proc/diskstats; }
mib=${BENCH_SWAP_MIB:-48}
for round in $(seq "${BENCH_ROUNDS:-5}"); do
	for mode in plain vms; do
		dev=ubdb; [ "$mode" = vms ] && dev=ubdc
		progress "round $round: ${mib} MiB in a 16 MiB memcg, $mode"
		read -r r0 w0 <<< "$(disk_sectors $dev)"
		t0=$(date +%s.%N)
		in_memcg_high "$mode" 16M "$MEMTOUCH" "$mib" 3 > /dev/null || progress "memtouch failed"
		t1=$(date +%s.%N)
		read -r r1 w1 <<< "$(disk_sectors $dev)"
		echo "{\"mode\": \"$mode\", \"round\": $round, \"mib\": $mib, \"seconds\": $(echo "$t1 - $t0" | bc)," \
		     "\"read_bytes\": $(((r1 - r0) * 512)), \"write_bytes\": $(((w1 - w0) * 512))}" \
			> "$tess_out/swap-$mode-$round.json"
	done
done
cat /sys/kernel/tesseract/backend/declined > "$tess_out/declined"
swapoff /dev/ubdb
rmmod dm_tesseract
progress "done"
