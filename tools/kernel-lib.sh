# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What the two kernel builds share: tools/uml/kernel.sh (User-Mode Linux,
# the kernel under test) and tools/x86/kernel.sh (x86_64, the kernel a
# user installs).  Both patch Debian's linux-source-6.12, merge config
# fragments over a defconfig and cache the tree outside the clone, keyed by
# the source package version, the patches and the config.  Sourced, not
# run.  The caller sets, before sourcing:
#   top        the top of the clone
#   me         its name, for messages
#   prefix     the cache directory prefix (uml, uml-debug, x86)
#   fragments  the config fragments, an array
#   series     the patch series directories, in order, an array
# and gets pkg, tarball, cache, jobs and the functions below.

pkg=linux-source-6.12
tarball=/usr/src/$pkg.tar.xz
cache=${TESSERACT_CACHE:-${XDG_CACHE_HOME:-${HOME:-/var/tmp}/.cache}/tesseract}
jobs=${JOBS:-$(nproc)}

die() { echo "$me: $*" >&2; exit 1; }

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

# patches: those of every series, in order.
patches() {
	local d
	for d in "${series[@]}"; do
		series_patches "$d"
	done
}

# The series a patch belongs to, for messages: mm-hooks or tests/kernel-patches.
series_of() {
	local d
	d=$(dirname "$1")
	echo "${d#"$top/"}"
}

# cache_key RECIPE_LINE: the key of the package version, RECIPE_LINE (the
# caller's recipe version, and what else tells its builds apart), the
# fragments and the patches.
cache_key() {
	{
		echo "$pkg $(pkg_version)"
		echo "$1"
		cat "${fragments[@]}"
		local p
		for p in $(patches); do
			[ -f "$p" ] || die "$(series_of "$p")/series names a missing patch: $p"
			echo "patch $(series_of "$p")/$(basename "$p")"
			cat "$p"
		done
	} | sha256sum | cut -c1-16
}

# cache_dir RECIPE_LINE: the cache directory that key maps to.
cache_dir() {
	echo "$cache/$prefix-$(pkg_version | tr '~:' '__')-$(cache_key "$1")"
}

# apply_patches SRC: apply every patch to the tree at SRC; print how many.
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

# check_config CONFIG: every option the fragments ask for must be in the
# final config, or the tests would run against a kernel that lacks what
# they test.
check_config() {
	local cfg=$1 line opt val names
	names=$(for f in "${fragments[@]}"; do echo "${f#"$top/"}"; done | paste -sd' ')
	while read -r line; do
		case "$line" in
		CONFIG_*=*)
			opt=${line%%=*}; val=${line#*=}
			if [ "$val" = n ]; then
				! grep -q "^$opt=" "$cfg" ||
					die "$opt is set but $names asks for n"
			else
				grep -qx "$opt=$val" "$cfg" ||
					die "$names asks for $line but the kernel config has: $(grep "^$opt=\|# $opt " "$cfg" || echo nothing)"
			fi ;;
		esac
	done < <(cat "${fragments[@]}")
}

# lock_build DIR: take this prefix's build lock (fd 9, held until the
# caller exits): one build of a kind at a time, a second caller waits and
# then finds it built.  Returns 1 if DIR is built (by the one it waited
# for), 0 if the caller is to build it.  A built kernel is used without the
# lock, so a build of one kind does not hold up users of another.
lock_build() {
	mkdir -p "$cache"
	exec 9> "$cache/.lock-$prefix"
	flock 9
	[ ! -f "$1/built" ]
}

# unpack_source DIR: a fresh DIR with the package's tree in DIR/src and
# the patches applied; prints how many.
unpack_source() {
	local dir=$1
	[ -f "$tarball" ] || die "$tarball missing (run 'make deps')"
	rm -rf "$dir"
	mkdir -p "$dir/unpack"
	echo "$me: unpacking $pkg $(pkg_version) into $dir" >&2
	tar -C "$dir/unpack" -xf "$tarball"
	mv "$dir/unpack/$pkg" "$dir/src"
	rmdir "$dir/unpack"
	apply_patches "$dir/src"
}

# merge_fragments SRC OBJ: the fragments over OBJ's .config.
merge_fragments() {
	(cd "$2" && "$1/scripts/kconfig/merge_config.sh" -m -O "$2" \
		"$2/.config" "${fragments[@]}" >/dev/null)
}

# ccache_args: make's CC and HOSTCC through ccache, when it is installed
# (it makes a rebuild after a key change cheap).
ccache_args() {
	command -v ccache >/dev/null || return 0
	export CCACHE_BASEDIR=$cache CCACHE_NOHASHDIR=true
	echo "CC=ccache gcc"
	echo "HOSTCC=ccache gcc"
}

# prune_cache KEEP: keep the newest few builds of this prefix (a branch
# switch back is then free); ccache keeps the rest cheap to rebuild.
prune_cache() {
	local keep=$1 d
	ls -td "$cache/$prefix"-[0-9]* 2>/dev/null | tail -n +4 | while read -r d; do
		[ "$d" = "$keep" ] || rm -rf "$d"
	done
}

# kernel_main ARG RECIPE_LINE: the command line of both scripts; do_build
# is the caller's.
kernel_main() {
	case "${1:-build}" in
	build)	do_build ;;
	dir)	cache_dir "$2" ;;
	key)	cache_key "$2" ;;
	*)	die "usage: kernel.sh build|dir|key" ;;
	esac
}
