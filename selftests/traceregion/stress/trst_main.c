// SPDX-License-Identifier: GPL-2.0
/*
 * traceregion_stress - traceregion under load from every context at once
 *
 * Run by tools/run-stress in a test guest.  Writing N to
 * /sys/kernel/debug/traceregion_stress/run creates two regions, trst_shared
 * and trst_percpu (REGION_F_PERCPU), and a generation set, trst_gen (its
 * regions trst_gen-0 and trst_gen-1), and for N seconds allocates from all
 * three; from the set, always inside a read section of it (see below):
 *  - task: a kthread bound to each online CPU allocates batches of mixed
 *    sizes (a few invalid ones among them) with GFP_KERNEL, GFP_NOWAIT or
 *    GFP_ATOMIC, checks that each record comes back zeroed and 8-byte
 *    aligned, fills it with a pattern and, at the end of the batch, checks
 *    that every pattern of the batch is intact; then a batch from the set,
 *    GFP_NOWAIT or GFP_ATOMIC, within one read section;
 *  - hardirq: a pinned hard hrtimer on each CPU allocates every timer_us;
 *  - tracepoint: a sched_switch probe allocates on every context switch,
 *    from the three in turn;
 *  - nmi: an NMI_UNKNOWN handler allocates on every NMI nobody else claims.
 *    The host injects them with qemu's monitor command "nmi", which lands
 *    on the boot CPU only, and every nmi_ipi_ms each CPU's timer sends an
 *    NMI IPI to the next CPU, so that NMIs hit every CPU;
 *  - drops: the writer itself calls region_drop() on a region and
 *    region_gen_advance() on the set every drop_ms or so, while user space
 *    writes the debugfs drop files of all four regions;
 *  - re-entry (trst_reentry.c, module parameter reentry): kprobes, ftrace_ops
 *    callbacks and tracepoint probes on the functions and events that the
 *    allocator runs through, its locked section included, allocate from the
 *    same regions and set, so that its re-entry guard is exercised all run
 *    long.
 * The hardirq, tracepoint and NMI allocators fill and check each record at
 * once and forget it.  Records of the set are also published on their
 * slot's list: the flush of their generation (or the on_drop of a debugfs
 * drop of their region) checks every one of them.  Writing "check [nmi]
 * [injected=N]" to .../check then compares what the allocators counted with
 * the regions' statistics, and what the flushes saw with what was
 * published, checks that the regions and the set still work, destroys
 * them, and leaves the verdict, in KTAP lines, and the figures in
 * .../result.  With a fault-injection kernel, user space fails a share of
 * block allocations through /sys/kernel/debug/fail_traceregion meanwhile.
 *
 * Arming and disarming the re-entry probes live-patches the kernel's
 * hottest code (the lock functions, lockdep's tracepoints), and under qemu
 * TCG an NMI that runs through code being patched has jumped to address 0
 * (the host's NMIs take nmi_reason_lock on their way to the NMI_UNKNOWN
 * handler).  So user space may split a run in three: writing to "arm"
 * creates the regions and the set and arms the probes, "run" then runs
 * (without arming or disarming), and "disarm" disarms; the host injects
 * NMIs only between the two (tools/stress-guest.sh).  A "run" without
 * "arm" first does all three itself, and "check" disarms what is armed.
 *
 * Context and locking rules:
 *  - Counters: trst_pcpu[cpu].c[ctx][target] is written only by context
 *    ctx on that CPU, and no context nests in itself (kthreads are bound,
 *    the timer and the probe run with interrupts off, NMIs do not nest), so
 *    plain increments do.  They are read only by the check, once every
 *    allocator has stopped.  Errors go to atomic counters.
 *  - Records of the plain regions in the hardirq, tracepoint and NMI
 *    contexts live within one preempt-disabled section, an RCU reader: a
 *    drop's grace period waits for it, and one that starts later cannot get
 *    a record of a dropped block.
 *  - A kthread batch holds its records across sleeps (a GFP_KERNEL
 *    allocation may vmalloc), inside an SRCU read-side section of
 *    trst_srcu.  on_drop (a debugfs drop, with the fence up) waits for the
 *    batches in flight with synchronize_srcu(); a batch started later only
 *    gets NULLs until the fence is lifted, then records of fresh or zeroed
 *    blocks.  The writer's own region_drop() first raises trst.quiesce,
 *    which makes new batches wait, then waits for the batches in flight.
 *  - The set: every context uses it within a read section
 *    (region_gen_read_lock(), no sleeping, so the kthread's batch from it is
 *    non-blocking and never spans a sleep), counted in trst.gen_inside[slot]
 *    from just after region_gen_read_lock() to just before
 *    region_gen_read_unlock().  Each record goes on trst.gen_list[slot], a
 *    lock-free stack (cmpxchg, NMI-safe).  The flush, which
 *    region_gen_advance() calls once no read section can be in the slot of
 *    the generation that ended, requires trst.gen_inside[slot] == 0, takes
 *    the list and leaves it closed (&trst_gen_closed): a record published
 *    on a closed list is "late", an error, and stays off the list.  The
 *    writer reopens the list once the advance has dropped the slot, before
 *    the slot's next generation can start.  A debugfs drop's on_drop runs
 *    once every read section that could have allocated in the slot has
 *    ended (the set fences the region and waits a grace period first;
 *    later ones get NULL there), so nothing is published on the slot's
 *    list while it takes it; it leaves a closed list closed.  Flush and
 *    on_drop never run at the same time (traceregion serialises them), so
 *    their figures are plain counters, read by the check once the run and
 *    the debugfs drops are over.
 *  - trst_mutex serialises run, check and unload.  It is never taken by
 *    on_drop or flush nor held by an allocator.
 *  - Teardown of a run: stop flag, kthreads (kthread_stop), timers
 *    (hrtimer_cancel), probe (unregister + tracepoint_synchronize_unregister),
 *    the re-entry probes (trst_reentry_disarm()), then the NMI handler no
 *    longer allocates (trst.running is cleared and synchronize_rcu() waits
 *    for NMIs in flight); a last advance then flushes what the last
 *    generation holds.  The NMI handler itself
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
/* Records of a kthread's read section of the set (no sleep inside). */
#define TRST_GEN_BATCH		32
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
MODULE_PARM_DESC(drop_ms, "mean interval of region_drop() and region_gen_advance() calls in ms (1-10000, default 20)");

struct trst_pcpu {
	struct trst_count c[TRST_NR_CTX][TRST_NR_TARGETS];
	u64 calls[TRST_NR_CTX];	/* allocation attempts */
	u64 nmis;		/* NMIs handled, in a run or not */
	u64 ipis_sent;		/* NMI IPIs this CPU's timer sent */
	unsigned long ticks;	/* timer ticks, for the NMI IPI period */
	u64 rng[TRST_NR_CTX];
	struct hrtimer timer;
	struct task_struct *thread;
};

/* A record a context holds while it allocates more. */
struct trst_rec {
	void *p;
	size_t size;
	u64 tag;
};

static DEFINE_PER_CPU(struct trst_pcpu, trst_pcpu);
DEFINE_STATIC_SRCU(trst_srcu);
static DEFINE_MUTEX(trst_mutex);

static struct {
	struct region *r[TRST_NR_REGIONS];
	struct region_gen *gen;
	struct tracepoint *tp;
	bool tp_registered;
	/* "arm" done, no run yet: the next run neither arms nor disarms. */
	bool armed_apart;
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
	/* The set: read sections in each slot now, any context. */
	atomic_t gen_inside[REGION_GEN_SLOTS];
	/* Each slot's records, or &trst_gen_closed from flush to reopening. */
	struct trst_gen_rec *gen_list[REGION_GEN_SLOTS];
	/* Records published after their generation's flush (an error). */
	atomic_long_t gen_late;
	/* The writer's advances; then what flush and on_drop saw. */
	u64 gen_advances;
	u64 gen_flushes;
	u64 gen_flush_bad;	/* wrong slot or generation, list not open */
	u64 gen_flush_reader;	/* flushes that found a reader in the slot */
	u64 gen_flushed;	/* records checked by a flush */
	u64 gen_forgotten;	/* records checked by an on_drop */
	u64 gen_bad_rec;	/* records damaged or of another generation */
	u64 gen_debugfs_drops[REGION_GEN_SLOTS];
	char result[16384];
	size_t result_len;
} trst;

/* The end of a flushed list: publishing on it fails until it reopens. */
static struct trst_gen_rec trst_gen_closed;

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
 * Counts in @c what the allocator returned, @p, for @size bytes.  Returns
 * @p, or NULL when it is NULL or served an invalid size (an error).
 */
static void *trst_count(struct trst_count *c, size_t size, void *p)
{
	bool bad = !size || size > REGION_MAX_ALLOC;

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
	return p;
}

/*
 * One allocation, counted: checks alignment and zeroing and fills the record
 * with @tag's pattern.  Returns the record or NULL.
 */
static void *trst_alloc(struct trst_pcpu *pc, enum trst_ctx ctx, int ri,
			size_t size, gfp_t gfp, u64 tag)
{
	u8 *p;

	p = trst_count(&pc->c[ctx][ri], size,
		       region_alloc_inline(trst.r[ri], size, gfp));
	if (!p)
		return NULL;
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

/* The generation set */

/**
 * trst_gen_enter() - enter a read section of trst_gen
 * @s: filled with the section's slot and the generation that holds it
 *
 * Any context where RCU is watching; no sleeping until trst_gen_leave().
 */
void trst_gen_enter(struct trst_gen_section *s)
{
	unsigned long cur;

	s->slot = region_gen_read_lock(trst.gen);
	atomic_inc(&trst.gen_inside[s->slot]);
	/*
	 * The slot's generation is the current one, or the one before once
	 * an advance has flipped: the next flip waits for this section.
	 */
	cur = region_gen_current(trst.gen);
	s->gen = cur - (cur % REGION_GEN_SLOTS != s->slot);
}

/**
 * trst_gen_leave() - leave a read section of trst_gen
 * @s: what trst_gen_enter() filled in
 */
void trst_gen_leave(const struct trst_gen_section *s)
{
	atomic_dec(&trst.gen_inside[s->slot]);
	region_gen_read_unlock(trst.gen);
}

/* Push @rec on @slot's list, unless its flush closed it.  NMI-safe. */
static bool trst_gen_publish(unsigned int slot, struct trst_gen_rec *rec)
{
	struct trst_gen_rec **head = &trst.gen_list[slot];
	struct trst_gen_rec *first = READ_ONCE(*head), *old;

	for (;;) {
		if (first == &trst_gen_closed)
			return false;
		rec->next = first;
		old = cmpxchg(head, first, rec);
		if (old == first)
			return true;
		first = old;
	}
}

/**
 * trst_gen_record() - one record of trst_gen, in a read section
 * @s: the read section
 * @size: what to ask for: trst_gen_size() of the wanted size
 * @gfp: never blocking
 * @tag: the record's tag
 *
 * A record served for a valid @size is checked for alignment and zeroing,
 * filled (header and @tag's pattern), checked and published on its slot's
 * list; one that comes after its generation's flush counts as late.
 *
 * Return: what region_gen_alloc() returned, for the caller to count.
 */
struct trst_gen_rec *trst_gen_record(const struct trst_gen_section *s,
				     size_t size, gfp_t gfp, u64 tag)
{
	struct trst_gen_rec *rec;

	rec = region_gen_alloc(trst.gen, s->slot, size, gfp);
	if (!rec || !size || size > REGION_MAX_ALLOC)
		return rec;
	if ((unsigned long)rec & 7)
		atomic_long_inc(&trst.misaligned);
	if (memchr_inv(rec, 0, size))
		atomic_long_inc(&trst.not_zeroed);
	rec->tag = tag;
	rec->gen = s->gen;
	rec->size = size;
	trst_fill((u8 *)(rec + 1), size - sizeof(*rec), tag);
	if (!trst_gen_intact(rec, size, tag, s->gen))
		atomic_long_inc(&trst.corrupted);
	if (!trst_gen_publish(s->slot, rec))
		atomic_long_inc(&trst.gen_late);
	return rec;
}

/**
 * trst_gen_intact() - is a record of trst_gen as trst_gen_record() left it?
 * @rec: the record
 * @size: its size
 * @tag: its tag
 * @gen: its generation
 *
 * Return: true when its header and pattern are intact.
 */
bool trst_gen_intact(const struct trst_gen_rec *rec, size_t size, u64 tag,
		     unsigned long gen)
{
	return rec->tag == tag && rec->gen == gen && rec->size == size &&
	       trst_intact((const u8 *)(rec + 1), size - sizeof(*rec), tag);
}

/* Count one record of trst_gen for context @ctx: see trst_gen_record(). */
static struct trst_gen_rec *trst_gen_alloc(struct trst_pcpu *pc,
					   enum trst_ctx ctx,
					   const struct trst_gen_section *s,
					   size_t size, gfp_t gfp, u64 tag)
{
	return trst_count(&pc->c[ctx][TRST_GEN], size,
			  trst_gen_record(s, size, gfp, tag));
}

/*
 * In an atomic context: @n records of trst_gen in one read section, checked
 * again before it ends.
 */
static void trst_gen_atomic(enum trst_ctx ctx, size_t max_size, unsigned int n)
{
	struct trst_pcpu *pc = this_cpu_ptr(&trst_pcpu);
	struct trst_gen_section s;
	struct trst_rec recs[2];
	unsigned int i;

	n = min_t(unsigned int, n, ARRAY_SIZE(recs));
	trst_gen_enter(&s);
	for (i = 0; i < n; i++) {
		u64 seq = ++pc->calls[ctx];
		size_t size = 1 + trst_rand(&pc->rng[ctx]) % max_size;

		recs[i].size = trst_gen_size(size);
		recs[i].tag = trst_tag(ctx, smp_processor_id(), seq);
		recs[i].p = trst_gen_alloc(pc, ctx, &s, recs[i].size,
					   GFP_ATOMIC | __GFP_NOWARN,
					   recs[i].tag);
	}
	for (i = 0; i < n; i++)
		if (recs[i].p && !trst_gen_intact(recs[i].p, recs[i].size,
						  recs[i].tag, s.gen))
			atomic_long_inc(&trst.corrupted);
	trst_gen_leave(&s);
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

/*
 * A batch from the set: one read section, so non-blocking and no sleep
 * before every pattern of the batch has been checked again.
 */
static void trst_gen_batch(struct trst_pcpu *pc, unsigned int cpu,
			   struct trst_rec *recs)
{
	struct trst_gen_section s;
	unsigned int i, n = 0;
	u64 seq;

	BUILD_BUG_ON(TRST_GEN_BATCH > TRST_BATCH);
	trst_gen_enter(&s);
	for (i = 0; i < TRST_GEN_BATCH; i++) {
		size_t size = trst_gen_size(trst_task_size(&pc->rng[TRST_TASK]));
		gfp_t gfp = trst_rand(&pc->rng[TRST_TASK]) & 1 ?
			    GFP_NOWAIT | __GFP_NOWARN : GFP_ATOMIC | __GFP_NOWARN;
		void *p;

		seq = ++pc->calls[TRST_TASK];
		recs[n].tag = trst_tag(TRST_TASK, cpu, seq);
		p = trst_gen_alloc(pc, TRST_TASK, &s, size, gfp, recs[n].tag);
		if (!p)
			continue;
		recs[n].p = p;
		recs[n].size = size;
		n++;
	}
	for (i = 0; i < n; i++)
		if (!trst_gen_intact(recs[i].p, recs[i].size, recs[i].tag,
				     s.gen))
			atomic_long_inc(&trst.corrupted);
	trst_gen_leave(&s);
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
		if (!recs || !READ_ONCE(trst.running)) {
			usleep_range(100, 200);
			continue;
		}
		/* The set needs no quiesce: its advances race with this. */
		trst_gen_batch(pc, cpu, recs);
		if (READ_ONCE(trst.quiesce)) {
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
	trst_gen_atomic(TRST_HARDIRQ, 1024, 2);
	if (nmi_ipi_ms)
		trst_nmi_ipi(this_cpu_ptr(&trst_pcpu));
	hrtimer_forward_now(t, ns_to_ktime((u64)timer_us * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/* Tracepoint context: sched_switch, interrupts off, runqueue locked. */

static void trst_probe_sched_switch(void *data, TR_SCHED_SWITCH_ARGS)
{
	struct trst_pcpu *pc = this_cpu_ptr(&trst_pcpu);
	unsigned int t;

	if (!READ_ONCE(trst.running))
		return;
	/*
	 * On PREEMPT_RT a task may schedule inside a local_bh_disable()
	 * section, which in_serving_softirq() counts there.
	 */
	if (in_nmi() || in_hardirq() || !irqs_disabled() ||
	    (!IS_ENABLED(CONFIG_PREEMPT_RT) && in_serving_softirq()))
		atomic_long_inc(&trst.wrong_ctx);
	/* The plain regions and the set in turn. */
	t = (u32)pc->calls[TRST_TRACEPOINT] % TRST_NR_TARGETS;
	if (t == TRST_GEN)
		trst_gen_atomic(TRST_TRACEPOINT, 256, 1);
	else
		trst_alloc_atomic(TRST_TRACEPOINT, t, 256);
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
	trst_gen_atomic(TRST_NMI, 512, 1);
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

/*
 * Check and count the records of a list taken from @slot: each one intact
 * and of generation @gen, or with @around, of the generation that holds
 * @slot when @gen is current (@gen or the one before).
 */
static u64 trst_gen_check_list(struct trst_gen_rec *rec, unsigned int slot,
			       unsigned long gen, bool around)
{
	u64 n = 0;

	for (; rec; rec = rec->next) {
		bool ok = rec->size >= sizeof(*rec) &&
			  rec->size <= REGION_MAX_ALLOC;

		if (around)
			ok &= rec->gen % REGION_GEN_SLOTS == slot &&
			      gen - rec->gen <= 1;
		else
			ok &= rec->gen == gen;
		if (!ok || !trst_gen_intact(rec, rec->size, rec->tag, rec->gen))
			trst.gen_bad_rec++;
		n++;
	}
	return n;
}

/*
 * flush: region_gen_advance() has flipped to @gen + 1 and waited for the
 * read sections of @gen.  None may be left in @slot; take and check what
 * @gen published, and close the list until the writer reopens it.
 */
static void trst_gen_flush(struct region_gen *g, unsigned int slot,
			   unsigned long gen, void *priv)
{
	struct trst_gen_rec *list;

	trst.gen_flushes++;
	if (atomic_read(&trst.gen_inside[slot]))
		trst.gen_flush_reader++;
	/* Only the writer advances; it counts an advance once it is done. */
	if (slot != gen % REGION_GEN_SLOTS || gen != trst.gen_advances ||
	    region_gen_current(g) != gen + 1)
		trst.gen_flush_bad++;
	list = xchg(&trst.gen_list[slot], &trst_gen_closed);
	if (list == &trst_gen_closed) {
		trst.gen_flush_bad++;
		list = NULL;
	}
	trst.gen_flushed += trst_gen_check_list(list, slot, gen, false);
}

/*
 * on_drop of a debugfs drop of trst_gen-<slot>: the fence is up and every
 * read section that got a record of the slot has ended, so the list is
 * final.  Forget the slot's records (checked first: they stay valid until
 * this returns), unless its flush has taken them.
 */
static void trst_gen_on_drop(struct region_gen *g, unsigned int slot,
			     void *priv)
{
	struct trst_gen_rec **head = &trst.gen_list[slot];
	struct trst_gen_rec *list, *old;

	list = READ_ONCE(*head);
	while (list != &trst_gen_closed) {
		old = cmpxchg(head, list, NULL);
		if (old == list)
			break;
		list = old;
	}
	if (list != &trst_gen_closed)
		trst.gen_forgotten += trst_gen_check_list(list, slot,
							  region_gen_current(g),
							  true);
	trst.gen_debugfs_drops[slot]++;
}

/* The writer's advance: flush and drop the generation in progress. */
static void trst_gen_advance(void)
{
	unsigned int old = region_gen_current(trst.gen) % REGION_GEN_SLOTS;

	if (WARN_ON_ONCE(region_gen_advance(trst.gen)))
		return;
	trst.gen_advances++;
	/* Dropped: open the list for the slot's next generation. */
	if (cmpxchg(&trst.gen_list[old], &trst_gen_closed, NULL) !=
	    &trst_gen_closed)
		trst.gen_flush_bad++;
}

/* Setup and teardown of a run */

static void trst_destroy_regions(void)
{
	int ri;

	for (ri = 0; ri < TRST_NR_REGIONS; ri++) {
		region_destroy(trst.r[ri]);
		trst.r[ri] = NULL;
	}
	region_gen_destroy(trst.gen);
	trst.gen = NULL;
}

static int trst_create_regions(void)
{
	struct region_params p = {
		.max_bytes = TRST_CAP_BLOCKS * REGION_BLOCK_SIZE,
		.reserve_blocks = TRST_RESERVE,
		.on_drop = trst_on_drop,
	};
	struct region_gen_params gp = {
		.region = {
			.max_bytes = TRST_CAP_BLOCKS * REGION_BLOCK_SIZE,
			.reserve_blocks = TRST_RESERVE,
		},
		.flush = trst_gen_flush,
		.on_drop = trst_gen_on_drop,
	};
	int ri, err;

	trst.gen = region_gen_create(TRST_GEN_PREFIX, &gp);
	if (IS_ERR(trst.gen)) {
		err = PTR_ERR(trst.gen);
		trst.gen = NULL;
		return err;
	}
	for (ri = 0; ri < TRST_NR_REGIONS; ri++) {
		p.flags = ri ? REGION_F_PERCPU : 0;
		p.priv = (void *)(unsigned long)ri;
		trst.r[ri] = region_create(trst_region_names[ri], &p);
		if (IS_ERR(trst.r[ri])) {
			err = PTR_ERR(trst.r[ri]);
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
	for (ri = 0; ri < REGION_GEN_SLOTS; ri++) {
		atomic_set(&trst.gen_inside[ri], 0);
		trst.gen_list[ri] = NULL;
		trst.gen_debugfs_drops[ri] = 0;
	}
	atomic_long_set(&trst.gen_late, 0);
	trst.gen_advances = 0;
	trst.gen_flushes = 0;
	trst.gen_flush_bad = 0;
	trst.gen_flush_reader = 0;
	trst.gen_flushed = 0;
	trst.gen_forgotten = 0;
	trst.gen_bad_rec = 0;
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
	trst_reentry_on(false);
	/*
	 * The NMI handler, the timers and the re-entry probes test ->running
	 * or their own flag with preemption off: wait for them.
	 */
	synchronize_rcu();
}

/* "arm": the regions and the set, and the re-entry probes on them. */
static int trst_arm(void)
{
	int err;

	trst_reset_counters();
	err = trst_create_regions();
	if (err)
		return err;
	/* Before the kthreads and timers: see trst_reentry_arm(). */
	trst_reentry_arm(trst.r, trst.gen);
	return 0;
}

/* Every allocator but the re-entry probes, which are armed already. */
static int trst_start(void)
{
	struct task_struct *t;
	unsigned int cpu;
	int err;

	WRITE_ONCE(trst.running, true);
	trst_reentry_on(true);
	err = tracepoint_probe_register(trst.tp,
					(void *)trst_probe_sched_switch, NULL);
	if (err)
		goto fail;
	trst.tp_registered = true;
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
	trst_reentry_disarm();
	trst_destroy_regions();
	return err;
}

/*
 * The writer: drops while the others allocate, for @seconds.  Arms the
 * re-entry probes first and disarms them after, unless "arm" did.
 */
static int trst_run(unsigned int seconds)
{
	bool own_arm = !trst.armed_apart;
	unsigned long end;
	u64 rng = get_random_u64() | 1;
	unsigned int n = 0;
	int err;

	trst.armed_apart = false;
	if (own_arm) {
		err = trst_arm();
		if (err)
			return err;
	}
	err = trst_start();
	if (err)
		return err;
	trst.seconds = seconds;
	end = jiffies + seconds * HZ;
	while (time_before(jiffies, end) && !signal_pending(current)) {
		msleep(1 + trst_rand(&rng) % drop_ms);
		trst_drop_one(n++ % TRST_NR_REGIONS);
		/*
		 * Half-way, not right after the drop: its quiesce has kept
		 * the kthreads out of their batches, the set's included.
		 */
		msleep(1 + trst_rand(&rng) % drop_ms);
		trst_gen_advance();
	}
	trst_stop();
	if (own_arm)
		trst_reentry_disarm();
	/* Every record published is flushed (or was forgotten by on_drop). */
	trst_gen_advance();
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

/* A region's figures, as "# @name: ..." lines; its drops are the caller's. */
static void trst_print_region(const char *name, const struct region_stats *st)
{
	int i;

	trst_printf("# %s: allocs %llu bytes %llu failures %llu (", name,
		    st->allocs, st->bytes_alloc, st->failures);
	for (i = 0; i < REGION_FAIL_NR; i++)
		trst_printf("%s%s %llu", i ? ", " : "", region_fail_name(i),
			    st->fail[i]);
	trst_printf(")\n");
	trst_printf("# %s: installs %llu, vmalloc %llu, vfree %llu, failed %llu, recycled %llu\n",
		    name, st->block_installs, st->vmalloc_calls,
		    st->vfree_calls, st->vmalloc_fails, st->recycled);
	trst_printf("# %s: at the end: blocks %llu, reserve %llu\n",
		    name, st->blocks_held, st->reserve_blocks);
}

/* A quiet region's blocks against vmalloc and vfree calls, and its bytes. */
static bool trst_blocks_ok(const struct region_stats *st)
{
	return st->vmalloc_calls - st->vfree_calls ==
	       st->blocks_held + st->reserve_blocks &&
	       st->blocks_held + st->reserve_blocks <= TRST_CAP_BLOCKS &&
	       st->bytes_held == st->bytes_live + st->bytes_free +
				 st->bytes_wasted +
				 st->blocks_held * REGION_BLOCK_HDR;
}

/*
 * What every context (the re-entry probes included) counted for @target,
 * one "# @name: ..." line each, added up in @tot.  Returns whether every
 * context allocated (NMI only with @want_nmi).
 */
static bool trst_sum_contexts(const char *name, int target, bool want_nmi,
			      struct trst_count *tot)
{
	struct trst_count sum;
	bool every_ctx = true;
	int ctx;

	memset(tot, 0, sizeof(*tot));
	for (ctx = 0; ctx < TRST_NR_CTX; ctx++) {
		trst_sum(&sum, ctx, target);
		trst_printf("# %s: %-10s allocs %llu bytes %llu nulls %llu (bad size %llu)\n",
			    name, trst_ctx_names[ctx], sum.allocs, sum.bytes,
			    sum.nulls, sum.bad_size);
		tot->allocs += sum.allocs;
		tot->bytes += sum.bytes;
		tot->nulls += sum.nulls;
		tot->bad_size += sum.bad_size;
		if (!sum.allocs && (ctx != TRST_NMI || want_nmi))
			every_ctx = false;
	}
	/* The re-entry probes' records and NULLs count too. */
	memset(&sum, 0, sizeof(sum));
	trst_reentry_sum(target, &sum);
	trst_printf("# %s: %-10s allocs %llu bytes %llu nulls %llu\n",
		    name, "reentry", sum.allocs, sum.bytes, sum.nulls);
	tot->allocs += sum.allocs;
	tot->bytes += sum.bytes;
	tot->nulls += sum.nulls;
	return every_ctx;
}

/* Stats of one region against what its callers counted. */
static void trst_check_region(int ri, bool want_nmi, u64 *vmalloc_fails)
{
	const char *name = trst_region_names[ri];
	u64 debugfs_drops = atomic_long_read(&trst.debugfs_drops[ri]);
	struct region_stats st;
	struct trst_count tot;
	bool every_ctx, ok;

	region_get_stats(trst.r[ri], &st);
	trst_print_region(name, &st);
	trst_printf("# %s: drops %llu (region_drop %llu, debugfs %llu)\n",
		    name, st.drops, trst.api_drops[ri], debugfs_drops);
	every_ctx = trst_sum_contexts(name, ri, want_nmi, &tot);
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
	trst_verdict(trst_blocks_ok(&st),
		     ri ? "percpu: blocks and bytes add up, cap kept"
			: "shared: blocks and bytes add up, cap kept");
}

/*
 * The set: its two regions' stats, added up, against what its callers
 * counted; the advances against the flushes and what they found.
 */
static void trst_check_gen(bool want_nmi, u64 *vmalloc_fails)
{
	char name[REGION_NAME_MAX + 1];
	struct region_stats st, sum = { };
	u64 debugfs_drops = 0, fail_too_large = 0;
	bool every_ctx, blocks_ok = true, ok;
	struct trst_count tot;
	unsigned int slot;

	for (slot = 0; slot < REGION_GEN_SLOTS; slot++) {
		snprintf(name, sizeof(name), "%s-%u", TRST_GEN_PREFIX, slot);
		region_get_stats(region_gen_region(trst.gen, slot), &st);
		trst_print_region(name, &st);
		trst_printf("# %s: drops %llu (debugfs %llu)\n", name,
			    st.drops, trst.gen_debugfs_drops[slot]);
		sum.allocs += st.allocs;
		sum.bytes_alloc += st.bytes_alloc;
		sum.failures += st.failures;
		fail_too_large += st.fail[REGION_FAIL_TOO_LARGE];
		sum.drops += st.drops;
		debugfs_drops += trst.gen_debugfs_drops[slot];
		blocks_ok &= trst_blocks_ok(&st);
		*vmalloc_fails += st.vmalloc_fails;
	}
	trst_printf("# %s: generation %lu, advances %llu, flushes %llu\n",
		    TRST_GEN_PREFIX, region_gen_current(trst.gen),
		    trst.gen_advances, trst.gen_flushes);
	trst_printf("# %s: flushes of a wrong slot or generation %llu, with a reader in it %llu\n",
		    TRST_GEN_PREFIX, trst.gen_flush_bad, trst.gen_flush_reader);
	trst_printf("# %s: records flushed %llu, forgotten by on_drop %llu\n",
		    TRST_GEN_PREFIX, trst.gen_flushed, trst.gen_forgotten);
	trst_printf("# %s: records published after their flush %ld, damaged or misplaced %llu\n",
		    TRST_GEN_PREFIX, atomic_long_read(&trst.gen_late),
		    trst.gen_bad_rec);
	every_ctx = trst_sum_contexts(TRST_GEN_PREFIX, TRST_GEN, want_nmi, &tot);

	trst_verdict(every_ctx, "gen: every context allocated");
	ok = sum.allocs == tot.allocs && sum.bytes_alloc == tot.bytes &&
	     sum.failures == tot.nulls && fail_too_large == tot.bad_size;
	trst_verdict(ok, "gen: allocs, bytes and failures add up");
	ok = sum.drops == trst.gen_advances + debugfs_drops;
	trst_verdict(ok, "gen: drops add up (advances and debugfs)");
	trst_verdict(blocks_ok, "gen: blocks and bytes add up, cap kept");
	ok = trst.gen_advances > 0 && trst.gen_flushes == trst.gen_advances &&
	     region_gen_current(trst.gen) == trst.gen_advances &&
	     !trst.gen_flush_bad;
	trst_verdict(ok, "gen: advances == flushes, each of the generation that ended");
	trst_verdict(!trst.gen_flush_reader,
		     "gen: flush never found a reader in its slot");
	ok = !atomic_long_read(&trst.gen_late) && !trst.gen_bad_rec &&
	     trst.gen_flushed + trst.gen_forgotten == tot.allocs;
	trst_verdict(ok, "gen: every record reached its flush or on_drop, intact");
}

/* Whether @r's reserve is refilled within 5 s. */
static bool trst_reserve_ready(struct region *r)
{
	struct region_stats st;
	int i;

	for (i = 0; i < 500; i++) {
		region_get_stats(r, &st);
		if (st.reserve_blocks >= TRST_RESERVE)
			return true;
		usleep_range(10000, 20000);
	}
	return false;
}

/*
 * After the run, with fault injection off: a drop, the reserve refilled
 * within 5 s, then two blocks' worth of records, blocking and not.
 */
static bool trst_usable(int ri)
{
	const size_t n = 1024;
	bool ok = true;
	int i;
	u8 *p;

	region_drop(trst.r[ri]);
	if (!trst_reserve_ready(trst.r[ri]))
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

/*
 * The set after the run, in each slot in turn: an advance, the slot's
 * reserve refilled within 5 s, then two blocks' worth of records in one read
 * section (from the reserve: it cannot sleep); a last advance drops them.
 */
static bool trst_gen_usable(void)
{
	struct trst_gen_section s;
	const size_t n = 1024;
	unsigned int slot;
	struct region *r;
	bool ok = true;
	int i;
	u8 *p;

	for (slot = 0; slot < REGION_GEN_SLOTS && ok; slot++) {
		trst_gen_advance();
		r = region_gen_region(trst.gen, region_gen_current(trst.gen) %
						REGION_GEN_SLOTS);
		if (!trst_reserve_ready(r))
			return false;
		trst_gen_enter(&s);
		for (i = 0; i < 2 * REGION_MAX_ALLOC / n && ok; i++) {
			p = region_gen_alloc(trst.gen, s.slot, n, GFP_ATOMIC);
			ok = p && !memchr_inv(p, 0, n);
			if (ok) {
				trst_fill(p, n, i);
				ok = trst_intact(p, n, i);
			}
		}
		trst_gen_leave(&s);
	}
	trst_gen_advance();
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
	trst_check_gen(want_nmi, &vmalloc_fails);
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
	trst_verdict(trst_gen_usable(), "gen: usable after the run");
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
	if (trst.r[0] && !trst.armed_apart)
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

/* "arm": any write; before "run", which then leaves the probes armed. */
static ssize_t trst_arm_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	int err;

	mutex_lock(&trst_mutex);
	if (trst.r[0]) {
		err = -EBUSY;	/* armed already, or a run not checked yet */
	} else {
		err = trst_arm();
		trst.armed_apart = !err;
	}
	mutex_unlock(&trst_mutex);
	return err ? err : count;
}

static const struct file_operations trst_arm_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= trst_arm_write,
	.llseek	= noop_llseek,
};

/* "disarm": any write; after "run" (or instead of it). */
static ssize_t trst_disarm_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	mutex_lock(&trst_mutex);
	trst_reentry_disarm();
	mutex_unlock(&trst_mutex);
	return count;
}

static const struct file_operations trst_disarm_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= trst_disarm_write,
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
	/* Disarmed before the check, which drops and destroys the regions. */
	trst_reentry_disarm();
	if (trst.armed_apart) {
		/* Armed, never run: nothing to check. */
		trst_destroy_regions();
		trst.armed_apart = false;
	}
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
	debugfs_create_file("arm", 0200, trst_dir, NULL, &trst_arm_fops);
	debugfs_create_file("run", 0200, trst_dir, NULL, &trst_run_fops);
	debugfs_create_file("disarm", 0200, trst_dir, NULL, &trst_disarm_fops);
	debugfs_create_file("check", 0200, trst_dir, NULL, &trst_check_fops);
	debugfs_create_file("result", 0400, trst_dir, NULL, &trst_result_fops);
	return 0;
}

static void __exit trst_exit(void)
{
	debugfs_remove_recursive(trst_dir);
	/*
	 * A run is over when its write returns; only armed probes and
	 * unchecked regions remain.
	 */
	trst_reentry_disarm();
	trst_destroy_regions();
	unregister_nmi_handler(NMI_UNKNOWN, "traceregion_stress");
}

module_init(trst_init);
module_exit(trst_exit);

MODULE_IMPORT_NS(TRACEREGION);
MODULE_DESCRIPTION("traceregion stress test: every context, drops, NMIs, faults");
MODULE_LICENSE("GPL");
