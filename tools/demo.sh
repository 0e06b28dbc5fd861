#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - `make demo`: build traceregion.ko and a client, boot Debian's
# stock kernel under qemu, allocate from every CPU (process context and
# hard-IRQ hrtimers), and show /sys/kernel/debug/traceregion/stats before
# and after a drop requested through debugfs.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$(tr_kdir)
echo "demo: building the modules against $kdir"
make -s -C "$TR_TOP" KDIR="$kdir" modules >/dev/null

stage=$(mktemp -d /tmp/tr-demo.XXXXXX)
trap 'rm -rf "$stage"' EXIT
cp "$TR_TOP/traceregion.ko" \
   "$TR_TOP/selftests/traceregion/test_client/traceregion_test_client.ko" \
   "$TR_TOP/tools/demo-guest.sh" "$stage/"

echo "demo: booting the test kernel (qemu TCG, 2 CPUs)"
"$TR_TOP/tools/tr-vm" -d "$stage" -t 120 -l "$TR_TOP/.out/demo.log" -- \
	'sh ./demo-guest.sh' 2>&1 | grep -v '^\[ *[0-9.]*\] '
