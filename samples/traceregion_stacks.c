// SPDX-License-Identifier: GPL-2.0
/*
 * traceregion_stacks - a kernel stack-trace table per generation, kept in a
 * traceregion generation set
 *
 * The pattern traceregion exists for, the Go execution tracer's: probes
 * intern variable-sized records into a hash table whose nodes live in the
 * region of the current generation; once per generation the table is
 * summarised and its region dropped in one go.  The generation set does the
 * bookkeeping (which table is current, when no probe can be in the old one,
 * the drop); this file only has the table.
 *
 *  - A sched_switch probe (and, with kprobe=SYMBOL, a kprobe) saves the
 *    stack and interns it in the table of the slot region_gen_read_lock()
 *    returns: a known stack gets its hit count bumped; a new one gets a node
 *    from region_gen_alloc(), published with cmpxchg() at its bucket's head.
 *    A NULL from the region counts the event as lost.
 *  - Every period_ms a work item calls region_gen_advance(); its flush
 *    callback copies the ended table's counters and top stacks into a
 *    summary (debugfs traceregion_stacks/top) and forgets the table.
 *  - A debugfs drop of stacks-0 or stacks-1 calls on_drop, which forgets
 *    that table; the set waits for the probes before the memory goes.
 *
 * Context and locking rules:
 *  - The probes run in atomic context (a kprobe maybe in NMI), inside a
 *    read section of the set; they take no lock, never sleep, allocate with
 *    GFP_NOWAIT and count with this_cpu_inc() and atomic_long_inc().
 *  - While a table is current its chains only grow; a node is filled in
 *    before cmpxchg() (a full barrier) publishes it.  A table is emptied
 *    only by flush (no probe in it) or on_drop (probes may walk old chains;
 *    the set waits for them before freeing the nodes).
 *  - flush and on_drop never run at the same time (the set serialises
 *    them); trs.lock guards the published summary against its readers.
 *  - Unload: debugfs, probes (unregister, tracepoint_synchronize_unregister),
 *    the work, then the set.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/jhash.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/stacktrace.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>

#include "region_alloc.h"
#include "selftests/traceregion/tr_kcompat.h"

#define TRS_MAX_DEPTH	32
/* PCs saved beyond depth, for the probe's own frames that are skipped. */
#define TRS_SKIP_SLACK	8
/* A kprobe's stack starts at the probed address plus the int3 or call. */
#define TRS_KPROBE_SLACK	16
#define TRS_MAX_TOP	64

#define TRS_HASH_BITS	10
#define TRS_RESERVE	4

static unsigned int trs_period_ms = 1000, trs_depth = 16, trs_top = 10;
static char *trs_kprobe_sym;
module_param_named(period_ms, trs_period_ms, uint, 0444);
MODULE_PARM_DESC(period_ms, "length of a generation in ms (10-60000, default 1000)");
module_param_named(depth, trs_depth, uint, 0444);
MODULE_PARM_DESC(depth, "PCs kept per stack (1-32, default 16)");
module_param_named(top, trs_top, uint, 0444);
MODULE_PARM_DESC(top, "stacks shown per generation (1-64, default 10)");
module_param_named(kprobe, trs_kprobe_sym, charp, 0444);
MODULE_PARM_DESC(kprobe, "also record the stacks hitting this kernel symbol (kprobe)");

enum { TRS_SCHED_SWITCH, TRS_KPROBE, TRS_NR_SRC };
static const char * const trs_src_names[TRS_NR_SRC] = { "sched_switch", "kprobe" };

/* One interned stack, in the region of its table's slot. */
struct trs_entry {
	struct trs_entry *next;
	atomic_long_t hits;
	u32 hash;
	u16 nr, src;
	unsigned long pcs[];
};

/* Per-CPU counters of a table; only probes add, only flush resets. */
struct trs_counters {
	unsigned long events[TRS_NR_SRC], interned, lost;
};

/* A stack copied out of a table into a summary. */
struct trs_stack {
	unsigned long hits;
	unsigned int nr, src;
	unsigned long pcs[TRS_MAX_DEPTH];
};

/* What a finished generation left; the counters as in trs_counters. */
struct trs_summary {
	unsigned long gen, entries, hits, debugfs_drops;
	struct trs_counters c;
	u64 blocks, bytes_live, failures;
	unsigned int nr_top;
	struct trs_stack top[TRS_MAX_TOP];
};

static struct {
	struct region_gen *g;
	/* Per slot: bucket heads, debugfs drops while current. */
	struct trs_entry *buckets[REGION_GEN_SLOTS][1U << TRS_HASH_BITS];
	unsigned long slot_drops[REGION_GEN_SLOTS];
	/* Since load; region stats at the last flush. */
	unsigned long finished, lost, debugfs_drops;
	u64 failures[REGION_GEN_SLOTS];
	/* trs.lock guards *sum; the other summary is flush's own. */
	struct mutex lock;
	struct trs_summary *sum, summaries[2];
	struct delayed_work work;
	struct tracepoint *tp;
	struct kprobe kp;
	struct dentry *dir;
} trs = { .lock = __MUTEX_INITIALIZER(trs.lock), .sum = &trs.summaries[0] };

/* Per slot, per CPU. */
static DEFINE_PER_CPU(struct trs_counters, trs_cnt[REGION_GEN_SLOTS]);

/* Probes: any context, no lock. */

static void trs_intern(unsigned int slot, u16 src, const unsigned long *pcs,
		       unsigned int nr)
{
	u32 hash = jhash2((const u32 *)pcs, nr * sizeof(*pcs) / sizeof(u32), src);
	struct trs_entry **head = &trs.buckets[slot][hash & ((1U << TRS_HASH_BITS) - 1)];
	struct trs_entry *first = READ_ONCE(*head), *stop = NULL, *e = NULL, *x, *old;

	for (;;) {
		/* The whole chain first, then only what was pushed since. */
		for (x = first; x != stop; x = READ_ONCE(x->next)) {
			if (x->hash == hash && x->nr == nr && x->src == src &&
			    !memcmp(x->pcs, pcs, nr * sizeof(*pcs))) {
				/* A node @e lost a race: unused till the drop. */
				atomic_long_inc(&x->hits);
				return;
			}
		}
		if (!e) {
			e = region_gen_alloc(trs.g, slot, struct_size(e, pcs, nr),
					     GFP_NOWAIT | __GFP_NOWARN);
			if (!e) {
				this_cpu_inc(trs_cnt[slot].lost);
				return;
			}
			/* Region memory is zeroed: set what is not 0. */
			atomic_long_set(&e->hits, 1);
			e->hash = hash;
			e->nr = nr;
			e->src = src;
			memcpy(e->pcs, pcs, nr * sizeof(*pcs));
		}
		e->next = first;
		old = cmpxchg(head, first, e);
		if (old == first) {
			this_cpu_inc(trs_cnt[slot].interned);
			return;
		}
		stop = first;
		first = old;
	}
}

/* Skip this module's frames and, for a kprobe, those before @from. */
static void trs_record(u16 src, unsigned long from)
{
	unsigned long pcs[TRS_MAX_DEPTH + TRS_SKIP_SLACK];
	unsigned int nr, i, skip = 0, slot;

	nr = stack_trace_save(pcs, trs_depth + TRS_SKIP_SLACK, 0);
	while (skip < nr && within_module(pcs[skip], THIS_MODULE))
		skip++;
	for (i = skip; from && i < nr; i++) {
		if (pcs[i] - from <= TRS_KPROBE_SLACK) {
			skip = i;
			break;
		}
	}
	slot = region_gen_read_lock(trs.g);
	this_cpu_inc(trs_cnt[slot].events[src]);
	trs_intern(slot, src, pcs + skip, min(nr - skip, trs_depth));
	region_gen_read_unlock(trs.g);
}

static void trs_probe_sched_switch(void *data, TR_SCHED_SWITCH_ARGS)
{
	trs_record(TRS_SCHED_SWITCH, 0);
}

static int trs_kprobe_pre(struct kprobe *p, struct pt_regs *regs)
{
	/* Read sections are RCU readers: only where RCU is watching. */
	if (rcu_is_watching())
		trs_record(TRS_KPROBE, (unsigned long)p->addr);
	return 0;
}

/* Set callbacks: process context, never at the same time. */

static void trs_forget(unsigned int slot)
{
	unsigned int i;

	for (i = 0; i < 1U << TRS_HASH_BITS; i++)
		WRITE_ONCE(trs.buckets[slot][i], NULL);
}

/* Insert @e into the summary's top list, most hits first. */
static void trs_top_insert(struct trs_summary *s, struct trs_entry *e,
			   unsigned long hits)
{
	unsigned int i = s->nr_top;

	if (i == trs_top && hits <= s->top[i - 1].hits)
		return;
	if (i < trs_top)
		s->nr_top++;
	else
		i--;
	for (; i > 0 && s->top[i - 1].hits < hits; i--)
		s->top[i] = s->top[i - 1];
	s->top[i].hits = hits;
	s->top[i].nr = e->nr;
	s->top[i].src = e->src;
	memcpy(s->top[i].pcs, e->pcs, e->nr * sizeof(e->pcs[0]));
}

static void trs_flush(struct region_gen *g, unsigned int slot,
		      unsigned long gen, void *priv)
{
	struct trs_summary *s = &trs.summaries[trs.sum == trs.summaries];
	struct region_stats st;
	struct trs_entry *e;
	unsigned int i, cpu;

	memset(s, 0, sizeof(*s));
	s->gen = gen;
	for_each_possible_cpu(cpu) {
		struct trs_counters *c = &per_cpu(trs_cnt[slot], cpu);

		for (i = 0; i < TRS_NR_SRC; i++)
			s->c.events[i] += c->events[i];
		s->c.interned += c->interned;
		s->c.lost += c->lost;
		memset(c, 0, sizeof(*c));
	}
	for (i = 0; i < 1U << TRS_HASH_BITS; i++) {
		for (e = trs.buckets[slot][i]; e; e = e->next) {
			s->entries++;
			s->hits += atomic_long_read(&e->hits);
			trs_top_insert(s, e, atomic_long_read(&e->hits));
		}
	}
	trs_forget(slot);
	s->debugfs_drops = trs.slot_drops[slot];
	trs.slot_drops[slot] = 0;

	region_get_stats(region_gen_region(g, slot), &st);
	s->blocks = st.blocks_held;
	s->bytes_live = st.bytes_live;
	s->failures = st.failures - trs.failures[slot];
	trs.failures[slot] = st.failures;

	mutex_lock(&trs.lock);
	trs.sum = s;
	trs.finished++;
	trs.lost += s->c.lost;
	mutex_unlock(&trs.lock);
}

static void trs_on_drop(struct region_gen *g, unsigned int slot, void *priv)
{
	trs_forget(slot);
	/* A drop of the previous slot, already empty, costs nothing. */
	if (slot == region_gen_current(g) % REGION_GEN_SLOTS)
		trs.slot_drops[slot]++;
	mutex_lock(&trs.lock);
	trs.debugfs_drops++;
	mutex_unlock(&trs.lock);
}

static void trs_gen_work(struct work_struct *work)
{
	region_gen_advance(trs.g);
	schedule_delayed_work(&trs.work, msecs_to_jiffies(trs_period_ms));
}

/* debugfs */

static int trs_top_show(struct seq_file *m, void *v)
{
	const struct trs_summary *s;
	unsigned long events = 0;
	unsigned int i, j;
	char sym[KSYM_SYMBOL_LEN];

	mutex_lock(&trs.lock);
	s = trs.sum;
	if (!trs.finished) {
		seq_puts(m, "no generation has finished yet\n");
		goto out;
	}
	for (i = 0; i < TRS_NR_SRC; i++)
		events += s->c.events[i];
	seq_printf(m, "generation: %lu\nevents: %lu\n", s->gen, events);
	for (i = 0; i < TRS_NR_SRC; i++)
		seq_printf(m, "events_%s: %lu\n", trs_src_names[i], s->c.events[i]);
	seq_printf(m, "interned: %lu\nlost: %lu\nentries: %lu\nhits: %lu\n",
		   s->c.interned, s->c.lost, s->entries, s->hits);
	seq_printf(m, "debugfs_drops: %lu\nregion: stacks-%lu\n",
		   s->debugfs_drops, s->gen % REGION_GEN_SLOTS);
	seq_printf(m, "region_blocks: %llu\nregion_bytes_live: %llu\nregion_failures: %llu\n",
		   s->blocks, s->bytes_live, s->failures);
	seq_printf(m, "top: %u of %lu\n", s->nr_top, s->entries);
	for (i = 0; i < s->nr_top; i++) {
		seq_printf(m, "\nstack %u: hits %lu (%llu%%) %s\n", i + 1,
			   s->top[i].hits,
			   div64_ul((u64)s->top[i].hits * 100, max(events, 1UL)),
			   trs_src_names[s->top[i].src]);
		/* %pS, but "?" rather than a raw address. */
		for (j = 0; j < s->top[i].nr; j++) {
			snprintf(sym, sizeof(sym), "%pS", (void *)s->top[i].pcs[j]);
			seq_printf(m, "  %s\n", strncmp(sym, "0x", 2) ? sym : "?");
		}
	}
out:
	mutex_unlock(&trs.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(trs_top);

static int trs_stats_show(struct seq_file *m, void *v)
{
	mutex_lock(&trs.lock);
	seq_printf(m, "generation: %lu\nfinished: %lu\nlost: %lu\ndebugfs_drops: %lu\n",
		   region_gen_current(trs.g), trs.finished, trs.lost,
		   trs.debugfs_drops);
	mutex_unlock(&trs.lock);
	seq_printf(m, "period_ms: %u\ndepth: %u\ntop: %u\nkprobe: %s\n",
		   trs_period_ms, trs_depth, trs_top,
		   trs.kp.addr ? trs_kprobe_sym : "none");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(trs_stats);

/* Setup and teardown */

static void trs_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_switch"))
		trs.tp = tp;
}

static bool trs_param_ok(const char *name, unsigned long val,
			 unsigned long min, unsigned long max)
{
	if (val >= min && val <= max)
		return true;
	pr_err("%s=%lu: must be %lu to %lu\n", name, val, min, max);
	return false;
}

static int __init trs_init(void)
{
	struct region_gen_params p = {
		.region.reserve_blocks = TRS_RESERVE,
		.flush = trs_flush,
		.on_drop = trs_on_drop,
	};
	int err;

	if (!trs_param_ok("period_ms", trs_period_ms, 10, 60000) ||
	    !trs_param_ok("depth", trs_depth, 1, TRS_MAX_DEPTH) ||
	    !trs_param_ok("top", trs_top, 1, TRS_MAX_TOP))
		return -EINVAL;
	for_each_kernel_tracepoint(trs_find_tracepoint, NULL);
	if (!trs.tp)
		return -ENOENT;
	trs.g = region_gen_create("stacks", &p);
	if (IS_ERR(trs.g))
		return PTR_ERR(trs.g);
	if (trs_kprobe_sym && *trs_kprobe_sym) {
		trs.kp.symbol_name = trs_kprobe_sym;
		trs.kp.pre_handler = trs_kprobe_pre;
		err = register_kprobe(&trs.kp);
		if (err) {
			pr_err("kprobe on %s: error %d\n", trs_kprobe_sym, err);
			trs.kp.addr = NULL;
			goto err_gen;
		}
	}
	err = tracepoint_probe_register(trs.tp, (void *)trs_probe_sched_switch, NULL);
	if (err)
		goto err_kprobe;
	trs.dir = debugfs_create_dir("traceregion_stacks", NULL);
	debugfs_create_file("top", 0400, trs.dir, NULL, &trs_top_fops);
	debugfs_create_file("stats", 0400, trs.dir, NULL, &trs_stats_fops);
	INIT_DELAYED_WORK(&trs.work, trs_gen_work);
	schedule_delayed_work(&trs.work, msecs_to_jiffies(trs_period_ms));
	return 0;

err_kprobe:
	if (trs.kp.addr)
		unregister_kprobe(&trs.kp);
err_gen:
	region_gen_destroy(trs.g);
	return err;
}

static void __exit trs_exit(void)
{
	debugfs_remove_recursive(trs.dir);
	if (trs.kp.addr)
		unregister_kprobe(&trs.kp);
	tracepoint_probe_unregister(trs.tp, (void *)trs_probe_sched_switch, NULL);
	tracepoint_synchronize_unregister();
	cancel_delayed_work_sync(&trs.work);
	region_gen_destroy(trs.g);
}

module_init(trs_init);
module_exit(trs_exit);

MODULE_IMPORT_NS(TRACEREGION);
MODULE_DESCRIPTION("traceregion sample: kernel stack traces interned per generation");
MODULE_LICENSE("GPL");
