# SPDX-License-Identifier: GPL-2.0
# Bad pool and disk tables, bad messages to either and bad sysfs writes
# are refused with -EINVAL (-EBUSY where a thing is in use) and a message
# in the kernel log; nothing is created, nothing oopses.  Bad metadata and
# store devices are pool-device.sh's.

check "insmod" load_module
size=$(sectors /dev/ubda)
plen=$(pool_len)
P=/dev/mapper/pool

# bad_table DESC EXPECTED-KERNEL-MESSAGE TABLE: creating a device "bad"
# with TABLE fails, and the kernel log says why.
bad_table() {
	kmsg_mark
	check_fails "refused: $1" dmsetup create bad --table "$3"
	check_kmsg "kernel says why: $1" "$2"
	dmsetup remove bad > /dev/null 2>&1
}

# bad_msg DEV DESC EXPECTED-KERNEL-MESSAGE WORD...: the message fails, and
# the kernel log says why.
bad_msg() {
	local dev=$1 desc=$2 why=$3
	shift 3
	kmsg_mark
	check_fails "refused: $desc" dmsetup message "$dev" 0 -- "$@"
	check_kmsg "kernel says why: $desc" "$why"
}

# --- pool tables -------------------------------------------------------------
bad_table "pool: no arguments" "tesseract-pool: .*Requires" "0 $plen tesseract-pool"
bad_table "pool: no store device" "tesseract-pool: .*Requires" "0 $plen tesseract-pool /dev/ubdd"
bad_table "pool: missing metadata device" "Error opening metadata device" \
	"0 $plen tesseract-pool /dev/nonexistent /dev/ubdc"
bad_table "pool: missing store device" "Error opening store device" \
	"0 $plen tesseract-pool /dev/ubdd /dev/nonexistent"
bad_table "pool: shorter than the store" "tesseract-pool: .*Pool length must be the store" \
	"0 $((plen - 8)) tesseract-pool /dev/ubdd /dev/ubdc"
bad_table "pool: longer than the store" "tesseract-pool: .*Pool length must be the store" \
	"0 $((plen + 8)) tesseract-pool /dev/ubdd /dev/ubdc"
bad_table "pool: unknown feature" "tesseract-pool: .*Invalid feature argument" \
	"0 $plen tesseract-pool /dev/ubdd /dev/ubdc 1 frobnicate"
bad_table "pool: a disk's feature" "tesseract-pool: .*Invalid feature argument" \
	"0 $plen tesseract-pool /dev/ubdd /dev/ubdc 1 no_reconcile"
bad_table "pool: feature count beyond args" "tesseract-pool: .*Invalid number of feature arguments" \
	"0 $plen tesseract-pool /dev/ubdd /dev/ubdc 3 no_swap"
bad_table "pool: feature count not a number" "tesseract-pool: .*Invalid number of feature arguments" \
	"0 $plen tesseract-pool /dev/ubdd /dev/ubdc x no_swap"
bad_table "pool: feature count that wraps" "tesseract-pool: .*Invalid number of feature arguments" \
	"0 $plen tesseract-pool /dev/ubdd /dev/ubdc 4294967297 no_swap"
bad_table "pool: commit_period without its value" "tesseract-pool: .*Invalid feature argument value" \
	"0 $plen tesseract-pool /dev/ubdd /dev/ubdc 1 commit_period"
bad_table "pool: commit_period not a number" "tesseract-pool: .*Invalid feature argument value" \
	"0 $plen tesseract-pool /dev/ubdd /dev/ubdc 2 commit_period soon"
bad_table "pool: low_water not a number" "tesseract-pool: .*Invalid feature argument value" \
	"0 $plen tesseract-pool /dev/ubdd /dev/ubdc 2 low_water -1"
bad_table "pool: duplicate feature" "tesseract-pool: .*Duplicate feature argument" \
	"0 $plen tesseract-pool /dev/ubdd /dev/ubdc 2 no_swap no_swap"
bad_table "pool: trailing arguments" "tesseract-pool: .*Unexpected arguments" \
	"0 $plen tesseract-pool /dev/ubdd /dev/ubdc 0 extra"
check_eq "no pool left behind" "$(cat /sys/kernel/tesseract/pools)" 0
# Every table above was refused: none may have formatted the metadata
# (block 0 is still zero), a wrong length included.
check_eq "refused pool tables left the metadata device unformatted" \
	"$(dd if=/dev/ubdd bs=4k count=1 iflag=direct status=none | tr -d '\0' | wc -c)" 0

check "good pool table with features" pool_create pool commit_period 500 no_swap
check_eq "pool features read back" "$(dmsetup table pool | cut -d' ' -f6-)" "3 commit_period 500 no_swap"
check_eq "and in the status" "$(dmsetup status pool | cut -d' ' -f23-)" "3 commit_period 500 no_swap"
bad_table "pool: a second pool on the same metadata" "tesseract-pool: .*Metadata device is in use by another pool" \
	"0 $plen tesseract-pool /dev/ubdd /dev/ubdc"
check_eq "one pool" "$(cat /sys/kernel/tesseract/pools)" 1

# --- pool messages -----------------------------------------------------------
check "create_disk 1" pool_msg create_disk 1
check "create_disk 16777215 (the largest id)" pool_msg create_disk 16777215
bad_msg pool "create_disk of an id that exists" "create_disk 1: the disk exists" create_disk 1
bad_msg pool "create_disk of 2^24" "create_disk takes a disk id" create_disk 16777216
bad_msg pool "create_disk of -1" "create_disk takes a disk id" create_disk -1
bad_msg pool "create_disk of x" "create_disk takes a disk id" create_disk x
bad_msg pool "create_disk without an id" "create_disk takes a disk id" create_disk
bad_msg pool "create_disk with two ids" "create_disk takes a disk id" create_disk 2 3
bad_msg pool "delete_disk of an unknown id" "delete_disk 2: no such disk" delete_disk 2
bad_msg pool "unknown pool message" "message \"frobnicate\": unknown message" frobnicate
bad_msg pool "a disk's message to the pool" "unknown message" copy_home
check_eq "the pool has two disks" "$(pool_status_field 6)" 2
check "delete_disk 16777215" pool_msg delete_disk 16777215
check_eq "the pool has one disk" "$(pool_status_field 6)" 1

# --- disk tables -------------------------------------------------------------
bad_table "disk: no arguments" "tesseract: .*Requires" "0 $size tesseract"
bad_table "disk: pool only" "tesseract: .*Requires" "0 $size tesseract $P"
bad_table "disk: no data device" "tesseract: .*Requires" "0 $size tesseract $P 1"
bad_table "disk: missing pool device" "tesseract: .*Error opening pool device" "0 $size tesseract /dev/nonexistent 1 /dev/ubda"
bad_table "disk: the pool is no pool" "tesseract: .*Pool device is not a tesseract-pool" "0 $size tesseract /dev/ubdb 1 /dev/ubda"
bad_table "disk: disk id x" "tesseract: .*Invalid disk id" "0 $size tesseract $P x /dev/ubda"
bad_table "disk: disk id -1" "tesseract: .*Invalid disk id" "0 $size tesseract $P -1 /dev/ubda"
bad_table "disk: disk id 2^24" "tesseract: .*Invalid disk id" "0 $size tesseract $P 16777216 /dev/ubda"
bad_table "disk: unknown disk id" "tesseract: .*No such disk id" "0 $size tesseract $P 2 /dev/ubda"
bad_table "disk: a deleted disk id" "tesseract: .*No such disk id" "0 $size tesseract $P 16777215 /dev/ubda"
bad_table "disk: missing data device" "Error opening data device" "0 $size tesseract $P 1 /dev/nonexistent"
bad_table "disk: unknown feature" "tesseract: .*Invalid feature argument" "0 $size tesseract $P 1 /dev/ubda 1 frobnicate"
bad_table "disk: a pool's feature" "tesseract: .*Invalid feature argument" "0 $size tesseract $P 1 /dev/ubda 1 no_swap"
# At most 5: three flags and max_remapped with its value.
bad_table "disk: feature count too large" "tesseract: .*Invalid number of feature arguments" \
	"0 $size tesseract $P 1 /dev/ubda 6 no_discard_passdown no_reconcile no_remap max_remapped 1 x"
bad_table "disk: an argument in the count is no feature" "tesseract: .*Invalid feature argument (" \
	"0 $size tesseract $P 1 /dev/ubda 3 no_discard_passdown no_reconcile x"
bad_table "disk: feature count beyond args" "tesseract: .*Invalid number of feature arguments" \
	"0 $size tesseract $P 1 /dev/ubda 1"
bad_table "disk: feature count not a number" "tesseract: .*Invalid number of feature arguments" \
	"0 $size tesseract $P 1 /dev/ubda x no_discard_passdown"
# Found by the fuzzer: dm_read_arg_group()'s %u wraps 2^32 + 1 to 1.
bad_table "disk: feature count that wraps" "tesseract: .*Invalid number of feature arguments" \
	"0 $size tesseract $P 1 /dev/ubda 4294967297 no_reconcile"
bad_table "disk: duplicate feature" "tesseract: .*Duplicate feature argument" \
	"0 $size tesseract $P 1 /dev/ubda 2 no_reconcile no_reconcile"
bad_table "disk: max_remapped without its value" "tesseract: .*Invalid feature argument value" \
	"0 $size tesseract $P 1 /dev/ubda 1 max_remapped"
bad_table "disk: max_remapped not a number" "tesseract: .*Invalid feature argument value" \
	"0 $size tesseract $P 1 /dev/ubda 2 max_remapped many"
bad_table "disk: data device is the disk's own name" "cannot open data device" \
	"0 $size tesseract $P 1 /dev/mapper/bad"
kmsg_mark
check "refused: a missing device is -EINVAL" sh -c \
	"dmsetup create bad --table '0 $size tesseract $P 1 /dev/nonexistent' 2>&1 | grep -q 'Invalid argument'"
dmsetup remove bad > /dev/null 2>&1
bad_table "disk: trailing arguments" "tesseract: .*Unexpected arguments" "0 $size tesseract $P 1 /dev/ubda 0 extra"
bad_table "disk: larger than its data device" "smaller than the target" "0 $((size + 8)) tesseract $P 1 /dev/ubda"
check_eq "no target left behind" "$(cat /sys/kernel/tesseract/targets)" 0
check_eq "the pool has no disk table" "$(pool_status_field 6)" 1

check "good disk table with features" disk_open vm0 1 /dev/ubda no_discard_passdown max_remapped 100
check_eq "disk features read back" "$(dmsetup table vm0 | cut -d' ' -f7-)" "3 no_discard_passdown max_remapped 100"
# As given, as the pool prints its features even when they equal defaults:
# max_remapped 0 is the default, but a table must read back as it was.
check "reload vm0 with max_remapped 0" disk_reload vm0 1 /dev/ubda max_remapped 0
check_eq "max_remapped 0 reads back" "$(dmsetup table vm0 | cut -d' ' -f7-)" "2 max_remapped 0"
check "reload vm0 with the same id" disk_reload vm0 1 /dev/ubda no_reconcile
check_eq "the new features read back" "$(dmsetup table vm0 | cut -d' ' -f7-)" "1 no_reconcile"
kmsg_mark
check_fails "refused: a second live table for disk 1" dmsetup create vm1 --table "$(disk_table 1 /dev/ubda)"
check_kmsg "kernel says why: a second table" "Disk id is in use"
check_eq "one target" "$(cat /sys/kernel/tesseract/targets)" 1
bad_msg pool "delete_disk of a live disk" "delete_disk 1: a table uses it" delete_disk 1
check "vm0 still works" dd if=/dev/mapper/vm0 of=/dev/null bs=4k count=1 iflag=direct status=none

# --- disk messages -----------------------------------------------------------
bad_msg vm0 "unknown disk message" "$(devno /dev/mapper/vm0): message \"frobnicate\": unknown message" frobnicate
bad_msg vm0 "reset_counters with an argument" "reset_counters takes no arguments" reset_counters now
bad_msg vm0 "copy_home with an argument" "copy_home takes no arguments" copy_home now
bad_msg vm0 "a pool's message to a disk" "unknown message" create_disk 3
long=$(printf '%02000d' 0 | tr 0 x)
bad_msg vm0 "a 2000-character word" "x\": unknown message" "$long"

# --- sysfs and parameters ------------------------------------------------------
param=/sys/module/dm_tesseract/parameters/verbose
check_eq "verbose defaults to 0" "$(cat $param)" 0
kmsg_mark
check_fails "verbose=5 refused" sh -c "echo 5 > $param"
check_kmsg "kernel says why: verbose=5" "verbose: invalid value"
check_fails "verbose=abc refused" sh -c "echo abc > $param"
check_eq "verbose unchanged by bad writes" "$(cat $param)" 0
check "verbose=1 accepted" sh -c "echo 1 > $param"
check_eq "verbose reads back" "$(cat $param)" 1
check_fails "sysfs targets is read-only" sh -c "echo 3 > /sys/kernel/tesseract/targets"
check_fails "sysfs pools is read-only" sh -c "echo 3 > /sys/kernel/tesseract/pools"

check_fails "rmmod refused while a disk exists" rmmod dm_tesseract
check "remove vm0" dmsetup remove vm0
check_fails "rmmod refused while a pool exists" rmmod dm_tesseract
check "delete_disk 1, not live any more" pool_msg delete_disk 1
check_eq "the pool has no disk" "$(pool_status_field 6)" 0
check "remove the pool" dmsetup remove pool
check "rmmod" rmmod dm_tesseract
kmsg_mark
check_fails "insmod verbose=7 refused" load_module verbose=7
check_fails "module not loaded after refused insmod" module_loaded
