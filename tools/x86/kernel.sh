#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the x86_64 host kernel: Debian's linux-source-6.12 with the
# mm-hooks series applied (only it: tests/kernel-patches are for UML) and
# tests/x86/x86.config merged over the x86_64 defconfig.  This is the
# kernel `make check-x86` boots under QEMU and the one a user would put on
# a KVM host (Documentation/x86-host.rst).  The recipe is that of
# tools/uml/kernel.sh, for another architecture.
#
# The tree is built in a cache outside the clone, beside the UML kernel,
# keyed by the source package version, the patches and the config; a
# second run with nothing changed does no work.
#
#   kernel.sh build   build (or find) the kernel, print its cache directory
#   kernel.sh dir     print the cache directory the current key maps to
#   kernel.sh key     print the cache key
#
# The cache directory holds src/ (patched source), build/ (the object
# tree, arch/x86/boot/bzImage) and build.log.
#
# Environment: TESSERACT_CACHE (default ~/.cache/tesseract), JOBS.  What
# this shares with the UML build is in tools/kernel-lib.sh.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
me=x86/kernel.sh
# Bump when the way the kernel is built changes (part of the cache key).
recipe=1
series=("$top/mm-hooks")
fragments=("$top/tests/x86/x86.config")
prefix=x86
. "$top/tools/kernel-lib.sh"

kmake() {
	local mk
	mapfile -t mk < <(ccache_args)
	mk=(make -s -C "$1/src" O="$1/build" ARCH=x86_64 -j"$jobs" "${mk[@]}")
	shift
	# A date (usr/gen_initramfs.sh parses it): the source tarball's.
	KBUILD_BUILD_TIMESTAMP=$(date -u -R -r "$tarball")
	export KBUILD_BUILD_TIMESTAMP
	export KBUILD_BUILD_USER=tesseract KBUILD_BUILD_HOST=x86
	"${mk[@]}" "$@"
}

do_build() {
	local dir n version
	dir=$(cache_dir "arch x86_64 recipe $recipe")
	if [ -f "$dir/built" ] || ! lock_build "$dir"; then
		echo "$dir"
		return
	fi
	n=$(unpack_source "$dir")
	echo "x86/kernel.sh: applied $n mm-hooks patch(es)" >&2

	kmake "$dir" defconfig >&2
	merge_fragments "$dir/src" "$dir/build"
	kmake "$dir" olddefconfig >&2
	check_config "$dir/build/.config"
	echo "x86/kernel.sh: building x86_64 kernel (log in $dir/build.log)" >&2
	if ! kmake "$dir" bzImage modules > "$dir/build.log" 2>&1; then
		tail -n 40 "$dir/build.log" >&2
		die "kernel build failed; see $dir/build.log"
	fi
	version=$(kmake "$dir" kernelrelease)
	echo "$pkg $(pkg_version) x86_64 kernel $version, $n mm-hooks patch(es)" > "$dir/built"
	echo "x86/kernel.sh: built $(cat "$dir/built")" >&2
	prune_cache "$dir"
	echo "$dir"
}

kernel_main "${1:-build}" "arch x86_64 recipe $recipe"
