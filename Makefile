# SPDX-License-Identifier: GPL-2.0
#
# traceregion: out-of-tree kernel module.
#
#   make            build traceregion.ko and the selftest client against KDIR
#   make check      everything the CI runs (see tools/check.sh)
#   make demo       boot the stock test kernel and show the allocator at work
#   make clean
#
# KDIR defaults to the running kernel's build directory when it exists, else
# to the newest installed Debian headers.

KVER_RUNNING := $(shell uname -r)
KDIR ?= $(strip $(if $(wildcard /lib/modules/$(KVER_RUNNING)/build),\
	/lib/modules/$(KVER_RUNNING)/build,\
	$(lastword $(sort $(wildcard /lib/modules/*-amd64/build)))))

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no kernel headers: apt-get install linux-headers-amd64, or set KDIR"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	$(MAKE) -C selftests/traceregion clean KSFT_DIR=/nonexistent 2>/dev/null || true
	rm -rf .out

check:
	tools/check.sh

demo:
	tools/demo.sh

.PHONY: all modules clean check demo
