/* SPDX-License-Identifier: GPL-2.0 */
/*
 * local_t: a counter only its own CPU modifies.  On x86 an add is one xadd
 * without a lock prefix (atomic against interrupts on the same CPU, not
 * against other CPUs), as the kernel's arch/x86/include/asm/local.h does.
 */
#ifndef _TR_ASM_LOCAL_H
#define _TR_ASM_LOCAL_H

#include <linux/atomic.h>

typedef struct {
	atomic_long_t a;
} local_t;

static inline long local_read(const local_t *l)
{
	return atomic_long_read(&l->a);
}

static inline void local_set(local_t *l, long i)
{
	atomic_long_set(&l->a, i);
}

static inline long local_add_return(long i, local_t *l)
{
#if defined(__x86_64__)
	long __i = i;

	__asm__ __volatile__("xaddq %0, %1"
			     : "+r" (i), "+m" (l->a.counter)
			     : : "memory");
	return i + __i;
#else
	return __atomic_add_fetch(&l->a.counter, i, __ATOMIC_RELAXED);
#endif
}

#endif
