#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench-guest.sh - runs inside the test kernel (busybox sh), started by
# tools/bench.sh through tools/tr-vm: loads traceregion.ko and the benchmark
# module with the given parameters (the benchmark runs at load) and prints
# its results between TRB-BEGIN and TRB-END.
#
# Usage (in the guest): sh ./bench-guest.sh [objs=N] [reps=N] [sizes=A,B,...]

set -e
# (tools/tr-vm keeps two probes on sched_switch for the whole run.)
insmod ./traceregion.ko
insmod ./traceregion_bench.ko "$@"
echo TRB-BEGIN
cat /sys/kernel/debug/traceregion_bench/results
echo TRB-END
rmmod traceregion_bench
rmmod traceregion
