# SPDX-License-Identifier: GPL-2.0
# The backend can be restricted to a memory cgroup subtree (the VMs');
# pages of other cgroups go to the swap device, intact.

check "create the pool" pool_create
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb
mkdir -p /sys/fs/cgroup/vms
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
check_eq "memcg unrestricted by default" "$(backend memcg)" ""
check "restrict to /vms" sh -c "echo /vms > $TESS_SYS/backend/memcg"
check_eq "memcg reads back" "$(backend memcg)" "/vms"

check "outside /vms: 32 MiB in 12 MiB, verified" in_memcg_high other 12M "$MEMTOUCH" 32 2
check "outside pages declined" test "$(backend declined)" -gt 1024
check_eq "outside pages not stored" "$(backend stored)" 0

mkdir -p /sys/fs/cgroup/vms
echo +memory > /sys/fs/cgroup/vms/cgroup.subtree_control
check "inside /vms/vm0: 32 MiB in 12 MiB, verified" in_memcg_high vms/vm0 12M "$MEMTOUCH" 32 2
check "inside pages stored" test "$(backend stored)" -gt 1024

kmsg_mark
check_fails "a path that is no cgroup refused" sh -c "echo /nonexistent > $TESS_SYS/backend/memcg"
check_kmsg "kernel says why" 'memcg: "/nonexistent" is not a cgroup'
check_eq "restriction unchanged" "$(backend memcg)" "/vms"
check "lift the restriction" sh -c "echo > $TESS_SYS/backend/memcg"
check_eq "memcg reads back empty" "$(backend memcg)" ""
check "swapoff" swapoff /dev/ubdb
check "remove the pool" dmsetup remove pool
check "rmmod" rmmod dm_tesseract
