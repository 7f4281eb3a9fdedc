# SPDX-License-Identifier: GPL-2.0
# Sourced by tests/uml-init.sh: load the module and its KUnit suites (they
# run when their module loads) and copy each suite's KTAP results out.
# The backend suite needs a store: ubdc.
insmod "$tess_top/dm-tesseract/dm-tesseract.ko" store=/dev/ubdc 2> "$tess_out/insmod.txt" &&
	insmod "$tess_top/dm-tesseract/dm-tesseract-kunit.ko" metadata_dev=/dev/ubdd 2>> "$tess_out/insmod.txt"
for d in /sys/kernel/debug/kunit/*/; do
	s=$(basename "$d")
	case "$s" in dm-tesseract*) cp "$d/results" "$tess_out/kunit-$s.ktap" ;; esac
done
