/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Work items run by a worker thread of the queueing "CPU", pinned to that
 * CPU's core, as the kernel's per-CPU kworkers (tr_shim.c).
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

bool schedule_work(struct work_struct *w);
bool cancel_work_sync(struct work_struct *w);

#endif
