/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TR_LINUX_COMPILER_H
#define _TR_LINUX_COMPILER_H

#define __rcu
#define __percpu
#define __user
#define __iomem
#define __force
#define __must_check		__attribute__((warn_unused_result))
#ifndef __always_inline
#define __always_inline		inline __attribute__((always_inline))
#endif
#define noinline		__attribute__((noinline))
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#define __maybe_unused		__attribute__((unused))
#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#define barrier()		__asm__ __volatile__("" ::: "memory")

#define SMP_CACHE_BYTES		64
#define ____cacheline_aligned_in_smp \
	__attribute__((__aligned__(SMP_CACHE_BYTES)))

/* Sparse's lock context annotations: nothing to the compiler. */
#define __acquires(x)
#define __releases(x)
#define __acquire(x)		((void)0)
#define __release(x)		((void)0)
#define __cond_lock(x, c)	(c)

#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val)	do { *(volatile __typeof__(x) *)&(x) = (val); } while (0)

#endif
