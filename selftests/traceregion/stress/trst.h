/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trst.h - what the two files of traceregion_stress share: trst_main.c (the
 * allocators of every context, the drops, the check) and trst_reentry.c
 * (the re-entry torture).
 */
#ifndef _TRACEREGION_TRST_H
#define _TRACEREGION_TRST_H

#include <linux/compiler.h>
#include <linux/types.h>

struct region;

/* trst_shared and trst_percpu (REGION_F_PERCPU). */
#define TRST_NR_REGIONS	2

/* What one context counted on one CPU for one region. */
struct trst_count {
	u64 allocs;	/* non-NULL returns */
	u64 bytes;	/* their sizes rounded up to 8 */
	u64 nulls;	/* NULL returns, invalid sizes included */
	u64 bad_size;	/* requests of an invalid size (must all be NULL) */
};

/* Record tags: bits 63-60 say who allocated (enum trst_ctx or above). */
#define TRST_TAG_REENTRY	8

/* trst_main.c */
extern const char * const trst_region_names[TRST_NR_REGIONS];
u64 trst_tag(unsigned int who, unsigned int cpu, u64 seq);
void trst_record_check(u8 *p, size_t size, u64 tag);
__printf(1, 2) void trst_printf(const char *fmt, ...);
void trst_verdict(bool ok, const char *what);
void trst_verdict_skip(const char *what, const char *why);

/* trst_reentry.c: arm before the allocators start, disarm after they stop. */
void trst_reentry_arm(struct region * const *r);
void trst_reentry_disarm(void);
void trst_reentry_sum(int ri, struct trst_count *sum);
void trst_reentry_check(void);

#endif /* _TRACEREGION_TRST_H */
