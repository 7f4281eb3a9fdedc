# SPDX-License-Identifier: GPL-2.0
# fio writes through the target and verifies (crc32c); the data stays put
# across a table reload and lands at the same offsets on the data device.

check "insmod" load_module
size=$(sectors /dev/ubda)
table="0 $size tesseract /dev/ubda"
check "create vm0" dmsetup create vm0 --table "$table"

# fio_run NAME JOB [fio args]: run a job against $DEV, output in $tess_out.
fio_run() {
	local name=$1 job=$2; shift 2
	fio --output="$tess_out/fio-$name.txt" "$@" "$tess_top/tests/fio/$job.fio"
}

export DEV=/dev/mapper/vm0
check "fio sequential write+verify (psync)" fio_run seq seq-verify
check "fio random write+verify (libaio)" fio_run rand rand-verify
check_eq "status counts the writes" "$(status_field vm0 6 | awk '{ print ($1 >= 196608) }')" 1

check "reload table" sh -c "dmsetup suspend vm0 && dmsetup load vm0 --table '$table' && dmsetup resume vm0"
check "sequential data verifies after reload" fio_run seq-reload seq-verify --verify_only
check "random data verifies after reload" fio_run rand-reload rand-verify --verify_only

check "remove vm0" dmsetup remove vm0
export DEV=/dev/ubda
check "sequential data is in place on the data device" fio_run seq-data seq-verify --verify_only
check "random data is in place on the data device" fio_run rand-data rand-verify --verify_only
check "rmmod" rmmod dm_tesseract
