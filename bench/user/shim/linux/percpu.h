/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU data: CPU n's copy of an object lives TR_PCPU_STRIDE * n bytes
 * after CPU 0's, which is what a __percpu pointer points to.  A thread
 * standing in for CPU n has tr_pcpu_off == TR_PCPU_STRIDE * n, so
 * this_cpu_inc() is a thread-local load and an add to memory (the kernel's
 * is one %gs-relative add).
 */
#ifndef _TR_LINUX_PERCPU_H
#define _TR_LINUX_PERCPU_H

#include <linux/types.h>
#include <linux/preempt.h>
#include <tr_shim.h>

void *tr_alloc_percpu(size_t size, size_t align);
void tr_free_percpu(void *p);

#define alloc_percpu(type) \
	((type *)tr_alloc_percpu(sizeof(type), __alignof__(type)))
#define free_percpu(p)		tr_free_percpu(p)

#define per_cpu_ptr(ptr, cpu) \
	((__typeof__(ptr))((char *)(ptr) + (unsigned long)(cpu) * TR_PCPU_STRIDE))
#define this_cpu_ptr(ptr) \
	((__typeof__(ptr))((char *)(ptr) + tr_pcpu_off))
#ifdef TR_ABLATE_STATS
#define this_cpu_add(var, n)	do { (void)(n); } while (0)
#else
#define this_cpu_add(var, n)	do { *this_cpu_ptr(&(var)) += (n); } while (0)
#endif
#define this_cpu_inc(var)	this_cpu_add(var, 1)
#define this_cpu_read(var)	(*this_cpu_ptr(&(var)))

/*
 * Static per-CPU variables (DEFINE_PER_CPU): thread-local, since a thread
 * stands in for a CPU; only the __this_cpu_*() forms use them.
 */
#define DEFINE_PER_CPU(type, name)	__thread type name
#define __this_cpu_inc_return(var)	(++(var))
#define __this_cpu_inc(var)		((var)++)
#define __this_cpu_dec(var)		((var)--)
#define __this_cpu_read(var)		(var)
#define __this_cpu_write(var, v)	((var) = (v))

#define for_each_possible_cpu(cpu) \
	for ((cpu) = 0; (cpu) < (int)nr_cpu_ids; (cpu)++)

#endif
