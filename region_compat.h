/* SPDX-License-Identifier: GPL-2.0 */
/*
 * traceregion - the differences between the kernels it builds against.
 *
 * Every #if on the kernel version in traceregion.ko lives here and nowhere
 * else (the test, sample and bench modules have theirs in
 * selftests/traceregion/tr_kcompat.h).  Each names the version it applies
 * to.  Booted and tested (make check): Debian's 5.10, 6.1, 6.12 (also
 * PREEMPT_RT), 7.2 (also PREEMPT_RT) and 7.3-rc, amd64; 6.1 on arm64 and
 * on 32-bit x86.
 */
#ifndef _TRACEREGION_REGION_COMPAT_H
#define _TRACEREGION_REGION_COMPAT_H

#include <linux/version.h>
#include <linux/preempt.h>

/*
 * Symbol namespace of the exported API: TRACEREGION on every kernel, and
 * everyone writes
 *	EXPORT_SYMBOL_NS_GPL(sym, TRACEREGION);	(this module)
 *	MODULE_IMPORT_NS(TRACEREGION);		(a client)
 * Up to 6.12 the kernel's macros take a bare identifier and stringify it,
 * up to 5.1x without expanding it, so TRACEREGION must not be a macro
 * there; from 6.13 on they take a string literal, which TRACEREGION then
 * expands to.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define TRACEREGION		"TRACEREGION"
#endif

/*
 * The name earlier clients were told to write: still right from 5.1x on,
 * where the kernel's macros expand their argument, but not on 5.10.
 * Deprecated: write MODULE_IMPORT_NS(TRACEREGION).
 */
#define TRACEREGION_NS		TRACEREGION

/*
 * interrupt_context_level() (5.16): 0 task, 1 softirq, 2 hardirq, 3 NMI.
 * Before it, the same from the context tests.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 16, 0)
static __always_inline unsigned char region_context_level(void)
{
	if (in_nmi())
		return 3;
	if (in_irq())
		return 2;
	return in_serving_softirq() ? 1 : 0;
}
#else
#define region_context_level()	interrupt_context_level()
#endif

/*
 * __cond_lock(), sparse's conditional acquire, is gone in 7.x (the
 * compiler's context analysis replaced it); the value is what code needs.
 */
#ifndef __cond_lock
#define __cond_lock(x, c)	(c)
#endif

/*
 * The unbound system workqueue: system_dfl_wq from 6.17 (where
 * system_unbound_wq becomes a deprecated name: 7.x logs "enqueued on
 * deprecated workqueue" for it), system_unbound_wq before.  Some stable
 * kernels (Debian's 6.12) have both; the older name is not deprecated there.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
#define region_unbound_wq	system_dfl_wq
#else
#define region_unbound_wq	system_unbound_wq
#endif

#endif /* _TRACEREGION_REGION_COMPAT_H */
