// SPDX-License-Identifier: GPL-2.0
/*
 * trbench - traceregion's region_alloc() on the real CPU, in user space
 *
 * The code measured is the module's own region_alloc.c, compiled against
 * the kernel-API shim in shim/ (see shim/README); threads stand in for
 * CPUs, each pinned to a core.  In one run this times, for 1 and 2 threads
 * and sizes 16 to 1024 bytes, objects per thread per measurement:
 *
 *   floor          a bare atomic fetch-add on one shared counter
 *   region-shared  region_alloc_inline(), default (Go) mode: the fast path
 *                  compiled into the caller, as clients use it
 *   region-shared-call  region_alloc(), the same out of line (a call)
 *   region-percpu  region_alloc_inline(), REGION_F_PERCPU
 *   malloc-pair    glibc malloc() immediately followed by free()
 *   calloc-pair    the same with calloc(): zeroed memory, like a region's
 *   malloc-batch   all the malloc()s, then all the free()s
 *   mutex-bump     a bump pointer over one arena, under a pthread mutex
 *   parallel       a bump pointer private to each thread, no sharing: the
 *                  machine's parallel ceiling (a trivially parallel loop)
 *   parallel+zero  the same, zeroing what it hands out: the ceiling of an
 *                  allocator that hands out zeroed memory (a region's refill
 *                  and drop do that zeroing, off the timed call)
 *
 * plus the "+drop" rows: a region's allocations plus the CPU time of the
 * region_drop() that frees them, spread over the objects.  Every
 * repetition measures every allocator back to back; figures are medians
 * over the repetitions and ratios are medians of per-repetition ratios.
 *
 * Then: ns/object as the object count grows (10^3 to 10^7), drop time
 * against the number of blocks, and bytes held per byte handed out for the
 * stack-table mix (72-byte nodes plus 8-1024-byte PC arrays).  Last, the
 * goals of the performance issue, each with its figure and met/missed.
 *
 * Output: Markdown on stdout; with -o FILE, the throughput figures as CSV
 * (bench,threads,size,allocator,ns_per_object,x_region_shared,
 * x_region_percpu,x_floor).
 *
 * Usage: trbench [-q] [-r REPS] [-b BYTES] [-o CSV]
 *   -q  quick smoke run (tiny sizes and counts, a second or two)
 *   -r  repetitions (default 31)
 *   -b  bytes per thread per measurement (default 1 MiB; objects = BYTES /
 *       size, at most 65536)
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/err.h>
#include <linux/module.h>
#include <tr_shim.h>

#include "region_alloc.h"

#define MAX_THREADS	2
#define MAX_SIZES	8
#define MAX_REPS	101
#define MAX_OBJS	65536

enum kind {
	K_SHARED,
	K_PERCPU,
	K_FLOOR,
	K_MALLOC_PAIR,
	K_CALLOC_PAIR,
	K_MALLOC_BATCH,
	K_MUTEX_BUMP,
	K_PARALLEL,
	K_SHARED_CALL,
	K_PARALLEL_ZERO,
	NR_KINDS,
	R_SHARED_DROP = NR_KINDS,
	R_PERCPU_DROP,
	NR_ROWS,
};

static const char *const names[NR_ROWS] = {
	[K_SHARED] = "region-shared",
	[K_PERCPU] = "region-percpu",
	[K_FLOOR] = "floor",
	[K_MALLOC_PAIR] = "malloc-pair",
	[K_CALLOC_PAIR] = "calloc-pair",
	[K_MALLOC_BATCH] = "malloc-batch",
	[K_MUTEX_BUMP] = "mutex-bump",
	[K_PARALLEL] = "parallel",
	[K_SHARED_CALL] = "region-shared-call",
	[K_PARALLEL_ZERO] = "parallel+zero",
	[R_SHARED_DROP] = "region-shared+drop",
	[R_PERCPU_DROP] = "region-percpu+drop",
};

/* Order of the rows in the tables. */
static const int row_order[NR_ROWS] = {
	K_FLOOR, K_SHARED, R_SHARED_DROP, K_SHARED_CALL, K_PERCPU,
	R_PERCPU_DROP,
	K_MALLOC_PAIR, K_CALLOC_PAIR, K_MALLOC_BATCH, K_MUTEX_BUMP, K_PARALLEL,
	K_PARALLEL_ZERO,
};

static unsigned int sizes[MAX_SIZES] = { 16, 32, 64, 128, 256, 512, 1024 };
static unsigned int nr_sizes = 7;
static unsigned int reps = 31;
static unsigned long bytes_per_thread = 1UL << 20;
static bool quick;
static unsigned int nr_threads_max = MAX_THREADS;

/* ns per measurement, by row, threads-1, size, repetition */
static double res[NR_ROWS][MAX_THREADS][MAX_SIZES][MAX_REPS];
static double drop_wall[2][MAX_THREADS][MAX_SIZES][MAX_REPS];
static double drop_cpu[2][MAX_THREADS][MAX_SIZES][MAX_REPS];
static long vmallocs[2][MAX_THREADS][MAX_SIZES];

static struct region *rgn[2];

static double now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static unsigned int objs_for(unsigned int size)
{
	unsigned long n = bytes_per_thread / size;

	if (n > MAX_OBJS)
		n = MAX_OBJS;
	return n < 16 ? 16 : (unsigned int)n;
}

/* The other allocators */

static long floor_ctr __attribute__((aligned(64)));

static struct {
	pthread_mutex_t lock;
	char *base;
	unsigned long off;
	unsigned long size;
} bump __attribute__((aligned(64))) = { PTHREAD_MUTEX_INITIALIZER };

static __attribute__((__noinline__)) void *bump_alloc(size_t size)
{
	void *p;

	pthread_mutex_lock(&bump.lock);
	if (bump.off + size > bump.size) {
		pthread_mutex_unlock(&bump.lock);
		return NULL;
	}
	p = bump.base + bump.off;
	bump.off += (size + 7) & ~7UL;
	pthread_mutex_unlock(&bump.lock);
	return p;
}

struct par {
	char *base;
	unsigned long off;
};

/* The ideal per-thread bump allocator: a call, an add, nothing shared. */
static __attribute__((__noinline__)) void *par_alloc(struct par *a, size_t size)
{
	void *p = a->base + a->off;

	a->off += (size + 7) & ~7UL;
	return p;
}

/* Workers: thread i stands in for CPU i */

/* 128-byte aligned: no false sharing, not even by adjacent-line prefetch. */
struct worker {
	pthread_t th;
	int idx;
	void **ptrs;
	struct par par;
	double elapsed;
	unsigned long fails;
} __attribute__((aligned(128)));

static struct worker workers[MAX_THREADS];

static struct {
	pthread_mutex_t lock;
	pthread_cond_t go, done;
	unsigned long seq;
	int kind;
	unsigned int size, n, threads;
	int arrived, left;
	bool quit;
} job = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.go = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
};

static void measure(struct worker *w, int kind, unsigned int size,
		    unsigned int n)
{
	void **p = w->ptrs;
	unsigned long fails = 0;
	unsigned int i;
	double t0;

	w->par.off = 0;
	t0 = now_ns(CLOCK_MONOTONIC);
	switch (kind) {
	case K_SHARED:
	case K_PERCPU:
		for (i = 0; i < n; i++)
			p[i] = region_alloc_inline(rgn[kind == K_PERCPU], size,
						   GFP_KERNEL);
		break;
	case K_SHARED_CALL:
		for (i = 0; i < n; i++)
			p[i] = region_alloc(rgn[0], size, GFP_KERNEL);
		break;
	case K_FLOOR:
		for (i = 0; i < n; i++)
			p[i] = (void *)__atomic_add_fetch(&floor_ctr, size,
							  __ATOMIC_SEQ_CST);
		break;
	case K_MALLOC_PAIR:
		for (i = 0; i < n; i++) {
			p[i] = malloc(size);
			free(p[i]);
		}
		break;
	case K_CALLOC_PAIR:
		for (i = 0; i < n; i++) {
			p[i] = calloc(1, size);
			free(p[i]);
		}
		break;
	case K_MALLOC_BATCH:
		for (i = 0; i < n; i++)
			p[i] = malloc(size);
		for (i = 0; i < n; i++)
			free(p[i]);
		break;
	case K_MUTEX_BUMP:
		for (i = 0; i < n; i++)
			p[i] = bump_alloc(size);
		break;
	case K_PARALLEL:
		for (i = 0; i < n; i++)
			p[i] = par_alloc(&w->par, size);
		break;
	case K_PARALLEL_ZERO:
		for (i = 0; i < n; i++) {
			p[i] = par_alloc(&w->par, size);
			memset(p[i], 0, size);
		}
		break;
	}
	w->elapsed = now_ns(CLOCK_MONOTONIC) - t0;
	if (kind == K_SHARED || kind == K_PERCPU || kind == K_SHARED_CALL ||
	    kind == K_MUTEX_BUMP)
		for (i = 0; i < n; i++)
			fails += !p[i];
	w->fails = fails;
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	unsigned int size, n, threads;
	unsigned long seen = 0;
	int kind;

	tr_shim_thread_enter(w->idx);
	for (;;) {
		pthread_mutex_lock(&job.lock);
		while (job.seq == seen && !job.quit)
			pthread_cond_wait(&job.go, &job.lock);
		if (job.quit) {
			pthread_mutex_unlock(&job.lock);
			break;
		}
		/* The job as it is now: the next one needs us to finish. */
		seen = job.seq;
		kind = job.kind;
		size = job.size;
		n = job.n;
		threads = job.threads;
		pthread_mutex_unlock(&job.lock);
		if ((unsigned int)w->idx >= threads)
			continue;

		/* Start together. */
		__atomic_add_fetch(&job.arrived, 1, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&job.arrived, __ATOMIC_ACQUIRE) <
		       (int)threads)
			;
		measure(w, kind, size, n);

		pthread_mutex_lock(&job.lock);
		if (--job.left == 0)
			pthread_cond_signal(&job.done);
		pthread_mutex_unlock(&job.lock);
	}
	tr_shim_thread_exit();
	return NULL;
}

static unsigned long total_fails[NR_KINDS];

/* One measurement on @threads threads: the slowest thread's ns. */
static double run(int kind, unsigned int size, unsigned int n,
		  unsigned int threads)
{
	double ns = 0;
	unsigned int i;

	bump.off = 0;
	pthread_mutex_lock(&job.lock);
	job.kind = kind;
	job.size = size;
	job.n = n;
	job.threads = threads;
	job.arrived = 0;
	job.left = threads;
	job.seq++;
	pthread_cond_broadcast(&job.go);
	while (job.left)
		pthread_cond_wait(&job.done, &job.lock);
	pthread_mutex_unlock(&job.lock);

	for (i = 0; i < threads; i++) {
		if (workers[i].elapsed > ns)
			ns = workers[i].elapsed;
		total_fails[kind] += workers[i].fails;
	}
	return ns;
}

static void timed_drop(struct region *r, double *wall, double *cpu)
{
	double w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);

	region_drop(r);
	*cpu = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	*wall = now_ns(CLOCK_MONOTONIC) - w0;
}

static long region_vmallocs(struct region *r)
{
	struct region_stats st;

	region_get_stats(r, &st);
	return (long)st.vmalloc_calls;
}

/* Statistics */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, unsigned int n)
{
	double tmp[MAX_REPS];

	memcpy(tmp, v, n * sizeof(*v));
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	return n & 1 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/* Median over the repetitions of a[rep] / b[rep]. */
static double ratio(const double *a, const double *b, unsigned int n)
{
	double r[MAX_REPS];
	unsigned int i;

	for (i = 0; i < n; i++)
		r[i] = b[i] > 0 ? a[i] / b[i] : 0;
	return median(r, n);
}

/* Throughput */

static void throughput(void)
{
	unsigned int rep, t, s, k, n, threads;
	long v0;

	for (rep = 0; rep < reps; rep++) {
		for (t = 0; t < nr_threads_max; t++) {
			threads = t + 1;
			for (s = 0; s < nr_sizes; s++) {
				n = objs_for(sizes[s]);
				for (k = 0; k < NR_KINDS; k++) {
					int rm = k == K_PERCPU;

					if (k == K_SHARED_CALL) {
						res[k][t][s][rep] =
							run(k, sizes[s], n, threads);
						region_drop(rgn[0]);
						continue;
					}
					if (k != K_SHARED && k != K_PERCPU) {
						res[k][t][s][rep] =
							run(k, sizes[s], n, threads);
						continue;
					}
					v0 = region_vmallocs(rgn[rm]);
					res[k][t][s][rep] = run(k, sizes[s], n, threads);
					timed_drop(rgn[rm], &drop_wall[rm][t][s][rep],
						   &drop_cpu[rm][t][s][rep]);
					vmallocs[rm][t][s] += region_vmallocs(rgn[rm]) - v0;
					/* The drop's CPU time, spread over all objects. */
					res[R_SHARED_DROP + rm][t][s][rep] =
						res[k][t][s][rep] +
						drop_cpu[rm][t][s][rep] / threads;
				}
			}
		}
	}
}

static double ns_obj(int row, unsigned int t, unsigned int s)
{
	return median(res[row][t][s], reps) / objs_for(sizes[s]);
}

static void print_size_header(const char *first)
{
	unsigned int s;

	printf("| %s |", first);
	for (s = 0; s < nr_sizes; s++)
		printf(" %u B |", sizes[s]);
	printf("\n|---|");
	for (s = 0; s < nr_sizes; s++)
		printf("---:|");
	printf("\n");
}

static void print_throughput(FILE *csv)
{
	unsigned int t, s, i;
	int k;

	for (t = 0; t < nr_threads_max; t++) {
		printf("\n#### User space, %u thread%s: ns per object (per thread), median of %u\n\n",
		       t + 1, t ? "s" : "", reps);
		print_size_header("allocator");
		for (i = 0; i < NR_ROWS; i++) {
			k = row_order[i];
			printf("| %s |", names[k]);
			for (s = 0; s < nr_sizes; s++)
				printf(" %.2f |", ns_obj(k, t, s));
			printf("\n");
		}
		printf("\nObjects per thread per measurement: ");
		for (s = 0; s < nr_sizes; s++)
			printf("%s%u", s ? ", " : "", objs_for(sizes[s]));
		printf(" (%lu KiB per thread).\n", bytes_per_thread >> 10);
	}

	for (t = 0; t < nr_threads_max; t++) {
		printf("\n#### User space, %u thread%s: ratio to the floor (x floor) and malloc-pair / this (x faster than malloc)\n\n",
		       t + 1, t ? "s" : "");
		print_size_header("allocator");
		for (i = 0; i < NR_ROWS; i++) {
			k = row_order[i];
			if (k == K_FLOOR)
				continue;
			printf("| %s x floor |", names[k]);
			for (s = 0; s < nr_sizes; s++)
				printf(" %.2f |", ratio(res[k][t][s],
							res[K_FLOOR][t][s], reps));
			printf("\n");
		}
		for (i = 0; i < NR_ROWS; i++) {
			k = row_order[i];
			if (k == K_MALLOC_PAIR)
				continue;
			printf("| malloc-pair / %s |", names[k]);
			for (s = 0; s < nr_sizes; s++)
				printf(" %.2f |", ratio(res[K_MALLOC_PAIR][t][s],
							res[k][t][s], reps));
			printf("\n");
		}
	}

	if (nr_threads_max > 1) {
		printf("\n#### User space, 1 -> 2 threads: speedup (2 x t1 / t2, per-thread times) and share of the parallel ceiling\n\n");
		print_size_header("allocator");
		for (i = 0; i < NR_ROWS; i++) {
			k = row_order[i];
			printf("| %s |", names[k]);
			for (s = 0; s < nr_sizes; s++) {
				double sp = 2 * ratio(res[k][0][s], res[k][1][s], reps);
				double ceil = 2 * ratio(res[K_PARALLEL][0][s],
							res[K_PARALLEL][1][s], reps);

				printf(" %.2fx (%.0f%%) |", sp, 100 * sp / ceil);
			}
			printf("\n");
		}
	}

	printf("\n#### User space: region_drop() after each measurement (median), vmalloc calls per cycle\n\n");
	printf("| mode | threads | size | blocks/cycle | drop wall us | drop CPU us | vmallocs/cycle |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|\n");
	for (k = 0; k < 2; k++)
		for (t = 0; t < nr_threads_max; t++)
			for (s = 0; s < nr_sizes; s++) {
				unsigned long bytes = (unsigned long)objs_for(sizes[s]) *
						      sizes[s] * (t + 1);

				printf("| %s | %u | %u | %.1f | %.1f | %.1f | %.1f |\n",
				       k ? "percpu" : "shared", t + 1, sizes[s],
				       (double)bytes / REGION_MAX_ALLOC,
				       median(drop_wall[k][t][s], reps) / 1e3,
				       median(drop_cpu[k][t][s], reps) / 1e3,
				       (double)vmallocs[k][t][s] / reps);
			}

	if (!csv)
		return;
	for (t = 0; t < nr_threads_max; t++)
		for (s = 0; s < nr_sizes; s++)
			for (i = 0; i < NR_ROWS; i++) {
				k = row_order[i];
				fprintf(csv, "user,%u,%u,%s,%.3f,%.3f,%.3f,%.3f\n",
					t + 1, sizes[s], names[k], ns_obj(k, t, s),
					ratio(res[k][t][s], res[K_SHARED][t][s], reps),
					ratio(res[k][t][s], res[K_PERCPU][t][s], reps),
					ratio(res[k][t][s], res[K_FLOOR][t][s], reps));
			}
}

/* ns/object as the object count grows: one thread, 64-byte objects */

/*
 * ns/object at the smallest and the largest count, by mode (shared,
 * per-CPU): allocation alone, and with the drop.
 */
static double scale_first[2], scale_last[2], scale_first_d[2], scale_last_d[2];
static unsigned long scale_first_n, scale_last_n;

static void count_scaling(void)
{
	unsigned long counts[] = { 1000, 10000, 100000, 1000000, 10000000 };
	unsigned int nc = quick ? 2 : 5, c, rm, rep, nrep;
	const unsigned int size = 64;
	double a[MAX_REPS], d[MAX_REPS], t0;
	unsigned long i, n;

	printf("\n#### User space: ns per object as the object count grows (1 thread, %u B, region dropped after each run)\n\n",
	       size);
	printf("| objects | blocks | region-shared | +drop | region-percpu | +drop | drop CPU ns/block |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|\n");
	for (c = 0; c < nc; c++) {
		n = counts[c];
		nrep = n >= 10000000 ? 3 : n >= 1000000 ? 5 : 11;
		printf("| %lu | %lu |", n, n * size / REGION_MAX_ALLOC + 1);
		for (rm = 0; rm < 2; rm++) {
			for (rep = 0; rep < nrep; rep++) {
				double wall;

				t0 = now_ns(CLOCK_MONOTONIC);
				for (i = 0; i < n; i++)
					if (!region_alloc_inline(rgn[rm], size,
								 GFP_KERNEL))
						total_fails[rm]++;
				a[rep] = now_ns(CLOCK_MONOTONIC) - t0;
				timed_drop(rgn[rm], &wall, &d[rep]);
				d[rep] += a[rep];
			}
			printf(" %.2f | %.2f |", median(a, nrep) / n,
			       median(d, nrep) / n);
			if (c == 0) {
				scale_first[rm] = median(a, nrep) / n;
				scale_first_d[rm] = median(d, nrep) / n;
				scale_first_n = n;
			} else {
				scale_last[rm] = median(a, nrep) / n;
				scale_last_d[rm] = median(d, nrep) / n;
				scale_last_n = n;
			}
			if (rm)
				printf(" %.0f |\n", (median(d, nrep) - median(a, nrep)) /
				       (n * size / REGION_MAX_ALLOC + 1));
		}
	}
}

/* Drop time against the number of blocks, default parameters */

static void drop_scaling(void)
{
	unsigned int blocks[] = { 1, 4, 16, 64, 256, 1024, 4096 };
	unsigned int nb = quick ? 3 : 7, b, i, rep;
	double w[11], cpu[11];
	struct region *r;
	double sx = 0, sy = 0, sxx = 0, sxy = 0;

	r = region_create("bench_drop", NULL);
	if (IS_ERR(r)) {
		printf("region_create failed\n");
		return;
	}
	printf("\n#### User space: region_drop() time against blocks held (default parameters: %u spare blocks)\n\n",
	       REGION_DEFAULT_RESERVE);
	printf("| blocks | drop wall us | drop CPU us | CPU us per block |\n");
	printf("|---:|---:|---:|---:|\n");
	for (b = 0; b < nb; b++) {
		for (rep = 0; rep < 11; rep++) {
			for (i = 0; i < blocks[b]; i++)
				region_alloc(r, REGION_MAX_ALLOC, GFP_KERNEL);
			timed_drop(r, &w[rep], &cpu[rep]);
		}
		double mc = median(cpu, 11) / 1e3;

		printf("| %u | %.1f | %.1f | %.2f |\n", blocks[b],
		       median(w, 11) / 1e3, mc, mc / blocks[b]);
		sx += blocks[b];
		sy += mc;
		sxx += (double)blocks[b] * blocks[b];
		sxy += blocks[b] * mc;
	}
	region_destroy(r);
	{
		double slope = (nb * sxy - sx * sy) / (nb * sxx - sx * sx);
		double icpt = (sy - slope * sx) / nb;

		printf("\nLeast-squares fit: drop CPU = %.1f us + %.2f us x blocks.\n",
		       icpt, slope);
	}
}

/* Memory: the stack-table mix */

struct mem_result {
	unsigned long objs, adjacent, pairs;
	struct region_stats st;
};

static unsigned int rnd_state = 2463534242U;

static unsigned int xorshift(unsigned int *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

struct mem_arg {
	struct region *r;
	int cpu;
	unsigned long stacks;
	unsigned long objs, gaps;
};

static void *mem_thread(void *p)
{
	struct mem_arg *a = p;
	unsigned int seed = rnd_state + 7919 * a->cpu;
	char *prev = NULL;
	size_t prev_len = 0;
	unsigned long i;
	int j;

	tr_shim_thread_enter(a->cpu);
	for (i = 0; i < a->stacks; i++) {
		size_t len[2] = { 72, 8 * (1 + xorshift(&seed) % 128) };

		for (j = 0; j < 2; j++) {
			char *q = region_alloc(a->r, len[j], GFP_KERNEL);

			if (!q)
				continue;
			a->objs++;
			/*
			 * Each object starts where this thread's previous one
			 * ended, unless it is the first of a new block.
			 */
			a->gaps += q != prev + prev_len;
			prev = q;
			prev_len = len[j];
		}
	}
	tr_shim_thread_exit();
	return NULL;
}

static bool mem_goal_met = true;
static double mem_worst;
static bool mem_headerless = true;

static void memory(void)
{
	unsigned long counts[] = { 1000, 10000, 100000 };
	unsigned int nc = quick ? 1 : 3, c, rm, t, threads;
	struct mem_arg args[MAX_THREADS];
	pthread_t th[MAX_THREADS];

	printf("\n#### User space: memory for the stack-table mix (72 B node + 8-1024 B PC array per stack, uniform)\n\n");
	printf("| mode | threads | stacks | handed out KiB | held KiB | held / handed out | limit KiB (1.05 x + 1 block/CPU) | objects not adjacent to the previous / new blocks | goal |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
	for (rm = 0; rm < 2; rm++) {
		threads = rm ? nr_threads_max : 1;
		for (c = 0; c < nc; c++) {
			struct region_stats st0, st;
			unsigned long gaps = 0, installs;
			double limit, held_ratio;
			bool met;

			region_get_stats(rgn[rm], &st0);
			for (t = 0; t < threads; t++) {
				args[t] = (struct mem_arg){ .r = rgn[rm], .cpu = (int)t,
							    .stacks = counts[c] / threads };
				pthread_create(&th[t], NULL, mem_thread, &args[t]);
			}
			for (t = 0; t < threads; t++) {
				pthread_join(th[t], NULL);
				gaps += args[t].gaps;
			}
			region_get_stats(rgn[rm], &st);
			installs = st.block_installs - st0.block_installs;
			limit = 1.05 * st.bytes_live + (double)threads * REGION_BLOCK_SIZE;
			held_ratio = (double)st.bytes_held / st.bytes_live;
			/* A gap is only allowed where a new block begins. */
			met = st.bytes_held <= limit && gaps <= installs;
			mem_goal_met &= met;
			mem_headerless &= gaps <= installs;
			if (held_ratio > mem_worst)
				mem_worst = held_ratio;
			printf("| %s | %u | %lu | %.0f | %.0f | %.4f | %.0f | %lu / %lu | %s |\n",
			       rm ? "percpu" : "shared", threads, counts[c],
			       st.bytes_live / 1024.0, st.bytes_held / 1024.0,
			       held_ratio, limit / 1024, gaps, installs,
			       met ? "met" : "missed");
			region_drop(rgn[rm]);
		}
	}
	printf("\nPer-object header: %s\n",
	       mem_headerless ?
	       "none; every object starts where the previous one of its thread ended (size rounded up to 8), except the first of each block." :
	       "some objects are not adjacent to their predecessor beyond block changes (see the table).");
}

/* Goals */

static void goals(void)
{
	unsigned int s, s_hi;
	double worst_floor = 0, worst_malloc_shared = 1e9, worst_malloc_percpu = 1e9;
	double worst_malloc_shared_d = 1e9, worst_malloc_percpu_d = 1e9;
	double worst_share = 1e9;

	double worst_call = 0;

	for (s_hi = 0; s_hi < nr_sizes && sizes[s_hi] <= 256; s_hi++)
		;
	for (s = 0; s < nr_sizes; s++) {
		double f = ratio(res[K_SHARED][0][s], res[K_FLOOR][0][s], reps);
		double fc = ratio(res[K_SHARED_CALL][0][s], res[K_FLOOR][0][s], reps);
		double ms = ratio(res[K_MALLOC_PAIR][0][s], res[K_SHARED][0][s], reps);
		double mp = ratio(res[K_MALLOC_PAIR][0][s], res[K_PERCPU][0][s], reps);
		double msd = ratio(res[K_MALLOC_PAIR][0][s], res[R_SHARED_DROP][0][s], reps);
		double mpd = ratio(res[K_MALLOC_PAIR][0][s], res[R_PERCPU_DROP][0][s], reps);

		/* Per-CPU mode against malloc: every size; the rest to 256 B. */
		worst_malloc_percpu = fmin(worst_malloc_percpu, mp);
		worst_malloc_percpu_d = fmin(worst_malloc_percpu_d, mpd);
		if (s >= s_hi)
			continue;
		worst_floor = fmax(worst_floor, f);
		worst_call = fmax(worst_call, fc);
		worst_malloc_shared = fmin(worst_malloc_shared, ms);
		worst_malloc_shared_d = fmin(worst_malloc_shared_d, msd);
	}
	printf("\n#### User space goals (worst case over the sizes 16-256 B unless said; every figure from pairs measured back to back)\n\n");
	printf("| goal | measured | verdict |\n|---|---|---|\n");
	printf("| 1 thread: shared mode (fast path inline) <= 1.3x the atomic floor | %.2fx | %s |\n",
	       worst_floor, worst_floor <= 1.3 ? "met" : "missed");
	printf("| 1 thread: shared mode through the out-of-line region_alloc(), reported | %.2fx the floor | report |\n",
	       worst_call);
	printf("| 1 thread: shared mode faster than malloc+free (pair) | %.2fx faster (%.2fx with its drop) | %s |\n",
	       worst_malloc_shared, worst_malloc_shared_d,
	       worst_malloc_shared_d > 1 ? "met" :
	       worst_malloc_shared > 1 ? "met without the drop, missed with it" : "missed");
	printf("| 1 thread: per-CPU mode >= 3x faster than malloc+free (pair), every size | %.2fx (%.2fx with its drop) | %s |\n",
	       worst_malloc_percpu, worst_malloc_percpu_d,
	       worst_malloc_percpu_d >= 3 ? "met" :
	       worst_malloc_percpu >= 3 ? "met without the drop, missed with it" : "missed");
	if (nr_threads_max > 1) {
		double sh_worst = 1e9;

		for (s = 0; s < nr_sizes; s++) {
			double ceil = ratio(res[K_PARALLEL][0][s], res[K_PARALLEL][1][s], reps);
			double pc = ratio(res[K_PERCPU][0][s], res[K_PERCPU][1][s], reps);
			double sh = ratio(res[K_SHARED][0][s], res[K_SHARED][1][s], reps);

			worst_share = fmin(worst_share, pc / ceil);
			sh_worst = fmin(sh_worst, sh / ceil);
		}
		double zc_worst = 1e9;
		unsigned int zc_s = 0;

		for (s = 0; s < nr_sizes; s++) {
			double zc = ratio(res[K_PARALLEL_ZERO][1][s],
					  res[K_PERCPU][1][s], reps);

			if (zc < zc_worst) {
				zc_worst = zc;
				zc_s = s;
			}
		}
		printf("| 2 threads: per-CPU speedup >= 90%% of the parallel ceiling | %.0f%% (worst size) | %s |\n",
		       100 * worst_share, worst_share >= 0.9 ? "met" : "missed");
		/*
		 * With one thread a region's refill zeroes blocks on the idle
		 * core, free; with two it takes time from the allocating
		 * threads.  Against a ceiling that zeroes, at two threads:
		 */
		printf("| 2 threads: per-CPU mode's throughput against parallel+zero (a ceiling that zeroes, as the refill does), reported | %.0f%% at worst (%u B) | report |\n",
		       100 * zc_worst, sizes[zc_s]);
		printf("| 2 threads: shared mode, reported | %.0f%% of the ceiling (worst size) | report |\n",
		       100 * sh_worst);
	}
	if (scale_first[0] > 0 && scale_first[1] > 0) {
		double sh = scale_last[0] / scale_first[0];
		double pc = scale_last[1] / scale_first[1];

		printf("| ns/object at %lu objects <= 1.5x that at %lu, allocation (worst mode) | shared %.2fx (%.2f -> %.2f ns), per-CPU %.2fx (%.2f -> %.2f ns) | %s |\n",
		       scale_last_n, scale_first_n, sh, scale_first[0],
		       scale_last[0], pc, scale_first[1], scale_last[1],
		       fmax(sh, pc) <= 1.5 ? "met" : "missed");
		/* One drop's fixed cost weighs on the smallest count most. */
		printf("| the same with the drop, reported | shared %.2f -> %.2f ns, per-CPU %.2f -> %.2f ns | report |\n",
		       scale_first_d[0], scale_last_d[0], scale_first_d[1],
		       scale_last_d[1]);
	}
	printf("| memory: held <= 1.05 x handed out + 1 block/CPU, zero header per object | worst held/handed out %.4f | %s |\n",
	       mem_worst, mem_goal_met ? "met" : "missed");
}

static void usage(void)
{
	fprintf(stderr, "usage: trbench [-q] [-r REPS] [-b BYTES] [-o CSV]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct region_params p = { .reserve_blocks = REGION_MAX_RESERVE };
	const char *csv_path = NULL;
	FILE *csv = NULL;
	unsigned int i, k;
	long ncpu;
	int opt;

	while ((opt = getopt(argc, argv, "qr:b:o:")) != -1) {
		switch (opt) {
		case 'q':
			quick = true;
			break;
		case 'r':
			reps = (unsigned int)atoi(optarg);
			break;
		case 'b':
			bytes_per_thread = strtoul(optarg, NULL, 0);
			break;
		case 'o':
			csv_path = optarg;
			break;
		default:
			usage();
		}
	}
	if (quick) {
		static const unsigned int qs[] = { 16, 256, 1024 };

		memcpy(sizes, qs, sizeof(qs));
		nr_sizes = 3;
		if (reps > 3)
			reps = 3;
		bytes_per_thread = 64 << 10;
	}
	if (!reps || reps > MAX_REPS || bytes_per_thread < 1024)
		usage();

	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 2)
		nr_threads_max = 1;
	tr_shim_init(MAX_THREADS);
	tr_shim_thread_enter(0);
	if (tr_module_init()) {
		fprintf(stderr, "traceregion init failed\n");
		return 1;
	}
	rgn[0] = region_create("bench_shared", &p);
	p.flags = REGION_F_PERCPU;
	rgn[1] = region_create("bench_percpu", &p);
	if (IS_ERR(rgn[0]) || IS_ERR(rgn[1])) {
		fprintf(stderr, "region_create failed\n");
		return 1;
	}

	bump.size = (unsigned long)MAX_OBJS * 1024 * MAX_THREADS;
	bump.base = malloc(bump.size);
	if (!bump.base)
		return 1;
	/* Fault the arenas in once: the regions' blocks come mapped too. */
	memset(bump.base, 0, bump.size);
	for (i = 0; i < MAX_THREADS; i++) {
		workers[i].idx = (int)i;
		workers[i].ptrs = calloc(MAX_OBJS, sizeof(void *));
		workers[i].par.base = calloc(MAX_OBJS, 1024);
		if (!workers[i].ptrs || !workers[i].par.base)
			return 1;
		memset(workers[i].par.base, 1, (size_t)MAX_OBJS * 1024);
		pthread_create(&workers[i].th, NULL, worker_fn, &workers[i]);
	}
	if (csv_path) {
		csv = fopen(csv_path, "w");
		if (!csv) {
			perror(csv_path);
			return 1;
		}
	}

	printf("### User-space benchmark (real CPU)\n\n");
	printf("The module's own region_alloc.c compiled against bench/user/shim; threads stand in for CPUs, each pinned to a core (%ld online). Regions with %u spare blocks; region_alloc() with GFP_KERNEL. %u repetitions, medians; ratios are medians of per-repetition ratios of measurements taken back to back.\n",
	       ncpu, REGION_MAX_RESERVE, reps);

	throughput();
	print_throughput(csv);
	count_scaling();
	drop_scaling();
	memory();
	goals();

	for (k = 0; k < NR_KINDS; k++)
		if (total_fails[k])
			printf("\nWARNING: %s returned NULL %lu times\n", names[k],
			       total_fails[k]);

	pthread_mutex_lock(&job.lock);
	job.quit = true;
	pthread_cond_broadcast(&job.go);
	pthread_mutex_unlock(&job.lock);
	for (i = 0; i < MAX_THREADS; i++)
		pthread_join(workers[i].th, NULL);
	region_destroy(rgn[0]);
	region_destroy(rgn[1]);
	tr_module_exit();
	tr_shim_thread_exit();
	tr_shim_exit();
	if (csv)
		fclose(csv);
	return 0;
}
