#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What `make check-vm` needs beyond tools/deps.sh, from Debian's archive
# only: QEMU (run inside the UML host, from the machine's root) and
# busybox-static (the guest's userland).  The guest kernel is not
# installed: tools/vm/guest.sh downloads linux-image-amd64's package into
# its cache.  Quick when everything is already there.
set -euo pipefail

exec "$(dirname "$0")/../deps.sh" qemu-system-x86 busybox-static gcc libc6-dev
