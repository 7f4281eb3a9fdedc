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
# Environment: TESSERACT_CACHE (default ~/.cache/tesseract), JOBS.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
pkg=linux-source-6.12
tarball=/usr/src/$pkg.tar.xz
cache=${TESSERACT_CACHE:-${XDG_CACHE_HOME:-${HOME:-/var/tmp}/.cache}/tesseract}
jobs=${JOBS:-$(nproc)}
# Bump when the way the kernel is built changes (part of the cache key).
recipe=1
fragments=("$top/tests/x86/x86.config")
prefix=x86

die() { echo "x86/kernel.sh: $*" >&2; exit 1; }

pkg_version() {
	dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null ||
		die "$pkg is not installed (run 'make deps')"
}

# The patches mm-hooks/series names, in order.
patches() {
	local p
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		echo "$top/mm-hooks/$p"
	done < "$top/mm-hooks/series"
}

cache_key() {
	{
		echo "$pkg $(pkg_version)"
		echo "arch x86_64 recipe $recipe"
		cat "${fragments[@]}"
		local p
		for p in $(patches); do
			[ -f "$p" ] || die "mm-hooks/series names a missing patch: $p"
			echo "patch mm-hooks/$(basename "$p")"
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
		patch -d "$src" -p1 --forward --batch --quiet < "$p" ||
			die "mm-hooks patch $(basename "$p") does not apply to $pkg $(pkg_version); refusing to build an unpatched kernel"
		n=$((n + 1))
	done
	echo "$n"
}

# Every option the fragment asks for must be in the final config, or the
# tests would run against a kernel that lacks what they test.
check_config() {
	local cfg=$1 line opt val
	while read -r line; do
		case "$line" in
		CONFIG_*=*)
			opt=${line%%=*}; val=${line#*=}
			if [ "$val" = n ]; then
				! grep -q "^$opt=" "$cfg" ||
					die "$opt is set but tests/x86/x86.config asks for n"
			else
				grep -qx "$opt=$val" "$cfg" ||
					die "tests/x86/x86.config asks for $line but the kernel config has: $(grep "^$opt=\|# $opt " "$cfg" || echo nothing)"
			fi ;;
		esac
	done < <(cat "${fragments[@]}")
}

kmake() {
	local mk=(make -s -C "$1/src" O="$1/build" ARCH=x86_64 -j"$jobs")
	shift
	if command -v ccache >/dev/null; then
		export CCACHE_BASEDIR=$cache CCACHE_NOHASHDIR=true
		mk+=(CC="ccache gcc" HOSTCC="ccache gcc")
	fi
	# A date (usr/gen_initramfs.sh parses it): the source tarball's.
	KBUILD_BUILD_TIMESTAMP=$(date -u -R -r "$tarball")
	export KBUILD_BUILD_TIMESTAMP
	export KBUILD_BUILD_USER=tesseract KBUILD_BUILD_HOST=x86
	"${mk[@]}" "$@"
}

do_build() {
	local dir src obj n version
	dir=$(build_dir)
	if [ -f "$dir/built" ]; then
		echo "$dir"
		return
	fi
	mkdir -p "$cache"
	# One build at a time: a second caller waits, then finds it built.
	exec 9> "$cache/.lock-$prefix"
	flock 9
	if [ -f "$dir/built" ]; then
		echo "$dir"
		return
	fi
	[ -f "$tarball" ] || die "$tarball missing (run 'make deps')"
	rm -rf "$dir"
	mkdir -p "$dir/unpack"
	src=$dir/src
	obj=$dir/build
	echo "x86/kernel.sh: unpacking $pkg $(pkg_version) into $dir" >&2
	tar -C "$dir/unpack" -xf "$tarball"
	mv "$dir/unpack/$pkg" "$src"
	rmdir "$dir/unpack"
	n=$(apply_patches "$src")
	echo "x86/kernel.sh: applied $n mm-hooks patch(es)" >&2

	kmake "$dir" defconfig >&2
	(cd "$obj" && "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" \
		"$obj/.config" "${fragments[@]}" >/dev/null)
	kmake "$dir" olddefconfig >&2
	check_config "$obj/.config"
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

# Keep the newest few builds; ccache keeps the rest cheap to rebuild.
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
