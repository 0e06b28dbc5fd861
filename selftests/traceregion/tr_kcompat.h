/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The differences between kernels that the test, sample and bench modules
 * meet (traceregion.ko's own are in region_compat.h).  Every #if on the
 * kernel version in those modules lives here, each naming the version it
 * applies to.
 */
#ifndef _TRACEREGION_TR_KCOMPAT_H
#define _TRACEREGION_TR_KCOMPAT_H

#include <linux/version.h>
#include <linux/err.h>
#include <linux/ftrace.h>
#include <linux/hardirq.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/topology.h>

/* in_hardirq() (5.11); in_irq() before. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 11, 0)
#define in_hardirq()		in_irq()
#endif

/*
 * hrtimer_setup() (6.13) replaces hrtimer_init() and the assignment of
 * ->function, which 7.x no longer has.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
static inline void hrtimer_setup(struct hrtimer *timer,
				 enum hrtimer_restart (*fn)(struct hrtimer *),
				 clockid_t clock_id, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock_id, mode);
	timer->function = fn;
}
#endif

/*
 * The sched_switch tracepoint's arguments after the probe's data pointer:
 * prev_state was added in 5.18.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 18, 0)
#define TR_SCHED_SWITCH_ARGS	bool preempt, struct task_struct *prev, \
				struct task_struct *next, unsigned int prev_state
#else
#define TR_SCHED_SWITCH_ARGS	bool preempt, struct task_struct *prev, \
				struct task_struct *next
#endif

/*
 * ftrace_ops callbacks: struct ftrace_regs and the callback's own recursion
 * lock (<linux/trace_recursion.h>) came in 5.11.  Before, ftrace itself
 * keeps an ops without FTRACE_OPS_FL_RECURSION_SAFE from recursing, so the
 * lock has nothing to do.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
#include <linux/trace_recursion.h>
#define tr_ftrace_regs		ftrace_regs
#else
#define tr_ftrace_regs		pt_regs
static inline int ftrace_test_recursion_trylock(unsigned long ip,
						unsigned long parent_ip)
{
	return 0;
}

static inline void ftrace_test_recursion_unlock(int bit)
{
}
#endif

/*
 * page_frag: <linux/page_frag_cache.h> from 6.13 (before, <linux/gfp.h>,
 * and ->va instead of the encoded page); page_frag_cache_drain() from 6.9.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#include <linux/page_frag_cache.h>
#else
#include <linux/gfp.h>
#include <linux/mm.h>
#endif
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 9, 0)
static inline void page_frag_cache_drain(struct page_frag_cache *nc)
{
	if (!nc->va)
		return;
	__page_frag_cache_drain(virt_to_head_page(nc->va), nc->pagecnt_bias);
	nc->va = NULL;
}
#endif

/* kthread_complete_and_exit() (5.17); complete_and_exit() before. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 17, 0)
#define kthread_complete_and_exit(comp, code)	complete_and_exit(comp, code)
#endif

/*
 * A kthread bound to @cpu, named @namefmt with the CPU number.  Not
 * kthread_create_on_cpu(), which 5.10 does not export.
 */
static inline struct task_struct *tr_kthread_on_cpu(int (*fn)(void *),
						    void *data, unsigned int cpu,
						    const char *namefmt)
{
	struct task_struct *t;

	t = kthread_create_on_node(fn, data, cpu_to_node(cpu), namefmt, cpu);
	if (!IS_ERR(t))
		kthread_bind(t, cpu);
	return t;
}

#endif /* _TRACEREGION_TR_KCOMPAT_H */
