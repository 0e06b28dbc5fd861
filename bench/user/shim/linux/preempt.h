/* SPDX-License-Identifier: GPL-2.0 */
/*
 * preempt_disable(): a thread-local counter, bumped and dropped as the
 * kernel's per-CPU __preempt_count is (incl/decl %gs:...), so that it costs
 * what it costs in the kernel.  A thread is pinned to its "CPU": there is
 * no migration to prevent.
 *
 * Unlike the kernel, the shim's synchronize_rcu() does not wait for these
 * sections: a region_drop() must not overlap per-CPU-mode allocations
 * here.  The benchmark never overlaps them.
 */
#ifndef _TR_LINUX_PREEMPT_H
#define _TR_LINUX_PREEMPT_H

#include <linux/compiler.h>

extern __thread int tr_preempt_count;

#ifdef TR_ABLATE_RCU
/* What-if: the RCU read side (a preempt-disabled section) costs nothing. */
#define preempt_disable()	barrier()
#define preempt_enable()	barrier()
#else
#define preempt_disable()	do { tr_preempt_count++; barrier(); } while (0)
#define preempt_enable()	do { barrier(); tr_preempt_count--; } while (0)
#endif
/* A thread is always in task context. */
#define interrupt_context_level()	0

#define preempt_disable_notrace()	preempt_disable()
#define preempt_enable_notrace()	preempt_enable()

#endif
