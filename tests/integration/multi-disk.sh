# SPDX-License-Identifier: GPL-2.0
# Four VM disks on one pool, four VMs (vmsim, each in its memcg, the host
# swapping their RAM to the pool's store) at once: each disk reads only
# its own data (vmsim's stamps carry the disk id), and the disks' remap
# counts add up to what the pool says its remaps hold.  Then pages
# reconciled on every disk (swapwrite, one seed per disk) read back on
# their own disk only, through reloads and a remove of everything, and
# on their own data device after copy_home.

VMSIM=$tess_top/tools/vmsim/vmsim
SW=$tess_top/tools/swapwrite/swapwrite
DISKS="1 2 3 4"
# The data devices: four 64 MiB pieces of ubda.
piece=$(($(sectors /dev/ubda) / 4 / 8 * 8))
for i in $DISKS; do
	check "data device $i" dmsetup create "data$i" --table "0 $piece linear /dev/ubda $(((i - 1) * piece))"
done
check "create the pool" pool_create
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb
for i in $DISKS; do
	check "create vm$i (disk $i)" disk_create "vm$i" "$i" "/dev/mapper/data$i"
done
check_eq "the pool has four disks" "$(pool_status_field 6)" 4

remapped() { status_field "vm$1" 7; }
reconciled() { status_field "vm$1" 8; }

# Four VMs at once: 16 MiB of guest RAM in 12 MiB of memory.high each.
for i in $DISKS; do
	in_memcg_high "vm$i" 12M "$VMSIM" --dev "/dev/mapper/vm$i" --disk-id "$i" \
		--ram 16 --ws 32 --disk 64 --seconds 8 --seed "$i" \
		> "$tess_out/vmsim-$i.json" 2> "$tess_out/vmsim-$i.err" &
	eval "pid$i=$!"
done
for i in $DISKS; do
	eval "wait \$pid$i"
	check_eq "vm$i: vmsim exited 0 (every stamp its own)" "$?" 0
	sed 's/^/#   /' "$tess_out/vmsim-$i.err" | head -5
done
for i in $DISKS; do
	out=$tess_out/vmsim-$i.json
	check_eq "vm$i: stamps of disk $i" "$(json_get "$out" disk_id)" "$i"
	check_eq "vm$i: no bad stamp" "$(json_get "$out" bad_stamps)" 0
	check "vm$i: the guest paged out" test "$(json_get "$out" guest.page_outs)" -gt 500
	check "vm$i: guest page-outs were reconciled" test "$(reconciled "$i")" -gt 0
done

# The pool's count of store blocks held by remaps: each block counted
# once, however many remaps name it (two disk blocks written from one
# swapped-out page share its block).  Two commits first: a dropped
# remap's block is released only after the commit that drops it.
check "commit" pool_msg commit
check "commit again" pool_msg commit
sum=0
for i in $DISKS; do sum=$((sum + $(remapped "$i"))); done
held=$(pool_status_field 5) swap_held=$(pool_status_field 4)
used=$(pool_status_field 3 | cut -d/ -f1)
echo "# remapped per disk: $(for i in $DISKS; do printf '%s ' "$(remapped "$i")"; done)sum $sum; pool: held by remaps $held, by swap $swap_held, used $used"
check "the disks hold remaps" test "$sum" -gt 0
check "the pool holds at most one block per remap" test "$held" -le "$sum"
check "and at least one block if any" test "$held" -ge 1
check "used blocks: at least those of remaps and those of swap" \
	test "$used" -ge "$held" -a "$used" -ge "$swap_held"
check "and at most both together" test "$used" -le $((held + swap_held))

# Pages reconciled on each disk, seed 10 + disk id, at pages 0..127.
for i in $DISKS; do
	check "vm$i: write 128 swapped-out pages" in_memcg_high "sw$i" max sh -c \
		"$SW write /dev/mapper/vm$i 0 128 $((10 + i)) > $tess_out/sw-$i.txt"
done
for i in $DISKS; do
	check "vm$i: most of them remapped" test "$(remapped "$i")" -ge 100
done
# own_data DESC DEV_PREFIX: each disk reads its seed, not its neighbour's.
own_data() {
	local i j
	for i in $DISKS; do
		j=$((i % 4 + 1))
		check "$1: vm$i reads its own pages" "$SW" verify "$2$i" 0 128 $((10 + i))
		check_fails "$1: vm$i does not read vm$j's" "$SW" verify "$2$i" 0 128 $((10 + j))
	done
}
own_data "after the writes" /dev/mapper/vm
for i in $DISKS; do
	check "reload vm$i" disk_reload "vm$i" "$i" "/dev/mapper/data$i"
done
check "reload the pool" pool_reload
own_data "after the reloads" /dev/mapper/vm
nr=
for i in $DISKS; do nr="$nr $(remapped "$i")"; done
check "remove every disk and the pool" dmsetup remove vm1 vm2 vm3 vm4 pool
check "the pool again" pool_create
for i in $DISKS; do
	check "vm$i again" disk_open "vm$i" "$i" "/dev/mapper/data$i"
done
got=
for i in $DISKS; do got="$got $(remapped "$i")"; done
check_eq "every disk finds its remaps" "$got" "$nr"
own_data "after remove and re-create" /dev/mapper/vm
for i in $DISKS; do
	check "vm$i: copy_home" copy_home "vm$i"
	check_eq "vm$i: no remap left" "$(remapped "$i")" 0
done
check "remove the disks" dmsetup remove vm1 vm2 vm3 vm4
own_data "the data devices after copy_home" /dev/mapper/data

check "swapoff" swapoff /dev/ubdb
check_eq "no store block held by remaps" "$(pool_status_field 5)" 0
for i in $DISKS; do
	check "delete disk $i" pool_msg delete_disk "$i"
done
check_eq "the pool has no disk" "$(pool_status_field 6)" 0
check "remove the pool" dmsetup remove pool
check "rmmod" rmmod dm_tesseract
check "remove the data devices" dmsetup remove data1 data2 data3 data4
