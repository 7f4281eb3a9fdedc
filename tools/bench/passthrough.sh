# SPDX-License-Identifier: GPL-2.0
# Sourced inside the UML host by tests/uml-init.sh for tools/bench/run:
# fio 4 KiB random read and write IOPS on dm-linear and on a tesseract
# target with no remaps, over the same data device, rounds interleaved.
# The module has a store, so the target owns the O_DIRECT write hook and
# fio's writes pay for its page-table walk, as a VM's would.
progress() { echo "bench: $*" > /dev/console; }

load_module store=/dev/ubdc || { progress "insmod failed"; exit 1; }
size=$(sectors /dev/ubda)
dmsetup create lin --table "0 $size linear /dev/ubda 0"
dmsetup create tess --table "0 $size tesseract /dev/ubda"
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
				progress "round $round: $job-4k $engine on $dev (${RUNTIME}s)"
				DEV=/dev/mapper/$dev ENGINE=$engine fio \
					--output-format=json \
					--output="$tess_out/$job$suffix-$dev-$round.json" \
					"$tess_top/tools/fio/$job-4k.fio"
			done
		done
	done
done
dmsetup status tess > "$tess_out/tess-status.txt"
dmsetup remove lin
dmsetup remove tess
rmmod dm_tesseract
progress "done"
