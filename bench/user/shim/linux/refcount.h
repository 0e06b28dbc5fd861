/* SPDX-License-Identifier: GPL-2.0 */
/* refcount_t as an atomic_t, without the saturation checks. */
#ifndef _TR_LINUX_REFCOUNT_H
#define _TR_LINUX_REFCOUNT_H

#include <linux/atomic.h>

typedef struct {
	atomic_t refs;
} refcount_t;

static inline void refcount_set(refcount_t *r, int n)
{
	atomic_set(&r->refs, n);
}

static inline void refcount_inc(refcount_t *r)
{
	atomic_inc(&r->refs);
}

static inline bool refcount_dec_and_test(refcount_t *r)
{
	return __atomic_sub_fetch(&r->refs.counter, 1, __ATOMIC_SEQ_CST) == 0;
}

#endif
