#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-x86`: the integration tests of the pool, the disk, swap and
# reconciliation on the x86_64 host kernel under QEMU TCG, and with
# X86_KVM=1 a KVM guest on a tesseract disk inside it (tests/x86/kvm.sh).
# TAP output, one boot per script (tools/x86/boot.sh) with fresh disks;
# each script's points count, and so do, per boot: it ran to its end,
# the machine powered off cleanly, the kernel log is clean (KLOG_BUGS of
# tools/uml/klog.sh), no shell errors.  Ends with "N passed, N failed,
# N skipped"; exits 1 when a point failed.
#
#   check.sh [PATTERN]   only the scripts whose name contains PATTERN
#
# Environment: X86_TESTS (the scripts, names under tests/integration, or
# "all"),
# X86_KVM=1 (with KVM_RAM, KVM_COLD, KVM_HOT, KVM_HIGH of
# tests/x86/kvm.sh), TESS_KEEP=1 (keep the logs), and those of
# tools/x86/boot.sh.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
pattern=${1:-}
tests=${X86_TESTS:-pool pool-device target-lifecycle multi-disk swap-backend swap-memcg reconcile hook}
if [ "$tests" = all ]; then
	tests=$(cd "$top/tests/integration" && ls -- *.sh | sed 's/\.sh$//')
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/tesseract-x86.XXXXXX")
keep=${TESS_KEEP:-}
trap '[ -n "$keep" ] || rm -rf "$work"' EXIT

. "$top/tools/uml/klog.sh"

passed=0 failed=0 skipped=0 n=0
point() {	# point ok|not_ok DESC
	n=$((n + 1))
	if [ "$1" != ok ]; then
		failed=$((failed + 1)); echo "not ok $n - $2"
	elif [[ "$2" =~ \#\ *(SKIP|skip) ]]; then
		skipped=$((skipped + 1)); echo "ok $n - $2"
	else
		passed=$((passed + 1)); echo "ok $n - $2"
	fi
}
point_if() {	# point_if DESC WHY: fails when WHY is not empty
	if [ -z "$2" ]; then
		point ok "$1"
	else
		point not_ok "$1"
		sed 's/^/#   /' <<< "$2"
	fi
}

kdir=$("$top/tools/x86/kernel.sh" dir)
[ -f "$kdir/built" ] || { echo "check.sh: no x86_64 kernel (run 'make kernel-x86')" >&2; exit 2; }
mdir=$("$top/tools/x86/modules.sh" dir)
[ -f "$mdir/dm-tesseract/dm-tesseract.ko" ] || { echo "check.sh: no x86_64 module (run 'make modules-x86')" >&2; exit 2; }

# run_boot NAME RUN [NAME=VALUE...]: boot once, RUN in it; its points.
run_boot() {
	local name=$1 run=$2 out=$work/$1 w v env=() t0 line
	shift 2
	echo "# $name"
	if [ -f "$run" ]; then
		# "# tess-boot:" settings (sizes, memory, timeout), unless the
		# caller's environment has them.
		for w in $(sed -n 's/^# tess-boot: //p' "$run"); do
			[[ "$w" =~ ^TESS_[A-Z_]+=[^\ ]*$ ]] || continue
			v=${w%%=*}
			[ -z "${!v:-}" ] || continue
			env+=("$w")
		done
	fi
	t0=$(date +%s)
	env "${env[@]}" "$top/tools/x86/boot.sh" "$out" "$run" "$@"
	rc=$?
	echo "# $name: $(($(date +%s) - t0)) s"
	grep -q '^\(not \)\?ok ' "$out/result.tap" 2>/dev/null ||
		point not_ok "$name: printed test results"
	while IFS= read -r line; do
		case "$line" in
		"not ok "*) point not_ok "$name: ${line#not ok * - }" ;;
		"ok "*) point ok "$name: ${line#ok * - }" ;;
		*) echo "$line" ;;
		esac
	done < <(cat "$out/result.tap" 2>/dev/null)
	point_if "$name: ran to its end" \
		"$([ -f "$out/end" ] || echo "it never returned to the init")"
	point_if "$name: QEMU powered off cleanly" "$(boot_fault "$out" "$rc" QEMU "${TESS_TIMEOUT:-900}")"
	point_if "$name: kernel log clean" "$(klog_bugs "$out")"
	point_if "$name: no shell errors" \
		"$(grep -E '^[^ ]+: line [0-9]+: ' "$out/stderr.txt" 2>/dev/null | head -n 10)"
	[ -f "$out/end" ] || tail -n 20 "$out/console.txt" 2>/dev/null | sed 's/^/#   console: /'
}

echo "TAP version 13"
echo "# kernel under test: $(cat "$kdir/built")"
for t in $tests; do
	case "$t" in *"$pattern"*) ;; *) continue ;; esac
	s=$top/tests/integration/$t.sh
	if [ ! -f "$s" ]; then
		point not_ok "$t: no such script"
	elif grep -q '^# tess-\(phases\|kill\):' "$s"; then
		point ok "$t # SKIP two boots or a host kill: not on x86 yet"
	else
		run_boot "$t" "$s"
	fi
done
if [ -n "${X86_KVM:-}" ]; then
	# The KVM guest: tools/vm/guest.sh's (built if it is not yet).
	if guest=$("$top/tools/vm/guest.sh" build); then
		X86_CPU=${X86_CPU:-max} TESS_MEM=${TESS_MEM:-1G} \
			run_boot kvm "$top/tests/x86/kvm.sh" x86_guest="$guest" \
			${KVM_RAM:+KVM_RAM=$KVM_RAM} ${KVM_COLD:+KVM_COLD=$KVM_COLD} \
			${KVM_HOT:+KVM_HOT=$KVM_HOT} ${KVM_HIGH:+KVM_HIGH=$KVM_HIGH}
	else
		point not_ok "kvm: the guest of tools/vm/guest.sh built"
	fi
fi
echo "1..$n"
[ -n "$keep" ] && echo "# logs kept in $work"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
