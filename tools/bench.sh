#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh - what `make bench` runs: traceregion against the allocators a
# user would pick instead and against the hardware floor, in one run each:
#
#   1. on the real CPU: bench/user/trbench, the module's own region_alloc.c
#      compiled in user space against the shim in bench/user/shim;
#   2. in the kernel: bench/kernel/traceregion_bench.ko in Debian's stock
#      6.1 kernel under qemu TCG (tools/tr-vm, tools/bench-guest.sh);
#
# then prints a Markdown table per benchmark (and the goals of the
# performance issue, each with its figure), and writes into .out/bench/:
#
#   bench.md          everything printed, plus the disassembly of
#                     region_alloc() from the built traceregion.ko
#   bench.csv         ns/object and ratios by benchmark, threads/CPUs, size
#                     and allocator
#   bench.svg, .png   a plot of ns/object by allocator and size
#   region_alloc.dis  objdump of region_alloc() (kernel module and user space)
#   kernel-console.log, user.md, kernel.md, kernel-results.txt
#
# Usage: tools/bench.sh [--smoke]
#   --smoke   tiny sizes and counts (a few seconds plus a guest boot), output
#             into .out/bench-smoke/; fails unless both benchmarks ran and
#             gave sane, non-zero figures.  No timing is judged.
#
# Environment: KDIR (build against it), KVER (stock kernel to boot),
# TR_BENCH_KARGS (traceregion_bench.ko parameters of a full run).

set -euo pipefail
. "$(dirname "$0")/lib.sh"

smoke=
[ "${1:-}" != --smoke ] || smoke=1

out=$TR_TOP/.out/bench${smoke:+-smoke}
rm -rf "$out"
mkdir -p "$out"

die() { echo "bench: $*" >&2; exit 1; }

for p in gcc make libc6-dev binutils liburcu-dev; do
	tr_need "$p"
done
[ -n "$smoke" ] || tr_need gnuplot-nox gnuplot
kdir=$(tr_kdir)
[ -d "$kdir" ] || die "no kernel headers ($kdir)"

load0=$(cut -d' ' -f1-3 /proc/loadavg)

# 1. User space, on the real CPU.
echo "bench: user-space benchmark (real CPU)" >&2
make -s -C "$TR_TOP/bench/user" OUT="$out/user" >"$out/user-build.log" 2>&1 ||
	{ cat "$out/user-build.log" >&2; die "user-space build failed"; }
uargs=()
[ -z "$smoke" ] || uargs=(-q)
timeout 600 "$out/user/trbench" "${uargs[@]}" -o "$out/user.csv" \
	>"$out/user.md" 2>"$out/user.err" ||
	{ cat "$out/user.err" >&2; die "trbench failed"; }

# 2. In the kernel, in the test kernel under qemu.
echo "bench: in-kernel benchmark (stock kernel under qemu TCG)" >&2
make -s -C "$TR_TOP" KDIR="$kdir" tests >"$out/kernel-build.log" 2>&1 ||
	{ tail -n 20 "$out/kernel-build.log" >&2; die "module build failed"; }
stage=$(mktemp -d /tmp/tr-bench.XXXXXX)
trap 'rm -rf "$stage"' EXIT
cp "$TR_TOP/traceregion.ko" "$TR_TOP/bench/kernel/traceregion_bench.ko" \
   "$TR_TOP/tools/bench-guest.sh" "$stage/"
if [ -n "$smoke" ]; then
	kargs="objs=256 reps=2 sizes=16,1024"
	vm_timeout=240
else
	kargs=${TR_BENCH_KARGS:-objs=4096 reps=15}
	vm_timeout=900
fi
"$TR_TOP/tools/tr-vm" -d "$stage" -l "$out/kernel-console.log" \
	-t "$vm_timeout" -- "sh ./bench-guest.sh $kargs" >"$out/kernel-vm.out" 2>&1 ||
	{ grep '^tr-vm:' "$out/kernel-vm.out" >&2 || :; die "in-kernel benchmark failed (see $out/kernel-console.log)"; }
sed -n '/^TRB-BEGIN$/,/^TRB-END$/p' "$out/kernel-console.log" |
	sed '1d;$d' >"$out/kernel-results.txt"
awk -f "$TR_TOP/bench/kernel/report.awk" "$out/kernel-results.txt" \
	>"$out/kernel.md" || die "no in-kernel results (see $out/kernel-console.log)"

# 3. CSV: both benchmarks in one shape.
{
	echo "bench,threads,size,allocator,ns_per_object,x_region_shared,x_region_percpu,x_floor"
	cat "$out/user.csv"
	awk -F, '/^obj,/ { printf("kernel-tcg,%s,%s,%s,%s,%s,%s,%s\n", $2, $3, $4, $5, $6, $8, $10) }' \
		"$out/kernel-results.txt"
} >"$out/bench.csv"

# Sanity (the smoke test's verdict): every allocator of both benchmarks
# gave a positive time, and nothing returned NULL.
awk -F, 'NR > 1 { n[$1]++; if ($5 + 0 <= 0) { print "bench: zero time: " $0; bad = 1 } }
	 END { if (n["user"] < 10 || n["kernel-tcg"] < 9) { print "bench: missing rows"; bad = 1 }
	       exit bad }' "$out/bench.csv" >&2 || die "implausible figures in $out/bench.csv"
! grep -q '^fail,.*,[1-9]' "$out/kernel-results.txt" ||
	die "in-kernel allocations returned NULL (see $out/kernel-results.txt)"
! grep -q '^WARNING' "$out/user.md" || die "user-space allocations returned NULL"

# 4. The disassembly of region_alloc(): the fast path of both modes.
{
	echo "# region_alloc() in traceregion.ko ($(basename "$(dirname "$kdir")"))"
	objdump -dr --no-show-raw-insn "$TR_TOP/traceregion.ko" |
		awk '/^[0-9a-f]+ <region_alloc>:/, /^$/'
	echo "# region_alloc() in user space (bench/user, against the shim)"
	objdump -d --no-show-raw-insn "$out/user/region_alloc.o" |
		awk '/^[0-9a-f]+ <region_alloc>:/, /^$/'
} >"$out/region_alloc.dis"

# 5. The plot: ns/object by allocator and size, one panel per setting.
plot() {
	local f

	for f in user,1 user,2 kernel-tcg,1 kernel-tcg,all; do
		awk -F, -v b="${f%,*}" -v t="${f#*,}" '
			NR > 1 && $1 == b && (t == "all" ? $2 > 1 : $2 == t) {
				if (!($4 in seen)) { seen[$4] = ++n; name[n] = $4 }
				d[$4] = d[$4] $3 " " $5 "\n"
			}
			END {
				# The same colour for the same allocator in
				# every panel: the common ones first.
				m = split("floor region-shared region-shared+drop region-percpu region-percpu+drop", first, " ")
				for (i = 1; i <= m; i++)
					if (first[i] in seen) {
						printf("\"%s\"\n%s\n\n", first[i], d[first[i]])
						done[first[i]] = 1
					}
				for (i = 1; i <= n; i++)
					if (!(name[i] in done))
						printf("\"%s\"\n%s\n\n", name[i], d[name[i]])
			}' \
			"$out/bench.csv" >"$out/plot-${f/,/-}.dat"
	done
	cat >"$out/plot.gp" <<-EOF
	set termoption noenhanced
	set datafile separator " "
	set logscale xy 2
	set xlabel "object size (bytes)"
	set ylabel "ns per object"
	set key outside right top font ",8"
	set grid
	set multiplot layout 2,2 title "traceregion: ns/object by allocator and size (kernel panels: qemu TCG, compare ratios only)"
	set title "user space, real CPU, 1 thread"
	plot for [i=0:12] "$out/plot-user-1.dat" index i using 1:2 with linespoints title columnheader(1)
	set title "user space, real CPU, 2 threads (per thread)"
	plot for [i=0:12] "$out/plot-user-2.dat" index i using 1:2 with linespoints title columnheader(1)
	set title "in-kernel, TCG, 1 CPU"
	plot for [i=0:12] "$out/plot-kernel-tcg-1.dat" index i using 1:2 with linespoints title columnheader(1)
	set title "in-kernel, TCG, all CPUs (per CPU)"
	plot for [i=0:12] "$out/plot-kernel-tcg-all.dat" index i using 1:2 with linespoints title columnheader(1)
	unset multiplot
	EOF
	{
		echo 'set terminal svg size 1400,1000 dynamic'
		echo "set output '$out/bench.svg'"
		cat "$out/plot.gp"
		echo 'set terminal png size 1400,1000'
		echo "set output '$out/bench.png'"
		cat "$out/plot.gp"
	} | gnuplot 2>"$out/gnuplot.log"
}
if [ -z "$smoke" ]; then
	plot || die "gnuplot failed (see $out/gnuplot.log)"
fi

# 6. The report.
{
	echo "## traceregion benchmarks ($(date -u +%Y-%m-%d), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) CPUs)"
	echo
	echo "Load average before: $load0; after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the figures; the ratios come from measurements taken back to back)."
	echo
	cat "$out/user.md"
	echo
	cat "$out/kernel.md"
	echo
	echo "### region_alloc() disassembly"
	echo
	echo '```'
	cat "$out/region_alloc.dis"
	echo '```'
} >"$out/bench.md"
sed '/^### region_alloc() disassembly/,$d' "$out/bench.md"
if [ -n "$smoke" ]; then
	echo "bench: smoke run passed; wrote $out/bench.md, bench.csv" >&2
else
	echo "bench: wrote $out/bench.md, bench.csv, bench.svg, bench.png, region_alloc.dis" >&2
fi
