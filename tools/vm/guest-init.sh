#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the guest of `make check-vm` (busybox-static initramfs, built by
# tools/vm/guest.sh).  It loads the virtio modules, puts the guest's swap
# on the whole virtio disk, runs dpwork, prints what the host side reads
# off the console, and powers off.  Lines for the host start with "vm: ".
# Settings from the kernel command line (the kernel gives init the
# NAME=VALUE words it does not know, as environment):
#   dp_cold, dp_hot, dp_passes, dp_hot_end   dpwork's arguments
#   dp_maps=1   dpwork prints the cold area's frames and swapped pages
#   dp_fpr=N    free page reporting order (the balloon's driver sets its
#               own when it registers, so it is written after the insmod)
#   dp_reclaim=MIB  dpwork reclaims MIB of guest memory proactively
#               between its cold and hot phases (DPWORK_RECLAIM)
#   dp_idle=S   dpwork idles S seconds after that reclaim (DPWORK_IDLE)
#   dp_wsf=N    vm.watermark_scale_factor (kswapd keeps N/10000 of RAM
#               free: frames that stay free long enough to be reported)
# "vm: start" and "vm: end" frame the workload, each followed by 2 s of
# idleness, so that the host side can take its counters there.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t cgroup2 cgroup2 /sys/fs/cgroup

say() { echo "vm: $*"; }

# Modules in dependency order (tools/vm/guest.sh wrote the list).
while read -r m; do
	insmod "/lib/modules/$m" || say "insmod $m failed"
done < /lib/modules/order

n=0
while [ ! -b /dev/vda ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
if [ ! -b /dev/vda ]; then
	say "verdict no-disk"
	poweroff -f
fi

if [ -n "${dp_wsf:-}" ]; then
	echo "$dp_wsf" > /proc/sys/vm/watermark_scale_factor ||
		say "watermark_scale_factor $dp_wsf refused"
fi
fpr=/sys/module/page_reporting/parameters/page_reporting_order
if [ -n "${dp_fpr:-}" ]; then
	echo "$dp_fpr" > $fpr || say "page_reporting_order $dp_fpr refused"
fi
# The order means nothing without a balloon to report to.
if ls /sys/bus/virtio/drivers/virtio_balloon 2> /dev/null | grep -q virtio; then
	say "free page reporting order $(cat $fpr)"
else
	say "free page reporting off (no balloon)"
fi
say "watermark_scale_factor $(cat /proc/sys/vm/watermark_scale_factor)"
# init_on_alloc (on in Debian's kernel) zeroes every page the guest
# allocates, also one a virtio read is about to fill: the kernel's boot
# line says which.
say "mem auto-init $(dmesg | sed -n 's/.*mem auto-init: //p')"
say "disk $(cat /sys/block/vda/size) sectors"
mkswap /dev/vda > /dev/null && swapon /dev/vda || say "swapon failed"
say "meminfo $(awk '/^(MemTotal|MemFree|MemAvailable):/ { printf "%s %s ", $1, $2 }' /proc/meminfo)"
vmstat_line() { awk '$1 ~ /^(pswpin|pswpout|pgmajfault)$/ { printf "%s %s ", $1, $2 }' /proc/vmstat; }
say "vmstat-before $(vmstat_line)"

say start
sleep 2
# Straight to the console: a reader between them (a pipe to sed) can be
# paged out by the guest and print a phase's line only phases later.
[ -z "${dp_reclaim:-}" ] || export DPWORK_RECLAIM="$dp_reclaim"
[ -z "${dp_idle:-}" ] || export DPWORK_IDLE="$dp_idle"
DPWORK_PAUSE=2 DPWORK_MAPS=${dp_maps:-0} /dpwork "${dp_cold:-40}" "${dp_hot:-40}" "${dp_passes:-1}" "${dp_hot_end:-free}" \
	> /dev/console 2>&1
say "end, dpwork status $?"
sleep 2

say "vmstat-after $(vmstat_line)"
say "swap $(awk 'NR > 1 { print $3, $4 }' /proc/swaps)"
swapoff /dev/vda 2> /dev/null
# swapoff frees pages, and free page reporting queues its work for 2 s
# later: if that runs while poweroff shuts the balloon down, its
# virtqueue is already broken and the driver warns (virtio_balloon.c,
# WARN_ON_ONCE in virtballoon_free_page_report).  Unloading the driver
# cancels the work first.
rmmod virtio_balloon 2> /dev/null
say "done"
poweroff -f
