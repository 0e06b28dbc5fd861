// SPDX-License-Identifier: GPL-2.0
/*
 * traceregion - bump-pointer region allocator for tracing code
 *
 * A port of the Go runtime's traceRegionAlloc (runtime/traceregion.go) to the
 * kernel.  A region carves small records out of REGION_BLOCK_SIZE blocks
 * obtained from vmalloc and frees all of them at once with region_drop().
 *
 * Algorithm (as in Go, the default "shared" mode):
 *  - a request is rounded up to 8 bytes and served by one
 *    atomic_long_add_return() on the current block's offset; if the result
 *    still fits, that is the whole fast path;
 *  - otherwise the install lock is taken, the current block is re-checked
 *    (another CPU may have installed a block meanwhile), the full block is
 *    retired to the full list and a fresh block is made current, with the
 *    request carved from it before it is published.
 *
 * Per-CPU mode (REGION_F_PERCPU): each CPU has a current block of its own,
 * bumped with local_add_return() under preempt_disable().  Only the owning
 * CPU ever bumps that block, and a local add is indivisible on its CPU (one
 * instruction on x86), so an IRQ or NMI nesting on the same CPU stays
 * correct without a lock prefix.  When
 * that block is full, the CPU installs the next one from a small stash of
 * its own (struct region_stash) without the lock: cmpxchg() on its slot,
 * against the xchg() of a drop; the full block goes to the CPU's retired
 * list.  The lock is only taken to refill the stash, a batch at a time,
 * from the spare list, and for the first install of a generation (no
 * current block) and when no spare is left: then the slow path is the same
 * as in shared mode, under the same lock, for this CPU's slot.  See
 * region_stash_install() for why each block has exactly one owner.
 *
 * Kernel rules the Go code does not face:
 *  - vmalloc() and vfree() may sleep: they are never called under the install
 *    lock nor from a caller that cannot sleep.  Non-blocking callers take a
 *    spare zeroed block from the region's reserve; the reserve is refilled
 *    from process context (irq_work, which is NMI-safe, queues a work item).
 *  - In NMI the install lock is only try-locked; failure returns NULL.
 *  - A drop fences new allocations (they return NULL), waits for every
 *    region_alloc() inside a block (RCU; a blocking caller asleep in
 *    vmalloc() is not inside one and may come back after the drop with a
 *    record of the next generation), lets the owner forget its pointers when
 *    the drop came from debugfs, frees the blocks, then lifts the fence.
 *    The fence is ->fenced, tested by the slow path under the lock, and
 *    the current blocks unpublished (NULL) under the lock right after it
 *    is raised: the fast path (region_alloc_inline() in region_alloc.h)
 *    tests only for NULL, so it has no fence test of its own.
 *  - Every NULL return is counted by cause; nothing here BUG()s on a
 *    caller's mistake.
 *
 * Context and locking rules:
 *  - region_alloc() may be called from any context, NMI included, with a gfp
 *    that matches the context: a blocking gfp (GFP_KERNEL) only where the
 *    caller may sleep.  Its fast path and each round of its slow path run
 *    with preemption disabled: RCU readers, which is what region_drop()
 *    waits for with synchronize_rcu().  vmalloc() runs between rounds.
 *  - region_create(), region_drop() and region_destroy() sleep.  Drop and
 *    destroy of one region are serialised by region->drop_mutex.  The
 *    caller of region_destroy() has stopped every region_alloc() on the
 *    region first (as for gen_pool_destroy()).
 *  - region_get_stats() is lock-free and may be called from any context.
 *  - region->lock (raw, interrupts off) guards ->cur updates, the full and
 *    spare lists and the block counters.  It nests inside the RCU reader
 *    and nothing is taken under it.  It is only taken through
 *    region_lock_atomic() and region_lock(), which raise this CPU's
 *    region_guard.locked, or inside a stash section, which raised it
 *    first: a call that would take any region's lock while its CPU is
 *    inside a locked section (a probe that fired in there, an NMI that
 *    interrupted it) fails as "recursion" instead.  So no region lock
 *    nests in another, and no CPU spins on a lock it holds.
 *  - A CPU's stash, its retired list and its stash counters (per-CPU
 *    mode) are only touched by that CPU inside a stash section (interrupts
 *    off, region_guard.locked raised: nothing else on the CPU is in one),
 *    and by a drop or destroy after the grace period that follows the
 *    fence, when no stash section can be running (region_stash_install()).
 *    Its current block pointer is written by that CPU (cmpxchg() in a
 *    stash section, or under the lock) and taken by a drop with xchg()
 *    under the lock.
 *  - This module's trace events are emitted outside region->lock and never
 *    nested on one CPU (region_guard.events).
 *  - Debugfs drops are serialised by region_ondrop_mutex, taken before the
 *    region's drop_mutex; on_drop runs under both and may not drop or
 *    destroy any region (refused).  region_mutex guards region_list, the
 *    name space and the setting of region->orphan; it is never held while
 *    either of the others is taken.
 *  - Generation sets (region_gen_*) are two regions and a set-wide
 *    g->advance_mutex, which serialises advances and is taken before
 *    region_ondrop_mutex; an advance holds region_ondrop_mutex from the
 *    generation bump to the drop, and runs flush under it, so that set
 *    callbacks (flush, on_drop) and region on_drops never run at the same
 *    time and follow the same rules.  Read sections are preempt-disabled
 *    sections, the RCU readers an advance waits for.
 *  - A region knows its owner module.  An owner that goes away without
 *    destroying its regions orphans them (module notifier, which waits
 *    for an on_drop in progress): debugfs drops are refused from then on.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fault-inject.h>
#include <linux/hardirq.h>
#include <linux/irq_work.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include <asm/local.h>

#include "region_alloc.h"

#define CREATE_TRACE_POINTS
#include "region_trace.h"

/* Other modules (the stress test's re-entry torture) may probe these. */
EXPORT_TRACEPOINT_SYMBOL_GPL(block_install);
EXPORT_TRACEPOINT_SYMBOL_GPL(drop);
EXPORT_TRACEPOINT_SYMBOL_GPL(alloc_fail);

static_assert(offsetof(struct region_block, data) == REGION_BLOCK_HDR);
static_assert(sizeof(struct region_block) == REGION_BLOCK_SIZE);

/* Internal verdict of region_install(): the caller must vmalloc a block. */
#define REGION_NEED_BLOCK	REGION_FAIL_NR

/* Most spare blocks a CPU's stash holds (per-CPU mode). */
#define REGION_STASH_MAX	8

/**
 * struct region_stash - one CPU's lock-free supply of blocks (per-CPU mode)
 * @blk: zeroed blocks never handed out, taken from the spare list under the
 *	lock; @blk[@nr - 1] is the next to install
 * @nr: blocks in @blk
 * @in_use: blocks this CPU installed from @blk since the last drop; they are
 *	in use (current or retired) and counted here instead of ->nr_in_use
 * @installs: blocks this CPU installed from @blk since creation
 * @retired: full blocks this CPU retired from its slot without the lock
 *
 * Written by its CPU inside a stash section only, and by a drop or destroy
 * once no stash section can be running; @nr, @in_use and @installs are read
 * lock-free by region_get_stats().
 */
struct region_stash {
	struct region_block *blk[REGION_STASH_MAX];
	unsigned int nr;
	unsigned long in_use;
	u64 installs;
	struct list_head retired;
};

struct region {
	/* All that the fast path reads: region_alloc_inline(). */
	struct region_fast fast;
	/* Raised by a drop: the slow path installs nothing while it is up. */
	bool fenced;

	/* Written on the slow path only: keep it off the fast path's line. */
	raw_spinlock_t lock ____cacheline_aligned_in_smp;
	struct list_head full;
	struct list_head spare;
	/* Blocks in use: ->cur and the full list. */
	unsigned long nr_in_use;
	unsigned int nr_spare;
	/* In use + spare + being vmalloc'ed: what ->max_blocks caps. */
	unsigned long nr_total;
	unsigned long max_blocks;
	/* region_params.reserve_blocks: the reserve a drop comes back to. */
	unsigned int reserve_target;
	/*
	 * The reserve the refill keeps: reserve_target, doubled (up to
	 * region_refill_max()) when an atomic caller found no spare block,
	 * at most once per refill round (refill_grown, cleared when a refill
	 * reaches the target), and halved (down to reserve_target) by a drop
	 * when no caller found the reserve empty since the previous drop
	 * (refill_dry).  Under ->lock; read lock-free by the stats file.
	 */
	unsigned int refill_target;
	bool refill_grown;
	bool refill_dry;
	u64 installs;
	u64 recycled;
	u64 drops;
	/* Sum of per-CPU bytes when the last drop freed the blocks. */
	u64 bytes_at_drop;
	/* Per-CPU mode: every CPU's stash; NULL in shared mode. */
	struct region_stash __percpu *stash;

	atomic_long_t vmallocs;
	atomic_long_t vfrees;
	/* Block allocations that failed, refills included. */
	atomic_long_t vmalloc_fails;

	struct irq_work refill_iw;
	struct work_struct refill_work;
	/* Serialises drop and destroy; held across the fence. */
	struct mutex drop_mutex;

	void (*on_drop)(struct region *r, void *priv);
	void *priv;
	/* The module that created the region (NULL: built in). */
	struct module *owner;
	/* No more debugfs drops: the owner went, or destroyed it from on_drop. */
	bool orphan;
	/* The generation set this region is a slot of, or NULL; fixed. */
	struct region_gen_slot *gslot;

	struct list_head link;
	struct dentry *dir;
	char name[REGION_NAME_MAX + 1];
};

/* region_alloc_inline() reads a region through its first member. */
static_assert(offsetof(struct region, fast) == 0);

/* One region of a generation set, and the set it belongs to. */
struct region_gen_slot {
	struct region_gen *g;
	struct region *r;
	unsigned int idx;
};

struct region_gen {
	/* Generation in progress; it lives in slot[gen % REGION_GEN_SLOTS]. */
	unsigned long gen;
	struct region_gen_slot slot[REGION_GEN_SLOTS];
	/* Serialises advances, each held from the flip to the drop. */
	struct mutex advance_mutex;
	void (*flush)(struct region_gen *g, unsigned int slot,
		      unsigned long gen, void *priv);
	void (*on_drop)(struct region_gen *g, unsigned int slot, void *priv);
	void *priv;
	/*
	 * One reference per region, and one held by region_gen_create() and
	 * region_gen_destroy() while they run: the last put frees the set.
	 */
	refcount_t refs;
	char prefix[REGION_GEN_PREFIX_MAX + 1];
};

static void region_gen_put(struct region_gen *g)
{
	if (refcount_dec_and_test(&g->refs))
		kfree(g);
}

static unsigned int default_reserve = REGION_DEFAULT_RESERVE;
module_param(default_reserve, uint, 0444);
MODULE_PARM_DESC(default_reserve,
		 "spare blocks of a region created without params (0-64, default 2)");

static unsigned long max_blocks;
module_param(max_blocks, ulong, 0444);
MODULE_PARM_DESC(max_blocks,
		 "cap in 64 KiB blocks for regions that set no max_bytes (0 = none, else > default_reserve, at most 16777216)");

/* 1 TiB of blocks: far above any sane tracing buffer. */
#define REGION_MAX_BLOCKS_PARAM	BIT(24)

static LIST_HEAD(region_list);
static DEFINE_MUTEX(region_mutex);
static struct dentry *region_debugfs_root;
static struct dentry *region_fault_dir;

/* The one list of the causes' names: debugfs, trace events, region_fail_name(). */
static const char * const region_fail_names[REGION_FAIL_NR] = {
	[REGION_FAIL_TOO_LARGE]		= "too_large",
	[REGION_FAIL_NO_RESERVE]	= "no_reserve",
	[REGION_FAIL_CAP]		= "cap",
	[REGION_FAIL_DROPPING]		= "dropping",
	[REGION_FAIL_VMALLOC]		= "vmalloc",
	[REGION_FAIL_NMI_BUSY]		= "nmi_busy",
	[REGION_FAIL_RECURSION]		= "recursion",
};

/**
 * region_fail_name() - name of a failure cause, as shown in debugfs
 * @cause: the cause
 *
 * Context: any.
 * Return: a static string, "unknown" for an out-of-range @cause.
 */
const char *region_fail_name(enum region_fail_cause cause)
{
	if ((unsigned int)cause >= REGION_FAIL_NR)
		return "unknown";
	return region_fail_names[cause];
}
EXPORT_SYMBOL_NS_GPL(region_fail_name, TRACEREGION);

/* Blocks: the only places that call vmalloc and vfree. */

#ifdef TRACEREGION_KUNIT
/* Test build only: a fault point and race hooks, in kunit/. */
static bool region_test_block_new(struct region *r);
static void region_test_stats_hook(struct region *r);
static void region_test_name_released(struct region *r);
static void region_test_stash_hook(struct region *r);
#else
static inline bool region_test_block_new(struct region *r)
{
	return false;
}

static inline void region_test_stats_hook(struct region *r)
{
}

static inline void region_test_name_released(struct region *r)
{
}

static inline void region_test_stash_hook(struct region *r)
{
}
#endif

/*
 * The kernel's fault injection (CONFIG_FAULT_INJECTION): debugfs
 * fail_traceregion/ fails block allocations, refills included, the way
 * failslab fails slab allocations (Documentation/fault-injection/).  Off
 * until its probability is set.  A failed block is counted in
 * vmalloc_fails and, for a caller that waited for it, as a "vmalloc"
 * failure of region_alloc().
 */
#ifdef CONFIG_FAULT_INJECTION
static DECLARE_FAULT_ATTR(region_fail_block_attr);

static bool region_fail_block(void)
{
	return should_fail(&region_fail_block_attr, REGION_BLOCK_SIZE);
}

static struct dentry *region_fault_debugfs(void)
{
	return fault_create_debugfs_attr("fail_traceregion", NULL,
					 &region_fail_block_attr);
}
#else
static inline bool region_fail_block(void)
{
	return false;
}

static inline struct dentry *region_fault_debugfs(void)
{
	return NULL;
}
#endif

/* The gfp bits a blocking caller passes on to vmalloc (NOFS/NOIO honoured). */
#define REGION_VMALLOC_GFP	(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY | \
				 __GFP_RETRY_MAYFAIL)

static struct region_block *region_block_new(struct region *r, gfp_t gfp)
{
	struct region_block *b;

	if (region_test_block_new(r) || region_fail_block())
		b = NULL;
	else
		b = __vmalloc(REGION_BLOCK_SIZE,
			      (gfp & REGION_VMALLOC_GFP) | __GFP_ZERO);
	if (b)
		atomic_long_inc(&r->vmallocs);
	else
		atomic_long_inc(&r->vmalloc_fails);
	return b;
}

static void region_block_free(struct region *r, struct region_block *b)
{
	vfree(b);
	atomic_long_inc(&r->vfrees);
}

/*
 * Re-entry guards, per CPU.  A tracer's probe can fire inside this module:
 * an ftrace-based kprobe or an ftrace_ops callback on a function it calls
 * (the raw lock functions, the list-debug helpers, irq_work_queue()), a
 * lock, irq or preempt tracepoint, a lockdep hook, this module's own trace
 * events, or an NMI.  A probe that allocates must get a NULL, not a hang.
 *
 * @ctx[REGION_GUARD_SLOW] has one bit per context level (task, softirq,
 * hardirq, NMI, as interrupt_context_level() tells them apart, like the ring
 * buffer's trace_recursive_lock()): set while that context of this CPU runs
 * a round of the slow path, from before its lock to after its unlock,
 * irq_work and trace event.  A call that finds its own context's bit set
 * came from a probe inside that round and fails as REGION_FAIL_RECURSION at
 * once; an interrupt that nests on the same CPU has a bit of its own and
 * goes on.
 *
 * @locked counts the region->lock sections and stash sections this CPU is
 * in: 0 or 1, since no region lock is ever taken inside another and a stash
 * section takes the lock only as its own (region_stash_install()).  It also
 * covers the locked sections of process context (refill, drop, a blocking
 * caller's unreserve) and an NMI that interrupted any locked or stash
 * section: such a call fails as REGION_FAIL_RECURSION before it touches a
 * lock or a stash, instead of spinning on a lock its own CPU holds with
 * interrupts off, nesting a second region's lock inside the first, or
 * changing a stash under the code it interrupted.  It is raised after
 * interrupts are off, so a hard IRQ never sees it set by the code it
 * interrupted.
 *
 * @ctx[REGION_GUARD_EVENTS] has one bit per context level, set while that
 * context emits one of this module's trace events: a probe attached to one
 * that allocates, and fails or installs a block, emits no second event, so
 * it recurses once at most, while an IRQ's own events are not lost.
 *
 * All three are only changed on their own CPU with preemption off, by
 * contexts that nest and undo their change before they return, so a
 * read-modify-write that an interrupt splits still ends right.
 */
enum { REGION_GUARD_SLOW, REGION_GUARD_EVENTS, REGION_GUARD_NR };

struct region_guard {
	unsigned int ctx[REGION_GUARD_NR];
	unsigned int locked;
};

static DEFINE_PER_CPU(struct region_guard, region_guard);

/* This context's bit in region_guard.ctx[]; preemption off. */
static __always_inline unsigned int region_ctx_bit(void)
{
	return BIT(region_context_level());
}

/*
 * Enter the per-context section @which (REGION_GUARD_*) with preemption
 * off; false when this context of this CPU is already in it.
 */
static __always_inline bool region_ctx_enter(int which, unsigned int bit)
{
	unsigned int m = __this_cpu_read(region_guard.ctx[which]);

	if (m & bit)
		return false;
	__this_cpu_write(region_guard.ctx[which], m | bit);
	return true;
}

static __always_inline void region_ctx_exit(int which, unsigned int bit)
{
	__this_cpu_write(region_guard.ctx[which],
			 __this_cpu_read(region_guard.ctx[which]) & ~bit);
}

/*
 * Take @r->lock for region_alloc(): fails with REGION_FAIL_RECURSION when
 * this CPU is already inside a region's locked section, and in NMI with
 * REGION_FAIL_NMI_BUSY when another CPU holds the lock (no spinning in NMI:
 * the holder may need this CPU).  On success interrupts are off until
 * region_unlock().  (For sparse: a conditional acquire, as trylock is.)
 */
#define region_lock_atomic(r, flags, cause)				\
	({								\
		struct region *__r = (r);				\
									\
		__cond_lock(&__r->lock,					\
			    __region_lock_atomic(__r, flags, cause));	\
	})

/*
 * The lock itself, once this CPU's guard is up and interrupts are off: in
 * NMI only a try (REGION_FAIL_NMI_BUSY).  For region_lock_atomic() and a
 * stash section's refill.  (Sparse: the acquire is the caller's
 * __cond_lock().)
 */
static bool __region_raw_lock(struct region *r, unsigned int *cause)
{
	if (!in_nmi()) {
		raw_spin_lock(&r->lock);
		__release(&r->lock);
		return true;
	}
	if (raw_spin_trylock(&r->lock)) {
		__release(&r->lock);
		return true;
	}
	*cause = REGION_FAIL_NMI_BUSY;
	return false;
}

static bool __region_lock_atomic(struct region *r, unsigned long *flags,
				 unsigned int *cause)
{
	local_irq_save(*flags);
	if (__this_cpu_inc_return(region_guard.locked) != 1)
		*cause = REGION_FAIL_RECURSION;
	else if (__region_raw_lock(r, cause))
		return true;
	__this_cpu_dec(region_guard.locked);
	local_irq_restore(*flags);
	return false;
}

/*
 * Take @r->lock from process context (refill, drop, a blocking caller's
 * return): never inside a locked section, since none of these runs in
 * atomic context, so it just raises the guard for probes that fire inside.
 */
static void region_lock(struct region *r, unsigned long *flags)
	__acquires(&r->lock)
{
	local_irq_save(*flags);
	__this_cpu_inc(region_guard.locked);
	raw_spin_lock(&r->lock);
}

static void region_unlock(struct region *r, unsigned long flags)
	__releases(&r->lock)
{
	raw_spin_unlock(&r->lock);
	__this_cpu_dec(region_guard.locked);
	local_irq_restore(flags);
}

/*
 * Emit one of this module's trace events unless this context of this CPU is
 * already emitting one (see struct region_guard).  Costs nothing while the
 * event is off.
 */
#define region_trace(event, ...)					\
	do {								\
		unsigned int __bit;					\
									\
		if (trace_##event##_enabled()) {			\
			preempt_disable_notrace();			\
			__bit = region_ctx_bit();			\
			if (region_ctx_enter(REGION_GUARD_EVENTS, __bit)) { \
				trace_##event(__VA_ARGS__);		\
				region_ctx_exit(REGION_GUARD_EVENTS, __bit); \
			}						\
			preempt_enable_notrace();			\
		}							\
	} while (0)

static void *region_fail(struct region *r, size_t size,
			 enum region_fail_cause cause)
{
	this_cpu_inc(r->fast.pcpu->fail[cause]);
	region_trace(alloc_fail, r->name, size, region_fail_names[cause]);
	return NULL;
}

static long region_block_used(struct region_block *b)
{
	return min_t(long, atomic_long_read(&b->off), REGION_MAX_ALLOC);
}

/*
 * The current-block slot the caller works on: the shared one, or this CPU's.
 * Called with region->lock held (interrupts off, so the CPU is fixed).
 */
static struct region_block __rcu **region_slot(struct region *r)
{
	lockdep_assert_held(&r->lock);
	return r->fast.percpu ? &this_cpu_ptr(r->fast.pcpu)->cur : &r->fast.cur;
}

/* Whether the refill worker should add a spare block; under ->lock. */
static bool region_want_refill(struct region *r)
{
	lockdep_assert_held(&r->lock);
	return r->nr_spare < r->refill_target &&
	       (!r->max_blocks || r->nr_total < r->max_blocks);
}

/* The bound of the adaptive reserve: 4 MiB, and a quarter of any cap. */
static unsigned int region_refill_max(struct region *r)
{
	unsigned long max = REGION_MAX_RESERVE;

	if (r->max_blocks)
		max = min(max, r->max_blocks / 4);
	return max_t(unsigned long, max, r->reserve_target);
}

/*
 * An atomic caller found the reserve empty and lost its record: the refill
 * does not keep pace with the installs, so keep a deeper reserve.  Not when
 * a blocking caller finds it empty (it vmallocs a block itself, as the
 * reserve is for callers that cannot), and not for a region created
 * without a reserve (reserve_blocks 0), which asked for none.
 */
static void region_refill_grow(struct region *r)
{
	lockdep_assert_held(&r->lock);
	if (!r->reserve_target)
		return;
	r->refill_dry = true;
	/* Once per round: a burst of failures before the refill runs. */
	if (r->refill_grown)
		return;
	r->refill_grown = true;
	WRITE_ONCE(r->refill_target,
		   min(2 * r->refill_target, region_refill_max(r)));
}

/*
 * Blocks in use: ->nr_in_use and, in per-CPU mode, what every CPU installed
 * from its stash.  Exact in a quiet region, approximate in a busy one.
 */
static unsigned long region_blocks_in_use(struct region *r)
{
	unsigned long n = READ_ONCE(r->nr_in_use);
	int cpu;

	if (r->stash)
		for_each_possible_cpu(cpu)
			n += READ_ONCE(per_cpu_ptr(r->stash, cpu)->in_use);
	return n;
}

/*
 * After an install, locked or from a stash, once out of the section: kick
 * the reserve refill if asked, and emit block_install with the blocks in
 * use counted one way for both (the locked path once left out the stashes').
 */
static void region_install_after(struct region *r, bool kick, bool installed,
				 bool spare, unsigned long n)
{
	if (kick)
		irq_work_queue(&r->refill_iw);
	if (installed)
		region_trace(block_install, r->name, region_blocks_in_use(r),
			     spare, n);
}

/*
 * The slow path under the install lock.  Called with preemption disabled (an
 * RCU reader), so a block installed here cannot be freed by a drop before
 * this caller's region_alloc() has returned.
 *
 * Uses *@fresh (a block the caller vmalloc'ed) or a spare block.  When the
 * caller may sleep and has neither, reserves a slot against the cap and
 * returns NULL with REGION_NEED_BLOCK: the caller vmallocs outside the lock
 * and comes back.
 */
static void *region_install(struct region *r, unsigned long n,
			    struct region_block **fresh, bool can_block,
			    unsigned int *cause)
{
	struct region_block __rcu **slot;
	struct region_block *b, *nb;
	unsigned long flags, held = 0;
	bool kick = false, spare = false;
	void *p = NULL;

	if (!region_lock_atomic(r, &flags, cause))
		return NULL;

	if (READ_ONCE(r->fenced)) {
		*cause = REGION_FAIL_DROPPING;
		goto out;
	}

	/*
	 * Re-check: someone may have installed a block since our bump (in
	 * per-CPU mode: an IRQ on this CPU, or we migrated after a vmalloc).
	 */
	slot = region_slot(r);
	b = rcu_dereference_protected(*slot, lockdep_is_held(&r->lock));
	if (b) {
		if (r->fast.percpu ? region_block_bump_local(b, n, &p) :
				     region_block_bump(b, n, &p))
			goto out;
	}

	nb = *fresh;
	if (nb) {
		*fresh = NULL;
	} else {
		nb = list_first_entry_or_null(&r->spare, struct region_block,
					      node);
		if (nb) {
			list_del(&nb->node);
			WRITE_ONCE(r->nr_spare, r->nr_spare - 1);
			spare = true;
		}
	}

	if (!nb) {
		if (r->max_blocks && r->nr_total >= r->max_blocks) {
			*cause = REGION_FAIL_CAP;
		} else if (!can_block) {
			*cause = REGION_FAIL_NO_RESERVE;
			region_refill_grow(r);
		} else {
			r->nr_total++;
			*cause = REGION_NEED_BLOCK;
		}
		kick = region_want_refill(r);
		goto out;
	}

	/*
	 * Retire the full block.  It stays mapped until the next drop, which
	 * waits for RCU readers first, so stale fast-path readers are safe.
	 */
	if (b)
		list_add_tail(&b->node, &r->full);
	atomic_long_set(&nb->off, n);
	p = nb->data;
	/* Plain counters under the lock, read lock-free by region_get_stats(). */
	held = r->nr_in_use + 1;
	WRITE_ONCE(r->nr_in_use, held);
	WRITE_ONCE(r->installs, r->installs + 1);
	/* Publish: the offset store above is ordered before the pointer. */
	rcu_assign_pointer(*slot, nb);
	kick = region_want_refill(r);
out:
	region_unlock(r, flags);
	region_install_after(r, kick, held, spare, n);
	return p;
}

/* Give back a block that was vmalloc'ed but not installed. */
static void region_unreserve(struct region *r, struct region_block *b)
{
	unsigned long flags;
	bool keep = false;

	region_lock(r, &flags);
	if (b && r->nr_spare < r->refill_target) {
		/* Never handed out, still zero. */
		list_add(&b->node, &r->spare);
		WRITE_ONCE(r->nr_spare, r->nr_spare + 1);
		keep = true;
	} else {
		r->nr_total--;
	}
	region_unlock(r, flags);
	if (b && !keep)
		region_block_free(r, b);
}

/*
 * Refill this CPU's empty stash @st from the spare list: one lock round trip
 * for up to REGION_STASH_MAX installs.  In a stash section (see
 * region_stash_install()), which has raised region_guard.locked: the lock
 * is taken by the rules of region_lock_atomic() (a try in NMI), the guard
 * check already done.  Takes this CPU's share of the spare blocks (their
 * number over the online CPUs, at least one, at most REGION_STASH_MAX), so
 * that one CPU leaves spares for the others and for callers of the locked
 * path (atomic context has nothing else): a burst on every CPU before the
 * refill runs then finds as many spares in all as without stashes.  The
 * last spare is taken exactly as the locked path would take it.  Stashed blocks stay in ->nr_total
 * (the cap) and leave ->nr_spare, so the reserve refill tops the spare
 * list up behind them: a stash is on top of the reserve, bounded by
 * REGION_STASH_MAX per CPU.  Returns false with *@cause set (NMI_BUSY), or
 * left alone when there was no spare block; *@kick when the reserve wants
 * a refill.
 */
static bool region_stash_refill(struct region *r, struct region_stash *st,
				unsigned int *cause, bool *kick)
{
	struct region_block *b;
	unsigned int take, nr = 0;

	if (!__cond_lock(&r->lock, __region_raw_lock(r, cause)))
		return false;
	take = clamp_t(unsigned int, r->nr_spare / num_online_cpus(), 1,
		       REGION_STASH_MAX);
	take = min(take, r->nr_spare);
	while (nr < take) {
		b = list_first_entry(&r->spare, struct region_block, node);
		list_del(&b->node);
		st->blk[nr++] = b;
	}
	WRITE_ONCE(r->nr_spare, r->nr_spare - nr);
	WRITE_ONCE(st->nr, nr);
	*kick = region_want_refill(r);
	raw_spin_unlock(&r->lock);
	return nr;
}

/*
 * Per-CPU mode: replace this CPU's full current block with one from its
 * stash, without region->lock.  Called from the slow path (preemption off,
 * this context's REGION_GUARD_SLOW bit set) before region_install().
 * Returns the record, or NULL with *@cause: a failure, or REGION_FAIL_NR
 * when region_install() should do it under the lock (no current block:
 * the first install of a generation; no spare block to stash).
 *
 * The stash section: interrupts off and region_guard.locked raised, as in
 * a locked section.  So nothing else on this CPU touches the stash or the
 * slot meanwhile: a probe or an NMI that re-enters gets "recursion" (its
 * fast path may still bump the current block, which is fine: the new block
 * is published with its offset already set).  And, interrupts off, the
 * section is an RCU reader, which a drop's grace period waits for.
 *
 * The fence is tested inside the section, so no stash section is left
 * running that saw it down once a drop's synchronize_rcu() has returned
 * (the section then either ended before the grace period, or began after
 * the fence store and sees it): from there to the lift, the drop owns
 * every CPU's stash, retired list and counters, and collects them.
 *
 * The drop's take of the current block, before its grace period, can still
 * race with a section that saw the fence down.  This CPU's slot is written
 * only by this CPU, in a stash or locked section (never both at once), and
 * by a drop's xchg() under the lock; a stash section installs with
 * cmpxchg() from the block @b it found.  Each block has one owner:
 *  - cmpxchg() succeeds: the drop's xchg() is later or absent; @b is ours
 *    and goes to the retired list (collected after the grace period), the
 *    new block is the slot's (the drop's xchg() takes it, or a later
 *    install retires it).
 *  - cmpxchg() fails: only a drop can have changed the slot, so it took
 *    @b; the new block was never published, it stays in the stash with
 *    its offset put back to 0, untouched, and the call fails as "dropping".
 * A slot found NULL is left to region_install(), which tests the fence
 * under the lock the drop takes the slots under: cmpxchg() from NULL could
 * succeed after the drop's take and publish a block the drop never sees.
 */
static void *region_stash_install(struct region *r, unsigned long n,
				  unsigned int *cause)
{
	struct region_block *b, *nb;
	struct region_stash *st;
	struct region_pcpu *pc;
	unsigned long flags;
	bool kick = false, installed = false;
	void *p = NULL;

	local_irq_save(flags);
	if (__this_cpu_inc_return(region_guard.locked) != 1) {
		*cause = REGION_FAIL_RECURSION;
		goto out;
	}
	if (READ_ONCE(r->fenced)) {
		*cause = REGION_FAIL_DROPPING;
		goto out;
	}
	pc = this_cpu_ptr(r->fast.pcpu);
	st = this_cpu_ptr(r->stash);
	b = rcu_dereference_sched(pc->cur);
	/* Re-check: an interrupt may have installed a block before this. */
	if (!b || region_block_bump_local(b, n, &p))
		goto out;
	if (!st->nr && !region_stash_refill(r, st, cause, &kick))
		goto out;

	region_test_stash_hook(r);
	nb = st->blk[st->nr - 1];
	/* Ordered before the pointer by the fully ordered cmpxchg(). */
	local_set(&nb->loff, n);
	if (cmpxchg((struct region_block __force **)&pc->cur, b, nb) != b) {
		/* A drop took @b: @nb was never published. */
		local_set(&nb->loff, 0);
		*cause = REGION_FAIL_DROPPING;
		goto out;
	}
	WRITE_ONCE(st->nr, st->nr - 1);
	list_add_tail(&b->node, &st->retired);
	WRITE_ONCE(st->in_use, st->in_use + 1);
	WRITE_ONCE(st->installs, st->installs + 1);
	p = nb->data;
	installed = true;
out:
	__this_cpu_dec(region_guard.locked);
	local_irq_restore(flags);
	region_install_after(r, kick, installed, true, n);
	return p;
}

/**
 * __region_alloc_slow() - the slow path of region_alloc_inline()
 * @f: the region (its head, which the fast path reads)
 * @size: the caller's size, unchecked
 * @gfp: the caller's gfp
 *
 * Called when the fast path found no room (no current block, a full one) or
 * @size out of range.  Only for region_alloc_inline(); clients call that or
 * region_alloc().
 *
 * Context: as region_alloc().
 * Return: as region_alloc().
 */
void *__region_alloc_slow(struct region_fast *f, size_t size, gfp_t gfp)
{
	struct region *r = container_of(f, struct region, fast);
	bool can_block = gfpflags_allow_blocking(gfp);
	struct region_block *fresh = NULL;
	unsigned int cause, bit;
	unsigned long n;
	void *p;

	might_sleep_if(can_block);
	if (unlikely(!size || size > REGION_MAX_ALLOC))
		return region_fail(r, size, REGION_FAIL_TOO_LARGE);
	n = ALIGN(size, 8);

	/*
	 * At most two rounds: with a fresh block in hand the second round
	 * either bumps the block someone else installed or installs ours.
	 */
	for (;;) {
		cause = REGION_FAIL_NR;
		/*
		 * A preempt-disabled section is the RCU reader region_drop()
		 * waits for, as on the fast path.  Not rcu_read_lock(): with
		 * lockdep it fires the lock tracepoints, and a probe on them
		 * would re-enter here before the guard is up.
		 */
		preempt_disable_notrace();
		bit = region_ctx_bit();
		if (region_ctx_enter(REGION_GUARD_SLOW, bit)) {
			p = NULL;
			/* With a fresh block in hand, install that one. */
			if (r->stash && !fresh)
				p = region_stash_install(r, n, &cause);
			if (!p && cause == REGION_FAIL_NR)
				p = region_install(r, n, &fresh, can_block,
						   &cause);
			/* Counted in the section: a drop's snapshot has it. */
			if (p) {
				this_cpu_inc(r->fast.pcpu->allocs);
				this_cpu_add(r->fast.pcpu->bytes, n);
			}
			region_ctx_exit(REGION_GUARD_SLOW, bit);
		} else {
			/* A probe inside this context's slow path. */
			p = NULL;
			cause = REGION_FAIL_RECURSION;
		}
		preempt_enable_notrace();
		if (p || cause != REGION_NEED_BLOCK)
			break;

		/* Process context, no lock, no guard: vmalloc may sleep. */
		fresh = region_block_new(r, gfp);
		if (!fresh) {
			region_unreserve(r, NULL);
			cause = REGION_FAIL_VMALLOC;
			break;
		}
	}

	if (fresh)
		region_unreserve(r, fresh);
	if (!p)
		region_fail(r, n, cause);
	return p;
}
EXPORT_SYMBOL_NS_GPL(__region_alloc_slow, TRACEREGION);

/**
 * region_alloc() - allocate zeroed memory from a region
 * @r: the region
 * @size: bytes wanted, 1 to %REGION_MAX_ALLOC; rounded up to 8
 * @gfp: GFP_KERNEL where the caller may sleep (a new block may then be
 *	vmalloc'ed); GFP_ATOMIC or GFP_NOWAIT otherwise (only spare blocks are
 *	used when the current block is full)
 *
 * The memory stays valid until the next region_drop() or region_destroy()
 * of @r.  It cannot be freed on its own.
 *
 * Context: any context where RCU is watching (process, softirq, hardirq,
 * NMI, tracepoint probes; not noinstr or idle code), with a gfp matching
 * the context.  Lock-free unless the current block is full.
 * Return: 8-byte aligned zeroed memory, or NULL when the size is out of
 * range, the cap is reached, no spare block is left for a non-blocking
 * caller, a drop is in progress, vmalloc failed, in NMI the install lock
 * is busy on another CPU, or the call came from a probe (or NMI) inside
 * this module's slow path or locked section on this CPU ("recursion").
 * Every NULL is counted in the region's statistics.
 */
void *region_alloc(struct region *r, size_t size, gfp_t gfp)
{
	return __region_alloc_fast(r, size, gfp);
}
EXPORT_SYMBOL_NS_GPL(region_alloc, TRACEREGION);

/*
 * Reserve refill: irq_work (NMI-safe) -> work item (may sleep), on the
 * unbound workqueue (region_compat.h), so that the zeroing of new blocks can run on an idle
 * CPU rather than preempt the caller that kicked it on its own.
 */

static void region_refill_irq_work(struct irq_work *iw)
{
	struct region *r = container_of(iw, struct region, refill_iw);

	queue_work(region_unbound_wq, &r->refill_work);
}

static void region_refill_work(struct work_struct *work)
{
	struct region *r = container_of(work, struct region, refill_work);
	struct region_block *b;
	unsigned long flags;
	bool want;

	for (;;) {
		region_lock(r, &flags);
		want = !READ_ONCE(r->fenced) && region_want_refill(r);
		if (want)
			r->nr_total++;
		else if (r->nr_spare >= r->refill_target)
			r->refill_grown = false;	/* round complete */
		region_unlock(r, flags);
		if (!want)
			return;

		b = region_block_new(r, GFP_KERNEL | __GFP_NOWARN);
		region_unreserve(r, b);
		if (!b)
			return;
	}
}

static u64 region_sum_bytes(struct region *r)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(r->fast.pcpu, cpu)->bytes);
	return sum;
}

/*
 * Fence new allocations and wait until no region_alloc() can still be
 * inside a block.  Caller holds ->drop_mutex.
 */
static void region_fence(struct region *r)
{
	lockdep_assert_held(&r->drop_mutex);
	WRITE_ONCE(r->fenced, true);
	/* Pairs with the RCU read-side sections of region_alloc(). */
	synchronize_rcu();
}

/*
 * Move every current block (the shared one, or each CPU's) to @list.  With
 * the fence up and ->lock held, or on a region nobody can reach.  A CPU's
 * slot is taken with xchg(): its owner may be installing from its stash
 * right now, without the lock (see region_stash_install()).
 */
static void region_take_current(struct region *r, struct list_head *list)
{
	struct region_block *b;
	int cpu;

	b = rcu_dereference_protected(r->fast.cur, true);
	RCU_INIT_POINTER(r->fast.cur, NULL);
	if (b)
		list_add(&b->node, list);
	for_each_possible_cpu(cpu) {
		struct region_pcpu *pc = per_cpu_ptr(r->fast.pcpu, cpu);

		b = xchg((struct region_block __force **)&pc->cur, NULL);
		if (b)
			list_add(&b->node, list);
	}
}

/*
 * Collect every CPU's stash (per-CPU mode): the retired blocks onto
 * @victims, the stashed ones back onto the spare list (up to what a drop
 * keeps: twice the reserve, or the deepened reserve; the rest onto
 * @surplus, out of the cap, for the caller to free).  Returns the blocks the stashes had installed.
 * Under ->lock, with no stash section running: the fence is up and its
 * grace period over (region_stash_install()), or nobody can reach the
 * region.
 *
 * Stashed blocks are zero and were never handed out, so they need no
 * clearing, but they go back rather than stay: a CPU that stops
 * allocating would otherwise keep its stash for good, out of reach of the
 * CPUs and atomic callers that need a spare.
 */
static unsigned long region_take_stashes(struct region *r,
					 struct list_head *victims,
					 struct list_head *surplus)
{
	unsigned long in_use = 0;
	struct region_block *b;
	int cpu;

	lockdep_assert_held(&r->lock);
	if (!r->stash)
		return 0;
	for_each_possible_cpu(cpu) {
		struct region_stash *st = per_cpu_ptr(r->stash, cpu);

		list_splice_init(&st->retired, victims);
		in_use += st->in_use;
		WRITE_ONCE(st->in_use, 0);
		while (st->nr) {
			b = st->blk[st->nr - 1];
			WRITE_ONCE(st->nr, st->nr - 1);
			if (r->nr_spare < max(2 * r->reserve_target,
					      r->refill_target)) {
				list_add(&b->node, &r->spare);
				WRITE_ONCE(r->nr_spare, r->nr_spare + 1);
			} else {
				list_add(&b->node, surplus);
				r->nr_total--;
			}
		}
	}
	return in_use;
}

/*
 * The task running an on_drop callback now, if any: debugfs drops are
 * serialised by region_ondrop_mutex, so there is at most one.  A drop or a
 * destroy called from inside on_drop is refused: it would nest one
 * region's drop_mutex in another's (two regions whose on_drops drop each
 * other deadlock, and lockdep rightly calls any such nesting recursive)
 * or wait for the debugfs write that is running it.
 */
static DEFINE_MUTEX(region_ondrop_mutex);
static struct task_struct *region_ondrop_task;

static bool region_in_on_drop(void)
{
	return READ_ONCE(region_ondrop_task) == current;
}

/*
 * A drop settles the adaptive reserve: the refill target is halved (not
 * below the reserve asked for) unless a caller found the reserve empty
 * since the previous drop, so that it follows the demand of the
 * generations.  Returns how many spare blocks the region keeps: the
 * target, or twice the reserve asked for if that is more (the dropped
 * blocks a drop recycles on top of the reserve).  Caller holds
 * ->drop_mutex.
 */
static unsigned int region_settle_reserve(struct region *r)
{
	unsigned long flags;
	unsigned int keep;

	region_lock(r, &flags);
	if (!r->refill_dry)
		WRITE_ONCE(r->refill_target,
			   max(r->refill_target / 2, r->reserve_target));
	r->refill_dry = false;
	keep = max(2 * r->reserve_target, r->refill_target);
	region_unlock(r, flags);
	return keep;
}

/*
 * Free the spare blocks beyond @keep: those a deeper reserve left.  Caller
 * holds ->drop_mutex.  (A refill or a blocking caller may add a spare
 * meanwhile, up to the refill target, which is at most @keep.)
 */
static void region_trim_reserve(struct region *r, unsigned int keep)
{
	struct region_block *b;
	unsigned long flags;

	for (;;) {
		region_lock(r, &flags);
		b = NULL;
		if (r->nr_spare > keep) {
			b = list_first_entry(&r->spare, struct region_block,
					     node);
			list_del(&b->node);
			WRITE_ONCE(r->nr_spare, r->nr_spare - 1);
			r->nr_total--;
		}
		region_unlock(r, flags);
		if (!b)
			return;
		region_block_free(r, b);
	}
}

static void region_do_drop(struct region *r, bool from_debugfs)
{
	unsigned long flags, nr_blocks, nr_recycled = 0;
	struct region_block *b, *tmp;
	unsigned int nr_keep;
	LIST_HEAD(victims);
	LIST_HEAD(surplus);
	u64 live;
	bool keep;

	mutex_lock(&r->drop_mutex);
	/*
	 * Unpublish the current block(s) before the grace period: the fast
	 * path has no fence test, so from here on it finds NULL and takes
	 * the slow path, which refuses under the fence; a fast path that
	 * loaded a block before this is an RCU reader the grace period
	 * waits for.  The fence goes up first, so that no slow path installs
	 * a block in between (it tests ->fenced under the lock).
	 */
	WRITE_ONCE(r->fenced, true);
	region_lock(r, &flags);
	region_take_current(r, &victims);
	region_unlock(r, flags);
	region_fence(r);

	if (from_debugfs) {
		WRITE_ONCE(region_ondrop_task, current);
		r->on_drop(r, r->priv);
		WRITE_ONCE(region_ondrop_task, NULL);
	}

	/*
	 * Settled first, so that the stashes go back to the spare list only
	 * up to what the region keeps now.
	 */
	nr_keep = region_settle_reserve(r);
	region_lock(r, &flags);
	list_splice_init(&r->full, &victims);
	/* The grace period is over: no stash section is running. */
	nr_blocks = r->nr_in_use + region_take_stashes(r, &victims, &surplus);
	WRITE_ONCE(r->nr_in_use, 0);
	WRITE_ONCE(r->drops, r->drops + 1);
	/* Quiet: the fence is up and every allocator has returned. */
	live = region_sum_bytes(r) - r->bytes_at_drop;
	/*
	 * The sums read above are ordered before the new bytes_at_drop (a full
	 * barrier, cumulative: what those reads saw is seen first by every
	 * CPU; no smp_store_release() on a u64 on 32-bit): region_get_stats()
	 * reads bytes_at_drop, smp_rmb(), then the per-CPU bytes, so its sum is
	 * never below this one.
	 */
	smp_mb();
	WRITE_ONCE(r->bytes_at_drop, r->bytes_at_drop + live);
	region_unlock(r, flags);
	list_for_each_entry_safe(b, tmp, &surplus, node)
		region_block_free(r, b);

	/*
	 * Recycle dropped blocks, zeroed here in process context, as spares
	 * on top of the reserve (the refill worker refuses while the fence is
	 * up, but one already in vmalloc may add its block), up to what the
	 * region keeps; vfree the rest.  A region whose generation fits in
	 * the reserve then makes no vmalloc calls at all in steady state.
	 * Only the used part of a block needs zeroing.
	 */
	list_for_each_entry_safe(b, tmp, &victims, node) {
		list_del(&b->node);
		/* At most the reserve's worth, or the deepened reserve's. */
		keep = nr_recycled < max(r->reserve_target,
					 READ_ONCE(r->refill_target)) &&
		       READ_ONCE(r->nr_spare) < nr_keep;
		if (keep) {
			memset(b->data, 0, region_block_used(b));
			atomic_long_set(&b->off, 0);
		}
		region_lock(r, &flags);
		if (keep && r->nr_spare < nr_keep) {
			list_add(&b->node, &r->spare);
			WRITE_ONCE(r->nr_spare, r->nr_spare + 1);
			WRITE_ONCE(r->recycled, r->recycled + 1);
			nr_recycled++;
			b = NULL;
		} else {
			r->nr_total--;
		}
		region_unlock(r, flags);
		if (b)
			region_block_free(r, b);
	}

	region_trim_reserve(r, nr_keep);

	/* Lift the fence; later allocators find ->cur == NULL. */
	WRITE_ONCE(r->fenced, false);
	region_trace(drop, r->name, nr_blocks, nr_recycled, live, from_debugfs);
	queue_work(region_unbound_wq, &r->refill_work);
	mutex_unlock(&r->drop_mutex);
}

/**
 * region_drop() - free every allocation of a region at once
 * @r: the region
 *
 * Fences new allocations (they return NULL and count as "dropping"), waits
 * for every region_alloc() in flight, frees the blocks (keeping some as
 * zeroed spares on top of the reserve, up to twice region_params.
 * reserve_blocks or the deepened reserve in all), settles the adaptive
 * reserve (halved unless a caller found it empty since the previous drop,
 * spares beyond what is kept freed) and lifts the fence.  The region is
 * usable again when this returns.  A region_alloc() that began before the
 * fence may still succeed: its record belongs to the generation being
 * dropped, and this drop waits for that call to return before it frees the
 * block.  The owner must not touch memory from @r after this is called;
 * region_params.on_drop is not called, it is only for drops requested
 * through debugfs.
 *
 * Context: process context, may sleep.  Not from inside an on_drop
 * callback (of any region): that is refused.
 * Return: 0, -EDEADLK when called from an on_drop callback, or -EINVAL
 * for a region of a generation set, which only region_gen_advance()
 * drops (nothing is dropped).
 */
int region_drop(struct region *r)
{
	might_sleep();
	if (region_in_on_drop()) {
		pr_err("%s('%s') from an on_drop callback refused\n",
		       __func__, r->name);
		return -EDEADLK;
	}
	if (r->gslot) {
		pr_err("%s('%s'): a generation set's region, refused\n",
		       __func__, r->name);
		return -EINVAL;
	}
	region_do_drop(r, false);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(region_drop, TRACEREGION);

/**
 * region_get_stats() - read a region's counters
 * @r: the region
 * @st: filled with a snapshot
 *
 * Lock-free: the counters are read without stopping allocators or drops,
 * so a busy region gives a snapshot that is only approximately consistent
 * (each figure is one that was true at some moment of the call, and
 * @bytes_live never exceeds @bytes_alloc); a quiet one gives exact figures.
 *
 * Context: any, NMI included.
 */
void region_get_stats(struct region *r, struct region_stats *st)
{
	struct region_block *b;
	u64 capacity, at_drop;
	int cpu, i;

	memset(st, 0, sizeof(*st));
	/*
	 * bytes_at_drop first: the per-CPU byte counters only grow, so their
	 * sum read afterwards is at least the sum that drop stored.  (Not
	 * smp_load_acquire(): the u64 is not a native word on 32-bit, where
	 * every u64 figure here may be read torn and is approximate while the
	 * region is busy.)
	 */
	at_drop = READ_ONCE(r->bytes_at_drop);
	/* Pairs with the smp_mb() in region_do_drop(). */
	smp_rmb();
	region_test_stats_hook(r);
	for_each_possible_cpu(cpu) {
		struct region_pcpu *pc = per_cpu_ptr(r->fast.pcpu, cpu);

		st->allocs += READ_ONCE(pc->allocs);
		st->bytes_alloc += READ_ONCE(pc->bytes);
		for (i = 0; i < REGION_FAIL_NR; i++)
			st->fail[i] += READ_ONCE(pc->fail[i]);
	}
	for (i = 0; i < REGION_FAIL_NR; i++)
		st->failures += st->fail[i];
	/* min(): belt and braces, a wrapped figure is worse than a stale one. */
	st->bytes_live = st->bytes_alloc - min(at_drop, st->bytes_alloc);

	/*
	 * Blocks in use before the current blocks: an install in between then
	 * shows as less waste (clamped at 0 below), not as a block of false
	 * waste.
	 */
	st->blocks_held = region_blocks_in_use(r);
	/*
	 * A drop frees current blocks only after a grace period, which waits
	 * for this preempt-disabled section (not rcu_read_lock(), whose
	 * lockdep hook a probe could be attached to, as in the slow path).
	 */
	preempt_disable_notrace();
	b = rcu_dereference_sched(r->fast.cur);
	if (b)
		st->bytes_free = REGION_MAX_ALLOC - region_block_used(b);
	for_each_possible_cpu(cpu) {
		b = rcu_dereference_sched(per_cpu_ptr(r->fast.pcpu, cpu)->cur);
		if (b)
			st->bytes_free += REGION_MAX_ALLOC - region_block_used(b);
	}
	preempt_enable_notrace();
	st->reserve_blocks = READ_ONCE(r->nr_spare);
	st->block_installs = READ_ONCE(r->installs);
	if (r->stash) {
		for_each_possible_cpu(cpu) {
			struct region_stash *rs = per_cpu_ptr(r->stash, cpu);

			st->reserve_blocks += READ_ONCE(rs->nr);
			st->block_installs += READ_ONCE(rs->installs);
		}
	}
	st->recycled = READ_ONCE(r->recycled);
	st->drops = READ_ONCE(r->drops);

	st->vmalloc_calls = atomic_long_read(&r->vmallocs);
	st->vfree_calls = atomic_long_read(&r->vfrees);
	st->vmalloc_fails = atomic_long_read(&r->vmalloc_fails);
	st->bytes_held = st->blocks_held * REGION_BLOCK_SIZE;
	capacity = st->blocks_held * REGION_MAX_ALLOC;
	if (capacity > st->bytes_live + st->bytes_free)
		st->bytes_wasted = capacity - st->bytes_live - st->bytes_free;
}
EXPORT_SYMBOL_NS_GPL(region_get_stats, TRACEREGION);

/* debugfs */

static void region_stats_show_one(struct seq_file *m, struct region *r)
{
	struct region_stats st;
	int i;

	region_get_stats(r, &st);
	seq_printf(m, "name: %s\n", r->name);
	seq_printf(m, "allocs: %llu\n", st.allocs);
	seq_printf(m, "bytes_alloc: %llu\n", st.bytes_alloc);
	seq_printf(m, "bytes_live: %llu\n", st.bytes_live);
	seq_printf(m, "bytes_held: %llu\n", st.bytes_held);
	seq_printf(m, "bytes_free: %llu\n", st.bytes_free);
	seq_printf(m, "bytes_wasted: %llu\n", st.bytes_wasted);
	seq_printf(m, "blocks_held: %llu\n", st.blocks_held);
	seq_printf(m, "reserve_blocks: %llu\n", st.reserve_blocks);
	seq_printf(m, "block_installs: %llu\n", st.block_installs);
	seq_printf(m, "vmalloc_calls: %llu\n", st.vmalloc_calls);
	seq_printf(m, "vfree_calls: %llu\n", st.vfree_calls);
	seq_printf(m, "vmalloc_fails: %llu\n", st.vmalloc_fails);
	seq_printf(m, "recycled: %llu\n", st.recycled);
	seq_printf(m, "failures: %llu\n", st.failures);
	for (i = 0; i < REGION_FAIL_NR; i++)
		seq_printf(m, "fail_%s: %llu\n", region_fail_names[i],
			   st.fail[i]);
	seq_printf(m, "drops: %llu\n", st.drops);
	seq_printf(m, "block_size: %u\n", REGION_BLOCK_SIZE);
	seq_printf(m, "max_bytes: %llu\n",
		   (u64)r->max_blocks * REGION_BLOCK_SIZE);
	seq_printf(m, "reserve_target: %u\n", r->reserve_target);
	seq_printf(m, "refill_target: %u\n", READ_ONCE(r->refill_target));
	seq_printf(m, "on_drop: %s\n", r->on_drop ? "yes" : "no");
	seq_printf(m, "orphan: %s\n", READ_ONCE(r->orphan) ? "yes" : "no");
	seq_printf(m, "mode: %s\n", r->fast.percpu ? "percpu" : "shared");
	if (r->gslot) {
		unsigned long gen = region_gen_current(r->gslot->g);

		seq_printf(m, "gen_set: %s\n", r->gslot->g->prefix);
		seq_printf(m, "gen_current: %lu\n", gen);
		seq_printf(m, "gen_slot: %u (%s)\n", r->gslot->idx,
			   gen % REGION_GEN_SLOTS == r->gslot->idx ?
			   "current" : "previous");
	}
}

static int region_stats_show(struct seq_file *m, void *v)
{
	region_stats_show_one(m, m->private);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(region_stats);

#define REGION_ROW_FMT "%-31s %12llu %12llu %12llu %8llu %8llu %10llu %10llu %8llu\n"

static int region_all_stats_show(struct seq_file *m, void *v)
{
	struct region_stats st, tot = { };
	struct region *r;
	u64 n = 0;

	seq_printf(m, "%-31s %12s %12s %12s %8s %8s %10s %10s %8s\n",
		   "name", "allocs", "bytes_live", "bytes_held", "blocks",
		   "reserve", "installs", "failures", "drops");
	mutex_lock(&region_mutex);
	list_for_each_entry(r, &region_list, link) {
		region_get_stats(r, &st);
		seq_printf(m, REGION_ROW_FMT, r->name, st.allocs,
			   st.bytes_live, st.bytes_held, st.blocks_held,
			   st.reserve_blocks, st.block_installs, st.failures,
			   st.drops);
		tot.allocs += st.allocs;
		tot.bytes_live += st.bytes_live;
		tot.bytes_held += st.bytes_held;
		tot.blocks_held += st.blocks_held;
		tot.reserve_blocks += st.reserve_blocks;
		tot.block_installs += st.block_installs;
		tot.failures += st.failures;
		tot.drops += st.drops;
		n++;
	}
	mutex_unlock(&region_mutex);
	seq_printf(m, REGION_ROW_FMT, "total", tot.allocs, tot.bytes_live,
		   tot.bytes_held, tot.blocks_held, tot.reserve_blocks,
		   tot.block_installs, tot.failures, tot.drops);
	seq_printf(m, "regions: %llu\n", n);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(region_all_stats);

/*
 * A drop requested through debugfs.  @r stays valid: region_destroy()
 * removes this file, which waits for the write, before it frees @r.
 *
 * A region without on_drop could still have users holding pointers, one
 * whose owner is unloading may have freed what on_drop uses, and one whose
 * owner went away without region_destroy() is an orphan
 * (region_module_notify()) whose on_drop points into freed code: all three
 * refuse.  No reference on the owner module is taken, so a drop never
 * makes the owner's rmmod fail: an owner that destroys its regions in its
 * exit waits for a drop in progress there (the debugfs removal above); one
 * that leaks them is waited for by region_module_notify(), which runs
 * before the module's memory is freed.
 */
static int region_debugfs_drop(struct region *r)
{
	int ret = 0;

	if (!r->on_drop)
		return -EPERM;
	/*
	 * region_module_notify() sets ->orphan and then takes this mutex, so
	 * on_drop either runs before the notifier returns or not at all.  And
	 * from the moment rmmod marks the owner GOING, before its exit runs
	 * and may free what on_drop uses, no new on_drop starts.  The owner's
	 * struct module stays valid while this mutex is held: the notifier,
	 * which runs before the module is freed, waits for it.
	 */
	mutex_lock(&region_ondrop_mutex);
	if (READ_ONCE(r->orphan) || (r->owner && !module_is_live(r->owner)))
		ret = -EPERM;
	else
		region_do_drop(r, true);
	mutex_unlock(&region_ondrop_mutex);
	return ret;
}

static ssize_t region_drop_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct region *r = file->private_data;
	unsigned int val;
	int ret;

	if (kstrtouint_from_user(ubuf, count, 0, &val) || val != 1)
		return -EINVAL;
	ret = region_debugfs_drop(r);
	return ret ? ret : count;
}

static const struct file_operations region_drop_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= region_drop_write,
	.llseek	= noop_llseek,
};

/* debugfs errors are ignored: the allocator works without it. */
static void region_debugfs_add(struct region *r)
{
	r->dir = debugfs_create_dir(r->name, region_debugfs_root);
	debugfs_create_file("stats", 0400, r->dir, r, &region_stats_fops);
	debugfs_create_file("drop", 0200, r->dir, r, &region_drop_fops);
}

/* Lifetime */

static bool region_name_valid(const char *name)
{
	size_t i, len;

	if (!name)
		return false;
	len = strnlen(name, REGION_NAME_MAX + 1);
	if (!len || len > REGION_NAME_MAX)
		return false;
	/* "stats" is the name of the all-regions file in the same directory. */
	if (!strcmp(name, "stats"))
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!(islower(c) || isdigit(c) || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static struct region *region_find(const char *name)
{
	struct region *r;

	lockdep_assert_held(&region_mutex);
	list_for_each_entry(r, &region_list, link)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}

/* Free every block of a region nobody can reach any more. */
static void region_free_all(struct region *r)
{
	struct region_block *b, *tmp;
	unsigned long flags;
	LIST_HEAD(surplus);

	/* The lock for its lockdep assertion only: nobody else takes it. */
	region_lock(r, &flags);
	region_take_current(r, &r->full);
	region_take_stashes(r, &r->full, &surplus);
	region_unlock(r, flags);
	list_splice_init(&surplus, &r->full);
	list_for_each_entry_safe(b, tmp, &r->full, node)
		region_block_free(r, b);
	list_for_each_entry_safe(b, tmp, &r->spare, node)
		region_block_free(r, b);
	if (r->gslot)
		region_gen_put(r->gslot->g);
	free_percpu(r->stash);
	free_percpu(r->fast.pcpu);
	kfree(r);
}

static struct region *region_create_in(const char *name,
				       const struct region_params *p,
				       struct module *owner,
				       struct region_gen_slot *gs)
{
	struct region_params defaults = {
		.reserve_blocks = default_reserve,
	};
	struct region_block *b;
	unsigned long cap;
	struct region *r;
	unsigned int i;
	int cpu;

	might_sleep();
	if (!p)
		p = &defaults;
	if (!region_name_valid(name) || p->reserve_blocks > REGION_MAX_RESERVE ||
	    (p->flags & ~REGION_F_ALL))
		return ERR_PTR(-EINVAL);
	/* A cap must leave room for the reserve plus one block in use. */
	cap = p->max_bytes ? p->max_bytes / REGION_BLOCK_SIZE : max_blocks;
	if ((p->max_bytes || cap) && cap < p->reserve_blocks + 1)
		return ERR_PTR(-EINVAL);

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	r->fast.pcpu = alloc_percpu(struct region_pcpu);
	if (p->flags & REGION_F_PERCPU)
		r->stash = alloc_percpu(struct region_stash);
	if (!r->fast.pcpu || ((p->flags & REGION_F_PERCPU) && !r->stash)) {
		free_percpu(r->stash);
		free_percpu(r->fast.pcpu);
		kfree(r);
		return ERR_PTR(-ENOMEM);
	}
	if (r->stash)
		for_each_possible_cpu(cpu)
			INIT_LIST_HEAD(&per_cpu_ptr(r->stash, cpu)->retired);
	strscpy(r->name, name, sizeof(r->name));
	raw_spin_lock_init(&r->lock);
	INIT_LIST_HEAD(&r->full);
	INIT_LIST_HEAD(&r->spare);
	INIT_LIST_HEAD(&r->link);
	mutex_init(&r->drop_mutex);
	init_irq_work(&r->refill_iw, region_refill_irq_work);
	INIT_WORK(&r->refill_work, region_refill_work);
	atomic_long_set(&r->vmallocs, 0);
	atomic_long_set(&r->vfrees, 0);
	atomic_long_set(&r->vmalloc_fails, 0);
	r->max_blocks = cap;
	r->reserve_target = p->reserve_blocks;
	r->refill_target = p->reserve_blocks;
	r->fast.percpu = p->flags & REGION_F_PERCPU;
	r->on_drop = p->on_drop;
	r->priv = p->priv;
	r->owner = owner;
	r->gslot = gs;
	if (gs)
		refcount_inc(&gs->g->refs);

	/* Nobody else sees @r yet: no lock needed to fill the reserve. */
	for (i = 0; i < r->reserve_target; i++) {
		b = region_block_new(r, GFP_KERNEL);
		if (!b) {
			region_free_all(r);
			return ERR_PTR(-ENOMEM);
		}
		list_add(&b->node, &r->spare);
		r->nr_spare++;
		r->nr_total++;
	}

	mutex_lock(&region_mutex);
	if (region_find(name)) {
		mutex_unlock(&region_mutex);
		region_free_all(r);
		return ERR_PTR(-EEXIST);
	}
	list_add_tail(&r->link, &region_list);
	/* A set's regions get their files once both exist. */
	if (!gs)
		region_debugfs_add(r);
	mutex_unlock(&region_mutex);
	return r;
}

/**
 * __region_create() - create a named region; callers use region_create()
 * @name: 1 to %REGION_NAME_MAX characters of ``[a-z0-9_-]``, not "stats";
 *	it names the region's debugfs directory
 * @p: parameters, or NULL for the defaults: no cap unless the module
 *	parameter ``max_blocks`` sets one, ``default_reserve`` spare blocks
 *	and no on_drop
 * @owner: the module that owns the region (THIS_MODULE of the caller)
 *
 * The reserve is filled before this returns, so non-blocking callers can
 * allocate at once.
 *
 * Context: process context, may sleep.
 * Return: the region, or ERR_PTR(-EINVAL) for a bad name or bad params,
 * ERR_PTR(-EEXIST) when the name is taken, ERR_PTR(-ENOMEM).
 */
struct region *__region_create(const char *name, const struct region_params *p,
			       struct module *owner)
{
	return region_create_in(name, p, owner, NULL);
}
EXPORT_SYMBOL_NS_GPL(__region_create, TRACEREGION);

/* region_destroy() of any region, a generation set's included. */
static void region_destroy_one(struct region *r)
{
	might_sleep();
	if (region_in_on_drop()) {
		pr_err("region_destroy('%s') from an on_drop callback refused, region kept as an orphan\n",
		       r->name);
		mutex_lock(&region_mutex);
		WRITE_ONCE(r->orphan, true);
		mutex_unlock(&region_mutex);
		return;
	}

	/*
	 * The debugfs files go first (waiting for a debugfs drop in
	 * progress), the name after them: a region_create() of the same name
	 * fails with -EEXIST until the old directory is gone, and then gets
	 * files of its own.
	 */
	debugfs_remove_recursive(r->dir);
	mutex_lock(&region_mutex);
	list_del_init(&r->link);
	mutex_unlock(&region_mutex);
	region_test_name_released(r);

	/*
	 * The caller has stopped every region_alloc() on @r; the fence and its
	 * grace period are for the reserve refill, which checks the fence.
	 */
	mutex_lock(&r->drop_mutex);
	region_fence(r);
	/* No allocator can queue the irq_work now; flush what is queued. */
	irq_work_sync(&r->refill_iw);
	cancel_work_sync(&r->refill_work);
	mutex_unlock(&r->drop_mutex);

	region_free_all(r);
}

/**
 * region_destroy() - free a region and all its memory
 * @r: the region; NULL or an ERR_PTR is ignored
 *
 * The caller must have stopped every user of @r first: no region_alloc(),
 * region_drop() or region_get_stats() call on @r may be in flight or start
 * once this is called (unregister probes and wait for them, e.g. with
 * tracepoint_synchronize_unregister(), stop timers and threads), as with
 * gen_pool_destroy().  Removes the debugfs files (waiting for a debugfs
 * drop in progress), then releases the name, waits for the reserve refill
 * and frees every block.
 *
 * Context: process context, may sleep.  Not from inside an on_drop
 * callback: that is refused with an error message, and @r is kept as an
 * orphan (debugfs drops refused, since its owner believes it gone and may
 * free what its on_drop uses; freed when traceregion unloads).  A region of
 * a generation set is refused with an error message: region_gen_destroy()
 * destroys it.
 */
void region_destroy(struct region *r)
{
	if (IS_ERR_OR_NULL(r))
		return;
	if (r->gslot) {
		pr_err("%s('%s'): a generation set's region, refused\n",
		       __func__, r->name);
		return;
	}
	region_destroy_one(r);
}
EXPORT_SYMBOL_NS_GPL(region_destroy, TRACEREGION);

/* Generation sets */

/*
 * A debugfs drop of one of a set's regions: the fence is up and every
 * allocator has returned.  The owner forgets its pointers into the slot;
 * read sections that loaded one before may still be using it, so wait for
 * them (they are RCU readers) before the blocks are freed.
 */
static void region_gen_on_drop(struct region *r, void *priv)
{
	struct region_gen_slot *gs = priv;

	gs->g->on_drop(gs->g, gs->idx, gs->g->priv);
	synchronize_rcu();
}

/**
 * __region_gen_create() - create a generation set; callers use
 *	region_gen_create()
 * @prefix: 1 to %REGION_GEN_PREFIX_MAX characters of ``[a-z0-9_-]``; the
 *	set's regions are "<prefix>-0" and "<prefix>-1"
 * @p: parameters, or NULL for the defaults of region_create() and no
 *	callbacks
 * @owner: the module that owns the set (THIS_MODULE of the caller)
 *
 * A set is %REGION_GEN_SLOTS regions with the same parameters, used in
 * turn: generation n allocates in slot n % %REGION_GEN_SLOTS.  Generation
 * 0 is current when this returns.  Both regions show in debugfs like any
 * other, with the set's generation in their stats, and are owned by
 * @owner as region_create() regions are.
 *
 * Context: process context, may sleep.  Not from inside a callback (a
 * set's flush or on_drop, a region's on_drop): refused.
 * Return: the set, or ERR_PTR(-EINVAL) for a bad prefix or params (a
 * region on_drop or priv set), ERR_PTR(-EEXIST) when a region name is
 * taken, ERR_PTR(-ENOMEM), ERR_PTR(-EDEADLK) from inside a callback.
 */
struct region_gen *__region_gen_create(const char *prefix,
				       const struct region_gen_params *p,
				       struct module *owner)
{
	const struct region_gen_params defaults = {
		.region.reserve_blocks = default_reserve,
	};
	char name[REGION_NAME_MAX + 1];
	struct region_params rp;
	struct region_gen *g;
	struct region *r;
	unsigned int i;
	size_t len;

	might_sleep();
	/* Its error path destroys regions, which a callback may not do. */
	if (region_in_on_drop())
		return ERR_PTR(-EDEADLK);
	if (!p)
		p = &defaults;
	len = prefix ? strnlen(prefix, REGION_GEN_PREFIX_MAX + 1) : 0;
	if (!len || len > REGION_GEN_PREFIX_MAX || p->region.on_drop ||
	    p->region.priv)
		return ERR_PTR(-EINVAL);

	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return ERR_PTR(-ENOMEM);
	mutex_init(&g->advance_mutex);
	g->flush = p->flush;
	g->on_drop = p->on_drop;
	g->priv = p->priv;
	refcount_set(&g->refs, 1);
	strscpy(g->prefix, prefix, sizeof(g->prefix));

	rp = p->region;
	if (p->on_drop)
		rp.on_drop = region_gen_on_drop;
	for (i = 0; i < REGION_GEN_SLOTS; i++) {
		g->slot[i].g = g;
		g->slot[i].idx = i;
		rp.priv = &g->slot[i];
		snprintf(name, sizeof(name), "%s-%u", prefix, i);
		r = region_create_in(name, &rp, owner, &g->slot[i]);
		if (IS_ERR(r)) {
			while (i--)
				region_destroy_one(g->slot[i].r);
			region_gen_put(g);
			return ERR_CAST(r);
		}
		g->slot[i].r = r;
	}
	/*
	 * Only now the debugfs files: no debugfs drop, and so no on_drop, of
	 * either region can come before both exist (and the error path above
	 * has no debugfs write to wait for).
	 */
	mutex_lock(&region_mutex);
	for (i = 0; i < REGION_GEN_SLOTS; i++)
		region_debugfs_add(g->slot[i].r);
	mutex_unlock(&region_mutex);
	region_gen_put(g);
	return g;
}
EXPORT_SYMBOL_NS_GPL(__region_gen_create, TRACEREGION);

/**
 * region_gen_destroy() - destroy a generation set and its regions
 * @g: the set; NULL or an ERR_PTR is ignored
 *
 * As region_destroy() for each region of the set: the caller has stopped
 * every read section, allocation and region_gen_advance() on @g first.
 *
 * Context: process context, may sleep.  Not from inside a callback: that
 * is refused as region_destroy() refuses it (the regions are kept as
 * orphans).
 */
void region_gen_destroy(struct region_gen *g)
{
	unsigned int i;

	if (IS_ERR_OR_NULL(g))
		return;
	/* Hold the set: the last region_destroy() would free it. */
	refcount_inc(&g->refs);
	for (i = 0; i < REGION_GEN_SLOTS; i++)
		region_destroy_one(g->slot[i].r);
	region_gen_put(g);
}
EXPORT_SYMBOL_NS_GPL(region_gen_destroy, TRACEREGION);

/**
 * region_gen_read_lock() - enter a read section of a generation set
 * @g: the set
 *
 * Everything a client does with the current generation happens inside a
 * read section: region_gen_alloc() with the slot returned here, and every
 * use of what it holds in that slot.  region_gen_advance() waits for the
 * read sections that may be in the generation it ends before it calls
 * flush and drops the slot.  Read sections do not sleep (preemption is
 * off), may nest and may be entered from any context.
 *
 * Context: any, NMI included (where RCU is watching).
 * Return: the slot of the current generation, below %REGION_GEN_SLOTS.
 */
unsigned int region_gen_read_lock(struct region_gen *g)
{
	/* An RCU reader, as region_alloc()'s fast path (see there). */
	preempt_disable_notrace();
	return READ_ONCE(g->gen) % REGION_GEN_SLOTS;
}
EXPORT_SYMBOL_NS_GPL(region_gen_read_lock, TRACEREGION);

/**
 * region_gen_read_unlock() - leave a read section of a generation set
 * @g: the set
 *
 * Context: the context that called region_gen_read_lock().
 */
void region_gen_read_unlock(struct region_gen *g)
{
	preempt_enable_notrace();
}
EXPORT_SYMBOL_NS_GPL(region_gen_read_unlock, TRACEREGION);

/**
 * region_gen_alloc() - allocate zeroed memory in a generation
 * @g: the set
 * @slot: what region_gen_read_lock() returned for this read section
 * @size: as for region_alloc()
 * @gfp: as for region_alloc(); its blocking bit is ignored (a read section
 *	cannot sleep), so only spare blocks are used when a block is full
 *
 * The memory stays valid until the flush of its generation returns, or a
 * debugfs drop of its slot calls on_drop.
 *
 * Context: inside a read section of @g.
 * Return: as region_alloc(); NULL (and a warning) for a @slot out of range.
 */
void *region_gen_alloc(struct region_gen *g, unsigned int slot, size_t size,
		       gfp_t gfp)
{
	if (WARN_ON_ONCE(slot >= REGION_GEN_SLOTS))
		return NULL;
	/* A read section has preemption off: never sleep in vmalloc(). */
	return region_alloc(g->slot[slot].r, size,
			    gfp & ~__GFP_DIRECT_RECLAIM);
}
EXPORT_SYMBOL_NS_GPL(region_gen_alloc, TRACEREGION);

/**
 * region_gen_advance() - end the current generation and start the next
 * @g: the set
 *
 * In order: makes generation n + 1 current (its slot was emptied by the
 * previous advance); waits until no read section can still be in
 * generation n; calls flush for it; drops its region (see region_drop():
 * blocks recycled up to the reserve), so that its slot is empty for
 * generation n + 2.  Advances of one set are serialised.  While one
 * runs, debugfs drops of every region wait (it holds the mutex that
 * serialises every callback, for two grace periods and the flush).
 *
 * Context: process context, may sleep.  Not from inside flush or any
 * on_drop callback: that is refused.
 * Return: 0, or -EDEADLK when called from a callback (nothing is done).
 */
int region_gen_advance(struct region_gen *g)
{
	unsigned long gen;
	unsigned int old;

	might_sleep();
	if (region_in_on_drop()) {
		pr_err("%s('%s') from a callback refused\n", __func__,
		       g->prefix);
		return -EDEADLK;
	}
	mutex_lock(&g->advance_mutex);
	/*
	 * Held from the bump to the drop, in the documented order (before any
	 * drop_mutex): no debugfs drop, and so no on_drop, can come between
	 * the end of a generation and its flush, so flush sees it whole and
	 * on_drop never sees an ended generation that still holds anything.
	 * flush runs under it by the rules of on_drop: never at the same time
	 * as another callback, and a drop, destroy or advance from inside it
	 * is refused.
	 */
	mutex_lock(&region_ondrop_mutex);
	gen = g->gen;
	old = gen % REGION_GEN_SLOTS;
	WRITE_ONCE(g->gen, gen + 1);
	/* Read sections are RCU readers: none is left in @old after this. */
	synchronize_rcu();
	if (g->flush) {
		WRITE_ONCE(region_ondrop_task, current);
		g->flush(g, old, gen, g->priv);
		WRITE_ONCE(region_ondrop_task, NULL);
	}
	region_do_drop(g->slot[old].r, false);
	mutex_unlock(&region_ondrop_mutex);
	mutex_unlock(&g->advance_mutex);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(region_gen_advance, TRACEREGION);

/**
 * region_gen_current() - number of the generation in progress
 * @g: the set
 *
 * Context: any.
 * Return: the number of advances since the set was created.
 */
unsigned long region_gen_current(struct region_gen *g)
{
	return READ_ONCE(g->gen);
}
EXPORT_SYMBOL_NS_GPL(region_gen_current, TRACEREGION);

/**
 * region_gen_region() - the region behind one slot of a set
 * @g: the set
 * @slot: below %REGION_GEN_SLOTS
 *
 * For region_get_stats(); the region belongs to the set and is dropped and
 * destroyed by it only.
 *
 * Context: any.
 * Return: the region, or NULL (and a warning) for a @slot out of range.
 */
struct region *region_gen_region(struct region_gen *g, unsigned int slot)
{
	if (WARN_ON_ONCE(slot >= REGION_GEN_SLOTS))
		return NULL;
	return g->slot[slot].r;
}
EXPORT_SYMBOL_NS_GPL(region_gen_region, TRACEREGION);

/*
 * An owner module going away (unloaded, or its init failed) without
 * region_destroy() leaves its regions behind, with on_drop pointing into
 * code about to be freed.  Orphan them: debugfs drops are refused from now
 * on; the blocks stay (someone may still hold pointers) and so does the
 * name, until traceregion itself unloads.  Taking region_ondrop_mutex
 * afterwards waits for a debugfs drop that is running on_drop right now.
 * ->owner is left as it is (region_debugfs_drop() reads it), and an orphan
 * is skipped: a later module at the same address is not its owner.
 */
static int region_module_notify(struct notifier_block *nb,
				unsigned long action, void *data)
{
	struct module *mod = data;
	struct region *r;
	bool any = false;

	if (action != MODULE_STATE_GOING)
		return NOTIFY_DONE;
	mutex_lock(&region_mutex);
	list_for_each_entry(r, &region_list, link) {
		if (r->owner != mod || r->orphan)
			continue;
		pr_warn("region '%s' left behind by module %s: orphaned, debugfs drops refused\n",
			r->name, module_name(mod));
		WRITE_ONCE(r->orphan, true);
		any = true;
	}
	mutex_unlock(&region_mutex);
	if (any) {
		mutex_lock(&region_ondrop_mutex);
		mutex_unlock(&region_ondrop_mutex);
	}
	return NOTIFY_OK;
}

static struct notifier_block region_module_nb = {
	.notifier_call = region_module_notify,
};

static int __init traceregion_init(void)
{
	int ret;

	if (default_reserve > REGION_MAX_RESERVE) {
		pr_err("default_reserve=%u: must be at most %u\n",
		       default_reserve, REGION_MAX_RESERVE);
		return -EINVAL;
	}
	if (max_blocks && (max_blocks <= default_reserve ||
			   max_blocks > REGION_MAX_BLOCKS_PARAM)) {
		pr_err("max_blocks=%lu: must be 0 or %u to %lu\n", max_blocks,
		       default_reserve + 1, REGION_MAX_BLOCKS_PARAM);
		return -EINVAL;
	}
	ret = register_module_notifier(&region_module_nb);
	if (ret)
		return ret;
	region_debugfs_root = debugfs_create_dir("traceregion", NULL);
	debugfs_create_file("stats", 0400, region_debugfs_root, NULL,
			    &region_all_stats_fops);
	region_fault_dir = region_fault_debugfs();
	return 0;
}

static void __exit traceregion_exit(void)
{
	struct region *r;

	unregister_module_notifier(&region_module_nb);
	/*
	 * A client module holds a reference on us while it is loaded, so a
	 * region left here was leaked by a client that is gone: free it.
	 */
	for (;;) {
		mutex_lock(&region_mutex);
		r = list_first_entry_or_null(&region_list, struct region, link);
		mutex_unlock(&region_mutex);
		if (!r)
			break;
		pr_warn_once("region '%s' still exists at unload, freeing it\n",
			     r->name);
		region_destroy_one(r);
	}
	debugfs_remove_recursive(region_debugfs_root);
	debugfs_remove_recursive(region_fault_dir);
}

module_init(traceregion_init);
module_exit(traceregion_exit);

MODULE_DESCRIPTION("Bump-pointer region allocator for tracing code");
MODULE_AUTHOR("traceregion developers");
MODULE_LICENSE("GPL");

#ifdef TRACEREGION_KUNIT
/* TR_KUNIT=y: the KUnit suite, which needs the internals above. */
#include "kunit/region_alloc_test.c"
#endif
