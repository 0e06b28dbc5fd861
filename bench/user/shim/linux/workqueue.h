/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Work items run by a worker thread of the queueing "CPU", pinned to that
 * CPU's core, as the kernel's per-CPU kworkers (schedule_work()), or by one
 * unpinned worker, which the host schedules where it likes, as the kernel's
 * unbound kworkers (queue_work(system_unbound_wq, ...)); tr_shim.c.
 */
#ifndef _TR_LINUX_WORKQUEUE_H
#define _TR_LINUX_WORKQUEUE_H

#include <linux/types.h>

struct work_struct {
	void (*func)(struct work_struct *);
	struct work_struct *next;
	int pending;
};

#define INIT_WORK(w, f) \
	do { (w)->func = (f); (w)->next = NULL; (w)->pending = 0; } while (0)

/* Only system_unbound_wq exists. */
struct workqueue_struct;
extern struct workqueue_struct *system_unbound_wq;

bool schedule_work(struct work_struct *w);
bool queue_work(struct workqueue_struct *wq, struct work_struct *w);
bool cancel_work_sync(struct work_struct *w);

#endif
