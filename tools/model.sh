# SPDX-License-Identifier: GPL-2.0
# Sourced inside the UML host, after tests/lib.sh, by tools/bench/double.sh
# and tools/vm/uml-vm.sh: the four ubd images on modelled drives
# (tests/dm-model, Documentation/storage-model.rst).
#
# model_setup MODEL LAYOUT LOG: for MODEL "ram", the ubd images themselves
# (the host's page cache: CPU cost only); for "hdd" or "ssd", loads
# dm-model.ko (unless loaded) and creates the tables m-data, m-swap, m-store and m-meta
# over ubda..ubdd.  LAYOUT "shared": the four are slices of ONE modelled
# drive, one after another (data, swap, store, metadata), the drive
# exactly as large as they are, so that going from one to another is a
# seek of that drive; "separate": each on a drive of its own (each as
# large as the shared one, its slice at its start, so that seeks within a
# slice cost the same in both layouts).  Sets DATA, SWAP, STORE and META
# to the devices to use, and writes the layout to LOG.  Returns 1, with
# the reason on stderr, if it cannot.
model_setup() {
	local model=$1 layout=$2 log=$3 base=0 total=0 d n len group
	case $model in
	ram)
		DATA=/dev/ubda SWAP=/dev/ubdb STORE=/dev/ubdc META=/dev/ubdd
		echo "ram: ubda..ubdd, no model" > "$log"
		return 0 ;;
	hdd | ssd) ;;
	*) echo "model: hdd, ssd or ram, not '$model'" >&2; return 1 ;;
	esac
	case $layout in
	shared | separate) ;;
	*) echo "model: layout shared or separate, not '$layout'" >&2; return 1 ;;
	esac
	[ -d /sys/module/dm_model ] ||
		insmod "${MODEL_KO:-$tess_top/tests/dm-model/dm-model.ko}" ||
		{ echo "model: cannot load dm-model.ko (make modules)" >&2; return 1; }
	: > "$log"
	for d in ubda ubdb ubdc ubdd; do
		total=$((total + $(sectors /dev/$d)))
	done
	for d in data:ubda swap:ubdb store:ubdc meta:ubdd; do
		n=${d%%:*} len=$(sectors "/dev/${d#*:}")
		group=drive
		[ "$layout" = separate ] && group=$n base=0
		dmsetup create "m-$n" --table "0 $len model /dev/${d#*:} $model $group $base 2 capacity $total" ||
			{ echo "model: table m-$n refused" >&2; return 1; }
		echo "m-$n: $model drive '$group' sectors $base..$((base + len)) of $total" >> "$log"
		base=$((base + len))
	done
	DATA=/dev/mapper/m-data SWAP=/dev/mapper/m-swap
	STORE=/dev/mapper/m-store META=/dev/mapper/m-meta
}

# model_remove: remove the tables model_setup created (none on ram).
model_remove() {
	local n r=0
	for n in data swap store meta; do
		[ ! -e "/dev/mapper/m-$n" ] || dmsetup remove "m-$n" || r=1
	done
	return $r
}

# model_busy_us: the modelled drives' busy time so far, microseconds,
# summed over the tables (0 on ram).  One dmsetup call.
model_busy_us() {
	dmsetup status 2> /dev/null |
		awk '$1 ~ /^m-(data|swap|store|meta):$/ && $4 == "model" && $7 == "table" { b += $11 }
		     END { print b + 0 }'
}
