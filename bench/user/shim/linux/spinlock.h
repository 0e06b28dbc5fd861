/* SPDX-License-Identifier: GPL-2.0 */
/* raw_spinlock_t: a pthread spinlock; there are no interrupts to mask. */
#ifndef _TR_LINUX_SPINLOCK_H
#define _TR_LINUX_SPINLOCK_H

#include <pthread.h>
#include <linux/lockdep.h>
#include <linux/preempt.h>
#include <linux/irqflags.h>

typedef struct {
	pthread_spinlock_t l;
} raw_spinlock_t;

#define raw_spin_lock_init(x)	pthread_spin_init(&(x)->l, PTHREAD_PROCESS_PRIVATE)
#define raw_spin_lock(x)	pthread_spin_lock(&(x)->l)
#define raw_spin_unlock(x)	pthread_spin_unlock(&(x)->l)
#define raw_spin_trylock(x)	(pthread_spin_trylock(&(x)->l) == 0)
#define raw_spin_lock_irqsave(x, flags) \
	do { (flags) = 0; pthread_spin_lock(&(x)->l); } while (0)
#define raw_spin_unlock_irqrestore(x, flags) \
	do { (void)(flags); pthread_spin_unlock(&(x)->l); } while (0)
#define raw_spin_trylock_irqsave(x, flags) \
	({ (flags) = 0; pthread_spin_trylock(&(x)->l) == 0; })

#endif
