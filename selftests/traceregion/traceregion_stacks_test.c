// SPDX-License-Identifier: GPL-2.0
/*
 * traceregion_stacks selftest: loads traceregion.ko and the sample
 * traceregion_stacks.ko, runs a scheduler-heavy workload (spinners, a
 * sched_yield() loop, a sleeper, a pipe ping-pong) and checks through
 * debugfs that the sample interns stacks, that generations advance with
 * one region drop each, that debugfs drops and unloads under load are safe.
 * Output is KTAP through kselftest.h.
 *
 * The modules are looked up in the directory given as first argument, else
 * in $TRACEREGION_MODDIR, else next to this program.  Needs root and
 * debugfs; exits 4 (skip) without them.  Takes about 15 s, at most
 * about 70 s.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "tr_util.h"

#define TS_DIR		DBG "/traceregion_stacks"
#define TS_TOP		TS_DIR "/top"
#define TS_STATS	TS_DIR "/stats"

#define PASS		1
#define FAIL		0
#define SKIP		(-1)

static char skip_reason[256];

/* Helpers */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * No kernel pointers: no run of 12 or more hex digits, and no stack frame
 * printed as a number.  "+0x1f/0x80" offsets of %pS are fine.
 */
static bool no_addresses(const char *text)
{
	return !has_hex_run(text) && !strstr(text, "\n  0x");
}

/* Wait until the sample has finished @n generations; false on timeout. */
static bool wait_finished(long long n, long timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	while (file_value(TS_STATS, "finished") < n) {
		if (now_ms() > end) {
			ksft_print_msg("timeout waiting for generation %lld (finished %lld)\n",
				       n, file_value(TS_STATS, "finished"));
			return false;
		}
		sleep_ms(50);
	}
	return true;
}

/* Workload: child processes that make the scheduler switch a lot. */

#define MAX_CHILDREN	16
static pid_t children[MAX_CHILDREN];
static int nr_children;

static void spawn(void (*fn)(void *), void *arg)
{
	pid_t pid;

	if (nr_children == MAX_CHILDREN)
		return;
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fn(arg);
		_exit(0);
	}
	if (pid > 0)
		children[nr_children++] = pid;
}

static void spinner(void *arg)
{
	(void)arg;
	for (;;)
		asm volatile("" ::: "memory");
}

static void yielder(void *arg)
{
	(void)arg;
	for (;;)
		sched_yield();
}

static void sleeper(void *arg)
{
	(void)arg;
	for (;;)
		sleep_ms(1);
}

/* One end of a ping-pong: read a byte from fds[0], write it to fds[1]. */
static void pinger(void *arg)
{
	int *fds = arg;
	char c = 'x';

	if (fds[2] && write(fds[1], &c, 1) != 1)
		return;
	while (read(fds[0], &c, 1) == 1)
		if (write(fds[1], &c, 1) != 1)
			return;
}

static void dropper(void *arg)
{
	unsigned int i;

	(void)arg;
	for (i = 0;; i++) {
		write_str(i & 1 ? TR_DIR "/stacks-1/drop" :
				  TR_DIR "/stacks-0/drop", "1");
		sleep_ms(2);
	}
}

static void workload_start(void)
{
	int ab[2], ba[2];
	int ping[3], pong[3];

	spawn(spinner, NULL);
	spawn(spinner, NULL);
	spawn(yielder, NULL);
	spawn(sleeper, NULL);
	if (!pipe(ab) && !pipe(ba)) {
		ping[0] = ba[0];
		ping[1] = ab[1];
		ping[2] = 1;
		pong[0] = ab[0];
		pong[1] = ba[1];
		pong[2] = 0;
		spawn(pinger, ping);
		spawn(pinger, pong);
		close(ab[0]);
		close(ab[1]);
		close(ba[0]);
		close(ba[1]);
	}
}

static void workload_stop(void)
{
	int i;

	for (i = 0; i < nr_children; i++)
		kill(children[i], SIGKILL);
	for (i = 0; i < nr_children; i++)
		waitpid(children[i], NULL, 0);
	nr_children = 0;
}

/* Parsing the top file */

struct top_stack {
	long long hits;
	int frames;
	bool kprobe;
	char first[128];
};

/* Stacks of a top file; returns how many, at most @max. */
static int parse_stacks(const char *text, struct top_stack *st, int max)
{
	const char *line = text;
	char src[32];
	int n = 0;

	while (line && *line) {
		unsigned int idx;
		long long hits;

		if (sscanf(line, "stack %u: hits %lld (%*u%%) %31s", &idx, &hits,
			   src) == 3 && n < max) {
			st[n].hits = hits;
			st[n].frames = 0;
			st[n].kprobe = !strcmp(src, "kprobe");
			st[n].first[0] = '\0';
			n++;
		} else if (n && !strncmp(line, "  ", 2)) {
			/*
			 * With more than one probe on the tracepoint (say the
			 * sched_switch trace event too), its iterator is a
			 * frame of its own above the scheduler.
			 */
			st[n - 1].frames++;
			if (!st[n - 1].first[0] &&
			    strncmp(line + 2, "__traceiter_", 12))
				sscanf(line + 2, "%127s", st[n - 1].first);
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return n;
}

/*
 * Check a summary of a generation without debugfs drops: the counters add
 * up and the stacks are listed most hit first.
 */
static bool check_summary(const char *text, bool want_lost_zero)
{
	long long events = stat_value(text, "events");
	long long interned = stat_value(text, "interned");
	long long lost = stat_value(text, "lost");
	long long entries = stat_value(text, "entries");
	long long hits = stat_value(text, "hits");
	long long live = stat_value(text, "region_bytes_live");
	long long blocks = stat_value(text, "region_blocks");
	struct top_stack st[64];
	long long shown = 0;
	bool ok = true;
	int i, n;

	if (stat_value(text, "debugfs_drops") != 0) {
		ksft_print_msg("generation had debugfs drops\n");
		return false;
	}
	/* Every lost event is a NULL from region_alloc(), counted there too. */
	if (events <= 0 || interned <= 0 || entries != interned ||
	    hits + lost != events || (want_lost_zero && lost != 0) ||
	    stat_value(text, "region_failures") != lost) {
		ksft_print_msg("events %lld new %lld entries %lld hits %lld lost %lld fail %lld\n",
			       events, interned, entries, hits, lost,
			       stat_value(text, "region_failures"));
		ok = false;
	}
	/* Every entry is at least a header and one PC in the region. */
	if (blocks < 1 || live < interned * 32 || live > blocks * 65536) {
		ksft_print_msg("region: %lld blocks, %lld bytes live for %lld entries\n",
			       blocks, live, interned);
		ok = false;
	}
	n = parse_stacks(text, st, 64);
	if (n < 1 || n != stat_value(text, "top")) {
		ksft_print_msg("%d stacks listed, top: %lld\n", n,
			       stat_value(text, "top"));
		ok = false;
	}
	for (i = 0; i < n; i++) {
		shown += st[i].hits;
		if (st[i].frames < 1 || st[i].hits < 1 ||
		    (i && st[i].hits > st[i - 1].hits)) {
			ksft_print_msg("stack %d: %lld hits, %d frames\n",
				       i + 1, st[i].hits, st[i].frames);
			ok = false;
		}
	}
	if (shown > hits) {
		ksft_print_msg("shown hits %lld > total %lld\n", shown, hits);
		ok = false;
	}
	if (!no_addresses(text)) {
		ksft_print_msg("raw address in the top file\n");
		ok = false;
	}
	return ok;
}

/* Tests */

static int test_load_traceregion(void)
{
	if (load_module("traceregion", "")) {
		ksft_print_msg("load traceregion: %s\n", strerror(errno));
		return FAIL;
	}
	return PASS;
}

static int test_bad_params(void)
{
	static const char * const bad[] = {
		"period_ms=0", "period_ms=60001", "depth=0", "depth=33",
		"top=0", "top=65", "kprobe=traceregion_no_such_symbol",
	};
	unsigned int i;
	bool ok = true;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (!load_module("traceregion_stacks", bad[i])) {
			ksft_print_msg("%s: loaded\n", bad[i]);
			unload_module("traceregion_stacks");
			ok = false;
		} else if (errno != EINVAL && errno != ENOENT) {
			ksft_print_msg("%s: %s\n", bad[i], strerror(errno));
			ok = false;
		}
	}
	/* A failed load leaves no region and no debugfs directory. */
	if (file_value(TR_DIR "/stats", "regions") != 0 ||
	    !access(TS_DIR, F_OK)) {
		ksft_print_msg("a failed load left something behind\n");
		ok = false;
	}
	return ok ? PASS : FAIL;
}

static int test_load_sample(void)
{
	bool ok = true;

	if (load_module("traceregion_stacks", "")) {
		ksft_print_msg("load traceregion_stacks: %s\n", strerror(errno));
		return FAIL;
	}
	ok &= mode_is(TS_TOP, 0400);
	ok &= mode_is(TS_STATS, 0400);
	if (file_value(TR_DIR "/stats", "regions") != 2 ||
	    region_value("stacks-0", "reserve_target") != 4 ||
	    region_value("stacks-1", "reserve_target") != 4 ||
	    region_value("stacks-0", "drops") != 0 ||
	    file_value(TS_STATS, "period_ms") != 1000 ||
	    file_value(TS_STATS, "depth") != 16) {
		ksft_print_msg("unexpected regions or parameters\n");
		ok = false;
	}
	return ok ? PASS : FAIL;
}

static int test_counts_events(void)
{
	long long ev;

	workload_start();
	if (!wait_finished(1, 10000))
		return FAIL;
	ev = file_value(TS_TOP, "events_sched_switch");
	if (ev <= 0 || file_value(TS_TOP, "events_kprobe") != 0) {
		ksft_print_msg("events: sched_switch %lld, kprobe %lld\n", ev,
			       file_value(TS_TOP, "events_kprobe"));
		return FAIL;
	}
	ksft_print_msg("generation 0: %lld sched_switch events\n", ev);
	return PASS;
}

static int test_interns_stacks(void)
{
	struct top_stack st[64];
	bool ok, sched = false;
	char *text;
	int i, n;

	/* Generation 1 ran entirely under the workload. */
	if (!wait_finished(2, 10000))
		return FAIL;
	text = read_file(TS_TOP);
	if (!text)
		return FAIL;
	ok = check_summary(text, true);
	n = parse_stacks(text, st, 64);
	for (i = 0; i < n; i++)
		if (strstr(st[i].first, "schedule"))
			sched = true;
	if (!sched) {
		ksft_print_msg("no stack starts in the scheduler\n");
		ok = false;
	}
	ksft_print_msg("generation %lld: %lld events, %lld stacks, %lld lost, %lld bytes\n",
		       stat_value(text, "generation"),
		       stat_value(text, "events"),
		       stat_value(text, "interned"), stat_value(text, "lost"),
		       stat_value(text, "region_bytes_live"));
	free(text);
	return ok ? PASS : FAIL;
}

/*
 * Region drops and finished generations, read consistently: the work counts
 * a generation just before it drops its region, so retry across that.
 * @extra is the number of debugfs drops since load.
 */
static bool drops_match(long long *finished, long long *even, long long *odd,
			long long extra)
{
	long long f = -1;
	int tries;

	for (tries = 0; tries < 20; tries++) {
		f = file_value(TS_STATS, "finished");
		*even = region_value("stacks-0", "drops");
		*odd = region_value("stacks-1", "drops");
		if (f == file_value(TS_STATS, "finished") &&
		    *even + *odd == f + extra) {
			*finished = f;
			return true;
		}
		sleep_ms(20);
	}
	ksft_print_msg("finished %lld, drops even %lld odd %lld, debugfs drops %lld\n",
		       f, *even, *odd, extra);
	return false;
}

static int test_generations(void)
{
	long long f0, f1, even, odd, end, gen, last = -1;
	int seen = 0;
	bool ok = true;
	char *text;

	if (!drops_match(&f0, &even, &odd, 0))
		return FAIL;
	/* Watch three generations (10 s at most), checking every summary. */
	end = now_ms() + 10000;
	while (now_ms() < end &&
	       file_value(TS_STATS, "finished") < f0 + 3) {
		text = read_file(TS_TOP);
		gen = text ? stat_value(text, "generation") : -1;
		if (gen != last && gen >= 0) {
			if (!check_summary(text, true)) {
				ksft_print_msg("generation %lld\n", gen);
				ok = false;
			}
			seen++;
			last = gen;
		}
		free(text);
		sleep_ms(100);
	}
	if (!drops_match(&f1, &even, &odd, 0))
		return FAIL;
	/* Generation g uses the region of parity g: even ones come first. */
	if (f1 < f0 + 3 || even != (f1 + 1) / 2 || odd != f1 / 2 ||
	    file_value(TS_STATS, "generation") < f1 ||
	    file_value(TS_TOP, "generation") < f1 - 1) {
		ksft_print_msg("finished %lld -> %lld, drops even %lld odd %lld\n",
			       f0, f1, even, odd);
		ok = false;
	}
	if (seen < 3)
		ok = false;
	ksft_print_msg("%lld generations in %lld ms (%d summaries), each dropping its region\n",
		       f1 - f0, now_ms() - end + 10000, seen);
	return ok ? PASS : FAIL;
}

/* vmalloc and vfree calls of both regions of the set since load. */
static long long block_calls(void)
{
	return region_value("stacks-0", "vmalloc_calls") +
	       region_value("stacks-0", "vfree_calls") +
	       region_value("stacks-1", "vmalloc_calls") +
	       region_value("stacks-1", "vfree_calls");
}

static int test_vmalloc_steady(void)
{
	long long f, calls = block_calls();

	/*
	 * One block per generation and a reserve of four: once warm (the
	 * previous test watched three generations), every block comes from
	 * the reserve and every drop keeps it as a spare.
	 */
	f = file_value(TS_STATS, "finished");
	if (!wait_finished(f + 3, 10000))
		return FAIL;
	ksft_print_msg("%lld vmalloc and vfree calls in 3 generations\n",
		       block_calls() - calls);
	return block_calls() == calls ? PASS : FAIL;
}

static int test_debugfs_drops(void)
{
	const int ndrops = 20;
	long long d0, f0, f1, drops0, drops1, even, odd;
	bool ok = true;
	char *text;
	int i, err;

	if (!drops_match(&f0, &even, &odd, 0))
		return FAIL;
	d0 = file_value(TS_STATS, "debugfs_drops");
	drops0 = even + odd;
	for (i = 0; i < ndrops; i++) {
		err = write_str(i & 1 ? TR_DIR "/stacks-1/drop" :
					TR_DIR "/stacks-0/drop", "1");
		if (err) {
			ksft_print_msg("drop %d: %s\n", i, strerror(err));
			ok = false;
		}
		sleep_ms(30);
	}
	if (file_value(TS_STATS, "debugfs_drops") - d0 != ndrops) {
		ksft_print_msg("sample saw %lld debugfs drops, expected %d\n",
			       file_value(TS_STATS, "debugfs_drops") - d0,
			       ndrops);
		ok = false;
	}
	if (!drops_match(&f1, &even, &odd, ndrops))
		ok = false;
	drops1 = even + odd;
	ksft_print_msg("%d debugfs drops, %lld region drops, %lld events lost meanwhile\n",
		       ndrops, drops1 - drops0, file_value(TS_STATS, "lost"));

	/* Two generations later, one without drops: the table works again. */
	if (!wait_finished(f1 + 2, 10000))
		return FAIL;
	text = read_file(TS_TOP);
	if (!text || !check_summary(text, true))
		ok = false;
	free(text);
	return ok ? PASS : FAIL;
}

/*
 * The kprobe sits on a syscall that only this program makes: arming and
 * disarming a kprobe patches the probed function's text, and under qemu TCG
 * doing that while other CPUs run through it (vfs_read under the pipe
 * workload, say) crashes even without this module.
 */
static const char *kprobe_sym(void)
{
	/* Its name on x86-64, arm64, 32-bit x86, and without wrappers. */
	static const char *const names[] = {
		"__x64_sys_getppid", "__arm64_sys_getppid",
		"__ia32_sys_getppid", "sys_getppid",
	};
	const char *found = NULL;
	char line[256], name[200];
	unsigned int i, best = 4;
	FILE *f;

	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return NULL;
	while (best && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %199s", name) != 1)
			continue;
		for (i = 0; i < best; i++)
			if (!strcmp(name, names[i])) {
				found = names[i];
				best = i;
			}
	}
	fclose(f);
	return found;
}

static int test_kprobe(void)
{
	const char *sym = kprobe_sym();
	struct top_stack st[64];
	bool ok = true, found = false;
	char params[128];
	long long end;
	char *text;
	int i, n;

	if (!sym) {
		ksft_print_msg("no getppid syscall in /proc/kallsyms\n");
		return FAIL;
	}
	snprintf(params, sizeof(params), "kprobe=%s period_ms=300 top=64", sym);

	if (unload_module("traceregion_stacks")) {
		ksft_print_msg("rmmod: %s\n", strerror(errno));
		return FAIL;
	}
	if (load_module("traceregion_stacks", params)) {
		if (errno != EOPNOTSUPP) {
			ksft_print_msg("load with %s: %s\n", params,
				       strerror(errno));
			return FAIL;
		}
		snprintf(skip_reason, sizeof(skip_reason),
			 "no kprobes in this kernel");
		/* The next test unloads an instance. */
		return load_module("traceregion_stacks", "") ? FAIL : SKIP;
	}
	/* Hit the probe until two generations have finished. */
	end = now_ms() + 10000;
	while (file_value(TS_STATS, "finished") < 2 && now_ms() < end) {
		for (i = 0; i < 200; i++)
			syscall(__NR_getppid);
		sleep_ms(10);
	}
	text = read_file(TS_TOP);
	if (!text)
		return FAIL;
	n = parse_stacks(text, st, 64);
	for (i = 0; i < n; i++)
		/* Aliases (__do_sys_getppid, ...) may name the address. */
		if (st[i].kprobe && strstr(st[i].first, "sys_getppid+"))
			found = true;
	if (!found || stat_value(text, "events_kprobe") <= 0 ||
	    !check_summary(text, true)) {
		ksft_print_msg("kprobe: %lld events, stack from %s %s\n",
			       stat_value(text, "events_kprobe"), sym,
			       found ? "found" : "missing");
		ok = false;
	}
	if (file_value(TS_STATS, "period_ms") != 300)
		ok = false;
	free(text);
	return ok ? PASS : FAIL;
}

static bool sample_gone(void)
{
	if (module_loaded("traceregion_stacks") || !access(TS_DIR, F_OK) ||
	    file_value(TR_DIR "/stats", "regions") != 0) {
		ksft_print_msg("sample still loaded or regions left\n");
		return false;
	}
	return true;
}

static int test_unload_under_load(void)
{
	static const struct {
		const char *params;
		long delay_ms;
	} runs[] = {
		{ "period_ms=10", 0 },
		{ "period_ms=10", 200 },
		{ "period_ms=50", 130 },
		{ "period_ms=1000", 400 },
	};
	pid_t drop_pid;
	bool ok = true;
	unsigned int i;

	/* The kprobe instance of the previous test goes first, under load. */
	if (unload_module("traceregion_stacks")) {
		ksft_print_msg("rmmod: %s\n", strerror(errno));
		return FAIL;
	}
	ok &= sample_gone();
	for (i = 0; i < ARRAY_SIZE(runs); i++) {
		if (load_module("traceregion_stacks", runs[i].params)) {
			ksft_print_msg("load %s: %s\n", runs[i].params,
				       strerror(errno));
			return FAIL;
		}
		/* Debugfs drops in a loop, while probes run and gens flip. */
		spawn(dropper, NULL);
		drop_pid = children[nr_children - 1];
		sleep_ms(runs[i].delay_ms);
		if (unload_module("traceregion_stacks")) {
			ksft_print_msg("rmmod after %ld ms with %s: %s\n",
				       runs[i].delay_ms, runs[i].params,
				       strerror(errno));
			ok = false;
		}
		kill(drop_pid, SIGKILL);
		waitpid(drop_pid, NULL, 0);
		nr_children--;
		ok &= sample_gone();
	}
	return ok ? PASS : FAIL;
}

static int test_unload_traceregion(void)
{
	workload_stop();
	if (unload_module("traceregion")) {
		ksft_print_msg("rmmod traceregion: %s\n", strerror(errno));
		return FAIL;
	}
	return access(TR_DIR, F_OK) ? PASS : FAIL;
}

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
	{ "stacks_load_traceregion", test_load_traceregion },
	{ "stacks_bad_params_rejected", test_bad_params },
	{ "stacks_load_sample", test_load_sample },
	{ "stacks_sched_switch_events_counted", test_counts_events },
	{ "stacks_interned_no_loss", test_interns_stacks },
	{ "stacks_generations_drop_regions", test_generations },
	{ "stacks_steady_state_no_vmalloc", test_vmalloc_steady },
	{ "stacks_debugfs_drop_under_load", test_debugfs_drops },
	{ "stacks_kprobe_records_stacks", test_kprobe },
	{ "stacks_unload_under_load", test_unload_under_load },
	{ "stacks_unload_traceregion", test_unload_traceregion },
};

#define N_TESTS ARRAY_SIZE(tests)

int main(int argc, char **argv)
{
	unsigned int i;
	int ret;

	/* Line-buffered: the results so far survive a guest that dies. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	tr_setup(argc, argv);

	ksft_set_plan(N_TESTS);
	for (i = 0; i < N_TESTS; i++) {
		ret = tests[i].fn();
		if (ret == SKIP)
			ksft_test_result_skip("%s: %s\n", tests[i].name,
					      skip_reason);
		else
			ksft_test_result(ret == PASS, "%s\n", tests[i].name);
		/* Without the modules the rest cannot run. */
		if (ret == FAIL && i < 3) {
			workload_stop();
			ksft_exit_fail_msg("cannot continue\n");
		}
	}
	workload_stop();
	ksft_finished();
}
