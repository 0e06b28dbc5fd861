/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The runtime side of the shim: what a benchmark calls to set up "CPUs".
 */
#ifndef _TR_SHIM_H
#define _TR_SHIM_H

/* Largest number of "CPUs" (threads standing in for CPUs). */
#define TR_MAX_CPUS		64
/* Distance between two CPUs' copies of a per-CPU object. */
#define TR_PCPU_STRIDE		1024

extern unsigned int nr_cpu_ids;
/* Every "CPU" (thread slot) is online. */
#define num_online_cpus()	nr_cpu_ids
extern __thread unsigned long tr_pcpu_off;
extern __thread int tr_cpu;

/*
 * Before any region_create(): @nr_cpus possible CPUs, CPU n pinned to host
 * core n % (host cores).  Starts the per-CPU workers.
 */
void tr_shim_init(unsigned int nr_cpus);
void tr_shim_exit(void);

/* Make the calling thread CPU @cpu (pins it, registers it with RCU). */
void tr_shim_thread_enter(int cpu);
void tr_shim_thread_exit(void);

/* Pin the calling thread to the host core of CPU @cpu. */
void tr_shim_pin(int cpu);

/* vmalloc and vfree calls so far. */
extern long tr_vmalloc_calls, tr_vfree_calls;

#endif
