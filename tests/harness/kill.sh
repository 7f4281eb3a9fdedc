# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a two-phase script killed in its first boot, as it
# asked, passes: the kill is no failure, the second boot finds the
# images and the state the first one kept, and gets the usual points.
# tess-phases: 2
# tess-kill: ready 300
# expect: ok kill: phase 1: killed as asked
# expect: ok kill: phase 1: a point before the kill
# expect: ok kill: phase 1: kernel log clean
# expect: ok kill: phase 1: no shell errors
# expect: ok kill: phase 2 finds the state phase 1 kept
# expect: ok kill: phase 2 finds the data phase 1 wrote
# expect: ok kill: ran to its end
# expect: ok kill: UML powered off cleanly
# expect: ok kill: kernel log clean
# expect: ok kill: no shell errors
if [ "$tess_phase" = 1 ]; then
	ok "a point before the kill"
	echo kept > "$tess_state/kept"
	echo phase1data | dd of=/dev/ubda bs=512 conv=sync oflag=direct status=none
	sync
	touch "$tess_out/ready"
	sleep 30
	not_ok "the kill came"
else
	check_eq "phase 2 finds the state phase 1 kept" "$(cat "$tess_state/kept")" kept
	check_eq "phase 2 finds the data phase 1 wrote" \
		"$(dd if=/dev/ubda bs=512 count=1 iflag=direct status=none | tr -d '\0')" phase1data
fi
