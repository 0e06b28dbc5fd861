#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - `make demo`: build traceregion.ko and the sample
# traceregion_stacks.ko, boot Debian's stock kernel under qemu, run a
# scheduler-heavy workload and show the sample's per-generation stack
# tables and /sys/kernel/debug/traceregion/stats across several
# generations, a drop requested through debugfs and an unload under load.
# Takes about 20 s.

set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$(tr_kdir)
echo "demo: building the modules against $kdir"
make -s -C "$TR_TOP" KDIR="$kdir" samples >/dev/null

stage=$(mktemp -d /tmp/tr-demo.XXXXXX)
trap 'rm -rf "$stage"' EXIT
cp "$TR_TOP/traceregion.ko" "$TR_TOP/samples/traceregion_stacks.ko" \
   "$TR_TOP/tools/demo-guest.sh" "$stage/"

mkdir -p "$TR_TOP/.out"
echo "demo: booting the test kernel (qemu TCG, 2 CPUs)"
"$TR_TOP/tools/tr-vm" -d "$stage" -t 120 -l "$TR_TOP/.out/demo.log" -- \
	'sh ./demo-guest.sh' 2>&1 | grep -v '^\[ *[0-9.]*\] '
