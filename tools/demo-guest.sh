#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test kernel for `make demo`.
set -e
D=/sys/kernel/debug/traceregion
T=/sys/kernel/debug/traceregion_test

say() { printf '\n=== %s\n' "$*"; }

echo "kernel: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs"
insmod ./traceregion.ko
insmod ./traceregion_test_client.ko
say "loaded traceregion.ko and a client; the client made two regions"
cat $D/stats

say "allocating for 2 s from a kthread and an hrtimer (hard IRQ) on every CPU into trt_drop"
echo load_start > $T/run
sleep 2
cat $D/stats
say "one region in detail: $D/trt_drop/stats"
cat $D/trt_drop/stats

say "echo 1 > $D/trt_drop/drop   (allocators still running)"
echo 1 > $D/trt_drop/drop
echo load_stop > $T/run
cat $D/stats
echo "client: $(grep -E 'on_drop_calls|load_errors' $T/status | tr '\n' ' ')"

say "a drop of a region without on_drop is refused"
echo 1 > $D/trt_noowner/drop 2>&1 || echo "(refused: Operation not permitted, as designed)"

say "quiet region, dropped again: every block freed or kept as a spare"
echo 1 > $D/trt_drop/drop
grep -E 'blocks_held|bytes_held|bytes_live|reserve_blocks|recycled|drops' $D/trt_drop/stats

rmmod traceregion_test_client
rmmod traceregion
say "unloaded; $D exists: $([ -e $D ] && echo yes || echo no)"
