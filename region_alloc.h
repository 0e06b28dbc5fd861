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
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/sizes.h>

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
 *	%REGION_MAX_RESERVE.  A drop recycles up to as many dropped blocks
 *	on top of them.
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
 * @reserve_blocks: spare zeroed blocks ready for atomic context; up to
 *	twice region_params.reserve_blocks right after a drop, which keeps
 *	up to the reserve's worth of the dropped blocks on top of the reserve
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
