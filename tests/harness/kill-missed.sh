# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a first boot that asked to be killed but never
# created its marker (it ended first) fails that point.
# tess-phases: 2
# tess-kill: ready 100
# expect: not_ok kill-missed: phase 1: killed as asked
# expect: ok kill-missed: phase 1: ran to its end
# expect: ok kill-missed: ran to its end
ok "nothing to do in phase $tess_phase"
