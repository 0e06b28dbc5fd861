/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trst.h - what the two files of traceregion_stress share: trst_main.c (the
 * allocators of every context, the drops, the check) and trst_reentry.c
 * (the re-entry torture).
 */
#ifndef _TRACEREGION_TRST_H
#define _TRACEREGION_TRST_H

#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/types.h>

struct region;
struct region_gen;

/* trst_shared and trst_percpu (REGION_F_PERCPU): the plain regions. */
#define TRST_NR_REGIONS	2
/*
 * The generation set trst_gen (regions trst_gen-0 and trst_gen-1): the
 * third target the allocators count for, after the plain regions.
 */
#define TRST_GEN_PREFIX	"trst_gen"
#define TRST_GEN	TRST_NR_REGIONS
#define TRST_NR_TARGETS	(TRST_NR_REGIONS + 1)

/* What one context counted on one CPU for one region or the set. */
struct trst_count {
	u64 allocs;	/* non-NULL returns */
	u64 bytes;	/* their sizes rounded up to 8 */
	u64 nulls;	/* NULL returns, invalid sizes included */
	u64 bad_size;	/* requests of an invalid size (must all be NULL) */
};

/* Record tags: bits 63-60 say who allocated (enum trst_ctx or above). */
#define TRST_TAG_REENTRY	8

/*
 * A record of trst_gen: this header, then a pattern.  Published on its
 * slot's list, which the generation's flush (or a debugfs drop's on_drop)
 * takes and checks.
 */
struct trst_gen_rec {
	struct trst_gen_rec *next;
	u64 tag;
	unsigned long gen;
	size_t size;		/* of the record, header included */
};

/*
 * What to ask for a record of @size bytes: at least its header.  An invalid
 * size (0, above REGION_MAX_ALLOC) stays invalid.
 */
static inline size_t trst_gen_size(size_t size)
{
	return size ? max(size, sizeof(struct trst_gen_rec)) : 0;
}

/* A read section of trst_gen: its slot and the generation that holds it. */
struct trst_gen_section {
	unsigned int slot;
	unsigned long gen;
};

/* trst_main.c */
extern const char * const trst_region_names[TRST_NR_REGIONS];
u64 trst_tag(unsigned int who, unsigned int cpu, u64 seq);
void trst_record_check(u8 *p, size_t size, u64 tag);
__printf(1, 2) void trst_printf(const char *fmt, ...);
void trst_verdict(bool ok, const char *what);
void trst_verdict_skip(const char *what, const char *why);
void trst_gen_enter(struct trst_gen_section *s);
void trst_gen_leave(const struct trst_gen_section *s);
struct trst_gen_rec *trst_gen_record(const struct trst_gen_section *s,
				     size_t size, gfp_t gfp, u64 tag);
bool trst_gen_intact(const struct trst_gen_rec *rec, size_t size, u64 tag,
		     unsigned long gen);

/* trst_reentry.c: arm before the allocators start, disarm after they stop. */
void trst_reentry_arm(struct region * const *r, struct region_gen *g);
void trst_reentry_disarm(void);
void trst_reentry_on(bool on);
void trst_reentry_sum(int ri, struct trst_count *sum);
void trst_reentry_check(void);

#endif /* _TRACEREGION_TRST_H */
