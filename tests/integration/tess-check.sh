# SPDX-License-Identifier: GPL-2.0
# tess_check and tess_dump on metadata the kernel wrote: a pool on
# /dev/ubdd (metadata) and /dev/ubdc (store) with two disks and remaps
# made by reconciled writes, committed, its tables removed.  tess_check
# passes and tess_dump lists exactly the remaps the status reported; then
# copies of the metadata, damaged on purpose (a superblock byte, a btree
# node byte, a store block's count changed in its bitmap with the
# checksum fixed, a remap past the store, two disks sharing a block, a
# node counted free), each fail with their message.

TC=$tess_top/tools/tess-check
CHECK=$TC/tess_check DUMP=$TC/tess_dump POKE=$TC/tess_poke
SW=$tess_top/tools/swapwrite/swapwrite
MD=/dev/ubdd
EPB=16320		# entries of a space map bitmap block: (4096 - 16) * 4

check "insmod" load_module
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb

# Metadata never written: nothing there yet.
check_eq "tess_check on a blank device: exit 1" \
	"$("$CHECK" "$MD" 2> "$tess_out/blank.err"; echo $?)" 1
check "and it says why" grep -q "^no superblock" "$tess_out/blank.err"

store_len=$(($(sectors /dev/ubdc) / 8 * 8))
half=$(($(sectors /dev/ubda) / 2 / 8 * 8))
check "create the pool" dmsetup create pool --table "0 $store_len tesseract-pool $MD /dev/ubdc"
check "create_disk 1" dmsetup message pool 0 create_disk 1
check "create_disk 2" dmsetup message pool 0 create_disk 2
check "home of disk 1" dmsetup create home1 --table "0 $half linear /dev/ubda 0"
check "home of disk 2" dmsetup create home2 --table "0 $half linear /dev/ubda $half"
check "disk 1" dmsetup create vm1 --table "0 $half tesseract /dev/mapper/pool 1 /dev/mapper/home1"
check "disk 2" dmsetup create vm2 --table "0 $half tesseract /dev/mapper/pool 2 /dev/mapper/home2"

# Disk 1: pages 0..255 reconciled, then 10..19 overwritten (two runs
# left); disk 2: pages 1000..1127.
check "disk 1: write 256 swapped-out pages" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm1 0 256 1 > $tess_out/w1.txt"
check "disk 1: overwrite pages 10..19" "$SW" keep /dev/mapper/vm1 10 10 2
check "disk 2: write 128 swapped-out pages" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm2 1000 128 3 > $tess_out/w2.txt"
check "commit" dmsetup message pool 0 commit
r1=$(status_field vm1 7) r2=$(status_field vm2 7)
trans=$(status_field pool 1) held=$(status_field pool 5) disks=$(status_field pool 6)
meta_usage=$(status_field pool 2)
check "disk 1 has remaps" test "$r1" -gt 0
check "disk 2 has remaps" test "$r2" -gt 0
check "swapoff" swapoff /dev/ubdb
check "remove the tables" dmsetup remove vm1 vm2 pool home1 home2

# The clean metadata.
"$CHECK" "$MD" > "$tess_out/check.out" 2> "$tess_out/check.err"
check_eq "tess_check: exit 0" "$?" 0
check_eq "tess_check: nothing on stderr" "$(cat "$tess_out/check.err")" ""
check "tess_check --store: the store's superblock matches" "$CHECK" --store /dev/ubdc "$MD"
"$DUMP" "$MD" > "$tess_out/dump.txt" 2> "$tess_out/dump.err"
check_eq "tess_dump: exit 0" "$?" 0
check "tess_dump --format xml" sh -c "$DUMP --format xml $MD > $tess_out/dump.xml"

# dump_field NAME: a superblock line of the text dump.
dump_field() { awk -v k="$1" '$1 == k { print $2; exit }' "$tess_out/dump.txt"; }
# mapped ID: the dump's mapped_blocks of disk ID; runs ID: its remap runs.
mapped() { awk -v d="$1" '$1 == "disk" && $2 == d { print $4 }' "$tess_out/dump.txt"; }
runs() { awk -v d="$1" '$1 == "disk" { on = $2 == d; next } on' "$tess_out/dump.txt"; }
# run_total ID: the blocks its runs cover.
run_total() { runs "$1" | awk '{ n += $3 } END { print n + 0 }'; }
# run_bounds ID: its lowest and highest remapped disk block.
run_bounds() { runs "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 + $3 - 1 } END { print lo, hi }'; }

check_eq "dump: nr_disks" "$(dump_field nr_disks)" 2
check_eq "dump: as many disks as the status" "$(dump_field nr_disks)" "$disks"
# Removing the pool commits once more.
check "dump: the transaction of the last commit, or the one after" \
	sh -c '[ "$0" = "$1" ] || [ "$0" = $(($1 + 1)) ]' "$(dump_field transaction)" "$trans"
check_eq "dump: store blocks in use = the status's held by remaps" "$(dump_field store_used)" "$held"
check_eq "dump: metadata blocks used/total = the status's" \
	"$(dump_field metadata_used)/$(dump_field nr_blocks)" "$meta_usage"
check_eq "dump: disk 1's remaps = its status" "$(mapped 1)" "$r1"
check_eq "dump: disk 2's remaps = its status" "$(mapped 2)" "$r2"
check_eq "dump: disk 1's runs add up" "$(run_total 1)" "$r1"
check_eq "dump: disk 2's runs add up" "$(run_total 2)" "$r2"
check_eq "dump: pages 10..19 of disk 1 are not remapped" \
	"$(runs 1 | awk '$1 < 20 && $1 + $3 > 10')" ""
check "dump: disk 1's remaps lie in 0..255" sh -c '[ "$0" -ge 0 ] && [ "$1" -le 255 ]' $(run_bounds 1)
check "dump: disk 2's remaps lie in 1000..1127" sh -c '[ "$0" -ge 1000 ] && [ "$1" -le 1127 ]' $(run_bounds 2)
check_eq "dump xml: one range or single mapping per run" \
	"$(grep -c '_mapping ' "$tess_out/dump.xml")" "$(runs 1 | wc -l | awk -v n="$(runs 2 | wc -l)" '{ print $1 + n }')"

# ---- needs_check: the pool stays read-only until tess_check clears it ----
ptable="0 $store_len tesseract-pool $MD /dev/ubdc"
check "set needs_check, as a metadata error does" "$POKE" --csum super "$MD" 0 4 le32 1
check "the pool opens" dmsetup create pool --table "$ptable"
check_eq "read-only" "$(status_field pool 7)" ro
check_eq "with needs_check" "$(status_field pool 8)" needs_check
"$CHECK" "$MD" > /dev/null 2> "$tess_out/busy.err"
check_eq "tess_check on a live pool's metadata: exit 2" "$?" 2
check "it is busy" grep -q "busy" "$tess_out/busy.err"
"$CHECK" --clear-needs-check-flag "$MD" > /dev/null 2>> "$tess_out/busy.err"
check_eq "tess_check --clear-needs-check-flag on a live pool's metadata: exit 2" "$?" 2
check_eq "the flag stays" "$("$POKE" "$MD" 0 4 le32)" 1
check "remove the pool" dmsetup remove pool
"$CHECK" "$MD" > /dev/null 2> "$tess_out/note.err"
check_eq "tess_check: needs_check alone is no damage" "$?" 0
check "but it says so" grep -q "needs_check is set" "$tess_out/note.err"
check "tess_check --clear-needs-check-flag" "$CHECK" --clear-needs-check-flag "$MD"
check_eq "the flag is clear" "$("$POKE" "$MD" 0 4 le32)" 0
check "the pool opens again" dmsetup create pool --table "$ptable"
check_eq "read-write" "$(status_field pool 7)" rw
check_eq "no needs_check" "$(status_field pool 8)" -
check "disk 1 again" dmsetup create home1 --table "0 $half linear /dev/ubda 0"
check "on the pool" dmsetup create vm1 --table "0 $half tesseract /dev/mapper/pool 1 /dev/mapper/home1"
check_eq "with all its remaps" "$(status_field vm1 7)" "$r1"
check "remove them" dmsetup remove vm1 pool home1

# ---- damaged copies ----
# (Not meta.img: boot.sh keeps the device images in $tess_out.)
img=$tess_out/copy.img
check "copy the metadata" dd if="$MD" of="$img" bs=1M iflag=direct status=none
"$CHECK" --list-blocks "$img" > "$tess_out/blocks.txt" 2>> "$LOG"
check_eq "the copy checks clean" "$?" 0

# damaged NAME: a fresh copy to damage, its path printed.
damaged() { cp "$img" "$tess_out/copy-$1.img" && echo "$tess_out/copy-$1.img"; }
# expect DESC IMAGE PATTERN: tess_check IMAGE exits 1 and says PATTERN.
expect() {
	local rc
	"$CHECK" "$2" > /dev/null 2> "$2.err"; rc=$?
	check_eq "$1: exit 1" "$rc" 1
	check "$1: says so" grep -Eq -- "$3" "$2.err"
	rm -f "$2"
}
# leaf_of OWNER: the first non-empty leaf among the blocks OWNER uses.
leaf_of() {
	local b
	for b in $(awk -v o="$1" '{ b = $1; $1 = ""; if (substr($0, 2) == o) print b }' "$tess_out/blocks.txt"); do
		[ "$("$POKE" "$img" "$b" 4 le32)" = 2 ] && [ "$("$POKE" "$img" "$b" 16 le32)" -gt 0 ] &&
			{ echo "$b"; return; }
	done
}
# value_at NODE I: byte offset of value I in btree node NODE (8-byte keys,
# max_entries of them, come before the values).
value_at() { echo $((32 + 8 * $("$POKE" "$img" "$1" 20 le32) + 8 * $2)); }

# A superblock byte (in the metadata space map root).
x=$(damaged sb)
"$POKE" "$x" 0 100 u8 $(($("$POKE" "$x" 0 100 u8) ^ 0x10))
expect "superblock byte changed" "$x" "^superblock: bad checksum"

# A byte of a key in disk 1's remap tree.
leaf=$(leaf_of "remap tree of disk 1")
check "found a leaf of disk 1's remap tree" test -n "$leaf"
x=$(damaged node)
"$POKE" "$x" "$leaf" 33 u8 $(($("$POKE" "$x" "$leaf" 33 u8) ^ 0x01))
expect "btree node byte changed" "$x" "^remap tree of disk 1: block $leaf: bad checksum"

# The first remap of that leaf onto a block past the store.
nr_store=$(dump_field nr_store_blocks)
key=$("$POKE" "$img" "$leaf" 32 le64)
x=$(damaged past)
"$POKE" --csum btree "$x" "$leaf" "$(value_at "$leaf" 0)" le64 $((nr_store + 7))
expect "remap past the store" "$x" "^disk 1: block $key remapped to store block $((nr_store + 7)), past the store \($nr_store blocks\)"

# The store block of that remap counted 2 in its bitmap, the bitmap's
# checksum fixed: only the count check can tell.  The store space map's
# index is a btree; its first leaf names bitmap 0..
s=$("$POKE" "$img" "$leaf" "$(value_at "$leaf" 0)" le64)
idx=$("$POKE" "$img" 0 $((208 + 16)) le64)
while [ "$("$POKE" "$img" "$idx" 4 le32)" = 1 ]; do	# internal: first child
	idx=$("$POKE" "$img" "$idx" "$(value_at "$idx" 0)" le64)
done
idx_max=$("$POKE" "$img" "$idx" 20 le32)
i=$((s / EPB))
check_eq "the index leaf holds the store block's bitmap" "$("$POKE" "$img" "$idx" $((32 + 8 * i)) le64)" "$i"
bm=$("$POKE" "$img" "$idx" $((32 + 8 * idx_max + 16 * i)) le64)
check_eq "store block $s counted once" "$("$POKE" "$img" "$bm" $((s % EPB)) entry)" 1
x=$(damaged count)
"$POKE" --csum bitmap "$x" "$bm" $((s % EPB)) entry 2
expect "store count changed in its bitmap" "$x" "store block $s: reference count 2, but 1 remaps name it"

# Disk 2's first remap onto disk 1's store block: shared, counted once.
leaf2=$(leaf_of "remap tree of disk 2")
x=$(damaged shared)
"$POKE" --csum btree "$x" "$leaf2" "$(value_at "$leaf2" 0)" le64 "$s"
expect "two disks share a store block counted once" "$x" "^store block $s: reference count 1, but 2 remaps name it"

# Another pool's store: a copy of the store's superblock (on a sparse file
# of the store's size) with one byte of the uuid changed, checksum fixed.
st=$tess_out/copy-store.img
truncate -s "$(blockdev --getsize64 /dev/ubdc)" "$st"
check "copy the store's superblock" dd if=/dev/ubdc of="$st" bs=4096 count=1 iflag=direct conv=notrunc status=none
check "the copy matches" "$CHECK" --store "$st" "$img"
"$POKE" --csum store "$st" 0 40 u8 $(($("$POKE" "$st" 0 40 u8) ^ 0x80))
"$CHECK" --store "$st" "$img" > /dev/null 2> "$st.err"
check_eq "another pool's store: exit 1" "$?" 1
check "another pool's store: says so" grep -q "^store: uuid .* the metadata's is" "$st.err"
rm -f "$st"

# The metadata space map counts that leaf free (its index block, whose
# root is in the superblock, names bitmap 0 first).
mbm=$("$POKE" "$img" "$("$POKE" "$img" 0 $((80 + 16)) le64)" 16 le64)
check_eq "the leaf is counted once" "$("$POKE" "$img" "$mbm" "$leaf" entry)" 1
x=$(damaged meta)
"$POKE" --csum bitmap "$x" "$mbm" "$leaf" entry 0
expect "a node in use counted free" "$x" "^metadata block $leaf \(remap tree of disk 1\) is in use but the metadata space map counts it free"

x=$(damaged dump)
"$POKE" "$x" "$leaf" 33 u8 $(($("$POKE" "$x" "$leaf" 33 u8) ^ 0x01))
"$DUMP" "$x" > /dev/null 2> "$x.err"
check_eq "tess_dump of a damaged copy: exit 1" "$?" 1
check "and it says why" grep -q "^remap tree of disk 1: block $leaf: bad checksum" "$x.err"
rm -f "$x" "$img"
