# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a bug report in the kernel log fails the script.  The
# line is injected through /dev/kmsg: this checks the log is read and
# matched, not that the kernel can warn.
# expect: ok warning: ran to its end
# expect: ok warning: UML powered off cleanly
# expect: not_ok warning: kernel log clean
echo "<4>WARNING: CPU: 0 PID: 1 at harness-selftest" > /dev/kmsg
ok "a point after the warning"
