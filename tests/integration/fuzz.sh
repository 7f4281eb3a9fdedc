# SPDX-License-Identifier: GPL-2.0
# Fuzz the module's user-facing inputs (tools/fuzz/tess-fuzz.py): random
# and malformed pool tables, disk tables, pool and disk messages and sysfs
# writes against a live pool with a live disk, once with a pool that does
# not serve swap and once with one that does; then pool tables on damaged
# metadata and store superblocks.  Every input is predicted from the
# documented grammar; a refusal must return the predicted errno with one
# of its reasons in the kernel log, nothing may oops or WARN, and the
# module must unload cleanly at the end.
#
# FUZZ_COUNT inputs in all (default 1000), FUZZ_SEED to replay a run (the
# seed is printed first).  Per-batch inputs and kernel logs are kept in
# $tess_out/fuzz.

count=${FUZZ_COUNT:-1000}
export FUZZ_SEED=${FUZZ_SEED:-$(od -An -N3 -tu4 /dev/urandom | tr -d ' ')}
echo "# fuzz: FUZZ_SEED=$FUZZ_SEED FUZZ_COUNT=$count"
fuzz=$tess_top/tools/fuzz/tess-fuzz.py
dir=$tess_out/fuzz
mkdir -p "$dir"

# Damaged superblocks: one input in 10.
nsb=$((count / 10)); [ "$nsb" -ge 20 ] || nsb=20
nnoswap=$(((count - nsb) / 2))
nswap=$((count - nsb - nnoswap))

# fuzz_batches PHASE N: N inputs in batches, the kernel log of each saved
# beside its inputs.  A batch logs far less than the 256 KiB log buffer
# holds, so kmsg_since_mark sees all of it (and would say so if not):
# 200 inputs, or 100 superblocks (a refused pool logs several lines).
fuzz_batches() {
	local phase=$1 left=$2 b=0 n failed=0 max=200
	[ "$phase" != sb ] || max=100
	while [ "$left" -gt 0 ]; do
		n=$((left < max ? left : max))
		kmsg_mark
		if [ "$phase" = sb ]; then
			set -- sb "$b" "$n" "$dir"
		else
			set -- run "$phase" "$b" "$n" "$dir"
		fi
		if ! python3 "$fuzz" "$@" 2>> "$dir/errors.txt"; then
			failed=$((failed + 1))
			dmsetup remove tfz tfzm tfzsmall tfzpool tfzmeta tfzstore \
				tfzsb tfzpart > /dev/null 2>&1
		fi
		kmsg_since_mark > "$dir/$phase-$b.kmsg"
		left=$((left - n)) b=$((b + 1))
	done
	check_eq "$phase: every batch of inputs ran to its end" "$failed" 0
	[ "$failed" -eq 0 ] || sed 's/^/#   /' "$dir/errors.txt" | tail -8
}

mkdir -p /sys/fs/cgroup/fz/a	# cgroups for backend/memcg to name

check "insmod" load_module
fuzz_batches noswap "$nnoswap"
check_eq "noswap: no target left" "$(cat /sys/kernel/tesseract/targets)" 0
check_eq "noswap: no pool left" "$(cat /sys/kernel/tesseract/pools)" 0
check_eq "noswap: verbose back to 0" "$(cat /sys/module/dm_tesseract/parameters/verbose)" 0
fuzz_batches swap "$nswap"
check_eq "swap: no target left" "$(cat /sys/kernel/tesseract/targets)" 0
check_eq "swap: no pool left" "$(cat /sys/kernel/tesseract/pools)" 0
check_eq "swap: backend/memcg back to every page" "$(cat /sys/kernel/tesseract/backend/memcg)" ""

fuzz_batches sb "$nsb"
check_eq "superblocks: no pool left" "$(cat /sys/kernel/tesseract/pools)" 0
check "rmmod" rmmod dm_tesseract

python3 "$fuzz" report "$dir" > "$dir/report.txt" 2>&1 ||
	echo "not_ok	the report ran" >> "$dir/report.txt"
while IFS= read -r line; do
	case "$line" in
	"ok	"*) ok "${line#ok	}" ;;
	"not_ok	"*) not_ok "${line#not_ok	}" ;;
	*) echo "$line" ;;
	esac
done < "$dir/report.txt"
check_eq "no device-mapper device left" "$(dmsetup ls)" "No devices found"
