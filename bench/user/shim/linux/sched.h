/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TR_LINUX_SCHED_H
#define _TR_LINUX_SCHED_H

#include <sched.h>

#define cond_resched()		do { } while (0)
#define in_task()		1

/* The task: this thread, as far as identity goes. */
struct task_struct;
extern __thread char tr_current_task;
#define current			((struct task_struct *)&tr_current_task)

#endif
