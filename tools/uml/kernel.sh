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
# TESS_KERNEL (test, the default, or debug).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
pkg=linux-source-6.12
tarball=/usr/src/$pkg.tar.xz
cache=${TESSERACT_CACHE:-${XDG_CACHE_HOME:-${HOME:-/var/tmp}/.cache}/tesseract}
jobs=${JOBS:-$(nproc)}
# Bump when the way the kernel is built changes (part of the cache key).
recipe=1
flavour=${TESS_KERNEL:-test}
case "$flavour" in
test)	fragments=("$top/tests/uml.config") prefix=uml ;;
debug)	fragments=("$top/tests/uml.config" "$top/tests/uml-debug.config")
	prefix=uml-debug ;;
*)	echo "kernel.sh: TESS_KERNEL must be test or debug, not '$flavour'" >&2
	exit 1 ;;
esac

die() { echo "kernel.sh: $*" >&2; exit 1; }

pkg_version() {
	dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null ||
		die "$pkg is not installed (run 'make deps')"
}

# series_patches DIR: the patches DIR/series names, in order.
series_patches() {
	local p
	[ -f "$1/series" ] || return 0
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		echo "$1/$p"
	done < "$1/series"
}

# mm-hooks first, then the test-only patches.
patches() {
	series_patches "$top/mm-hooks"
	series_patches "$top/tests/kernel-patches"
}

# The series a patch belongs to, for messages: mm-hooks or tests/kernel-patches.
series_of() {
	local d
	d=$(dirname "$1")
	echo "${d#"$top/"}"
}

cache_key() {
	{
		echo "$pkg $(pkg_version)"
		echo "recipe $recipe"
		cat "${fragments[@]}"
		local p
		for p in $(patches); do
			[ -f "$p" ] || die "$(series_of "$p")/series names a missing patch: $p"
			echo "patch $(series_of "$p")/$(basename "$p")"
			cat "$p"
		done
	} | sha256sum | cut -c1-16
}

build_dir() {
	echo "$cache/$prefix-$(pkg_version | tr '~:' '__')-$(cache_key)"
}

apply_patches() {
	local src=$1 p n=0
	for p in $(patches); do
		if ! patch -d "$src" -p1 --forward --batch --quiet < "$p"; then
			die "$(series_of "$p") patch $(basename "$p") does not apply to $pkg $(pkg_version); refusing to build an unpatched kernel"
		fi
		n=$((n + 1))
	done
	echo "$n"
}

# Every option the fragments ask for must be in the final config, or the
# tests would run against a kernel that lacks what they test.
check_config() {
	local cfg=$1 line opt val
	while read -r line; do
		case "$line" in
		CONFIG_*=*)
			opt=${line%%=*}; val=${line#*=}
			if [ "$val" = n ]; then
				! grep -q "^$opt=" "$cfg" ||
					die "$opt is set but tests/uml.config asks for n"
			else
				grep -qx "$opt=$val" "$cfg" ||
					die "the config fragments ask for $line but the kernel config has: $(grep "^$opt=\|# $opt " "$cfg" || echo nothing)"
			fi ;;
		esac
	done < <(cat "${fragments[@]}")
}

do_build() {
	local dir src obj n version
	dir=$(build_dir)
	if [ -f "$dir/built" ]; then
		echo "$dir"
		return
	fi
	mkdir -p "$cache"
	# One build of a flavour at a time: a second caller waits, then finds
	# it built.  A built kernel is used without the lock (above), so a
	# debug build does not hold up tests on the other.
	exec 9> "$cache/.lock-$prefix"
	flock 9
	if [ -f "$dir/built" ]; then
		echo "$dir"
		return
	fi
	[ -f "$tarball" ] || die "$tarball missing (run 'make deps')"
	mkdir -p "$cache"
	rm -rf "$dir"
	mkdir -p "$dir"
	src=$dir/src
	obj=$dir/build
	echo "kernel.sh: unpacking $pkg $(pkg_version) into $dir" >&2
	mkdir -p "$dir/unpack"
	tar -C "$dir/unpack" -xf "$tarball"
	mv "$dir/unpack/$pkg" "$src"
	rmdir "$dir/unpack"
	n=$(apply_patches "$src")
	echo "kernel.sh: applied $n patch(es) (mm-hooks, tests/kernel-patches)" >&2

	local mk=(make -s -C "$src" O="$obj" ARCH=um -j"$jobs")
	if command -v ccache >/dev/null; then
		export CCACHE_BASEDIR=$cache CCACHE_NOHASHDIR=true
		mk+=(CC="ccache gcc" HOSTCC="ccache gcc")
	fi
	export KBUILD_BUILD_TIMESTAMP="$pkg $(pkg_version)"
	export KBUILD_BUILD_USER=tesseract KBUILD_BUILD_HOST=uml
	"${mk[@]}" defconfig >&2
	(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" \
		"$obj/.config" "${fragments[@]}" >/dev/null)
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

# Keep the newest few builds of this flavour (a branch switch back is then
# free); ccache keeps the rest cheap to rebuild.
prune_cache() {
	local keep=$1 d
	ls -td "$cache/$prefix"-[0-9]* 2>/dev/null | tail -n +4 | while read -r d; do
		[ "$d" = "$keep" ] || rm -rf "$d"
	done
}

case "${1:-build}" in
build)	do_build ;;
dir)	build_dir ;;
key)	cache_key ;;
*)	die "usage: kernel.sh build|dir|key" ;;
esac
