/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TR_LINUX_MUTEX_H
#define _TR_LINUX_MUTEX_H

#include <pthread.h>
#include <linux/lockdep.h>

struct mutex {
	pthread_mutex_t m;
};

#define DEFINE_MUTEX(name)	struct mutex name = { PTHREAD_MUTEX_INITIALIZER }
#define mutex_init(x)		pthread_mutex_init(&(x)->m, NULL)
#define mutex_lock(x)		pthread_mutex_lock(&(x)->m)
#define mutex_unlock(x)		pthread_mutex_unlock(&(x)->m)

#endif
