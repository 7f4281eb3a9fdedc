# SPDX-License-Identifier: GPL-2.0
# Sourced by tests/uml-init.sh: load the module and its KUnit suites (they
# run when their module loads) and copy each suite's KTAP results out.
# The backend suite needs a store: a pool serving swap on ubdd and ubdc.
. "$tess_top/tests/lib.sh"
{
	load_module && pool_create kpool &&
		insmod "$tess_top/dm-tesseract/dm-tesseract-kunit.ko"
} > "$tess_out/insmod.txt" 2>&1
for d in /sys/kernel/debug/kunit/*/; do
	s=$(basename "$d")
	case "$s" in dm-tesseract*) cp "$d/results" "$tess_out/kunit-$s.ktap" ;; esac
done
