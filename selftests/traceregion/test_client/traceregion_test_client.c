// SPDX-License-Identifier: GPL-2.0
/*
 * traceregion_test_client - in-kernel half of the traceregion selftest
 *
 * Uses only the exported API of traceregion.ko.  The user-space test
 * (../traceregion_test.c) drives it through debugfs:
 *
 *   /sys/kernel/debug/traceregion_test/run     write a test name; the write
 *                                              returns its length on pass and
 *                                              -EIO on failure
 *   /sys/kernel/debug/traceregion_test/result  messages of the last test
 *   /sys/kernel/debug/traceregion_test/status  counters of the background
 *                                              load, of on_drop calls, of
 *                                              the stats watcher and of the
 *                                              name reuse threads
 *
 * At load it creates two regions for the debugfs tests: "trt_drop", with an
 * on_drop callback, and "trt_noowner", without one.  Some tests are a pair
 * of writes with user-space work in between, as a careless client and a
 * careless admin would meet: stats_watch_start/stop (a kthread checks
 * trt_drop's lock-free stats while user space drops it), name_reuse_start/
 * stop (two kthreads create and destroy "trt_reuse" while user space lists
 * and drops it), ondrop_reentry_setup/check ("trt_reenter", whose on_drop
 * drops and destroys itself and "trt_reenter_b", dropped from debugfs in
 * between).  The unload tests use a second module, traceregion_test_owner.
 *
 * Contexts: tests run in the writer's process context, one at a time under
 * tc_mutex.  They start kthreads bound to each CPU, pinned hard hrtimers
 * (hard-IRQ context) and a sched_switch tracepoint probe (preemption
 * disabled); all three allocate concurrently.  The background load keeps
 * pointers into "trt_drop" under tc_srcu (kthreads); the hrtimers keep none.
 * on_drop bumps tc_gen and waits for both SRCU and RCU readers, so no
 * pointer from before a drop is touched after it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hardirq.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/srcu.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "region_alloc.h"
#include "selftests/traceregion/tr_kcompat.h"

static DEFINE_MUTEX(tc_mutex);
static struct dentry *tc_dir;
static struct region *tc_drop_region;
static struct region *tc_noowner_region;

/* Messages of the last test, for the result file. */
static char tc_msg[4096];
static size_t tc_msg_len;
static bool tc_failed;

static __printf(1, 2) void tc_fail(const char *fmt, ...)
{
	va_list ap;
	int n;

	tc_failed = true;
	va_start(ap, fmt);
	n = vscnprintf(tc_msg + tc_msg_len, sizeof(tc_msg) - tc_msg_len,
		       fmt, ap);
	va_end(ap);
	tc_msg_len += n;
	if (tc_msg_len < sizeof(tc_msg) - 1)
		tc_msg[tc_msg_len++] = '\n';
	tc_msg[tc_msg_len] = '\0';
}

#define TC_CHECK(cond, fmt, ...)					\
	({								\
		bool __ok = (cond);					\
		if (!__ok)						\
			tc_fail("%s:%d: " fmt, __func__, __LINE__,	\
				##__VA_ARGS__);				\
		__ok;							\
	})

static u32 tc_rand(u32 *state)
{
	*state = *state * 1103515245 + 12345;
	return *state >> 8;
}

static u8 tc_pattern(u32 idx, size_t j)
{
	return (u8)(idx * 131 + j * 7 + 1);
}

static bool tc_is_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/* region_params.flags of the regions the tests create: the mode tested. */
static unsigned int tc_flags;

static struct region *tc_create(const char *name, size_t max_bytes,
				unsigned int reserve)
{
	struct region_params p = {
		.max_bytes = max_bytes,
		.reserve_blocks = reserve,
		.flags = tc_flags,
	};
	struct region *r = region_create(name, &p);

	if (IS_ERR(r)) {
		tc_fail("region_create(%s) = %pe", name, r);
		return NULL;
	}
	return r;
}

/* Stats identities that hold for any quiet region. */
static void tc_check_identities(struct region *r, const char *what)
{
	struct region_stats st;
	u64 sum = 0;
	int i;

	region_get_stats(r, &st);
	for (i = 0; i < REGION_FAIL_NR; i++)
		sum += st.fail[i];
	TC_CHECK(sum == st.failures, "%s: failures %llu != sum %llu", what,
		 st.failures, sum);
	TC_CHECK(st.bytes_held == st.blocks_held * REGION_BLOCK_SIZE,
		 "%s: bytes_held %llu != blocks %llu * block", what,
		 st.bytes_held, st.blocks_held);
	TC_CHECK(st.bytes_held == st.bytes_live + st.bytes_free +
		 st.bytes_wasted + st.blocks_held * REGION_BLOCK_HDR,
		 "%s: held %llu != live %llu + free %llu + wasted %llu + hdr",
		 what, st.bytes_held, st.bytes_live, st.bytes_free,
		 st.bytes_wasted);
	TC_CHECK(st.bytes_alloc >= st.bytes_live, "%s: alloc < live", what);
}

/* ---- create_errors ---- */

static void tc_create_errors(void)
{
	static const char * const bad[] = {
		"", "Upper", "a/b", "a b", "dot.name", "stats", "\xc3\xa9",
		"name_that_is_32_characters_long_",
	};
	struct region_params p = { };
	struct region *r, *r2;
	int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		r = region_create(bad[i], NULL);
		if (!TC_CHECK(PTR_ERR(r) == -EINVAL, "name '%s': %pe", bad[i],
			      r))
			region_destroy(r);
	}
	r = region_create(NULL, NULL);
	TC_CHECK(PTR_ERR(r) == -EINVAL, "NULL name: %pe", r);

	p.reserve_blocks = REGION_MAX_RESERVE + 1;
	r = region_create("trt_badparams", &p);
	TC_CHECK(PTR_ERR(r) == -EINVAL, "reserve too big: %pe", r);
	p.reserve_blocks = 1;
	p.max_bytes = REGION_BLOCK_SIZE;
	r = region_create("trt_badparams", &p);
	TC_CHECK(PTR_ERR(r) == -EINVAL, "cap below reserve: %pe", r);
	/* Below one block: not "no cap". */
	p.reserve_blocks = 0;
	p.max_bytes = 100;
	r = region_create("trt_badparams", &p);
	TC_CHECK(PTR_ERR(r) == -EINVAL, "cap below a block: %pe", r);
	if (!IS_ERR(r))
		region_destroy(r);
	/* Room for the reserve and one block in use: the reserve is full. */
	p.reserve_blocks = 3;
	p.max_bytes = 4 * REGION_BLOCK_SIZE;
	r = region_create("trt_badparams", &p);
	if (TC_CHECK(!IS_ERR(r), "cap of reserve + 1: %pe", r)) {
		struct region_stats st;

		region_get_stats(r, &st);
		TC_CHECK(st.reserve_blocks == 3 && st.vmalloc_calls == 3,
			 "reserve %llu, vmalloc %llu after create",
			 st.reserve_blocks, st.vmalloc_calls);
		region_destroy(r);
	}

	/* 31 characters, every allowed kind. */
	r = region_create("trt-0123456789_abcdefghijklmnop", NULL);
	if (!TC_CHECK(!IS_ERR(r), "31-char name: %pe", r))
		return;
	r2 = region_create("trt-0123456789_abcdefghijklmnop", NULL);
	TC_CHECK(PTR_ERR(r2) == -EEXIST, "duplicate: %pe", r2);
	TC_CHECK(region_alloc(r, 100, GFP_KERNEL), "alloc from new region");
	region_destroy(r);

	r = region_create("trt-0123456789_abcdefghijklmnop", NULL);
	if (!TC_CHECK(!IS_ERR(r), "re-create: %pe", r))
		return;
	TC_CHECK(region_alloc(r, 100, GFP_ATOMIC), "alloc after re-create");
	region_destroy(r);
	region_destroy(NULL);
	region_destroy(ERR_PTR(-ENOMEM));
}

/* ---- align_zero ---- */

static bool tc_alloc_check(struct region *r, size_t size)
{
	size_t rounded = ALIGN(size, 8);
	u8 *p = region_alloc(r, size, GFP_KERNEL);

	if (!TC_CHECK(p, "size %zu: NULL", size))
		return false;
	if (!TC_CHECK(IS_ALIGNED((unsigned long)p, 8), "size %zu: misaligned",
		      size))
		return false;
	if (!TC_CHECK(tc_is_zero(p, rounded), "size %zu: not zeroed", size))
		return false;
	memset(p, 0xa5, rounded);
	return true;
}

static void tc_align_zero(void)
{
	struct region_stats st;
	struct region *r;
	size_t size;
	u64 drops = 0;

	r = tc_create("trt_align", 0, 2);
	if (!r)
		return;
	for (size = 1; size <= REGION_MAX_ALLOC; ) {
		if (!tc_alloc_check(r, size))
			break;
		if (size < 2048)
			size++;
		else if (size < REGION_MAX_ALLOC - 16)
			size = min_t(size_t, size + 251, REGION_MAX_ALLOC - 16);
		else
			size++;
		region_get_stats(r, &st);
		/* Drop now and then: recycled blocks must come back zeroed. */
		if (st.bytes_held >= SZ_4M) {
			region_drop(r);
			drops++;
		}
		cond_resched();
	}
	tc_check_identities(r, "align_zero");
	region_get_stats(r, &st);
	TC_CHECK(st.drops == drops && drops > 0, "drops %llu, expected %llu",
		 st.drops, drops);
	TC_CHECK(st.recycled > 0, "no block was recycled");
	TC_CHECK(st.failures == 0, "failures %llu", st.failures);
	region_destroy(r);
}

/* ---- no_overlap ---- */

struct tc_obj {
	u8 *p;
	u32 size;
	u32 idx;
};

static int tc_obj_cmp(const void *a, const void *b)
{
	const struct tc_obj *x = a, *y = b;

	if (x->p == y->p)
		return 0;
	return x->p < y->p ? -1 : 1;
}

static void tc_fill(struct tc_obj *o)
{
	u32 j;

	for (j = 0; j < o->size; j++)
		o->p[j] = tc_pattern(o->idx, j);
}

static bool tc_verify(struct tc_obj *o)
{
	u32 j;

	for (j = 0; j < o->size; j++)
		if (o->p[j] != tc_pattern(o->idx, j))
			return false;
	return true;
}

/* Verify every pattern, then sort by address and check for overlaps. */
static void tc_verify_objs(struct tc_obj *objs, unsigned int n)
{
	unsigned int i, bad = 0;

	for (i = 0; i < n; i++)
		if (!tc_verify(&objs[i]) && bad++ < 4)
			tc_fail("object %u (size %u) pattern clobbered", i,
				objs[i].size);
	TC_CHECK(!bad, "%u of %u objects clobbered", bad, n);
	sort(objs, n, sizeof(*objs), tc_obj_cmp, NULL);
	for (i = 1; i < n; i++) {
		if (objs[i - 1].p + objs[i - 1].size > objs[i].p) {
			tc_fail("objects %u and %u overlap", objs[i - 1].idx,
				objs[i].idx);
			break;
		}
	}
}

static void tc_no_overlap(void)
{
	const unsigned int n = 20000;
	struct tc_obj *objs;
	struct region_stats st;
	struct region *r;
	u64 bytes = 0;
	unsigned int i;
	u32 seed = 1;

	objs = vcalloc(n, sizeof(*objs));
	r = tc_create("trt_overlap", 0, 2);
	if (!objs || !r)
		goto out;
	for (i = 0; i < n; i++) {
		u32 size = i % 64 ? 1 + tc_rand(&seed) % 512 :
				    1 + tc_rand(&seed) % 8192;

		objs[i].p = region_alloc(r, size, GFP_KERNEL);
		if (!TC_CHECK(objs[i].p, "alloc %u of size %u failed", i, size))
			goto out;
		TC_CHECK(tc_is_zero(objs[i].p, size), "object %u not zero", i);
		objs[i].size = size;
		objs[i].idx = i;
		tc_fill(&objs[i]);
		bytes += ALIGN(size, 8);
		if (!(i % 256))
			cond_resched();
	}
	tc_verify_objs(objs, n);
	region_get_stats(r, &st);
	TC_CHECK(st.allocs == n, "allocs %llu != %u", st.allocs, n);
	TC_CHECK(st.bytes_live == bytes, "bytes_live %llu != %llu",
		 st.bytes_live, bytes);
	tc_check_identities(r, "no_overlap");

	region_drop(r);
	region_get_stats(r, &st);
	TC_CHECK(st.blocks_held == 0 && st.bytes_live == 0 &&
		 st.bytes_held == 0, "after drop: blocks %llu live %llu",
		 st.blocks_held, st.bytes_live);
	TC_CHECK(region_alloc(r, 64, GFP_KERNEL), "alloc after drop");
out:
	region_destroy(r);
	vfree(objs);
}

/* ---- too_large ---- */

/* Sizes the compiler cannot see: region_alloc_inline()'s run-time check. */
static size_t tc_bad_sizes[] = { REGION_MAX_ALLOC + 1, 0, SIZE_MAX };

/*
 * region_alloc_inline(), the fast path compiled in here: the same memory,
 * figures and failures as region_alloc(), before and after a drop (which
 * leaves no current block: the inline path must take the slow path).
 */
static void tc_inline(void)
{
	struct region_stats st;
	struct region *r;
	u8 *p = NULL, *q;
	int i, bad = 0;

	r = tc_create("trt_inline", 0, 1);
	if (!r)
		return;
	for (i = 0; i < 100; i++) {
		p = region_alloc_inline(r, 24, GFP_KERNEL);
		if (!p || !IS_ALIGNED((unsigned long)p, 8) || memchr_inv(p, 0, 24))
			bad++;
		else
			memset(p, 0xa5, 24);
	}
	TC_CHECK(!bad, "%d of 100 inline allocations NULL, misaligned or dirty",
		 bad);
	q = region_alloc(r, 24, GFP_ATOMIC);
	/* One CPU's block in per-CPU mode: only shared mode is contiguous. */
	TC_CHECK(q && (tc_flags || q == p + 24),
		 "region_alloc() after the inline ones: %s",
		 q ? "not right after the last one" : "NULL");
	for (i = 0; i < ARRAY_SIZE(tc_bad_sizes); i++)
		TC_CHECK(!region_alloc_inline(r, READ_ONCE(tc_bad_sizes[i]),
					      GFP_ATOMIC),
			 "inline size %zu succeeded", tc_bad_sizes[i]);
	region_get_stats(r, &st);
	TC_CHECK(st.allocs == 101 && st.bytes_alloc == 101 * 24 &&
		 st.fail[REGION_FAIL_TOO_LARGE] == 3 && st.failures == 3,
		 "allocs %llu bytes %llu too_large %llu failures %llu",
		 st.allocs, st.bytes_alloc, st.fail[REGION_FAIL_TOO_LARGE],
		 st.failures);
	TC_CHECK(!region_drop(r), "drop");
	p = region_alloc_inline(r, 8, GFP_ATOMIC);
	TC_CHECK(p && !memchr_inv(p, 0, 8), "inline allocation after the drop");
	region_get_stats(r, &st);
	TC_CHECK(st.allocs == 102 && st.bytes_live == 8 && st.blocks_held == 1,
		 "after the drop: allocs %llu live %llu blocks %llu", st.allocs,
		 st.bytes_live, st.blocks_held);
	tc_check_identities(r, "inline");
	region_destroy(r);
}

static void tc_too_large(void)
{
	struct region_stats st;
	struct region *r;

	r = tc_create("trt_large", 0, 1);
	if (!r)
		return;
	TC_CHECK(!region_alloc(r, REGION_MAX_ALLOC + 1, GFP_KERNEL),
		 "max + 1 succeeded");
	TC_CHECK(!region_alloc(r, SIZE_MAX, GFP_ATOMIC), "SIZE_MAX succeeded");
	TC_CHECK(!region_alloc(r, 0, GFP_KERNEL), "size 0 succeeded");
	region_get_stats(r, &st);
	TC_CHECK(st.fail[REGION_FAIL_TOO_LARGE] == 3 && st.failures == 3 &&
		 st.allocs == 0, "too_large %llu failures %llu allocs %llu",
		 st.fail[REGION_FAIL_TOO_LARGE], st.failures, st.allocs);
	TC_CHECK(region_alloc(r, REGION_MAX_ALLOC, GFP_KERNEL),
		 "exactly max failed");
	TC_CHECK(!strcmp(region_fail_name(REGION_FAIL_TOO_LARGE), "too_large"),
		 "fail name");
	tc_check_identities(r, "too_large");
	region_destroy(r);
}

/* ---- cap ---- */

/*
 * Calls at the cap must not bump the full block's offset on and on: with a
 * 32-bit long, LONG_MAX / REGION_MAX_ALLOC (about 32,800) adds would wrap it
 * negative and into the block, handing out memory before it.  Enough calls
 * for that, then as many again; on 64-bit as many calls only check that
 * each is refused and counted.
 */
static void tc_cap_no_wrap(struct region *r)
{
	unsigned long i, calls = 2 * (LONG_MAX / REGION_MAX_ALLOC + 1);
	struct region_stats before, after;
	void *p;

	calls = min_t(unsigned long, calls, 70000);
	region_get_stats(r, &before);
	for (i = 0; i < calls; i++) {
		p = region_alloc(r, REGION_MAX_ALLOC, GFP_ATOMIC);
		if (!TC_CHECK(!p, "call %lu at the cap returned %p", i, p))
			return;
	}
	region_get_stats(r, &after);
	TC_CHECK(after.fail[REGION_FAIL_CAP] - before.fail[REGION_FAIL_CAP] == calls,
		 "%lu calls at the cap, %llu counted", calls,
		 after.fail[REGION_FAIL_CAP] - before.fail[REGION_FAIL_CAP]);
}

static void tc_cap(void)
{
	struct region_stats st;
	struct region *r;
	int i, ok;

	r = tc_create("trt_cap", 4 * REGION_BLOCK_SIZE, 0);
	if (!r)
		return;
	for (i = 0; i < 4; i++)
		TC_CHECK(region_alloc(r, REGION_MAX_ALLOC, GFP_KERNEL),
			 "block %d under the cap failed", i);
	TC_CHECK(!region_alloc(r, REGION_MAX_ALLOC, GFP_KERNEL),
		 "5th block allocated past the cap");
	TC_CHECK(!region_alloc(r, 8, GFP_ATOMIC), "small alloc past the cap");
	region_get_stats(r, &st);
	TC_CHECK(st.fail[REGION_FAIL_CAP] == 2 && st.failures == 2,
		 "cap failures %llu of %llu", st.fail[REGION_FAIL_CAP],
		 st.failures);
	TC_CHECK(st.blocks_held == 4 && st.bytes_held == 4 * REGION_BLOCK_SIZE,
		 "blocks_held %llu", st.blocks_held);
	TC_CHECK(st.bytes_wasted == 0 && st.bytes_free == 0,
		 "wasted %llu free %llu", st.bytes_wasted, st.bytes_free);
	tc_check_identities(r, "cap");
	tc_cap_no_wrap(r);

	/* A drop gives the cap back. */
	region_drop(r);
	region_get_stats(r, &st);
	TC_CHECK(st.blocks_held == 0 && st.vfree_calls == 4,
		 "after drop: blocks %llu vfree %llu", st.blocks_held,
		 st.vfree_calls);
	TC_CHECK(region_alloc(r, REGION_MAX_ALLOC, GFP_KERNEL),
		 "alloc after drop failed");
	region_destroy(r);

	/*
	 * With a reserve: the cap counts spare blocks and refills too, and
	 * wins over "no reserve" for an atomic caller.
	 */
	r = tc_create("trt_cap_reserve", 3 * REGION_BLOCK_SIZE, 1);
	if (!r)
		return;
	for (i = 0, ok = 0; i < 5; i++) {
		if (region_alloc(r, REGION_MAX_ALLOC, GFP_KERNEL))
			ok++;
		msleep(20);
		region_get_stats(r, &st);
		TC_CHECK(st.blocks_held + st.reserve_blocks <= 3,
			 "%llu blocks held, %llu spare, cap 3",
			 st.blocks_held, st.reserve_blocks);
	}
	TC_CHECK(ok == 3 && !region_alloc(r, 8, GFP_ATOMIC), "%d of 5 blocks",
		 ok);
	region_get_stats(r, &st);
	TC_CHECK(st.fail[REGION_FAIL_CAP] == 3 && st.failures == 3,
		 "cap failures %llu of %llu", st.fail[REGION_FAIL_CAP],
		 st.failures);
	/* A drop keeps one spare (the reserve) and frees two. */
	region_drop(r);
	msleep(20);
	region_get_stats(r, &st);
	TC_CHECK(st.vfree_calls == 2 && st.reserve_blocks == 1,
		 "after drop: vfree %llu spare %llu", st.vfree_calls,
		 st.reserve_blocks);
	TC_CHECK(region_alloc(r, 8, GFP_ATOMIC), "atomic alloc after drop");
	tc_check_identities(r, "cap_reserve");
	region_destroy(r);
}

/* ---- no_reserve ---- */

static bool tc_wait_reserve(struct region *r, u64 want)
{
	struct region_stats st;
	int i;

	for (i = 0; i < 250; i++) {
		region_get_stats(r, &st);
		if (st.reserve_blocks >= want)
			return true;
		msleep(20);
	}
	return false;
}

static void tc_no_reserve(void)
{
	struct region_stats st;
	struct region *r;
	unsigned long flags;
	void *p1, *p2, *p3;

	r = tc_create("trt_reserve", 0, 1);
	if (!r)
		return;
	/*
	 * With interrupts off the refill (irq_work on this CPU, then a work
	 * item) cannot run before all three calls are done.
	 */
	local_irq_save(flags);
	p1 = region_alloc(r, REGION_MAX_ALLOC, GFP_ATOMIC);
	p2 = region_alloc(r, REGION_MAX_ALLOC, GFP_ATOMIC);
	p3 = region_alloc(r, 8, GFP_NOWAIT);
	region_get_stats(r, &st);
	local_irq_restore(flags);
	/* Nothing was vmalloc'ed in atomic context: the reserve's block only. */
	TC_CHECK(st.vmalloc_calls == 1 && st.reserve_blocks == 0,
		 "vmalloc %llu reserve %llu with interrupts off",
		 st.vmalloc_calls, st.reserve_blocks);
	TC_CHECK(p1 && tc_is_zero(p1, REGION_MAX_ALLOC),
		 "atomic alloc from the reserve failed");
	TC_CHECK(!p2 && !p3, "atomic alloc with an empty reserve succeeded");
	region_get_stats(r, &st);
	TC_CHECK(st.fail[REGION_FAIL_NO_RESERVE] == 2 && st.failures == 2,
		 "no_reserve %llu failures %llu",
		 st.fail[REGION_FAIL_NO_RESERVE], st.failures);

	TC_CHECK(tc_wait_reserve(r, 1), "reserve not refilled in 5 s");
	local_irq_save(flags);
	p1 = region_alloc(r, 64, GFP_ATOMIC);
	local_irq_restore(flags);
	TC_CHECK(p1 && tc_is_zero(p1, 64), "atomic alloc after refill failed");
	tc_check_identities(r, "no_reserve");
	region_destroy(r);

	/* Without a reserve only blocking callers get memory. */
	r = tc_create("trt_noreserve", 0, 0);
	if (!r)
		return;
	TC_CHECK(!region_alloc(r, 8, GFP_ATOMIC), "atomic alloc, no reserve");
	TC_CHECK(region_alloc(r, 8, GFP_KERNEL), "blocking alloc failed");
	TC_CHECK(region_alloc(r, 8, GFP_ATOMIC), "atomic alloc, current block");
	/* The block full: atomic fails, blocking vmallocs a second one. */
	TC_CHECK(!region_alloc(r, REGION_MAX_ALLOC, GFP_NOWAIT),
		 "atomic alloc past a full block, no reserve");
	TC_CHECK(region_alloc(r, REGION_MAX_ALLOC, GFP_KERNEL),
		 "blocking alloc of a second block failed");
	region_get_stats(r, &st);
	TC_CHECK(st.fail[REGION_FAIL_NO_RESERVE] == 2 && st.reserve_blocks == 0 &&
		 st.vmalloc_calls == 2 && st.blocks_held == 2,
		 "no_reserve %llu reserve %llu vmalloc %llu blocks %llu",
		 st.fail[REGION_FAIL_NO_RESERVE], st.reserve_blocks,
		 st.vmalloc_calls, st.blocks_held);
	region_destroy(r);
}

/* ---- contexts: process, hard IRQ and tracepoint, on every CPU ---- */

enum { TC_PROC, TC_HARDIRQ, TC_PROBE, TC_NCTX };
static const char * const tc_ctx_names[TC_NCTX] = {
	"process", "hardirq", "tracepoint",
};

struct tc_ctx_count {
	atomic64_t ok;
	atomic64_t fail;
	atomic64_t bytes;
	atomic64_t bad;
};

static struct tc_ctx_count tc_counts[TC_NCTX];
static struct region *tc_ctx_region;
static bool tc_ctx_stop;
static atomic_t tc_ctx_quota[TC_NCTX];

#define TC_KTHREAD_ALLOCS	20000
#define TC_ATOMIC_QUOTA		4000

struct tc_cpu {
	struct hrtimer timer;
	struct task_struct *task;
	/*
	 * One generator state per context: the hrtimer interrupts the
	 * kthread on the same CPU, and a shared state would be updated by
	 * both at once (a data race, KCSAN's interrupt watcher sees it).
	 */
	u32 seed;
	u32 timer_seed;
	bool timer_started;
};

static DEFINE_PER_CPU(struct tc_cpu, tc_cpus);

static void tc_ctx_alloc(int ctx, u32 size, gfp_t gfp)
{
	struct tc_ctx_count *c = &tc_counts[ctx];
	u8 *p = region_alloc(tc_ctx_region, size, gfp);

	if (!p) {
		atomic64_inc(&c->fail);
		return;
	}
	/* Zero means no other context was handed these bytes before. */
	if (!tc_is_zero(p, ALIGN(size, 8)))
		atomic64_inc(&c->bad);
	memset(p, 0x5a, ALIGN(size, 8));
	atomic64_inc(&c->ok);
	atomic64_add(ALIGN(size, 8), &c->bytes);
}

static enum hrtimer_restart tc_ctx_timer(struct hrtimer *t)
{
	struct tc_cpu *tcpu = container_of(t, struct tc_cpu, timer);
	int i;

	if (!in_hardirq())
		atomic64_inc(&tc_counts[TC_HARDIRQ].bad);
	for (i = 0; i < 4; i++) {
		if (atomic_dec_return(&tc_ctx_quota[TC_HARDIRQ]) < 0)
			return HRTIMER_NORESTART;
		tc_ctx_alloc(TC_HARDIRQ, 8 + tc_rand(&tcpu->timer_seed) % 256,
			     GFP_ATOMIC);
	}
	if (READ_ONCE(tc_ctx_stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(200 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/* TP_PROTO of sched_switch (tr_kcompat.h). */
static void tc_probe_sched_switch(void *data, TR_SCHED_SWITCH_ARGS)
{
	if (preemptible())
		atomic64_inc(&tc_counts[TC_PROBE].bad);
	if (READ_ONCE(tc_ctx_stop) ||
	    atomic_dec_return(&tc_ctx_quota[TC_PROBE]) < 0)
		return;
	tc_ctx_alloc(TC_PROBE, 16 + (prev->pid & 127), GFP_NOWAIT);
}

static int tc_ctx_thread(void *arg)
{
	struct tc_cpu *tcpu = arg;
	int i;

	hrtimer_start(&tcpu->timer, ns_to_ktime(200 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
	for (i = 0; i < TC_KTHREAD_ALLOCS && !READ_ONCE(tc_ctx_stop); i++) {
		tc_ctx_alloc(TC_PROC, 8 + tc_rand(&tcpu->seed) % 256,
			     GFP_KERNEL);
		if (!(i % 32))
			cond_resched();
	}
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule_timeout(HZ / 10);
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

static void tc_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_switch"))
		*(struct tracepoint **)priv = tp;
}

static void tc_contexts(void)
{
	struct tracepoint *tp = NULL;
	struct region_stats st;
	u64 ok = 0, fail = 0, bytes = 0;
	unsigned long deadline;
	bool probe_on = false;
	int cpu, i;

	tc_ctx_region = tc_create("trt_ctx", 0, 8);
	if (!tc_ctx_region)
		return;
	memset(tc_counts, 0, sizeof(tc_counts));
	WRITE_ONCE(tc_ctx_stop, false);
	atomic_set(&tc_ctx_quota[TC_HARDIRQ], TC_ATOMIC_QUOTA);
	atomic_set(&tc_ctx_quota[TC_PROBE], TC_ATOMIC_QUOTA);

	for_each_kernel_tracepoint(tc_find_tp, &tp);
	if (TC_CHECK(tp, "tracepoint sched_switch not found")) {
		i = tracepoint_probe_register(tp, (void *)tc_probe_sched_switch,
					      NULL);
		probe_on = TC_CHECK(!i, "probe register: %d", i);
	}

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct tc_cpu *tcpu = per_cpu_ptr(&tc_cpus, cpu);

		tcpu->seed = cpu + 1;
		tcpu->timer_seed = cpu + 1001;
		hrtimer_setup(&tcpu->timer, tc_ctx_timer, CLOCK_MONOTONIC,
			      HRTIMER_MODE_REL_PINNED_HARD);
		tcpu->task = tr_kthread_on_cpu(tc_ctx_thread, tcpu, cpu,
					       "trt_ctx/%u");
		if (IS_ERR(tcpu->task)) {
			tc_fail("kthread on cpu %d: %ld", cpu,
				PTR_ERR(tcpu->task));
			tcpu->task = NULL;
			continue;
		}
		tcpu->timer_started = true;
		wake_up_process(tcpu->task);
	}
	cpus_read_unlock();

	/*
	 * Quotas are small; under TCG they take a few seconds at most.  The
	 * probe's quota needs context switches, which an idle guest has few
	 * of: each short sleep here makes two.
	 */
	deadline = jiffies + 20 * HZ;
	while (time_before(jiffies, deadline) &&
	       (atomic_read(&tc_ctx_quota[TC_HARDIRQ]) > 0 ||
		(probe_on && atomic_read(&tc_ctx_quota[TC_PROBE]) > 0) ||
		atomic64_read(&tc_counts[TC_PROC].ok) +
		atomic64_read(&tc_counts[TC_PROC].fail) <
		(u64)num_online_cpus() * TC_KTHREAD_ALLOCS))
		usleep_range(100, 200);

	WRITE_ONCE(tc_ctx_stop, true);
	if (probe_on) {
		tracepoint_probe_unregister(tp, (void *)tc_probe_sched_switch,
					    NULL);
		tracepoint_synchronize_unregister();
	}
	for_each_possible_cpu(cpu) {
		struct tc_cpu *tcpu = per_cpu_ptr(&tc_cpus, cpu);

		if (!tcpu->task)
			continue;
		kthread_stop(tcpu->task);
		tcpu->task = NULL;
		if (tcpu->timer_started)
			hrtimer_cancel(&tcpu->timer);
		tcpu->timer_started = false;
	}

	for (i = 0; i < TC_NCTX; i++) {
		struct tc_ctx_count *c = &tc_counts[i];

		pr_info("contexts: %s ok %lld fail %lld bytes %lld\n",
			tc_ctx_names[i], atomic64_read(&c->ok),
			atomic64_read(&c->fail), atomic64_read(&c->bytes));
		TC_CHECK(atomic64_read(&c->ok) > 0, "%s: no allocation",
			 tc_ctx_names[i]);
		TC_CHECK(!atomic64_read(&c->bad),
			 "%s: %lld bad objects or wrong context",
			 tc_ctx_names[i], atomic64_read(&c->bad));
		ok += atomic64_read(&c->ok);
		fail += atomic64_read(&c->fail);
		bytes += atomic64_read(&c->bytes);
	}
	TC_CHECK(!atomic64_read(&tc_counts[TC_PROC].fail),
		 "process context failures: %lld",
		 atomic64_read(&tc_counts[TC_PROC].fail));

	region_get_stats(tc_ctx_region, &st);
	TC_CHECK(st.allocs == ok, "stats allocs %llu != %llu", st.allocs, ok);
	TC_CHECK(st.bytes_live == bytes, "stats bytes %llu != %llu",
		 st.bytes_live, bytes);
	TC_CHECK(st.failures == fail &&
		 st.fail[REGION_FAIL_NO_RESERVE] == fail,
		 "stats failures %llu (no_reserve %llu) != %llu",
		 st.failures, st.fail[REGION_FAIL_NO_RESERVE], fail);
	tc_check_identities(tc_ctx_region, "contexts");
	region_destroy(tc_ctx_region);
	tc_ctx_region = NULL;
}

/* ---- contention: all CPUs crossing block boundaries at once ---- */

#define TC_CONT_PER_CPU	3000

static struct tc_obj *tc_cont_objs;
static atomic_t tc_cont_ready;
static struct region *tc_cont_region;

struct tc_cont_arg {
	unsigned int first;
	unsigned int ncpus;
	struct completion done;
};

static int tc_cont_thread(void *arg)
{
	struct tc_cont_arg *a = arg;
	u32 seed = a->first + 7;
	unsigned int i;

	/* Start together so that installs race. */
	atomic_inc(&tc_cont_ready);
	while (atomic_read(&tc_cont_ready) < a->ncpus)
		cpu_relax();
	for (i = 0; i < TC_CONT_PER_CPU; i++) {
		struct tc_obj *o = &tc_cont_objs[a->first + i];

		o->size = 1500 + tc_rand(&seed) % 3000;
		o->idx = a->first + i;
		o->p = region_alloc(tc_cont_region, o->size, GFP_KERNEL);
		if (!o->p)
			break;
		if (!tc_is_zero(o->p, o->size))
			o->size = 0;	/* flagged below */
		else
			tc_fill(o);
	}
	complete(&a->done);
	return 0;
}

static void tc_contention(void)
{
	unsigned int ncpus = num_online_cpus(), n = 0, i, k = 0;
	struct tc_cont_arg *args;
	struct region_stats st;
	u64 bytes = 0;
	int cpu;

	tc_cont_objs = vcalloc(ncpus * TC_CONT_PER_CPU, sizeof(*tc_cont_objs));
	args = kcalloc(ncpus, sizeof(*args), GFP_KERNEL);
	tc_cont_region = tc_create("trt_contention", 0, 0);
	if (!tc_cont_objs || !args || !tc_cont_region)
		goto out;
	atomic_set(&tc_cont_ready, 0);

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct task_struct *t;

		if (k == ncpus)
			break;
		args[k].first = k * TC_CONT_PER_CPU;
		args[k].ncpus = ncpus;
		init_completion(&args[k].done);
		t = tr_kthread_on_cpu(tc_cont_thread, &args[k], cpu,
				      "trt_cont/%u");
		if (IS_ERR(t)) {
			tc_fail("kthread: %pe", t);
			/* Let the others go. */
			atomic_inc(&tc_cont_ready);
			complete(&args[k].done);
		} else {
			wake_up_process(t);
		}
		k++;
	}
	cpus_read_unlock();
	for (i = 0; i < k; i++)
		wait_for_completion(&args[i].done);

	for (i = 0; i < k * TC_CONT_PER_CPU; i++) {
		struct tc_obj *o = &tc_cont_objs[i];

		if (!o->p)
			continue;
		if (!TC_CHECK(o->size, "object %u was not zero", i))
			break;
		bytes += ALIGN(o->size, 8);
		tc_cont_objs[n++] = *o;
	}
	TC_CHECK(n == k * TC_CONT_PER_CPU, "%u of %u allocations succeeded",
		 n, k * TC_CONT_PER_CPU);
	tc_verify_objs(tc_cont_objs, n);

	region_get_stats(tc_cont_region, &st);
	pr_info("contention: %u objects, %llu blocks, %llu installs, %llu vmalloc, %llu lost races\n",
		n, st.blocks_held, st.block_installs, st.vmalloc_calls,
		st.vfree_calls);
	TC_CHECK(st.allocs == n, "allocs %llu != %u", st.allocs, n);
	TC_CHECK(st.bytes_live == bytes, "bytes_live %llu != %llu",
		 st.bytes_live, bytes);
	TC_CHECK(st.block_installs == st.blocks_held,
		 "installs %llu != blocks %llu", st.block_installs,
		 st.blocks_held);
	/* Blocks lost in an install race were freed, not leaked. */
	TC_CHECK(st.vmalloc_calls - st.vfree_calls == st.blocks_held,
		 "vmalloc %llu - vfree %llu != blocks %llu", st.vmalloc_calls,
		 st.vfree_calls, st.blocks_held);
	/* Waste: under one object per full block, plus the current blocks. */
	TC_CHECK(st.blocks_held * REGION_MAX_ALLOC >= bytes &&
		 st.blocks_held * REGION_MAX_ALLOC < bytes + st.blocks_held *
		 4504 + (u64)(tc_flags ? ncpus : 1) * REGION_MAX_ALLOC,
		 "blocks %llu for %llu bytes", st.blocks_held, bytes);
	tc_check_identities(tc_cont_region, "contention");
out:
	region_destroy(tc_cont_region);
	tc_cont_region = NULL;
	kfree(args);
	vfree(tc_cont_objs);
	tc_cont_objs = NULL;
}

/* ---- background load on trt_drop, for debugfs drops ---- */

DEFINE_STATIC_SRCU(tc_srcu);
static atomic_t tc_gen;
static atomic_t tc_on_drop_calls;
static atomic64_t tc_load_allocs;
static atomic64_t tc_load_nulls;
static atomic64_t tc_load_errors;
static bool tc_load_stop;
static bool tc_load_running;
static DEFINE_PER_CPU(struct task_struct *, tc_load_task);
static DEFINE_PER_CPU(struct hrtimer, tc_load_timers);

#define TC_KEEP 16

static void tc_on_drop(struct region *r, void *priv)
{
	/* Make users forget, then wait for those that may still hold. */
	atomic_inc(&tc_gen);
	synchronize_srcu(&tc_srcu);
	synchronize_rcu();
	atomic_inc(&tc_on_drop_calls);
}

static int tc_load_thread(void *arg)
{
	struct tc_obj keep[TC_KEEP], *o;
	unsigned int nkeep = 0, i, serial = (uintptr_t)arg << 24;
	int gen = atomic_read(&tc_gen), idx;
	u32 seed = serial + 3;

	while (!kthread_should_stop()) {
		idx = srcu_read_lock(&tc_srcu);
		/* A drop bumps tc_gen before it frees: forget everything. */
		if (atomic_read(&tc_gen) != gen) {
			gen = atomic_read(&tc_gen);
			nkeep = 0;
		}
		for (i = 0; i < nkeep; i++)
			if (!tc_verify(&keep[i]))
				atomic64_inc(&tc_load_errors);
		if (nkeep == TC_KEEP) {
			nkeep--;
			memmove(keep, keep + 1, sizeof(keep[0]) * nkeep);
		}
		o = &keep[nkeep];
		o->size = 1 + tc_rand(&seed) % 700;
		o->idx = serial++;
		o->p = region_alloc(tc_drop_region, o->size, GFP_KERNEL);
		if (o->p) {
			if (!tc_is_zero(o->p, o->size))
				atomic64_inc(&tc_load_errors);
			tc_fill(o);
			atomic64_inc(&tc_load_allocs);
			nkeep++;
		} else {
			atomic64_inc(&tc_load_nulls);
		}
		srcu_read_unlock(&tc_srcu, idx);
		/* Cap reached or a drop in progress: do not spin on NULLs. */
		if (!o->p)
			usleep_range(100, 200);
		cond_resched();
	}
	return 0;
}

static enum hrtimer_restart tc_load_timer(struct hrtimer *t)
{
	u8 *p = region_alloc(tc_drop_region, 48, GFP_ATOMIC);

	if (p) {
		if (!tc_is_zero(p, 48))
			atomic64_inc(&tc_load_errors);
		memset(p, 0x3c, 48);
		atomic64_inc(&tc_load_allocs);
	} else {
		atomic64_inc(&tc_load_nulls);
	}
	if (READ_ONCE(tc_load_stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(500 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static void tc_load_stop_all(void)
{
	int cpu;

	if (!tc_load_running)
		return;
	WRITE_ONCE(tc_load_stop, true);
	for_each_possible_cpu(cpu) {
		struct task_struct **task = per_cpu_ptr(&tc_load_task, cpu);

		if (*task) {
			kthread_stop(*task);
			*task = NULL;
		}
		hrtimer_cancel(per_cpu_ptr(&tc_load_timers, cpu));
	}
	tc_load_running = false;
}

static void tc_load_arm(void *unused)
{
	hrtimer_start(this_cpu_ptr(&tc_load_timers), ns_to_ktime(500 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

static void tc_load_start(void)
{
	int cpu;

	if (tc_load_running) {
		tc_fail("load already running");
		return;
	}
	WRITE_ONCE(tc_load_stop, false);
	atomic64_set(&tc_load_allocs, 0);
	atomic64_set(&tc_load_nulls, 0);
	atomic64_set(&tc_load_errors, 0);
	tc_load_running = true;
	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		struct hrtimer *t = per_cpu_ptr(&tc_load_timers, cpu);

		hrtimer_setup(t, tc_load_timer, CLOCK_MONOTONIC,
			      HRTIMER_MODE_REL_PINNED_HARD);
	}
	for_each_online_cpu(cpu) {
		struct task_struct *task;

		task = tr_kthread_on_cpu(tc_load_thread,
					 (void *)(uintptr_t)cpu, cpu,
					 "trt_load/%u");
		if (IS_ERR(task)) {
			tc_fail("kthread: %pe", task);
			continue;
		}
		*per_cpu_ptr(&tc_load_task, cpu) = task;
		wake_up_process(task);
	}
	cpus_read_unlock();
	/* Each CPU arms its own timer: hrtimer_start pins to this CPU. */
	on_each_cpu(tc_load_arm, NULL, 1);
}

/* ---- recycle: a generation that fits the reserve needs no vmalloc ---- */

static void tc_recycle(void)
{
	struct region_stats st;
	u64 vmallocs = 0;
	struct region *r;
	int gen, i;

	r = tc_create("trt_recycle", 0, 4);
	if (!r)
		return;
	for (gen = 0; gen < 8; gen++) {
		/* Three blocks' worth, from atomic context as a probe would. */
		for (i = 0; i < 3; i++) {
			local_irq_disable();
			TC_CHECK(region_alloc(r, REGION_MAX_ALLOC, GFP_ATOMIC),
				 "gen %d alloc %d", gen, i);
			local_irq_enable();
		}
		/* Let the refill worker run, as it would within a second. */
		tc_wait_reserve(r, 4);
		region_drop(r);
		region_get_stats(r, &st);
		if (gen == 1)
			vmallocs = st.vmalloc_calls;
	}
	TC_CHECK(st.vmalloc_calls == vmallocs,
		 "steady state: %llu vmalloc calls after warm-up, %llu before",
		 st.vmalloc_calls, vmallocs);
	TC_CHECK(st.reserve_blocks <= 8 && st.recycled >= 3 * 6,
		 "reserve %llu recycled %llu", st.reserve_blocks, st.recycled);
	TC_CHECK(st.vmalloc_calls - st.vfree_calls ==
		 st.reserve_blocks + st.blocks_held,
		 "vmalloc %llu vfree %llu reserve %llu held %llu",
		 st.vmalloc_calls, st.vfree_calls, st.reserve_blocks,
		 st.blocks_held);
	region_destroy(r);
}

/* ---- trace_fastpath: events fire on the slow paths only ---- */

static void tc_trace_fastpath(void)
{
	struct region_stats st;
	struct region *r;
	int i;

	/* 1000 * 64 bytes fit in one block: one install, no failure. */
	r = tc_create("trt_trace", 0, 1);
	if (!r)
		return;
	for (i = 0; i < 1000; i++)
		TC_CHECK(region_alloc(r, 64, GFP_KERNEL), "alloc %d", i);
	TC_CHECK(!region_alloc(r, 0, GFP_KERNEL), "size 0");
	region_get_stats(r, &st);
	TC_CHECK(st.block_installs == 1 && st.allocs == 1000 &&
		 st.failures == 1, "installs %llu allocs %llu failures %llu",
		 st.block_installs, st.allocs, st.failures);
	region_drop(r);
	region_destroy(r);
}

/* ---- leak: a region the client never destroys ---- */

static void tc_leak(void)
{
	struct region *r = tc_create("trt_leaked", 0, 1);

	if (r)
		TC_CHECK(region_alloc(r, 128, GFP_KERNEL), "alloc");
	/* Deliberately forgotten: traceregion's exit must free it. */
}

/* ---- stats_watch: lock-free stats of trt_drop stay sane under drops ---- */

static struct task_struct *tc_watch_task;
static atomic64_t tc_watch_reads;
static atomic64_t tc_watch_bad;
/* The first insane snapshot, for the result file. */
static struct region_stats tc_watch_first_bad;

/* A figure above 2^62 is a wrapped subtraction, not a count. */
#define TC_STATS_LIMIT	BIT_ULL(62)

static bool tc_stats_sane(const struct region_stats *st)
{
	if (st->bytes_live > st->bytes_alloc ||
	    st->bytes_alloc >= TC_STATS_LIMIT ||
	    st->bytes_free >= TC_STATS_LIMIT ||
	    st->bytes_held >= TC_STATS_LIMIT)
		return false;
	/* Full-block tails are part of the blocks held. */
	if (st->bytes_held ? st->bytes_wasted >= st->bytes_held :
			     st->bytes_wasted)
		return false;
	return true;
}

static int tc_watch_thread(void *arg)
{
	struct region_stats st;

	/*
	 * Lowest priority: with a preemptible kernel, the load threads
	 * preempt it at any point, in the middle of region_get_stats() too.
	 */
	sched_set_normal(current, MAX_NICE);
	while (!kthread_should_stop()) {
		region_get_stats(tc_drop_region, &st);
		if (!tc_stats_sane(&st) &&
		    atomic64_inc_return(&tc_watch_bad) == 1)
			tc_watch_first_bad = st;
		atomic64_inc(&tc_watch_reads);
		cond_resched();
	}
	return 0;
}

static void tc_stats_watch_start(void)
{
	struct task_struct *t;

	if (tc_watch_task) {
		tc_fail("stats watch already running");
		return;
	}
	atomic64_set(&tc_watch_reads, 0);
	atomic64_set(&tc_watch_bad, 0);
	t = kthread_run(tc_watch_thread, NULL, "trt_watch");
	if (IS_ERR(t)) {
		tc_fail("kthread: %pe", t);
		return;
	}
	tc_watch_task = t;
}

static void tc_stats_watch_stop(void)
{
	const struct region_stats *st = &tc_watch_first_bad;

	if (!TC_CHECK(tc_watch_task, "stats watch not running"))
		return;
	kthread_stop(tc_watch_task);
	tc_watch_task = NULL;
	pr_info("stats_watch: %lld reads, %lld insane\n",
		atomic64_read(&tc_watch_reads), atomic64_read(&tc_watch_bad));
	TC_CHECK(atomic64_read(&tc_watch_reads) > 0, "no stats read");
	TC_CHECK(!atomic64_read(&tc_watch_bad),
		 "%lld of %lld snapshots insane, first: alloc %llu live %llu held %llu free %llu wasted %llu",
		 atomic64_read(&tc_watch_bad), atomic64_read(&tc_watch_reads),
		 st->bytes_alloc, st->bytes_live, st->bytes_held,
		 st->bytes_free, st->bytes_wasted);
}

/* ---- name_reuse: two threads create and destroy the same name ---- */

#define TC_REUSE_NAME	"trt_reuse"
#define TC_REUSE_THREADS 2

struct tc_reuse {
	struct task_struct *task;
	u64 created;
	u64 eexist;
	u64 errors;
	u64 no_files;
	long first_err;
};

static struct tc_reuse tc_reuse[TC_REUSE_THREADS];
static bool tc_reuse_running;

static void tc_reuse_on_drop(struct region *r, void *priv)
{
	/* The threads keep no pointer into the region. */
}

/* Does debugfs have traceregion/<name>/ with both files? */
static bool tc_region_files(const char *name)
{
	struct dentry *root, *dir, *stats = NULL, *drop = NULL;
	bool ok;

	root = debugfs_lookup("traceregion", NULL);
	dir = root ? debugfs_lookup(name, root) : NULL;
	if (dir) {
		stats = debugfs_lookup("stats", dir);
		drop = debugfs_lookup("drop", dir);
	}
	ok = stats && drop;
	dput(drop);
	dput(stats);
	dput(dir);
	dput(root);
	return ok;
}

static int tc_reuse_thread(void *arg)
{
	struct region_params p = {
		.reserve_blocks = 0,
		.on_drop = tc_reuse_on_drop,
	};
	struct tc_reuse *t = arg;
	struct region *r;

	while (!kthread_should_stop()) {
		r = region_create(TC_REUSE_NAME, &p);
		if (IS_ERR(r)) {
			if (PTR_ERR(r) == -EEXIST)
				t->eexist++;
			else if (!t->errors++)
				t->first_err = PTR_ERR(r);
			cond_resched();
			continue;
		}
		t->created++;
		/*
		 * The name is ours until region_destroy(): the directory must
		 * be this region's, with both files.
		 */
		if (!tc_region_files(TC_REUSE_NAME))
			t->no_files++;
		region_alloc(r, 64, GFP_KERNEL);
		/* Long enough for user space to find it and drop it. */
		usleep_range(200, 500);
		region_destroy(r);
		cond_resched();
	}
	return 0;
}

static void tc_name_reuse_start(void)
{
	int i;

	if (tc_reuse_running) {
		tc_fail("name_reuse already running");
		return;
	}
	memset(tc_reuse, 0, sizeof(tc_reuse));
	tc_reuse_running = true;
	for (i = 0; i < TC_REUSE_THREADS; i++) {
		struct task_struct *t;

		t = kthread_run(tc_reuse_thread, &tc_reuse[i], "trt_reuse/%d",
				i);
		if (IS_ERR(t)) {
			tc_fail("kthread: %pe", t);
			continue;
		}
		tc_reuse[i].task = t;
	}
}

static void tc_name_reuse_stop(void)
{
	struct region *r;
	u64 created = 0;
	int i;

	if (!TC_CHECK(tc_reuse_running, "name_reuse not running"))
		return;
	for (i = 0; i < TC_REUSE_THREADS; i++) {
		struct tc_reuse *t = &tc_reuse[i];

		if (t->task)
			kthread_stop(t->task);
		t->task = NULL;
		pr_info("name_reuse: thread %d: %llu created, %llu EEXIST, %llu errors, %llu without files\n",
			i, t->created, t->eexist, t->errors, t->no_files);
		created += t->created;
		TC_CHECK(!t->errors, "thread %d: %llu errors, first %pe", i,
			 t->errors, ERR_PTR(t->first_err));
		TC_CHECK(!t->no_files,
			 "thread %d: %llu of %llu regions without their debugfs files",
			 i, t->no_files, t->created);
	}
	tc_reuse_running = false;
	/* One thread may lose every race in a slow guest: not both. */
	TC_CHECK(created >= 2, "%llu regions created", created);
	/* Nothing left behind: the name is free, the directory gone. */
	TC_CHECK(!tc_region_files(TC_REUSE_NAME), "stale debugfs directory");
	r = region_create(TC_REUSE_NAME, NULL);
	if (TC_CHECK(!IS_ERR(r), "name not free after the loop: %pe", r)) {
		TC_CHECK(tc_region_files(TC_REUSE_NAME),
			 "re-created region without its files");
		region_destroy(r);
	}
}

/* ---- ondrop_reentry: an on_drop that drops and destroys regions ---- */

static struct region *tc_reenter_region;
static struct region *tc_reenter_other;
static int tc_reenter_calls;
static int tc_reenter_drop_other;
static int tc_reenter_drop_self;

/*
 * A hostile on_drop: drops and destroys another region and its own.  All
 * four calls must be refused.  If dropping the other region is not, the
 * calls on its own region would deadlock: they are skipped then, and the
 * check reports it.
 */
static void tc_reenter_on_drop(struct region *r, void *priv)
{
	tc_reenter_calls++;
	tc_reenter_drop_other = region_drop(tc_reenter_other);
	if (tc_reenter_drop_other != -EDEADLK)
		return;
	tc_reenter_drop_self = region_drop(r);
	region_destroy(tc_reenter_other);
	region_destroy(r);
}

static void tc_ondrop_reentry_setup(void)
{
	struct region_params p = {
		.reserve_blocks = 1,
		.on_drop = tc_reenter_on_drop,
	};

	tc_reenter_calls = 0;
	tc_reenter_drop_other = 1;
	tc_reenter_drop_self = 1;
	tc_reenter_region = region_create("trt_reenter", &p);
	tc_reenter_other = region_create("trt_reenter_b", NULL);
	if (!TC_CHECK(!IS_ERR(tc_reenter_region) &&
		      !IS_ERR(tc_reenter_other), "region_create: %pe %pe",
		      tc_reenter_region, tc_reenter_other)) {
		region_destroy(tc_reenter_region);
		region_destroy(tc_reenter_other);
		tc_reenter_region = NULL;
		tc_reenter_other = NULL;
		return;
	}
	TC_CHECK(region_alloc(tc_reenter_region, 1000, GFP_KERNEL) &&
		 region_alloc(tc_reenter_other, 1000, GFP_KERNEL), "alloc");
}

static void tc_ondrop_reentry_check(void)
{
	struct region_stats st, st_b;

	if (!TC_CHECK(tc_reenter_region, "not set up"))
		return;
	TC_CHECK(tc_reenter_calls > 0, "on_drop was not called");
	TC_CHECK(tc_reenter_drop_other == -EDEADLK,
		 "region_drop(other) from on_drop returned %d",
		 tc_reenter_drop_other);
	TC_CHECK(tc_reenter_drop_self == -EDEADLK,
		 "region_drop(self) from on_drop returned %d",
		 tc_reenter_drop_self);
	/* The refused destroys kept both regions whole and usable. */
	region_get_stats(tc_reenter_region, &st);
	region_get_stats(tc_reenter_other, &st_b);
	TC_CHECK(st.drops == tc_reenter_calls && st.blocks_held == 0,
		 "self: drops %llu (on_drop calls %d), blocks %llu", st.drops,
		 tc_reenter_calls, st.blocks_held);
	TC_CHECK(st_b.drops == 0 && st_b.blocks_held == 1 &&
		 st_b.bytes_live == 1000, "other: drops %llu blocks %llu live %llu",
		 st_b.drops, st_b.blocks_held, st_b.bytes_live);
	TC_CHECK(tc_region_files("trt_reenter") &&
		 tc_region_files("trt_reenter_b"), "debugfs files gone");
	TC_CHECK(region_alloc(tc_reenter_region, 64, GFP_KERNEL) &&
		 region_alloc(tc_reenter_other, 64, GFP_KERNEL),
		 "alloc after the refused calls");
	TC_CHECK(!region_drop(tc_reenter_other), "plain region_drop()");
	region_destroy(tc_reenter_other);
	region_destroy(tc_reenter_region);
	tc_reenter_region = NULL;
	tc_reenter_other = NULL;
}

/* ---- debugfs plumbing ---- */

/* The same tests with every region in per-CPU mode. */
#define TC_PERCPU(fn)					\
static void fn##_percpu(void)				\
{							\
	tc_flags = REGION_F_PERCPU;			\
	fn();						\
	tc_flags = 0;					\
}

TC_PERCPU(tc_align_zero)
TC_PERCPU(tc_no_overlap)
TC_PERCPU(tc_cap)
TC_PERCPU(tc_no_reserve)
TC_PERCPU(tc_contexts)
TC_PERCPU(tc_contention)
TC_PERCPU(tc_inline)

static void tc_flags_invalid(void)
{
	struct region_params p = { .flags = ~0U };
	struct region *r = region_create("trt_flags", &p);

	TC_CHECK(PTR_ERR(r) == -EINVAL, "unknown flags: %pe", r);
	if (!IS_ERR(r))
		region_destroy(r);
}

/*
 * The cases the kselftest runs one by one (it reads their names from the
 * "cases" file), then the steps its own tests drive.
 */
static const struct {
	const char *name;
	void (*fn)(void);
	bool step;
} tc_tests[] = {
	{ "create_errors",	tc_create_errors },
	{ "align_zero",		tc_align_zero },
	{ "no_overlap",		tc_no_overlap },
	{ "too_large",		tc_too_large },
	{ "inline",		tc_inline },
	{ "cap",		tc_cap },
	{ "no_reserve",		tc_no_reserve },
	{ "contexts",		tc_contexts },
	{ "contention",		tc_contention },
	{ "align_zero_percpu",	tc_align_zero_percpu },
	{ "no_overlap_percpu",	tc_no_overlap_percpu },
	{ "cap_percpu",		tc_cap_percpu },
	{ "no_reserve_percpu",	tc_no_reserve_percpu },
	{ "contexts_percpu",	tc_contexts_percpu },
	{ "contention_percpu",	tc_contention_percpu },
	{ "inline_percpu",	tc_inline_percpu },
	{ "flags_invalid",	tc_flags_invalid },
	{ "recycle",		tc_recycle },
	{ "load_start",		tc_load_start,			true },
	{ "load_stop",		tc_load_stop_all,		true },
	{ "trace_fastpath",	tc_trace_fastpath,		true },
	{ "leak",		tc_leak,			true },
	{ "stats_watch_start",	tc_stats_watch_start,		true },
	{ "stats_watch_stop",	tc_stats_watch_stop,		true },
	{ "name_reuse_start",	tc_name_reuse_start,		true },
	{ "name_reuse_stop",	tc_name_reuse_stop,		true },
	{ "ondrop_reentry_setup", tc_ondrop_reentry_setup,	true },
	{ "ondrop_reentry_check", tc_ondrop_reentry_check,	true },
};

static ssize_t tc_run_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	char name[32];
	ssize_t ret = -EINVAL;
	size_t len = min(count, sizeof(name) - 1);
	int i;

	if (copy_from_user(name, ubuf, len))
		return -EFAULT;
	name[len] = '\0';
	strim(name);

	mutex_lock(&tc_mutex);
	for (i = 0; i < ARRAY_SIZE(tc_tests); i++) {
		if (strcmp(name, tc_tests[i].name))
			continue;
		tc_msg_len = 0;
		tc_msg[0] = '\0';
		tc_failed = false;
		tc_tests[i].fn();
		if (tc_failed)
			pr_err("test %s failed:\n%s", name, tc_msg);
		ret = tc_failed ? -EIO : count;
		break;
	}
	mutex_unlock(&tc_mutex);
	return ret;
}

static const struct file_operations tc_run_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= tc_run_write,
	.llseek	= noop_llseek,
};

static int tc_result_show(struct seq_file *m, void *v)
{
	mutex_lock(&tc_mutex);
	seq_puts(m, tc_msg);
	mutex_unlock(&tc_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tc_result);

static int tc_cases_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(tc_tests); i++)
		if (!tc_tests[i].step)
			seq_printf(m, "%s\n", tc_tests[i].name);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tc_cases);

static int tc_status_show(struct seq_file *m, void *v)
{
	seq_printf(m, "on_drop_calls: %d\n", atomic_read(&tc_on_drop_calls));
	seq_printf(m, "load_running: %d\n", READ_ONCE(tc_load_running));
	seq_printf(m, "load_allocs: %lld\n", atomic64_read(&tc_load_allocs));
	seq_printf(m, "load_nulls: %lld\n", atomic64_read(&tc_load_nulls));
	seq_printf(m, "load_errors: %lld\n", atomic64_read(&tc_load_errors));
	seq_printf(m, "watch_reads: %lld\n", atomic64_read(&tc_watch_reads));
	seq_printf(m, "watch_insane: %lld\n", atomic64_read(&tc_watch_bad));
	seq_printf(m, "reuse_created: %llu\n",
		   tc_reuse[0].created + tc_reuse[1].created);
	seq_printf(m, "reuse_eexist: %llu\n",
		   tc_reuse[0].eexist + tc_reuse[1].eexist);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(tc_status);

static int __init tc_init(void)
{
	struct region_params p = {
		.max_bytes = 8 * SZ_1M,
		.reserve_blocks = 4,
		.on_drop = tc_on_drop,
	};

	tc_drop_region = region_create("trt_drop", &p);
	if (IS_ERR(tc_drop_region))
		return PTR_ERR(tc_drop_region);
	tc_noowner_region = region_create("trt_noowner", NULL);
	if (IS_ERR(tc_noowner_region)) {
		region_destroy(tc_drop_region);
		return PTR_ERR(tc_noowner_region);
	}
	/* Something to see in the stats files. */
	region_alloc(tc_noowner_region, 4000, GFP_KERNEL);

	tc_dir = debugfs_create_dir("traceregion_test", NULL);
	debugfs_create_file("run", 0200, tc_dir, NULL, &tc_run_fops);
	debugfs_create_file("result", 0400, tc_dir, NULL, &tc_result_fops);
	debugfs_create_file("cases", 0400, tc_dir, NULL, &tc_cases_fops);
	debugfs_create_file("status", 0400, tc_dir, NULL, &tc_status_fops);
	return 0;
}

static void __exit tc_exit(void)
{
	int i;

	debugfs_remove_recursive(tc_dir);
	if (tc_watch_task)
		kthread_stop(tc_watch_task);
	for (i = 0; i < TC_REUSE_THREADS; i++)
		if (tc_reuse[i].task)
			kthread_stop(tc_reuse[i].task);
	region_destroy(tc_reenter_region);
	region_destroy(tc_reenter_other);
	tc_load_stop_all();
	region_destroy(tc_noowner_region);
	region_destroy(tc_drop_region);
}

module_init(tc_init);
module_exit(tc_exit);

MODULE_IMPORT_NS(TRACEREGION);
MODULE_DESCRIPTION("traceregion selftest client");
MODULE_LICENSE("GPL");
