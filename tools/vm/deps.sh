#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What `make check-vm` needs beyond tools/deps.sh, from Debian's archive
# only: QEMU (run inside the UML host, from the machine's root) and
# busybox-static (the guest's userland).  The guest kernel is not
# installed: tools/vm/guest.sh downloads linux-image-amd64's package into
# its cache.  Quick when everything is already there.
set -euo pipefail

pkgs=(qemu-system-x86 busybox-static gcc libc6-dev)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
