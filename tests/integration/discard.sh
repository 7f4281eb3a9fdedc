# SPDX-License-Identifier: GPL-2.0
# Discards pass down to the data device, unless the disk's table says
# no_discard_passdown; either way the disk accepts them.

check "create the pool" pool_create
mib() { dd if="$1" bs=1M count=1 iflag=direct status=none | md5sum | cut -d' ' -f1; }
zero_mib=$(head -c 1048576 /dev/zero | md5sum | cut -d' ' -f1)

check "create vm0 (passdown)" disk_create vm0 1 /dev/ubda
check "write 1 MiB" dd if=/dev/urandom of=/dev/mapper/vm0 bs=1M count=1 oflag=direct status=none
check "data written" test "$(mib /dev/mapper/vm0)" != "$zero_mib"
check "discard 1 MiB" blkdiscard -o 0 -l 1048576 /dev/mapper/vm0
check_eq "discard reached the data device (reads zero)" "$(mib /dev/ubda)" "$zero_mib"
check "remove vm0" dmsetup remove vm0

check "open vm0 again (no_discard_passdown)" disk_open vm0 1 /dev/ubda no_discard_passdown
check "write 1 MiB" dd if=/dev/urandom of=/dev/mapper/vm0 bs=1M count=1 oflag=direct status=none
before=$(mib /dev/ubda)
check "discard accepted" blkdiscard -o 0 -l 1048576 /dev/mapper/vm0
check "discard counted" test "$(status_field vm0 4)" -ge 1
check_eq "data device untouched" "$(mib /dev/ubda)" "$before"
check "remove vm0" dmsetup remove vm0
check "remove the pool" dmsetup remove pool
check "rmmod" rmmod dm_tesseract
