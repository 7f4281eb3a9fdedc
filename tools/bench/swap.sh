# SPDX-License-Identifier: GPL-2.0
# Sourced inside the UML host by tests/uml-init.sh for tools/bench/run:
# the same swapping workload through the tesseract swap backend (into the
# store of the pool, which has no disk) and through the plain swap device
# (ubdb), rounds interleaved.  The backend is restricted to the /vms memory
# cgroup; /plain runs beside it.  Per run, what each of the four devices
# did (swap-MODE-ROUND.json, "bytes"): swap references are not metadata,
# so the metadata device should see no writes.
. "$tess_top/tools/bench/pool.sh"

mkswap -q /dev/ubdb && swapon /dev/ubdb || fail "swapon failed"
pool_create || fail "pool create failed"
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/vms /sys/fs/cgroup/plain
echo /vms > /sys/kernel/tesseract/backend/memcg

mib=${BENCH_SWAP_MIB:-48}
for round in $(seq "${BENCH_ROUNDS:-5}"); do
	for mode in plain vms; do
		dev=ubdb; [ "$mode" = vms ] && dev=ubdc
		progress "round $round: ${mib} MiB in a 16 MiB memcg, $mode"
		io_snap "$tess_out/io0"
		t0=$(date +%s.%N)
		in_memcg_high "$mode" 16M "$MEMTOUCH" "$mib" 3 > /dev/null || progress "memtouch failed"
		t1=$(date +%s.%N)
		# read_bytes, write_bytes: the device swap went to (as before).
		python3 - "$mode" "$round" "$mib" "$(echo "$t1 - $t0" | bc)" "$dev" \
			"$(io_json "$tess_out/io0")" > "$tess_out/swap-$mode-$round.json" <<'PY'
import json, sys
mode, rnd, mib, secs, dev, io = sys.argv[1:]
io = json.loads(io)
d = io["store" if dev == "ubdc" else "swap"]
print(json.dumps({"mode": mode, "round": int(rnd), "mib": int(mib),
                  "seconds": float(secs), "read_bytes": d["read"],
                  "write_bytes": d["written"], "bytes": io}))
PY
	done
done
cat /sys/kernel/tesseract/backend/declined > "$tess_out/declined"
swapoff /dev/ubdb
bench_pool_remove "$tess_out/pool-status.txt" || fail "pool remove failed"
progress "done"
