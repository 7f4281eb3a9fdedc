# SPDX-License-Identifier: GPL-2.0
# Harness self-test, the control: a script that does nothing wrong gets
# every point the runner adds, passed.
# expect: ok clean: a point
# expect: ok clean: ran to its end
# expect: ok clean: UML powered off cleanly
# expect: ok clean: kernel log clean
# expect: ok clean: no shell errors
ok "a point"
