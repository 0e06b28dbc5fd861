#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - what `make check` and CI run, from a fresh Debian 12 machine:
# installs what is missing, then
#   - builds the modules with W=1 (0 warnings), sparse C=2 (0 warnings),
#   - checkpatch.pl --strict (0 errors, warnings or checks),
#   - kernel-doc -none -Werror on the sources, and the documentation
#     (tools/check-docs: sphinx-build -W, the kernel's kerneldoc extension),
#   - builds the kselftest program (0 warnings),
#   - runs the kselftest suite in Debian's stock 6.1 kernel under qemu;
#     every KTAP result of the suite counts, and any checker report in the
#     kernel log (WARNING:, BUG:, lockdep, ...) fails the run,
#   - the benchmarks once at tiny sizes, user space and in the stock 6.1
#     kernel (tools/bench.sh --smoke; no timing judged),
#   - the DKMS path (dkms add/build/install, a client built from what it
#     installed) for 6.1 and 6.12,
#   - every other kernel tools/tr-kernel knows (TR_KERNELS, default all:
#     bookworm's 6.12 and 6.12 PREEMPT_RT, bullseye's 5.10, sid's release
#     and its PREEMPT_RT flavour, experimental's -rc, bookworm's 6.1 on
#     arm64 and on 32-bit x86): a W=1 build of every module against it,
#     the symbol namespace checked in the result, and the kselftest suite
#     in it booted; the stress test follows the suite in the PREEMPT_RT
#     kernels (TR_RT_STRESS_SECONDS, default 15),
#   - the debug test kernel (tools/build-debug-kernel, cached): the suite
#     again under KASAN, lockdep, UBSAN, kmemleak..., followed in the same
#     guest by the stress test (tools/run-stress; TR_STRESS_SECONDS,
#     default 30): every context at once, NMIs injected from the host, a
#     share of block allocations failing; every verdict counts.  Then the
#     KUnit test build against that kernel with CONFIG_FAULT_INJECTION
#     (and what depends on it) forced off, and the KUnit suite
#     (tools/run-kunit); every KUnit case counts.
#   - the KCSAN test kernel (tools/build-debug-kernel -f kcsan, cached;
#     KCSAN excludes KASAN, so it is a second kernel): the suite, the
#     stress test (TR_KCSAN_STRESS_SECONDS, default 20) and KUnit again,
#     labelled "kcsan ...", and "kcsan: 0 data-race reports" over their
#     guest logs.  TR_KCSAN=0 skips this section (one skip counted).
# TR_CHECK="static stock kernels debug kcsan" (any subset; default all)
# runs only those sections, to run a part locally: static (builds, sparse,
# checkpatch, kernel-doc, docs), stock (the 6.1 guest, bench smoke,
# DKMS), kernels (every other kernel of tools/tr-kernel, or those
# TR_KERNELS names), debug (KASAN kernel: suite, stress, KUnit), kcsan.
# Logs go to .out/.  The last line is "check: N passed, N failed, N skipped".

set -uo pipefail
. "$(dirname "$0")/lib.sh"

out=$TR_TOP/.out
mkdir -p "$out"
pass=0 failed=0 skipped=0
start=$(date +%s)

ok() { pass=$((pass + 1)); echo "check: ok   $*"; }
bad() { failed=$((failed + 1)); echo "check: FAIL $*"; }

# check_clean NAME LOG: pass when the command succeeded and LOG has no
# warning or error line.
check_clean() {
	local name=$1 log=$2 rc=$3

	if [ "$rc" -eq 0 ] && ! grep -Eiq 'warning:|error:' "$log"; then
		ok "$name"
	else
		bad "$name (see $log)"
		grep -Ei 'warning:|error:' "$log" | head -n 20
	fi
}

echo "check: installing what is missing"
for p in gcc make perl libc6-dev bc flex bison libelf-dev dwarves; do
	tr_need "$p"
done
tr_need sparse sparse
kdir=$(tr_kdir)
ksrc=$(tr_ksrc)
[ -d "$kdir" ] || { bad "kernel headers ($kdir)"; exit 1; }
echo "check: KDIR=$kdir"

csrc=(region_alloc.c region_alloc.h
      selftests/traceregion/test_client/traceregion_test_client.c
      selftests/traceregion/test_client/traceregion_test_owner.c
      selftests/traceregion/traceregion_test.c
      kunit/region_alloc_test.c
      bench/kernel/traceregion_bench.c
      samples/traceregion_stacks.c
      selftests/traceregion/traceregion_stacks_test.c
      selftests/traceregion/tr_util.h
      selftests/traceregion/stress/trst_main.c
      selftests/traceregion/stress/trst_reentry.c
      selftests/traceregion/stress/trst.h)

cd "$TR_TOP" || exit 1

# ns_check LABEL: after a build, every export of traceregion.ko is in the
# TRACEREGION namespace (Module.symvers) and the test client imports that
# name (modinfo), whatever the kernel's namespace macros do.
ns_check() {
	local stray imp

	# The trace events' tracepoints are exported the kernel's way,
	# without a namespace.
	stray=$(awk -F'\t' '$3 ~ /\/traceregion$/ && $5 != "TRACEREGION" &&
			   $2 !~ /^__(tracepoint|traceiter|SCK__|SCT__)/ { print $2 }' \
		"$TR_TOP/Module.symvers")
	imp=$(modinfo -F import_ns \
	      "$TR_TOP/selftests/traceregion/test_client/traceregion_test_client.ko")
	if [ -z "$stray" ] && [ "$imp" = TRACEREGION ] &&
	   grep -Pq '\tregion_alloc\t.*\tTRACEREGION$' "$TR_TOP/Module.symvers"; then
		ok "$1: exports in namespace TRACEREGION, the client imports it"
	else
		bad "$1: namespace: exports outside TRACEREGION: '${stray//$'\n'/ }', client imports '$imp'"
	fi
}

# want SECTION: TR_CHECK (a space-separated subset of "static stock
# kernels debug kcsan"; empty or unset: all) asks for SECTION.  A section left out is
# counted as one skip.
want() {
	if [ -z "${TR_CHECK:-}" ] || [[ " $TR_CHECK " == *" $1 "* ]]; then
		return 0
	fi
	skipped=$((skipped + 1))
	echo "check: skip $1 (TR_CHECK=$TR_CHECK)"
	return 1
}
kver61=$(basename "$(dirname "$kdir")")

if want static; then
	# Plain make builds traceregion.ko alone; the rest is opt-in.
	make -s -C "$kdir" M="$TR_TOP" TR_BUILD=tests clean >/dev/null 2>&1
	order=
	make -C "$TR_TOP" KDIR="$kdir" modules >"$out/build-plain.log" 2>&1 &&
		order=$(sed 's|.*/||' "$TR_TOP/modules.order" | tr '\n' ' ')
	case "$order" in
	"traceregion.ko " | "traceregion.o ")
		ok "make builds traceregion.ko alone" ;;
	*)	bad "make builds traceregion.ko alone: '$order' (see $out/build-plain.log)" ;;
	esac

	make -s -C "$kdir" M="$TR_TOP" TR_BUILD=tests clean >/dev/null 2>&1
	make -C "$kdir" M="$TR_TOP" TR_BUILD=tests W=1 modules >"$out/build-w1.log" 2>&1
	check_clean "build W=1" "$out/build-w1.log" $?
	ns_check 6.1

	make -s -C "$kdir" M="$TR_TOP" TR_BUILD=tests clean >/dev/null 2>&1
	make -C "$kdir" M="$TR_TOP" TR_BUILD=tests C=2 modules >"$out/sparse.log" 2>&1
	check_clean "sparse C=2" "$out/sparse.log" $?

	"$ksrc/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
		-f "${csrc[@]}" >"$out/checkpatch.log" 2>&1
	# The headers whose very job trips checkpatch: TRACE_EVENT() layout
	# (as in every include/trace/events/ header) and the compat headers'
	# version tests.  Everything else in them is checked.
	"$ksrc/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
		--ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT -f region_trace.h >>"$out/checkpatch.log" 2>&1
	"$ksrc/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
		--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f region_compat.h \
		selftests/traceregion/tr_kcompat.h \
		>>"$out/checkpatch.log" 2>&1
	if grep -Eq ': (ERROR|WARNING|CHECK):' "$out/checkpatch.log"; then
		bad "checkpatch --strict (see $out/checkpatch.log)"
		grep -E ': (ERROR|WARNING|CHECK):' "$out/checkpatch.log" | head -n 20
	else
		ok "checkpatch --strict"
	fi

	"$ksrc/scripts/kernel-doc" -none -Werror region_alloc.c region_alloc.h \
		samples/traceregion_stacks.c \
		>"$out/kernel-doc.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && [ ! -s "$out/kernel-doc.log" ]; then
		ok "kernel-doc"
	else
		bad "kernel-doc (see $out/kernel-doc.log)"
		head -n 20 "$out/kernel-doc.log"
	fi

	# Documentation/ renders without a warning, the API reference included,
	# and keeps up with the code (tools/check-docs).
	if tools/check-docs >"$out/docs.log" 2>&1; then
		ok "documentation: sphinx-build -W, kernel-doc clean, up to date with the code"
	else
		bad "documentation (see $out/docs.log)"
		grep -v '^check-docs: ok ' "$out/docs.log" | tail -n 20
	fi

	make -C selftests/traceregion KSFT_DIR="$ksrc/tools/testing/selftests" \
		clean all >"$out/selftest-build.log" 2>&1
	check_clean "selftest build" "$out/selftest-build.log" $?
fi

# count_ktap LABEL: every KTAP result on stdin ("ok N ...", "not ok N ...",
# "ok N ... # SKIP") counts as one check named "LABEL: N ...".
count_ktap() {
	local line

	while read -r line; do
		case "$line" in
		"ok "*"# SKIP"*)
			skipped=$((skipped + 1))
			echo "check: skip $1: ${line#ok }" ;;
		"ok "*)		ok "$1: ${line#ok }" ;;
		"not ok "*)	bad "$1: ${line#not ok }" ;;
		esac
	done
}

# run_suite LABEL KVER KDIR [tr-vm options...]: build against KDIR, run the
# kselftest suite in the test kernel, count every inner KTAP result.  With
# TR_KNAME in the environment, the kernel is that of tools/tr-kernel.
run_suite() {
	local label=$1 kver=$2 kd=$3 log=$out/selftests-$1.log vm_rc t0
	shift 3

	echo "check: running the kselftest suite in the $label kernel ($kver)"
	t0=$(date +%s)
	KVER=$kver KDIR=$kd tools/run-selftests -l "$log" "$@" \
		>"$out/selftests-$label.out" 2>&1
	vm_rc=$?
	echo "check: $label: the guest took $(( $(date +%s) - t0 )) s"
	suite_verdicts "$label" "$vm_rc"
}

# suite_verdicts LABEL VM_RC: the suite's results in
# $out/selftests-LABEL.log: every inner KTAP result ("# ok N ..."), the
# runner's verdict, and the guest's (run-selftests' exit status VM_RC).
suite_verdicts() {
	local label=$1 log=$out/selftests-$1.log

	count_ktap "$label" < <(sed -n 's/^# \(\(not \)\{0,1\}ok [0-9]\{1,\} \)/\1/p' "$log")
	if grep -q '^not ok [0-9]* selftests: ' "$log" ||
	   ! grep -q '^ok [0-9]* selftests: ' "$log"; then
		bad "$label: kselftest runner verdict (see $log)"
		grep -E '^(not )?ok [0-9]* selftests: ' "$log"
	fi
	if [ "$2" -ne 0 ]; then
		bad "$label: kernel log clean, guest finished (see $log)"
		grep -E '^(tr-vm|run-selftests):' "$out/selftests-$label.out" | head -n 20
	else
		ok "$label: kernel log clean, guest finished"
	fi
}

if want stock; then
	TR_KNAME=6.1 run_suite 6.1 "$kver61" "$kdir"

	# The benchmarks, once at tiny sizes: they build, run and give sane,
	# non-zero figures (tools/bench.sh --smoke).  Nothing is timed here;
	# the figures come from `make bench`.
	if KDIR="$kdir" tools/bench.sh --smoke >"$out/bench-smoke.log" 2>&1; then
		ok "bench smoke: user space and in-kernel benchmarks ran"
	else
		bad "bench smoke (see $out/bench-smoke.log)"
		tail -n 20 "$out/bench-smoke.log"
	fi

	# For the DKMS check below; the 6.12 guest is in the kernels section.
	kver612=$(eval "$(tools/tr-kernel 6.12)" && echo "$KVER") || {
		bad "Debian 6.12 headers not found in the archive"
		kver612=
	}

	if tools/dkms-check "$kver61" $kver612 >"$out/dkms.log" 2>&1; then
		ok "dkms add/build/install, client build ($kver61 $kver612)"
	else
		bad "dkms (see $out/dkms.log)"
		tail -n 20 "$out/dkms.log"
	fi
fi

# count_stress LABEL LOG: the stress test ran after the suite in the same
# guest (TR_STRESS in tools/run-selftests): every context at once,
# host-injected NMIs, a share of block allocations failing
# (tools/run-stress).  Each of its verdicts in LOG counts as "LABEL: N
# ...", and it must have run to the end.
count_stress() {
	count_ktap "$1" < <(sed -n 's/^\(\(not \)\{0,1\}ok [0-9]\{1,\} \)stress: /\1/p' "$2")
	grep -q '^ok [0-9]* stress: modules unloaded' "$2" ||
		bad "$1: ran to the end (see $2)"
}

# The other kernels (tools/tr-kernel): for each, every module built with
# W=1 against it and the kselftest suite in it booted; the stress test
# follows the suite in the PREEMPT_RT kernels (TR_RT_STRESS_SECONDS,
# default 15).  TR_KERNELS picks a subset.  While one kernel's guest runs,
# the next kernel's modules build (run-selftests: TR_STAGED says when the
# tree is free again, TR_GUEST_LOCK keeps to one guest at a time).
kernels_all="6.12 6.12-rt 5.10 stable stable-rt next arm64 686"

# kernel_start NAME: fetch the kernel, build against it and stage its guest
# in the background; judge the build once it is staged.  Sets kpid.
kernel_start() {
	local k=$1 kv kver brc staged=$out/.staged-$1 stress=

	kpid=
	if ! kv=$(tools/tr-kernel "$k" 2>"$out/kernel-$k.log"); then
		bad "$k: kernel fetched and prepared (see $out/kernel-$k.log)"
		tail -n 5 "$out/kernel-$k.log"
		return
	fi
	case "$k" in
	*-rt)	stress=${TR_RT_STRESS_SECONDS:-15} ;;
	esac
	kver=$(eval "$kv" && echo "$KVER")
	echo "check: running the kselftest suite in the $k kernel ($kver)"
	# No stale log may count.
	rm -f "$staged" "$out/build-w1-$k.log" "$out/selftests-$k".*
	(
		t0=$(date +%s)
		TR_KNAME=$k TR_KENV=$kv TR_STAGED=$staged \
		TR_GUEST_LOCK=$out/.guest.lock TR_STRESS=$stress \
			tools/run-selftests -l "$out/selftests-$k.log" \
			-w "$out/build-w1-$k.log" >"$out/selftests-$k.out" 2>&1
		rc=$?
		echo "check: $k: built and ran in $(( $(date +%s) - t0 )) s" \
			>>"$out/selftests-$k.out"
		exit $rc
	) &
	kpid=$!
	# The tree is free (and the build judged) once the guest is staged.
	while [ ! -e "$staged" ] && kill -0 "$kpid" 2>/dev/null; do
		sleep 1
	done
	brc=$(sed -n 's/^run-selftests: build exit //p' "$out/build-w1-$k.log" 2>/dev/null)
	check_clean "$k: build W=1 ($kver)" "$out/build-w1-$k.log" "${brc:-1}"
	[ "${brc:-1}" -ne 0 ] || ns_check "$k"
}

# kernel_finish NAME PID: wait for its guest and count its results.
kernel_finish() {
	local k=$1 vm_rc

	wait "$2"
	vm_rc=$?
	grep '^check: ' "$out/selftests-$k.out"
	suite_verdicts "$k" "$vm_rc"
	case "$k" in
	*-rt)	count_stress "$k stress" "$out/selftests-$k.log" ;;
	esac
}

if want kernels; then
	t0=$(date +%s)
	prev= prev_pid=
	for k in ${TR_KERNELS:-$kernels_all}; do
		kernel_start "$k"
		[ -z "$prev" ] || kernel_finish "$prev" "$prev_pid"
		prev= prev_pid=
		[ -z "$kpid" ] || { prev=$k; prev_pid=$kpid; }
	done
	[ -z "$prev" ] || kernel_finish "$prev" "$prev_pid"
	echo "check: the kernels section took $(( $(date +%s) - t0 )) s"
fi

# kunit_in FLAVOUR LABEL NAME CHECKED: the KUnit suite in the FLAVOUR debug
# kernel (tools/run-kunit), logs in $out/NAME.{log,ktap,out}.  Its cases
# are the indented results of the KTAP, each counted as "LABEL: N ...";
# then one verdict on the run, CHECKED naming what it checks beyond the
# suite and kunit.py's parse.
kunit_in() {
	local label=$2 name=$3 checked=$4 vm_rc

	TR_DEBUG_FLAVOUR=$1 tools/run-kunit -l "$out/$name.log" \
		-o "$out/$name.ktap" >"$out/$name.out" 2>&1
	vm_rc=$?
	count_ktap "$label" < <(sed -n 's/^    \(\(not \)\{0,1\}ok [0-9]\{1,\} \)/\1/p' \
		"$out/$name.ktap" 2>/dev/null)
	if [ $vm_rc -ne 0 ]; then
		bad "$label: suite, kunit.py parse, $checked (see $out/$name.out)"
		grep -E '^(tr-vm|run-kunit):' "$out/$name.out" | head -n 20
	else
		ok "$label: suite passed, kunit.py parse, $checked clean"
	fi
}

# The debug test kernel: the kselftest suite and the stress test, then
# KUnit.
if want debug; then
	echo "check: the debug test kernel (built once, then cached)"
	if dbg=$(tools/build-debug-kernel 2>"$out/debug-kernel.log"); then
		eval "$dbg"
		krel=$(cat "$KDIR/include/config/kernel.release")
		ok "debug kernel $krel ($(cat "$KDIR/.build-seconds") s to build)"
		# The stress test runs in the same guest, after the suite
		# (TR_STRESS in tools/run-selftests), and shares its kmemleak scan.
		export TR_STRESS=${TR_STRESS_SECONDS:-30}
		echo "check: the stress test follows, $TR_STRESS s"
		run_suite debug "$krel" "$KDIR" -k "$KERNEL" -c 'max,la57=off'
		unset TR_STRESS
		count_stress stress "$out/selftests-debug.log"
		grep -E '^# (seconds|calls|nmis|errors|trst_|injected|reentry)|^nmi-inject:' \
			"$out/selftests-debug.out" | sed 's/^/check: /'

		# The KUnit test build must not need fault injection: build it
		# against the debug kernel with CONFIG_FAULT_INJECTION and the
		# options that depend on it #undef'ed after the kernel's autoconf.h
		# (KCFLAGS come after its -include on the command line).  Without
		# fault injection the module cannot import should_fail(): that shows
		# the #undef took effect.
		nofi=$(mktemp -d /tmp/tr-kunit-nofi.XXXXXX)
		sed -n 's/^\(CONFIG_\(FAULT_INJECTION[A-Z0-9_]*\|FAIL\(SLAB\|_[A-Z0-9_]*\)\)\)=.*/#undef \1/p' \
			"$KDIR/.config" >"$nofi/nofi.h"
		if grep -qx '#undef CONFIG_FAULT_INJECTION' "$nofi/nofi.h" &&
		   tr_kunit_build "$KDIR" "$nofi" KCFLAGS="-include $nofi/nofi.h" &&
		   ! grep -Eq 'warning:|error:' "$nofi/build.log" &&
		   ! nm -u "$nofi/src/traceregion.ko" | grep -qw should_fail; then
			ok "kunit: test build without CONFIG_FAULT_INJECTION"
		else
			bad "kunit: test build without CONFIG_FAULT_INJECTION (see $out/kunit-nofi-build.log)"
			grep -E 'warning:|error:' "$nofi/build.log" | head -n 20
		fi
		cp "$nofi/build.log" "$out/kunit-nofi-build.log" 2>/dev/null
		cat "$nofi/nofi.h" >>"$out/kunit-nofi-build.log" 2>/dev/null
		rm -rf "$nofi"

		echo "check: running the KUnit suite in the debug kernel"
		kunit_in kasan kunit kunit "kmemleak, kernel log"
	else
		bad "debug kernel build (see $out/debug-kernel.log)"
		tail -n 20 "$out/debug-kernel.log"
	fi
fi

# The KCSAN test kernel: the same suite, stress test and KUnit under the
# data-race detector.  Any "BUG: KCSAN:" report fails tr-vm's log check
# (so the run's "kernel log clean") and is counted and shown here.
kcsan_section() {
	local krel logs n t0 dbg

	t0=$(date +%s)
	# No stale log may count: the report check reads them all.
	rm -f "$out"/selftests-kcsan.* "$out"/kunit-kcsan.*
	echo "check: the KCSAN test kernel (built once, then cached)"
	if ! dbg=$(tools/build-debug-kernel -f kcsan 2>"$out/kcsan-kernel.log"); then
		bad "kcsan: kernel build (see $out/kcsan-kernel.log)"
		tail -n 20 "$out/kcsan-kernel.log"
		return
	fi
	eval "$dbg"
	krel=$(cat "$KDIR/include/config/kernel.release")
	ok "kcsan: kernel $krel ($(cat "$KDIR/.build-seconds") s to build)"

	export TR_STRESS=${TR_KCSAN_STRESS_SECONDS:-20}
	echo "check: the stress test follows, $TR_STRESS s"
	run_suite kcsan "$krel" "$KDIR" -k "$KERNEL" -c 'max,la57=off'
	unset TR_STRESS
	count_stress "kcsan stress" "$out/selftests-kcsan.log"

	echo "check: running the KUnit suite in the KCSAN kernel"
	kunit_in kcsan "kcsan kunit" kunit-kcsan "kernel log"

	# Races inside the test kernel itself (neither access in our code,
	# tools/kcsan-split) are shown, not counted.  Ours are shown from
	# their "BUG: KCSAN:" line to "Reported by": the accesses and their
	# stacks.
	logs=("$out/selftests-kcsan.log" "$out/kunit-kcsan.log")
	tools/kcsan-split "${logs[@]}" 2>&1 >/dev/null | sed 's/^/check: /'
	n=$(tools/kcsan-split "${logs[@]}" 2>/dev/null | grep -c 'BUG: KCSAN:')
	if [ "$n" -eq 0 ]; then
		ok "kcsan: 0 data-race reports in traceregion's code"
	else
		bad "kcsan: $n data-race reports (see ${logs[*]})"
		tools/kcsan-split "${logs[@]}" 2>/dev/null |
			sed -n '/BUG: KCSAN:/,/Reported by Kernel Concurrency Sanitizer/p' |
			grep -Ev 'Reported by|^(\[ *[0-9.]+\])? *$' |
			head -n 100 | sed 's/^/check: /'
	fi
	echo "check: the KCSAN section took $(( $(date +%s) - t0 )) s"
}
if want kcsan; then
	if [ "${TR_KCSAN:-1}" = 0 ]; then
		skipped=$((skipped + 1))
		echo "check: skip kcsan: the KCSAN test kernel (TR_KCSAN=0)"
	else
		kcsan_section
	fi
fi

echo "check: $(( $(date +%s) - start )) s"
echo "check: $pass passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
