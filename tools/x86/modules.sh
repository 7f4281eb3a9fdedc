#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build dm-tesseract.ko (and the test modules of the top-level Kbuild)
# against the x86_64 kernel of tools/x86/kernel.sh, out of tree.  The
# sources are copied into the kernel's cache directory and built there, so
# no x86_64 object lands in the checkout, where the UML build of
# `make modules` keeps its own.
#
#   modules.sh build   build, print the directory holding the copy
#                      (dm-tesseract/dm-tesseract.ko under it)
#   modules.sh dir     print that directory
#
# Environment: as tools/x86/kernel.sh.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
kdir=$("$top/tools/x86/kernel.sh" dir)
mdir=$kdir/module

die() { echo "x86/modules.sh: $*" >&2; exit 1; }

do_build() {
	[ -f "$kdir/built" ] || die "no x86_64 kernel at $kdir (run 'make kernel-x86')"
	mkdir -p "$mdir"
	# The sources the top-level Kbuild names, with their times (tar keeps them):
	# objects of a previous build whose sources did not change stay valid.
	# Sources gone from the checkout go from the copy too.
	find "$mdir" \( -name '*.[ch]' ! -name '*.mod.c' -o -name Kbuild \) -delete
	(cd "$top" && find Kbuild dm-tesseract tests/kvmlike tests/dm-model \
		\( -name '*.[ch]' ! -name '*.mod.c' -o -name Kbuild \) -print0 |
		tar --null -T - -cf -) | tar -xf - -C "$mdir"
	local mk=(make -s -C "$kdir/build" M="$mdir" ARCH=x86_64 -j"${JOBS:-$(nproc)}")
	command -v ccache > /dev/null && mk+=(CC="ccache gcc")
	"${mk[@]}" modules >&2 || die "module build failed"
	[ -f "$mdir/dm-tesseract/dm-tesseract.ko" ] || die "no dm-tesseract.ko in $mdir"
	echo "$mdir"
}

case "${1:-build}" in
build)	do_build ;;
dir)	echo "$mdir" ;;
*)	die "usage: modules.sh build|dir" ;;
esac
