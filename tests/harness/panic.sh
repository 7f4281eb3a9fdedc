# SPDX-License-Identifier: GPL-2.0
# Harness self-test: a kernel that dies mid-script fails it three ways.
# expect: not_ok panic: ran to its end
# expect: not_ok panic: UML powered off cleanly
# expect: not_ok panic: kernel log clean
ok "a point before the crash"
echo c > /proc/sysrq-trigger
ok "after the crash"
