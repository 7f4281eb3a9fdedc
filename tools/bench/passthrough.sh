# SPDX-License-Identifier: GPL-2.0
# Sourced inside the UML host by tests/uml-init.sh for tools/bench/run:
# fio 4 KiB random read and write IOPS on dm-linear and on a tesseract
# disk of the pool with no remaps, over the same data device, rounds
# interleaved.  The pool serves swap (swap is on), so the disk owns the
# O_DIRECT write hook and fio's writes pay for its page-table walk, as a
# VM's would.
. "$tess_top/tools/bench/pool.sh"

mkswap -q /dev/ubdb && swapon /dev/ubdb || fail "swapon failed"
pool_create || fail "pool create failed"
size=$(sectors /dev/ubda)
dmsetup create lin --table "0 $size linear /dev/ubda 0" || fail "dm-linear failed"
bench_disk tess 1 || fail "disk create failed"
progress "filling 128 MiB of the data device"
dd if=/dev/urandom of=/dev/ubda bs=1M count=128 oflag=direct status=none

# io_uring too: dm-linear supports NOWAIT, so io_uring issues inline to
# it, while a tesseract device sends every I/O through io_uring's workers.
export RUNTIME=${BENCH_RUNTIME:-5}
for round in $(seq "${BENCH_ROUNDS:-5}"); do
	for engine in libaio io_uring; do
		suffix=; [ "$engine" = libaio ] || suffix=_uring
		for job in randread randwrite; do
			for dev in lin tess; do
				name=$job$suffix-$dev-$round
				progress "round $round: $job-4k $engine on $dev (${RUNTIME}s)"
				io_snap "$tess_out/io0"
				DEV=/dev/mapper/$dev ENGINE=$engine fio \
					--output-format=json \
					--output="$tess_out/$name.json" \
					"$tess_top/tools/fio/$job-4k.fio"
				io_json "$tess_out/io0" > "$tess_out/$name.io"
			done
		done
	done
done
dmsetup status tess > "$tess_out/tess-status.txt"
dmsetup remove lin
bench_disk_delete tess 1 || fail "disk remove failed"
swapoff /dev/ubdb
bench_pool_remove "$tess_out/pool-status.txt" || fail "pool remove failed"
progress "done"
