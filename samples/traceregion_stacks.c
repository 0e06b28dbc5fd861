// SPDX-License-Identifier: GPL-2.0
/*
 * traceregion_stacks - a kernel stack-trace table kept in a traceregion,
 * thrown away once per generation
 *
 * A worked example of the pattern traceregion exists for, the one of the Go
 * execution tracer: probes that fire thousands of times a second intern
 * variable-sized records into a hash table whose nodes live in a region;
 * once per generation the table is summarised and its whole region dropped
 * in one go.  It uses only the exported API of traceregion.ko.
 *
 * What it does:
 *  - A probe on the sched_switch tracepoint (and, with kprobe=SYMBOL, a
 *    kprobe) saves the kernel stack with stack_trace_save(), hashes it and
 *    interns it in the table of the current generation.  A stack already in
 *    the table gets its hit count bumped; a new one gets a node, PCs
 *    included, from region_alloc(GFP_NOWAIT | __GFP_NOWARN), published with
 *    cmpxchg() at the head of its bucket.  When the region says no, the
 *    event is counted as lost.
 *  - There are two tables, each with its own region ("stacks_even",
 *    "stacks_odd"), indexed by the parity of the generation number.  Every
 *    period_ms a work item flips the generation, waits for a grace period
 *    so that no probe can still touch the old table, copies the old table's
 *    counters and top stacks into a summary, forgets its entries and
 *    region_drop()s its region: the next time that table is used, it starts
 *    empty in a region whose blocks are ready again.
 *  - /sys/kernel/debug/traceregion_stacks/top shows the summary of the last
 *    finished generation, stacks symbolised with %pS; .../stats shows the
 *    totals since load and the parameters.
 *  - Both regions have an on_drop callback, so a drop requested by writing
 *    1 to /sys/kernel/debug/traceregion/stacks_{even,odd}/drop is safe at
 *    any time: the table forgets its entries and waits for its probes
 *    before the region frees its memory.
 *
 * Context and locking rules:
 *  - The probes run in atomic context: sched_switch with interrupts off and
 *    the runqueue lock held; a kprobe in whatever context its symbol runs,
 *    hard IRQ and NMI included.  They take no lock, never sleep, allocate
 *    only with region_alloc(GFP_NOWAIT | __GFP_NOWARN) and update counters
 *    with this_cpu_inc() and atomic_long_inc(), so they are NMI-safe.
 *  - A probe runs with preemption disabled from start to end, which makes
 *    it an RCU read-side critical section: synchronize_rcu() waits for every
 *    probe that could have seen a table as current or loaded a bucket head.
 *  - trs.gen is written only by the generation work; a probe reads it once
 *    and uses the table of its parity until it returns.
 *  - While a table is live its bucket chains only grow.  A node is filled
 *    in before cmpxchg() (a full barrier) publishes it; readers load heads
 *    and ->next with READ_ONCE() and rely on the address dependency.
 *    Nodes are never unlinked one by one: a table forgets all its entries
 *    at once by resetting its heads, and a grace period passes before its
 *    region's memory is freed.
 *  - trs.lock (a mutex) serialises every walk or reset of a table outside
 *    the probes (summary, on_drop) and the published summary.  It is never
 *    held across region_drop() or region_destroy(): they take the region's
 *    drop mutex and call on_drop, which takes trs.lock.
 *  - The per-CPU counters of a table are reset by the generation work only
 *    after the grace period, when no probe can write them.
 *  - Unload: debugfs files, then the probes (unregister, then wait with
 *    tracepoint_synchronize_unregister()), then the work, then the regions,
 *    whose destruction waits for debugfs drops in flight and their on_drop.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>

#include "region_alloc.h"
#include "selftests/traceregion/tr_kcompat.h"

/* Largest depth= accepted; the stack buffer of a probe is on its stack. */
#define TRS_MAX_DEPTH	32
/* Extra PCs saved to make room for the probe's own frames, then skipped. */
#define TRS_SKIP_SLACK	8
/*
 * A kprobe's stack starts at the probed instruction: its address plus the
 * length of the int3 or of the ftrace call.
 */
#define TRS_KPROBE_SLACK	16
/* Largest max_kb= accepted: 1 TiB, or what size_t holds. */
#define TRS_MAX_KB	min_t(unsigned long, 1UL << 30, SIZE_MAX / SZ_1K)
/* Largest top= accepted. */
#define TRS_MAX_TOP	64

static unsigned int trs_period_ms = 1000;
module_param_named(period_ms, trs_period_ms, uint, 0444);
MODULE_PARM_DESC(period_ms, "length of a generation in ms (10-60000, default 1000)");

static unsigned int trs_depth = 16;
module_param_named(depth, trs_depth, uint, 0444);
MODULE_PARM_DESC(depth, "PCs kept per stack (1-32, default 16)");

static unsigned int trs_top = 10;
module_param_named(top, trs_top, uint, 0444);
MODULE_PARM_DESC(top, "stacks shown per generation (1-64, default 10)");

static unsigned int trs_hash_bits = 10;
module_param_named(hash_bits, trs_hash_bits, uint, 0444);
MODULE_PARM_DESC(hash_bits, "log2 of the buckets per table (4-16, default 10)");

static unsigned int trs_reserve = 4;
module_param_named(reserve, trs_reserve, uint, 0444);
MODULE_PARM_DESC(reserve, "spare 64 KiB blocks per region for the probes (1-64, default 4)");

static unsigned long trs_max_kb;
module_param_named(max_kb, trs_max_kb, ulong, 0444);
MODULE_PARM_DESC(max_kb, "cap on each region's blocks in KiB (0 = none, else 64 * (reserve + 1) to 2^30)");

static char *trs_kprobe_sym;
module_param_named(kprobe, trs_kprobe_sym, charp, 0444);
MODULE_PARM_DESC(kprobe, "also record the stacks hitting this kernel symbol (kprobe)");

/**
 * enum trs_source - what recorded a stack
 * @TRS_SRC_SCHED_SWITCH: the sched_switch tracepoint
 * @TRS_SRC_KPROBE: the kprobe given with the kprobe parameter
 * @TRS_SRC_NR: number of sources
 */
enum trs_source {
	TRS_SRC_SCHED_SWITCH,
	TRS_SRC_KPROBE,
	TRS_SRC_NR,
};

static const char * const trs_source_names[TRS_SRC_NR] = {
	[TRS_SRC_SCHED_SWITCH]	= "sched_switch",
	[TRS_SRC_KPROBE]	= "kprobe",
};

/**
 * struct trs_entry - one interned stack; lives in the table's region
 * @next: next entry of the bucket; written before the entry is published
 * @hits: times the stack was recorded in this generation
 * @hash: jhash of @pcs, seeded with @source
 * @nr: number of PCs in @pcs
 * @source: &enum trs_source of the probe that recorded it
 * @pcs: return addresses, innermost first
 */
struct trs_entry {
	struct trs_entry *next;
	atomic_long_t hits;
	u32 hash;
	u16 nr;
	u16 source;
	unsigned long pcs[];
};

/**
 * struct trs_counters - per-CPU counters of one table, probes only add
 * @events: probe hits by &enum trs_source
 * @interned: new entries published
 * @lost: events dropped because region_alloc() returned NULL
 * @races: entries allocated, then not published because another CPU
 *	published the same stack first (their memory stays unused until the
 *	drop)
 */
struct trs_counters {
	unsigned long events[TRS_SRC_NR];
	unsigned long interned;
	unsigned long lost;
	unsigned long races;
};

/**
 * struct trs_table - the stack table of one generation parity
 * @buckets: heads of the bucket chains, 1 << hash_bits of them
 * @cnt: per-CPU counters of the generation in progress
 * @region: where the entries live
 * @debugfs_drops: debugfs drops of @region from the time the table went
 *	live until the generation work dropped the region, under trs.lock
 * @idle: summarised, emptied and dropped, not live yet again, under
 *	trs.lock
 * @failures: failed region_alloc() calls of @region at the last summary
 */
struct trs_table {
	struct trs_entry **buckets;
	struct trs_counters __percpu *cnt;
	struct region *region;
	unsigned long debugfs_drops;
	bool idle;
	u64 failures;
};

/**
 * struct trs_stack - a stack of a summary, copied out of the region
 * @hits: hit count at the end of the generation
 * @nr: number of PCs in @pcs
 * @source: &enum trs_source
 * @pcs: return addresses, innermost first
 */
struct trs_stack {
	unsigned long hits;
	unsigned int nr;
	unsigned int source;
	unsigned long pcs[TRS_MAX_DEPTH];
};

/**
 * struct trs_summary - what is left of a finished generation
 * @valid: a generation has been summarised into this
 * @generation: number of the generation
 * @events: probe hits by &enum trs_source
 * @interned: new entries published
 * @lost: events that found no memory
 * @races: entries lost to a concurrent insert of the same stack
 * @entries: entries in the table at the end of the generation
 * @hits: sum of the entries' hit counts
 * @debugfs_drops: debugfs drops of the region during the generation
 * @region: name of the region that held the table
 * @blocks: blocks the region held at the end of the generation
 * @bytes_live: bytes handed out by the region in the generation
 * @region_failures: failed region_alloc() calls of the region during the
 *	generation
 * @vmalloc_calls: vmalloc() calls of both regions during the generation
 * @vfree_calls: vfree() calls of both regions during the generation
 * @nr_top: valid entries of @top
 * @top: the most hit stacks, most hit first
 */
struct trs_summary {
	bool valid;
	unsigned long generation;
	unsigned long events[TRS_SRC_NR];
	unsigned long interned;
	unsigned long lost;
	unsigned long races;
	unsigned long entries;
	unsigned long hits;
	unsigned long debugfs_drops;
	const char *region;
	u64 blocks;
	u64 bytes_live;
	u64 region_failures;
	u64 vmalloc_calls;
	u64 vfree_calls;
	unsigned int nr_top;
	struct trs_stack top[];
};

static const char * const trs_region_names[2] = {
	"stacks_even", "stacks_odd",
};

static struct {
	/* Current generation; table[gen & 1] is live.  Written by the work. */
	unsigned long gen;
	struct trs_table table[2];

	/* Guards the fields below and every table walk or reset. */
	struct mutex lock;
	/* Last finished generation; ->scratch is the work's next buffer. */
	struct trs_summary *sum;
	struct trs_summary *scratch;
	unsigned long finished;
	unsigned long events[TRS_SRC_NR];
	unsigned long interned;
	unsigned long lost;
	unsigned long races;
	unsigned long debugfs_drops;
	u64 vmalloc_calls;
	u64 vfree_calls;

	struct delayed_work work;
	struct tracepoint *tp;
	struct kprobe kp;
	bool kp_registered;
	struct dentry *dir;
} trs = {
	.lock = __MUTEX_INITIALIZER(trs.lock),
};

/* Scratch of the summary: the best entries so far, under trs.lock. */
static struct trs_entry *trs_best[TRS_MAX_TOP];
static unsigned long trs_best_hits[TRS_MAX_TOP];

/* Probe side: any context, no locks. */

static bool trs_same(const struct trs_entry *e, u32 hash, u16 source,
		     const unsigned long *pcs, unsigned int nr)
{
	return e->hash == hash && e->nr == nr && e->source == source &&
	       !memcmp(e->pcs, pcs, nr * sizeof(*pcs));
}

/*
 * Look for the stack in the chain from @e up to, not including, @stop; bump
 * its hit count if found.
 */
static bool trs_hit(struct trs_entry *e, struct trs_entry *stop, u32 hash,
		    u16 source, const unsigned long *pcs, unsigned int nr)
{
	for (; e && e != stop; e = READ_ONCE(e->next)) {
		if (trs_same(e, hash, source, pcs, nr)) {
			atomic_long_inc(&e->hits);
			return true;
		}
	}
	return false;
}

static void trs_intern(struct trs_table *t, u16 source,
		       const unsigned long *pcs, unsigned int nr)
{
	u32 hash = jhash2((const u32 *)pcs,
			  nr * sizeof(*pcs) / sizeof(u32), source);
	struct trs_entry **head = &t->buckets[hash & ((1U << trs_hash_bits) - 1)];
	struct trs_entry *first, *old, *stop = NULL, *e = NULL;

	first = READ_ONCE(*head);
	for (;;) {
		/* First time the whole chain, then only what was pushed since. */
		if (trs_hit(first, stop, hash, source, pcs, nr)) {
			if (e)
				this_cpu_inc(t->cnt->races);
			return;
		}
		if (!e) {
			e = region_alloc(t->region, struct_size(e, pcs, nr),
					 GFP_NOWAIT | __GFP_NOWARN);
			if (!e) {
				this_cpu_inc(t->cnt->lost);
				return;
			}
			/* Region memory is zeroed: only set what is not 0. */
			atomic_long_set(&e->hits, 1);
			e->hash = hash;
			e->nr = nr;
			e->source = source;
			memcpy(e->pcs, pcs, nr * sizeof(*pcs));
		}
		e->next = first;
		/* Fully ordered: @e is filled in before it can be seen. */
		old = cmpxchg(head, first, e);
		if (old == first) {
			this_cpu_inc(t->cnt->interned);
			return;
		}
		stop = first;
		first = old;
	}
}

/*
 * Record the current stack.  Leading frames are skipped: those of this
 * module, and with @from set, every frame before the first one that lies
 * within TRS_KPROBE_SLACK bytes after @from (the kprobe machinery, up to
 * the probed instruction).
 */
static void trs_record(u16 source, unsigned long from)
{
	unsigned long pcs[TRS_MAX_DEPTH + TRS_SKIP_SLACK];
	unsigned int nr, i, skip = 0;
	struct trs_table *t;

	t = &trs.table[READ_ONCE(trs.gen) & 1];
	this_cpu_inc(t->cnt->events[source]);

	nr = stack_trace_save(pcs, trs_depth + TRS_SKIP_SLACK, 0);
	while (skip < nr && within_module(pcs[skip], THIS_MODULE))
		skip++;
	if (from) {
		for (i = skip; i < nr; i++) {
			if (pcs[i] - from <= TRS_KPROBE_SLACK) {
				skip = i;
				break;
			}
		}
	}
	nr = min(nr - skip, trs_depth);
	trs_intern(t, source, pcs + skip, nr);
}

static void trs_probe_sched_switch(void *data, TR_SCHED_SWITCH_ARGS)
{
	trs_record(TRS_SRC_SCHED_SWITCH, 0);
}

static int trs_kprobe_pre(struct kprobe *p, struct pt_regs *regs)
{
	/*
	 * The grace periods the generation work and on_drop wait for only
	 * cover probes that run where RCU is watching.  A kprobe may sit
	 * where it is not; such hits are not recorded.
	 */
	if (rcu_is_watching())
		trs_record(TRS_SRC_KPROBE, (unsigned long)p->addr);
	return 0;
}

/* Table side: process context, under trs.lock. */

/* Forget every entry; probes still walking old chains are not waited for. */
static void trs_forget(struct trs_table *t)
{
	unsigned int i;

	lockdep_assert_held(&trs.lock);
	for (i = 0; i < 1U << trs_hash_bits; i++)
		WRITE_ONCE(t->buckets[i], NULL);
}

static void trs_best_insert(struct trs_entry *e, unsigned long hits,
			    unsigned int *nr_best)
{
	unsigned int i = *nr_best;

	if (i == trs_top) {
		if (hits <= trs_best_hits[i - 1])
			return;
		i--;
	} else {
		(*nr_best)++;
	}
	for (; i > 0 && trs_best_hits[i - 1] < hits; i--) {
		trs_best[i] = trs_best[i - 1];
		trs_best_hits[i] = trs_best_hits[i - 1];
	}
	trs_best[i] = e;
	trs_best_hits[i] = hits;
}

/*
 * Fill @s from table @t, which no probe can reach any more: after the flip
 * and its grace period the chains and counters stay as they are.
 */
static void trs_summarize(struct trs_table *t, unsigned long gen,
			  struct trs_summary *s)
{
	struct region_stats st;
	unsigned int i, nr_best = 0;
	struct trs_entry *e;
	unsigned long hits;
	int cpu;

	lockdep_assert_held(&trs.lock);
	memset(s, 0, struct_size(s, top, trs_top));
	s->valid = true;
	s->generation = gen;
	s->region = trs_region_names[gen & 1];

	for_each_possible_cpu(cpu) {
		const struct trs_counters *c = per_cpu_ptr(t->cnt, cpu);

		for (i = 0; i < TRS_SRC_NR; i++)
			s->events[i] += c->events[i];
		s->interned += c->interned;
		s->lost += c->lost;
		s->races += c->races;
	}

	for (i = 0; i < 1U << trs_hash_bits; i++) {
		for (e = t->buckets[i]; e; e = e->next) {
			hits = atomic_long_read(&e->hits);
			s->entries++;
			s->hits += hits;
			trs_best_insert(e, hits, &nr_best);
		}
	}
	for (i = 0; i < nr_best; i++) {
		e = trs_best[i];
		s->top[i].hits = trs_best_hits[i];
		s->top[i].nr = e->nr;
		s->top[i].source = e->source;
		memcpy(s->top[i].pcs, e->pcs, e->nr * sizeof(e->pcs[0]));
	}
	s->nr_top = nr_best;

	region_get_stats(t->region, &st);
	s->blocks = st.blocks_held;
	s->bytes_live = st.bytes_live;
	s->region_failures = st.failures - t->failures;
	t->failures = st.failures;
}

/* vmalloc and vfree calls of both regions since they were created. */
static void trs_region_calls(u64 *vmallocs, u64 *vfrees)
{
	struct region_stats st;
	unsigned int i;

	*vmallocs = 0;
	*vfrees = 0;
	for (i = 0; i < ARRAY_SIZE(trs.table); i++) {
		region_get_stats(trs.table[i].region, &st);
		*vmallocs += st.vmalloc_calls;
		*vfrees += st.vfree_calls;
	}
}

static void trs_gen_work(struct work_struct *work)
{
	unsigned long gen = trs.gen;
	struct trs_table *t = &trs.table[gen & 1];
	struct trs_summary *s = trs.scratch;
	u64 vmallocs, vfrees;
	unsigned int i;
	int cpu;

	/* The flip: probes that start from now on use the other table. */
	mutex_lock(&trs.lock);
	trs.table[(gen + 1) & 1].idle = false;
	WRITE_ONCE(trs.gen, gen + 1);
	mutex_unlock(&trs.lock);
	/* Probes run with preemption off: none can still be inside @t. */
	synchronize_rcu();

	/* Copy out what is worth keeping, then forget the entries. */
	mutex_lock(&trs.lock);
	trs_summarize(t, gen, s);
	trs_forget(t);
	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(t->cnt, cpu), 0, sizeof(struct trs_counters));
	mutex_unlock(&trs.lock);

	/*
	 * Nothing points into the region any more: free it all at once.  This
	 * also waits for a debugfs drop in flight, whose fence may have cost
	 * the generation some events: its on_drop is counted in @t first.
	 */
	region_drop(t->region);

	mutex_lock(&trs.lock);
	s->debugfs_drops = t->debugfs_drops;
	t->debugfs_drops = 0;
	t->idle = true;
	trs_region_calls(&vmallocs, &vfrees);
	s->vmalloc_calls = vmallocs - trs.vmalloc_calls;
	s->vfree_calls = vfrees - trs.vfree_calls;
	trs.vmalloc_calls = vmallocs;
	trs.vfree_calls = vfrees;

	trs.scratch = trs.sum;
	trs.sum = s;
	trs.finished++;
	for (i = 0; i < TRS_SRC_NR; i++)
		trs.events[i] += s->events[i];
	trs.interned += s->interned;
	trs.lost += s->lost;
	trs.races += s->races;
	mutex_unlock(&trs.lock);

	schedule_delayed_work(&trs.work, msecs_to_jiffies(trs_period_ms));
}

/*
 * A drop requested through debugfs, of either table's region, at any time:
 * the region has fenced new allocations and waited for those in flight.
 * Forget the entries, then wait for the probes that may still hold one.
 */
static void trs_on_drop(struct region *r, void *priv)
{
	struct trs_table *t = priv;

	mutex_lock(&trs.lock);
	trs_forget(t);
	/* An idle table is empty: the drop costs its next generation nothing. */
	if (!t->idle)
		t->debugfs_drops++;
	trs.debugfs_drops++;
	mutex_unlock(&trs.lock);
	/*
	 * New probes find empty chains and, the region being fenced, publish
	 * nothing; older ones may still be reading an entry.
	 */
	synchronize_rcu();
}

/* debugfs */

static unsigned long trs_sum_events(const unsigned long *events)
{
	unsigned long sum = 0;
	unsigned int i;

	for (i = 0; i < TRS_SRC_NR; i++)
		sum += events[i];
	return sum;
}

static void trs_show_events(struct seq_file *m, const unsigned long *events)
{
	unsigned int i;

	seq_printf(m, "events: %lu\n", trs_sum_events(events));
	for (i = 0; i < TRS_SRC_NR; i++)
		seq_printf(m, "events_%s: %lu\n", trs_source_names[i],
			   events[i]);
}

/* %pS, but never a raw address: one that has no symbol any more is "?". */
static void trs_show_pc(struct seq_file *m, unsigned long pc)
{
	char sym[KSYM_SYMBOL_LEN];

	snprintf(sym, sizeof(sym), "%pS", (void *)pc);
	seq_printf(m, "  %s\n", strncmp(sym, "0x", 2) ? sym : "?");
}

static int trs_top_show(struct seq_file *m, void *v)
{
	const struct trs_summary *s;
	const struct trs_stack *st;
	unsigned long events;
	unsigned int i, j;

	mutex_lock(&trs.lock);
	s = trs.sum;
	if (!s->valid) {
		seq_puts(m, "no generation has finished yet\n");
		goto out;
	}
	events = trs_sum_events(s->events);
	seq_printf(m, "generation: %lu\n", s->generation);
	trs_show_events(m, s->events);
	seq_printf(m, "interned: %lu\n", s->interned);
	seq_printf(m, "lost: %lu\n", s->lost);
	seq_printf(m, "races: %lu\n", s->races);
	seq_printf(m, "entries: %lu\n", s->entries);
	seq_printf(m, "hits: %lu\n", s->hits);
	seq_printf(m, "debugfs_drops: %lu\n", s->debugfs_drops);
	seq_printf(m, "region: %s\n", s->region);
	seq_printf(m, "region_blocks: %llu\n", s->blocks);
	seq_printf(m, "region_bytes_live: %llu\n", s->bytes_live);
	seq_printf(m, "region_failures: %llu\n", s->region_failures);
	seq_printf(m, "vmalloc_calls: %llu\n", s->vmalloc_calls);
	seq_printf(m, "vfree_calls: %llu\n", s->vfree_calls);
	seq_printf(m, "top: %u of %lu\n", s->nr_top, s->entries);
	for (i = 0; i < s->nr_top; i++) {
		st = &s->top[i];
		seq_printf(m, "\nstack %u: hits %lu (%llu%%) %s\n", i + 1,
			   st->hits,
			   events ? div64_ul((u64)st->hits * 100, events) : 0,
			   trs_source_names[st->source]);
		for (j = 0; j < st->nr; j++)
			trs_show_pc(m, st->pcs[j]);
	}
out:
	mutex_unlock(&trs.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(trs_top);

static int trs_stats_show(struct seq_file *m, void *v)
{
	mutex_lock(&trs.lock);
	seq_printf(m, "generation: %lu\n", READ_ONCE(trs.gen));
	seq_printf(m, "finished: %lu\n", trs.finished);
	trs_show_events(m, trs.events);
	seq_printf(m, "interned: %lu\n", trs.interned);
	seq_printf(m, "lost: %lu\n", trs.lost);
	seq_printf(m, "races: %lu\n", trs.races);
	seq_printf(m, "debugfs_drops: %lu\n", trs.debugfs_drops);
	seq_printf(m, "vmalloc_calls: %llu\n", trs.vmalloc_calls);
	seq_printf(m, "vfree_calls: %llu\n", trs.vfree_calls);
	seq_printf(m, "period_ms: %u\n", trs_period_ms);
	seq_printf(m, "depth: %u\n", trs_depth);
	seq_printf(m, "top: %u\n", trs_top);
	seq_printf(m, "hash_bits: %u\n", trs_hash_bits);
	seq_printf(m, "reserve: %u\n", trs_reserve);
	seq_printf(m, "max_kb: %lu\n", trs_max_kb);
	seq_printf(m, "kprobe: %s\n", trs.kp_registered ? trs_kprobe_sym : "none");
	mutex_unlock(&trs.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(trs_stats);

/* Setup and teardown */

static void trs_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_switch"))
		*(struct tracepoint **)priv = tp;
}

static bool trs_param_ok(const char *name, unsigned long val,
			 unsigned long min, unsigned long max)
{
	if (val >= min && val <= max)
		return true;
	pr_err("%s=%lu: must be %lu to %lu\n", name, val, min, max);
	return false;
}

static bool trs_params_valid(void)
{
	unsigned long min_kb = (trs_reserve + 1UL) * (REGION_BLOCK_SIZE / SZ_1K);

	if (!trs_param_ok("period_ms", trs_period_ms, 10, 60000) ||
	    !trs_param_ok("depth", trs_depth, 1, TRS_MAX_DEPTH) ||
	    !trs_param_ok("top", trs_top, 1, TRS_MAX_TOP) ||
	    !trs_param_ok("hash_bits", trs_hash_bits, 4, 16) ||
	    !trs_param_ok("reserve", trs_reserve, 1, REGION_MAX_RESERVE))
		return false;
	if (trs_max_kb && !trs_param_ok("max_kb", trs_max_kb, min_kb,
					TRS_MAX_KB))
		return false;
	return true;
}

static void trs_free(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(trs.table); i++) {
		/* Waits for a debugfs drop in flight, and its on_drop. */
		region_destroy(trs.table[i].region);
		trs.table[i].region = NULL;
		free_percpu(trs.table[i].cnt);
		kvfree(trs.table[i].buckets);
	}
	kfree(trs.sum);
	kfree(trs.scratch);
}

static int trs_alloc(void)
{
	struct region_params rp = {
		.max_bytes = trs_max_kb * SZ_1K,
		.reserve_blocks = trs_reserve,
		.on_drop = trs_on_drop,
	};
	size_t sum_size = struct_size(trs.sum, top, trs_top);
	struct trs_table *t;
	unsigned int i;

	trs.sum = kzalloc(sum_size, GFP_KERNEL);
	trs.scratch = kzalloc(sum_size, GFP_KERNEL);
	if (!trs.sum || !trs.scratch)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(trs.table); i++) {
		t = &trs.table[i];
		t->buckets = kvcalloc(1U << trs_hash_bits, sizeof(*t->buckets),
				      GFP_KERNEL);
		t->cnt = alloc_percpu(struct trs_counters);
		if (!t->buckets || !t->cnt)
			return -ENOMEM;
		rp.priv = t;
		t->region = region_create(trs_region_names[i], &rp);
		if (IS_ERR(t->region)) {
			int err = PTR_ERR(t->region);

			t->region = NULL;
			return err;
		}
	}
	/* Generation 0 uses table 0; table 1 waits, empty, for generation 1. */
	trs.table[1].idle = true;
	trs_region_calls(&trs.vmalloc_calls, &trs.vfree_calls);
	return 0;
}

static int __init trs_init(void)
{
	int err;

	if (!trs_params_valid())
		return -EINVAL;
	for_each_kernel_tracepoint(trs_find_tracepoint, &trs.tp);
	if (!trs.tp) {
		pr_err("no sched_switch tracepoint\n");
		return -ENOENT;
	}

	err = trs_alloc();
	if (err)
		goto err_free;

	trs.dir = debugfs_create_dir("traceregion_stacks", NULL);
	debugfs_create_file("top", 0400, trs.dir, NULL, &trs_top_fops);
	debugfs_create_file("stats", 0400, trs.dir, NULL, &trs_stats_fops);

	INIT_DELAYED_WORK(&trs.work, trs_gen_work);

	if (trs_kprobe_sym && *trs_kprobe_sym) {
		trs.kp.symbol_name = trs_kprobe_sym;
		trs.kp.pre_handler = trs_kprobe_pre;
		err = register_kprobe(&trs.kp);
		if (err) {
			pr_err("kprobe on %s: error %d\n", trs_kprobe_sym, err);
			goto err_debugfs;
		}
		trs.kp_registered = true;
	}
	err = tracepoint_probe_register(trs.tp, (void *)trs_probe_sched_switch,
					NULL);
	if (err) {
		pr_err("sched_switch probe: error %d\n", err);
		goto err_kprobe;
	}

	schedule_delayed_work(&trs.work, msecs_to_jiffies(trs_period_ms));
	return 0;

err_kprobe:
	if (trs.kp_registered)
		unregister_kprobe(&trs.kp);
err_debugfs:
	debugfs_remove_recursive(trs.dir);
err_free:
	trs_free();
	return err;
}

static void __exit trs_exit(void)
{
	/* No reader of the summary; then no probe; then no generation work. */
	debugfs_remove_recursive(trs.dir);
	if (trs.kp_registered)
		unregister_kprobe(&trs.kp);
	tracepoint_probe_unregister(trs.tp, (void *)trs_probe_sched_switch,
				    NULL);
	tracepoint_synchronize_unregister();
	cancel_delayed_work_sync(&trs.work);
	trs_free();
}

module_init(trs_init);
module_exit(trs_exit);

MODULE_IMPORT_NS(TRACEREGION);
MODULE_DESCRIPTION("traceregion sample: kernel stack traces interned per generation");
MODULE_LICENSE("GPL");
