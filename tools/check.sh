#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - what `make check` and CI run, from a fresh Debian 12 machine:
# installs what is missing, then
#   - builds the modules with W=1 (0 warnings), sparse C=2 (0 warnings),
#   - checkpatch.pl --strict (0 errors, warnings or checks),
#   - kernel-doc -none -Werror on the sources,
#   - builds the kselftest program (0 warnings),
#   - runs the kselftest suite in Debian's stock kernel under qemu; every
#     KTAP result of the suite counts, and any checker report in the
#     kernel log (WARNING:, BUG:, lockdep, ...) fails the run.
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

	if [ "$rc" -eq 0 ] && ! grep -Eq 'warning:|error:' "$log"; then
		ok "$name"
	else
		bad "$name (see $log)"
		grep -E 'warning:|error:' "$log" | head -n 20
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
      selftests/traceregion/traceregion_test.c)

cd "$TR_TOP" || exit 1

make -s -C "$kdir" M="$TR_TOP" clean >/dev/null 2>&1
make -C "$kdir" M="$TR_TOP" W=1 modules >"$out/build-w1.log" 2>&1
check_clean "build W=1" "$out/build-w1.log" $?

make -s -C "$kdir" M="$TR_TOP" clean >/dev/null 2>&1
make -C "$kdir" M="$TR_TOP" C=2 modules >"$out/sparse.log" 2>&1
check_clean "sparse C=2" "$out/sparse.log" $?

"$ksrc/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
	-f "${csrc[@]}" >"$out/checkpatch.log" 2>&1
if grep -Eq ': (ERROR|WARNING|CHECK):' "$out/checkpatch.log"; then
	bad "checkpatch --strict (see $out/checkpatch.log)"
	grep -E ': (ERROR|WARNING|CHECK):' "$out/checkpatch.log" | head -n 20
else
	ok "checkpatch --strict"
fi

"$ksrc/scripts/kernel-doc" -none -Werror region_alloc.c region_alloc.h \
	>"$out/kernel-doc.log" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$out/kernel-doc.log" ]; then
	ok "kernel-doc"
else
	bad "kernel-doc (see $out/kernel-doc.log)"
	head -n 20 "$out/kernel-doc.log"
fi

make -C selftests/traceregion KSFT_DIR="$ksrc/tools/testing/selftests" \
	clean all >"$out/selftest-build.log" 2>&1
check_clean "selftest build" "$out/selftest-build.log" $?

echo "check: running the kselftest suite in the stock test kernel"
tools/run-selftests -l "$out/selftests.log" >"$out/selftests.out" 2>&1
vm_rc=$?
# Inner KTAP of the suite ("# ok N ..."), then the runner's own line.
while read -r line; do
	case "$line" in
	"# ok "*"# SKIP"*)	skipped=$((skipped + 1)); echo "check: skip ${line#\# }" ;;
	"# ok "*)		ok "guest: ${line#\# ok }" ;;
	"# not ok "*)		bad "guest: ${line#\# not ok }" ;;
	esac
done < <(grep -E '^# (not )?ok [0-9]+ ' "$out/selftests.log")
if ! grep -q '^ok 1 selftests: traceregion: traceregion_test' \
	"$out/selftests.log"; then
	bad "guest: kselftest runner verdict (see $out/selftests.log)"
fi
if [ $vm_rc -ne 0 ]; then
	bad "guest: kernel log clean and guest finished (see $out/selftests.out)"
	grep '^tr-vm:' "$out/selftests.out" | head -n 20
else
	ok "guest: kernel log clean and guest finished"
fi

echo "check: $(( $(date +%s) - start )) s"
echo "check: $pass passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
