#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host self-test of tess_check, tess_dump and tess_poke, on an image that
# mkimage.py writes (no kernel needed): the clean image passes and dumps
# right; each kind of damage, made with tess_poke, fails with its message.
# Run after `make tools`:  tools/tess-check/selftest.sh
# Prints TAP; exits 1 if any point failed.
set -uo pipefail

dir=$(cd "$(dirname "$0")" && pwd)
CHECK=$dir/tess_check DUMP=$dir/tess_dump POKE=$dir/tess_poke
work=$(mktemp -d "${TMPDIR:-/tmp}/tess-check-selftest.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
n=0 failed=0

point() {	# point ok|not_ok DESC [DETAILS]
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - $2"
	else
		failed=$((failed + 1))
		echo "not ok $n - $2"
		[ -z "${3:-}" ] || sed 's/^/#   /' <<< "$3"
	fi
}

# expect DESC RC PATTERN IMAGE: tess_check IMAGE exits RC and its stderr
# matches the extended regex PATTERN (any stderr when PATTERN is empty).
expect() {
	local err rc
	err=$("$CHECK" "$4" 2>&1 > /dev/null)
	rc=$?
	if [ "$rc" = "$2" ] && { [ -z "$3" ] || grep -Eq -- "$3" <<< "$err"; }; then
		point ok "$1"
	else
		point not_ok "$1" "exit $rc, stderr: $err"
	fi
}

# damaged NAME: a fresh copy of the clean image to damage.
damaged() { cp "$work/clean" "$work/$1"; echo "$work/$1"; }
# block_of OWNER: the first metadata block that OWNER uses.
block_of() { awk -v o="$1" '{ b = $1; $1 = ""; if (substr($0, 2) == o) { print b; exit } }' "$work/blocks"; }
# value_offset NODE INDEX: byte offset of value INDEX in btree node NODE
# of 8-byte values (keys, max_entries of them, come first).
value_offset() { echo $((32 + 8 * $("$POKE" "$1" "$2" 20 le32) + 8 * $3)); }

python3 "$dir/mkimage.py" "$work/clean" || { echo "Bail out! mkimage.py failed"; exit 1; }
expect "a valid image is clean" 0 "" "$work/clean"
[ "$("$CHECK" "$work/clean" 2>&1)" = "" ] && point ok "and prints nothing" ||
	point not_ok "and prints nothing"
"$CHECK" --list-blocks "$work/clean" > "$work/blocks" 2>/dev/null

# The dump: disk 1's remaps coalesced, disk 7's run of 600.
"$DUMP" "$work/clean" > "$work/dump.txt"; rc=$?
want="disk 1 mapped_blocks 6
  0 1 3
  10 20 1
  11 500 1
  12 39999 1
disk 7 mapped_blocks 602
  50 500 1
  51 500 1
  100 100 600"
got=$(sed -n '/^disk /,$p' "$work/dump.txt")
[ "$rc" = 0 ] && [ "$got" = "$want" ] && point ok "tess_dump lists the runs" ||
	point not_ok "tess_dump lists the runs" "exit $rc: $got"
grep -qx "nr_disks 2" "$work/dump.txt" && grep -qx "transaction 42" "$work/dump.txt" &&
	point ok "tess_dump prints the superblock" ||
	point not_ok "tess_dump prints the superblock" "$(head -12 "$work/dump.txt")"
"$DUMP" --format xml "$work/clean" > "$work/dump.xml"
grep -q '<range_mapping origin_begin="100" store_begin="100" length="600"/>' "$work/dump.xml" &&
	[ "$(grep -c '<disk ' "$work/dump.xml")" = 2 ] && tail -1 "$work/dump.xml" | grep -qx '</superblock>' &&
	point ok "tess_dump --format xml" || point not_ok "tess_dump --format xml" "$(cat "$work/dump.xml")"

got=$(python3 -c 'import sys, xml.dom.minidom as m
d = m.parse(sys.argv[1])
print(len(d.getElementsByTagName("disk")),
      sum(int(e.getAttribute("mapped_blocks")) for e in d.getElementsByTagName("disk")))' "$work/dump.xml" 2>&1)
[ "$got" = "2 608" ] && point ok "the XML parses: 2 disks, 608 remaps" ||
	point not_ok "the XML parses: 2 disks, 608 remaps" "$got"

# Usage and I/O errors: exit 2.
"$CHECK" > /dev/null 2>&1; [ $? = 2 ] && point ok "no argument: exit 2" || point not_ok "no argument: exit 2"
"$CHECK" "$work/none" > /dev/null 2>&1; [ $? = 2 ] && point ok "no such file: exit 2" ||
	point not_ok "no such file: exit 2"
"$DUMP" --format json "$work/clean" > /dev/null 2>&1; [ $? = 2 ] && point ok "tess_dump bad format: exit 2" ||
	point not_ok "tess_dump bad format: exit 2"

truncate -s 1M "$work/zero"
expect "all zeroes: no superblock" 1 "^no superblock" "$work/zero"

img=$(damaged sb-byte); "$POKE" "$img" 0 50 u8 $(($("$POKE" "$img" 0 50 u8) ^ 1))
expect "a superblock byte changed: bad checksum" 1 "^superblock: bad checksum" "$img"

img=$(damaged sb-magic); "$POKE" --csum super "$img" 0 32 le64 1
expect "bad magic" 1 "^superblock: bad magic" "$img"

img=$(damaged sb-disks); "$POKE" --csum super "$img" 0 76 le32 3
expect "nr_disks 3 for 2 disks" 1 "nr_disks 3, but the remap tree holds 2 disks" "$img"

node=$(block_of "remap tree of disk 7")
img=$(damaged node-byte); "$POKE" "$img" "$node" 40 u8 $(($("$POKE" "$img" "$node" 40 u8) ^ 4))
expect "a btree node byte changed: bad checksum" 1 "^remap tree of disk 7: block $node: bad checksum" "$img"

inner=$(awk '$0 == $1 " remap tree of disk 7" { print $1 }' "$work/blocks" |
	while read -r b; do [ "$("$POKE" "$work/clean" "$b" 4 le32)" = 1 ] && echo "$b"; done | head -1)
img=$(damaged node-empty); "$POKE" --csum btree "$img" "$inner" 16 le32 0
expect "an internal node emptied" 1 "remap tree of disk 7: node $inner: an internal node with no entries" "$img"
img=$(damaged node-full); "$POKE" --csum btree "$img" "$inner" 16 le32 $(($("$POKE" "$img" "$inner" 20 le32) + 1))
expect "more entries than room" 1 "remap tree of disk 7: node $inner: nr_entries .* > max_entries" "$img"

img=$(damaged node-keys); "$POKE" --csum btree "$img" "$node" 40 le64 0
expect "keys out of order" 1 "keys not increasing" "$img"

img=$(damaged node-moved); dd if="$work/clean" of="$img" bs=4096 skip="$node" seek=200 count=1 conv=notrunc status=none
"$POKE" --csum super "$img" 0 336 le64 200
expect "a node read from another block" 1 "block 200: blocknr $node, not its location" "$img"

d1=$(block_of "remap tree of disk 1")
img=$(damaged past-store); "$POKE" --csum btree "$img" "$d1" "$(value_offset "$img" "$d1" 0)" le64 50000
expect "a remap past the store" 1 "^disk 1: block 0 remapped to store block 50000, past the store \(40000 blocks\)" "$img"

img=$(damaged store-zero); "$POKE" --csum btree "$img" "$d1" "$(value_offset "$img" "$d1" 1)" le64 0
expect "a remap onto store block 0" 1 "^disk 1: block 1 remapped to store block 0" "$img"

# Disk 1's block 10 onto store block 1, which block 0 holds already: two
# remaps, one reference.
img=$(damaged shared); "$POKE" --csum btree "$img" "$d1" "$(value_offset "$img" "$d1" 3)" le64 1
expect "two remaps of one store block counted once" 1 "^store block 1: reference count 1, but 2 remaps name it" "$img"

# Store block 20's count 1 -> 2 in its bitmap, checksum fixed: only the
# count check can tell.
sbm=$(block_of "store space map bitmap")
img=$(damaged store-count); "$POKE" --csum bitmap "$img" "$sbm" 20 entry 2
expect "a store count changed in its bitmap" 1 "store block 20: reference count 2, but 1 remaps name it" "$img"
"$CHECK" --ignore-non-fatal-errors "$img" 2> /dev/null; [ $? = 0 ] &&
	point ok "an over-count alone is non-fatal" || point not_ok "an over-count alone is non-fatal"

img=$(damaged store-bitmap); "$POKE" "$img" "$sbm" 20 entry 0
expect "a store bitmap changed: bad checksum" 1 "store space map bitmap: block $sbm: bad checksum" "$img"

# Metadata space map: a node in use counted free, and a leaked block.
mbm=$(block_of "metadata space map bitmap")
img=$(damaged meta-free); "$POKE" --csum bitmap "$img" "$mbm" "$node" entry 0
expect "a node counted free" 1 "metadata block $node \(remap tree of disk 7\) is in use but the metadata space map counts it free" "$img"
img=$(damaged meta-leak); "$POKE" --csum bitmap "$img" "$mbm" 100 entry 1
expect "a leaked metadata block" 1 "metadata block 100 is counted but nothing uses it" "$img"

# Store ref-count tree: the count of store block 500 (4) changed.
rc=$(block_of "store space map ref counts")
maxe=$("$POKE" "$work/clean" "$rc" 20 le32)
img=$(damaged store-rc); "$POKE" --csum btree "$img" "$rc" $((32 + 8 * maxe)) le32 3
expect "a count in the ref-count tree" 1 "store block 500: reference count 3, but 4 remaps name it" "$img"

# The last bitmap (store blocks 32640..39999): block 39999's count.
last=$(awk '$2 == "store" && $5 == "bitmap" { b = $1 } END { print b }' "$work/blocks")
img=$(damaged store-last); "$POKE" --csum bitmap "$img" "$last" $((39999 - 2 * 16320)) entry 0
expect "a count in the last bitmap" 1 "^store block 39999: reference count 0, but 1 remaps name it" "$img"
img=$(damaged store-past); "$POKE" --csum bitmap "$img" "$last" $((40000 - 2 * 16320)) entry 1
expect "a count past the store" 1 "^store space map: block 40000 is counted, past the space map's 40000 blocks" "$img"

# needs_check: noted, not damage; cleared when the check passes, kept
# when it does not.
img=$(damaged needs-check); "$POKE" --csum super "$img" 0 4 le32 1
expect "needs_check set: clean" 0 "^note: superblock: needs_check is set" "$img"
"$CHECK" --clear-needs-check-flag "$img" 2> /dev/null; rc=$?
[ "$rc" = 0 ] && [ "$("$POKE" "$img" 0 4 le32)" = 0 ] &&
	point ok "--clear-needs-check-flag clears it" ||
	point not_ok "--clear-needs-check-flag clears it" "exit $rc, flags $("$POKE" "$img" 0 4 le32)"
expect "and the result is clean" 0 "" "$img"
[ -z "$("$CHECK" "$img" 2>&1)" ] && point ok "without a note" || point not_ok "without a note"
"$POKE" --csum super "$img" 0 4 le32 1
"$POKE" --csum btree "$img" "$d1" "$(value_offset "$img" "$d1" 0)" le64 50000
"$CHECK" --clear-needs-check-flag "$img" 2> /dev/null; rc=$?
[ "$rc" = 1 ] && [ "$("$POKE" "$img" 0 4 le32)" = 1 ] &&
	point ok "--clear-needs-check-flag keeps it on damaged metadata" ||
	point not_ok "--clear-needs-check-flag keeps it on damaged metadata" "exit $rc"

# Random damage, checksums fixed most of the time so that the contents
# get parsed: never a crash, never an exit but 0 or 1.
kind() {	# kind OWNER: the checksum kind of a block OWNER uses
	case "$1" in
	superblock) echo super ;;
	"metadata space map index") echo index ;;
	*bitmap) echo bitmap ;;
	*) echo btree ;;
	esac
}
mapfile -t used < "$work/blocks"
RANDOM=${FUZZ_SEED:-1}
bad=
for i in $(seq 200); do
	cp "$work/clean" "$work/fuzz"
	line=${used[RANDOM % ${#used[@]}]}
	b=${line%% *}
	types=(u8 le32 le64)
	type=${types[RANDOM % 3]}
	values=(0 1 3 255 $RANDOM $((RANDOM << 20 | RANDOM)) $((1 << 62)))
	offsets=($((4 + RANDOM % 60)) $((32 + RANDOM % 400)) $((RANDOM % 4088)))
	csum=(--csum "$(kind "${line#* }")")
	[ $((RANDOM % 10)) != 0 ] || csum=()
	"$POKE" "${csum[@]}" "$work/fuzz" "$b" "${offsets[RANDOM % 3]}" "$type" \
		"${values[RANDOM % 7]}" 2> /dev/null
	for tool in "$CHECK" "$DUMP"; do
		"$tool" "$work/fuzz" > /dev/null 2>&1
		rc=$?
		[ "$rc" -le 1 ] || bad+="iteration $i: $(basename "$tool") exit $rc (block $b)"$'\n'
	done
done
[ -z "$bad" ] && point ok "200 random damages: exit 0 or 1, no crash" ||
	point not_ok "200 random damages: exit 0 or 1, no crash" "$bad"

echo "1..$n"
[ "$failed" = 0 ]
