# SPDX-License-Identifier: GPL-2.0
#
# Tesseract for Linux/KVM.  `make help` lists the targets.
#
# The kernel under test is User-Mode Linux built from Debian's
# linux-source-6.12 with mm-hooks/ applied, in a cache outside the clone
# (TESSERACT_CACHE, default ~/.cache/tesseract).  The module is built out of
# tree against it.

KERNEL_SH := tools/uml/kernel.sh
KDIR = $(shell $(KERNEL_SH) dir)/build

.PHONY: help deps kernel modules tools kunit check lint test test-debug bench checkpatch sparse clean

help:
	@echo "make deps        install build and test dependencies (apt), idempotent"
	@echo "make kernel      build the patched UML kernel (cached)"
	@echo "make modules     build dm-tesseract.ko (and the test modules) against it"
	@echo "make tools       build the test and benchmark programs"
	@echo "make kunit       KUnit suites, in UML"
	@echo "make check       integration tests, in UML"
	@echo "make lint        checkpatch --strict and sparse, as tests"
	@echo "make test        lint + kunit + check + a short real guest, one TAP report"
	@echo "make test-debug  kunit + check on the debug kernel (KASAN, kmemleak, ...)"
	@echo "make bench       the main job: benchmark, baseline vs Tesseract"
	@echo "make check-vm    a real QEMU/TCG guest on a tesseract disk, baseline vs Tesseract"
	@echo "make kernel-x86  build the patched x86_64 host kernel (cached)"
	@echo "make modules-x86 build dm-tesseract.ko against it (in its cache)"
	@echo "make check-x86   pool, disk, swap and reconcile tests on it, QEMU TCG"
	@echo "make checkpatch  checkpatch.pl --strict on our C files"
	@echo "make sparse      rebuild the module under sparse"

deps:
	@tools/deps.sh

kernel: deps
	@$(KERNEL_SH) build > /dev/null

modules: kernel
	@$(MAKE) -s -C $(KDIR) M=$(CURDIR) ARCH=um modules

TESS_CHECK := $(addprefix tools/tess-check/,tess_check tess_dump tess_poke)

tools: tools/memtouch/memtouch tools/vmsim/vmsim tools/swapwrite/swapwrite \
	$(TESS_CHECK)
tools: tools/crashwrite/crashwrite tools/log-replay/log-replay

tools/crashwrite/crashwrite: tools/crashwrite/crashwrite.c tools/include/page-out.h
	@$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

tools/log-replay/log-replay: tools/log-replay/log-replay.c
	@$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

tools/memtouch/memtouch: tools/memtouch/memtouch.c
	@$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

tools/swapwrite/swapwrite: tools/swapwrite/swapwrite.c tests/kvmlike/kvmlike.h \
		tools/include/page-out.h
	@$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

TESS_CHECK_LIB := tools/tess-check/tess-md.c tools/tess-check/crc32c.c
TESS_CHECK_HDR := tools/tess-check/tess-md.h tools/tess-check/crc32c.h

$(TESS_CHECK): %: %.c $(TESS_CHECK_LIB) $(TESS_CHECK_HDR)
	@$(CC) -O2 -Wall -Wextra -Werror -o $@ $< $(TESS_CHECK_LIB)

tools/vmsim/vmsim: tools/vmsim/vmsim.c
	@$(CC) -O2 -Wall -Wextra -Werror -pthread -o $@ $<

kunit: modules
	@tests/run kunit

check: modules tools
	@tests/run check $(T)

lint: modules
	@tests/run lint

test: modules tools
	@tests/run all $(T)

# The same suites on the debug kernel (tests/uml-debug.config), the module
# rebuilt against it, and the fuzzer at its full count.  Lint is the same
# code as in `make test`, so it is not run twice.  The crash replay takes
# 150 points there: 500 do not fit in its 900 s under KASAN.
test-debug: deps tools
	@TESS_KERNEL=debug $(MAKE) -s modules
	@TESS_KERNEL=debug FUZZ_COUNT=$${FUZZ_COUNT:-10000} \
		CRASH_POINTS=$${CRASH_POINTS:-150} \
		TESS_TIMEOUT=$${TESS_TIMEOUT:-900} tests/run suites $(T)

bench: modules tools
	@tools/bench/run

# A real guest (Debian's kernel, busybox, dpwork) under QEMU TCG in the UML
# host, its swap on a tesseract disk: tools/vm/check-vm.  E=ENGINE... picks
# QEMU aio engines (default: threads native io_uring).
.PHONY: check-vm
check-vm: modules
	@tools/vm/check-vm $(E)

checkpatch: kernel
	@$(KDIR)/../src/scripts/checkpatch.pl --strict --no-tree --quiet \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f \
		$(filter-out %.mod.c,$(wildcard dm-tesseract/*.[ch] tools/*/*.c \
		tests/kvmlike/*.[ch] tests/dm-model/*.[ch]))

sparse: kernel
	@$(MAKE) -s -C $(KDIR) M=$(CURDIR) ARCH=um C=2 modules

clean:
	@[ ! -d "$(KDIR)" ] || $(MAKE) -s -C $(KDIR) M=$(CURDIR) ARCH=um clean
	@rm -f tools/memtouch/memtouch tools/vmsim/vmsim tools/swapwrite/swapwrite \
		$(TESS_CHECK) tools/crashwrite/crashwrite tools/log-replay/log-replay

# The x86_64 host kernel (Debian's source, mm-hooks, tests/x86/x86.config
# over defconfig), cached beside the UML one, the module against it (built
# from a copy in that cache, not in the tree), and the integration tests on
# it under QEMU TCG: tools/x86/*, Documentation/x86-host.rst.  T=PATTERN
# picks scripts; X86_KVM=1 adds a KVM guest on a tesseract disk.
.PHONY: kernel-x86 modules-x86 check-x86

kernel-x86: deps
	@tools/x86/kernel.sh build > /dev/null

modules-x86: kernel-x86
	@tools/x86/modules.sh build > /dev/null

check-x86: modules-x86 tools
	@tools/x86/check.sh $(T)
