# SPDX-License-Identifier: GPL-2.0
# The host killed: SIGKILL the UML kernel while reconciled writes and
# fdatasyncs go on, boot again on the same images, bring the pool and the
# disks back: every write fdatasynced before the kill reads back.
#
# Phase 1: the pool on ubdd (metadata) and ubdc (store) serves host swap;
# disk 1 (the first 32 MiB of ubda) gets crashwrite's stamped writes from
# host-swapped and resident pages, an fdatasync every 4, each sync
# recorded (fsync()ed) in the state directory both boots share; disk 2
# (the rest of ubda) gets vmsim's paging.  After the first sync crashwrite
# creates the marker, and the host kills the machine within 4 s.
# Phase 2: tess_check (when built) on the metadata, the pool and both disks
# come back, and crashwrite verify judges disk 1 against the last sync
# the record holds: none lost, none corrupt.
#
# Without the pool target in the module (before the pool landed) the
# disks are plain dm-linear slices: then this checks the kill, the record
# and the judge themselves, and the point that asks for the pool target
# fails.
#
# tess-phases: 2
# tess-kill: killme 4000
# tess-boot: TESS_DATA_SIZE=96M

CW=$tess_top/tools/crashwrite/crashwrite
VMSIM=$tess_top/tools/vmsim/vmsim
TESS_CHECK=$tess_top/tools/tess-check/tess_check
rec=$tess_state/crashwrite.rec
d1_len=65536
d2_len=$(($(sectors /dev/ubda) - d1_len))
cw_blocks=2048

check "load the module" load_module
pool=
dmsetup targets | grep -q '^tesseract-pool ' && pool=1
check "the module has the tesseract-pool target" test -n "$pool"
[ -n "$pool" ] || echo "# no tesseract-pool target in this module: plain dm-linear disks"

# The disks' data devices: two slices of ubda.  With the pool, the pool
# on ubdd and ubdc and disks 1 and 2 on them; else the slices themselves.
slices() {
	dmsetup create --concise "data1,,,rw,0 $d1_len linear /dev/ubda 0;data2,,,rw,0 $d2_len linear /dev/ubda $d1_len"
}
store_len=$(($(sectors /dev/ubdc) / 8 * 8))
pool_up() {
	dmsetup create pool --table "0 $store_len tesseract-pool /dev/ubdd /dev/ubdc 0"
}
disks_up() {
	dmsetup create --concise "vm1,,,rw,0 $d1_len tesseract /dev/mapper/pool 1 /dev/mapper/data1;vm2,,,rw,0 $d2_len tesseract /dev/mapper/pool 2 /dev/mapper/data2"
}
if [ -n "$pool" ]; then
	disk1=/dev/mapper/vm1 disk2=/dev/mapper/vm2
else
	disk1=/dev/mapper/data1 disk2=/dev/mapper/data2
fi

if [ "$tess_phase" = 1 ]; then
	check "mkswap" mkswap -q /dev/ubdb
	check "swapon" swapon /dev/ubdb
	check "the data slices" slices
	if [ -n "$pool" ]; then
		check "the pool" pool_up
		check "create disk 1" dmsetup message pool 0 create_disk 1
		check "create disk 2" dmsetup message pool 0 create_disk 2
		check "disks 1 and 2" disks_up
	fi
	in_memcg_high vm 12M "$VMSIM" --dev "$disk2" --ram 16 --ws 32 --disk 40 \
		--seconds 60 > /dev/null 2> "$tess_out/vmsim.err" &
	# Points printed so far must survive the kill.
	sync
	in_memcg_high cw max "$CW" run "$disk1" "$rec" 0 "$cw_blocks" 0 \
		"$(($(date +%s) % 100000))" --sync-every 4 --ready "$tess_out/killme" \
		> "$tess_out/cw.txt" 2> "$tess_out/cw.err"
	not_ok "crashwrite ran until the kill: $(head -n 3 "$tess_out/cw.err")"
	# If the kill never comes, the runner says so.
	exit 1
fi

check "the record holds syncs" grep -q '^s ' "$rec"
echo "# record: $(grep -c '^w ' "$rec") writes, $(grep -c '^s ' "$rec") syncs before the kill"
check "the data slices" slices
if [ -n "$pool" ]; then
	if [ -x "$TESS_CHECK" ]; then
		check "tess_check: the metadata is clean" "$TESS_CHECK" /dev/ubdd
	else
		ok "tess_check # SKIP tools/tess-check not built"
	fi
	check "the pool comes back" pool_up
	check "with both disks" disks_up
	echo "# pool: $(dmsetup status pool)"
	echo "# vm1: $(dmsetup status vm1)"
	check "disk 1 came back with remaps (reconciled writes)" \
		test "$(status_field vm1 7)" -gt 0
	check "disk 2 (vmsim's) reads back whole" \
		dd if=/dev/mapper/vm2 of=/dev/null bs=1M iflag=direct status=none
fi
"$CW" verify "$disk1" "$rec" > "$tess_out/verify.txt" 2> "$tess_out/verify.err"
rc=$?
echo "# verify: $(cat "$tess_out/verify.txt")"
sed 's/^/#   /' "$tess_out/verify.err" | head -n 10
check_eq "every write synced before the kill reads back, nothing corrupt" "$rc" 0
check "it judged written blocks" grep -q 'acked [1-9]' "$tess_out/verify.txt"
if [ -n "$pool" ]; then
	check "remove the disks and the pool" dmsetup remove vm1 vm2 pool
fi
check "remove the slices" dmsetup remove data1 data2
check "rmmod" rmmod dm_tesseract
