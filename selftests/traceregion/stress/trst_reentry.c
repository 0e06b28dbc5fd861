// SPDX-License-Identifier: GPL-2.0
/*
 * trst_reentry - the stress test's re-entry torture
 *
 * For the whole run, probes of every non-NMI kind allocate (GFP_ATOMIC) one
 * record from each of the stress's two regions per hit, and one from its
 * generation set in a read section of it, while the stress's kthreads,
 * timers, sched_switch probe and NMIs allocate from them too:
 *  - kprobes, ftrace-based only (KPROBES_ON_FTRACE), on functions the
 *    allocator runs inside its locked section (_raw_spin_lock, entered
 *    with the guard already raised, _raw_spin_unlock; the DEBUG_LIST
 *    helpers where ftrace reaches them) or on its slow paths
 *    (irq_work_queue where ftrace reaches it, vfree,
 *    __vmalloc_node_range, synchronize_rcu).  No int3 kprobe is armed:
 *    the NMI allocations reach those functions, and an int3 hit in NMI
 *    while the CPU single-steps another kprobe is a kernel BUG();
 *  - ftrace_ops callbacks, one ftrace_ops per function, on the lock and
 *    unlock functions, vfree, __vmalloc_node_range and synchronize_rcu
 *    (the list helpers and irq_work_queue cannot be traced on Debian's
 *    6.1 and 6.12);
 *  - tracepoint probes on traceregion's own events (block_install, drop,
 *    alloc_fail) and on the lock and irq tracepoints of the kernel
 *    (lock_acquire and lock_release with lockdep, contention_begin,
 *    irq_disable and irq_enable with PREEMPTIRQ_TRACEPOINTS).
 * The hottest sites allocate on a share of their hits (TRRE_SAMPLE).
 * A probe that fires inside the allocator's locked section must get NULL,
 * counted as "recursion", instead of spinning on the lock its own CPU holds.
 * Function names differ between kernel versions (__list_add_valid became
 * __list_add_valid_or_report, __vmalloc_node_range got a _noprof suffix):
 * each name is tried, and a site that cannot be armed is reported and
 * skipped.  The alloc_fail probe also tells which probe, if any, was
 * allocating at that context level on that CPU when a "recursion" NULL
 * was returned.
 *
 * Context and locking rules:
 *  - Every probe allocates with preemption disabled, so its record lives
 *    within an RCU reader, as in the stress's other atomic contexts, and
 *    does nothing where RCU is not watching (idle, entry code).  Its record
 *    of the set is published for the flush, as the stress's are
 *    (trst_gen_record()).
 *  - Probes nest: one in task context may be interrupted by one in hard
 *    IRQ, and that by one in NMI (a kprobe or ftrace_ops callback on a
 *    function that an NMI handler calls).  trre_pcpu.busy[level] lets one
 *    probe per context level and CPU allocate at a time, since a probe's
 *    own allocation runs through probed functions.  The per-CPU counters
 *    change with this_cpu ops, single instructions on x86, which a nesting
 *    probe cannot tear.
 *  - Arming and disarming run under the stress's trst_mutex (the "arm",
 *    "run", "disarm" and "check" writes): armed once the regions exist and
 *    before the stress's kthreads and timers start, disarmed after they
 *    stopped and before the check, which drops and destroys the regions.
 *    The probes allocate only while the stress runs (trre.on, cleared
 *    before the stress's last grace period and flush).
 *    unregister_kprobes() and unregister_ftrace_function() wait for the
 *    handlers in flight, tracepoint_synchronize_unregister() for the
 *    probes.  Under TCG, live-patching a hot function while other CPUs
 *    run through it has been seen to flake (tools/run-selftests), and an
 *    NMI that ran through a function being patched has jumped to 0: hence
 *    no arming while the stress runs, and the host's NMIs only between
 *    "arm" and "disarm" (tools/stress-guest.sh).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/hardirq.h>
#include <linux/hash.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "region_alloc.h"
#include "region_trace.h"
#include "selftests/traceregion/tr_kcompat.h"
#include "trst.h"

static bool reentry = true;
module_param(reentry, bool, 0444);
MODULE_PARM_DESC(reentry, "re-entry torture: kprobes, ftrace_ops callbacks and tracepoint probes allocating from the stress regions (default on)");

enum trre_kind { TRRE_KPROBE, TRRE_FTRACE, TRRE_TRACEPOINT, TRRE_NR_KINDS };

/*
 * The lock functions and the lock and irq tracepoints fire on every lock
 * operation of the kernel (with lockdep, several probes each), and
 * allocating on each of those hits slows a debug guest under TCG so much
 * that the stress's own allocators hardly run: those sites allocate on one
 * hit in TRRE_SAMPLE, which still refuses tens of thousands of re-entries
 * in the locked section per run.  (Allocating on every hit with interrupts
 * off, as in the section, was tried: it starves the hard IRQ context.)
 */
#define TRRE_SAMPLE	8

enum trre_rate { TRRE_EVERY_HIT, TRRE_SAMPLED };

static const char * const trre_kind_names[TRRE_NR_KINDS] = {
	"kprobe", "ftrace_ops", "tracepoint",
};

/* One probe site: a function (kprobe, ftrace_ops) or a tracepoint. */
struct trre_site {
	const char *name;
	enum trre_kind kind;
	/* Which hits allocate: see TRRE_SAMPLE. */
	enum trre_rate rate;
	/* Tracepoints: the probe, and the tracepoint (NULL: found by name). */
	void *probe;
	struct tracepoint *tp;
	/* Filled in by arming. */
	int err;
	bool armed;
	struct kprobe kp;
	struct ftrace_ops ops;
};

struct lockdep_map;

static void trre_hit(struct trre_site *s);
static void trre_refused(void);

static void trre_tp_block_install(void *data, const char *name,
				  unsigned long blocks_held, bool spare,
				  unsigned long size)
{
	trre_hit(data);
}

static void trre_tp_drop(void *data, const char *name, unsigned long blocks,
			 unsigned long recycled, u64 bytes_live,
			 bool from_debugfs)
{
	trre_hit(data);
}

/* Only the stress's regions: another module's may fail meanwhile. */
static bool trre_ours(const char *name)
{
	int ri;

	for (ri = 0; ri < TRST_NR_REGIONS; ri++)
		if (!strcmp(name, trst_region_names[ri]))
			return true;
	return str_has_prefix(name, TRST_GEN_PREFIX "-");
}

static void trre_tp_alloc_fail(void *data, const char *name, size_t size,
			       const char *cause)
{
	if (!strcmp(cause, region_fail_name(REGION_FAIL_RECURSION)) &&
	    trre_ours(name))
		trre_refused();
	trre_hit(data);
}

static void trre_tp_lock_acquire(void *data, struct lockdep_map *lock,
				 unsigned int subclass, int trylock, int read,
				 int check, struct lockdep_map *next_lock,
				 unsigned long ip)
{
	trre_hit(data);
}

static void trre_tp_lock_release(void *data, struct lockdep_map *lock,
				 unsigned long ip)
{
	trre_hit(data);
}

static void trre_tp_contention_begin(void *data, void *lock,
				     unsigned int flags)
{
	trre_hit(data);
}

static void trre_tp_irq(void *data, unsigned long ip, unsigned long parent_ip)
{
	trre_hit(data);
}

#define TRRE_KPROBE_SITE(fn)	{ .name = fn, .kind = TRRE_KPROBE }
#define TRRE_KPROBE_LOCK(fn)	\
	{ .name = fn, .kind = TRRE_KPROBE, .rate = TRRE_SAMPLED }
#define TRRE_FTRACE_SITE(fn)	{ .name = fn, .kind = TRRE_FTRACE }
#define TRRE_FTRACE_LOCK(fn)	\
	{ .name = fn, .kind = TRRE_FTRACE, .rate = TRRE_SAMPLED }
#define TRRE_TP_SITE(ev, fn, t)	\
	{ .name = ev, .kind = TRRE_TRACEPOINT, .probe = fn, .tp = t }
#define TRRE_TP_SAMPLED(ev, fn)	\
	{ .name = ev, .kind = TRRE_TRACEPOINT, .probe = fn, .rate = TRRE_SAMPLED }

static struct trre_site trre_sites[] = {
	/* In the locked section: entered with the guard raised. */
	TRRE_KPROBE_LOCK("_raw_spin_lock"),
	TRRE_KPROBE_LOCK("_raw_spin_unlock"),
	/* In the locked section (list_add_tail(), list_del()): 6.1, 6.6+. */
	TRRE_KPROBE_SITE("__list_add_valid"),
	TRRE_KPROBE_SITE("__list_add_valid_or_report"),
	TRRE_KPROBE_SITE("__list_del_entry_valid"),
	TRRE_KPROBE_SITE("__list_del_entry_valid_or_report"),
	/* Slow paths: refill kick, block free and allocation, drop. */
	TRRE_KPROBE_SITE("irq_work_queue"),
	TRRE_KPROBE_SITE("vfree"),
	TRRE_KPROBE_SITE("__vmalloc_node_range"),
	TRRE_KPROBE_SITE("__vmalloc_node_range_noprof"),
	TRRE_KPROBE_SITE("synchronize_rcu"),

	/*
	 * lib/ (the list helpers) and kernel/irq_work.c are built without
	 * ftrace instrumentation: the kprobes above use int3 there.
	 */
	TRRE_FTRACE_LOCK("_raw_spin_lock"),
	TRRE_FTRACE_LOCK("_raw_spin_unlock"),
	TRRE_FTRACE_SITE("vfree"),
	TRRE_FTRACE_SITE("__vmalloc_node_range"),
	TRRE_FTRACE_SITE("__vmalloc_node_range_noprof"),
	TRRE_FTRACE_SITE("synchronize_rcu"),

	TRRE_TP_SITE("block_install", trre_tp_block_install,
		     &__tracepoint_block_install),
	TRRE_TP_SITE("drop", trre_tp_drop, &__tracepoint_drop),
	TRRE_TP_SITE("alloc_fail", trre_tp_alloc_fail,
		     &__tracepoint_alloc_fail),
	TRRE_TP_SAMPLED("lock_acquire", trre_tp_lock_acquire),
	TRRE_TP_SAMPLED("lock_release", trre_tp_lock_release),
	TRRE_TP_SITE("contention_begin", trre_tp_contention_begin, NULL),
	TRRE_TP_SAMPLED("irq_disable", trre_tp_irq),
	TRRE_TP_SAMPLED("irq_enable", trre_tp_irq),
};

#define TRRE_NR_SITES	ARRAY_SIZE(trre_sites)

/* Context levels: task, softirq, hard IRQ, NMI. */
#define TRRE_NR_LEVELS	4

struct trre_pcpu {
	u64 hits[TRRE_NR_SITES];
	u64 calls[TRRE_NR_SITES];	/* allocation attempts */
	u64 nulls[TRRE_NR_SITES];
	/* "recursion" NULLs returned while this probe was allocating */
	u64 refused[TRRE_NR_SITES];
	/* hits that did not allocate: nested, RCU not watching, sampled out */
	u64 skipped[TRRE_NR_SITES];
	/* "recursion" NULLs with no probe allocating (NMI handler) */
	u64 refused_other;
	struct trst_count c[TRST_NR_TARGETS];
	u64 seq;
	/* Per context level: 1 + the site allocating there, or 0. */
	u8 busy[TRRE_NR_LEVELS];
};

static DEFINE_PER_CPU(struct trre_pcpu, trre_pcpu);

static struct {
	struct region *r[TRST_NR_REGIONS];
	struct region_gen *g;
	/* Probes allocate while set. */
	bool on;
	bool armed;
} trre;

static unsigned int trre_level(void)
{
	if (in_nmi())
		return 3;
	if (in_hardirq())
		return 2;
	if (in_serving_softirq())
		return 1;
	return 0;
}

/* One record from region @ri for site @i: counted, checked, forgotten. */
static void trre_alloc(unsigned int i, int ri)
{
	u64 seq = this_cpu_inc_return(trre_pcpu.seq);
	size_t size = 1 + hash_64(seq, 6);	/* 1 to 64 bytes */
	u8 *p;

	this_cpu_inc(trre_pcpu.calls[i]);
	p = region_alloc(trre.r[ri], size, GFP_ATOMIC | __GFP_NOWARN);
	if (!p) {
		this_cpu_inc(trre_pcpu.nulls[i]);
		this_cpu_inc(trre_pcpu.c[ri].nulls);
		return;
	}
	this_cpu_inc(trre_pcpu.c[ri].allocs);
	this_cpu_add(trre_pcpu.c[ri].bytes, ALIGN(size, 8));
	trst_record_check(p, size, trst_tag(TRST_TAG_REENTRY,
					    smp_processor_id(), seq));
}

/* One record of the set for site @i in a read section: trst_gen_record(). */
static void trre_gen_alloc(unsigned int i)
{
	u64 seq = this_cpu_inc_return(trre_pcpu.seq);
	size_t size = trst_gen_size(1 + hash_64(seq, 6));
	struct trst_gen_section s;
	struct trst_gen_rec *rec;

	this_cpu_inc(trre_pcpu.calls[i]);
	trst_gen_enter(&s);
	rec = trst_gen_record(&s, size, GFP_ATOMIC | __GFP_NOWARN,
			      trst_tag(TRST_TAG_REENTRY, smp_processor_id(),
				       seq));
	trst_gen_leave(&s);
	if (!rec) {
		this_cpu_inc(trre_pcpu.nulls[i]);
		this_cpu_inc(trre_pcpu.c[TRST_GEN].nulls);
		return;
	}
	this_cpu_inc(trre_pcpu.c[TRST_GEN].allocs);
	this_cpu_add(trre_pcpu.c[TRST_GEN].bytes, ALIGN(size, 8));
}

static bool trre_sampled_out(const struct trre_site *s, u64 hit)
{
	return s->rate == TRRE_SAMPLED && hit % TRRE_SAMPLE;
}

static void trre_hit(struct trre_site *s)
{
	unsigned int i = s - trre_sites, level;
	int ri;

	/* Tested with preemption off: the grace period after "off" waits. */
	preempt_disable_notrace();
	if (!READ_ONCE(trre.on))
		goto out;
	level = trre_level();
	if (trre_sampled_out(s, this_cpu_inc_return(trre_pcpu.hits[i])) ||
	    !rcu_is_watching() || this_cpu_read(trre_pcpu.busy[level])) {
		this_cpu_inc(trre_pcpu.skipped[i]);
		goto out;
	}
	this_cpu_write(trre_pcpu.busy[level], i + 1);
	for (ri = 0; ri < TRST_NR_REGIONS; ri++)
		trre_alloc(i, ri);
	trre_gen_alloc(i);
	this_cpu_write(trre_pcpu.busy[level], 0);
out:
	preempt_enable_notrace();
}

/* A "recursion" NULL (alloc_fail event): whose allocation was it? */
static void trre_refused(void)
{
	unsigned int running;

	if (!READ_ONCE(trre.on))
		return;
	preempt_disable_notrace();
	running = this_cpu_read(trre_pcpu.busy[trre_level()]);
	if (running)
		this_cpu_inc(trre_pcpu.refused[running - 1]);
	else
		this_cpu_inc(trre_pcpu.refused_other);
	preempt_enable_notrace();
}

static int trre_kprobe_pre(struct kprobe *p, struct pt_regs *regs)
{
	trre_hit(container_of(p, struct trre_site, kp));
	return 0;
}

/*
 * An empty filter is the static EMPTY_HASH, so resetting it frees the
 * filter's hash, as ftrace_free_filter() does where it is exported (5.10
 * does not export it).  Only for an ops that is not registered.
 */
static void trre_ftrace_free_filter(struct ftrace_ops *ops)
{
	ftrace_set_filter(ops, NULL, 0, 1);
}

static void trre_ftrace_func(unsigned long ip, unsigned long parent_ip,
			     struct ftrace_ops *op, struct tr_ftrace_regs *fregs)
{
	int bit = ftrace_test_recursion_trylock(ip, parent_ip);

	if (bit < 0)
		return;
	trre_hit(container_of(op, struct trre_site, ops));
	ftrace_test_recursion_unlock(bit);
}

/* Arming and disarming */

static void trre_find_tracepoint(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < TRRE_NR_SITES; i++)
		if (trre_sites[i].kind == TRRE_TRACEPOINT &&
		    !strcmp(trre_sites[i].name, tp->name))
			trre_sites[i].tp = tp;
}

static int trre_arm_ftrace(struct trre_site *s)
{
	/* ftrace_set_filter() parses, and writes into, its buffer. */
	char buf[64];
	int err;

	memset(&s->ops, 0, sizeof(s->ops));
	s->ops.func = trre_ftrace_func;
	strscpy(buf, s->name, sizeof(buf));
	err = ftrace_set_filter(&s->ops, buf, strlen(buf), 1);
	if (!err)
		err = register_ftrace_function(&s->ops);
	if (err)
		trre_ftrace_free_filter(&s->ops);
	return err;
}

/*
 * Whether ftrace can trace @name, so that a kprobe on it goes through ftrace:
 * a filter that matches nothing is refused, and setting one patches no code.
 */
static bool trre_traceable(const char *name)
{
	/* Never registered; arming runs under trst_mutex. */
	static struct ftrace_ops ops;
	char buf[64];
	int err;

	strscpy(buf, name, sizeof(buf));
	err = ftrace_set_filter(&ops, buf, strlen(buf), 1);
	trre_ftrace_free_filter(&ops);
	return !err;
}

static int trre_arm_one(struct trre_site *s)
{
	int err;

	switch (s->kind) {
	case TRRE_KPROBE:
		/*
		 * Only a kprobe through ftrace counts a hit that nests in a
		 * running kprobe as missed.  An int3 kprobe hit by an NMI
		 * (our NMI allocations reach the list helpers and
		 * irq_work_queue()) while its CPU single-steps another one is
		 * "Unrecoverable kprobe detected", a BUG(): not armed, not
		 * even for a moment (registering one to find out, as this
		 * did, once crashed a guest in a tick under TCG).
		 */
		if (!trre_traceable(s->name))
			return -EOPNOTSUPP;
		memset(&s->kp, 0, sizeof(s->kp));
		s->kp.symbol_name = s->name;
		s->kp.pre_handler = trre_kprobe_pre;
		err = register_kprobe(&s->kp);
		if (!err && !kprobe_ftrace(&s->kp)) {
			unregister_kprobe(&s->kp);
			err = -EOPNOTSUPP;
		}
		return err;
	case TRRE_FTRACE:
		return trre_arm_ftrace(s);
	default:
		if (!s->tp)
			return -ENOENT;
		return tracepoint_probe_register(s->tp, s->probe, s);
	}
}

static void trre_reset_counters(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(&trre_pcpu, cpu), 0, sizeof(trre_pcpu));
}

/**
 * trst_reentry_arm() - arm every probe site that the kernel has
 * @r: the stress's regions, which the probes allocate from
 * @g: the stress's generation set, which they allocate from too
 *
 * Called with the regions created and before the stress's allocators
 * start; the probes allocate only between trst_reentry_on(true) and
 * trst_reentry_on(false).  Sites that cannot be armed are reported by
 * trst_reentry_check().
 */
void trst_reentry_arm(struct region * const *r, struct region_gen *g)
{
	unsigned int i;
	int ri;

	if (!reentry)
		return;
	/* Type checks of the probes on traceregion's own events. */
	check_trace_callback_type_block_install(trre_tp_block_install);
	check_trace_callback_type_drop(trre_tp_drop);
	check_trace_callback_type_alloc_fail(trre_tp_alloc_fail);

	trre_reset_counters();
	for (ri = 0; ri < TRST_NR_REGIONS; ri++)
		trre.r[ri] = r[ri];
	trre.g = g;
	for_each_kernel_tracepoint(trre_find_tracepoint, NULL);
	trre.armed = true;
	for (i = 0; i < TRRE_NR_SITES; i++) {
		struct trre_site *s = &trre_sites[i];

		s->err = trre_arm_one(s);
		s->armed = !s->err;
		if (s->err)
			pr_info("reentry: %s %s not armed (%d)\n",
				trre_kind_names[s->kind], s->name, s->err);
	}
}

/**
 * trst_reentry_on() - let the armed probes allocate, or stop them
 * @on: whether they allocate
 *
 * Only while the stress runs: records of the set must not be published
 * after its last flush.  After @on false the caller waits a grace period
 * for the probes in flight (they allocate with preemption disabled).
 */
void trst_reentry_on(bool on)
{
	WRITE_ONCE(trre.on, on && trre.armed);
}

/**
 * trst_reentry_disarm() - disarm every probe and wait for those in flight
 *
 * Called once the stress's allocators have stopped; after it returns no
 * probe touches the regions.
 */
void trst_reentry_disarm(void)
{
	struct kprobe *kps[TRRE_NR_SITES];
	unsigned int i, n = 0;

	if (!trre.armed)
		return;
	WRITE_ONCE(trre.on, false);
	for (i = 0; i < TRRE_NR_SITES; i++) {
		struct trre_site *s = &trre_sites[i];

		if (!s->armed)
			continue;
		switch (s->kind) {
		case TRRE_KPROBE:
			kps[n++] = &s->kp;
			break;
		case TRRE_FTRACE:
			unregister_ftrace_function(&s->ops);
			trre_ftrace_free_filter(&s->ops);
			break;
		default:
			tracepoint_probe_unregister(s->tp, s->probe, s);
			break;
		}
	}
	if (n)
		unregister_kprobes(kps, n);
	tracepoint_synchronize_unregister();
	trre.armed = false;
}

/* The check */

/**
 * trst_reentry_sum() - add the probes' figures for one region to @sum
 * @ri: the region, or %TRST_GEN for the set
 * @sum: allocs, bytes and NULLs are added to it
 */
void trst_reentry_sum(int ri, struct trst_count *sum)
{
	unsigned int cpu;

	if (!reentry)
		return;
	for_each_possible_cpu(cpu) {
		struct trst_count *c = &per_cpu_ptr(&trre_pcpu, cpu)->c[ri];

		sum->allocs += c->allocs;
		sum->bytes += c->bytes;
		sum->nulls += c->nulls;
	}
}

struct trre_figures {
	u64 hits, calls, nulls, refused, skipped;
};

static void trre_site_figures(unsigned int i, struct trre_figures *f)
{
	unsigned int cpu;

	memset(f, 0, sizeof(*f));
	for_each_possible_cpu(cpu) {
		struct trre_pcpu *pc = per_cpu_ptr(&trre_pcpu, cpu);

		f->hits += pc->hits[i];
		f->calls += pc->calls[i];
		f->nulls += pc->nulls[i];
		f->refused += pc->refused[i];
		f->skipped += pc->skipped[i];
	}
}

/**
 * trst_reentry_check() - report per site and kind, and the verdicts
 *
 * "# reentry" lines: per armed site and per kind, hits (the probe ran),
 * calls (allocations it attempted), NULLs, of which "refused" were
 * "recursion" NULLs (as far as the alloc_fail event saw them), and the hits
 * that skipped allocating (nested in a probe at the same level, RCU not
 * watching, or sampled out).  Then two verdicts: every kind of probe fired, and the regions
 * refused re-entry, probes' included, as "recursion".
 */
void trst_reentry_check(void)
{
	struct trre_figures f, kind[TRRE_NR_KINDS] = { };
	unsigned int armed[TRRE_NR_KINDS] = { }, tried[TRRE_NR_KINDS] = { };
	u64 fail_recursion = 0, refused = 0, other = 0;
	struct region_stats st;
	unsigned int cpu, i, k;
	bool every_kind = true;
	int ri;

	if (!reentry) {
		trst_printf("# reentry off (module parameter reentry=0)\n");
		trst_verdict_skip("reentry: every kind fired", "reentry=0");
		trst_verdict_skip("reentry: recursion refused and counted",
				  "reentry=0");
		return;
	}
	for (i = 0; i < TRRE_NR_SITES; i++) {
		struct trre_site *s = &trre_sites[i];
		struct trre_figures *kf = &kind[s->kind];

		tried[s->kind]++;
		if (!s->armed) {
			trst_printf("# reentry %s %s: not armed (%d)\n",
				    trre_kind_names[s->kind], s->name, s->err);
			continue;
		}
		armed[s->kind]++;
		trre_site_figures(i, &f);
		trst_printf("# reentry %s %s: hits %llu calls %llu nulls %llu",
			    trre_kind_names[s->kind], s->name, f.hits, f.calls,
			    f.nulls);
		trst_printf(" (recursion %llu) skipped %llu\n", f.refused,
			    f.skipped);
		kf->hits += f.hits;
		kf->calls += f.calls;
		kf->nulls += f.nulls;
		kf->refused += f.refused;
		kf->skipped += f.skipped;
	}
	for (k = 0; k < TRRE_NR_KINDS; k++) {
		trst_printf("# reentry %s: %u of %u sites armed, hits %llu calls %llu",
			    trre_kind_names[k], armed[k], tried[k],
			    kind[k].hits, kind[k].calls);
		trst_printf(" nulls %llu (recursion %llu) skipped %llu\n",
			    kind[k].nulls, kind[k].refused, kind[k].skipped);
		refused += kind[k].refused;
		if (!kind[k].hits)
			every_kind = false;
	}

	for_each_possible_cpu(cpu)
		other += per_cpu_ptr(&trre_pcpu, cpu)->refused_other;
	trst_printf("# reentry fail_recursion:");
	for (ri = 0; ri < TRST_NR_REGIONS; ri++) {
		region_get_stats(trre.r[ri], &st);
		fail_recursion += st.fail[REGION_FAIL_RECURSION];
		trst_printf(" %s %llu", trst_region_names[ri],
			    st.fail[REGION_FAIL_RECURSION]);
	}
	for (ri = 0; ri < REGION_GEN_SLOTS; ri++) {
		region_get_stats(region_gen_region(trre.g, ri), &st);
		fail_recursion += st.fail[REGION_FAIL_RECURSION];
		trst_printf(" %s-%d %llu", TRST_GEN_PREFIX, ri,
			    st.fail[REGION_FAIL_RECURSION]);
	}
	trst_printf(", seen by alloc_fail: %llu in probes, %llu elsewhere\n",
		    refused, other);

	trst_verdict(every_kind, "reentry: every kind fired");
	trst_verdict(fail_recursion > 0 && refused > 0 &&
		     refused + other <= fail_recursion,
		     "reentry: recursion refused and counted");
}
