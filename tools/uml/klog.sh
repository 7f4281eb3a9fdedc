# SPDX-License-Identifier: GPL-2.0
# Sourced by tests/run and tools/bench/run: what in a UML boot's logs means
# a kernel bug, and whether the boot ended as it should.

# Kernel log lines that mean a bug, whatever the test printed: oopses and
# BUG()s (KASAN, UBSAN, soft lockups and list corruption report through
# them too), WARN()s, lockdep, hung tasks, RCU stalls, panics.
KLOG_BUGS='BUG:|WARNING:|Oops|cut here|possible recursive locking|possible circular locking|inconsistent lock state|lock held when returning|suspicious RCU usage|INFO: task .* blocked|rcu: .*(stall|self-detected)|soft lockup|hard LOCKUP|general protection|UBSAN:|KASAN:|Kernel panic|kernel BUG'

# klog_bugs DIR: print the lines of DIR's console stream (and of the
# dmesg.txt the init saved, if it got that far) that mean a bug.  Succeeds
# when there are some, or when there is no console stream to judge by.
klog_bugs() {
	local f files=()
	if [ ! -s "$1/console.txt" ]; then
		echo "no console log in $1"
		return 0
	fi
	for f in console.txt dmesg.txt; do
		[ -f "$1/$f" ] && files+=("$1/$f")
	done
	grep -h -E "$KLOG_BUGS" "${files[@]}" | sort -u | head -n 40 |
		grep .
}

# boot_fault DIR RC [WHAT [TIMEOUT]]: why the boot of DIR, which its boot
# script ended with RC, did not end with the init's clean power-off;
# prints nothing when it did.  WHAT ran the kernel (default UML, by
# tools/uml/boot.sh), TIMEOUT is the seconds it was given (default
# TESS_TIMEOUT, else boot.sh's 300).
boot_fault() {
	local dir=$1 rc=$2 what=${3:-UML} limit=${4:-${TESS_TIMEOUT:-300}}
	case "$rc" in
	0) ;;
	124|137) echo "killed after $limit s"; return ;;
	*) echo "$what exited with status $rc" ;;
	esac
	[ -f "$dir/booted" ] || echo "the init never ran"
	[ -f "$dir/powered-off" ] || echo "the init did not power off"
	grep -q 'reboot: Power down' "$dir/console.txt" 2>/dev/null ||
		echo "the kernel did not power down"
}

# module_leaks DIR: the kmemleak reports of DIR (debug kernel only) whose
# allocation backtrace runs through dm-tesseract, or through a module gone
# by the time of the scan (a frame kallsyms can no longer name: the tests
# load no other module).
module_leaks() {
	[ -f "$1/kmemleak.txt" ] || return 0
	awk '/^unreferenced object/ { if (ours) printf "%s", rec; rec = ""; ours = 0 }
	     { rec = rec $0 "\n" }
	     /\[dm_tesseract/ || /\] 0x[0-9a-f]+$/ { ours = 1 }
	     END { if (ours) printf "%s", rec }' "$1/kmemleak.txt" | head -n 60
}
