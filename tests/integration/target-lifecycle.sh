# SPDX-License-Identifier: GPL-2.0
# Create, use, report on and remove a tesseract target; unload cleanly.

check "insmod with verbose=1" load_module verbose=1
check_eq "no targets at load" "$(cat /sys/kernel/tesseract/targets)" 0
check "target type registered" sh -c 'dmsetup targets | grep -q "^tesseract "'

size=$(sectors /dev/ubda)
kmsg_mark
check "create vm0" dmsetup create vm0 --table "0 $size tesseract /dev/ubda"
dm=$(devno /dev/mapper/vm0)
check_kmsg "verbose logs creation" "tesseract: $dm: created on $(devno /dev/ubda)"
check_eq "sysfs counts the target" "$(cat /sys/kernel/tesseract/targets)" 1
check_eq "table reads back" "$(dmsetup table vm0)" \
	"0 $size tesseract $(devno /dev/ubda) 0"
check_eq "status starts at zero, no store to reconcile with" "$(dmsetup status vm0 | cut -d' ' -f4-)" \
	"0 0 0 0 0 0 0 0 0 0 0 no_store 0 0 0 0 0 0 0 0 0"

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

kmsg_mark
check "remove vm0" dmsetup remove vm0
check_kmsg "verbose logs removal" "tesseract: $dm: destroyed"
check_eq "sysfs count back to zero" "$(cat /sys/kernel/tesseract/targets)" 0
check "rmmod" rmmod dm_tesseract
check_fails "module gone" module_loaded
check_fails "sysfs directory gone" test -e /sys/kernel/tesseract
