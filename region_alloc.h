/* SPDX-License-Identifier: GPL-2.0 */
/*
 * traceregion - bump-pointer region allocator for tracing code
 *
 * A region hands out small, 8-byte aligned, zeroed records from 64 KiB
 * vmalloc blocks and frees all of them at once with region_drop().  It is
 * the kernel port of the Go runtime's traceRegionAlloc.  See
 * Documentation/traceregion.rst for the design and the context rules.
 *
 * The API is exported in the TRACEREGION symbol namespace: a client module
 * says MODULE_IMPORT_NS(TRACEREGION); on every kernel (region_compat.h).
 */
#ifndef _TRACEREGION_REGION_ALLOC_H
#define _TRACEREGION_REGION_ALLOC_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sizes.h>

#include <asm/local.h>

#include "region_compat.h"

struct region;

/* Size of one block, header included. */
#define REGION_BLOCK_SIZE	SZ_64K

/*
 * Bytes of per-block header; the largest request region_alloc() accepts is
 * REGION_BLOCK_SIZE - REGION_BLOCK_HDR.
 */
#define REGION_BLOCK_HDR	64
#define REGION_MAX_ALLOC	(REGION_BLOCK_SIZE - REGION_BLOCK_HDR)

/* Longest region name, without the terminating NUL. */
#define REGION_NAME_MAX		31

/* Spare blocks kept for atomic context when no params are given. */
#define REGION_DEFAULT_RESERVE	2
/* Upper bound on region_params.reserve_blocks. */
#define REGION_MAX_RESERVE	64

/*
 * region_params.flags: each CPU bumps a current block of its own with a
 * CPU-local add (no lock prefix, no cache line shared between CPUs), at the
 * cost of up to one partly used block per CPU.  Without it, all CPUs share
 * one current block, bumped with atomic_long_add_return() as in Go.
 */
#define REGION_F_PERCPU		0x1U
#define REGION_F_ALL		REGION_F_PERCPU

/**
 * struct region_params - optional parameters of region_create()
 * @max_bytes: cap on the block memory the region holds (blocks in use plus
 *	spare blocks), in bytes; 0 means no cap.  A non-zero cap must leave
 *	room for the reserve plus one block in use.
 * @reserve_blocks: spare blocks kept for callers that cannot sleep; at most
 *	%REGION_MAX_RESERVE.  The reserve deepens (up to 64 blocks and a
 *	quarter of the cap) while non-blocking callers find it empty, and
 *	a drop recycles dropped blocks on top of it, up to twice as many
 *	(or the deepened reserve) in all; 0 keeps none, ever.
 * @on_drop: called by a drop requested through debugfs, after new
 *	allocations are fenced off and before the blocks are freed.  The owner
 *	forgets every pointer into the region and waits for its own users
 *	(for example its tracepoint probes) before returning.  It runs in
 *	process context and may sleep, one debugfs drop at a time.  It must
 *	not drop or destroy any region: region_drop() then returns -EDEADLK
 *	and region_destroy() refuses (and orphans the region); nor wait for
 *	work that does (that deadlocks).  It must live in the module that
 *	called region_create() (not in __init code): only that module's
 *	unloading is watched.  A region without @on_drop, or whose owner
 *	module is unloading or gone, refuses debugfs drops; an on_drop that
 *	had already started when rmmod began runs on while the owner's exit
 *	runs, until its region_destroy() waits for it.
 * @priv: passed to @on_drop.
 * @flags: %REGION_F_PERCPU or 0.
 */
struct region_params {
	size_t max_bytes;
	unsigned int reserve_blocks;
	unsigned int flags;
	void (*on_drop)(struct region *r, void *priv);
	void *priv;
};

/**
 * enum region_fail_cause - why region_alloc() returned NULL
 * @REGION_FAIL_TOO_LARGE: size was 0 or above %REGION_MAX_ALLOC
 * @REGION_FAIL_NO_RESERVE: a non-blocking caller needed a new block and no
 *	spare block was left
 * @REGION_FAIL_CAP: a new block would exceed region_params.max_bytes
 * @REGION_FAIL_DROPPING: a drop or destroy was in progress
 * @REGION_FAIL_VMALLOC: vmalloc of a new block failed
 * @REGION_FAIL_NMI_BUSY: in NMI, the install lock was held by another CPU
 * @REGION_FAIL_RECURSION: the call re-entered the allocator on a CPU that
 *	was already inside a region's locked section (a probe that fired in
 *	there, or an NMI that interrupted it); refused instead of spinning
 * @REGION_FAIL_NR: number of causes
 */
enum region_fail_cause {
	REGION_FAIL_TOO_LARGE,
	REGION_FAIL_NO_RESERVE,
	REGION_FAIL_CAP,
	REGION_FAIL_DROPPING,
	REGION_FAIL_VMALLOC,
	REGION_FAIL_NMI_BUSY,
	REGION_FAIL_RECURSION,
	REGION_FAIL_NR,
};

/**
 * struct region_stats - a snapshot of a region's counters
 * @allocs: successful region_alloc() calls since creation
 * @bytes_alloc: bytes handed out since creation (sizes rounded up to 8)
 * @bytes_live: bytes handed out since the last drop
 * @bytes_held: bytes of blocks in use, headers included
 *	(@blocks_held * %REGION_BLOCK_SIZE)
 * @bytes_free: bytes still free at the end of the current block (of every
 *	CPU's current block in per-CPU mode)
 * @bytes_wasted: bytes lost in the tails of full blocks.  In a quiet region
 *	@bytes_held == @bytes_live + @bytes_free + @bytes_wasted +
 *	@blocks_held * %REGION_BLOCK_HDR.
 * @blocks_held: blocks in use (the current block or blocks and the full
 *	ones)
 * @reserve_blocks: spare zeroed blocks ready for atomic context: up to the
 *	refill target (region_params.reserve_blocks, deepened while
 *	non-blocking callers find the reserve empty, at most 64), or twice
 *	region_params.reserve_blocks right after a drop, which recycles
 *	dropped blocks on top of the reserve; in per-CPU mode the blocks in
 *	the CPUs' stashes (up to 8 a CPU, usable by their CPU only) count
 *	too, on top of these bounds
 * @block_installs: blocks made current since creation
 * @vmalloc_calls: blocks obtained from vmalloc since creation
 * @vfree_calls: blocks given back with vfree since creation
 * @vmalloc_fails: block allocations that failed since creation (vmalloc
 *	or the fail_traceregion fault point), reserve refills included
 * @recycled: blocks zeroed and kept as spares by a drop since creation
 * @fail: failed region_alloc() calls by &enum region_fail_cause
 * @failures: sum of @fail
 * @drops: completed drops since creation
 */
struct region_stats {
	u64 allocs;
	u64 bytes_alloc;
	u64 bytes_live;
	u64 bytes_held;
	u64 bytes_free;
	u64 bytes_wasted;
	u64 blocks_held;
	u64 reserve_blocks;
	u64 block_installs;
	u64 vmalloc_calls;
	u64 vfree_calls;
	u64 vmalloc_fails;
	u64 recycled;
	u64 fail[REGION_FAIL_NR];
	u64 failures;
	u64 drops;
};

/*
 * The fast path, inline in the caller
 *
 * region_alloc_inline() is the whole of region_alloc() except its slow path:
 * it reads the few fields below directly, so a client that calls it
 * compiles them in, with the block size.  Their layout is the module's ABI:
 * a client that inlines the fast path is built against the same header as
 * the traceregion.ko it loads with.  On a kernel with CONFIG_MODVERSIONS
 * (Debian's 5.10, 6.1 and 6.12 have it; its 7.x kernels do not) the CRC of
 * __region_alloc_slow(), whose prototype names struct region_fast, covers
 * these structures and the block size (the bound of region_block.data), so
 * a client built against another layout is refused at load; without
 * modversions nothing checks it.  Clients that would rather not depend on
 * the layout call region_alloc(), which is the same code out of line.
 * Nothing here may be written by a client.
 */

/**
 * struct region_block - one block: a header, then the records
 * @node: link on the region's full or spare list, under its lock
 * @off: bytes of @data handed out or claimed; grows past
 *	%REGION_MAX_ALLOC once the block is full and then only grows
 * @loff: the same offset, bumped with local ops in per-CPU mode, where only
 *	the CPU whose current block this is touches it
 * @hdr: pads the header to %REGION_BLOCK_HDR bytes
 * @data: the records; a fixed size rather than a flexible array, so that
 *	the block size is part of the type (and of the modversions CRC, see
 *	above)
 */
struct region_block {
	union {
		struct {
			struct list_head node;
			union {
				atomic_long_t off;
				local_t loff;
			};
		};
		u8 hdr[REGION_BLOCK_HDR];
	};
	u8 data[REGION_MAX_ALLOC];
};

/**
 * struct region_pcpu - a region's per-CPU part
 * @cur: per-CPU mode: this CPU's current block (written with interrupts
 *	off on this CPU, under the region's lock or with cmpxchg() from its
 *	stash, and taken with xchg() by a drop with the fence up)
 * @allocs: successful allocations on this CPU
 * @bytes: bytes they handed out
 * @fail: failed allocations on this CPU, by &enum region_fail_cause
 *
 * The counters are per CPU so that statistics stay off shared cache lines.
 */
struct region_pcpu {
	struct region_block __rcu *cur;
	u64 allocs;
	u64 bytes;
	u64 fail[REGION_FAIL_NR];
};

/**
 * struct region_fast - what the fast path reads: the head of a region
 * @cur: shared mode: the current block, or NULL (none yet, or a drop has
 *	unpublished it)
 * @pcpu: the per-CPU part
 * @percpu: the region is in per-CPU mode (%REGION_F_PERCPU); fixed
 */
struct region_fast {
	struct region_block __rcu *cur;
	struct region_pcpu __percpu *pcpu;
	bool percpu;
};

/*
 * Carve @n bytes from @b into *@p.  The offset only grows: once an add has
 * taken it past REGION_MAX_ALLOC every later add fails too, so a retired
 * block can be bumped by a CPU holding a stale pointer without handing out
 * anything.
 *
 * A block seen full is not added to again.  Only callers that read ->off
 * before another's add took it past the end can still add, at most one add
 * of at most REGION_MAX_ALLOC bytes per context in flight (a task, a soft
 * and a hard IRQ and an NMI per CPU), so ->off stays far below LONG_MAX even
 * with a 32-bit long and cannot wrap round into the block however many
 * calls fail on it (at the cap, say).
 *
 * (A bool and an out parameter, not a pointer or NULL: the kernel is built
 * with -fno-delete-null-pointer-checks, so a caller would test the pointer
 * again.)
 */
static __always_inline bool region_block_bump(struct region_block *b,
					      unsigned long n, void **p)
{
	long end;

	if (unlikely(atomic_long_read(&b->off) > REGION_MAX_ALLOC - (long)n))
		return false;
	end = atomic_long_add_return(n, &b->off);
	if (unlikely(end > REGION_MAX_ALLOC))
		return false;
	*p = b->data + end - n;
	return true;
}

/* The per-CPU mode twin: only this CPU bumps @b; IRQ/NMI nesting is fine. */
static __always_inline bool region_block_bump_local(struct region_block *b,
						    unsigned long n, void **p)
{
	long end;

	if (unlikely(local_read(&b->loff) > REGION_MAX_ALLOC - (long)n))
		return false;
	end = local_add_return(n, &b->loff);
	if (unlikely(end > REGION_MAX_ALLOC))
		return false;
	*p = b->data + end - n;
	return true;
}

void *__region_alloc_slow(struct region_fast *f, size_t size, gfp_t gfp);

/*
 * The fast path of region_alloc() and region_alloc_inline(), with the size
 * checked at run time (for a constant size the check folds away).
 *
 * It needs no fence test: a drop unpublishes the current blocks (NULL)
 * before its grace period, so a caller that loads a block here is inside
 * this preempt-disabled section, the RCU reader the drop waits for before
 * it frees the block, and a caller that loads NULL takes the slow path,
 * which refuses while the drop is in progress.
 */
static __always_inline void *__region_alloc_fast(struct region *r,
						 size_t size, gfp_t gfp)
{
	struct region_fast *f = (struct region_fast *)r;
	struct region_pcpu __percpu *pc = f->pcpu;
	struct region_block *b;
	unsigned long n;
	void *p;
	bool ok;

	/*
	 * The debug check here, so that it catches a blocking gfp in atomic
	 * context even when the fast path succeeds; the slow path, which may
	 * sleep, always makes it (without the debug option might_sleep() is a
	 * voluntary preemption point, which the fast path does not need).
	 */
	if (IS_ENABLED(CONFIG_DEBUG_ATOMIC_SLEEP))
		might_sleep_if(gfpflags_allow_blocking(gfp));
	/* The slow path counts the failure. */
	if (unlikely(size - 1 >= REGION_MAX_ALLOC))
		return __region_alloc_slow(f, size, gfp);
	n = ALIGN(size, 8);

	/*
	 * A preempt-disabled section is an RCU reader (cheaper than
	 * rcu_read_lock(), which is out of line with PREEMPT_RCU).  In per-CPU
	 * mode it also pins this CPU's block.  The statistics are counted
	 * inside it, so a drop's snapshot after its grace period has every
	 * record of the blocks it frees.
	 */
	preempt_disable();
	if (f->percpu) {
		b = rcu_dereference_sched(this_cpu_ptr(pc)->cur);
		ok = b && region_block_bump_local(b, n, &p);
	} else {
		b = rcu_dereference_sched(f->cur);
		ok = b && region_block_bump(b, n, &p);
	}
	if (likely(ok)) {
		this_cpu_inc(pc->allocs);
		this_cpu_add(pc->bytes, n);
	}
	preempt_enable();

	if (unlikely(!ok))
		return __region_alloc_slow(f, size, gfp);
	return p;
}

/**
 * region_alloc_inline() - region_alloc(), its fast path inline
 * @r: the region
 * @size: bytes wanted, 1 to %REGION_MAX_ALLOC, rounded up to 8; for a
 *	constant size the range check folds away at compile time (a constant
 *	out of range compiles to the failure, counted as region_alloc()
 *	counts it)
 * @gfp: as for region_alloc()
 *
 * The same allocation as region_alloc(), with the same rules, figures and
 * failures; only the call is saved (see "The fast path, inline in the
 * caller" above for what that costs in ABI).
 *
 * Context: as region_alloc().
 * Return: as region_alloc().
 */
static __always_inline void *region_alloc_inline(struct region *r, size_t size,
						 gfp_t gfp)
{
	return __region_alloc_fast(r, size, gfp);
}

struct region *__region_create(const char *name, const struct region_params *p,
			       struct module *owner);

/**
 * region_create() - create a named region owned by the calling module
 * @name: 1 to %REGION_NAME_MAX characters of ``[a-z0-9_-]``, not "stats";
 *	it names the region's debugfs directory
 * @p: parameters, or NULL for the defaults: no cap unless the module
 *	parameter ``max_blocks`` sets one, ``default_reserve`` spare blocks
 *	(%REGION_DEFAULT_RESERVE unless set) and no on_drop
 *
 * The calling module (THIS_MODULE) becomes the region's owner: if the owner
 * unloads (or its init fails) without region_destroy(), the region is
 * orphaned (debugfs drops refused, after an on_drop in progress has
 * returned) instead of left pointing into freed code.  See
 * __region_create().
 *
 * Context: process context, may sleep.
 * Return: the region, or an ERR_PTR() as __region_create() returns.
 */
#define region_create(name, p)	__region_create(name, p, THIS_MODULE)

void region_destroy(struct region *r);
void *region_alloc(struct region *r, size_t size, gfp_t gfp);
int region_drop(struct region *r);
void region_get_stats(struct region *r, struct region_stats *st);
const char *region_fail_name(enum region_fail_cause cause);

/*
 * Generation sets: two regions used in turn, one generation at a time, as
 * the Go tracer uses its tables.  See Documentation/traceregion.rst.
 */
struct region_gen;

/* Regions of a set: the current generation's and the previous one's. */
#define REGION_GEN_SLOTS	2
/* Longest prefix of a set: its regions are named "<prefix>-<slot>". */
#define REGION_GEN_PREFIX_MAX	(REGION_NAME_MAX - 2)

/**
 * struct region_gen_params - parameters of region_gen_create()
 * @region: parameters of both regions (cap, reserve, flags); its on_drop
 *	and priv must be left NULL: the set calls @on_drop instead
 * @flush: called by region_gen_advance() for the generation that just
 *	ended, once no read section can still be in its slot: summarise or
 *	publish what the slot holds, then forget every pointer into it (its
 *	region is dropped when this returns).  Optional.
 * @on_drop: called when a debugfs drop of one of the set's regions fences
 *	it: forget every pointer into that slot.  Every read section that got
 *	memory of the slot has ended by then, and later ones get NULL there
 *	until the drop is over, so what the slot holds no longer grows; read
 *	sections may still be reading it, and the set waits for them after
 *	@on_drop, before the blocks are freed.  Without @on_drop, debugfs
 *	drops of the set's regions are refused (-EPERM).
 * @priv: passed to @flush and @on_drop
 *
 * @flush and @on_drop run in process context, may sleep, never at the same
 * time as each other or as any region's on_drop, and follow the rules of
 * region_params.on_drop: no drop, destroy or advance of any region or set,
 * nor region_gen_create(), from inside them (refused), nor a wait for a
 * lock or work that does one (that deadlocks), and they live in the module
 * that created the set.
 */
struct region_gen_params {
	struct region_params region;
	void (*flush)(struct region_gen *g, unsigned int slot,
		      unsigned long gen, void *priv);
	void (*on_drop)(struct region_gen *g, unsigned int slot, void *priv);
	void *priv;
};

struct region_gen *__region_gen_create(const char *prefix,
				       const struct region_gen_params *p,
				       struct module *owner);

/**
 * region_gen_create() - create a generation set owned by the calling module
 * @prefix: 1 to %REGION_GEN_PREFIX_MAX characters of ``[a-z0-9_-]``; the
 *	set's regions are "<prefix>-0" and "<prefix>-1"
 * @p: parameters, or NULL for the defaults of region_create() and no
 *	callbacks
 *
 * Context: process context, may sleep.
 * Return: the set, or an ERR_PTR() as __region_gen_create() returns.
 */
#define region_gen_create(prefix, p)	__region_gen_create(prefix, p, THIS_MODULE)

void region_gen_destroy(struct region_gen *g);
unsigned int region_gen_read_lock(struct region_gen *g);
void region_gen_read_unlock(struct region_gen *g);
void *region_gen_alloc(struct region_gen *g, unsigned int slot, size_t size,
		       gfp_t gfp);
int region_gen_advance(struct region_gen *g);
unsigned long region_gen_current(struct region_gen *g);
struct region *region_gen_region(struct region_gen *g, unsigned int slot);

#endif /* _TRACEREGION_REGION_ALLOC_H */
