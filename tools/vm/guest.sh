#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest of `make check-vm` from Debian packages only, in a cache
# outside the clone: the kernel of linux-image-amd64 (downloaded with
# apt-get download and unpacked with dpkg-deb -x, not installed), and an
# initramfs of busybox-static, that kernel's virtio modules, dpwork
# (tools/vm/dpwork.c, linked statically) and tools/vm/guest-init.sh as
# /init.  Keyed by the kernel package's version, busybox's version and
# these files; a second run with nothing changed does no work.
#
#   guest.sh build   build (or find) the guest, print its directory
#                    (vmlinuz and initrd.img in it)
#   guest.sh dir     print the directory the current key maps to
#
# Environment: TESSERACT_CACHE (default ~/.cache/tesseract; the guest goes
# under vm/ in it).
set -euo pipefail
tmp=

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${TESSERACT_CACHE:-${XDG_CACHE_HOME:-${HOME:-/var/tmp}/.cache}/tesseract}/vm
# Bump when the way the guest is built changes (part of the cache key).
recipe=1
# What the guest needs of the kernel's modules: the virtio disk over PCI,
# and the balloon (free page reporting).
modules=(virtio_blk virtio_pci virtio_balloon)

die() { echo "guest.sh: $*" >&2; exit 1; }

# The kernel package linux-image-amd64 depends on now (the versioned
# linux-image-X-amd64); apt's lists are read, refreshed once if empty.
kernel_pkg() {
	local p
	p=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-.*-amd64$/ { print $2; exit }')
	if [ -z "$p" ]; then
		apt-get update -q >&2 || true
		p=$(apt-cache depends linux-image-amd64 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-.*-amd64$/ { print $2; exit }')
	fi
	[ -n "$p" ] || die "apt knows no linux-image-amd64 (apt-get update?)"
	echo "$p"
}

pkg_version() { apt-cache policy "$1" | awk '$1 == "Candidate:" { print $2 }'; }

busybox_bin() {
	[ -x /bin/busybox ] && dpkg-query -W -f='${Status}' busybox-static 2>/dev/null |
		grep -q 'ok installed' || die "busybox-static is not installed (run tools/vm/deps.sh)"
	echo /bin/busybox
}

cache_key() {
	{
		echo "recipe $recipe"
		echo "kernel $1 $(pkg_version "$1")"
		dpkg-query -W -f='busybox ${Version}\n' busybox-static
		echo "modules ${modules[*]}"
		cat "$top/tools/vm/dpwork.c" "$top/tools/vm/guest-init.sh"
	} | sha256sum | cut -c1-16
}

guest_dir() { echo "$cache/guest-$(cache_key "$1")"; }

# mod_deps ROOT NAME: NAME's module file and those it depends on, each
# after what it needs, as paths relative to ROOT's lib/modules/VERSION.
mod_deps() {
	local root=$1 name=$2 f d
	f=$(find "$root" -name "$name.ko" | head -n 1)
	[ -n "$f" ] || die "no module $name in the kernel package"
	for d in $(modinfo -F depends "$f" | tr ',' ' '); do
		mod_deps "$root" "$d"
	done
	echo "${f#"$root"/}"
}

build() {
	local pkg=$1 dir=$2 debs deb mroot kver m
	debs=$cache/debs
	mkdir -p "$debs"
	# The file apt-get download names: package_version (no epoch)_arch.deb.
	deb=$debs/${pkg}_$(pkg_version "$pkg" | sed 's/^[0-9]*://')_amd64.deb
	if [ ! -f "$deb" ]; then
		echo "guest.sh: downloading $pkg" >&2
		(cd "$debs" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >&2)
	fi
	[ -f "$deb" ] || die "apt-get download gave no $deb"
	tmp=$(mktemp -d "$cache/build.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	dpkg-deb -x "$deb" "$tmp/kernel"
	kver=$(ls "$tmp/kernel/lib/modules")
	mroot=$tmp/kernel/lib/modules/$kver

	mkdir -p "$tmp/initrd"/{bin,dev,proc,sys,lib/modules}
	cp "$(busybox_bin)" "$tmp/initrd/bin/busybox"
	for m in "${modules[@]}"; do
		mod_deps "$mroot" "$m"
	done | awk '!seen[$0]++' > "$tmp/order"
	while read -r m; do
		cp "$mroot/$m" "$tmp/initrd/lib/modules/$(basename "$m")"
		basename "$m"
	done < "$tmp/order" > "$tmp/initrd/lib/modules/order"
	gcc -static -O2 -Wall -Wextra -Werror -o "$tmp/initrd/dpwork" "$top/tools/vm/dpwork.c"
	install -m 755 "$top/tools/vm/guest-init.sh" "$tmp/initrd/init"
	(cd "$tmp/initrd" && find . | LC_ALL=C sort | busybox cpio -o -H newc 2> /dev/null) |
		gzip -9 > "$tmp/initrd.img"
	cp "$tmp/kernel/boot/vmlinuz-$kver" "$tmp/vmlinuz"
	{
		echo "kernel $pkg $(pkg_version "$pkg") ($kver)"
		echo "busybox $(dpkg-query -W -f='${Version}' busybox-static)"
		echo "modules $(paste -sd' ' "$tmp/initrd/lib/modules/order")"
	} > "$tmp/built.tmp"
	rm -rf "$dir"
	mkdir -p "$dir"
	mv "$tmp/vmlinuz" "$tmp/initrd.img" "$dir/"
	mv "$tmp/built.tmp" "$dir/built"
}

case "${1:-}" in
build)
	pkg=$(kernel_pkg)
	dir=$(guest_dir "$pkg")
	[ -f "$dir/built" ] || build "$pkg" "$dir"
	echo "$dir" ;;
dir)
	guest_dir "$(kernel_pkg)" ;;
*)
	echo "usage: tools/vm/guest.sh build|dir" >&2
	exit 2 ;;
esac
