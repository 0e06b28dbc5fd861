# SPDX-License-Identifier: GPL-2.0
#
# Markdown tables and the in-kernel goals from the results of
# traceregion_bench.ko (the CSV lines between TRB-BEGIN and TRB-END).
# Used by tools/bench.sh:
#
#   awk -f report.awk [-v hostcpus=N] [-v trend_note=TEXT] main.txt [trend.txt...]
#
# main.txt is the main run (usually 2 vCPUs): its tables and the goals.
# Each trend.txt is a run of the same module in a guest with more vCPUs
# (the vCPU trend, usually with fewer sizes and repetitions): only its
# throughput against one CPU is used, in the trend table, next to the main
# run's.  hostcpus is the host's number of CPUs; trend_note, printed when
# there is no trend file, says why.
#
# Input lines (see trb_report() in traceregion_bench.c):
#   obj,cpus,size,allocator,ns,x_shared,x_shared_drop,x_percpu,x_percpu_drop,x_floor,x_1cpu_throughput
#   drop,cpus,size,mode,wall_us,on_cpu_us,vmallocs,blocks
#   gp,us
#   fail,allocator,count
BEGIN {
	FS = ","
	# Peers that hand out zeroed memory, as a region does: judged.
	nzero = split("kzalloc kmem_cache_zalloc page_frag+memset gen_pool+memset", zero, " ")
	# The same allocators without the zeroing: reported, not judged.
	nplain = split("kmalloc kmem_cache page_frag gen_pool", plain, " ")
	nrows = split("floor region-shared region-shared+drop region-percpu region-percpu+drop", rows, " ")
	for (i = 1; i <= nzero; i++)
		rows[++nrows] = others[++nothers] = zero[i]
	for (i = 1; i <= nplain; i++) {
		rows[++nrows] = others[++nothers] = plain[i]
		notzeroed[plain[i]] = 1
	}
	ntrend = split("region-percpu region-percpu+drop region-shared region-shared+drop kmalloc kzalloc", trend, " ")
}
FNR == 1 { file++ }
/^# traceregion_bench:/ {
	sub(/^# /, "")
	if (file == 1)
		header = $0
	if (match($0, /[0-9]+ objects per CPU per measurement, [0-9]+ repetitions/))
		params[file] = substr($0, RSTART, RLENGTH)
}
/^obj,/ {
	if ($2 + 0 > vcpus[file])
		vcpus[file] = $2 + 0
	thr[file, $2, $3, $4] = $11
	if (file > 1) {
		if (!($3 in seen_tsize)) { seen_tsize[$3] = 1; tsizes[++ntsizes] = $3 }
		next
	}
	if (!($2 in seen_cpus)) { seen_cpus[$2] = 1; cpus[++ncpus] = $2 }
	if (!($3 in seen_size)) { seen_size[$3] = 1; sizes[++nsizes] = $3 }
	k = $2 SUBSEP $3 SUBSEP $4
	ns[k] = $5; xs[k] = $6; xsd[k] = $7; xp[k] = $8; xpd[k] = $9; xf[k] = $10
}
/^drop,/ { tdrop[file, $2, $3, $4] = $8 " / " $7 }
file == 1 && /^drop,/ { nd++; drop[nd] = $0 }
file == 1 && /^gp,/ { gp = $2 }
/^fail,/ { fails[$2] += $3; if ($3 > 0) anyfail = 1 }

function sizehdr(first, second,   s, line) {
	line = "| " first " |" (second != "" ? " " second " |" : "")
	for (s = 1; s <= nsizes; s++)
		line = line " " sizes[s] " B |"
	print line
	line = "|---|" (second != "" ? "---:|" : "")
	for (s = 1; s <= nsizes; s++)
		line = line "---:|"
	print line
}

function label(c) { return c == 1 ? "1 CPU" : "all " c " CPUs" }
function name(a) { return a (a in notzeroed ? " (not zeroed)" : "") }

# The closest peer of @list (n entries) against region with its drop: the
# smallest peer/region time ratio over CPUs, sizes and both region modes;
# sets worst_what, and worst_mode[0/1] to the smallest per mode.
function closest(list, n,   c, s, o, m, k, v, w) {
	w = 1e9
	worst_mode[0] = worst_mode[1] = 1e9
	for (c = 1; c <= ncpus; c++)
		for (s = 1; s <= nsizes; s++)
			for (o = 1; o <= n; o++) {
				k = cpus[c] SUBSEP sizes[s] SUBSEP list[o]
				if (!(k in ns))
					continue
				for (m = 0; m < 2; m++) {
					v = m ? xpd[k] : xsd[k]
					if (v < worst_mode[m])
						worst_mode[m] = v
					if (v < w) {
						w = v
						worst_what = list[o] " vs region-" (m ? "percpu" : "shared") ", " label(cpus[c]) ", " sizes[s] " B"
					}
				}
			}
	return w
}

# Throughput of all vCPUs against one, with the gain per added CPU.
function tcell(f, s, a,   k, x, n) {
	n = vcpus[f]
	k = f SUBSEP n SUBSEP s SUBSEP a
	if (!(k in thr) || thr[k] == "")
		return " - |"
	x = thr[k]
	return sprintf(" %.2f (%.2f) |", x, n > 1 ? (x - 1) / (n - 1) : 1)
}

function tratio(f, s, a, b,   ka, kb, n) {
	n = vcpus[f]
	ka = f SUBSEP n SUBSEP s SUBSEP a
	kb = f SUBSEP n SUBSEP s SUBSEP b
	if (!(ka in thr) || !(kb in thr) || thr[kb] + 0 <= 0)
		return " - |"
	return sprintf(" %.2f |", thr[ka] / thr[kb])
}

# Blocks and vmalloc calls per allocate-and-drop cycle on all vCPUs.
function tblocks(f, s, mode,   k) {
	k = f SUBSEP vcpus[f] SUBSEP s SUBSEP mode
	return (k in tdrop) ? " " tdrop[k] " |" : " - |"
}

function trend_table(   i, j, f, s, a, line, t, tmp) {
	# Columns: the runs by vCPUs, fewest first.
	for (f = 1; f <= file; f++)
		col[f] = f
	for (i = 2; i <= file; i++)
		for (j = i; j > 1 && vcpus[col[j - 1]] > vcpus[col[j]]; j--) {
			tmp = col[j]; col[j] = col[j - 1]; col[j - 1] = tmp
		}
	print ""
	print "#### In-kernel vCPU trend (EMULATED: qemu TCG, up to " vcpus[col[file]] " vCPUs on a " (hostcpus ? hostcpus "-CPU" : "small") " host; ratios and shape only)"
	print ""
	print "Throughput with every vCPU allocating at once (the objects of all vCPUs per second, timed from the first vCPU's start to the last one's end) divided by the same allocator's throughput on one vCPU of the same guest; ideal: the number of vCPUs.  In parentheses the throughput each added CPU brings, (x - 1) / (N - 1), as a fraction of one CPU's.  **qemu runs the vCPUs as threads on the host's " (hostcpus ? hostcpus : "few") " CPUs: beyond them the vCPUs time-share, so no allocator can scale past about " (hostcpus ? hostcpus : "that") " here; read the shape and the allocators against each other, not the figures.**"
	print ""
	line = "| allocator | size |"
	t = "|---|---:|"
	for (i = 1; i <= file; i++) {
		line = line " " vcpus[col[i]] " vCPUs |"
		t = t "---:|"
	}
	print line
	print t
	for (s = 1; s <= ntsizes; s++) {
		for (a = 1; a <= ntrend; a++) {
			line = "| " name(trend[a]) " | " tsizes[s] " B |"
			for (i = 1; i <= file; i++)
				line = line tcell(col[i], tsizes[s], trend[a])
			print line
		}
		line = "| region-percpu's / region-shared's | " tsizes[s] " B |"
		t = "| region-percpu's / kmalloc's | " tsizes[s] " B |"
		for (i = 1; i <= file; i++) {
			line = line tratio(col[i], tsizes[s], "region-percpu", "region-shared")
			t = t tratio(col[i], tsizes[s], "region-percpu", "kmalloc")
		}
		print line
		print t
		for (a = 0; a < 2; a++) {
			line = "| region-" (a ? "percpu" : "shared") ": blocks / vmalloc calls per cycle | " tsizes[s] " B |"
			for (i = 1; i <= file; i++)
				line = line tblocks(col[i], tsizes[s], a ? "percpu" : "shared")
			print line
		}
	}
	print ""
	print "The benchmark's regions keep a bounded reserve of spare blocks (REGION_MAX_RESERVE): a cycle that needs more blocks than the reserve holds makes the allocating CPUs vmalloc blocks themselves (the vmalloc calls above), which is dear under TCG; where there are many, they swamp the fast path's scaling."
	line = "Runs:"
	for (i = 1; i <= file; i++)
		line = line (i > 1 ? ";" : "") " " vcpus[col[i]] " vCPUs " (col[i] == 1 ? "(the main run) " : "") params[col[i]]
	print line "."
}

END {
	if (!ncpus) {
		print "no results from the in-kernel benchmark"
		exit 1
	}
	print "### In-kernel benchmark (test kernel under qemu TCG)"
	print ""
	print header "."
	print ""
	print "**Under TCG every guest instruction is emulated and atomics become host calls: absolute times are distorted; only the ratios measured in this run count.**"
	print "Each CPU allocates its objects, then (other allocators) frees them one by one inside the timed section; a region frees them with one region_drop(), whose on-CPU time is spread over the objects in the \"+drop\" rows (its RCU grace period is sleeping, not CPU). Medians over the repetitions; ratios are medians of per-repetition ratios of measurements taken back to back."
	print "A region's memory is zeroed: so is that of kzalloc, kmem_cache_zalloc, page_frag+memset and gen_pool+memset (the peers the goal judges). The peers marked \"not zeroed\" are the same allocators without the zeroing, reported for comparison only."
	for (c = 1; c <= ncpus; c++) {
		print ""
		print "#### In-kernel, " label(cpus[c]) ": ns per object (per CPU; TCG time)"
		print ""
		sizehdr("allocator")
		for (r = 1; r <= nrows; r++) {
			line = "| " name(rows[r]) " |"
			for (s = 1; s <= nsizes; s++)
				line = line " " ns[cpus[c], sizes[s], rows[r]] " |"
			print line
		}
		print ""
		print "#### In-kernel, " label(cpus[c]) ": times slower than region_alloc (other / region, both with their frees; alloc-only region in parentheses)"
		print ""
		sizehdr("allocator")
		for (o = 1; o <= nothers; o++) {
			a = others[o]
			for (m = 0; m < 2; m++) {
				line = "| " name(a) " / region-" (m ? "percpu" : "shared") " |"
				for (s = 1; s <= nsizes; s++) {
					k = cpus[c] SUBSEP sizes[s] SUBSEP a
					line = line sprintf(" %.2f (%.2f) |", m ? xpd[k] : xsd[k], m ? xp[k] : xs[k])
				}
				print line
			}
		}
		line = "| region-shared / floor |"
		line2 = "| region-percpu / floor |"
		for (s = 1; s <= nsizes; s++) {
			line = line sprintf(" %.2f |", xf[cpus[c], sizes[s], "region-shared"])
			line2 = line2 sprintf(" %.2f |", xf[cpus[c], sizes[s], "region-percpu"])
		}
		print line
		print line2
	}
	print ""
	print "#### In-kernel: region_drop() per measurement (medians)"
	print ""
	print "| CPUs | size | mode | blocks | wall us | on-CPU us | vmalloc calls per cycle |"
	print "|---:|---:|---|---:|---:|---:|---:|"
	for (i = 1; i <= nd; i++) {
		split(drop[i], d, ",")
		printf("| %s | %s | %s | %s | %s | %s | %s |\n", d[2], d[3], d[4], d[8], d[5], d[6], d[7])
	}
	print ""
	printf("A bare synchronize_rcu() took %s us (median) in the same run.\n", gp)
	if (anyfail) {
		print ""
		line = "NULL returns:"
		for (f in fails)
			if (fails[f] > 0)
				line = line " " f "=" fails[f]
		print line
	}

	if (file > 1)
		trend_table()
	else if (trend_note != "") {
		print ""
		print "vCPU trend: " trend_note "."
	}

	# Goals: region_alloc (with its drop) against the peers with their
	# frees.  A goal is missed when a peer takes less time than region in
	# either mode (shared or per-CPU), on 1 CPU or all, at any size.
	print ""
	print "#### In-kernel goals (same run; region_alloc with its drop against allocators with their frees)"
	print ""
	print "| goal | measured | verdict |"
	print "|---|---|---|"
	worst = closest(zero, nzero)
	printf("| region (either mode, with its drop spread over the objects) faster than every zeroing peer (%s) at every size | the closest zeroing peer takes %.2fx region's time (%s); closest per mode: %.2fx shared, %.2fx per-CPU | %s |\n",
	       "kzalloc, kmem_cache_zalloc, page_frag+memset, gen_pool+memset",
	       worst, worst_what, worst_mode[0], worst_mode[1], worst > 1 ? "met" : "missed")
	worst = closest(others, nothers)
	# The peers that hand out memory unzeroed do less work: reported
	# beside the goal, not judged.
	printf("| every allocator listed, zeroing or not, reported | the closest takes %.2fx region's time (%s) | report |\n",
	       worst, worst_what)
	split("kmalloc", km, " ")
	worst = closest(km, 1)
	sub(/^kmalloc vs /, "", worst_what)
	printf("| region_alloc against kmalloc+kfree (not zeroed), reported | %.2fx faster at worst (%s) | report |\n",
	       worst, worst_what)
	if (file > 1) {
		n = 1
		for (f = 2; f <= file; f++)
			if (vcpus[f] > vcpus[n])
				n = f
		line = ""
		for (s = 1; s <= ntsizes; s++)
			line = line (s > 1 ? "; " : "") sprintf("%s B: region-percpu %s, region-shared %s, kmalloc %s",
				tsizes[s], tval(n, tsizes[s], "region-percpu"),
				tval(n, tsizes[s], "region-shared"), tval(n, tsizes[s], "kmalloc"))
		printf("| vCPU trend: region-percpu's throughput per added CPU against region-shared's and kmalloc's | at %d vCPUs, throughput / one vCPU's (in parentheses per added CPU, as a fraction of one CPU's): %s | not judged: emulated (TCG, %s host CPUs), shape only |\n",
		       vcpus[n], line, hostcpus ? hostcpus : "few")
	}
}

# "x.xx (y.yy)": throughput against one vCPU's, and per added CPU.
function tval(f, s, a,   k, n) {
	n = vcpus[f]
	k = f SUBSEP n SUBSEP s SUBSEP a
	if (!(k in thr) || thr[k] == "")
		return "-"
	return sprintf("%.2fx (%.2f)", thr[k], n > 1 ? (thr[k] - 1) / (n - 1) : 1)
}
