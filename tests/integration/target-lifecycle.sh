# SPDX-License-Identifier: GPL-2.0
# Create, use, report on and remove a pool and a disk on it; unload
# cleanly.

check "insmod with verbose=1" load_module verbose=1
check_eq "no targets at load" "$(cat /sys/kernel/tesseract/targets)" 0
check_eq "no pools at load" "$(cat /sys/kernel/tesseract/pools)" 0
check "target types registered" sh -c 'dmsetup targets | grep -q "^tesseract " &&
	dmsetup targets | grep -q "^tesseract-pool "'

check "create the pool" pool_create
check_eq "sysfs counts the pool" "$(cat /sys/kernel/tesseract/pools)" 1
check_eq "pool table reads back" "$(dmsetup table pool)" \
	"0 $(pool_len) tesseract-pool $(devno /dev/ubdd) $(devno /dev/ubdc) 0"
check_eq "a new pool has no disk" "$(pool_status_field 6)" 0
check_eq "and is read-write" "$(pool_status_field 7)" rw
check_eq "and needs no check" "$(pool_status_field 8)" -
check_eq "and serves host swap" "$(pool_status_field 9)" swap

size=$(sectors /dev/ubda)
kmsg_mark
check "create vm0 (disk 1)" disk_create vm0 1 /dev/ubda
dm=$(devno /dev/mapper/vm0)
check_kmsg "verbose logs creation" "tesseract: $dm: disk 1 of pool $(devno /dev/mapper/pool) on $(devno /dev/ubda)"
check_eq "sysfs counts the target" "$(cat /sys/kernel/tesseract/targets)" 1
check_eq "the pool counts the disk" "$(pool_status_field 6)" 1
check_eq "table reads back" "$(dmsetup table vm0)" \
	"0 $size tesseract $(devno /dev/mapper/pool) 1 $(devno /dev/ubda) 0"
# Fields 1..20 as before the pool; 21 and 22 (declined: cap, pool), 23
# (commits) and 24 (declined: moving) are new, then the feature count.  The pool serves swap, so the
# disk reconciles (before the pool it said no_store: no store= was given).
check_eq "status starts at zero, reconciling" "$(dmsetup status vm0 | cut -d' ' -f4-)" \
	"0 0 0 0 0 0 0 0 0 0 0 reconciling 0 0 0 0 0 0 0 0 0 0 0 0 0"

# 1 MiB written with O_DIRECT: whole-MiB bios, 2048 sectors.
check "write 1 MiB" dd if=/dev/urandom of=/dev/mapper/vm0 bs=1M count=1 oflag=direct status=none
check_eq "write sectors counted" "$(status_field vm0 6)" 2048
check "read 1 MiB" dd if=/dev/mapper/vm0 of=/dev/null bs=1M count=1 iflag=direct status=none
check_eq "read sectors counted" "$(status_field vm0 5)" 2048
check "reads counted" test "$(status_field vm0 1)" -ge 1
check "writes counted" test "$(status_field vm0 2)" -ge 1

check "fsync sends a flush" dd if=/dev/zero of=/dev/mapper/vm0 bs=4k count=1 oflag=direct conv=fsync status=none
check "flushes counted" test "$(status_field vm0 3)" -ge 1

check "discard 1 MiB" blkdiscard -o 0 -l 1048576 /dev/mapper/vm0
check "discards counted" test "$(status_field vm0 4)" -ge 1

kmsg_mark
check "message reset_counters" dmsetup message vm0 0 reset_counters
check_kmsg "verbose logs messages" "tesseract: $dm: message reset_counters"
check_eq "counters reset" "$(dmsetup status vm0 | cut -d' ' -f4-14)" "0 0 0 0 0 0 0 0 0 0 0"

check "suspend" dmsetup suspend vm0
check "resume" dmsetup resume vm0

check_fails "rmmod refused while the pool and a disk exist" rmmod dm_tesseract
kmsg_mark
check "remove vm0" dmsetup remove vm0
check_kmsg "verbose logs removal" "tesseract: $dm: destroyed"
check_eq "sysfs count back to zero" "$(cat /sys/kernel/tesseract/targets)" 0
check_eq "the pool keeps the disk" "$(pool_status_field 6)" 1
check "delete disk 1" pool_msg delete_disk 1
check_eq "the pool has no disk" "$(pool_status_field 6)" 0
check "remove the pool" dmsetup remove pool
check_eq "sysfs pools back to zero" "$(cat /sys/kernel/tesseract/pools)" 0
check "rmmod" rmmod dm_tesseract
check_fails "module gone" module_loaded
check_fails "sysfs directory gone" test -e /sys/kernel/tesseract
