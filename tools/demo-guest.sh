#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test kernel for `make demo`: the sample traceregion_stacks
# interning kernel stacks on sched_switch, one region per generation parity.
set -e
D=/sys/kernel/debug/traceregion
S=/sys/kernel/debug/traceregion_stacks

say() { printf '\n=== %s\n' "$*"; }
val() { sed -n "s/^$2: //p" "$1"; }

# One line per finished generation, from the sample's top file.
gen_line() {
	printf 'generation %s (%s): %s events, %s stacks interned, %s lost, %s block(s), %s vmalloc / %s vfree calls, %s debugfs drop(s)\n' \
		"$(val $S/top generation)" "$(val $S/top region)" \
		"$(val $S/top events)" "$(val $S/top interned)" \
		"$(val $S/top lost)" "$(val $S/top region_blocks)" \
		"$(val $S/top vmalloc_calls)" "$(val $S/top vfree_calls)" \
		"$(val $S/top debugfs_drops)"
}

# Wait for generation $1 to finish, printing each one that does.
seen=0
wait_gen() {
	while :; do
		now=$(val $S/stats finished)
		if [ "$now" != "$seen" ]; then
			gen_line
			seen=$now
		fi
		[ "$now" -le "$1" ] || break
		sleep 0.1
	done
}

echo "kernel: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs"

say "load traceregion.ko, then the sample traceregion_stacks.ko"
insmod ./traceregion.ko
insmod ./traceregion_stacks.ko top=4 depth=8
cat <<EOF
The sample probes the sched_switch tracepoint.  On every context switch it
saves the kernel stack and interns it in the hash table of the current
generation: a known stack gets its hit count bumped, a new one gets a node
from region_gen_alloc(GFP_NOWAIT) in that table's region.  A generation
set "stacks" holds two regions (stacks-0, stacks-1), one per table, used in
turn.  Every second a work item calls region_gen_advance(): the next
generation starts, the set waits until no probe can touch the old table,
the sample's flush keeps its top stacks, and the set drops its region.
Parameters: $(grep -E '^(period_ms|depth|top):' $S/stats | tr '\n' ' ')
EOF
say "$D/stats right after load"
cat $D/stats
echo "stacks-0 holds generation 0's table and is filling up; stacks-1"
echo "waits for generation 1.  Each keeps 4 spare blocks for the probes."

# Niced, so that this script keeps up with the generations under TCG.
pids=
bg() {
	sh -c "renice -n $1 -p \$\$ >/dev/null; $2" &
	pids="$pids $!"
}
say "workload: 2 busy loops, a fork/sleep loop, a pipe (dd | cat)"
bg 19 'while :; do :; done'
bg 19 'while :; do :; done'
bg 10 'while :; do usleep 2000; done'
bg 10 'while :; do dd if=/dev/zero bs=4k count=5000 2>/dev/null | cat >/dev/null; done'
wait_gen 1

say "$S/top: the last finished generation, top stacks by hits"
cat $S/top

say "$D/stats: the live region holds blocks, the other was just dropped"
cat $D/stats
echo "A drop frees every node of a table at once; its blocks go back to the"
echo "region's spares, ready for the next generation of that parity."

say "two more generations"
wait_gen 3

live=stacks-$(($(val $S/stats generation) % 2))
say "echo 1 > $D/$live/drop  (the live table's region, probes running)"
echo 1 > $D/$live/drop
echo "on_drop made the table forget its entries first; events that came"
echo "during the drop found no memory and were counted as lost."
grep -E "^(name|allocs|drops|fail_dropping|on_drop|gen_current|gen_slot):" $D/$live/stats |
	tr '\n' ' '
echo
wait_gen 5

say "$S/stats: totals since load"
cat $S/stats
calls() {
	echo $(($(val $D/stacks-0/stats vmalloc_calls) + $(val $D/stacks-1/stats vmalloc_calls)))
}
before=$(calls)
wait_gen 6
if [ "$(calls)" = "$before" ]; then
	echo "steady state: the last generation made no vmalloc call."
else
	echo "note: the last generation still made vmalloc calls: the regions"
	echo "are still warming up, or a generation needs more than the reserve."
fi

say "rmmod traceregion_stacks while the workload still runs"
rmmod traceregion_stacks
# shellcheck disable=SC2086 # a list of pids
kill $pids 2>/dev/null || :
wait 2>/dev/null || :
cat $D/stats
rmmod traceregion
say "unloaded; $D exists: $([ -e $D ] && echo yes || echo no)"
