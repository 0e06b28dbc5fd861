#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# stress-guest.sh - the guest side of tools/run-stress (busybox sh, in the
# tr-vm initramfs, from /opt/tr).  Environment: SECONDS_RUN (length of the
# run), FAULT_PCT (share of block allocations to fail, when the kernel has
# fault injection), NMI (1 when the host injects NMIs), KMEMLEAK (0 when
# the caller runs kmemleak-check itself, after more tests).
#
# Prints KTAP: the stress module's verdicts, then the unload and, unless
# KMEMLEAK=0, the kmemleak scan after it.  Between STRESS-NMI-ON and
# STRESS-NMI-OFF the host injects NMIs.

D=/sys/kernel/debug/traceregion_stress
F=/sys/kernel/debug/fail_traceregion
T=/sys/kernel/debug/traceregion

[ "${KMEMLEAK:-1}" = 0 ] || sh ./kmemleak-check clear
# (tools/tr-vm keeps two probes on sched_switch for the whole run.)
# No kprobe jump optimisation: the optimiser would rewrite the re-entry
# torture's hot probe sites (_raw_spin_lock, ...) with a jump from a
# worker while the stress runs, and under TCG such live patching of code
# other CPUs run through has crashed guests (RIP 0 in a softirq); the
# probes stay int3 or ftrace based, patched once, before the run.
opt=/proc/sys/debug/kprobes-optimization
[ ! -w $opt ] || echo 0 >$opt

insmod ./traceregion.ko || exit 1
# The re-entry torture live-patches the kernel's hottest paths (the lock
# functions, lockdep's lock and the irq tracepoints) when it arms.  In the
# KCSAN kernel, whose watchpoints stall every CPU for microseconds, that
# has crashed the guest under TCG (a tick on the idle CPU jumping to 0
# just after arming, 2 runs of 3): there the stress runs without it, and
# the torture runs in the other kernels.
args=
if [ -e /sys/kernel/debug/kcsan ]; then
	args=reentry=0
	echo "# reentry: off in the KCSAN kernel (live patching under TCG)"
fi
insmod ./traceregion_stress.ko $args || exit 1

times=1000000
faults=
if [ -d $F ] && [ "${FAULT_PCT:-0}" -gt 0 ]; then
	echo 0 >$F/verbose
	echo "$FAULT_PCT" >$F/probability
	echo $times >$F/times
	# Spare the 16 blocks the run's four regions (two plain ones, the
	# generation set's two) fill their reserves with (region_create()
	# would fail): "space" lets that many bytes of block allocations
	# through before faults start.
	echo $((16 * 65536 + 1)) >$F/space
	faults=1
fi

# The re-entry probes are armed before the host's NMIs start and disarmed
# after they stop: under TCG an NMI that ran through code being patched
# (the host's NMIs take nmi_reason_lock, a probed lock) has jumped to 0.
echo 1 >$D/arm || exit 1
echo STRESS-NMI-ON
# debugfs drops of every region meanwhile, the generation set's included,
# as an operator would do them.
rm -f /tmp/stress-stop
(
	n=0
	while [ ! -e /tmp/stress-stop ]; do
		for r in trst_shared trst_percpu trst_gen-0 trst_gen-1; do
			echo 1 2>/dev/null >$T/$r/drop && n=$((n + 1))
		done
		usleep 37000
	done
	echo "$n" >/tmp/stress-debugfs-drops
) &
start=$(date +%s)
echo "$SECONDS_RUN" >$D/run
rc=$?
end=$(date +%s)
touch /tmp/stress-stop
wait
echo STRESS-NMI-OFF
echo "stress: ran $((end - start)) s, run status $rc, $(cat /tmp/stress-debugfs-drops) debugfs drops written"
# The host's last NMIs land before the probes are disarmed.
sleep 1
echo 1 >$D/disarm || rc=1

check=check
[ "${NMI:-0}" = 1 ] && check="$check nmi"
if [ -n "$faults" ]; then
	echo 0 >$F/probability
	check="$check injected=$((times - $(cat $F/times)))"
fi
echo "$check" >$D/check || rc=1
cat $D/result >/tmp/stress-result
n=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' /tmp/stress-result)
echo "TAP version 13"
grep -v '^1\.\.' /tmp/stress-result
grep -q '^not ok' /tmp/stress-result && rc=1
n=$((${n:-0} + 1))
what="modules unloaded, no kmemleak report"
[ "${KMEMLEAK:-1}" != 0 ] || what="modules unloaded"
if rmmod traceregion_stress && rmmod traceregion &&
   { [ "${KMEMLEAK:-1}" = 0 ] || sh ./kmemleak-check report; }; then
	echo "ok $n stress: $what"
else
	echo "not ok $n stress: $what"
	rc=1
fi
echo "1..$n"
exit $rc
