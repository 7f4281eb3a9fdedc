# SPDX-License-Identifier: GPL-2.0
# Bad tables, bad messages and bad sysfs writes are refused with -EINVAL
# and a message in the kernel log; nothing is created, nothing oopses.

check "insmod" load_module
size=$(sectors /dev/ubda)

# bad_table DESC EXPECTED-KERNEL-MESSAGE TABLE
bad_table() {
	kmsg_mark
	check_fails "refused: $1" dmsetup create bad --table "$3"
	check_kmsg "kernel says why: $1" "$2"
	dmsetup remove bad > /dev/null 2>&1
}

bad_table "no arguments" "device-mapper: tesseract: .*Requires <data_dev>" "0 $size tesseract"
bad_table "missing device" "Error opening data device" "0 $size tesseract /dev/nonexistent"
bad_table "unknown feature" "Invalid feature argument" "0 $size tesseract /dev/ubda 1 frobnicate"
bad_table "feature count too large" "Invalid number of feature arguments" \
	"0 $size tesseract /dev/ubda 3 no_discard_passdown no_reconcile x"
bad_table "feature count beyond args" "Invalid number of feature arguments" \
	"0 $size tesseract /dev/ubda 1"
bad_table "feature count not a number" "Invalid number of feature arguments" \
	"0 $size tesseract /dev/ubda x no_discard_passdown"
# Found by the fuzzer: dm_read_arg_group()'s %u wraps 2^32 + 1 to 1.
bad_table "feature count that wraps" "Invalid number of feature arguments" \
	"0 $size tesseract /dev/ubda 4294967297 no_reconcile"
bad_table "duplicate feature" "Duplicate feature argument" \
	"0 $size tesseract /dev/ubda 2 no_reconcile no_reconcile"
bad_table "device is the target's own name" "cannot open data device" "0 $size tesseract /dev/mapper/bad"
kmsg_mark
check "refused: a missing device is -EINVAL" sh -c \
	"dmsetup create bad --table '0 $size tesseract /dev/nonexistent' 2>&1 | grep -q 'Invalid argument'"
dmsetup remove bad > /dev/null 2>&1
bad_table "trailing arguments" "Unexpected arguments" "0 $size tesseract /dev/ubda 0 extra"
bad_table "target larger than device" "smaller than the target" "0 $((size + 8)) tesseract /dev/ubda"
check_eq "no target left behind" "$(cat /sys/kernel/tesseract/targets)" 0

check "good table with feature" dmsetup create vm0 --table "0 $size tesseract /dev/ubda 1 no_discard_passdown"
check_eq "feature reads back" "$(dmsetup table vm0 | cut -d' ' -f5-)" "1 no_discard_passdown"

kmsg_mark
check_fails "unknown message refused" dmsetup message vm0 0 frobnicate
check_kmsg "kernel says why: unknown message" "$(devno /dev/mapper/vm0): message \"frobnicate\": unknown message"
kmsg_mark
check_fails "message with extra argument refused" dmsetup message vm0 0 reset_counters now
check_kmsg "kernel says why: extra argument" "reset_counters takes no arguments"
kmsg_mark
long=$(printf '%02000d' 0 | tr 0 x)
check_fails "message with a 2000-character word refused" dmsetup message vm0 0 "$long"
check_kmsg "kernel says why, however long the word" "x\": unknown message"

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

check_fails "rmmod refused while a target exists" rmmod dm_tesseract
check "remove vm0" dmsetup remove vm0
check "rmmod" rmmod dm_tesseract
kmsg_mark
check_fails "insmod verbose=7 refused" load_module verbose=7
check_fails "module not loaded after refused insmod" module_loaded
