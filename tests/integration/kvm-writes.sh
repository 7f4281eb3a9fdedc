# SPDX-License-Identifier: GPL-2.0
# A guest's write to guest RAM, under KVM, must reach its disk.  The guest
# writes a page that the host swapped out and in again (its PTE present,
# writable and clean, its folio clean in the swap cache), through the
# secondary MMU: nothing in the host's page tables or page flags says so
# until KVM's MMU notifier sees the range invalidated.  Then the guest
# writes the page to its disk with O_DIRECT.  The disk must hold the new
# content, read back, after a remove and re-create, and on the data device
# after copy_home, whether the write hook took the page or not.
#
# tests/kvmlike (/dev/kvmlike) writes the pages as KVM does; swapwrite
# kvmwrite drives it (see both).  Variants, each by pwritev, linux-aio and
# io_uring: the plain case; the pages mapped by a second process (a child
# forked after the swap-out that reads them in: copy-on-write, as any
# fork of anonymous guest RAM not marked MADV_DONTFORK); a reference kept
# across the disk write (as kvm_vcpu_map()) and a FOLL_PIN pin (as a DMA
# user), both marking the pages dirty only when let go, after the disk
# was read back.  The same runs on a no_reconcile table are the baseline:
# no page taken, so no page may be stale there whatever the hook does.

SW=$tess_top/tools/swapwrite/swapwrite
KVMLIKE=$tess_top/tests/kvmlike/kvmlike.ko
PAGES=64
kmsg_mark
check "create the pool" pool_create
check "insmod kvmlike" insmod "$KVMLIKE"
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb

reconciled() { status_field vm0 8; }
kvm_stat() { sw_field /sys/kernel/debug/kvmlike/stats "$1"; }

# kvm_run NAME FIRST OLD_SEED SEED OPTION...: one swapwrite kvmwrite of
# PAGES pages at disk page FIRST; its report is in $tess_out/NAME.txt, and
# in a diagnostic with what the target reconciled and what kvmlike did.
kvm_run() {
	local name=$1 first=$2 old=$3 new=$4 out=$tess_out/${1// /-}.txt
	local rec w z d c
	shift 4
	rec=$(reconciled) w=$(kvm_stat written) z=$(kvm_stat zapped)
	d=$(kvm_stat dirtied) c=$(kvm_stat gup_dirty_cleared)
	echo "# $name: swapwrite $* kvmwrite $first $PAGES $old $new" >> "$LOG"
	in_memcg_high sw max sh -c "$SW $* kvmwrite /dev/mapper/vm0 $first $PAGES $old $new > $out" >> "$LOG" 2>&1
	echo "# $name: $(cat "$out" 2> /dev/null) reconciled $(($(reconciled) - rec))" \
		"kvmlike: written $(($(kvm_stat written) - w))" \
		"gup_dirty_cleared $(($(kvm_stat gup_dirty_cleared) - c))" \
		"zapped $(($(kvm_stat zapped) - z)) dirtied $(($(kvm_stat dirtied) - d))"
	check_eq "$name: every page read back in first" "$(sw_field "$out" swapped)" 0
	check_eq "$name: memory holds what kvmlike wrote" "$(sw_field "$out" memory_stale)" 0
	check_eq "$name: the disk holds it too (stale pages)" "$(sw_field "$out" stale)" 0
}

# variants TABLE BASE: every variant by every path, TABLE naming the
# points, disk pages from BASE on, PAGES each; seeds 100 + i (old) and
# 200 + i (new) for run i.  Prints "NAME FIRST SEED" of each run.
variants() {
	local table=$1 first=$2 i=0 v submit opts
	for v in plain fork ref pin; do
		case $v in
		plain) opts= ;;
		fork) opts=--fork ;;
		*) opts="--hold $v" ;;
		esac
		for submit in pwrite aio io_uring; do
			kvm_run "$table $v $submit" "$first" $((100 + i)) \
				$((200 + i)) --submit $submit $opts >&3
			echo "$v-$submit $first $((200 + i))"
			first=$((first + PAGES)) i=$((i + 1))
		done
	done
}

# verify_all DEV RUNS DESC: each run's pages on DEV hold its new content.
verify_all() {
	local dev=$1 runs=$2 desc=$3 name first seed
	while read -r name first seed; do
		check "$desc: $name" "$SW" verify "$dev" "$first" "$PAGES" "$seed"
	done < "$runs"
}

check "create vm0" disk_create vm0 1 /dev/ubda
variants tesseract 0 3>&1 > "$tess_out/runs.txt"
verify_all /dev/mapper/vm0 "$tess_out/runs.txt" "tesseract: read back"
# Remove keeps the remaps (issue 10: it used to copy them home), and a new
# table finds them; copy_home then puts it all on the data device.
check "remove vm0" dmsetup remove vm0
check "re-create vm0" disk_open vm0 1 /dev/ubda
verify_all /dev/mapper/vm0 "$tess_out/runs.txt" "tesseract: after re-create"
check "copy_home" copy_home vm0
check_eq "copy_home leaves no remap" "$(status_field vm0 7)" 0
check "remove vm0" dmsetup remove vm0
verify_all /dev/ubda "$tess_out/runs.txt" "tesseract: home block after copy_home"

# Baseline: the same runs with no page taken by the target.
check "open vm0 with no_reconcile" disk_open vm0 1 /dev/ubda no_reconcile
variants baseline 4096 3>&1 > "$tess_out/runs-baseline.txt"
check_eq "baseline: nothing reconciled" "$(reconciled)" 0
check "remove vm0" dmsetup remove vm0
check "re-create vm0" disk_open vm0 1 /dev/ubda
verify_all /dev/mapper/vm0 "$tess_out/runs-baseline.txt" "baseline: after re-create"
check "remove vm0" dmsetup remove vm0

echo "# kvmlike: $(cat /sys/kernel/debug/kvmlike/stats)"
check_eq "kvmlike holds no page" "$(kvm_stat held)" 0
check "rmmod kvmlike" rmmod kvmlike
check "swapoff" swapoff /dev/ubdb
check "remove the pool" dmsetup remove pool
check "rmmod" rmmod dm_tesseract
check_no_kmsg "no remap lost" "could not be copied home"
