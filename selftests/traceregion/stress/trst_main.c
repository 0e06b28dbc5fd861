// SPDX-License-Identifier: GPL-2.0
/*
 * traceregion_stress - traceregion under load from every context at once
 *
 * Run by tools/run-stress in a test guest.  Writing N to
 * /sys/kernel/debug/traceregion_stress/run creates two regions, trst_shared
 * and trst_percpu (REGION_F_PERCPU), and for N seconds allocates from both:
 *  - task: a kthread bound to each online CPU allocates batches of mixed
 *    sizes (a few invalid ones among them) with GFP_KERNEL, GFP_NOWAIT or
 *    GFP_ATOMIC, checks that each record comes back zeroed and 8-byte
 *    aligned, fills it with a pattern and, at the end of the batch, checks
 *    that every pattern of the batch is intact;
 *  - hardirq: a pinned hard hrtimer on each CPU allocates every timer_us;
 *  - tracepoint: a sched_switch probe allocates on every context switch;
 *  - nmi: an NMI_UNKNOWN handler allocates on every NMI nobody else claims.
 *    The host injects them with qemu's monitor command "nmi", which lands
 *    on the boot CPU only, and every nmi_ipi_ms each CPU's timer sends an
 *    NMI IPI to the next CPU, so that NMIs hit every CPU;
 *  - drops: the writer itself calls region_drop() every drop_ms or so,
 *    while user space writes the regions' debugfs drop files;
 *  - re-entry (trst_reentry.c, module parameter reentry): kprobes, ftrace_ops
 *    callbacks and tracepoint probes on the functions and events that the
 *    allocator runs through, its locked section included, allocate from the
 *    same regions, so that its re-entry guard is exercised all run long.
 * The hardirq, tracepoint and NMI allocators fill and check each record at
 * once and forget it.  Writing "check [nmi] [injected=N]" to .../check then
 * compares what the allocators counted with the regions' statistics, checks
 * that the regions still work, destroys them, and leaves the verdict, in
 * KTAP lines, and the figures in .../result.  With a fault-injection kernel,
 * user space fails a share of block allocations through
 * /sys/kernel/debug/fail_traceregion meanwhile.
 *
 * Context and locking rules:
 *  - Counters: trst_pcpu[cpu].c[ctx][region] is written only by context
 *    ctx on that CPU, and no context nests in itself (kthreads are bound,
 *    the timer and the probe run with interrupts off, NMIs do not nest), so
 *    plain increments do.  They are read only by the check, once every
 *    allocator has stopped.  Errors go to atomic counters.
 *  - Records in the hardirq, tracepoint and NMI contexts live within one
 *    preempt-disabled section, an RCU reader: a drop's grace period waits
 *    for it, and one that starts later cannot get a record of a dropped
 *    block.
 *  - A kthread batch holds its records across sleeps (a GFP_KERNEL
 *    allocation may vmalloc), inside an SRCU read-side section of
 *    trst_srcu.  on_drop (a debugfs drop, with the fence up) waits for the
 *    batches in flight with synchronize_srcu(); a batch started later only
 *    gets NULLs until the fence is lifted, then records of fresh or zeroed
 *    blocks.  The writer's own region_drop() first raises trst.quiesce,
 *    which makes new batches wait, then waits for the batches in flight.
 *  - trst_mutex serialises run, check and unload.  It is never taken by
 *    on_drop nor held by an allocator.
 *  - Teardown of a run: stop flag, kthreads (kthread_stop), timers
 *    (hrtimer_cancel), probe (unregister + tracepoint_synchronize_unregister),
 *    the re-entry probes (trst_reentry_disarm()), then the NMI handler no
 *    longer allocates (trst.running is cleared and synchronize_rcu() waits
 *    for NMIs in flight).  The NMI handler itself
 *    stays registered while the module is loaded, so that NMIs the host
 *    injects around a run are claimed rather than reported as unknown.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hardirq.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>

#include <asm/apic.h>
#include <asm/nmi.h>

#include "region_alloc.h"
#include "selftests/traceregion/tr_kcompat.h"
#include "trst.h"

enum trst_ctx { TRST_TASK, TRST_HARDIRQ, TRST_TRACEPOINT, TRST_NMI, TRST_NR_CTX };

static const char * const trst_ctx_names[TRST_NR_CTX] = {
	"task", "hardirq", "tracepoint", "nmi",
};

const char * const trst_region_names[TRST_NR_REGIONS] = {
	"trst_shared", "trst_percpu",
};

/* Region cap and reserve: drops, not the cap, should bound most runs. */
#define TRST_CAP_BLOCKS		128
#define TRST_RESERVE		4
#define TRST_BATCH		32
/* Requests above REGION_MAX_ALLOC (or 0): one in 128 task requests. */
#define TRST_BAD_SIZE_ONE_IN	128

static unsigned int timer_us = 250;
module_param(timer_us, uint, 0444);
MODULE_PARM_DESC(timer_us, "hrtimer period in microseconds (50-100000, default 250)");

static unsigned int nmi_ipi_ms = 10;
module_param(nmi_ipi_ms, uint, 0444);
MODULE_PARM_DESC(nmi_ipi_ms, "interval of the NMI IPIs each CPU sends to the next, in ms (0 = none, default 10)");

static unsigned int drop_ms = 20;
module_param(drop_ms, uint, 0444);
MODULE_PARM_DESC(drop_ms, "mean interval of region_drop() calls in ms (1-10000, default 20)");

struct trst_pcpu {
	struct trst_count c[TRST_NR_CTX][TRST_NR_REGIONS];
	u64 calls[TRST_NR_CTX];	/* allocation attempts */
	u64 nmis;		/* NMIs handled, in a run or not */
	u64 ipis_sent;		/* NMI IPIs this CPU's timer sent */
	unsigned long ticks;	/* timer ticks, for the NMI IPI period */
	u64 rng[TRST_NR_CTX];
	struct hrtimer timer;
	struct task_struct *thread;
};

static DEFINE_PER_CPU(struct trst_pcpu, trst_pcpu);
DEFINE_STATIC_SRCU(trst_srcu);
static DEFINE_MUTEX(trst_mutex);

static struct {
	struct region *r[TRST_NR_REGIONS];
	struct tracepoint *tp;
	bool tp_registered;
	bool running;
	bool quiesce;
	unsigned int seconds;
	/* Errors, any context. */
	atomic_long_t not_zeroed;
	atomic_long_t misaligned;
	atomic_long_t corrupted;
	atomic_long_t bad_size_ok;
	atomic_long_t wrong_ctx;
	/* Drops: by region_drop() here, and through debugfs (on_drop). */
	u64 api_drops[TRST_NR_REGIONS];
	atomic_long_t debugfs_drops[TRST_NR_REGIONS];
	/* NMIs claimed while no run was allocating. */
	atomic_long_t nmi_idle;
	char result[16384];
	size_t result_len;
} trst;

static struct dentry *trst_dir;

/*
 * xorshift64, its upper half: NMI-safe, unlike get_random_u32(), and 32
 * bits so that a % needs no 64-bit division (__umoddi3) on 32-bit kernels.
 */
static u32 trst_rand(u64 *s)
{
	u64 x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x >> 32;
}

static u8 trst_byte(u64 tag)
{
	return (u8)(tag ^ (tag >> 29) ^ 0xa5);
}

static void trst_fill(u8 *p, size_t size, u64 tag)
{
	size_t head = min(size, sizeof(tag));

	memcpy(p, &tag, head);
	if (size > head)
		memset(p + head, trst_byte(tag), size - head);
}

static bool trst_intact(const u8 *p, size_t size, u64 tag)
{
	size_t head = min(size, sizeof(tag));

	return !memcmp(p, &tag, head) &&
	       (size == head || !memchr_inv(p + head, trst_byte(tag), size - head));
}

/*
 * A fresh record: checks alignment and zeroing, fills it with @tag's pattern
 * and checks the pattern.  Any context, NMI included.
 */
void trst_record_check(u8 *p, size_t size, u64 tag)
{
	if ((unsigned long)p & 7)
		atomic_long_inc(&trst.misaligned);
	if (memchr_inv(p, 0, size))
		atomic_long_inc(&trst.not_zeroed);
	trst_fill(p, size, tag);
	if (!trst_intact(p, size, tag))
		atomic_long_inc(&trst.corrupted);
}

/*
 * One allocation, counted: checks alignment and zeroing and fills the record
 * with @tag's pattern.  Returns the record or NULL.
 */
static void *trst_alloc(struct trst_pcpu *pc, enum trst_ctx ctx, int ri,
			size_t size, gfp_t gfp, u64 tag)
{
	struct trst_count *c = &pc->c[ctx][ri];
	bool bad = !size || size > REGION_MAX_ALLOC;
	u8 *p;

	p = region_alloc(trst.r[ri], size, gfp);
	if (bad)
		c->bad_size++;
	if (!p) {
		c->nulls++;
		return NULL;
	}
	if (bad) {
		atomic_long_inc(&trst.bad_size_ok);
		return NULL;
	}
	c->allocs++;
	c->bytes += ALIGN(size, 8);
	if ((unsigned long)p & 7)
		atomic_long_inc(&trst.misaligned);
	if (memchr_inv(p, 0, size))
		atomic_long_inc(&trst.not_zeroed);
	trst_fill(p, size, tag);
	return p;
}

u64 trst_tag(unsigned int who, unsigned int cpu, u64 seq)
{
	return ((u64)who << 60) | ((u64)(cpu & 0xfff) << 48) |
	       (seq & GENMASK_ULL(47, 0));
}

/*
 * Allocate, check and forget, in an atomic context: the record lives only
 * within the caller's preempt-disabled section.
 */
static void trst_alloc_atomic(enum trst_ctx ctx, int ri, size_t max_size)
{
	struct trst_pcpu *pc = this_cpu_ptr(&trst_pcpu);
	u64 seq = ++pc->calls[ctx];
	size_t size = 1 + trst_rand(&pc->rng[ctx]) % max_size;
	u64 tag = trst_tag(ctx, smp_processor_id(), seq);
	u8 *p;

	p = trst_alloc(pc, ctx, ri, size, GFP_ATOMIC | __GFP_NOWARN, tag);
	if (p && !trst_intact(p, size, tag))
		atomic_long_inc(&trst.corrupted);
}

/* Task context: a kthread bound to each CPU. */

static size_t trst_task_size(u64 *rng)
{
	u32 x = trst_rand(rng);

	if (x % TRST_BAD_SIZE_ONE_IN == 0)
		return (x & 256) ? 0 : REGION_MAX_ALLOC + 1 + (x >> 24);
	switch ((x >> 8) % 100) {
	case 0:				/* up to a whole block */
		return REGION_MAX_ALLOC - (x >> 16) % 1024;
	case 1 ... 8:
		return 1025 + (x >> 16) % 7168;
	case 9 ... 28:
		return 129 + (x >> 16) % 896;
	default:
		return 1 + (x >> 16) % 128;
	}
}

static gfp_t trst_task_gfp(u64 *rng)
{
	switch (trst_rand(rng) % 3) {
	case 0:
		return GFP_KERNEL;
	case 1:
		return GFP_NOWAIT | __GFP_NOWARN;
	default:
		return GFP_ATOMIC | __GFP_NOWARN;
	}
}

struct trst_rec {
	u8 *p;
	size_t size;
	u64 tag;
};

static void trst_batch(struct trst_pcpu *pc, unsigned int cpu,
		       struct trst_rec *recs)
{
	unsigned int i, n = 0;
	u64 seq;

	for (i = 0; i < TRST_BATCH; i++) {
		size_t size = trst_task_size(&pc->rng[TRST_TASK]);
		gfp_t gfp = trst_task_gfp(&pc->rng[TRST_TASK]);
		int ri = trst_rand(&pc->rng[TRST_TASK]) % TRST_NR_REGIONS;
		u8 *p;

		seq = ++pc->calls[TRST_TASK];
		recs[n].tag = trst_tag(TRST_TASK, cpu, seq);
		p = trst_alloc(pc, TRST_TASK, ri, size, gfp, recs[n].tag);
		if (!p)
			continue;
		recs[n].p = p;
		recs[n].size = size;
		n++;
	}
	cond_resched();
	for (i = 0; i < n; i++)
		if (!trst_intact(recs[i].p, recs[i].size, recs[i].tag))
			atomic_long_inc(&trst.corrupted);
}

static int trst_thread(void *arg)
{
	unsigned int cpu = (unsigned long)arg;
	struct trst_pcpu *pc = per_cpu_ptr(&trst_pcpu, cpu);
	struct trst_rec *recs;
	int idx;

	recs = kcalloc(TRST_BATCH, sizeof(*recs), GFP_KERNEL);
	/* The timer of this CPU, started here so that it is pinned here. */
	hrtimer_start(&pc->timer, ns_to_ktime((u64)timer_us * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);

	while (!kthread_should_stop()) {
		if (!recs || READ_ONCE(trst.quiesce) || !READ_ONCE(trst.running)) {
			usleep_range(100, 200);
			continue;
		}
		idx = srcu_read_lock(&trst_srcu);
		/* Checked inside the section: pairs with trst_drop_one(). */
		if (!READ_ONCE(trst.quiesce)) {
			if (!in_task())
				atomic_long_inc(&trst.wrong_ctx);
			trst_batch(pc, cpu, recs);
		}
		srcu_read_unlock(&trst_srcu, idx);
		cond_resched();
	}
	kfree(recs);
	return 0;
}

/* Hard IRQ context: a pinned hrtimer per CPU. */

/* An NMI to the next online CPU, every nmi_ipi_ms. */
static void trst_nmi_ipi(struct trst_pcpu *pc)
{
	unsigned int cpu = smp_processor_id(), next;
	unsigned long every = nmi_ipi_ms * USEC_PER_MSEC / timer_us;

	if (!every || ++pc->ticks % every)
		return;
	next = cpumask_next(cpu, cpu_online_mask);
	if (next >= nr_cpu_ids)
		next = cpumask_first(cpu_online_mask);
	if (next == cpu)
		return;
	apic->send_IPI(next, NMI_VECTOR);
	pc->ipis_sent++;
}

static enum hrtimer_restart trst_timer_fn(struct hrtimer *t)
{
	int ri;

	if (!READ_ONCE(trst.running))
		return HRTIMER_NORESTART;
	if (!in_hardirq() || in_nmi())
		atomic_long_inc(&trst.wrong_ctx);
	for (ri = 0; ri < TRST_NR_REGIONS; ri++) {
		trst_alloc_atomic(TRST_HARDIRQ, ri, 1024);
		trst_alloc_atomic(TRST_HARDIRQ, ri, 64);
	}
	if (nmi_ipi_ms)
		trst_nmi_ipi(this_cpu_ptr(&trst_pcpu));
	hrtimer_forward_now(t, ns_to_ktime((u64)timer_us * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/* Tracepoint context: sched_switch, interrupts off, runqueue locked. */

static void trst_probe_sched_switch(void *data, TR_SCHED_SWITCH_ARGS)
{
	struct trst_pcpu *pc = this_cpu_ptr(&trst_pcpu);

	if (!READ_ONCE(trst.running))
		return;
	/*
	 * On PREEMPT_RT a task may schedule inside a local_bh_disable()
	 * section, which in_serving_softirq() counts there.
	 */
	if (in_nmi() || in_hardirq() || !irqs_disabled() ||
	    (!IS_ENABLED(CONFIG_PREEMPT_RT) && in_serving_softirq()))
		atomic_long_inc(&trst.wrong_ctx);
	trst_alloc_atomic(TRST_TRACEPOINT, pc->calls[TRST_TRACEPOINT] & 1, 256);
}

static void trst_find_tracepoint(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_switch"))
		*(struct tracepoint **)priv = tp;
}

/* NMI context: claims the NMIs no other handler claimed. */

static int trst_nmi(unsigned int cmd, struct pt_regs *regs)
{
	int ri;

	this_cpu_inc(trst_pcpu.nmis);
	if (!READ_ONCE(trst.running)) {
		atomic_long_inc(&trst.nmi_idle);
		return NMI_HANDLED;
	}
	if (!in_nmi())
		atomic_long_inc(&trst.wrong_ctx);
	for (ri = 0; ri < TRST_NR_REGIONS; ri++)
		trst_alloc_atomic(TRST_NMI, ri, 512);
	return NMI_HANDLED;
}

/* Drops */

/* on_drop of a debugfs drop: the fence is up; wait for the batches. */
static void trst_on_drop(struct region *r, void *priv)
{
	synchronize_srcu(&trst_srcu);
	atomic_long_inc(&trst.debugfs_drops[(unsigned long)priv]);
}

static void trst_drop_one(int ri)
{
	WRITE_ONCE(trst.quiesce, true);
	/* Every batch that missed the flag is in flight: wait for it. */
	synchronize_srcu(&trst_srcu);
	region_drop(trst.r[ri]);
	trst.api_drops[ri]++;
	WRITE_ONCE(trst.quiesce, false);
}

/* Setup and teardown of a run */

static void trst_destroy_regions(void)
{
	int ri;

	for (ri = 0; ri < TRST_NR_REGIONS; ri++) {
		region_destroy(trst.r[ri]);
		trst.r[ri] = NULL;
	}
}

static int trst_create_regions(void)
{
	struct region_params p = {
		.max_bytes = TRST_CAP_BLOCKS * REGION_BLOCK_SIZE,
		.reserve_blocks = TRST_RESERVE,
		.on_drop = trst_on_drop,
	};
	int ri;

	for (ri = 0; ri < TRST_NR_REGIONS; ri++) {
		p.flags = ri ? REGION_F_PERCPU : 0;
		p.priv = (void *)(unsigned long)ri;
		trst.r[ri] = region_create(trst_region_names[ri], &p);
		if (IS_ERR(trst.r[ri])) {
			int err = PTR_ERR(trst.r[ri]);

			trst.r[ri] = NULL;
			trst_destroy_regions();
			return err;
		}
	}
	return 0;
}

static void trst_reset_counters(void)
{
	unsigned int cpu;
	int ri, ctx;

	for_each_possible_cpu(cpu) {
		struct trst_pcpu *pc = per_cpu_ptr(&trst_pcpu, cpu);

		memset(pc->c, 0, sizeof(pc->c));
		memset(pc->calls, 0, sizeof(pc->calls));
		pc->ipis_sent = 0;
		pc->ticks = 0;
		/* Any non-zero seed will do; xorshift must not start at 0. */
		for (ctx = 0; ctx < TRST_NR_CTX; ctx++)
			pc->rng[ctx] = get_random_u64() | 1;
	}
	atomic_long_set(&trst.not_zeroed, 0);
	atomic_long_set(&trst.misaligned, 0);
	atomic_long_set(&trst.corrupted, 0);
	atomic_long_set(&trst.bad_size_ok, 0);
	atomic_long_set(&trst.wrong_ctx, 0);
	for (ri = 0; ri < TRST_NR_REGIONS; ri++) {
		trst.api_drops[ri] = 0;
		atomic_long_set(&trst.debugfs_drops[ri], 0);
	}
	trst.result_len = 0;
}

static void trst_stop(void)
{
	unsigned int cpu;

	WRITE_ONCE(trst.running, false);
	for_each_possible_cpu(cpu) {
		struct trst_pcpu *pc = per_cpu_ptr(&trst_pcpu, cpu);

		if (pc->thread) {
			kthread_stop(pc->thread);
			put_task_struct(pc->thread);
			pc->thread = NULL;
		}
		hrtimer_cancel(&pc->timer);
	}
	if (trst.tp_registered) {
		tracepoint_probe_unregister(trst.tp,
					    (void *)trst_probe_sched_switch,
					    NULL);
		tracepoint_synchronize_unregister();
		trst.tp_registered = false;
	}
	trst_reentry_disarm();
	/* The NMI handler and the timers test ->running: wait for them. */
	synchronize_rcu();
}

static int trst_start(void)
{
	struct task_struct *t;
	unsigned int cpu;
	int err;

	trst_reset_counters();
	err = trst_create_regions();
	if (err)
		return err;
	WRITE_ONCE(trst.running, true);

	err = tracepoint_probe_register(trst.tp,
					(void *)trst_probe_sched_switch, NULL);
	if (err)
		goto fail;
	trst.tp_registered = true;
	/* Before the kthreads and timers: see trst_reentry_arm(). */
	trst_reentry_arm(trst.r);
	for_each_online_cpu(cpu) {
		t = tr_kthread_on_cpu(trst_thread, (void *)(unsigned long)cpu,
				      cpu, "trst/%u");
		if (IS_ERR(t)) {
			err = PTR_ERR(t);
			goto fail;
		}
		get_task_struct(t);
		per_cpu_ptr(&trst_pcpu, cpu)->thread = t;
		wake_up_process(t);
	}
	return 0;
fail:
	trst_stop();
	trst_destroy_regions();
	return err;
}

/* The writer: drops while the others allocate, for @seconds. */
static int trst_run(unsigned int seconds)
{
	unsigned long end;
	u64 rng = get_random_u64() | 1;
	unsigned int n = 0;
	int err;

	err = trst_start();
	if (err)
		return err;
	trst.seconds = seconds;
	end = jiffies + seconds * HZ;
	while (time_before(jiffies, end) && !signal_pending(current)) {
		msleep(1 + trst_rand(&rng) % (2 * drop_ms));
		trst_drop_one(n++ % TRST_NR_REGIONS);
	}
	trst_stop();
	return signal_pending(current) ? -EINTR : 0;
}

/* The check */

static unsigned int trst_nr_checks;

void trst_printf(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	trst.result_len += vscnprintf(trst.result + trst.result_len,
				      sizeof(trst.result) - trst.result_len,
				      fmt, args);
	va_end(args);
}

void trst_verdict(bool ok, const char *what)
{
	trst_printf("%sok %u stress: %s\n", ok ? "" : "not ", ++trst_nr_checks,
		    what);
}

void trst_verdict_skip(const char *what, const char *why)
{
	trst_printf("ok %u stress: %s # SKIP %s\n", ++trst_nr_checks, what, why);
}

static void trst_sum(struct trst_count *sum, int ctx, int ri)
{
	unsigned int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		struct trst_count *c = &per_cpu_ptr(&trst_pcpu, cpu)->c[ctx][ri];

		sum->allocs += c->allocs;
		sum->bytes += c->bytes;
		sum->nulls += c->nulls;
		sum->bad_size += c->bad_size;
	}
}

static u64 trst_calls(int ctx)
{
	unsigned int cpu;
	u64 n = 0;

	for_each_possible_cpu(cpu)
		n += per_cpu_ptr(&trst_pcpu, cpu)->calls[ctx];
	return n;
}

/* Stats of one region against what its callers counted. */
static void trst_check_region(int ri, bool want_nmi, u64 *vmalloc_fails)
{
	struct region_stats st;
	struct trst_count sum, tot = { };
	bool every_ctx = true, ok;
	u64 debugfs_drops = atomic_long_read(&trst.debugfs_drops[ri]);
	int ctx;

	region_get_stats(trst.r[ri], &st);
	trst_printf("# %s: allocs %llu bytes %llu failures %llu (", trst_region_names[ri],
		    st.allocs, st.bytes_alloc, st.failures);
	for (ctx = 0; ctx < REGION_FAIL_NR; ctx++)
		trst_printf("%s%s %llu", ctx ? ", " : "", region_fail_name(ctx),
			    st.fail[ctx]);
	trst_printf(")\n# %s: drops %llu (region_drop %llu, debugfs %llu)\n",
		    trst_region_names[ri], st.drops, trst.api_drops[ri],
		    debugfs_drops);
	trst_printf("# %s: installs %llu, vmalloc %llu, vfree %llu, failed %llu, recycled %llu\n",
		    trst_region_names[ri], st.block_installs, st.vmalloc_calls,
		    st.vfree_calls, st.vmalloc_fails, st.recycled);
	trst_printf("# %s: at the end: blocks %llu, reserve %llu\n",
		    trst_region_names[ri], st.blocks_held, st.reserve_blocks);

	for (ctx = 0; ctx < TRST_NR_CTX; ctx++) {
		trst_sum(&sum, ctx, ri);
		trst_printf("# %s: %-10s allocs %llu bytes %llu nulls %llu (bad size %llu)\n",
			    trst_region_names[ri], trst_ctx_names[ctx], sum.allocs,
			    sum.bytes, sum.nulls, sum.bad_size);
		tot.allocs += sum.allocs;
		tot.bytes += sum.bytes;
		tot.nulls += sum.nulls;
		tot.bad_size += sum.bad_size;
		if (!sum.allocs && (ctx != TRST_NMI || want_nmi))
			every_ctx = false;
	}
	/* The re-entry probes' records and NULLs count too. */
	memset(&sum, 0, sizeof(sum));
	trst_reentry_sum(ri, &sum);
	trst_printf("# %s: %-10s allocs %llu bytes %llu nulls %llu\n",
		    trst_region_names[ri], "reentry", sum.allocs, sum.bytes,
		    sum.nulls);
	tot.allocs += sum.allocs;
	tot.bytes += sum.bytes;
	tot.nulls += sum.nulls;
	*vmalloc_fails += st.vmalloc_fails;

	trst_verdict(every_ctx, ri ? "percpu: every context allocated"
				   : "shared: every context allocated");
	ok = st.allocs == tot.allocs && st.bytes_alloc == tot.bytes &&
	     st.failures == tot.nulls && st.fail[REGION_FAIL_TOO_LARGE] == tot.bad_size;
	trst_verdict(ok, ri ? "percpu: allocs, bytes and failures add up"
			    : "shared: allocs, bytes and failures add up");
	ok = st.drops == trst.api_drops[ri] + debugfs_drops &&
	     trst.api_drops[ri] > 0;
	trst_verdict(ok, ri ? "percpu: drops add up" : "shared: drops add up");
	ok = st.vmalloc_calls - st.vfree_calls == st.blocks_held + st.reserve_blocks &&
	     st.blocks_held + st.reserve_blocks <= TRST_CAP_BLOCKS &&
	     st.bytes_held == st.bytes_live + st.bytes_free + st.bytes_wasted +
			      st.blocks_held * REGION_BLOCK_HDR;
	trst_verdict(ok, ri ? "percpu: blocks and bytes add up, cap kept"
			    : "shared: blocks and bytes add up, cap kept");
}

/*
 * After the run, with fault injection off: a drop, the reserve refilled
 * within 5 s, then two blocks' worth of records, blocking and not.
 */
static bool trst_usable(int ri)
{
	struct region_stats st;
	const size_t n = 1024;
	bool ok = true;
	int i;
	u8 *p;

	region_drop(trst.r[ri]);
	for (i = 0; i < 500; i++) {
		region_get_stats(trst.r[ri], &st);
		if (st.reserve_blocks >= TRST_RESERVE)
			break;
		usleep_range(10000, 20000);
	}
	if (st.reserve_blocks < TRST_RESERVE)
		return false;
	for (i = 0; i < 2 * REGION_MAX_ALLOC / n; i++) {
		p = region_alloc(trst.r[ri], n, i & 1 ? GFP_ATOMIC : GFP_KERNEL);
		if (!p || memchr_inv(p, 0, n))
			return false;
		trst_fill(p, n, i);
		ok &= trst_intact(p, n, i);
	}
	region_drop(trst.r[ri]);
	return ok;
}

static void trst_check(bool want_nmi, long injected)
{
	u64 vmalloc_fails = 0;
	unsigned int cpu;
	bool ok;
	int ri, ctx;

	trst.result_len = 0;
	trst_nr_checks = 0;
	trst_printf("# seconds %u, timer_us %u, drop_ms %u, cpus %u\n",
		    trst.seconds, timer_us, drop_ms, num_online_cpus());
	for (ctx = 0; ctx < TRST_NR_CTX; ctx++)
		trst_printf("# calls %s %llu\n", trst_ctx_names[ctx],
			    trst_calls(ctx));
	trst_printf("# nmis outside a run %ld; per cpu since load, handled:",
		    atomic_long_read(&trst.nmi_idle));
	for_each_online_cpu(cpu)
		trst_printf(" %llu", per_cpu_ptr(&trst_pcpu, cpu)->nmis);
	trst_printf(", IPIs sent:");
	for_each_online_cpu(cpu)
		trst_printf(" %llu", per_cpu_ptr(&trst_pcpu, cpu)->ipis_sent);
	trst_printf("\n");
	trst_printf("# errors: not zeroed %ld, misaligned %ld, corrupted %ld\n",
		    atomic_long_read(&trst.not_zeroed),
		    atomic_long_read(&trst.misaligned),
		    atomic_long_read(&trst.corrupted));
	trst_printf("# errors: bad size served %ld, wrong context %ld\n",
		    atomic_long_read(&trst.bad_size_ok),
		    atomic_long_read(&trst.wrong_ctx));

	ok = !atomic_long_read(&trst.not_zeroed) &&
	     !atomic_long_read(&trst.misaligned) &&
	     !atomic_long_read(&trst.corrupted);
	trst_verdict(ok, "records zeroed, aligned, patterns intact");
	trst_verdict(!atomic_long_read(&trst.bad_size_ok),
		     "invalid sizes got NULL");
	trst_verdict(!atomic_long_read(&trst.wrong_ctx),
		     "each allocator ran in its context");
	for (ri = 0; ri < TRST_NR_REGIONS; ri++)
		trst_check_region(ri, want_nmi, &vmalloc_fails);
	trst_reentry_check();
	if (injected >= 0) {
		trst_printf("# injected block failures %ld, vmalloc_fails %llu\n",
			    injected, vmalloc_fails);
		trst_verdict(injected > 0 && vmalloc_fails == injected,
			     "every injected block failure counted");
	}
	for (ri = 0; ri < TRST_NR_REGIONS; ri++)
		trst_verdict(trst_usable(ri), ri ? "percpu: usable after the run"
						 : "shared: usable after the run");
	trst_destroy_regions();
	trst_printf("1..%u\n", trst_nr_checks);
}

/* debugfs */

static ssize_t trst_run_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	unsigned int seconds;
	int err;

	err = kstrtouint_from_user(ubuf, count, 0, &seconds);
	if (err)
		return err;
	if (!seconds || seconds > 3600)
		return -EINVAL;
	if (!mutex_trylock(&trst_mutex))
		return -EBUSY;
	if (trst.r[0])
		err = -EBUSY;	/* a run not checked yet */
	else
		err = trst_run(seconds);
	mutex_unlock(&trst_mutex);
	return err ? err : count;
}

static const struct file_operations trst_run_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= trst_run_write,
	.llseek	= noop_llseek,
};

/* "check [nmi] [injected=N]" */
static ssize_t trst_check_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	char buf[64], *s, *tok;
	bool want_nmi = false;
	long injected = -1;
	int err = 0;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	s = strim(buf);
	tok = strsep(&s, " ");
	if (strcmp(tok, "check"))
		return -EINVAL;
	while ((tok = strsep(&s, " "))) {
		if (!strcmp(tok, "nmi"))
			want_nmi = true;
		else if (!strncmp(tok, "injected=", 9) &&
			 !kstrtol(tok + 9, 0, &injected) && injected >= 0)
			continue;
		else if (*tok)
			return -EINVAL;
	}

	mutex_lock(&trst_mutex);
	if (trst.r[0])
		trst_check(want_nmi, injected);
	else
		err = -ENOENT;	/* nothing ran */
	mutex_unlock(&trst_mutex);
	return err ? err : count;
}

static const struct file_operations trst_check_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= trst_check_write,
	.llseek	= noop_llseek,
};

static ssize_t trst_result_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&trst_mutex);
	ret = simple_read_from_buffer(ubuf, count, ppos, trst.result,
				      trst.result_len);
	mutex_unlock(&trst_mutex);
	return ret;
}

static const struct file_operations trst_result_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= trst_result_read,
	.llseek	= default_llseek,
};

static int __init trst_init(void)
{
	unsigned int cpu;
	int err;

	if (timer_us < 50 || timer_us > 100000 || !drop_ms || drop_ms > 10000 ||
	    nmi_ipi_ms > 10000) {
		pr_err("timer_us=%u drop_ms=%u nmi_ipi_ms=%u: out of range\n",
		       timer_us, drop_ms, nmi_ipi_ms);
		return -EINVAL;
	}
	for_each_kernel_tracepoint(trst_find_tracepoint, &trst.tp);
	if (!trst.tp) {
		pr_err("no sched_switch tracepoint\n");
		return -ENOENT;
	}
	for_each_possible_cpu(cpu) {
		struct trst_pcpu *pc = per_cpu_ptr(&trst_pcpu, cpu);

		hrtimer_setup(&pc->timer, trst_timer_fn, CLOCK_MONOTONIC,
			      HRTIMER_MODE_REL_PINNED_HARD);
	}
	err = register_nmi_handler(NMI_UNKNOWN, trst_nmi, 0,
				   "traceregion_stress");
	if (err)
		return err;
	trst_dir = debugfs_create_dir("traceregion_stress", NULL);
	debugfs_create_file("run", 0200, trst_dir, NULL, &trst_run_fops);
	debugfs_create_file("check", 0200, trst_dir, NULL, &trst_check_fops);
	debugfs_create_file("result", 0400, trst_dir, NULL, &trst_result_fops);
	return 0;
}

static void __exit trst_exit(void)
{
	debugfs_remove_recursive(trst_dir);
	/* A run is over when its write returns; only unchecked regions remain. */
	trst_destroy_regions();
	unregister_nmi_handler(NMI_UNKNOWN, "traceregion_stress");
}

module_init(trst_init);
module_exit(trst_exit);

MODULE_IMPORT_NS(TRACEREGION);
MODULE_DESCRIPTION("traceregion stress test: every context, drops, NMIs, faults");
MODULE_LICENSE("GPL");
