#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what the build, the tests and the benchmark need, from Debian's
# archive only.  Quick when everything is already there.
#
#   tools/deps.sh [PACKAGE...]   those packages instead (tools/vm/deps.sh)
set -euo pipefail

pkgs=(build-essential flex bison bc libelf-dev libssl-dev dwarves ccache
      sparse python3 python3-matplotlib dmsetup fio util-linux kmod
      linux-source-6.12)
[ $# -eq 0 ] || pkgs=("$@")

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
