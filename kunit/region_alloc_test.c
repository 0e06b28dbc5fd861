// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "traceregion": the allocator's inside.
 *
 * Not compiled on its own: region_alloc.c includes this file at its end when
 * built with TR_KUNIT=y (which defines TRACEREGION_KUNIT) against a kernel
 * with CONFIG_KUNIT, as fs/ext4/mballoc.c includes its tests.  So the cases
 * see the static functions and struct region.  Loading that test build of
 * traceregion.ko runs the suite (KUnit runs a module's suites before its
 * init function); the KTAP stays in /sys/kernel/debug/kunit/traceregion/
 * results until the module is unloaded.  tools/run-kunit does all that.
 *
 * The seams in region_alloc.c act on the region named in region_test_target:
 *  - region_test_block_new(), called first in region_block_new(): a hook,
 *    run in the allocating task, that can stage a race (another installer,
 *    a drop) exactly while the slow path is between its two rounds, or
 *    delay or fail a block allocation; and a fault point built on
 *    should_fail() (region_test_fail_attr, with CONFIG_FAULT_INJECTION)
 *    that fails block allocations like fail_page_alloc would, but only for
 *    that region;
 *  - region_test_stats_hook(), inside region_get_stats() right after its
 *    load of bytes_at_drop: a hook can allocate and drop in that window;
 *  - region_test_name_released(), inside region_destroy() right after the
 *    region left region_list: a hook can reuse the name;
 *  - region_test_stash_hook(), inside a stash section (per-CPU mode,
 *    interrupts off, no lock held) right before its cmpxchg() installs the
 *    next stashed block: a hook can wait there for a drop on another CPU
 *    to take the current block.
 *
 * Cases that need concurrency use kthreads; the NMI cases raise a real NMI
 * on the current CPU with a self-IPI and allocate from an NMI handler.
 * region_destroy() does not wait for users, so rt_exit() stops a case's
 * workers before it destroys the case's regions.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/fault-inject.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/tracepoint.h>

#include "selftests/traceregion/tr_kcompat.h"

#ifdef CONFIG_X86_LOCAL_APIC
#include <asm/apic.h>
#include <asm/nmi.h>
#endif

/* The seam: which region, the hook, the fault point. */

static char region_test_target[REGION_NAME_MAX + 1];
static bool (*region_test_hook)(struct region *r);
static void (*region_test_stats_fn)(struct region *r);
static void (*region_test_name_fn)(struct region *r);
static void (*region_test_stash_fn)(struct region *r);

#ifdef CONFIG_FAULT_INJECTION
static struct fault_attr region_test_fail_attr = FAULT_ATTR_INITIALIZER;
#endif

static bool region_test_block_new(struct region *r)
{
	bool (*hook)(struct region *r) = READ_ONCE(region_test_hook);

	if (!region_test_target[0] || strcmp(r->name, region_test_target))
		return false;
	if (hook && hook(r))
		return true;
#ifdef CONFIG_FAULT_INJECTION
	return should_fail(&region_test_fail_attr, REGION_BLOCK_SIZE);
#else
	return false;
#endif
}

static bool region_test_is_target(struct region *r)
{
	return region_test_target[0] && !strcmp(r->name, region_test_target);
}

/*
 * region_get_stats() calls this between its load of bytes_at_drop and its
 * sums of the per-CPU counters: a hook can allocate and drop right there.
 */
static void region_test_stats_hook(struct region *r)
{
	void (*fn)(struct region *r) = READ_ONCE(region_test_stats_fn);

	if (fn && region_test_is_target(r))
		fn(r);
}

/*
 * region_destroy() calls this right after the region left region_list, so
 * its name is free again: a hook can create a region of the same name.
 */
static void region_test_name_released(struct region *r)
{
	void (*fn)(struct region *r) = READ_ONCE(region_test_name_fn);

	if (fn && region_test_is_target(r))
		fn(r);
}

/* In a stash section, right before the install's cmpxchg(). */
static void region_test_stash_hook(struct region *r)
{
	void (*fn)(struct region *r) = READ_ONCE(region_test_stash_fn);

	if (fn && region_test_is_target(r))
		fn(r);
}

/*
 * Fail block allocations of region @name: skip @skip of them, then fail
 * @times (-1: all).  Returns false when the kernel has no fault injection.
 */
static bool rt_fail_blocks(const char *name, int skip, int times)
{
#ifdef CONFIG_FAULT_INJECTION
	struct fault_attr *a = &region_test_fail_attr;

	a->verbose = 0;
	a->interval = 1;
	a->task_filter = false;
	/* should_fail() lets calls pass while space > size, eating size. */
	atomic_set(&a->space, skip * REGION_BLOCK_SIZE + 1);
	atomic_set(&a->times, times);
	strscpy(region_test_target, name, sizeof(region_test_target));
	WRITE_ONCE(a->probability, 100);
	return true;
#else
	return false;
#endif
}

static void rt_seam_reset(void)
{
#ifdef CONFIG_FAULT_INJECTION
	WRITE_ONCE(region_test_fail_attr.probability, 0);
#endif
	WRITE_ONCE(region_test_hook, NULL);
	WRITE_ONCE(region_test_stats_fn, NULL);
	WRITE_ONCE(region_test_name_fn, NULL);
	WRITE_ONCE(region_test_stash_fn, NULL);
	region_test_target[0] = '\0';
}

/* Fault point calls still to fail, as rt_fail_blocks() set them. */
static int rt_fail_times_left(void)
{
#ifdef CONFIG_FAULT_INJECTION
	return atomic_read(&region_test_fail_attr.times);
#else
	return 0;
#endif
}

static void rt_set_hook(const char *name, bool (*hook)(struct region *r))
{
	strscpy(region_test_target, name, sizeof(region_test_target));
	WRITE_ONCE(region_test_hook, hook);
}

/*
 * Regions of a case, destroyed by rt_exit() whatever happened, and its
 * worker threads, stopped before that: region_destroy() does not wait for
 * users, its caller must have stopped them.
 */

#define RT_REGIONS	4
#define RT_WORKERS	4

struct rt_ctx {
	struct region *r[RT_REGIONS];
	struct task_struct *workers[RT_WORKERS];
	struct region_gen *gen;
	struct hrtimer *timer;
};

static void rt_stop_worker(struct kunit *test, struct task_struct *t);

static int rt_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct rt_ctx), GFP_KERNEL);
	if (!test->priv)
		return -ENOMEM;
	rt_seam_reset();
	return 0;
}

static void rt_exit(struct kunit *test)
{
	struct rt_ctx *ctx = test->priv;
	int i;

	rt_seam_reset();
	if (ctx->timer)
		hrtimer_cancel(ctx->timer);
	for (i = 0; i < RT_WORKERS; i++)
		if (ctx->workers[i])
			rt_stop_worker(test, ctx->workers[i]);
	region_gen_destroy(ctx->gen);
	for (i = 0; i < RT_REGIONS; i++)
		region_destroy(ctx->r[i]);
}

static struct region *rt_new_flags(struct kunit *test, const char *name,
				   size_t max_bytes, unsigned int reserve,
				   unsigned int flags)
{
	struct region_params p = {
		.max_bytes = max_bytes,
		.reserve_blocks = reserve,
		.flags = flags,
	};
	struct rt_ctx *ctx = test->priv;
	struct region *r;
	int i;

	r = region_create(name, &p);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, r);
	for (i = 0; i < RT_REGIONS && ctx->r[i]; i++)
		;
	KUNIT_ASSERT_LT(test, i, RT_REGIONS);
	ctx->r[i] = r;
	return r;
}

static struct region *rt_new(struct kunit *test, const char *name,
			     size_t max_bytes, unsigned int reserve)
{
	return rt_new_flags(test, name, max_bytes, reserve, 0);
}

/*
 * The current blocks, the shared one and every CPU's (per-CPU mode), into
 * @cur; returns how many.  Caller holds r->lock.
 */
static unsigned int rt_currents(struct region *r, struct region_block **cur)
{
	struct region_block *b;
	unsigned int n = 0;
	int cpu;

	b = rcu_dereference_protected(r->fast.cur, lockdep_is_held(&r->lock));
	if (b)
		cur[n++] = b;
	for_each_possible_cpu(cpu) {
		b = rcu_dereference_protected(per_cpu_ptr(r->fast.pcpu, cpu)->cur,
					      lockdep_is_held(&r->lock));
		if (b)
			cur[n++] = b;
	}
	return n;
}

static struct region_block *rt_cur(struct region *r)
{
	/* Only for a quiet region, or values that are just printed. */
	return rcu_dereference_protected(r->fast.cur, true);
}

/* For a case that destroys a region itself. */
static void rt_forget(struct kunit *test, struct region *r)
{
	struct rt_ctx *ctx = test->priv;
	int i;

	for (i = 0; i < RT_REGIONS; i++)
		if (ctx->r[i] == r)
			ctx->r[i] = NULL;
}

/* Let a queued reserve refill finish. */
static void rt_quiesce(struct region *r)
{
	irq_work_sync(&r->refill_iw);
	flush_work(&r->refill_work);
}

static u64 rt_fail(struct region *r, enum region_fail_cause cause)
{
	struct region_stats st;

	region_get_stats(r, &st);
	return st.fail[cause];
}

/*
 * The invariants of a quiet region: lists and counters agree, every block
 * ever vmalloc'ed is in use, spare or vfree'd (none leaked), spare blocks
 * are zero, the cap holds, and the byte counters add up.
 */
static bool rt_block_dirty(struct region_block *b)
{
	return atomic_long_read(&b->off) ||
	       memchr_inv(b->data, 0, REGION_MAX_ALLOC);
}

static void rt_check(struct kunit *test, struct region *r)
{
	unsigned long flags, nfull = 0, nspare = 0, dirty = 0, nstash = 0;
	unsigned long in_use, spare, total, ncur;
	struct region_block *b, **cur;
	struct region_stats st;
	unsigned int j;
	u64 sum = 0;
	int i, cpu;

	cur = kunit_kcalloc(test, nr_cpu_ids + 1, sizeof(*cur), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cur);
	rt_quiesce(r);
	region_get_stats(r, &st);

	raw_spin_lock_irqsave(&r->lock, flags);
	ncur = rt_currents(r, cur);
	list_for_each_entry(b, &r->full, node)
		nfull++;
	list_for_each_entry(b, &r->spare, node) {
		nspare++;
		if (rt_block_dirty(b))
			dirty++;
	}
	in_use = r->nr_in_use;
	spare = r->nr_spare;
	total = r->nr_total;
	/* Per-CPU mode: the stashes (zero, never handed out) and retirees. */
	for_each_possible_cpu(cpu) {
		struct region_stash *rs;

		if (!r->stash)
			break;
		rs = per_cpu_ptr(r->stash, cpu);
		list_for_each_entry(b, &rs->retired, node)
			nfull++;
		in_use += rs->in_use;
		KUNIT_EXPECT_LE(test, rs->nr, REGION_STASH_MAX);
		for (j = 0; j < rs->nr && j < REGION_STASH_MAX; j++) {
			nstash++;
			if (rt_block_dirty(rs->blk[j]))
				dirty++;
		}
	}
	raw_spin_unlock_irqrestore(&r->lock, flags);

	KUNIT_EXPECT_EQ(test, nfull + ncur, in_use);
	if (!r->fast.percpu)
		KUNIT_EXPECT_LE(test, ncur, 1UL);
	else
		KUNIT_EXPECT_NOT_NULL(test, r->stash);
	KUNIT_EXPECT_EQ(test, nspare, spare);
	/*
	 * The adaptive reserve stays within its bounds (the stashes, at most
	 * REGION_STASH_MAX a CPU, are on top of it).
	 */
	KUNIT_EXPECT_GE(test, r->refill_target, r->reserve_target);
	KUNIT_EXPECT_LE(test, r->refill_target, region_refill_max(r));
	KUNIT_EXPECT_LE(test, spare, (unsigned long)max(2 * r->reserve_target,
							r->refill_target));
	/* The cap counts stashed blocks: they are spares. */
	spare += nstash;
	KUNIT_EXPECT_EQ(test, total, in_use + spare);
	if (r->max_blocks)
		KUNIT_EXPECT_LE(test, total, r->max_blocks);
	KUNIT_EXPECT_EQ(test, dirty, 0);

	KUNIT_EXPECT_EQ(test, st.blocks_held, (u64)in_use);
	KUNIT_EXPECT_EQ(test, st.reserve_blocks, (u64)spare);
	KUNIT_EXPECT_EQ(test, st.vmalloc_calls - st.vfree_calls,
			st.blocks_held + st.reserve_blocks);
	KUNIT_EXPECT_EQ(test, st.bytes_held, st.blocks_held * REGION_BLOCK_SIZE);
	KUNIT_EXPECT_EQ(test, st.bytes_held,
			st.bytes_live + st.bytes_free + st.bytes_wasted +
			st.blocks_held * REGION_BLOCK_HDR);
	KUNIT_EXPECT_LE(test, st.bytes_live, st.bytes_alloc);
	for (i = 0; i < REGION_FAIL_NR; i++)
		sum += st.fail[i];
	KUNIT_EXPECT_EQ(test, st.failures, sum);
}

/*
 * The failure names.  Create errors, the cap and the reserve running dry are
 * the test client's cases: it runs them on every kernel, KUnit or not.
 */

static void rt_fail_names(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < REGION_FAIL_NR; i++) {
		KUNIT_EXPECT_NOT_NULL(test, region_fail_names[i]);
		KUNIT_EXPECT_STREQ(test, region_fail_name(i),
				   region_fail_names[i]);
	}
	KUNIT_EXPECT_STREQ(test, region_fail_name(REGION_FAIL_NR), "unknown");
	KUNIT_EXPECT_STREQ(test, region_fail_name(-1), "unknown");
}

/* Bump: rounding, alignment, zeroing, size limits. */

static void rt_alloc_basic(struct kunit *test)
{
	struct region *r = rt_new(test, "rt-basic", 0, 0);
	u8 *p1, *p2, *p3, *p4;

	p1 = region_alloc(r, 1, GFP_KERNEL);
	p2 = region_alloc(r, 7, GFP_KERNEL);
	p3 = region_alloc(r, 9, GFP_KERNEL);
	p4 = region_alloc(r, 8, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p1);
	KUNIT_ASSERT_NOT_NULL(test, p2);
	KUNIT_ASSERT_NOT_NULL(test, p3);
	KUNIT_ASSERT_NOT_NULL(test, p4);
	KUNIT_EXPECT_EQ(test, (unsigned long)p1 % 8, 0UL);
	KUNIT_EXPECT_PTR_EQ(test, p2, p1 + 8);
	KUNIT_EXPECT_PTR_EQ(test, p3, p2 + 8);
	KUNIT_EXPECT_PTR_EQ(test, p4, p3 + 16);
	KUNIT_EXPECT_NULL(test, memchr_inv(p1, 0, 40));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&rt_cur(r)->off), 40L);

	KUNIT_EXPECT_NULL(test, region_alloc(r, 0, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, region_alloc(r, REGION_MAX_ALLOC + 1,
					     GFP_ATOMIC));
	KUNIT_EXPECT_NULL(test, region_alloc(r, SIZE_MAX, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, rt_fail(r, REGION_FAIL_TOO_LARGE), 3ULL);
	/* The largest request takes a whole fresh block. */
	p1 = region_alloc(r, REGION_MAX_ALLOC, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p1);
	KUNIT_EXPECT_NULL(test, memchr_inv(p1, 0, REGION_MAX_ALLOC));
	KUNIT_EXPECT_EQ(test, r->nr_in_use, 2UL);
	rt_check(test, r);
}

/* Stats arithmetic on a known sequence, across a drop that recycles. */

static bool rt_hook_fail_others(struct region *r)
{
	/* Refills run in a kworker: fail them, keep the test's own. */
	return current->flags & PF_WQ_WORKER;
}

static void rt_stats_arith(struct kunit *test)
{
	const u64 max = REGION_MAX_ALLOC;
	struct region *r = rt_new(test, "rt-stats", 0, 4);
	struct region_stats st;
	u64 live;

	/* No refill: the drop below must recycle into the reserve. */
	rt_set_hook("rt-stats", rt_hook_fail_others);

	KUNIT_ASSERT_NOT_NULL(test, region_alloc(r, 1, GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, region_alloc(r, 13, GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, region_alloc(r, 4000, GFP_ATOMIC));
	/* Does not fit: block 2, block 1 keeps a tail of max - 4024. */
	KUNIT_ASSERT_NOT_NULL(test, region_alloc(r, max, GFP_KERNEL));
	/* Block 2 is exactly full: block 3. */
	KUNIT_ASSERT_NOT_NULL(test, region_alloc(r, 100, GFP_NOWAIT));
	KUNIT_EXPECT_NULL(test, region_alloc(r, 0, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, region_alloc(r, max + 1, GFP_KERNEL));
	rt_quiesce(r);

	live = 8 + 16 + 4000 + max + 104;
	region_get_stats(r, &st);
	KUNIT_EXPECT_EQ(test, st.allocs, 5ULL);
	KUNIT_EXPECT_EQ(test, st.bytes_alloc, live);
	KUNIT_EXPECT_EQ(test, st.bytes_live, live);
	KUNIT_EXPECT_EQ(test, st.blocks_held, 3ULL);
	KUNIT_EXPECT_EQ(test, st.bytes_held, 3ULL * REGION_BLOCK_SIZE);
	KUNIT_EXPECT_EQ(test, st.bytes_free, max - 104);
	KUNIT_EXPECT_EQ(test, st.bytes_wasted, max - 4024);
	KUNIT_EXPECT_EQ(test, st.block_installs, 3ULL);
	KUNIT_EXPECT_EQ(test, st.reserve_blocks, 1ULL);
	KUNIT_EXPECT_EQ(test, st.vmalloc_calls, 4ULL);
	KUNIT_EXPECT_EQ(test, st.fail[REGION_FAIL_TOO_LARGE], 2ULL);
	KUNIT_EXPECT_EQ(test, st.failures, 2ULL);
	KUNIT_EXPECT_EQ(test, st.drops, 0ULL);
	rt_check(test, r);

	region_drop(r);
	rt_quiesce(r);
	region_get_stats(r, &st);
	KUNIT_EXPECT_EQ(test, st.bytes_live, 0ULL);
	KUNIT_EXPECT_EQ(test, st.bytes_alloc, live);
	KUNIT_EXPECT_EQ(test, st.blocks_held, 0ULL);
	KUNIT_EXPECT_EQ(test, st.bytes_free, 0ULL);
	KUNIT_EXPECT_EQ(test, st.bytes_wasted, 0ULL);
	KUNIT_EXPECT_EQ(test, st.recycled, 3ULL);
	KUNIT_EXPECT_EQ(test, st.reserve_blocks, 4ULL);
	KUNIT_EXPECT_EQ(test, st.vfree_calls, 0ULL);
	KUNIT_EXPECT_EQ(test, st.drops, 1ULL);
	/* rt_check() verifies that the recycled blocks are zero again. */
	rt_check(test, r);

	KUNIT_ASSERT_NOT_NULL(test, region_alloc(r, 16, GFP_ATOMIC));
	region_get_stats(r, &st);
	KUNIT_EXPECT_EQ(test, st.bytes_live, 16ULL);
	KUNIT_EXPECT_EQ(test, st.bytes_alloc, live + 16);
	KUNIT_EXPECT_EQ(test, st.block_installs, 4ULL);
	rt_check(test, r);
}

/* The slow path's re-check: two installers, the loser's block. */

static struct {
	struct task_struct *task;
	unsigned int calls;
	void *winner;
} rt_race;

/*
 * Runs in region_block_new() of the test task, after its slow path took a
 * reservation and left the lock: the other installer gets in first.  Other
 * tasks (the refill worker) fail, so the reserve stays empty.
 */
static bool rt_race_hook(struct region *r)
{
	if (current != rt_race.task)
		return true;
	if (rt_race.calls++ == 0)
		rt_race.winner = region_alloc(r, 8, GFP_KERNEL);
	return false;
}

static void rt_recheck_race(struct kunit *test, const char *name,
			    unsigned int reserve)
{
	struct region *r = rt_new(test, name, 0, reserve);
	struct region_stats st;
	u8 *full, *loser;

	rt_race.task = current;
	rt_race.calls = 1;	/* disarmed */
	rt_race.winner = NULL;
	rt_set_hook(name, rt_race_hook);

	/* Block 1, full; with a reserve it came from it and is not refilled. */
	full = region_alloc(r, REGION_MAX_ALLOC, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, full);
	rt_quiesce(r);
	KUNIT_ASSERT_EQ(test, r->nr_spare, 0U);

	rt_race.calls = 0;
	loser = region_alloc(r, 8, GFP_KERNEL);
	rt_quiesce(r);
	KUNIT_EXPECT_EQ(test, rt_race.calls, 2U);
	KUNIT_ASSERT_NOT_NULL(test, rt_race.winner);
	KUNIT_ASSERT_NOT_NULL(test, loser);
	/* The loser re-checked and bumped the winner's block. */
	KUNIT_EXPECT_PTR_EQ(test, loser, (u8 *)rt_race.winner + 8);

	region_get_stats(r, &st);
	KUNIT_EXPECT_EQ(test, st.block_installs, 2ULL);
	KUNIT_EXPECT_EQ(test, st.blocks_held, 2ULL);
	KUNIT_EXPECT_EQ(test, st.allocs, 3ULL);
	/* Its fresh block was kept as a spare or freed, never leaked. */
	KUNIT_EXPECT_EQ(test, st.vmalloc_calls, 3ULL);
	if (reserve) {
		KUNIT_EXPECT_EQ(test, st.reserve_blocks, 1ULL);
		KUNIT_EXPECT_EQ(test, st.vfree_calls, 0ULL);
	} else {
		KUNIT_EXPECT_EQ(test, st.reserve_blocks, 0ULL);
		KUNIT_EXPECT_EQ(test, st.vfree_calls, 1ULL);
	}
	rt_check(test, r);
}

static void rt_recheck_race_free(struct kunit *test)
{
	rt_recheck_race(test, "rt-race-free", 0);
}

static void rt_recheck_race_spare(struct kunit *test)
{
	rt_recheck_race(test, "rt-race-spare", 1);
}

/* Many blocking installers at once: the counters still balance. */

struct rt_worker {
	struct region *r;
	struct completion done;
	unsigned long ok, fail, bad;
	size_t size;
	gfp_t gfp;
	bool under_rcu;
	unsigned int iters;
	u32 seed;
};

/*
 * Allocate until stopped (or @iters times): check that memory comes zeroed,
 * then tag it with its size in the first word and a pattern, inside an RCU
 * read-side section like a tracepoint probe's, so that a drop waits.
 */
static int rt_worker_fn(void *data)
{
	struct rt_worker *w = data;
	unsigned int i = 0;
	size_t n;
	u8 *p;

	while (!kthread_should_stop()) {
		if (w->iters && i >= w->iters) {
			usleep_range(1000, 2000);
			continue;
		}
		i++;
		n = w->size;
		if (!n) {
			w->seed = w->seed * 1103515245 + 12345;
			n = 8 + (w->seed >> 8) % 2041;
		}
		if (w->under_rcu)
			rcu_read_lock();
		p = region_alloc(w->r, n, w->gfp);
		if (p) {
			if (memchr_inv(p, 0, n))
				w->bad++;
			memset(p, 0x5a, n);
			*(u32 *)p = ALIGN(n, 8);
			w->ok++;
		} else {
			w->fail++;
		}
		if (w->under_rcu)
			rcu_read_unlock();
		if (!(i % 32))
			cond_resched();
	}
	complete(&w->done);
	return 0;
}

/* A kthread in the case's first free worker slot, bound to @cpu if >= 0. */
static struct task_struct *rt_start_thread(struct kunit *test,
					   int (*fn)(void *), void *data,
					   int cpu)
{
	struct rt_ctx *ctx = test->priv;
	struct task_struct *t;
	int i;

	for (i = 0; i < RT_WORKERS && ctx->workers[i]; i++)
		;
	KUNIT_ASSERT_LT(test, i, RT_WORKERS);
	t = kthread_create(fn, data, "rt_worker/%d", cpu);
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	if (cpu >= 0)
		kthread_bind(t, cpu);
	get_task_struct(t);
	ctx->workers[i] = t;
	wake_up_process(t);
	return t;
}

static struct task_struct *rt_start_worker(struct kunit *test,
					   struct rt_worker *w, int cpu)
{
	init_completion(&w->done);
	return rt_start_thread(test, rt_worker_fn, w, cpu);
}

static void rt_stop_worker(struct kunit *test, struct task_struct *t)
{
	struct rt_ctx *ctx = test->priv;
	int i;

	for (i = 0; i < RT_WORKERS; i++)
		if (ctx->workers[i] == t)
			ctx->workers[i] = NULL;
	kthread_stop(t);
	put_task_struct(t);
}

static void rt_installers_contend(struct kunit *test)
{
	struct region *r = rt_new(test, "rt-contend", 0, 0);
	struct task_struct *t[RT_WORKERS];
	struct rt_worker *w;
	struct region_stats st;
	unsigned long ok = 0;
	int i, n = min_t(int, RT_WORKERS, 2 * num_online_cpus());

	w = kunit_kcalloc(test, RT_WORKERS, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	/* Over half a block each: almost every call installs a block. */
	for (i = 0; i < n; i++) {
		w[i] = (struct rt_worker){ .r = r, .gfp = GFP_KERNEL,
			.size = REGION_MAX_ALLOC / 2 + 8, .iters = 100 };
		t[i] = rt_start_worker(test, &w[i], i % num_online_cpus());
	}
	msleep(200);
	for (i = 0; i < n; i++) {
		while (READ_ONCE(w[i].ok) + READ_ONCE(w[i].fail) < w[i].iters)
			msleep(20);
		rt_stop_worker(test, t[i]);
		ok += w[i].ok;
		KUNIT_EXPECT_EQ(test, w[i].fail, 0UL);
		KUNIT_EXPECT_EQ(test, w[i].bad, 0UL);
	}
	region_get_stats(r, &st);
	KUNIT_EXPECT_EQ(test, st.allocs, (u64)ok);
	KUNIT_EXPECT_EQ(test, st.block_installs, (u64)ok);
	rt_check(test, r);
	region_drop(r);
	rt_check(test, r);
}

/* Fault injection on every block allocation path. */

static void rt_fail_create(struct kunit *test)
{
	struct region_params p = { .reserve_blocks = 3 };
	struct region *r;
	int skip;

	if (!rt_fail_blocks("rt-fail-create", 0, 0))
		kunit_skip(test, "no CONFIG_FAULT_INJECTION");
	/* Fail the first, second, third block of the reserve. */
	for (skip = 0; skip < 3; skip++) {
		rt_fail_blocks("rt-fail-create", skip, 1);
		r = region_create("rt-fail-create", &p);
		KUNIT_EXPECT_EQ(test, PTR_ERR(r), -ENOMEM);
		KUNIT_EXPECT_EQ(test, rt_fail_times_left(), 0);
		if (!IS_ERR(r))
			region_destroy(r);
	}
	rt_seam_reset();
	r = rt_new(test, "rt-fail-create", 0, 3);
	rt_check(test, r);
}

static void rt_fail_blocking(struct kunit *test)
{
	struct region *r = rt_new(test, "rt-fail-vm", 2 * REGION_BLOCK_SIZE, 0);

	if (!rt_fail_blocks("rt-fail-vm", 0, 1))
		kunit_skip(test, "no CONFIG_FAULT_INJECTION");
	KUNIT_EXPECT_NULL(test, region_alloc(r, 8, GFP_KERNEL | __GFP_NOWARN));
	KUNIT_EXPECT_EQ(test, rt_fail(r, REGION_FAIL_VMALLOC), 1ULL);
	/* The slot reserved against the cap was given back... */
	KUNIT_EXPECT_EQ(test, r->nr_total, 0UL);
	/* ...so the cap still allows two blocks. */
	KUNIT_EXPECT_NOT_NULL(test, region_alloc(r, REGION_MAX_ALLOC,
						 GFP_KERNEL));
	KUNIT_EXPECT_NOT_NULL(test, region_alloc(r, REGION_MAX_ALLOC,
						 GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, region_alloc(r, 8, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, rt_fail(r, REGION_FAIL_CAP), 1ULL);
	rt_check(test, r);
}

static void rt_fail_refill(struct kunit *test)
{
	struct region *r = rt_new(test, "rt-fail-refill", 0, 2);
	unsigned long flags;
	void *p0, *p1;

	rt_quiesce(r);
	if (!rt_fail_blocks("rt-fail-refill", 0, -1))
		kunit_skip(test, "no CONFIG_FAULT_INJECTION");
	local_irq_save(flags);
	p0 = region_alloc(r, REGION_MAX_ALLOC, GFP_ATOMIC);
	p1 = region_alloc(r, REGION_MAX_ALLOC, GFP_ATOMIC);
	local_irq_restore(flags);
	KUNIT_EXPECT_NOT_NULL(test, p0);
	KUNIT_EXPECT_NOT_NULL(test, p1);
	rt_quiesce(r);
	/* The refill failed and gave its reservation back. */
	KUNIT_EXPECT_EQ(test, r->nr_spare, 0U);
	KUNIT_EXPECT_EQ(test, r->nr_total, 2UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->vmallocs), 2L);
	KUNIT_EXPECT_NULL(test, region_alloc(r, 8, GFP_ATOMIC));
	KUNIT_EXPECT_NULL(test, region_alloc(r, 8, GFP_KERNEL | __GFP_NOWARN));
	rt_quiesce(r);
	KUNIT_EXPECT_EQ(test, rt_fail(r, REGION_FAIL_NO_RESERVE), 1ULL);
	KUNIT_EXPECT_EQ(test, rt_fail(r, REGION_FAIL_VMALLOC), 1ULL);
	rt_check(test, r);

	/*
	 * Faults off: the next failing atomic caller kicks a refill, of a
	 * reserve doubled once: by the first atomic caller that found none,
	 * not again by the second (the refill round it started never
	 * completed), nor by the blocking one, which vmalloc'ed for itself.
	 */
	rt_seam_reset();
	KUNIT_EXPECT_NULL(test, region_alloc(r, 8, GFP_ATOMIC));
	rt_quiesce(r);
	KUNIT_EXPECT_EQ(test, r->refill_target, 4U);
	KUNIT_EXPECT_EQ(test, r->nr_spare, 4U);
	KUNIT_EXPECT_NOT_NULL(test, region_alloc(r, 8, GFP_ATOMIC));
	rt_check(test, r);
}

/*
 * @n atomic callers, interrupts off (no refill meanwhile), each wanting a
 * whole block; returns how many got one.
 */
static unsigned int rt_take_blocks(struct region *r, unsigned int n)
{
	unsigned long flags;
	unsigned int i, got = 0;

	local_irq_save(flags);
	for (i = 0; i < n; i++)
		got += !!region_alloc(r, REGION_MAX_ALLOC, GFP_ATOMIC);
	local_irq_restore(flags);
	rt_quiesce(r);
	return got;
}

/*
 * The adaptive reserve: an atomic caller that finds no spare block doubles
 * the refill target, once per refill round, up to a bound (a quarter of the
 * cap, at most 64 blocks); a drop halves it, down to the reserve asked for,
 * unless a caller found the reserve empty since the previous drop, and
 * frees the spare blocks beyond both it and twice the reserve.  A region
 * created without a reserve never grows one.
 */
/* A drop, then the refill target and the spares it leaves. */
static void rt_drop_expect(struct kunit *test, struct region *r,
			   unsigned int target, unsigned int spare)
{
	region_drop(r);
	rt_quiesce(r);
	KUNIT_EXPECT_EQ(test, r->refill_target, target);
	KUNIT_EXPECT_EQ(test, r->nr_spare, spare);
	rt_check(test, r);
}

static void rt_refill_adaptive(struct kunit *test)
{
	struct region *r = rt_new(test, "rt-adapt", 0, 1);
	struct region *c = rt_new(test, "rt-adapt-cap", 16 * REGION_BLOCK_SIZE, 2);
	struct region *z = rt_new(test, "rt-adapt-0", 0, 0);
	struct region *o = rt_new(test, "rt-adapt-once", 0, 2);
	struct region_stats st;

	rt_quiesce(r);
	rt_quiesce(c);
	/* 1 spare, then none: 2; 2 then none: 4; 4 then none: 8. */
	KUNIT_EXPECT_EQ(test, rt_take_blocks(r, 2), 1U);
	KUNIT_EXPECT_EQ(test, r->refill_target, 2U);
	KUNIT_EXPECT_EQ(test, r->nr_spare, 2U);
	KUNIT_EXPECT_EQ(test, rt_take_blocks(r, 3), 2U);
	KUNIT_EXPECT_EQ(test, rt_take_blocks(r, 5), 4U);
	KUNIT_EXPECT_EQ(test, r->refill_target, 8U);
	KUNIT_EXPECT_EQ(test, r->nr_spare, 8U);
	KUNIT_EXPECT_EQ(test, rt_fail(r, REGION_FAIL_NO_RESERVE), 3ULL);
	rt_check(test, r);
	/*
	 * Callers ran dry in this generation: the drop keeps the target (and
	 * recycles nothing, the reserve being full); the next ones halve it,
	 * freeing the spares beyond max(2 * 1, target).
	 */
	rt_drop_expect(test, r, 8, 8);
	rt_drop_expect(test, r, 4, 4);
	region_drop(r);
	rt_drop_expect(test, r, 1, 2);

	/* A burst of four failures before the refill runs: doubled once. */
	rt_quiesce(o);
	KUNIT_EXPECT_EQ(test, rt_take_blocks(o, 6), 2U);
	KUNIT_EXPECT_EQ(test, rt_fail(o, REGION_FAIL_NO_RESERVE), 4ULL);
	KUNIT_EXPECT_EQ(test, o->refill_target, 4U);
	KUNIT_EXPECT_EQ(test, o->nr_spare, 4U);
	rt_check(test, o);

	/* Capped at 16 blocks: the bound is 4. */
	KUNIT_EXPECT_EQ(test, rt_take_blocks(c, 3), 2U);
	KUNIT_EXPECT_EQ(test, rt_take_blocks(c, 5), 4U);
	KUNIT_EXPECT_EQ(test, c->refill_target, 4U);
	KUNIT_EXPECT_EQ(test, c->nr_spare, 4U);
	rt_check(test, c);

	/* No reserve asked for: none grown, a blocking caller vmallocs. */
	KUNIT_EXPECT_EQ(test, rt_take_blocks(z, 1), 0U);
	KUNIT_EXPECT_NOT_NULL(test, region_alloc(z, REGION_MAX_ALLOC,
						 GFP_KERNEL));
	rt_quiesce(z);
	region_get_stats(z, &st);
	KUNIT_EXPECT_EQ(test, z->refill_target, 0U);
	KUNIT_EXPECT_EQ(test, st.reserve_blocks, 0ULL);
	KUNIT_EXPECT_EQ(test, st.vmalloc_calls, 1ULL);
	rt_check(test, z);
}

/* Destroy while the refill is queued or inside vmalloc. */

static bool rt_hook_slow_refill(struct region *r)
{
	if (current->flags & PF_WQ_WORKER)
		msleep(50);
	return false;
}

static void rt_destroy_during_refill(struct kunit *test)
{
	struct region *r = rt_new(test, "rt-destroy", 0, 2);
	unsigned long flags;

	rt_quiesce(r);
	local_irq_save(flags);
	KUNIT_EXPECT_NOT_NULL(test, region_alloc(r, REGION_MAX_ALLOC,
						 GFP_ATOMIC));
	KUNIT_EXPECT_NOT_NULL(test, region_alloc(r, REGION_MAX_ALLOC,
						 GFP_ATOMIC));
	local_irq_restore(flags);
	/* The refill irq_work is queued or has just run. */
	rt_forget(test, r);
	region_destroy(r);

	r = rt_new(test, "rt-destroy", 0, 2);
	rt_set_hook("rt-destroy", rt_hook_slow_refill);
	KUNIT_EXPECT_NOT_NULL(test, region_alloc(r, REGION_MAX_ALLOC,
						 GFP_KERNEL));
	usleep_range(10000, 20000);
	/* The worker sleeps in region_block_new(); destroy must wait. */
	rt_forget(test, r);
	region_destroy(r);
}

/* region_drop(): the fence against in-flight fast paths. */

struct rt_reader {
	struct region *r;
	struct completion inside, done;
	atomic_t finished;
	u8 *p;
};

static int rt_reader_fn(void *data)
{
	struct rt_reader *rd = data;

	rcu_read_lock();
	rd->p = region_alloc(rd->r, 64, GFP_ATOMIC);
	complete(&rd->inside);
	/* A drop that starts now has to wait for this section. */
	mdelay(100);
	if (rd->p)
		memset(rd->p, 0xa5, 64);
	atomic_set(&rd->finished, 1);
	rcu_read_unlock();
	kthread_complete_and_exit(&rd->done, 0);
}

static void rt_drop_waits_inflight(struct kunit *test)
{
	struct region *r = rt_new(test, "rt-fence", 0, 0);
	struct rt_reader *rd;
	struct task_struct *t;

	rd = kunit_kzalloc(test, sizeof(*rd), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rd);
	rd->r = r;
	init_completion(&rd->inside);
	init_completion(&rd->done);
	/* A current block, freed (no reserve) by the drop. */
	KUNIT_ASSERT_NOT_NULL(test, region_alloc(r, 8, GFP_KERNEL));

	t = kthread_run(rt_reader_fn, rd, "rt_reader");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&rd->inside);
	region_drop(r);
	KUNIT_EXPECT_EQ(test, atomic_read(&rd->finished), 1);
	wait_for_completion(&rd->done);
	KUNIT_EXPECT_NOT_NULL(test, rd->p);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->vfrees), 1L);
	rt_check(test, r);
}

/* While fenced (inside on_drop) every caller gets NULL, "dropping". */

struct rt_on_drop {
	unsigned int calls;
	void *atomic_p, *kernel_p;
};

static void rt_on_drop_fn(struct region *r, void *priv)
{
	struct rt_on_drop *od = priv;

	od->calls++;
	od->atomic_p = region_alloc(r, 8, GFP_ATOMIC);
	od->kernel_p = region_alloc(r, 8, GFP_KERNEL);
}

static void rt_drop_fences_new(struct kunit *test)
{
	struct rt_on_drop od = { };
	struct region_params p = {
		.reserve_blocks = 1,
		.on_drop = rt_on_drop_fn,
		.priv = &od,
	};
	struct rt_ctx *ctx = test->priv;
	struct region *r;

	r = region_create("rt-ondrop", &p);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, r);
	ctx->r[0] = r;
	KUNIT_ASSERT_NOT_NULL(test, region_alloc(r, 8, GFP_KERNEL));

	/* What a write of 1 to <name>/drop does. */
	region_do_drop(r, true);
	KUNIT_EXPECT_EQ(test, od.calls, 1U);
	KUNIT_EXPECT_NULL(test, od.atomic_p);
	KUNIT_EXPECT_NULL(test, od.kernel_p);
	KUNIT_EXPECT_EQ(test, rt_fail(r, REGION_FAIL_DROPPING), 2ULL);
	/* The fence is lifted. */
	KUNIT_EXPECT_NOT_NULL(test, region_alloc(r, 8, GFP_ATOMIC));
	/* region_drop() does not call on_drop. */
	region_drop(r);
	KUNIT_EXPECT_EQ(test, od.calls, 1U);
	rt_check(test, r);
}

/*
 * A blocking caller that left the lock to vmalloc comes back while a drop
 * is fenced (its block must not be leaked) or after the drop (it installs
 * into the emptied region).
 */

struct rt_sleeper {
	struct region *r;
	struct task_struct *task;
	struct completion go_drop, in_fence, alloc_done, dropped;
	bool armed;
};

static struct rt_sleeper *rt_sleeper;

static bool rt_sleeper_hook(struct region *r)
{
	struct rt_sleeper *s = rt_sleeper;

	/* No refill: the reserve stays as the case left it. */
	if (current->flags & PF_WQ_WORKER)
		return true;
	if (current != s->task || !s->armed)
		return false;
	s->armed = false;
	complete(&s->go_drop);
	wait_for_completion(&s->in_fence);
	return false;
}

static void rt_sleeper_on_drop(struct region *r, void *priv)
{
	struct rt_sleeper *s = priv;

	complete(&s->in_fence);
	wait_for_completion(&s->alloc_done);
}

static int rt_dropper_fn(void *data)
{
	struct rt_sleeper *s = data;

	wait_for_completion(&s->go_drop);
	region_do_drop(s->r, true);
	kthread_complete_and_exit(&s->dropped, 0);
}

static void rt_drop_during_vmalloc(struct kunit *test, unsigned int reserve)
{
	struct rt_ctx *ctx = test->priv;
	struct region_params p = { .reserve_blocks = reserve };
	struct task_struct *t;
	struct rt_sleeper *s;
	void *q;

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	p.on_drop = rt_sleeper_on_drop;
	p.priv = s;
	s->r = region_create("rt-sleeper", &p);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, s->r);
	ctx->r[0] = s->r;
	s->task = current;
	init_completion(&s->go_drop);
	init_completion(&s->in_fence);
	init_completion(&s->alloc_done);
	init_completion(&s->dropped);
	rt_sleeper = s;

	/* Use up the reserve with refills failing, so the next call vmallocs. */
	rt_set_hook("rt-sleeper", rt_hook_fail_others);
	while (READ_ONCE(s->r->nr_spare))
		KUNIT_ASSERT_NOT_NULL(test, region_alloc(s->r, REGION_MAX_ALLOC,
							 GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, region_alloc(s->r, REGION_MAX_ALLOC,
						 GFP_KERNEL));
	rt_quiesce(s->r);
	rt_set_hook("rt-sleeper", rt_sleeper_hook);

	t = kthread_run(rt_dropper_fn, s, "rt_dropper");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	s->armed = true;
	q = region_alloc(s->r, 8, GFP_KERNEL);
	complete(&s->alloc_done);
	wait_for_completion(&s->dropped);

	KUNIT_EXPECT_NULL(test, q);
	KUNIT_EXPECT_EQ(test, rt_fail(s->r, REGION_FAIL_DROPPING), 1ULL);
	rt_check(test, s->r);
	rt_seam_reset();
	KUNIT_EXPECT_NOT_NULL(test, region_alloc(s->r, 8, GFP_KERNEL));
	rt_check(test, s->r);
}

static void rt_drop_during_vmalloc_free(struct kunit *test)
{
	rt_drop_during_vmalloc(test, 0);
}

static void rt_drop_during_vmalloc_spare(struct kunit *test)
{
	rt_drop_during_vmalloc(test, 1);
}

/* A whole drop while the caller is in vmalloc: it installs afterwards. */
static bool rt_hook_drop_now(struct region *r)
{
	if (current == rt_race.task && rt_race.calls++ == 0)
		region_drop(r);
	return false;
}

static void rt_drop_before_install(struct kunit *test)
{
	struct region *r = rt_new(test, "rt-late", 0, 0);
	u8 *p;

	KUNIT_ASSERT_NOT_NULL(test, region_alloc(r, REGION_MAX_ALLOC,
						 GFP_KERNEL));
	rt_race.task = current;
	rt_race.calls = 0;
	rt_set_hook("rt-late", rt_hook_drop_now);
	p = region_alloc(r, 24, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, r->drops, 1ULL);
	KUNIT_EXPECT_EQ(test, r->nr_in_use, 1UL);
	KUNIT_EXPECT_PTR_EQ(test, p, (u8 *)rt_cur(r)->data);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->vfrees), 1L);
	rt_check(test, r);
}

/*
 * Drops against fast paths on every CPU, allocating under RCU as a probe
 * does.  Afterwards the region's own records say how many bytes are live;
 * bytes_live must agree.
 */
static u64 rt_walk_block(struct region_block *b)
{
	long off = min_t(long, atomic_long_read(&b->off), REGION_MAX_ALLOC);
	u64 live = 0;
	long o;
	u32 h;

	for (o = 0; o + 8 <= off; o += h) {
		h = *(u32 *)(b->data + o);
		if (!h)
			break;
		live += h;
	}
	return live;
}

static u64 rt_walk_live(struct kunit *test, struct region *r)
{
	struct region_block *b, **cur;
	unsigned int i, n;
	unsigned long flags;
	u64 live = 0;

	cur = kunit_kcalloc(test, nr_cpu_ids + 1, sizeof(*cur), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cur);
	raw_spin_lock_irqsave(&r->lock, flags);
	n = rt_currents(r, cur);
	for (i = 0; i < n; i++)
		live += rt_walk_block(cur[i]);
	list_for_each_entry(b, &r->full, node)
		live += rt_walk_block(b);
	/* Per-CPU mode: the blocks CPUs retired from a stash install. */
	if (r->stash) {
		int cpu;

		for_each_possible_cpu(cpu)
			list_for_each_entry(b, &per_cpu_ptr(r->stash, cpu)->retired,
					    node)
				live += rt_walk_block(b);
	}
	raw_spin_unlock_irqrestore(&r->lock, flags);
	return live;
}

static void rt_drop_vs_fastpath(struct kunit *test, unsigned int flags)
{
	struct region *r = rt_new_flags(test, "rt-dropstress", 0, 4, flags);
	struct task_struct *t[RT_WORKERS];
	unsigned long ok = 0, fail = 0;
	struct region_stats st;
	struct rt_worker *w;
	int i, drops, n = min_t(int, RT_WORKERS, num_online_cpus());

	w = kunit_kcalloc(test, RT_WORKERS, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	for (i = 0; i < n; i++) {
		w[i] = (struct rt_worker){ .r = r, .gfp = GFP_ATOMIC,
			.under_rcu = true, .seed = i + 1 };
		t[i] = rt_start_worker(test, &w[i], i);
	}
	for (drops = 0; drops < 100; drops++) {
		usleep_range(1000, 3000);
		region_drop(r);
	}
	usleep_range(1000, 3000);
	for (i = 0; i < n; i++) {
		rt_stop_worker(test, t[i]);
		ok += w[i].ok;
		fail += w[i].fail;
		KUNIT_EXPECT_EQ(test, w[i].bad, 0UL);
	}
	rt_quiesce(r);
	region_get_stats(r, &st);
	KUNIT_EXPECT_EQ(test, st.allocs, (u64)ok);
	KUNIT_EXPECT_EQ(test, st.failures, (u64)fail);
	KUNIT_EXPECT_EQ(test, st.failures, st.fail[REGION_FAIL_DROPPING] +
			st.fail[REGION_FAIL_NO_RESERVE]);
	KUNIT_EXPECT_EQ(test, st.drops, 100ULL);
	KUNIT_EXPECT_EQ(test, st.bytes_live, rt_walk_live(test, r));
	kunit_info(test, "allocs %llu, dropping %llu, no_reserve %llu\n",
		   st.allocs, st.fail[REGION_FAIL_DROPPING],
		   st.fail[REGION_FAIL_NO_RESERVE]);
	rt_check(test, r);
}

static void rt_drop_vs_fastpath_shared(struct kunit *test)
{
	rt_drop_vs_fastpath(test, 0);
}

static void rt_drop_vs_fastpath_percpu(struct kunit *test)
{
	rt_drop_vs_fastpath(test, REGION_F_PERCPU);
}

/*
 * Re-entry guard: while this CPU is inside a region's locked section (a
 * probe fired in there), every slow path fails as "recursion": on the same
 * region it would spin on a lock its own CPU holds, on another it would
 * nest a second region lock.  The fast path takes no lock and still works.
 */

/* The current block this CPU bumps; interrupts off, or a quiet region. */
static struct region_block *rt_this_cur(struct region *r)
{
	if (r->fast.percpu)
		return rcu_dereference_protected(this_cpu_ptr(r->fast.pcpu)->cur,
						 true);
	return rcu_dereference_protected(r->fast.cur, true);
}

/* Set the offset of @b as the mode's bump reads it. */
static void rt_set_off(struct region *r, struct region_block *b, long off)
{
	if (r->fast.percpu)
		local_set(&b->loff, off);
	else
		atomic_long_set(&b->off, off);
}

/* No CPU is inside a locked section or emitting an event of ours. */
static void rt_check_guards(struct kunit *test)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		KUNIT_EXPECT_EQ(test, per_cpu(region_guard.locked, cpu), 0U);
		KUNIT_EXPECT_EQ(test,
				per_cpu(region_guard.ctx[REGION_GUARD_SLOW], cpu),
				0U);
		KUNIT_EXPECT_EQ(test,
				per_cpu(region_guard.ctx[REGION_GUARD_EVENTS], cpu),
				0U);
	}
}

static void rt_recursion(struct kunit *test, unsigned int mode)
{
	struct region *a = rt_new_flags(test, "rt-rec-a", 0, 2, mode);
	struct region *b = rt_new_flags(test, "rt-rec-b", 0, 2, mode);
	u8 *first, *fast = NULL, *fill = NULL, *slow_a = NULL, *slow_b = NULL;
	u8 *self_b = NULL, *after, *want_after;
	unsigned int cause = REGION_FAIL_NR;
	struct region_stats st;
	unsigned long irqs, flags;
	bool locked;

	rt_quiesce(a);
	rt_quiesce(b);
	/* Interrupts off: one CPU, one current block throughout. */
	local_irq_save(irqs);
	first = region_alloc(a, 8, GFP_ATOMIC);
	locked = region_lock_atomic(a, &flags, &cause);
	if (locked) {
		/* The fast path takes no lock. */
		fast = region_alloc(a, 8, GFP_ATOMIC);
		fill = region_alloc(a, REGION_MAX_ALLOC - 16, GFP_ATOMIC);
		/* B's lock is free, but would nest inside A's. */
		slow_b = region_alloc(b, 8, GFP_ATOMIC);
		/* A is full: its slow path would spin on A's lock. */
		slow_a = region_alloc(a, 8, GFP_ATOMIC);
		region_unlock(a, flags);
	}
	/* Guard down: A's slow path installs a spare block. */
	after = region_alloc(a, 8, GFP_ATOMIC);
	want_after = rt_this_cur(a) ? (u8 *)rt_this_cur(a)->data : NULL;
	/* region_lock(), the process-context taker, raises the guard too. */
	region_lock(b, &flags);
	self_b = region_alloc(b, 8, GFP_ATOMIC);
	region_unlock(b, flags);
	local_irq_restore(irqs);

	KUNIT_ASSERT_TRUE(test, locked);
	KUNIT_ASSERT_NOT_NULL(test, first);
	KUNIT_EXPECT_PTR_EQ(test, fast, first + 8);
	KUNIT_EXPECT_PTR_EQ(test, fill, first + 16);
	KUNIT_EXPECT_NULL(test, slow_b);
	KUNIT_EXPECT_NULL(test, slow_a);
	KUNIT_EXPECT_NULL(test, self_b);
	KUNIT_EXPECT_NOT_NULL(test, after);
	KUNIT_EXPECT_PTR_EQ(test, after, want_after);
	KUNIT_EXPECT_EQ(test, rt_fail(a, REGION_FAIL_RECURSION), 1ULL);
	KUNIT_EXPECT_EQ(test, rt_fail(b, REGION_FAIL_RECURSION), 2ULL);
	rt_quiesce(a);
	rt_quiesce(b);
	/* Stats, not ->installs: per-CPU mode installs "after" from a stash. */
	region_get_stats(a, &st);
	KUNIT_EXPECT_EQ(test, st.block_installs, 2ULL);
	region_get_stats(b, &st);
	KUNIT_EXPECT_EQ(test, st.block_installs, 0ULL);
	rt_check_guards(test);
	rt_check(test, a);
	rt_check(test, b);
	/* Nothing stuck: B works once the guard is down. */
	KUNIT_EXPECT_NOT_NULL(test, region_alloc(b, 8, GFP_ATOMIC));
	rt_check(test, b);
}

static void rt_recursion_shared(struct kunit *test)
{
	rt_recursion(test, 0);
}

static void rt_recursion_percpu(struct kunit *test)
{
	rt_recursion(test, REGION_F_PERCPU);
}

/*
 * A probe on our own alloc_fail event that allocates, and fails: its
 * failure is counted but emits no second event on this CPU, so the probe
 * runs once per outer failure.  The probe stops itself at a depth of 4,
 * so that a missing guard shows up as a failed case rather than a stack
 * overflow.
 */

#define RT_PROBE_MAX_DEPTH	4

static struct {
	struct region *target;
	unsigned int calls, depth, max_depth;
	bool too_deep;
} rt_probe;

static void rt_probe_alloc_fail(void *data, const char *name, size_t size,
				const char *cause)
{
	if (strncmp(name, "rt-tp-", 6))
		return;
	if (rt_probe.depth >= RT_PROBE_MAX_DEPTH) {
		rt_probe.too_deep = true;
		return;
	}
	rt_probe.calls++;
	rt_probe.depth++;
	rt_probe.max_depth = max(rt_probe.max_depth, rt_probe.depth);
	/* Size 0 fails: a failure inside the probe. */
	region_alloc(READ_ONCE(rt_probe.target), 0, GFP_ATOMIC);
	rt_probe.depth--;
}

static void rt_trace_probe_nesting(struct kunit *test)
{
	struct region *a = rt_new(test, "rt-tp-a", 0, 1);
	struct region *b = rt_new(test, "rt-tp-b", 0, 1);
	unsigned int calls_b;
	void *p[3];
	int err;

	memset(&rt_probe, 0, sizeof(rt_probe));
	rt_probe.target = b;
	err = register_trace_alloc_fail(rt_probe_alloc_fail, NULL);
	KUNIT_ASSERT_EQ(test, err, 0);
	/* Two failures of A; the probe's allocation from B fails each time. */
	p[0] = region_alloc(a, 0, GFP_KERNEL);
	p[1] = region_alloc(a, REGION_MAX_ALLOC + 1, GFP_ATOMIC);
	calls_b = rt_probe.calls;
	/* The probe allocates from the region whose failure it sees. */
	WRITE_ONCE(rt_probe.target, a);
	p[2] = region_alloc(a, SIZE_MAX, GFP_KERNEL);
	unregister_trace_alloc_fail(rt_probe_alloc_fail, NULL);
	tracepoint_synchronize_unregister();

	KUNIT_EXPECT_NULL(test, p[0]);
	KUNIT_EXPECT_NULL(test, p[1]);
	KUNIT_EXPECT_NULL(test, p[2]);
	KUNIT_EXPECT_EQ(test, calls_b, 2U);
	KUNIT_EXPECT_EQ(test, rt_probe.calls, 3U);
	KUNIT_EXPECT_EQ(test, rt_probe.max_depth, 1U);
	KUNIT_EXPECT_FALSE(test, rt_probe.too_deep);
	/* Every failure counted, the probe's included. */
	KUNIT_EXPECT_EQ(test, rt_fail(a, REGION_FAIL_TOO_LARGE), 4ULL);
	KUNIT_EXPECT_EQ(test, rt_fail(b, REGION_FAIL_TOO_LARGE), 2ULL);
	rt_check_guards(test);
	rt_check(test, a);
	rt_check(test, b);
}

#ifdef CONFIG_LOCKDEP
/*
 * A probe on lockdep's lock:lock_acquire tracepoint that allocates (a lock
 * tracer).  Every lock the slow path takes fires it, rcu_read_lock()
 * included (its lockdep hook), so a slow path that took one before its
 * guard was up would recurse into itself without bound.  Armed for this
 * task only, around one region_alloc(); it stops at depth 4 so that a
 * regression fails the case instead of overflowing the stack.
 */
static struct {
	struct task_struct *task;
	struct region *r;
	unsigned int depth, max_depth, calls;
	bool too_deep;
} rt_lockprobe;

static void rt_lock_acquire_probe(void *data, struct lockdep_map *lock,
				  unsigned int subclass, int trylock, int read,
				  int check, struct lockdep_map *next_lock,
				  unsigned long ip)
{
	if (READ_ONCE(rt_lockprobe.task) != current || !in_task())
		return;
	rt_lockprobe.calls++;
	if (rt_lockprobe.depth >= 4) {
		rt_lockprobe.too_deep = true;
		return;
	}
	rt_lockprobe.depth++;
	rt_lockprobe.max_depth = max(rt_lockprobe.max_depth,
				     rt_lockprobe.depth);
	region_alloc(rt_lockprobe.r, 8, GFP_ATOMIC);
	rt_lockprobe.depth--;
}

static struct tracepoint *rt_lock_tp;

static void rt_find_lock_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "lock_acquire"))
		rt_lock_tp = tp;
}

static void rt_lockdep_probe(struct kunit *test)
{
	/* No reserve, no block: every allocation takes the slow path. */
	struct region *r = rt_new(test, "rt-lockprobe", 0, 0);
	void *p;
	int err;

	for_each_kernel_tracepoint(rt_find_lock_tp, NULL);
	if (!rt_lock_tp)
		kunit_skip(test, "no lock:lock_acquire tracepoint");
	memset(&rt_lockprobe, 0, sizeof(rt_lockprobe));
	rt_lockprobe.r = r;
	err = tracepoint_probe_register(rt_lock_tp, rt_lock_acquire_probe,
					NULL);
	KUNIT_ASSERT_EQ(test, err, 0);
	WRITE_ONCE(rt_lockprobe.task, current);
	p = region_alloc(r, 8, GFP_ATOMIC);
	WRITE_ONCE(rt_lockprobe.task, NULL);
	tracepoint_probe_unregister(rt_lock_tp, rt_lock_acquire_probe, NULL);
	tracepoint_synchronize_unregister();

	KUNIT_EXPECT_NULL(test, p);
	KUNIT_EXPECT_FALSE(test, rt_lockprobe.too_deep);
	KUNIT_EXPECT_EQ(test, rt_lockprobe.max_depth, 1U);
	/* The install lock fired the probe; its call was refused. */
	KUNIT_EXPECT_GE(test, rt_lockprobe.calls, 1U);
	KUNIT_EXPECT_EQ(test, rt_fail(r, REGION_FAIL_NO_RESERVE), 1ULL);
	KUNIT_EXPECT_EQ(test, rt_fail(r, REGION_FAIL_RECURSION),
			(u64)rt_lockprobe.calls);
	rt_check_guards(test);
	rt_check(test, r);
}
#else
static void rt_lockdep_probe(struct kunit *test)
{
	kunit_skip(test, "no CONFIG_LOCKDEP");
}
#endif

/*
 * Lock-free stats against a drop: an allocation and a whole drop inside
 * region_get_stats(), between its load of bytes_at_drop and its sums.
 * bytes_live may be stale, but never above bytes_alloc (a wrapped u64).
 */

static struct {
	unsigned int calls;
	void *p;
	int ret;
} rt_stats_race;

static void rt_stats_hook_drop(struct region *r)
{
	/* Once: region_get_stats() of the case's later checks runs plain. */
	WRITE_ONCE(region_test_stats_fn, NULL);
	rt_stats_race.calls++;
	rt_stats_race.p = region_alloc(r, 64, GFP_KERNEL);
	rt_stats_race.ret = region_drop(r);
}

static void rt_stats_vs_drop(struct kunit *test)
{
	struct region *r = rt_new(test, "rt-statsrace", 0, 1);
	struct region_stats st;

	KUNIT_ASSERT_NOT_NULL(test, region_alloc(r, 100, GFP_KERNEL));
	rt_quiesce(r);
	memset(&rt_stats_race, 0, sizeof(rt_stats_race));
	rt_stats_race.ret = -1;
	strscpy(region_test_target, "rt-statsrace", sizeof(region_test_target));
	WRITE_ONCE(region_test_stats_fn, rt_stats_hook_drop);

	region_get_stats(r, &st);
	KUNIT_EXPECT_EQ(test, rt_stats_race.calls, 1U);
	KUNIT_EXPECT_NOT_NULL(test, rt_stats_race.p);
	KUNIT_EXPECT_EQ(test, rt_stats_race.ret, 0);
	KUNIT_EXPECT_EQ(test, st.bytes_alloc, 104ULL + 64);
	KUNIT_EXPECT_LE(test, st.bytes_live, st.bytes_alloc);
	KUNIT_EXPECT_LE(test, st.bytes_live, 104ULL + 64);
	KUNIT_EXPECT_EQ(test, st.drops, 1ULL);

	/* Quiet again: exact figures. */
	rt_quiesce(r);
	region_get_stats(r, &st);
	KUNIT_EXPECT_EQ(test, st.bytes_live, 0ULL);
	KUNIT_EXPECT_EQ(test, st.bytes_alloc, 104ULL + 64);
	KUNIT_EXPECT_EQ(test, st.drops, 1ULL);
	rt_check(test, r);
}

/*
 * Name reuse: region_destroy() removes the debugfs directory before it
 * releases the name, so a region created with the same name as soon as the
 * name is free gets a directory and files of its own.
 */

static struct region *rt_reuse;

static void rt_name_reuse_hook(struct region *old)
{
	/* Once: the new region's own destroy runs plain. */
	WRITE_ONCE(region_test_name_fn, NULL);
	rt_reuse = region_create(old->name, NULL);
}

/* The debugfs file @dir/@name exists and is the one of @r. */
static bool rt_debugfs_file_of(struct dentry *dir, const char *name,
			       struct region *r)
{
	struct dentry *d = debugfs_lookup(name, dir);
	bool ok = d && d_inode(d)->i_private == r;

	dput(d);
	return ok;
}

static void rt_name_reuse(struct kunit *test)
{
	struct region *r = rt_new(test, "rt-reuse", 0, 1);
	struct rt_ctx *ctx = test->priv;
	struct dentry *dir;
	struct region *n;

	KUNIT_ASSERT_NOT_NULL(test, region_alloc(r, 8, GFP_KERNEL));
	rt_reuse = NULL;
	strscpy(region_test_target, "rt-reuse", sizeof(region_test_target));
	WRITE_ONCE(region_test_name_fn, rt_name_reuse_hook);
	rt_forget(test, r);
	region_destroy(r);
	n = rt_reuse;
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, n);
	ctx->r[0] = n;

	dir = debugfs_lookup("rt-reuse", region_debugfs_root);
	KUNIT_EXPECT_NOT_NULL(test, dir);
	KUNIT_EXPECT_PTR_EQ(test, dir, n->dir);
	KUNIT_EXPECT_TRUE(test, rt_debugfs_file_of(dir, "stats", n));
	KUNIT_EXPECT_TRUE(test, rt_debugfs_file_of(dir, "drop", n));
	dput(dir);
	KUNIT_EXPECT_NOT_NULL(test, region_alloc(n, 8, GFP_KERNEL));
	rt_check(test, n);

	/* Destroying the second one leaves nothing behind. */
	rt_forget(test, n);
	region_destroy(n);
	dir = debugfs_lookup("rt-reuse", region_debugfs_root);
	KUNIT_EXPECT_NULL(test, dir);
	dput(dir);
	mutex_lock(&region_mutex);
	KUNIT_EXPECT_NULL(test, region_find("rt-reuse"));
	mutex_unlock(&region_mutex);
}

/*
 * Per-CPU mode's stash: a full block is replaced from the CPU's stash
 * without region->lock, the lock only refills the stash a batch at a time.
 */

/* This CPU's stash; preemption off, or a quiet region. */
static struct region_stash *rt_this_stash(struct region *r)
{
	return this_cpu_ptr(r->stash);
}

static struct {
	const char *name;
	unsigned int events;
	unsigned long last_held;
} rt_installs;

static void rt_probe_block_install(void *data, const char *name,
				   unsigned long blocks_held, bool spare,
				   unsigned long size)
{
	if (strcmp(name, rt_installs.name))
		return;
	rt_installs.events++;
	rt_installs.last_held = blocks_held;
}

/*
 * Figures after stash installs: one locked install (no current block),
 * then ten from the stash, refilled twice (8 of 15 spares, then 4 of 7).
 * Every figure counts stashed blocks as spares and stash installs as
 * installs, the block_install event fires for each, the identities hold
 * and a drop gives the stash back to the spare list.
 */
static struct {
	struct region *r;
	struct completion done;
	bool ok;
} rt_stash_other;

/* One whole-block allocation on this kthread's CPU, then wait to stop. */
static int rt_stash_other_fn(void *data)
{
	rt_stash_other.ok = region_alloc(rt_stash_other.r, REGION_MAX_ALLOC,
					 GFP_ATOMIC);
	complete(&rt_stash_other.done);
	while (!kthread_should_stop())
		usleep_range(500, 1000);
	return 0;
}

static void rt_stash_stats(struct kunit *test)
{
	struct region *r = rt_new_flags(test, "rt-stash", 0, 16,
					REGION_F_PERCPU);
	unsigned int i, ok = 0, stashed = 0;
	u64 locked_installs = 0, stash_installs = 0;
	struct region_stats st;
	unsigned long flags;
	int err, cpu, stash_cpu;

	rt_quiesce(r);
	rt_installs.name = "rt-stash";
	rt_installs.events = 0;
	err = register_trace_block_install(rt_probe_block_install, NULL);
	KUNIT_ASSERT_EQ(test, err, 0);
	/* Interrupts off: one CPU, and the reserve refill waits. */
	local_irq_save(flags);
	for (i = 0; i < 11; i++)
		if (region_alloc(r, REGION_MAX_ALLOC, GFP_ATOMIC))
			ok++;
	region_get_stats(r, &st);
	locked_installs = r->installs;
	stash_installs = rt_this_stash(r)->installs;
	stashed = rt_this_stash(r)->nr;
	stash_cpu = smp_processor_id();
	local_irq_restore(flags);
	unregister_trace_block_install(rt_probe_block_install, NULL);
	tracepoint_synchronize_unregister();

	KUNIT_EXPECT_EQ(test, ok, 11U);
	KUNIT_EXPECT_EQ(test, locked_installs, 1ULL);
	KUNIT_EXPECT_EQ(test, stash_installs, 10ULL);
	/* Stash refills take this CPU's share (2 online CPUs): 7, then 4. */
	KUNIT_EXPECT_EQ(test, num_online_cpus(), 2U);
	KUNIT_EXPECT_EQ(test, stashed, 1U);
	KUNIT_EXPECT_EQ(test, st.block_installs, 11ULL);
	KUNIT_EXPECT_EQ(test, st.blocks_held, 11ULL);
	/* 16 - 1 - 7 - 4 on the spare list, and 1 in the stash. */
	KUNIT_EXPECT_EQ(test, st.reserve_blocks, 5ULL);
	KUNIT_EXPECT_EQ(test, st.bytes_held,
			st.bytes_live + st.bytes_free + st.bytes_wasted +
			st.blocks_held * REGION_BLOCK_HDR);
	KUNIT_EXPECT_EQ(test, rt_installs.events, 11U);
	KUNIT_EXPECT_EQ(test, rt_installs.last_held, 11UL);
	rt_check(test, r);

	/*
	 * The other CPU's first install takes the lock: its event counts the
	 * blocks this CPU's stash put in use too (it said 1 when it counted
	 * ->nr_in_use alone).
	 */
	err = register_trace_block_install(rt_probe_block_install, NULL);
	KUNIT_ASSERT_EQ(test, err, 0);
	rt_stash_other.r = r;
	init_completion(&rt_stash_other.done);
	rt_start_thread(test, rt_stash_other_fn, NULL,
			cpumask_any_but(cpu_online_mask, stash_cpu));
	wait_for_completion(&rt_stash_other.done);
	unregister_trace_block_install(rt_probe_block_install, NULL);
	tracepoint_synchronize_unregister();
	KUNIT_EXPECT_TRUE(test, rt_stash_other.ok);
	KUNIT_EXPECT_EQ(test, rt_installs.events, 12U);
	KUNIT_EXPECT_EQ(test, rt_installs.last_held, 12UL);
	rt_check(test, r);

	region_drop(r);
	for_each_possible_cpu(cpu) {
		KUNIT_EXPECT_EQ(test, per_cpu_ptr(r->stash, cpu)->nr, 0U);
		KUNIT_EXPECT_EQ(test, per_cpu_ptr(r->stash, cpu)->in_use, 0UL);
		KUNIT_EXPECT_TRUE(test,
				  list_empty(&per_cpu_ptr(r->stash, cpu)->retired));
	}
	region_get_stats(r, &st);
	KUNIT_EXPECT_EQ(test, st.blocks_held, 0ULL);
	KUNIT_EXPECT_EQ(test, st.bytes_held, 0ULL);
	KUNIT_EXPECT_EQ(test, st.block_installs, 12ULL);
	KUNIT_EXPECT_LE(test, st.reserve_blocks, 32ULL);
	rt_check(test, r);
	/* A second generation, left for region_destroy() (and kmemleak). */
	local_irq_save(flags);
	for (i = 0, ok = 0; i < 4; i++)
		if (region_alloc(r, REGION_MAX_ALLOC, GFP_ATOMIC))
			ok++;
	local_irq_restore(flags);
	KUNIT_EXPECT_EQ(test, ok, 4U);
	rt_check(test, r);
}

/* A kthread on another CPU that holds a region's lock, or drops it. */
static struct {
	struct region *r;
	bool go, held, release, timed_out, in_hook, took, dropped;
} rt_sx;

static int rt_lock_holder_fn(void *data)
{
	unsigned long flags;
	int i;

	while (!READ_ONCE(rt_sx.go) && !kthread_should_stop())
		usleep_range(500, 1000);
	if (READ_ONCE(rt_sx.go)) {
		raw_spin_lock_irqsave(&rt_sx.r->lock, flags);
		WRITE_ONCE(rt_sx.held, true);
		/* At most a second, so that a failing case does not hang. */
		for (i = 0; i < 1000 && !READ_ONCE(rt_sx.release); i++)
			mdelay(1);
		WRITE_ONCE(rt_sx.timed_out, !READ_ONCE(rt_sx.release));
		WRITE_ONCE(rt_sx.held, false);
		raw_spin_unlock_irqrestore(&rt_sx.r->lock, flags);
	}
	while (!kthread_should_stop())
		usleep_range(500, 1000);
	return 0;
}

/* Pin the case's thread to @cpu, the other kthread to another CPU. */
static int rt_stash_cpus(struct kunit *test, int *other)
{
	int cpu = cpumask_first(cpu_online_mask);

	*other = cpumask_next(cpu, cpu_online_mask);
	if (*other >= nr_cpu_ids)
		return -1;
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(cpu)),
			0);
	return cpu;
}

/*
 * A stash install takes no lock: another CPU holds region->lock (for a
 * second at most) while this CPU fills its block and installs the next one
 * from its stash.  Had the install taken the lock, it would have waited
 * for the holder to give up.
 */
static void rt_stash_no_lock(struct kunit *test)
{
	struct region *r = rt_new_flags(test, "rt-stash-nolock", 0, 8,
					REGION_F_PERCPU);
	u64 before = 0, after = 0, locked_before, locked_after;
	bool held_throughout = false;
	unsigned int stashed = 0;
	void *p = NULL;
	int cpu, other, i;

	if (rt_stash_cpus(test, &other) < 0)
		kunit_skip(test, "one CPU");
	memset(&rt_sx, 0, sizeof(rt_sx));
	rt_sx.r = r;
	rt_start_thread(test, rt_lock_holder_fn, NULL, other);
	/* No current block: a locked install; then fill it, stash one. */
	KUNIT_ASSERT_NOT_NULL(test, region_alloc(r, REGION_MAX_ALLOC,
						 GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, region_alloc(r, REGION_MAX_ALLOC,
						 GFP_KERNEL));
	rt_quiesce(r);
	cpu = get_cpu();
	stashed = rt_this_stash(r)->nr;
	put_cpu();
	KUNIT_ASSERT_GT(test, stashed, 0U);

	WRITE_ONCE(rt_sx.go, true);
	for (i = 0; i < 1000 && !READ_ONCE(rt_sx.held); i++)
		usleep_range(500, 1000);
	KUNIT_ASSERT_TRUE(test, READ_ONCE(rt_sx.held));
	preempt_disable();
	locked_before = READ_ONCE(r->installs);
	before = rt_this_stash(r)->installs;
	p = region_alloc(r, REGION_MAX_ALLOC, GFP_ATOMIC);
	after = rt_this_stash(r)->installs;
	held_throughout = READ_ONCE(rt_sx.held) && !READ_ONCE(rt_sx.timed_out);
	locked_after = READ_ONCE(r->installs);
	preempt_enable();
	WRITE_ONCE(rt_sx.release, true);
	for (i = 0; i < 2000 && READ_ONCE(rt_sx.held); i++)
		usleep_range(500, 1000);

	KUNIT_EXPECT_EQ(test, raw_smp_processor_id(), cpu);
	KUNIT_EXPECT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, held_throughout);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(rt_sx.timed_out));
	KUNIT_EXPECT_EQ(test, after, before + 1);
	KUNIT_EXPECT_EQ(test, locked_after, locked_before);
	rt_check(test, r);
}

/*
 * In a stash section, before its cmpxchg(): wait until a drop on another
 * CPU has taken this CPU's current block (it does so before its grace
 * period, which waits for this section).
 */
static void rt_stash_wait_drop(struct region *r)
{
	int i;

	WRITE_ONCE(region_test_stash_fn, NULL);
	WRITE_ONCE(rt_sx.in_hook, true);
	for (i = 0; i < 1000; i++) {
		if (!rcu_access_pointer(this_cpu_ptr(r->fast.pcpu)->cur))
			break;
		mdelay(1);
	}
	WRITE_ONCE(rt_sx.took, !rcu_access_pointer(this_cpu_ptr(r->fast.pcpu)->cur));
}

static int rt_stash_dropper_fn(void *data)
{
	int i;

	for (i = 0; i < 2000 && !READ_ONCE(rt_sx.in_hook) &&
	     !kthread_should_stop(); i++)
		usleep_range(500, 1000);
	if (READ_ONCE(rt_sx.in_hook)) {
		region_drop(rt_sx.r);
		WRITE_ONCE(rt_sx.dropped, true);
	}
	while (!kthread_should_stop())
		usleep_range(500, 1000);
	return 0;
}

/*
 * A drop takes this CPU's current block while its stash section is about
 * to install the next one: the cmpxchg() fails, the allocation fails as
 * "dropping", the block it was about to install goes back to the stash
 * unpublished (zero: rt_check()) and from there, with the drop, to the
 * spare list; the block the drop took is the drop's.  Nothing leaks
 * (vmalloc_calls - vfree_calls, and kmemleak at the end of the run).
 */
static void rt_stash_drop_race(struct kunit *test)
{
	struct region *r = rt_new_flags(test, "rt-stash-drop", 0, 8,
					REGION_F_PERCPU);
	struct region_stats st;
	int cpu, other, i;
	void *p;

	cpu = rt_stash_cpus(test, &other);
	if (cpu < 0)
		kunit_skip(test, "one CPU");
	memset(&rt_sx, 0, sizeof(rt_sx));
	rt_sx.r = r;
	KUNIT_ASSERT_NOT_NULL(test, region_alloc(r, REGION_MAX_ALLOC,
						 GFP_KERNEL));
	rt_quiesce(r);
	strscpy(region_test_target, "rt-stash-drop",
		sizeof(region_test_target));
	WRITE_ONCE(region_test_stash_fn, rt_stash_wait_drop);
	rt_start_thread(test, rt_stash_dropper_fn, NULL, other);
	p = region_alloc(r, REGION_MAX_ALLOC, GFP_ATOMIC);
	for (i = 0; i < 5000 && !READ_ONCE(rt_sx.dropped); i++)
		usleep_range(500, 1000);

	KUNIT_ASSERT_TRUE(test, READ_ONCE(rt_sx.in_hook));
	KUNIT_ASSERT_TRUE(test, READ_ONCE(rt_sx.dropped));
	KUNIT_EXPECT_TRUE(test, READ_ONCE(rt_sx.took));
	KUNIT_EXPECT_NULL(test, p);
	region_get_stats(r, &st);
	KUNIT_EXPECT_EQ(test, st.fail[REGION_FAIL_DROPPING], 1ULL);
	KUNIT_EXPECT_EQ(test, st.failures, 1ULL);
	KUNIT_EXPECT_EQ(test, st.drops, 1ULL);
	KUNIT_EXPECT_EQ(test, st.blocks_held, 0ULL);
	KUNIT_EXPECT_EQ(test, st.block_installs, 1ULL);
	KUNIT_EXPECT_EQ(test, per_cpu_ptr(r->stash, cpu)->nr, 0U);
	rt_check(test, r);
	/* The fence is down: the next allocation installs a block again. */
	KUNIT_EXPECT_NOT_NULL(test, region_alloc(r, 8, GFP_KERNEL));
	rt_check(test, r);
}

/*
 * Bump overflow: a block whose offset is near LONG_MAX (a retired block
 * bumped by many stale callers) is not added to at all, so the offset
 * cannot wrap round to a small value inside the block; the call installs a
 * new block instead.  Just below the end, a request that fits still fits.
 */
static void rt_bump_overflow(struct kunit *test, unsigned int mode)
{
	struct region *r = rt_new_flags(test, "rt-overflow", 0, 2, mode);
	struct region_block *old, *nb = NULL;
	u8 *first, *last = NULL, *p = NULL;
	long off = 0;
	unsigned long flags;

	rt_quiesce(r);
	/* Interrupts off: this CPU's block stays the one bumped. */
	local_irq_save(flags);
	first = region_alloc(r, 8, GFP_ATOMIC);
	old = rt_this_cur(r);
	if (first && old) {
		rt_set_off(r, old, REGION_MAX_ALLOC - 8);
		last = region_alloc(r, 8, GFP_ATOMIC);
		rt_set_off(r, old, LONG_MAX - 3);
		p = region_alloc(r, 8, GFP_ATOMIC);
		nb = rt_this_cur(r);
		off = atomic_long_read(&old->off);
		/* An add that wrapped: full again, for the drop's memset. */
		if (off != LONG_MAX - 3)
			rt_set_off(r, old, REGION_MAX_ALLOC);
	}
	local_irq_restore(flags);

	KUNIT_ASSERT_NOT_NULL(test, first);
	KUNIT_ASSERT_NOT_NULL(test, old);
	KUNIT_EXPECT_PTR_EQ(test, first, (u8 *)old->data);
	KUNIT_EXPECT_PTR_EQ(test, last, (u8 *)old->data + REGION_MAX_ALLOC - 8);
	KUNIT_ASSERT_NOT_NULL(test, nb);
	KUNIT_EXPECT_PTR_NE(test, nb, old);
	/* From the new block, not from a wrapped offset of the old one. */
	KUNIT_EXPECT_PTR_EQ(test, p, (u8 *)nb->data);
	/* No add happened on the old block. */
	KUNIT_EXPECT_EQ(test, off, LONG_MAX - 3);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&nb->off), 8L);
	rt_check(test, r);
	region_drop(r);
	rt_check(test, r);
}

static void rt_bump_overflow_shared(struct kunit *test)
{
	rt_bump_overflow(test, 0);
}

static void rt_bump_overflow_percpu(struct kunit *test)
{
	rt_bump_overflow(test, REGION_F_PERCPU);
}

/*
 * on_drop may not drop or destroy any region: region_drop() returns
 * -EDEADLK, region_destroy() refuses and keeps the region as an orphan.
 * A region without on_drop refuses debugfs drops.
 */

struct rt_od_rule {
	struct region *other;
	unsigned int calls;
	int drop_other, drop_self;
};

static void rt_od_rule_fn(struct region *r, void *priv)
{
	struct rt_od_rule *s = priv;

	s->calls++;
	s->drop_other = region_drop(s->other);
	s->drop_self = region_drop(r);
	region_destroy(s->other);
}

static void rt_on_drop_refuses(struct kunit *test)
{
	struct region *other = rt_new(test, "rt-od-other", 0, 1);
	struct rt_ctx *ctx = test->priv;
	struct region_params p = { .reserve_blocks = 1 };
	struct rt_od_rule *s;
	struct region *self;
	bool alive;

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	s->other = other;
	s->drop_other = 1;
	s->drop_self = 1;
	p.on_drop = rt_od_rule_fn;
	p.priv = s;
	self = region_create("rt-od-self", &p);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, self);
	ctx->r[1] = self;
	KUNIT_ASSERT_NOT_NULL(test, region_alloc(other, 8, GFP_KERNEL));
	KUNIT_ASSERT_NOT_NULL(test, region_alloc(self, 8, GFP_KERNEL));

	/* No on_drop: refused. */
	KUNIT_EXPECT_EQ(test, region_debugfs_drop(other), -EPERM);
	KUNIT_EXPECT_EQ(test, other->drops, 0ULL);

	KUNIT_EXPECT_EQ(test, region_debugfs_drop(self), 0);
	KUNIT_EXPECT_EQ(test, s->calls, 1U);
	KUNIT_EXPECT_EQ(test, s->drop_other, -EDEADLK);
	KUNIT_EXPECT_EQ(test, s->drop_self, -EDEADLK);
	KUNIT_EXPECT_EQ(test, self->drops, 1ULL);

	mutex_lock(&region_mutex);
	alive = region_find("rt-od-other") == other;
	mutex_unlock(&region_mutex);
	KUNIT_EXPECT_TRUE(test, alive);
	if (!alive) {
		/* Destroyed in spite of the rule: do not free it twice. */
		rt_forget(test, other);
		return;
	}
	/*
	 * Kept, untouched, usable; outside on_drop the calls work.  Kept as
	 * an orphan: its owner believes it destroyed, so no debugfs drop.
	 */
	KUNIT_EXPECT_TRUE(test, READ_ONCE(other->orphan));
	KUNIT_EXPECT_FALSE(test, READ_ONCE(self->orphan));
	KUNIT_EXPECT_EQ(test, other->drops, 0ULL);
	KUNIT_EXPECT_NOT_NULL(test, region_alloc(other, 8, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, region_drop(other), 0);
	KUNIT_EXPECT_EQ(test, other->drops, 1ULL);
	KUNIT_EXPECT_EQ(test, region_drop(self), 0);
	rt_check(test, other);
	rt_check(test, self);
}

/*
 * Orphans: the owner module of a region goes away without destroying it.
 * The module notifier orphans that module's regions only: their debugfs
 * drops are refused without calling on_drop (its code is gone).
 */

static struct module rt_fake_owner;

static void rt_od_count_fn(struct region *r, void *priv)
{
	unsigned int *calls = priv;

	(*calls)++;
}

static void rt_orphan(struct kunit *test)
{
	struct region_params p = { .reserve_blocks = 1 };
	unsigned int calls_gone = 0, calls_kept = 0;
	struct rt_ctx *ctx = test->priv;
	struct region *gone, *kept;

	p.on_drop = rt_od_count_fn;
	p.priv = &calls_gone;
	gone = __region_create("rt-orphan", &p, &rt_fake_owner);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, gone);
	ctx->r[0] = gone;
	p.priv = &calls_kept;
	kept = region_create("rt-kept", &p);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, kept);
	ctx->r[1] = kept;
	KUNIT_EXPECT_PTR_EQ(test, gone->owner, &rt_fake_owner);
	KUNIT_EXPECT_PTR_EQ(test, kept->owner, THIS_MODULE);

	/* Another state change of the owner is no reason to orphan. */
	KUNIT_EXPECT_EQ(test, region_module_notify(NULL, MODULE_STATE_LIVE,
						   &rt_fake_owner),
			NOTIFY_DONE);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(gone->orphan));
	KUNIT_EXPECT_EQ(test, region_debugfs_drop(gone), 0);
	KUNIT_EXPECT_EQ(test, calls_gone, 1U);

	/*
	 * rmmod marks the owner GOING before its exit runs, and its exit may
	 * free what on_drop uses: refused from then on, before the notifier.
	 */
	rt_fake_owner.state = MODULE_STATE_GOING;
	KUNIT_EXPECT_EQ(test, region_debugfs_drop(gone), -EPERM);
	KUNIT_EXPECT_EQ(test, calls_gone, 1U);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(gone->orphan));

	KUNIT_EXPECT_EQ(test, region_module_notify(NULL, MODULE_STATE_GOING,
						   &rt_fake_owner),
			NOTIFY_OK);
	rt_fake_owner.state = MODULE_STATE_LIVE;
	KUNIT_EXPECT_TRUE(test, READ_ONCE(gone->orphan));
	/* Kept: region_debugfs_drop() reads it; the orphan flag rules. */
	KUNIT_EXPECT_PTR_EQ(test, gone->owner, &rt_fake_owner);
	/* Still an allocator for whoever holds it... */
	KUNIT_EXPECT_NOT_NULL(test, region_alloc(gone, 8, GFP_KERNEL));
	/* ...but debugfs drops are refused, on_drop not called. */
	KUNIT_EXPECT_EQ(test, region_debugfs_drop(gone), -EPERM);
	KUNIT_EXPECT_EQ(test, calls_gone, 1U);
	KUNIT_EXPECT_EQ(test, gone->drops, 1ULL);
	KUNIT_EXPECT_EQ(test, region_drop(gone), 0);
	KUNIT_EXPECT_EQ(test, gone->drops, 2ULL);

	/* The region of another owner is untouched. */
	KUNIT_EXPECT_FALSE(test, READ_ONCE(kept->orphan));
	KUNIT_EXPECT_PTR_EQ(test, kept->owner, THIS_MODULE);
	KUNIT_EXPECT_EQ(test, region_debugfs_drop(kept), 0);
	KUNIT_EXPECT_EQ(test, calls_kept, 1U);
	rt_check(test, gone);
	rt_check(test, kept);
}

/* NMI: a real one, raised on this CPU by a self-IPI. */

#ifdef CONFIG_X86_LOCAL_APIC
static struct {
	struct region *r;
	int cpu;
	atomic_t armed;
	atomic_t done;
	bool in_nmi;
	void *p;
} rt_nmi;

static int rt_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	if (smp_processor_id() != READ_ONCE(rt_nmi.cpu) ||
	    atomic_cmpxchg(&rt_nmi.armed, 1, 0) != 1)
		return NMI_DONE;
	rt_nmi.in_nmi = in_nmi();
	rt_nmi.p = region_alloc(rt_nmi.r, 24, GFP_ATOMIC);
	atomic_set_release(&rt_nmi.done, 1);
	return NMI_HANDLED;
}

/* Caller has interrupts off: the NMI hits this CPU while it waits. */
static bool rt_alloc_in_nmi(struct region *r, void **p)
{
	int i;

	lockdep_assert_irqs_disabled();
	rt_nmi.r = r;
	rt_nmi.p = NULL;
	rt_nmi.in_nmi = false;
	WRITE_ONCE(rt_nmi.cpu, smp_processor_id());
	atomic_set(&rt_nmi.done, 0);
	atomic_set(&rt_nmi.armed, 1);
	apic->send_IPI(smp_processor_id(), NMI_VECTOR);
	for (i = 0; i < 1000 && !atomic_read_acquire(&rt_nmi.done); i++)
		mdelay(1);
	atomic_set(&rt_nmi.armed, 0);
	*p = rt_nmi.p;
	return atomic_read_acquire(&rt_nmi.done) && rt_nmi.in_nmi;
}

static void rt_nmi_trylock(struct kunit *test, unsigned int mode)
{
	struct region *r = rt_new_flags(test, "rt-nmi", 0, 2, mode);
	struct region_stats st;
	unsigned long flags;
	bool busy_ran, ran;
	u8 *p, *q;
	int err;

	err = register_nmi_handler(NMI_LOCAL, rt_nmi_handler, 0, "rt_kunit");
	KUNIT_ASSERT_EQ(test, err, 0);
	/* A full current block: the next request takes the slow path. */
	KUNIT_EXPECT_NOT_NULL(test, region_alloc(r, REGION_MAX_ALLOC,
						 GFP_KERNEL));
	rt_quiesce(r);

	/* The install lock is held by the CPU the NMI interrupts. */
	raw_spin_lock_irqsave(&r->lock, flags);
	busy_ran = rt_alloc_in_nmi(r, (void **)&p);
	raw_spin_unlock_irqrestore(&r->lock, flags);

	/* Lock free: the NMI installs a spare block, then bumps it. */
	local_irq_save(flags);
	ran = rt_alloc_in_nmi(r, (void **)&q) && q;
	if (ran)
		ran = rt_alloc_in_nmi(r, (void **)&p) && p == q + 24;
	local_irq_restore(flags);
	unregister_nmi_handler(NMI_LOCAL, "rt_kunit");

	KUNIT_ASSERT_TRUE_MSG(test, busy_ran, "no NMI arrived");
	KUNIT_EXPECT_TRUE(test, ran);
	rt_quiesce(r);
	region_get_stats(r, &st);
	KUNIT_EXPECT_EQ(test, st.fail[REGION_FAIL_NMI_BUSY], 1ULL);
	KUNIT_EXPECT_EQ(test, st.failures, 1ULL);
	KUNIT_EXPECT_EQ(test, st.block_installs, 2ULL);
	KUNIT_EXPECT_EQ(test, st.allocs, 3ULL);
	/* The install in NMI kicked the refill through irq_work. */
	KUNIT_EXPECT_EQ(test, st.reserve_blocks, 2ULL);
	rt_check(test, r);
}

/*
 * An NMI that interrupts a region's locked section on its CPU: it fails as
 * "recursion" without trying any lock, A's (which its own CPU holds, where
 * the trylock above said "busy") and B's (free, but it would nest).
 */
static void rt_nmi_guard(struct kunit *test, unsigned int mode)
{
	struct region *a = rt_new_flags(test, "rt-nmi-a", 0, 2, mode);
	struct region *b = rt_new_flags(test, "rt-nmi-b", 0, 2, mode);
	bool ran_a, ran_b, ran;
	unsigned long flags;
	void *pa, *pb, *pc;
	int err;

	err = register_nmi_handler(NMI_LOCAL, rt_nmi_handler, 0, "rt_kunit");
	KUNIT_ASSERT_EQ(test, err, 0);
	KUNIT_EXPECT_NOT_NULL(test, region_alloc(a, REGION_MAX_ALLOC,
						 GFP_KERNEL));
	rt_quiesce(a);
	rt_quiesce(b);

	/* Lock and guard, as a locked section of region_alloc() has them. */
	region_lock(a, &flags);
	ran_a = rt_alloc_in_nmi(a, &pa);
	ran_b = rt_alloc_in_nmi(b, &pb);
	region_unlock(a, flags);

	/* Guard down: an NMI installs a spare block. */
	local_irq_save(flags);
	ran = rt_alloc_in_nmi(a, &pc) && pc;
	local_irq_restore(flags);
	unregister_nmi_handler(NMI_LOCAL, "rt_kunit");

	KUNIT_ASSERT_TRUE_MSG(test, ran_a && ran_b, "no NMI arrived");
	KUNIT_EXPECT_NULL(test, pa);
	KUNIT_EXPECT_NULL(test, pb);
	KUNIT_EXPECT_TRUE(test, ran);
	KUNIT_EXPECT_EQ(test, rt_fail(a, REGION_FAIL_RECURSION), 1ULL);
	KUNIT_EXPECT_EQ(test, rt_fail(b, REGION_FAIL_RECURSION), 1ULL);
	KUNIT_EXPECT_EQ(test, rt_fail(a, REGION_FAIL_NMI_BUSY), 0ULL);
	KUNIT_EXPECT_EQ(test, rt_fail(b, REGION_FAIL_NMI_BUSY), 0ULL);
	rt_quiesce(a);
	rt_quiesce(b);
	KUNIT_EXPECT_EQ(test, b->installs, 0ULL);
	rt_check_guards(test);
	rt_check(test, a);
	rt_check(test, b);
}
#else
static void rt_nmi_trylock(struct kunit *test, unsigned int mode)
{
	kunit_skip(test, "no local APIC to raise an NMI");
}

static void rt_nmi_guard(struct kunit *test, unsigned int mode)
{
	kunit_skip(test, "no local APIC to raise an NMI");
}
#endif

static void rt_nmi_trylock_shared(struct kunit *test)
{
	rt_nmi_trylock(test, 0);
}

static void rt_nmi_trylock_percpu(struct kunit *test)
{
	rt_nmi_trylock(test, REGION_F_PERCPU);
}

static void rt_nmi_guard_shared(struct kunit *test)
{
	rt_nmi_guard(test, 0);
}

static void rt_nmi_guard_percpu(struct kunit *test)
{
	rt_nmi_guard(test, REGION_F_PERCPU);
}

/*
 * Generation sets.  Readers publish a record per slot and read it back
 * after a delay, as a probe uses its table; flush and on_drop check that
 * no reader is still inside a slot they end, and that no debugfs drop
 * reaches an ended generation before its flush.
 */

#define RT_GEN_MAGIC	0x7e57ab1e5eedULL

struct rt_gen {
	struct region_gen *g;
	atomic_t inside[REGION_GEN_SLOTS];
	u64 *pub[REGION_GEN_SLOTS];
	bool pending[REGION_GEN_SLOTS];
	unsigned int flushes, on_drops;
	unsigned int last_slot;
	unsigned long last_gen;
	u64 live_at_flush;
	/* Call advance and drop from the callbacks (they must be refused). */
	bool try_rules;
	int advance_in_cb, drop_in_cb;
	struct region *other;
	atomic_long_t readers_seen, unflushed_drops, allocs, bad, drops_done;
	struct hrtimer timer;
	bool stop;
};

static void rt_gen_flush(struct region_gen *g, unsigned int slot,
			 unsigned long gen, void *priv)
{
	struct rt_gen *s = priv;
	struct region_stats st;

	s->flushes++;
	s->last_slot = slot;
	s->last_gen = gen;
	if (atomic_read(&s->inside[slot]))
		atomic_long_inc(&s->readers_seen);
	WRITE_ONCE(s->pub[slot], NULL);
	WRITE_ONCE(s->pending[slot], false);
	region_get_stats(region_gen_region(g, slot), &st);
	s->live_at_flush = st.bytes_live;
	if (!s->try_rules)
		return;
	s->advance_in_cb = region_gen_advance(g);
	if (s->other)
		s->drop_in_cb = region_drop(s->other);
}

static void rt_gen_on_drop(struct region_gen *g, unsigned int slot, void *priv)
{
	struct rt_gen *s = priv;

	s->on_drops++;
	s->last_slot = slot;
	/* An ended generation is flushed before anyone else sees it. */
	if (slot != region_gen_current(g) % REGION_GEN_SLOTS &&
	    READ_ONCE(s->pending[slot]))
		atomic_long_inc(&s->unflushed_drops);
	WRITE_ONCE(s->pub[slot], NULL);
	if (s->try_rules)
		s->advance_in_cb = region_gen_advance(g);
}

static struct region_gen *rt_gen_new(struct kunit *test, const char *prefix,
				     struct rt_gen *s, bool on_drop)
{
	struct region_gen_params p = {
		.region.reserve_blocks = 1,
		.flush = rt_gen_flush,
		.on_drop = on_drop ? rt_gen_on_drop : NULL,
		.priv = s,
	};
	struct rt_ctx *ctx = test->priv;

	s->g = region_gen_create(prefix, &p);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, s->g);
	ctx->gen = s->g;
	return s->g;
}

static void rt_gen_create_params(struct kunit *test)
{
	struct region_gen_params p = { .region.reserve_blocks = 1 };
	struct region *taken = rt_new(test, "rt-gtaken-1", 0, 0);
	struct region_gen *g;
	bool gone;

	KUNIT_EXPECT_EQ(test, PTR_ERR(region_gen_create(NULL, &p)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(region_gen_create("", &p)), -EINVAL);
	/* Too long with its "-N" suffix. */
	KUNIT_EXPECT_EQ(test,
			PTR_ERR(region_gen_create("abcdefghijklmnopqrstuvwxyz0123", &p)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(region_gen_create("Bad", &p)), -EINVAL);
	p.region.on_drop = rt_od_count_fn;
	KUNIT_EXPECT_EQ(test, PTR_ERR(region_gen_create("rt-g", &p)), -EINVAL);
	p.region.on_drop = NULL;
	p.region.priv = test;
	KUNIT_EXPECT_EQ(test, PTR_ERR(region_gen_create("rt-g", &p)), -EINVAL);
	p.region.priv = NULL;
	p.region.reserve_blocks = REGION_MAX_RESERVE + 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(region_gen_create("rt-g", &p)), -EINVAL);

	/* Slot 1's name is taken: slot 0's region does not stay behind. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(region_gen_create("rt-gtaken", NULL)),
			-EEXIST);
	mutex_lock(&region_mutex);
	gone = !region_find("rt-gtaken-0") && region_find("rt-gtaken-1") == taken;
	mutex_unlock(&region_mutex);
	KUNIT_EXPECT_TRUE(test, gone);

	/* NULL params: defaults, and debugfs drops refused (no on_drop). */
	g = region_gen_create("rt-gdef", NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, g);
	KUNIT_EXPECT_EQ(test, g->slot[0].r->reserve_target, default_reserve);
	KUNIT_EXPECT_EQ(test, region_debugfs_drop(g->slot[0].r), -EPERM);
	/* The set's regions are the set's to drop and destroy. */
	KUNIT_EXPECT_EQ(test, region_drop(g->slot[0].r), -EINVAL);
	region_destroy(g->slot[1].r);
	mutex_lock(&region_mutex);
	gone = region_find("rt-gdef-1") != g->slot[1].r;
	mutex_unlock(&region_mutex);
	KUNIT_EXPECT_FALSE(test, gone);
	KUNIT_EXPECT_EQ(test, g->slot[0].r->drops, 0ULL);
	KUNIT_EXPECT_EQ(test, region_gen_advance(g), 0);
	KUNIT_EXPECT_EQ(test, region_gen_current(g), 1UL);
	region_gen_destroy(g);
	region_gen_destroy(NULL);
	region_gen_destroy(ERR_PTR(-EINVAL));
}

static void rt_gen_advance(struct kunit *test)
{
	struct rt_gen *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct region_stats st;
	struct region_gen *g;
	unsigned int slot, i;
	u8 *p;

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->other = rt_new(test, "rt-gother", 0, 0);
	s->try_rules = true;
	s->advance_in_cb = 1;
	s->drop_in_cb = 1;
	g = rt_gen_new(test, "rt-gadv", s, false);
	KUNIT_EXPECT_EQ(test, region_gen_current(g), 0UL);

	for (i = 0; i < 4; i++) {
		slot = region_gen_read_lock(g);
		KUNIT_EXPECT_EQ(test, slot, i % REGION_GEN_SLOTS);
		/* Blocking gfp in a read section: used as non-blocking. */
		p = region_gen_alloc(g, slot, 100, GFP_KERNEL);
		region_gen_read_unlock(g);
		KUNIT_ASSERT_NOT_NULL(test, p);
		/* Zeroed, also in a slot dropped and recycled before. */
		KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, 100));
		memset(p, 0xa5, 100);

		KUNIT_EXPECT_EQ(test, region_gen_advance(g), 0);
		KUNIT_EXPECT_EQ(test, s->flushes, i + 1);
		KUNIT_EXPECT_EQ(test, s->last_slot, slot);
		KUNIT_EXPECT_EQ(test, s->last_gen, (unsigned long)i);
		/* flush sees the generation whole, then it is dropped. */
		KUNIT_EXPECT_EQ(test, s->live_at_flush, 104ULL);
		KUNIT_EXPECT_EQ(test, s->advance_in_cb, -EDEADLK);
		KUNIT_EXPECT_EQ(test, s->drop_in_cb, -EDEADLK);
		region_get_stats(region_gen_region(g, slot), &st);
		KUNIT_EXPECT_EQ(test, st.bytes_live, 0ULL);
		KUNIT_EXPECT_EQ(test, st.drops, (u64)(i / 2 + 1));
		KUNIT_EXPECT_EQ(test, region_gen_current(g), i + 1UL);
		rt_check(test, region_gen_region(g, slot));
	}
	KUNIT_EXPECT_EQ(test, s->other->drops, 0ULL);
}

/* A debugfs drop of a slot calls on_drop for that slot, under the rules. */
static void rt_gen_debugfs_drop(struct kunit *test)
{
	struct rt_gen *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct region_gen *g;
	unsigned int slot;

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->try_rules = true;
	g = rt_gen_new(test, "rt-gdrop", s, true);
	KUNIT_EXPECT_EQ(test, region_gen_advance(g), 0);
	slot = region_gen_read_lock(g);
	KUNIT_EXPECT_NOT_NULL(test, region_gen_alloc(g, slot, 8, GFP_NOWAIT));
	region_gen_read_unlock(g);
	s->advance_in_cb = 1;
	KUNIT_EXPECT_EQ(test, region_debugfs_drop(g->slot[slot].r), 0);
	KUNIT_EXPECT_EQ(test, s->on_drops, 1U);
	KUNIT_EXPECT_EQ(test, s->last_slot, slot);
	KUNIT_EXPECT_EQ(test, s->advance_in_cb, -EDEADLK);
	KUNIT_EXPECT_EQ(test, region_gen_current(g), 1UL);
	KUNIT_EXPECT_EQ(test, g->slot[slot].r->drops, 1ULL);
}

/*
 * One read section: find this slot's published record and check it after
 * a delay, or allocate one and publish it.  A record freed or recycled
 * (zeroed) under a reader shows as a wrong magic.
 */
static void rt_gen_read(struct rt_gen *s, gfp_t gfp)
{
	unsigned int slot = region_gen_read_lock(s->g);
	u64 *p;

	atomic_inc(&s->inside[slot]);
	p = READ_ONCE(s->pub[slot]);
	if (!p) {
		p = region_gen_alloc(s->g, slot, 64, gfp);
		if (p) {
			if (memchr_inv(p, 0, 64))
				atomic_long_inc(&s->bad);
			p[0] = RT_GEN_MAGIC + slot;
			WRITE_ONCE(s->pending[slot], true);
			/* Published after it is filled in. */
			if (cmpxchg(&s->pub[slot], NULL, p))
				p = NULL;
			atomic_long_inc(&s->allocs);
		}
	}
	if (p) {
		udelay(2);
		if (READ_ONCE(p[0]) != RT_GEN_MAGIC + slot)
			atomic_long_inc(&s->bad);
	}
	atomic_dec(&s->inside[slot]);
	region_gen_read_unlock(s->g);
}

static int rt_gen_reader_fn(void *data)
{
	struct rt_gen *s = data;
	unsigned int i = 0;

	while (!kthread_should_stop()) {
		rt_gen_read(s, GFP_NOWAIT);
		if (!(++i % 16))
			cond_resched();
	}
	return 0;
}

/* Debugfs drops of both slots, as root writing the drop files. */
static int rt_gen_dropper_fn(void *data)
{
	struct rt_gen *s = data;
	unsigned int i = 0;

	while (!kthread_should_stop()) {
		if (!region_debugfs_drop(s->g->slot[i++ % 2].r))
			atomic_long_inc(&s->drops_done);
		usleep_range(100, 300);
	}
	return 0;
}

static enum hrtimer_restart rt_gen_timer_fn(struct hrtimer *t)
{
	struct rt_gen *s = container_of(t, struct rt_gen, timer);

	rt_gen_read(s, GFP_ATOMIC);
	if (READ_ONCE(s->stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(100 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/*
 * Advances and debugfs drops of both slots race readers in task and
 * hardirq context on every CPU.
 */
static void rt_gen_advance_vs_readers(struct kunit *test)
{
	struct rt_gen *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct rt_ctx *ctx = test->priv;
	int i, n = min_t(int, RT_WORKERS - 1, num_online_cpus());
	struct task_struct *t[RT_WORKERS];

	KUNIT_ASSERT_NOT_NULL(test, s);
	rt_gen_new(test, "rt-grace", s, true);
	for (i = 0; i < n; i++)
		t[i] = rt_start_thread(test, rt_gen_reader_fn, s, i);
	t[n] = rt_start_thread(test, rt_gen_dropper_fn, s, -1);
	hrtimer_setup(&s->timer, rt_gen_timer_fn, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL_HARD);
	ctx->timer = &s->timer;
	hrtimer_start(&s->timer, ns_to_ktime(100 * NSEC_PER_USEC), HRTIMER_MODE_REL_HARD);
	for (i = 0; i < 100; i++) {
		KUNIT_EXPECT_EQ(test, region_gen_advance(s->g), 0);
		usleep_range(200, 400);
	}
	WRITE_ONCE(s->stop, true);
	hrtimer_cancel(&s->timer);
	ctx->timer = NULL;
	for (i = 0; i <= n; i++)
		rt_stop_worker(test, t[i]);
	KUNIT_EXPECT_EQ(test, s->flushes, 100U);
	KUNIT_EXPECT_EQ(test, (long)s->on_drops,
			atomic_long_read(&s->drops_done));
	KUNIT_EXPECT_GT(test, s->on_drops, 0U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->readers_seen), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->unflushed_drops), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&s->bad), 0L);
	KUNIT_EXPECT_GT(test, atomic_long_read(&s->allocs), 0L);
	rt_check(test, region_gen_region(s->g, 0));
	rt_check(test, region_gen_region(s->g, 1));
}

static struct kunit_case region_test_cases[] = {
	KUNIT_CASE(rt_fail_names),
	KUNIT_CASE(rt_alloc_basic),
	KUNIT_CASE(rt_stats_arith),
	KUNIT_CASE(rt_recheck_race_free),
	KUNIT_CASE(rt_recheck_race_spare),
	KUNIT_CASE(rt_installers_contend),
	KUNIT_CASE(rt_fail_create),
	KUNIT_CASE(rt_fail_blocking),
	KUNIT_CASE(rt_fail_refill),
	KUNIT_CASE(rt_refill_adaptive),
	KUNIT_CASE(rt_destroy_during_refill),
	KUNIT_CASE(rt_drop_waits_inflight),
	KUNIT_CASE(rt_drop_fences_new),
	KUNIT_CASE(rt_drop_during_vmalloc_free),
	KUNIT_CASE(rt_drop_during_vmalloc_spare),
	KUNIT_CASE(rt_drop_before_install),
	KUNIT_CASE(rt_drop_vs_fastpath_shared),
	KUNIT_CASE(rt_drop_vs_fastpath_percpu),
	KUNIT_CASE(rt_recursion_shared),
	KUNIT_CASE(rt_recursion_percpu),
	KUNIT_CASE(rt_trace_probe_nesting),
	KUNIT_CASE(rt_lockdep_probe),
	KUNIT_CASE(rt_stats_vs_drop),
	KUNIT_CASE(rt_name_reuse),
	KUNIT_CASE(rt_bump_overflow_shared),
	KUNIT_CASE(rt_bump_overflow_percpu),
	KUNIT_CASE(rt_stash_stats),
	KUNIT_CASE(rt_stash_no_lock),
	KUNIT_CASE(rt_stash_drop_race),
	KUNIT_CASE(rt_on_drop_refuses),
	KUNIT_CASE(rt_orphan),
	KUNIT_CASE(rt_nmi_trylock_shared),
	KUNIT_CASE(rt_nmi_trylock_percpu),
	KUNIT_CASE(rt_nmi_guard_shared),
	KUNIT_CASE(rt_nmi_guard_percpu),
	KUNIT_CASE(rt_gen_create_params),
	KUNIT_CASE(rt_gen_advance),
	KUNIT_CASE(rt_gen_debugfs_drop),
	KUNIT_CASE(rt_gen_advance_vs_readers),
	{}
};

static struct kunit_suite region_test_suite = {
	.name = "traceregion",
	.init = rt_init,
	.exit = rt_exit,
	.test_cases = region_test_cases,
};

kunit_test_suite(region_test_suite);
