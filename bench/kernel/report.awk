# SPDX-License-Identifier: GPL-2.0
#
# Markdown tables and the in-kernel goals from the results of
# traceregion_bench.ko (the CSV lines between TRB-BEGIN and TRB-END).
# Used by tools/bench.sh:  awk -f report.awk results.txt
#
# Input lines (see trb_report() in traceregion_bench.c):
#   obj,cpus,size,allocator,ns,x_shared,x_shared_drop,x_percpu,x_percpu_drop,x_floor
#   drop,cpus,size,mode,wall_us,on_cpu_us,vmallocs,blocks
#   gp,us
#   fail,allocator,count
BEGIN {
	FS = ","
	nrows = split("floor region-shared region-shared+drop region-percpu region-percpu+drop kmalloc kzalloc kmem_cache page_frag gen_pool", rows, " ")
	nothers = split("kmalloc kzalloc kmem_cache page_frag gen_pool", others, " ")
}
/^# traceregion_bench:/ { sub(/^# /, ""); header = $0 }
/^obj,/ {
	if (!($2 in seen_cpus)) { seen_cpus[$2] = 1; cpus[++ncpus] = $2 }
	if (!($3 in seen_size)) { seen_size[$3] = 1; sizes[++nsizes] = $3 }
	k = $2 SUBSEP $3 SUBSEP $4
	ns[k] = $5; xs[k] = $6; xsd[k] = $7; xp[k] = $8; xpd[k] = $9; xf[k] = $10
}
/^drop,/ { nd++; drop[nd] = $0 }
/^gp,/ { gp = $2 }
/^fail,/ { fails[$2] = $3; if ($3 > 0) anyfail = 1 }

function sizehdr(first,   s, line) {
	line = "| " first " |"
	for (s = 1; s <= nsizes; s++)
		line = line " " sizes[s] " B |"
	print line
	line = "|---|"
	for (s = 1; s <= nsizes; s++)
		line = line "---:|"
	print line
}

function label(c) { return c == 1 ? "1 CPU" : "all " c " CPUs" }

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
	for (c = 1; c <= ncpus; c++) {
		print ""
		print "#### In-kernel, " label(cpus[c]) ": ns per object (per CPU; TCG time)"
		print ""
		sizehdr("allocator")
		for (r = 1; r <= nrows; r++) {
			line = "| " rows[r] " |"
			for (s = 1; s <= nsizes; s++)
				line = line " " ns[cpus[c], sizes[s], rows[r]] " |"
			print line
		}
		print ""
		print "#### In-kernel, " label(cpus[c]) ": times slower than region_alloc (other / region, both with their frees; alloc-only region in parentheses)"
		print ""
		sizehdr("allocator")
		for (r = 1; r <= nrows; r++) {
			a = rows[r]
			if (a ~ /^region/ || a == "floor")
				continue
			for (m = 0; m < 2; m++) {
				line = "| " a " / region-" (m ? "percpu" : "shared") " |"
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

	# Goals: region_alloc (with its drop) against every other allocator.
	worst = 1e9; worst_km = 1e9; any_slower = 0
	for (c = 1; c <= ncpus; c++)
		for (s = 1; s <= nsizes; s++)
			for (o = 1; o <= nothers; o++) {
				k = cpus[c] SUBSEP sizes[s] SUBSEP others[o]
				for (m = 0; m < 2; m++) {
					v = m ? xpd[k] : xsd[k]
					if (v < worst) { worst = v; worst_what = others[o] " vs region-" (m ? "percpu" : "shared") ", " label(cpus[c]) ", " sizes[s] " B" }
					if (others[o] == "kmalloc" && v < worst_km) { worst_km = v; worst_km_what = "region-" (m ? "percpu" : "shared") ", " label(cpus[c]) ", " sizes[s] " B" }
				}
			}
	print ""
	print "#### In-kernel goals (same run; region_alloc with its drop against allocators with their frees)"
	print ""
	print "| goal | measured | verdict |"
	print "|---|---|---|"
	printf("| region_alloc faster than every other allocator listed | the closest competitor takes %.2fx region's time (%s) | %s |\n",
	       worst, worst_what, worst > 1 ? "met" : "missed")
	printf("| region_alloc >= 3x faster than kmalloc+kfree | %.2fx at worst (%s) | %s |\n",
	       worst_km, worst_km_what, worst_km >= 3 ? "met" : "missed")
}
