#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the host kernel under test: User-Mode Linux from Debian's
# linux-source-6.12 package, with the mm-hooks series applied, then the
# test-only series of tests/kernel-patches (what tests need of a kernel that
# UML lacks; mm-hooks must not depend on it), and tests/uml.config merged
# over the UML defconfig.  With TESS_KERNEL=debug,
# tests/uml-debug.config is merged over that too: the debug kernel of
# `make test-debug` (KASAN, kmemleak, UBSAN, DEBUG_VM, fault injection),
# cached beside the other.
#
# The tree is built in a cache outside the clone, keyed by the source
# package version, the patches and the config; a second run with nothing
# changed does no work.  ccache makes a rebuild after a key change cheap.
#
#   kernel.sh build   build (or find) the kernel, print its build directory
#   kernel.sh dir     print the build directory the current key maps to
#   kernel.sh key     print the cache key
#
# Environment: TESSERACT_CACHE (default ~/.cache/tesseract), JOBS,
# TESS_KERNEL (test, the default, or debug).  What this shares with the
# x86_64 build is in tools/kernel-lib.sh.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
me=kernel.sh
# Bump when the way the kernel is built changes (part of the cache key).
recipe=1
# mm-hooks first, then the test-only patches.
series=("$top/mm-hooks" "$top/tests/kernel-patches")
flavour=${TESS_KERNEL:-test}
case "$flavour" in
test)	fragments=("$top/tests/uml.config") prefix=uml ;;
debug)	fragments=("$top/tests/uml.config" "$top/tests/uml-debug.config")
	prefix=uml-debug ;;
*)	echo "kernel.sh: TESS_KERNEL must be test or debug, not '$flavour'" >&2
	exit 1 ;;
esac
. "$top/tools/kernel-lib.sh"

do_build() {
	local dir obj n version mk
	dir=$(cache_dir "recipe $recipe")
	if [ -f "$dir/built" ] || ! lock_build "$dir"; then
		echo "$dir"
		return
	fi
	obj=$dir/build
	n=$(unpack_source "$dir")
	echo "kernel.sh: applied $n patch(es) (mm-hooks, tests/kernel-patches)" >&2

	mapfile -t mk < <(ccache_args)
	mk=(make -s -C "$dir/src" O="$obj" ARCH=um -j"$jobs" "${mk[@]}")
	export KBUILD_BUILD_TIMESTAMP="$pkg $(pkg_version)"
	export KBUILD_BUILD_USER=tesseract KBUILD_BUILD_HOST=uml
	"${mk[@]}" defconfig >&2
	merge_fragments "$dir/src" "$obj"
	"${mk[@]}" olddefconfig >&2
	check_config "$obj/.config"
	echo "kernel.sh: building UML kernel (log in $dir/build.log)" >&2
	if ! "${mk[@]}" all > "$dir/build.log" 2>&1; then
		tail -n 40 "$dir/build.log" >&2
		die "kernel build failed; see $dir/build.log"
	fi
	version=$("${mk[@]}" kernelrelease)
	echo "$pkg $(pkg_version) kernel $version, $n patch(es) (mm-hooks, tests/kernel-patches)" > "$dir/built"
	echo "kernel.sh: built $(cat "$dir/built")" >&2
	prune_cache "$dir"
	echo "$dir"
}

kernel_main "${1:-build}" "recipe $recipe"
