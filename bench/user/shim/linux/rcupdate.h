/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RCU from liburcu's memb flavour: rcu_read_lock() is a thread-local
 * nesting counter and a compiler barrier (sys_membarrier does the rest on
 * the update side), close to a preemptible kernel's rcu_read_lock().
 * Pointer accessors as on x86: plain load, release store.
 */
#ifndef _TR_LINUX_RCUPDATE_H
#define _TR_LINUX_RCUPDATE_H

#ifndef _LGPL_SOURCE
#define _LGPL_SOURCE
#endif
#include <urcu/urcu-memb.h>

#include <linux/compiler.h>
#include <linux/lockdep.h>

#undef rcu_dereference
#undef rcu_assign_pointer

#ifdef TR_ABLATE_RCU
#define rcu_read_lock()			barrier()
#define rcu_read_unlock()		barrier()
#else
#define rcu_read_lock()			urcu_memb_read_lock()
#define rcu_read_unlock()		urcu_memb_read_unlock()
#endif
#define synchronize_rcu()		urcu_memb_synchronize_rcu()
#define rcu_dereference(p)		READ_ONCE(p)
#define rcu_dereference_sched(p)	READ_ONCE(p)
#define rcu_dereference_protected(p, c)	((void)(c), (p))
#define rcu_assign_pointer(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define RCU_INIT_POINTER(p, v)		WRITE_ONCE(p, v)

#endif
