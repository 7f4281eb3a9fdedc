# SPDX-License-Identifier: GPL-2.0
# Sourced by tests/uml-init.sh: load the module and its KUnit suites (they
# run when their module loads) and copy each suite's KTAP results out.
# The backend suite needs a pool that serves swap: ubda (metadata) and
# ubdc (store); the metadata suite uses ubdd as a scratch device.
kpool_len=$(($(blockdev --getsz /dev/ubdc) / 8 * 8))
insmod "$tess_top/dm-tesseract/dm-tesseract.ko" 2> "$tess_out/insmod.txt" &&
	dmsetup create tess-kunit-pool --table "0 $kpool_len tesseract-pool /dev/ubda /dev/ubdc" 2>> "$tess_out/insmod.txt" &&
	insmod "$tess_top/dm-tesseract/dm-tesseract-kunit.ko" metadata_dev=/dev/ubdd 2>> "$tess_out/insmod.txt"
for d in /sys/kernel/debug/kunit/*/; do
	s=$(basename "$d")
	case "$s" in dm-tesseract*) cp "$d/results" "$tess_out/kunit-$s.ktap" ;; esac
done
dmsetup remove tess-kunit-pool 2>> "$tess_out/insmod.txt"
