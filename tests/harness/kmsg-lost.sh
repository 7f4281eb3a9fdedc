# SPDX-License-Identifier: GPL-2.0
# Harness self-test: check_no_kmsg cannot pass when the lines after the
# mark were overwritten before it read them (the log buffer wrapped), and
# check_kmsg still finds a line logged after the mark.
# expect: not_ok kmsg-lost: a wrapped log is not clean
# expect: ok kmsg-lost: a line after the mark is found
# expect: ok kmsg-lost: an unwrapped log is clean
kmsg_mark
echo "harness: after the mark" > /dev/kmsg
check_kmsg "a line after the mark is found" "harness: after the mark"
check_no_kmsg "an unwrapped log is clean" "harness: never logged"
# 600 KiB of records through a 256 KiB buffer.
i=0
while [ "$i" -lt 3000 ]; do
	printf 'harness: filler %04d %0200d\n' "$i" 0 > /dev/kmsg
	i=$((i + 1))
done
check_no_kmsg "a wrapped log is not clean" "harness: never logged"
