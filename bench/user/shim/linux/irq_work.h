/* SPDX-License-Identifier: GPL-2.0 */
/*
 * irq_work: the kernel runs the function in hard-IRQ context right after;
 * here it runs at once.  region_alloc.c's only irq_work queues a work item.
 */
#ifndef _TR_LINUX_IRQ_WORK_H
#define _TR_LINUX_IRQ_WORK_H

#include <linux/types.h>

struct irq_work {
	void (*func)(struct irq_work *);
};

static inline void init_irq_work(struct irq_work *w,
				 void (*func)(struct irq_work *))
{
	w->func = func;
}

static inline bool irq_work_queue(struct irq_work *w)
{
	w->func(w);
	return true;
}

static inline void irq_work_sync(struct irq_work *w)
{
}

#endif
