// SPDX-License-Identifier: GPL-2.0
/*
 * The runtime of the user-space kernel shim: per-CPU areas, vmalloc, and
 * per-CPU workers for work items.  See README.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/vmalloc.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include <tr_shim.h>

unsigned int nr_cpu_ids = 1;
__thread unsigned long tr_pcpu_off;
__thread int tr_cpu;
__thread int tr_preempt_count;
__thread char tr_current_task;
long tr_vmalloc_calls, tr_vfree_calls;
pthread_mutex_t tr_var_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t tr_var_cond = PTHREAD_COND_INITIALIZER;

static int tr_host_cpus = 1;

void tr_shim_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % tr_host_cpus, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Per-CPU areas */

void *tr_alloc_percpu(size_t size, size_t align)
{
	void *p;

	if (size > TR_PCPU_STRIDE || align > TR_PCPU_STRIDE) {
		fprintf(stderr, "tr_shim: per-CPU object of %zu bytes > stride\n",
			size);
		abort();
	}
	p = aligned_alloc(TR_PCPU_STRIDE, (size_t)TR_PCPU_STRIDE * nr_cpu_ids);
	if (p)
		memset(p, 0, (size_t)TR_PCPU_STRIDE * nr_cpu_ids);
	return p;
}

void tr_free_percpu(void *p)
{
	free(p);
}

/*
 * vmalloc: page-aligned memory, zeroed when asked.  Freed areas are kept
 * mapped on a free list by size and reused, as the kernel's page allocator
 * keeps free pages: vzalloc() then costs the zeroing, as in the kernel,
 * not page faults.  The kernel's page-table work is not modelled.
 */

#define TR_PAGE		4096UL

struct tr_varea {
	struct tr_varea *next;
	size_t len;
};

static pthread_mutex_t tr_varea_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tr_varea *tr_varea_free;

void *__vmalloc(unsigned long size, gfp_t gfp)
{
	size_t len = (size + TR_PAGE - 1) & ~(TR_PAGE - 1);
	struct tr_varea **pp, *a = NULL;
	void *p;

	pthread_mutex_lock(&tr_varea_lock);
	for (pp = &tr_varea_free; *pp; pp = &(*pp)->next) {
		if ((*pp)->len == len) {
			a = *pp;
			*pp = a->next;
			break;
		}
	}
	pthread_mutex_unlock(&tr_varea_lock);
	/* One page in front keeps the length for vfree. */
	p = a ? (void *)a : aligned_alloc(TR_PAGE, len + TR_PAGE);
	if (!p)
		return NULL;
	((struct tr_varea *)p)->len = len;
	p = (char *)p + TR_PAGE;
	if (gfp & __GFP_ZERO)
		memset(p, 0, len);
	__atomic_add_fetch(&tr_vmalloc_calls, 1, __ATOMIC_RELAXED);
	return p;
}

void vfree(const void *addr)
{
	struct tr_varea *a;

	if (!addr)
		return;
	a = (struct tr_varea *)((char *)addr - TR_PAGE);
	__atomic_add_fetch(&tr_vfree_calls, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&tr_varea_lock);
	a->next = tr_varea_free;
	tr_varea_free = a;
	pthread_mutex_unlock(&tr_varea_lock);
}

/*
 * Workers: one per CPU, pinned to its core, and one unbound worker, not
 * pinned; a FIFO of work items each.
 */

struct tr_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_cond_t idle;
	struct work_struct *head, *tail;
	struct work_struct *running;
	int cpu;
	bool unbound;
	bool stop;
};

/* The per-CPU workers, then the unbound one. */
static struct tr_worker tr_workers[TR_MAX_CPUS + 1];
static unsigned int tr_nr_workers;

/* A token: queue_work() knows no other workqueue. */
static char tr_unbound_token;
struct workqueue_struct *system_unbound_wq =
	(struct workqueue_struct *)&tr_unbound_token;

static void *tr_worker_fn(void *arg)
{
	struct tr_worker *wk = arg;
	struct work_struct *w;

	/*
	 * The unbound worker takes CPU 0's per-CPU offset but no core: the
	 * refill only uses the static per-CPU guard (thread-local here) and
	 * atomics, not the region's per-CPU counters.
	 */
	if (wk->unbound) {
		tr_cpu = 0;
		tr_pcpu_off = 0;
		urcu_memb_register_thread();
	} else {
		tr_shim_thread_enter(wk->cpu);
	}
	pthread_mutex_lock(&wk->lock);
	for (;;) {
		while (!wk->head && !wk->stop)
			pthread_cond_wait(&wk->cond, &wk->lock);
		if (!wk->head)
			break;
		w = wk->head;
		wk->head = w->next;
		if (!wk->head)
			wk->tail = NULL;
		w->next = NULL;
		/* As in the kernel: pending is cleared before the function runs. */
		__atomic_store_n(&w->pending, 0, __ATOMIC_SEQ_CST);
		wk->running = w;
		pthread_mutex_unlock(&wk->lock);
		w->func(w);
		pthread_mutex_lock(&wk->lock);
		wk->running = NULL;
		pthread_cond_broadcast(&wk->idle);
	}
	pthread_mutex_unlock(&wk->lock);
	tr_shim_thread_exit();
	return NULL;
}

static bool tr_queue(struct tr_worker *wk, struct work_struct *w)
{
	if (__atomic_exchange_n(&w->pending, 1, __ATOMIC_SEQ_CST))
		return false;
	pthread_mutex_lock(&wk->lock);
	if (wk->tail)
		wk->tail->next = w;
	else
		wk->head = w;
	wk->tail = w;
	pthread_cond_signal(&wk->cond);
	pthread_mutex_unlock(&wk->lock);
	return true;
}

bool schedule_work(struct work_struct *w)
{
	return tr_queue(&tr_workers[tr_cpu % (tr_nr_workers - 1)], w);
}

bool queue_work(struct workqueue_struct *wq, struct work_struct *w)
{
	(void)wq;
	return tr_queue(&tr_workers[tr_nr_workers - 1], w);
}

bool cancel_work_sync(struct work_struct *w)
{
	bool was_pending = false;
	unsigned int i;

	for (i = 0; i < tr_nr_workers; i++) {
		struct tr_worker *wk = &tr_workers[i];
		struct work_struct **pp, *prev = NULL;

		pthread_mutex_lock(&wk->lock);
		for (pp = &wk->head; *pp; prev = *pp, pp = &(*pp)->next) {
			if (*pp == w) {
				*pp = w->next;
				if (wk->tail == w)
					wk->tail = prev;
				w->next = NULL;
				__atomic_store_n(&w->pending, 0,
						 __ATOMIC_SEQ_CST);
				was_pending = true;
				break;
			}
		}
		while (wk->running == w)
			pthread_cond_wait(&wk->idle, &wk->lock);
		pthread_mutex_unlock(&wk->lock);
	}
	return was_pending;
}

/* Threads as CPUs */

void tr_shim_thread_enter(int cpu)
{
	tr_cpu = cpu;
	tr_pcpu_off = (unsigned long)cpu * TR_PCPU_STRIDE;
	tr_shim_pin(cpu);
	urcu_memb_register_thread();
}

void tr_shim_thread_exit(void)
{
	urcu_memb_unregister_thread();
}

void tr_shim_init(unsigned int nr_cpus)
{
	unsigned int i;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	tr_host_cpus = n > 0 ? (int)n : 1;
	if (nr_cpus < 1)
		nr_cpus = 1;
	if (nr_cpus > TR_MAX_CPUS)
		nr_cpus = TR_MAX_CPUS;
	nr_cpu_ids = nr_cpus;
	urcu_memb_init();
	tr_nr_workers = nr_cpus + 1;
	for (i = 0; i < tr_nr_workers; i++) {
		struct tr_worker *wk = &tr_workers[i];

		pthread_mutex_init(&wk->lock, NULL);
		pthread_cond_init(&wk->cond, NULL);
		pthread_cond_init(&wk->idle, NULL);
		wk->cpu = (int)i;
		wk->unbound = i == nr_cpus;
		pthread_create(&wk->thread, NULL, tr_worker_fn, wk);
	}
}

void tr_shim_exit(void)
{
	unsigned int i;

	for (i = 0; i < tr_nr_workers; i++) {
		struct tr_worker *wk = &tr_workers[i];

		pthread_mutex_lock(&wk->lock);
		wk->stop = true;
		pthread_cond_signal(&wk->cond);
		pthread_mutex_unlock(&wk->lock);
		pthread_join(wk->thread, NULL);
	}
	tr_nr_workers = 0;
}
