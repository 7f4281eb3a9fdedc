# SPDX-License-Identifier: GPL-2.0
# Sourced inside the UML host by tests/uml-init.sh for tools/bench/run:
# fio 4 KiB random writes with fsync() after each write and with
# fdatasync() after every 32, on a tesseract disk of the pool that has
# remaps and on dm-linear over the same data device, rounds interleaved
# (the order of the pair alternates; both runs of a pair use the same
# random offsets, a new seed each round).
#
# The remaps: swapwrite writes host-swapped-out pages (the pool's store
# holds them) into BENCH_FSYNC_REMAP_MIB (default 64) MiB of fio's 128 MiB,
# in 4 MiB runs every 8 MiB, so that about half of fio's writes land on a
# remapped block, drop its remap and make the next flush commit it.
#
# Per run: fio's JSON (NAME.json) and NAME.io: what the four devices did
# during the run ("io") and the tesseract disk's remapped blocks before and
# after it, remaps it overwrote and pool commits its flushes caused.
. "$tess_top/tools/bench/pool.sh"

SW=$tess_top/tools/swapwrite/swapwrite
mkswap -q /dev/ubdb && swapon /dev/ubdb || fail "swapon failed"
pool_create || fail "pool create failed"
size=$(sectors /dev/ubda)
dmsetup create lin --table "0 $size linear /dev/ubda 0" || fail "dm-linear failed"
bench_disk tess 1 || fail "disk create failed"
progress "filling 128 MiB of the data device"
dd if=/dev/urandom of=/dev/mapper/tess bs=1M count=128 oflag=direct status=none

remap_mib=${BENCH_FSYNC_REMAP_MIB:-64}
progress "remapping $remap_mib MiB of the disk (swapwrite)"
t0=$SECONDS
# Runs of 1024 pages (4 MiB) at every 2048th page (8 MiB), up to 16 runs.
for ((run = 0; run < remap_mib / 4 && run < 16; run++)); do
	in_memcg_high sw max "$SW" write /dev/mapper/tess $((run * 2048)) 1024 \
		$((run + 1)) > "$tess_out/swapwrite.txt" ||
		fail "swapwrite run $run failed: $(cat "$tess_out/swapwrite.txt")"
done
pool_msg commit || fail "pool commit failed"
echo "{\"remap_mib\": $remap_mib, \"remapped\": $(status_field tess 7)," \
	"\"seconds\": $((SECONDS - t0))}" > "$tess_out/remaps.json"
progress "remapped: $(status_field tess 7) blocks"

# counters: the tesseract disk's remapped, overwritten and commits.
counters() { dmsetup status tess | awk '{ print $10, $14, $26 }'; }

export RUNTIME=${BENCH_RUNTIME:-5}
for round in $(seq "${BENCH_ROUNDS:-5}"); do
	order="lin tess"
	[ $((round % 2)) -eq 0 ] && order="tess lin"
	for job in fsync1 fdatasync32; do
		fsync=1 fdatasync=0
		[ "$job" = fdatasync32 ] && fsync=0 fdatasync=32
		for dev in $order; do
			name=$job-$dev-$round
			progress "round $round: 4 KiB random writes, $job, on $dev (${RUNTIME}s)"
			read -r rem0 over0 com0 <<< "$(counters)"
			io_snap "$tess_out/io0"
			DEV=/dev/mapper/$dev SEED=$round FSYNC=$fsync FDATASYNC=$fdatasync \
				fio --output-format=json --output="$tess_out/$name.json" \
				"$tess_top/tools/bench/sync-4k.fio" ||
				progress "fio $name failed"
			io=$(io_json "$tess_out/io0")
			read -r rem1 over1 com1 <<< "$(counters)"
			echo "{\"io\": $io, \"remapped\": [$rem0, $rem1]," \
				"\"overwritten\": $((over1 - over0))," \
				"\"commits\": $((com1 - com0))}" > "$tess_out/$name.io"
		done
	done
done
dmsetup status tess > "$tess_out/tess-status.txt"
dmsetup remove lin
bench_disk_delete tess 1 || fail "disk remove failed"
swapoff /dev/ubdb
bench_pool_remove "$tess_out/pool-status.txt" || fail "pool remove failed"
progress "done"
