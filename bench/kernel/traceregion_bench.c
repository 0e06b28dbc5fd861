// SPDX-License-Identifier: GPL-2.0
/*
 * traceregion_bench - region_alloc() against the kernel's other small-object
 * allocators and against the hardware floor, measured side by side
 *
 * At load, for each object size and on one CPU and on every online CPU
 * (one kthread bound to each CPU, all released together), this times
 * @objs allocations per CPU of:
 *
 *   floor          atomic_long_add_return() on one shared counter: the
 *                  least any allocator that hands out memory from a shared
 *                  pointer can cost
 *   region-shared  region_alloc_inline() (the fast path compiled in here, as
 *                  clients use it) in the default (Go) mode, shared block
 *   region-percpu  region_alloc_inline() in REGION_F_PERCPU mode
 *
 * and the peers, each with its free.  A region hands out zeroed memory; so
 * do these:
 *
 *   kzalloc            kzalloc(GFP_ATOMIC) + kfree()
 *   kmem_cache_zalloc  kmem_cache_zalloc(GFP_ATOMIC) + kmem_cache_free(), a
 *                      cache of the size
 *   page_frag+memset   page_frag_alloc(GFP_ATOMIC) + memset() +
 *                      page_frag_free(), a page_frag cache per CPU
 *   gen_pool+memset    gen_pool_alloc() + memset() + gen_pool_free(), a
 *                      vmalloc'ed pool per size whose granule is the size
 *
 * and these do not (reported beside the others, the same allocators
 * without the zeroing):
 *
 *   kmalloc            kmalloc(GFP_ATOMIC) + kfree()
 *   kmem_cache         kmem_cache_alloc() + kmem_cache_free()
 *   page_frag          page_frag_alloc() + page_frag_free()
 *   gen_pool           gen_pool_alloc() + gen_pool_free()
 *
 * The other allocators free their objects one by one inside the timed
 * section; a region frees them all at once with region_drop(), timed on
 * its own and reported both alone and spread over the objects
 * ("+drop" rows).  One repetition measures every allocator back to back;
 * the results are medians over @reps repetitions, and every ratio is the
 * median of the per-repetition ratios of two measurements taken back to
 * back.  The throughput of all CPUs together (their objects per second of
 * the span from the first one's start to the last one's end) against that
 * of one CPU is reported per allocator: run in guests with more vCPUs, it
 * gives the scaling trend.
 *
 * The results are in /sys/kernel/debug/traceregion_bench/results, one CSV
 * line per figure (see trb_report()).  Under qemu TCG every instruction is
 * emulated and atomics become host calls: absolute times are distorted,
 * only the ratios of one run mean anything.
 *
 * Contexts: everything runs from module_init in the insmod process and in
 * the kthreads it starts and stops before returning; no timer, no IRQ.
 * The kthreads allocate in process context, so region_alloc() gets
 * GFP_KERNEL and may vmalloc a block when the region's reserve runs dry
 * (counted and reported per drop).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/genalloc.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <linux/utsname.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "region_alloc.h"
#include "selftests/traceregion/tr_kcompat.h"

#define TRB_MAX_SIZES	8
#define TRB_MAX_REPS	101
#define TRB_MAX_OBJS	BIT(20)
/* One CPU, then every online CPU. */
#define TRB_NR_MODES	2
#define TRB_OUT_SIZE	(64 * 1024)

static unsigned int trb_objs = 4096;
module_param_named(objs, trb_objs, uint, 0444);
MODULE_PARM_DESC(objs, "objects per CPU per measurement (16-1048576, default 4096)");

static unsigned int trb_reps = 15;
module_param_named(reps, trb_reps, uint, 0444);
MODULE_PARM_DESC(reps, "repetitions, medians are over them (1-101, default 15)");

static unsigned int trb_sizes[TRB_MAX_SIZES] = { 16, 64, 256, 1024 };
static unsigned int trb_nr_sizes = 4;
module_param_array_named(sizes, trb_sizes, uint, &trb_nr_sizes, 0444);
MODULE_PARM_DESC(sizes, "object sizes, powers of two from 8 to 4096 (default 16,64,256,1024)");

/* The measured allocators, in the order one repetition runs them. */
enum trb_kind {
	TRB_REGION_SHARED,
	TRB_REGION_PERCPU,
	TRB_FLOOR,
	TRB_KMALLOC,
	TRB_KZALLOC,
	TRB_KMEM_CACHE,
	TRB_KMEM_CACHE_Z,
	TRB_PAGE_FRAG,
	TRB_PAGE_FRAG_Z,
	TRB_GEN_POOL,
	TRB_GEN_POOL_Z,
	TRB_NR_KINDS,
};

/* Derived rows: a region's allocations plus its drop spread over them. */
enum trb_row {
	TRB_ROW_SHARED_DROP = TRB_NR_KINDS,
	TRB_ROW_PERCPU_DROP,
	TRB_NR_ROWS,
};

static const char * const trb_names[TRB_NR_ROWS] = {
	[TRB_REGION_SHARED]	= "region-shared",
	[TRB_REGION_PERCPU]	= "region-percpu",
	[TRB_FLOOR]		= "floor",
	[TRB_KMALLOC]		= "kmalloc",
	[TRB_KZALLOC]		= "kzalloc",
	[TRB_KMEM_CACHE]	= "kmem_cache",
	[TRB_KMEM_CACHE_Z]	= "kmem_cache_zalloc",
	[TRB_PAGE_FRAG]		= "page_frag",
	[TRB_PAGE_FRAG_Z]	= "page_frag+memset",
	[TRB_GEN_POOL]		= "gen_pool",
	[TRB_GEN_POOL_Z]	= "gen_pool+memset",
	[TRB_ROW_SHARED_DROP]	= "region-shared+drop",
	[TRB_ROW_PERCPU_DROP]	= "region-percpu+drop",
};

/**
 * struct trb_worker - one kthread, bound to one CPU
 * @task: the kthread
 * @idx: rank among the workers; a job with n threads uses ranks 0 to n-1
 * @ptrs: the objects of the current measurement
 * @frag: this worker's page_frag cache (page_frag caches are per user)
 * @start: ktime_get_ns() at the start of the last measurement
 * @end: and at its end
 * @fails: allocations that returned NULL in the last measurement
 */
struct trb_worker {
	struct task_struct *task;
	unsigned int idx;
	void **ptrs;
	struct page_frag_cache frag;
	u64 start;
	u64 end;
	unsigned long fails;
};

/**
 * struct trb_job - what the workers run next, written by the controller
 * @wq: the workers wait here for @seq to change
 * @seq: bumped once per measurement
 * @kind: allocator to time
 * @sz: index into trb_sizes
 * @threads: number of workers taking part
 * @arrived: start barrier
 * @left: workers still running
 * @done: completed by the last worker
 */
struct trb_job {
	wait_queue_head_t wq;
	unsigned long seq;
	enum trb_kind kind;
	unsigned int sz;
	unsigned int threads;
	atomic_t arrived;
	atomic_t left;
	struct completion done;
};

static struct trb_job trb_job;
static struct trb_worker *trb_workers;
static unsigned int trb_nr_workers;

static atomic_long_t trb_floor ____cacheline_aligned_in_smp;
static struct region *trb_region[2];
static struct kmem_cache *trb_cache[TRB_MAX_SIZES];
static struct gen_pool *trb_pool[TRB_MAX_SIZES];
static void *trb_pool_mem[TRB_MAX_SIZES];

/*
 * Raw results: ns per measurement, by row, size, mode and repetition: the
 * slowest CPU's time, and the span from the first CPU's start to the last
 * one's end.  Where the CPUs do not all run at once (vCPUs that the host
 * time-shares), the span exceeds the slowest CPU's time.
 */
static u64 (*trb_ns)[TRB_MAX_SIZES][TRB_NR_MODES][TRB_MAX_REPS];
static u64 (*trb_span)[TRB_MAX_SIZES][TRB_NR_MODES][TRB_MAX_REPS];
/*
 * Drop times, by region mode, size, mode and repetition: wall time, and the
 * part of it the dropping task spent on a CPU (the rest is the RCU grace
 * period it sleeps through).
 */
static u64 (*trb_drop_ns)[TRB_MAX_SIZES][TRB_NR_MODES][TRB_MAX_REPS];
static u64 (*trb_drop_cpu_ns)[TRB_MAX_SIZES][TRB_NR_MODES][TRB_MAX_REPS];
/* vmalloc calls during one allocate-and-drop cycle, summed over reps. */
static u64 trb_vmallocs[2][TRB_MAX_SIZES][TRB_NR_MODES];
static u64 trb_blocks[2][TRB_MAX_SIZES][TRB_NR_MODES];
static u64 trb_gp_ns[TRB_MAX_REPS];
static unsigned long trb_fails[TRB_NR_KINDS];
static unsigned int trb_threads[TRB_NR_MODES];
static unsigned int trb_nr_modes;

static char *trb_out;
static size_t trb_out_len;
static struct dentry *trb_dir;

static __printf(1, 2) void trb_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	trb_out_len += vscnprintf(trb_out + trb_out_len,
				  TRB_OUT_SIZE - trb_out_len, fmt, ap);
	va_end(ap);
}

/* The frees of the peers, one by one, inside their timed sections. */
static void trb_free_cache(void **ptrs, unsigned int n, unsigned int sz)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (likely(ptrs[i]))
			kmem_cache_free(trb_cache[sz], ptrs[i]);
}

static void trb_free_frag(void **ptrs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (likely(ptrs[i]))
			page_frag_free(ptrs[i]);
}

static void trb_free_pool(void **ptrs, unsigned int n, unsigned int sz)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (likely(ptrs[i]))
			gen_pool_free(trb_pool[sz], (unsigned long)ptrs[i],
				      trb_sizes[sz]);
}

/* The timed section of one worker: @n objects of @size, then their frees. */
static void trb_measure(struct trb_worker *w, enum trb_kind kind,
			unsigned int sz)
{
	unsigned int size = trb_sizes[sz], n = trb_objs, i;
	struct region *r = NULL;
	unsigned long fails = 0;
	void **ptrs = w->ptrs;

	if (kind == TRB_REGION_SHARED || kind == TRB_REGION_PERCPU)
		r = trb_region[kind == TRB_REGION_PERCPU];

	w->start = ktime_get_ns();
	switch (kind) {
	case TRB_REGION_SHARED:
	case TRB_REGION_PERCPU:
		for (i = 0; i < n; i++)
			ptrs[i] = region_alloc_inline(r, size, GFP_KERNEL);
		/* Freed all at once by the controller's region_drop(). */
		break;
	case TRB_FLOOR:
		for (i = 0; i < n; i++)
			ptrs[i] = (void *)atomic_long_add_return(size,
								 &trb_floor);
		break;
	case TRB_KMALLOC:
		for (i = 0; i < n; i++)
			ptrs[i] = kmalloc(size, GFP_ATOMIC);
		for (i = 0; i < n; i++)
			kfree(ptrs[i]);
		break;
	case TRB_KZALLOC:
		for (i = 0; i < n; i++)
			ptrs[i] = kzalloc(size, GFP_ATOMIC);
		for (i = 0; i < n; i++)
			kfree(ptrs[i]);
		break;
	case TRB_KMEM_CACHE:
		for (i = 0; i < n; i++)
			ptrs[i] = kmem_cache_alloc(trb_cache[sz], GFP_ATOMIC);
		trb_free_cache(ptrs, n, sz);
		break;
	case TRB_KMEM_CACHE_Z:
		for (i = 0; i < n; i++)
			ptrs[i] = kmem_cache_zalloc(trb_cache[sz], GFP_ATOMIC);
		trb_free_cache(ptrs, n, sz);
		break;
	case TRB_PAGE_FRAG:
		for (i = 0; i < n; i++)
			ptrs[i] = page_frag_alloc(&w->frag, size, GFP_ATOMIC);
		trb_free_frag(ptrs, n);
		break;
	case TRB_PAGE_FRAG_Z:
		for (i = 0; i < n; i++) {
			ptrs[i] = page_frag_alloc(&w->frag, size, GFP_ATOMIC);
			if (likely(ptrs[i]))
				memset(ptrs[i], 0, size);
		}
		trb_free_frag(ptrs, n);
		break;
	case TRB_GEN_POOL:
		for (i = 0; i < n; i++)
			ptrs[i] = (void *)gen_pool_alloc(trb_pool[sz], size);
		trb_free_pool(ptrs, n, sz);
		break;
	case TRB_GEN_POOL_Z:
		for (i = 0; i < n; i++) {
			ptrs[i] = (void *)gen_pool_alloc(trb_pool[sz], size);
			if (likely(ptrs[i]))
				memset(ptrs[i], 0, size);
		}
		trb_free_pool(ptrs, n, sz);
		break;
	default:
		break;
	}
	w->end = ktime_get_ns();

	if (kind != TRB_FLOOR)
		for (i = 0; i < n; i++)
			fails += !ptrs[i];
	w->fails = fails;
}

static int trb_worker_fn(void *data)
{
	struct trb_worker *w = data;
	unsigned long seen = 0;

	for (;;) {
		wait_event_interruptible(trb_job.wq,
					 READ_ONCE(trb_job.seq) != seen ||
					 kthread_should_stop());
		if (kthread_should_stop())
			break;
		seen = READ_ONCE(trb_job.seq);
		/* Pairs with the smp_wmb() of trb_run(): the job is set. */
		smp_rmb();
		if (w->idx >= trb_job.threads)
			continue;

		/* Start together. */
		atomic_inc(&trb_job.arrived);
		while (atomic_read(&trb_job.arrived) < trb_job.threads)
			cpu_relax();

		trb_measure(w, trb_job.kind, trb_job.sz);
		if (atomic_dec_and_test(&trb_job.left))
			complete(&trb_job.done);
	}
	return 0;
}

/*
 * Run one measurement on @threads workers; return the slowest one's ns, and
 * in @span the ns from the first one's start to the last one's end.
 */
static u64 trb_run(enum trb_kind kind, unsigned int sz, unsigned int threads,
		   u64 *span)
{
	u64 ns = 0, start = U64_MAX, end = 0;
	struct trb_worker *w;
	unsigned int i;

	trb_job.kind = kind;
	trb_job.sz = sz;
	trb_job.threads = threads;
	atomic_set(&trb_job.arrived, 0);
	atomic_set(&trb_job.left, threads);
	reinit_completion(&trb_job.done);
	/* Pairs with the smp_rmb() of trb_worker_fn(). */
	smp_wmb();
	WRITE_ONCE(trb_job.seq, trb_job.seq + 1);
	wake_up_all(&trb_job.wq);
	/* Sleep in short slices: a long run must not look like a hung task. */
	while (!wait_for_completion_timeout(&trb_job.done, HZ))
		;

	for (i = 0; i < threads; i++) {
		w = &trb_workers[i];
		ns = max(ns, w->end - w->start);
		start = min(start, w->start);
		end = max(end, w->end);
		trb_fails[kind] += w->fails;
	}
	*span = end - start;
	return ns;
}

static u64 trb_region_stat(struct region *r, bool vmallocs)
{
	struct region_stats st;

	region_get_stats(r, &st);
	return vmallocs ? st.vmalloc_calls : st.blocks_held;
}

/*
 * Off-CPU time of the task in region_drop(), from sched_switch: a drop
 * sleeps through an RCU grace period, which costs latency but no CPU.
 */
static struct tracepoint *trb_tp_switch;
static struct task_struct *trb_dropper;
static u64 trb_off_start;
static u64 trb_off_ns;

static void trb_probe_switch(void *data, bool preempt,
			     struct task_struct *prev,
			     struct task_struct *next,
			     unsigned int prev_state)
{
	struct task_struct *t = READ_ONCE(trb_dropper);

	if (!t)
		return;
	/* The scheduler orders a task's switch-out before its switch-in. */
	if (prev == t) {
		WRITE_ONCE(trb_off_start, ktime_get_ns());
	} else if (next == t && READ_ONCE(trb_off_start)) {
		WRITE_ONCE(trb_off_ns, READ_ONCE(trb_off_ns) +
			   ktime_get_ns() - READ_ONCE(trb_off_start));
		WRITE_ONCE(trb_off_start, 0);
	}
}

static void trb_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_switch"))
		*(struct tracepoint **)priv = tp;
}

/* region_drop(@r): its wall time and its on-CPU time, in ns. */
static void trb_drop(struct region *r, u64 *wall, u64 *on_cpu)
{
	u64 t0, t;

	WRITE_ONCE(trb_off_ns, 0);
	WRITE_ONCE(trb_off_start, 0);
	WRITE_ONCE(trb_dropper, current);
	t0 = ktime_get_ns();
	region_drop(r);
	t = ktime_get_ns() - t0;
	WRITE_ONCE(trb_dropper, NULL);
	*wall = t;
	*on_cpu = t - min(t, READ_ONCE(trb_off_ns));
}

/* One repetition: every allocator, size and CPU mode, back to back. */
static void trb_rep(unsigned int rep)
{
	unsigned int sz, m, k, rm;
	u64 t0, v0;

	t0 = ktime_get_ns();
	synchronize_rcu();
	trb_gp_ns[rep] = ktime_get_ns() - t0;

	for (sz = 0; sz < trb_nr_sizes; sz++) {
		for (m = 0; m < trb_nr_modes; m++) {
			for (k = 0; k < TRB_NR_KINDS; k++) {
				struct region *r = NULL;

				if (k == TRB_REGION_SHARED ||
				    k == TRB_REGION_PERCPU) {
					rm = k == TRB_REGION_PERCPU;
					r = trb_region[rm];
					v0 = trb_region_stat(r, true);
				}
				trb_ns[k][sz][m][rep] =
					trb_run(k, sz, trb_threads[m],
						&trb_span[k][sz][m][rep]);
				if (!r)
					continue;

				trb_blocks[rm][sz][m] +=
					trb_region_stat(r, false);
				trb_drop(r, &trb_drop_ns[rm][sz][m][rep],
					 &trb_drop_cpu_ns[rm][sz][m][rep]);
				trb_vmallocs[rm][sz][m] +=
					trb_region_stat(r, true) - v0;
			}
			cond_resched();
		}
	}
}

static int trb_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Scratch for the medians; only the insmod process computes them. */
static u64 trb_tmp[TRB_MAX_REPS];
static u64 trb_tmp_ratio[TRB_MAX_REPS];

static u64 trb_median(const u64 *v, unsigned int n)
{
	memcpy(trb_tmp, v, n * sizeof(*v));
	sort(trb_tmp, n, sizeof(*trb_tmp), trb_cmp_u64, NULL);
	return n & 1 ? trb_tmp[n / 2] :
		       (trb_tmp[n / 2 - 1] + trb_tmp[n / 2]) / 2;
}

/* Median over the repetitions of a[rep] * 1000 / b[rep]. */
static u64 trb_ratio(const u64 *a, const u64 *b, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		trb_tmp_ratio[i] = div64_u64(a[i] * 1000, max_t(u64, b[i], 1));
	return trb_median(trb_tmp_ratio, n);
}

/*
 * The "+drop" rows: allocation time plus the drop's CPU time spread over all
 * objects of the measurement.
 */
static void trb_fill_drop_rows(void)
{
	unsigned int rm, sz, m, rep, k, row;
	u64 *d;

	for (rm = 0; rm < 2; rm++) {
		k = TRB_REGION_SHARED + rm;
		row = TRB_ROW_SHARED_DROP + rm;
		for (sz = 0; sz < trb_nr_sizes; sz++) {
			for (m = 0; m < trb_nr_modes; m++) {
				d = trb_drop_cpu_ns[rm][sz][m];
				for (rep = 0; rep < trb_reps; rep++) {
					u64 share = div_u64(d[rep],
							    trb_threads[m]);

					trb_ns[row][sz][m][rep] =
						trb_ns[k][sz][m][rep] + share;
					trb_span[row][sz][m][rep] =
						trb_span[k][sz][m][rep] + share;
				}
			}
		}
	}
}

/* ns/object with two decimals, from ns per @trb_objs objects. */
static void trb_print_ns(u64 ns)
{
	u32 rem;
	u64 c = div_u64_rem(div_u64(ns * 100, trb_objs), 100, &rem);

	trb_printf("%llu.%02u", c, rem);
}

static void trb_print_ratio(u64 milli)
{
	u32 rem;
	u64 whole = div_u64_rem(milli, 1000, &rem);

	trb_printf(",%llu.%03u", whole, rem);
}

/*
 * The results, as CSV lines:
 *   obj,<cpus>,<size>,<allocator>,<ns/object>,<x region-shared>,
 *       <x region-shared+drop>,<x region-percpu>,<x region-percpu+drop>,
 *       <x floor>,<x 1-CPU throughput>
 *   drop,<cpus>,<size>,<region mode>,<drop wall us>,<drop on-CPU us>,
 *       <vmallocs per cycle>,<blocks per cycle>
 *   gp,<synchronize_rcu() us>
 *   fail,<allocator>,<NULL returns in the whole run>
 * Medians over the repetitions; "x A" is the median of the per-repetition
 * ratios of this row's time to A's time, measured back to back.  "x 1-CPU
 * throughput" is this allocator's throughput on <cpus> CPUs at once
 * (the objects of all of them per second of the span from the first one's
 * start to the last one's end) divided by its throughput on one CPU: the
 * median of the per-repetition <cpus> * t(1 CPU) / span(<cpus>); 1 on one
 * CPU.  The span, not the slowest CPU's time: vCPUs that the host runs in
 * turn each finish as fast as one alone, and only the span shows it.
 */
static void trb_report_obj(unsigned int m, unsigned int sz)
{
	static const unsigned int refs[] = {
		TRB_REGION_SHARED, TRB_ROW_SHARED_DROP, TRB_REGION_PERCPU,
		TRB_ROW_PERCPU_DROP, TRB_FLOOR,
	};
	unsigned int k, i;

	for (k = 0; k < TRB_NR_ROWS; k++) {
		const u64 *t = trb_ns[k][sz][m];

		trb_printf("obj,%u,%u,%s,", trb_threads[m], trb_sizes[sz],
			   trb_names[k]);
		trb_print_ns(trb_median(t, trb_reps));
		for (i = 0; i < ARRAY_SIZE(refs); i++)
			trb_print_ratio(trb_ratio(t, trb_ns[refs[i]][sz][m],
						  trb_reps));
		trb_print_ratio(trb_threads[m] *
				trb_ratio(trb_ns[k][sz][0], trb_span[k][sz][m],
					  trb_reps));
		trb_printf("\n");
	}
}

static void trb_report_drop(unsigned int m, unsigned int sz, unsigned int rm)
{
	u64 wall = trb_median(trb_drop_ns[rm][sz][m], trb_reps);
	u64 on_cpu = trb_median(trb_drop_cpu_ns[rm][sz][m], trb_reps);

	trb_printf("drop,%u,%u,%s,%llu,%llu,%llu,%llu\n", trb_threads[m],
		   trb_sizes[sz], rm ? "percpu" : "shared",
		   div_u64(wall, 1000), div_u64(on_cpu, 1000),
		   div_u64(trb_vmallocs[rm][sz][m], trb_reps),
		   div_u64(trb_blocks[rm][sz][m], trb_reps));
}

static void trb_report(void)
{
	unsigned int sz, m, k;

	trb_printf("# traceregion_bench: kernel %s, %u online CPUs, ",
		   init_utsname()->release, num_online_cpus());
	trb_printf("%u objects per CPU per measurement, %u repetitions, medians\n",
		   trb_objs, trb_reps);
	trb_printf("# Under qemu TCG absolute times are distorted (emulated instructions,\n");
	trb_printf("# atomics as host calls): only the ratios of one run count.\n");
	trb_printf("# obj,cpus,size,allocator,ns_per_object,x_region_shared,");
	trb_printf("x_region_shared_drop,x_region_percpu,x_region_percpu_drop,x_floor,");
	trb_printf("x_1cpu_throughput\n");
	trb_printf("# drop,cpus,size,mode,wall_us,on_cpu_us,vmallocs,blocks\n");

	for (m = 0; m < trb_nr_modes; m++)
		for (sz = 0; sz < trb_nr_sizes; sz++)
			trb_report_obj(m, sz);
	for (m = 0; m < trb_nr_modes; m++)
		for (sz = 0; sz < trb_nr_sizes; sz++) {
			trb_report_drop(m, sz, 0);
			trb_report_drop(m, sz, 1);
		}
	trb_printf("gp,%llu\n",
		   div_u64(trb_median(trb_gp_ns, trb_reps), 1000));
	for (k = 0; k < TRB_NR_KINDS; k++)
		trb_printf("fail,%s,%lu\n", trb_names[k], trb_fails[k]);
	trb_printf("# end\n");
}

static int trb_results_show(struct seq_file *m, void *v)
{
	seq_write(m, trb_out, trb_out_len);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(trb_results);

static bool trb_params_valid(void)
{
	unsigned int i;

	if (trb_objs < 16 || trb_objs > TRB_MAX_OBJS || !trb_reps ||
	    trb_reps > TRB_MAX_REPS || !trb_nr_sizes)
		return false;
	for (i = 0; i < trb_nr_sizes; i++)
		if (!is_power_of_2(trb_sizes[i]) || trb_sizes[i] < 8 ||
		    trb_sizes[i] > PAGE_SIZE)
			return false;
	return true;
}

static void trb_stop_workers(void)
{
	unsigned int i;

	for (i = 0; i < trb_nr_workers; i++) {
		struct trb_worker *w = &trb_workers[i];

		if (w->task)
			kthread_stop(w->task);
		page_frag_cache_drain(&w->frag);
		kvfree(w->ptrs);
	}
	kfree(trb_workers);
	trb_workers = NULL;
	trb_nr_workers = 0;
}

/* One kthread bound to each online CPU; CPU hotplug during a run is not supported. */
static int trb_start_workers(void)
{
	struct trb_worker *w;
	unsigned int cpu;

	trb_workers = kcalloc(num_possible_cpus(), sizeof(*trb_workers),
			      GFP_KERNEL);
	if (!trb_workers)
		return -ENOMEM;
	for_each_online_cpu(cpu) {
		w = &trb_workers[trb_nr_workers];
		w->idx = trb_nr_workers;
		w->ptrs = kvmalloc_array(trb_objs, sizeof(void *), GFP_KERNEL);
		if (!w->ptrs)
			return -ENOMEM;
		w->task = tr_kthread_on_cpu(trb_worker_fn, w, cpu, "trb/%u");
		if (IS_ERR(w->task)) {
			w->task = NULL;
			kvfree(w->ptrs);
			w->ptrs = NULL;
			return -ENOMEM;
		}
		trb_nr_workers++;
		wake_up_process(w->task);
	}
	return 0;
}

static void trb_free_allocators(void)
{
	unsigned int sz, rm;

	for (rm = 0; rm < 2; rm++)
		region_destroy(trb_region[rm]);
	for (sz = 0; sz < TRB_MAX_SIZES; sz++) {
		if (trb_pool[sz])
			gen_pool_destroy(trb_pool[sz]);
		vfree(trb_pool_mem[sz]);
		kmem_cache_destroy(trb_cache[sz]);
	}
}

static int trb_setup_allocators(void)
{
	struct region_params p = {
		.reserve_blocks = REGION_MAX_RESERVE,
	};
	unsigned int sz, size;
	size_t bytes;
	char name[32];	/* "trb_" and two u32s */

	trb_region[0] = region_create("trb_shared", &p);
	p.flags = REGION_F_PERCPU;
	trb_region[1] = region_create("trb_percpu", &p);
	if (IS_ERR(trb_region[0]) || IS_ERR(trb_region[1]))
		return -ENOMEM;

	for (sz = 0; sz < trb_nr_sizes; sz++) {
		size = trb_sizes[sz];
		snprintf(name, sizeof(name), "trb_%u_%u", sz, size);
		trb_cache[sz] = kmem_cache_create(name, size, 0, 0, NULL);
		/* A granule of the object size: one bit per object. */
		trb_pool[sz] = gen_pool_create(ilog2(size), NUMA_NO_NODE);
		bytes = (size_t)size * trb_objs * trb_nr_workers;
		trb_pool_mem[sz] = vmalloc(bytes);
		if (!trb_cache[sz] || !trb_pool[sz] || !trb_pool_mem[sz] ||
		    gen_pool_add(trb_pool[sz], (unsigned long)trb_pool_mem[sz],
				 bytes, NUMA_NO_NODE))
			return -ENOMEM;
	}
	return 0;
}

static void trb_free_tables(void)
{
	vfree(trb_ns);
	vfree(trb_span);
	vfree(trb_drop_ns);
	vfree(trb_drop_cpu_ns);
}

static int __init trb_init(void)
{
	unsigned int rep;
	int ret;

	if (!trb_params_valid()) {
		pr_err("bad parameters: objs 16-%lu, reps 1-%u, sizes powers of two 8-%lu\n",
		       TRB_MAX_OBJS, TRB_MAX_REPS, PAGE_SIZE);
		return -EINVAL;
	}
	for_each_kernel_tracepoint(trb_find_tracepoint, &trb_tp_switch);
	if (!trb_tp_switch) {
		pr_err("no sched_switch tracepoint\n");
		return -ENOENT;
	}
	init_waitqueue_head(&trb_job.wq);
	init_completion(&trb_job.done);

	trb_out = vzalloc(TRB_OUT_SIZE);
	trb_ns = vzalloc(sizeof(*trb_ns) * TRB_NR_ROWS);
	trb_span = vzalloc(sizeof(*trb_span) * TRB_NR_ROWS);
	trb_drop_ns = vzalloc(sizeof(*trb_drop_ns) * 2);
	trb_drop_cpu_ns = vzalloc(sizeof(*trb_drop_cpu_ns) * 2);
	ret = -ENOMEM;
	if (!trb_out || !trb_ns || !trb_span || !trb_drop_ns ||
	    !trb_drop_cpu_ns)
		goto out;
	ret = tracepoint_probe_register(trb_tp_switch,
					(void *)trb_probe_switch, NULL);
	if (ret)
		goto out;

	ret = trb_start_workers();
	trb_threads[0] = 1;
	trb_nr_modes = 1;
	if (trb_nr_workers > 1) {
		trb_threads[1] = trb_nr_workers;
		trb_nr_modes = 2;
	}
	if (!ret)
		ret = trb_setup_allocators();
	if (!ret) {
		for (rep = 0; rep < trb_reps; rep++)
			trb_rep(rep);
		trb_fill_drop_rows();
		trb_report();
	}
	trb_stop_workers();
	trb_free_allocators();
	tracepoint_probe_unregister(trb_tp_switch, (void *)trb_probe_switch,
				    NULL);
	tracepoint_synchronize_unregister();
out:
	trb_free_tables();
	if (ret) {
		vfree(trb_out);
		return ret;
	}
	trb_dir = debugfs_create_dir("traceregion_bench", NULL);
	debugfs_create_file("results", 0400, trb_dir, NULL,
			    &trb_results_fops);
	return 0;
}

static void __exit trb_exit(void)
{
	debugfs_remove_recursive(trb_dir);
	vfree(trb_out);
}

module_init(trb_init);
module_exit(trb_exit);

MODULE_DESCRIPTION("traceregion benchmark: region_alloc() against the kernel's allocators");
MODULE_AUTHOR("traceregion developers");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(TRACEREGION);
