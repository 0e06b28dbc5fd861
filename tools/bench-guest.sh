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
# Keep sched_switch at two probes or more for the whole run (the trace
# event, with a filter that drops every record, plus the comm recorder it
# brings along), so that the benchmark's own probe never makes the kernel
# live-patch the tracepoint's call sites: under TCG that text_poke_bp()
# has been seen to hang in its IPI wait or hit a stale int3.
ev=/sys/kernel/tracing/events/sched/sched_switch
echo "prev_pid < 0" >$ev/filter && echo 1 >$ev/enable || :
insmod ./traceregion.ko
insmod ./traceregion_bench.ko "$@"
echo TRB-BEGIN
cat /sys/kernel/debug/traceregion_bench/results
echo TRB-END
rmmod traceregion_bench
rmmod traceregion
