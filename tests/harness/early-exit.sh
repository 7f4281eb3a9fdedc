# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a script that exits before its end must fail, even
# though every point it printed passed.
# expect: ok early-exit: a point before the exit
# expect: not_ok early-exit: ran to its end
ok "a point before the exit"
exit 0
