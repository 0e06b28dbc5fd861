# SPDX-License-Identifier: GPL-2.0
#
# traceregion: out-of-tree kernel module.
#
#   make            build traceregion.ko against KDIR
#   make samples    traceregion.ko and the sample client
#   make tests      traceregion.ko, the sample, the test modules and the
#                   in-kernel benchmark (what make check, demo and bench use)
#   make check      everything the CI runs (see tools/check.sh)
#   make htmldocs   the documentation, HTML in .out/html (Sphinx)
#   make demo       boot the stock test kernel and show the allocator at work
#   make stress     the stress test in the debug kernel: every context at
#                   once, host-injected NMIs, injected block failures;
#                   STRESS_SECONDS (default 30) and STRESS_FAULT_PCT
#                   (default 10) tune it (see tools/run-stress)
#   make bench      benchmarks: user space (real CPU) and in-kernel (qemu);
#                   tables, CSV and plot in .out/bench/ (see tools/bench.sh)
#   make install    install traceregion.ko (modules_install, INSTALL_MOD_DIR
#                   updates), its headers and Module.symvers under
#                   /usr/src/traceregion-<version>/ for client modules
#   make clean
#
# KDIR defaults to the running kernel's build directory when it exists, else
# to the newest installed Debian 6.1 headers (linux-headers-amd64), else to
# any installed Debian headers.

KVER_RUNNING := $(shell uname -r)
KDIR ?= $(strip $(or $(wildcard /lib/modules/$(KVER_RUNNING)/build),\
	$(lastword $(shell ls -d /lib/modules/6.1.*-amd64/build 2>/dev/null | sort -V)),\
	$(lastword $(shell ls -d /lib/modules/*-amd64/build 2>/dev/null | sort -V))))

VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(CURDIR)/dkms.conf)
# Debian's headers answer "kernelrelease" with the upstream version; the
# release modules are installed for is the one compiled into the headers.
KREL = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h)
SRCDIR = $(DESTDIR)/usr/src/traceregion-$(VERSION)

all: modules

modules: check-kdir
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

check-kdir:
	@test -n "$(KDIR)" || { echo "no kernel headers: apt-get install linux-headers-amd64, or set KDIR"; exit 1; }
	@test -f "$(KDIR)/Makefile" || { echo "$(KDIR): no kernel headers there: apt-get install linux-headers-$(notdir $(patsubst %/,%,$(dir $(KDIR:/=)))) (other suites and architectures: eval \"\$$(tools/tr-kernel NAME)\", see README)"; exit 1; }

samples tests: check-kdir
	$(MAKE) -C $(KDIR) M=$(CURDIR) TR_BUILD=$@ modules

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	install -D -m 0644 region_alloc.h $(SRCDIR)/region_alloc.h
	install -D -m 0644 region_compat.h $(SRCDIR)/region_compat.h
	install -D -m 0644 Module.symvers $(SRCDIR)/symvers/$(KREL)/Module.symvers
	$(if $(DESTDIR),,depmod -a $(KREL))

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) TR_BUILD=tests clean; fi
	rm -f selftests/traceregion/traceregion_test
	rm -rf .out

check:
	tools/check.sh

# The documentation as HTML in .out/html (Sphinx, checked as make check
# does: tools/check-docs).
htmldocs:
	tools/check-docs -o $(CURDIR)/.out/html

demo:
	tools/demo.sh

bench:
	KDIR="$(KDIR)" tools/bench.sh

STRESS_SECONDS ?= 30
STRESS_FAULT_PCT ?= 10
stress:
	tools/run-stress -s $(STRESS_SECONDS) -f $(STRESS_FAULT_PCT)

.PHONY: all modules samples tests check-kdir install clean check htmldocs demo bench stress
