# SPDX-License-Identifier: GPL-2.0
# The storage model against its figures: fio on the raw device (what UML
# itself can do), on the hdd model and on the ssd model, random and
# sequential, 4 KiB and 1 MiB, read and write, iodepth 1 and 8.  Sourced in
# UML by tools/uml/boot.sh (Documentation/storage-model.rst, "Validation"):
#
#   make modules
#   tools/uml/boot.sh OUT tests/dm-model/fio-validate.sh
#
# writes OUT/validation.txt: per run, fio's IOPS and MB/s (1 MB = 10^6
# bytes), and from the model's counters the mean modelled service and
# queue wait per request (us).  FIO_RUNTIME (seconds, default 3) per run.

runtime=${FIO_RUNTIME:-3}
out=$tess_out/validation.txt
insmod "$tess_top/tests/dm-model/dm-model.ko" || exit 1
len=$(blockdev --getsz /dev/ubda)
# The table is the whole modelled drive: random offsets span the stroke.
dmsetup create hdd --table "0 $len model /dev/ubda hdd vh 0 2 capacity $len" || exit 1
dmsetup create ssd --table "0 $len model /dev/ubda ssd vs 0 2 capacity $len" || exit 1

# field DEV N: drive counter N (1 requests .. 10 flush) of DEV's status.
field() { dmsetup status "$1" | awk -v n=$(($2 + 17)) '{ print $n }'; }

# run DEV RW BS DEPTH: one fio run; prints its line of the table.
run() {
	local dev=$1 rw=$2 bs=$3 qd=$4 json=$TMPDIR/fio.json name req
	name=$(basename "$dev")
	[ "$name" = ubda ] || dmsetup message "$name" 0 reset
	fio --name=v --filename="$dev" --direct=1 --rw="$rw" --bs="$bs" \
		--iodepth="$qd" --ioengine=libaio --runtime="$runtime" --time_based \
		--randseed=1 --output-format=json --output="$json" > /dev/null 2>&1
	python3 - "$json" "$name" "$rw" "$bs" "$qd" <<-'EOF'
	import json, sys
	j = json.load(open(sys.argv[1]))["jobs"][0]
	d = j["read"] if j["read"]["io_bytes"] else j["write"]
	print("%-5s %-9s %-3s %2s %9.0f %8.1f" % (sys.argv[2], sys.argv[3], sys.argv[4],
	      sys.argv[5], d["iops"], d["bw_bytes"] / 1e6), end="")
	EOF
	if [ "$name" = ubda ]; then
		echo
	else
		req=$(field "$name" 1)
		[ "$req" -gt 0 ] || req=1
		printf ' %9d %12d\n' $(($(field "$name" 4) / req)) $(($(field "$name" 5) / req))
	fi
}

{
	echo "# fio $(fio --version), $runtime s a run, table = the whole drive ($len sectors)"
	echo "# dev   rw       bs  qd      iops     MB/s  service_us  wait_us"
	for dev in /dev/ubda /dev/mapper/hdd /dev/mapper/ssd; do
		for rw in randread randwrite read write; do
			for bs in 4k 1M; do
				for qd in 1 8; do
					run "$dev" "$rw" "$bs" "$qd"
				done
			done
		done
	done
} > "$out"
dmsetup remove hdd ssd
rmmod dm_model
