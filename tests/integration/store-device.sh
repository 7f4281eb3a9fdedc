# SPDX-License-Identifier: GPL-2.0
# The store device: refused when it is not ours, never overwritten; a
# damaged superblock is refused too.

kmsg_mark
check_fails "insmod with a missing store refused" load_module store=/dev/nonexistent
check_kmsg "kernel says why: missing" "store /dev/nonexistent: cannot open"

check "foreign data in block 0" dd if=/dev/urandom of=/dev/ubdc bs=4k count=1 oflag=direct status=none
before=$(dd if=/dev/ubdc bs=4k count=1 iflag=direct status=none | md5sum)
kmsg_mark
check_fails "insmod with a foreign store refused" load_module store=/dev/ubdc
check_kmsg "kernel says why: foreign" "store /dev/ubdc: not a tesseract store"
check_eq "foreign data left as it was" "$(dd if=/dev/ubdc bs=4k count=1 iflag=direct status=none | md5sum)" "$before"
check_fails "module not loaded" module_loaded

check "zero block 0" dd if=/dev/zero of=/dev/ubdc bs=4k count=1 oflag=direct status=none
check "insmod formats a zeroed store" load_module store=/dev/ubdc
check "rmmod" rmmod dm_tesseract
# Flip one byte inside the superblock's checksummed area.
check "damage the superblock" sh -c \
	"printf '\\377' | dd of=/dev/ubdc bs=1 seek=100 conv=notrunc status=none && sync"
kmsg_mark
check "insmod with a damaged superblock refused with -EIO" sh -c \
	"insmod $tess_top/dm-tesseract/dm-tesseract.ko store=/dev/ubdc 2>&1 | grep -q 'Input/output error'"
check_kmsg "kernel says why: checksum" "store /dev/ubdc: superblock checksum mismatch"
check_fails "module not loaded" module_loaded
