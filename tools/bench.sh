#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh - what `make bench` runs: traceregion against the allocators a
# user would pick instead and against the hardware floor, in one run each:
#
#   1. on the real CPU: bench/user/trbench, the module's own region_alloc.c
#      compiled in user space against the shim in bench/user/shim;
#   2. in the kernel: bench/kernel/traceregion_bench.ko in Debian's stock
#      6.1 kernel under qemu TCG (tools/tr-vm, tools/bench-guest.sh), in a
#      guest with 2 vCPUs;
#   3. the vCPU trend: the same module, with fewer sizes and repetitions,
#      in guests with 4 and 8 vCPUs; emulated on the host's CPUs, so it
#      gives ratios and shape only (not in --smoke);
#
# then prints a Markdown table per benchmark (and the goals of the
# performance issue, each with its figure), and writes into .out/bench/:
#
#   bench.md          everything printed, plus the disassembly of
#                     region_alloc() from the built traceregion.ko
#   bench.csv         ns/object and ratios by benchmark, threads/CPUs, size
#                     and allocator (below)
#   bench.svg, .png   a plot of ns/object by allocator and size, and of the
#                     vCPU trend
#   region_alloc.dis  objdump of region_alloc() (kernel module and user space)
#   kernel-console.log, user.md, kernel.md, kernel-results.txt,
#   kernel-console-smpN.log, kernel-results-smpN.txt (the trend's guests)
#
# bench.csv, one row per benchmark, threads, size and allocator:
#
#   bench,threads,size,allocator,ns_per_object,x_region_shared,
#   x_region_percpu,x_floor,vcpus,x_throughput_1cpu
#
#   bench              user (real CPU), kernel-tcg (the 2-vCPU guest) or
#                      kernel-tcg-trend (the trend's guests)
#   threads            threads (user) or CPUs allocating at once (kernel)
#   ns_per_object      per thread/CPU; kernel: TCG time
#   x_A                this row's time / A's, measured back to back
#                      (kernel: A without its drop)
#   vcpus              kernel: the guest's vCPUs; user: empty
#   x_throughput_1cpu  kernel: throughput of <threads> CPUs at once
#                      (their objects per second, from the first one's
#                      start to the last one's end) / that of 1 CPU in
#                      the same guest; user: empty
#
# The kernel allocators: floor, region-shared, region-percpu, their
# "+drop" rows (the drop's CPU time spread over the objects), the zeroing
# peers kzalloc, kmem_cache_zalloc, page_frag+memset, gen_pool+memset, and
# the non-zeroing kmalloc, kmem_cache, page_frag, gen_pool.
#
# Usage: tools/bench.sh [--smoke]
#   --smoke   tiny sizes and counts (a few seconds plus a guest boot), output
#             into .out/bench-smoke/; fails unless both benchmarks ran and
#             gave sane, non-zero figures.  No timing is judged, no trend.
#
# Environment: KDIR (build against it), KVER (stock kernel to boot),
# TR_BENCH_KARGS (traceregion_bench.ko parameters of the main run, default
# "objs=4096 reps=15"), TR_BENCH_TREND (the trend's vCPU counts, default
# "4 8"; 0 or empty skips the trend), TR_BENCH_TREND_KARGS (the module's
# parameters in the trend's guests, default "objs=4096 reps=5 sizes=16,64").

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
# kernel_run VCPUS KARGS SUFFIX: the module in a guest with VCPUS vCPUs;
# its results in kernel-results$SUFFIX.txt.
kernel_run() {
	local con=$out/kernel-console$3.log

	"$TR_TOP/tools/tr-vm" -s "$1" -d "$stage" -l "$con" -t "$vm_timeout" \
		-- "sh ./bench-guest.sh $2" >"$out/kernel-vm$3.out" 2>&1 ||
		{ grep '^tr-vm:' "$out/kernel-vm$3.out" >&2 || :
		  die "in-kernel benchmark on $1 vCPUs failed (see $con)"; }
	sed -n '/^TRB-BEGIN$/,/^TRB-END$/p' "$con" |
		sed '1d;$d' >"$out/kernel-results$3.txt"
	grep -q '^obj,' "$out/kernel-results$3.txt" ||
		die "no in-kernel results on $1 vCPUs (see $con)"
}
kernel_run 2 "$kargs" ""

# 3. The vCPU trend: more vCPUs than the host has CPUs, emulated; fewer
# sizes and repetitions to keep it to a minute or so.
trend=
trend_note=
if [ -z "$smoke" ]; then
	trend=${TR_BENCH_TREND-4 8}
	[ "$trend" != 0 ] || trend=
	[ -n "$trend" ] || trend_note="skipped (TR_BENCH_TREND=${TR_BENCH_TREND-})"
fi
tkargs=${TR_BENCH_TREND_KARGS:-objs=4096 reps=5 sizes=16,64}
tfiles=()
for n in $trend; do
	[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "TR_BENCH_TREND: '$n' is not a vCPU count"
	echo "bench: vCPU trend: in-kernel benchmark on $n vCPUs (qemu TCG, $tkargs)" >&2
	kernel_run "$n" "$tkargs" "-smp$n"
	tfiles+=("$out/kernel-results-smp$n.txt")
done
awk -f "$TR_TOP/bench/kernel/report.awk" -v hostcpus="$(nproc)" \
	-v trend_note="$trend_note" "$out/kernel-results.txt" "${tfiles[@]}" \
	>"$out/kernel.md" || die "no in-kernel results (see $out/kernel-console.log)"

# 4. CSV: both benchmarks in one shape (see the top of this file).
kcsv() {
	awk -F, -v b="$1" '
		/^# traceregion_bench:/ { match($0, /[0-9]+ online CPUs/); v = substr($0, RSTART, RLENGTH) + 0 }
		/^obj,/ { printf("%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", b, $2, $3, $4, $5, $6, $8, $10, v, $11) }' "$2"
}
{
	echo "bench,threads,size,allocator,ns_per_object,x_region_shared,x_region_percpu,x_floor,vcpus,x_throughput_1cpu"
	sed 's/$/,,/' "$out/user.csv"
	kcsv kernel-tcg "$out/kernel-results.txt"
	for f in "${tfiles[@]}"; do
		kcsv kernel-tcg-trend "$f"
	done
} >"$out/bench.csv"

# Sanity (the smoke test's verdict): every allocator of both benchmarks
# gave a positive time (and, in the kernel, a positive throughput ratio
# and a known guest size); every kernel guest reported every allocator
# for each of its CPU counts and sizes; and nothing returned NULL.
awk -F, -v kinds="floor region-shared region-shared+drop region-percpu region-percpu+drop kzalloc kmem_cache_zalloc page_frag+memset gen_pool+memset kmalloc kmem_cache page_frag gen_pool" '
	NR > 1 {
		n[$1]++
		if ($5 + 0 <= 0) { print "bench: zero time: " $0; bad = 1 }
		if ($1 == "user")
			next
		if ($9 + 0 < 1 || $10 + 0 <= 0) { print "bench: bad vcpus or throughput: " $0; bad = 1 }
		g = $1 " on " $9 " vCPUs"
		have[g, $2, $3, $4] = 1
		if (!((g, $2) in st)) { st[g, $2] = 1; nt[g]++; t[g, nt[g]] = $2 }
		if (!((g, $3) in ss)) { ss[g, $3] = 1; ns[g]++; s[g, ns[g]] = $3 }
	}
	END {
		nk = split(kinds, k, " ")
		if (n["user"] < 10 || !ns["kernel-tcg on 2 vCPUs"] || nt["kernel-tcg on 2 vCPUs"] != 2) {
			print "bench: missing rows"
			bad = 1
		}
		for (g in nt)
			for (i = 1; i <= nt[g]; i++)
				for (j = 1; j <= ns[g]; j++)
					for (a = 1; a <= nk; a++)
						if (!((g, t[g, i], s[g, j], k[a]) in have)) {
							print "bench: no " k[a] " row for " t[g, i] " CPUs, " s[g, j] " B, " g
							bad = 1
						}
		exit bad
	}' "$out/bench.csv" >&2 || die "implausible figures in $out/bench.csv"
for f in "$out/kernel-results.txt" "${tfiles[@]}"; do
	! grep -q '^fail,.*,[1-9]' "$f" ||
		die "in-kernel allocations returned NULL (see $f)"
done
! grep -q '^WARNING' "$out/user.md" || die "user-space allocations returned NULL"

# 5. The disassembly of region_alloc(): the fast path of both modes.
{
	echo "# region_alloc() in traceregion.ko ($(basename "$(dirname "$kdir")"))"
	objdump -dr --no-show-raw-insn "$TR_TOP/traceregion.ko" |
		awk '/^[0-9a-f]+ <region_alloc>:/, /^$/'
	echo "# region_alloc() in user space (bench/user, against the shim)"
	objdump -d --no-show-raw-insn "$out/user/region_alloc.o" |
		awk '/^[0-9a-f]+ <region_alloc>:/, /^$/'
} >"$out/region_alloc.dis"

# 6. The plot: ns/object by allocator and size, one panel per setting;
# then the vCPU trend, one panel per size (the first two sizes).
plot() {
	local f i n tsizes=() panels cols=2 hostcpus

	hostcpus=$(nproc)
	for f in user,1 user,2 kernel-tcg,1 kernel-tcg,all; do
		awk -F, -v b="${f%,*}" -v t="${f#*,}" '
			NR > 1 && $1 == b && (t == "all" ? $2 > 1 : $2 == t) {
				if (!($4 in seen)) { seen[$4] = ++n; name[n] = $4 }
				d[$4] = d[$4] $3 " " $5 "\n"
			}
			function block(a) {
				printf("\"%s%s\"\n%s\n\n", a,
				       a ~ /^(kmalloc|kmem_cache|page_frag|gen_pool)$/ ? " (not zeroed)" : "",
				       d[a])
			}
			END {
				# The same colour for the same allocator in
				# every panel: the common ones first.
				m = split("floor region-shared region-shared+drop region-percpu region-percpu+drop", first, " ")
				for (i = 1; i <= m; i++)
					if (first[i] in seen) {
						block(first[i])
						done[first[i]] = 1
					}
				for (i = 1; i <= n; i++)
					if (!(name[i] in done))
						block(name[i])
			}' \
			"$out/bench.csv" >"$out/plot-${f/,/-}.dat"
	done
	# The trend: throughput against 1 vCPU by vCPUs, from the all-CPU
	# rows of every guest.
	mapfile -t tsizes < <(awk -F, '$1 == "kernel-tcg-trend" && !seen[$3]++ { print $3 }' \
			      "$out/bench.csv" | head -n 2)
	for n in "${tsizes[@]}"; do
		awk -F, -v sz="$n" '
			NR > 1 && $1 ~ /^kernel-tcg/ && $2 == $9 && $3 == sz {
				d[$4] = d[$4] $9 " " $10 "\n"
			}
			END {
				# In the order of the kernel panels: the same colours.
				m = split("region-shared region-shared+drop region-percpu region-percpu+drop kmalloc kzalloc", a, " ")
				for (i = 1; i <= m; i++)
					if (a[i] in d)
						printf("\"%s%s\"\n1 1\n%s\n\n", a[i],
						       a[i] == "kmalloc" ? " (not zeroed)" : "", d[a[i]])
			}' "$out/bench.csv" >"$out/plot-trend-$n.dat"
	done
	[ "${#tsizes[@]}" -eq 0 ] || cols=3
	count() { grep -c '^"' "$1"; }
	{
		cat <<-EOF
		set termoption noenhanced
		set datafile separator whitespace
		set key outside right top font ",8"
		set grid
		# Distinct colours for up to 16 lines (gnuplot has 8).
		set linetype 9 lc rgb "#8b4513"
		set linetype 10 lc rgb "#ff1493"
		set linetype 11 lc rgb "#556b2f"
		set linetype 12 lc rgb "#4682b4"
		set linetype 13 lc rgb "#808080"
		set linetype 14 lc rgb "#daa520"
		set linetype 15 lc rgb "#000080"
		set linetype 16 lc rgb "#2e8b57"
		set linetype cycle 16
		set multiplot layout 2,$cols title "traceregion: ns/object by allocator and size (kernel panels: qemu TCG, compare ratios only)"
		EOF
		panels=("user-1|user space, real CPU, 1 thread"
			"user-2|user space, real CPU, 2 threads (per thread)"
			"kernel-tcg-1|in-kernel, TCG, 1 CPU"
			"kernel-tcg-all|in-kernel, TCG, all CPUs (per CPU)")
		for i in 0 1 2 3; do
			f=${panels[i]%%|*}
			# Row-major: the trend panels end each row.
			if [ "$cols" = 3 ] && [ "$i" = 2 ]; then
				trend_panel "${tsizes[0]}"
			fi
			cat <<-EOF
			set logscale xy 2
			set xrange [*:*]
			set yrange [*:*]
			set xlabel "object size (bytes)"
			set ylabel "ns per object"
			set title "${panels[i]#*|}"
			plot for [i=0:$(($(count "$out/plot-$f.dat") - 1))] "$out/plot-$f.dat" index i using 1:2 with linespoints title columnheader(1)
			EOF
		done
		if [ "$cols" = 3 ]; then
			if [ "${#tsizes[@]}" -gt 1 ]; then
				trend_panel "${tsizes[1]}"
			else
				echo "set multiplot next"
			fi
		fi
		echo "unset multiplot"
	} >"$out/plot.gp"
	{
		echo "set terminal svg size $((cols * 700)),1000 dynamic"
		echo "set output '$out/bench.svg'"
		cat "$out/plot.gp"
		echo "set terminal png size $((cols * 700)),1000"
		echo "set output '$out/bench.png'"
		cat "$out/plot.gp"
	} | gnuplot 2>"$out/gnuplot.log"
}
# trend_panel SIZE: the gnuplot lines of the trend panel of SIZE.
trend_panel() {
	cat <<-EOF
	set logscale xy 2
	set xrange [1:*]
	set yrange [*:*]
	set xlabel "vCPUs (emulated on $hostcpus host CPUs)"
	set ylabel "throughput / 1 vCPU's"
	set title "in-kernel vCPU trend, $1 B (TCG: shape only)"
	plot for [i=0:$(($(count "$out/plot-trend-$1.dat") - 1))] "$out/plot-trend-$1.dat" index i using 1:2 smooth unique with linespoints lt (i + 2) title columnheader(1), \\
	     x with lines dt 2 lc rgb "black" title "ideal", \\
	     $hostcpus with lines dt 3 lc rgb "gray" title "host CPUs"
	EOF
}
if [ -z "$smoke" ]; then
	plot || die "gnuplot failed (see $out/gnuplot.log)"
fi

# 7. The report.
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
