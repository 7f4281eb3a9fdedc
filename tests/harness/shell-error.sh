# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a command bash cannot run fails the script.
# expect: not_ok shell-error: no shell errors
# expect: ok shell-error: ran to its end
tess_no_such_command_here
ok "went on after the error"
