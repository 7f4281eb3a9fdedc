# SPDX-License-Identifier: GPL-2.0
# Discards pass down to the data device, unless the table says
# no_discard_passdown; either way the target accepts them.

check "insmod" load_module
size=$(sectors /dev/ubda)
mib() { dd if="$1" bs=1M count=1 iflag=direct status=none | md5sum | cut -d' ' -f1; }
zero_mib=$(head -c 1048576 /dev/zero | md5sum | cut -d' ' -f1)

check "create vm0 (passdown)" dmsetup create vm0 --table "0 $size tesseract /dev/ubda"
check "write 1 MiB" dd if=/dev/urandom of=/dev/mapper/vm0 bs=1M count=1 oflag=direct status=none
check "data written" test "$(mib /dev/mapper/vm0)" != "$zero_mib"
check "discard 1 MiB" blkdiscard -o 0 -l 1048576 /dev/mapper/vm0
check_eq "discard reached the data device (reads zero)" "$(mib /dev/ubda)" "$zero_mib"
check "remove vm0" dmsetup remove vm0

check "create vm0 (no_discard_passdown)" dmsetup create vm0 --table "0 $size tesseract /dev/ubda 1 no_discard_passdown"
check "write 1 MiB" dd if=/dev/urandom of=/dev/mapper/vm0 bs=1M count=1 oflag=direct status=none
before=$(mib /dev/ubda)
check "discard accepted" blkdiscard -o 0 -l 1048576 /dev/mapper/vm0
check "discard counted" test "$(status_field vm0 4)" -ge 1
check_eq "data device untouched" "$(mib /dev/ubda)" "$before"
check "remove vm0" dmsetup remove vm0
check "rmmod" rmmod dm_tesseract
