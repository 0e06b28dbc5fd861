/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wait_var_event()/wake_up_var(): one shared condition variable.  A wait
 * that is still unsatisfied after TR_WAIT_LIMIT_S seconds aborts with a
 * message instead of hanging the benchmark: in the kernel it would be a
 * hung task.
 */
#ifndef _TR_LINUX_WAIT_BIT_H
#define _TR_LINUX_WAIT_BIT_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define TR_WAIT_LIMIT_S		30

extern pthread_mutex_t tr_var_lock;
extern pthread_cond_t tr_var_cond;

static inline void wake_up_var(void *var)
{
	pthread_mutex_lock(&tr_var_lock);
	pthread_cond_broadcast(&tr_var_cond);
	pthread_mutex_unlock(&tr_var_lock);
}

#define wait_var_event(var, condition) do {				\
	struct timespec __ts;						\
	int __waited = 0;						\
									\
	pthread_mutex_lock(&tr_var_lock);				\
	while (!(condition)) {						\
		clock_gettime(CLOCK_REALTIME, &__ts);			\
		__ts.tv_sec += 1;					\
		pthread_cond_timedwait(&tr_var_cond, &tr_var_lock, &__ts); \
		if (!(condition) && ++__waited >= TR_WAIT_LIMIT_S) {	\
			fprintf(stderr, "tr_shim: %s:%d: wait_var_event(%s) still false after %d s: would be a hung task in the kernel\n", \
				__FILE__, __LINE__, #condition, __waited); \
			abort();					\
		}							\
	}								\
	pthread_mutex_unlock(&tr_var_lock);				\
} while (0)

#endif
