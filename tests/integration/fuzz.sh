# SPDX-License-Identifier: GPL-2.0
# Fuzz the module's user-facing inputs (tools/fuzz/tess-fuzz.py): random
# and malformed table lines, target messages and sysfs writes, with and
# without a store, then damaged store superblocks at load.  Every input is
# predicted from the documented grammar; a refusal must be -EINVAL (-EIO
# allowed for a damaged store) with its reason in the kernel log, nothing
# may oops or WARN, and the module must unload cleanly at the end.
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

# Damaged superblocks cost a module load each: one input in 50.
nsb=$((count / 50)); [ "$nsb" -ge 20 ] || nsb=20
nplain=$(((count - nsb) / 2))
nstore=$((count - nsb - nplain))

# fuzz_batches PHASE N: N inputs in batches, the kernel log of each saved
# beside its inputs.  A batch logs far less than the 256 KiB log buffer
# holds, so kmsg_since_mark sees all of it (and would say so if not).
fuzz_batches() {
	local phase=$1 left=$2 b=0 n failed=0
	while [ "$left" -gt 0 ]; do
		n=$((left < 200 ? left : 200))
		kmsg_mark
		if ! python3 "$fuzz" run "$phase" "$b" "$n" "$dir" 2>> "$dir/errors.txt"; then
			failed=$((failed + 1))
			dmsetup remove tfz tfzm tfzsmall > /dev/null 2>&1
		fi
		kmsg_since_mark > "$dir/$phase-$b.kmsg"
		left=$((left - n)) b=$((b + 1))
	done
	check_eq "$phase: every batch of inputs ran to its end" "$failed" 0
	[ "$failed" -eq 0 ] || sed 's/^/#   /' "$dir/errors.txt" | tail -8
}

mkdir -p /sys/fs/cgroup/fz/a	# cgroups for backend/memcg to name

check "insmod without a store" load_module
fuzz_batches plain "$nplain"
check_eq "plain: no target left" "$(cat /sys/kernel/tesseract/targets)" 0
check_eq "plain: verbose back to 0" "$(cat /sys/module/dm_tesseract/parameters/verbose)" 0
check "plain: rmmod" rmmod dm_tesseract

dd if=/dev/zero of=/dev/ubdc bs=4k count=1 oflag=direct status=none
check "insmod with a store" load_module store=/dev/ubdc
fuzz_batches store "$nstore"
check_eq "store: no target left" "$(cat /sys/kernel/tesseract/targets)" 0
check_eq "store: backend/memcg back to every page" "$(cat /sys/kernel/tesseract/backend/memcg)" ""
check "store: rmmod" rmmod dm_tesseract

kmsg_mark
check "superblocks: the loads ran" python3 "$fuzz" store "$nsb" \
	"$tess_top/dm-tesseract/dm-tesseract.ko" "$dir"
kmsg_since_mark > "$dir/sb-0.kmsg"
check_fails "superblocks: module not left loaded" module_loaded
check "superblocks: a good store loads after them" load_module store=/dev/ubdc
check "superblocks: rmmod" rmmod dm_tesseract

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
