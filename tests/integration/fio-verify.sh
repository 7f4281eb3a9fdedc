# SPDX-License-Identifier: GPL-2.0
# fio writes through a disk and verifies (crc32c); the data stays put
# across a reload of the disk's table and of the pool's, and, once the
# disk is copied home, lands at the same offsets on the data device.

check "create the pool" pool_create
check "create vm0" disk_create vm0 1 /dev/ubda

# fio_run NAME JOB [fio args]: run a job against $DEV, output in $tess_out.
fio_run() {
	local name=$1 job=$2; shift 2
	fio --output="$tess_out/fio-$name.txt" "$@" "$tess_top/tests/fio/$job.fio"
}

export DEV=/dev/mapper/vm0
check "fio sequential write+verify (psync)" fio_run seq seq-verify
check "fio random write+verify (libaio)" fio_run rand rand-verify
check_eq "status counts the writes" "$(status_field vm0 6 | awk '{ print ($1 >= 196608) }')" 1

check "reload the disk's table" disk_reload vm0 1 /dev/ubda
check "sequential data verifies after the disk's reload" fio_run seq-reload seq-verify --verify_only
check "random data verifies after the disk's reload" fio_run rand-reload rand-verify --verify_only
check "reload the pool's table" pool_reload
check "sequential data verifies after the pool's reload" fio_run seq-preload seq-verify --verify_only
check "random data verifies after the pool's reload" fio_run rand-preload rand-verify --verify_only

# Until copy_home the data device alone need not be the disk.
check "copy_home" copy_home vm0
check_eq "no remap left" "$(status_field vm0 7)" 0
check "remove vm0" dmsetup remove vm0
export DEV=/dev/ubda
check "sequential data is in place on the data device" fio_run seq-data seq-verify --verify_only
check "random data is in place on the data device" fio_run rand-data rand-verify --verify_only
check "remove the pool" dmsetup remove pool
check "rmmod" rmmod dm_tesseract
