// SPDX-License-Identifier: GPL-2.0
/*
 * traceregion selftest: loads traceregion.ko and traceregion_test_client.ko,
 * runs the client's in-kernel tests, checks the debugfs interface from user
 * space, and unloads both modules.  Output is KTAP through kselftest.h.
 *
 * The modules are looked up in the directory given as first argument, else
 * in $TRACEREGION_MODDIR, else next to this program.  Needs root and
 * debugfs; exits 4 (skip) without them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "tr_util.h"

#define TC_DIR		DBG "/traceregion_test"

static long long client_status(const char *key)
{
	return file_value(TC_DIR "/status", key);
}

static void print_lines(const char *text)
{
	char *copy = strdup(text ? text : ""), *save = NULL, *line;

	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		ksft_print_msg("  %s\n", line);
	free(copy);
}

/* Run one in-kernel test of the client; its messages are printed on failure. */
static bool run_kernel_test(const char *name)
{
	int err = write_str(TC_DIR "/run", name);

	if (err) {
		char *msg = read_file(TC_DIR "/result");

		ksft_print_msg("%s: %s\n", name, strerror(err));
		print_lines(msg);
		free(msg);
	}
	return !err;
}

/* No kernel pointers: no "0x" and no run of 12 or more hex digits. */
static bool no_addresses(const char *text)
{
	return !has_hex_run(text) && !strstr(text, "0x");
}

static bool test_stats_parse(void)
{
	unsigned long long col[8], sum[8] = { 0 }, tot[8] = { 0 };
	char name[64], *text, *line, *save = NULL;
	bool ok = true, seen_drop = false, seen_noowner = false, seen_tot = false;
	static const char * const keys[] = {
		"allocs", "bytes_alloc", "bytes_live", "bytes_held",
		"bytes_free", "bytes_wasted", "blocks_held", "reserve_blocks",
		"block_installs", "vmalloc_calls", "vfree_calls", "vmalloc_fails",
		"recycled", "failures", "fail_too_large", "fail_no_reserve", "fail_cap",
		"fail_dropping", "fail_vmalloc", "fail_nmi_busy",
		"fail_recursion", "drops",
	};
	long long v[4];
	unsigned int i;
	int rows = 0;

	ok &= mode_is(TR_DIR "/stats", 0400);
	ok &= mode_is(TR_DIR "/trt_drop/stats", 0400);
	ok &= mode_is(TR_DIR "/trt_drop/drop", 0200);

	text = read_file(TR_DIR "/stats");
	if (!text)
		return false;
	ok &= no_addresses(text);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "name ", 5) || !strncmp(line, "regions:", 8))
			continue;
		if (sscanf(line, "%63s %llu %llu %llu %llu %llu %llu %llu %llu",
			   name, &col[0], &col[1], &col[2], &col[3], &col[4],
			   &col[5], &col[6], &col[7]) != 9) {
			ksft_print_msg("unparsable row: %s\n", line);
			ok = false;
			continue;
		}
		if (!strcmp(name, "total")) {
			memcpy(tot, col, sizeof(tot));
			seen_tot = true;
			continue;
		}
		rows++;
		seen_drop |= !strcmp(name, "trt_drop");
		seen_noowner |= !strcmp(name, "trt_noowner");
		for (i = 0; i < 8; i++)
			sum[i] += col[i];
		/* bytes_held == blocks * 64 KiB */
		if (col[2] != col[3] * 65536) {
			ksft_print_msg("%s: held %llu != %llu blocks\n", name,
				       col[2], col[3]);
			ok = false;
		}
	}
	free(text);
	if (!seen_drop || !seen_noowner || !seen_tot || rows < 2) {
		ksft_print_msg("rows missing (%d rows)\n", rows);
		ok = false;
	}
	if (memcmp(sum, tot, sizeof(sum))) {
		ksft_print_msg("total row is not the sum of the rows\n");
		ok = false;
	}

	text = read_file(TR_DIR "/trt_noowner/stats");
	if (!text)
		return false;
	ok &= no_addresses(text);
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		if (stat_value(text, keys[i]) < 0) {
			ksft_print_msg("key %s missing\n", keys[i]);
			ok = false;
		}
	}
	v[0] = stat_value(text, "bytes_held");
	v[1] = stat_value(text, "bytes_live") + stat_value(text, "bytes_free") +
	       stat_value(text, "bytes_wasted") +
	       64 * stat_value(text, "blocks_held");
	v[2] = stat_value(text, "allocs");
	v[3] = stat_value(text, "bytes_live");
	free(text);
	if (v[0] != v[1] || v[2] != 1 || v[3] != 4000) {
		ksft_print_msg("trt_noowner: held %lld parts %lld allocs %lld live %lld\n",
			       v[0], v[1], v[2], v[3]);
		ok = false;
	}
	return ok;
}

static bool test_bad_writes(void)
{
	static const char * const bad[] = {
		"0", "2", "abc", "", "1x", "-1", " 1", "1 1", "0x1z",
		"99999999999999999999",
	};
	char big[300];
	unsigned int i;
	bool ok = true;
	int err;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err = write_str(TR_DIR "/trt_drop/drop", bad[i]);
		if (err != EINVAL) {
			ksft_print_msg("write '%s': %s, expected EINVAL\n",
				       bad[i], strerror(err));
			ok = false;
		}
	}
	memset(big, 'z', sizeof(big));
	err = write_file(TR_DIR "/trt_drop/drop", big, sizeof(big));
	if (err != EINVAL) {
		ksft_print_msg("long garbage: %s\n", strerror(err));
		ok = false;
	}
	if (region_value("trt_drop", "drops") != 0 ||
	    client_status("on_drop_calls") != 0) {
		ksft_print_msg("a bad write dropped the region\n");
		ok = false;
	}
	return ok;
}

static bool test_drop_eperm(void)
{
	long long blocks = region_value("trt_noowner", "blocks_held");
	int err = write_str(TR_DIR "/trt_noowner/drop", "1\n");

	if (err != EPERM) {
		ksft_print_msg("drop without on_drop: %s, expected EPERM\n",
			       strerror(err));
		return false;
	}
	return blocks == 1 && region_value("trt_noowner", "blocks_held") == 1 &&
	       region_value("trt_noowner", "drops") == 0;
}

static bool test_drop_under_load(void)
{
	const int ndrops = 20;
	long long calls0, drops0, allocs, errors;
	bool ok = true;
	int i, err;

	calls0 = client_status("on_drop_calls");
	drops0 = region_value("trt_drop", "drops");
	if (!run_kernel_test("load_start"))
		return false;
	sleep_ms(300);
	for (i = 0; i < ndrops; i++) {
		err = write_str(TR_DIR "/trt_drop/drop", i & 1 ? "1" : "1\n");
		if (err) {
			ksft_print_msg("drop %d: %s\n", i, strerror(err));
			ok = false;
		}
		sleep_ms(50);
	}
	if (!run_kernel_test("load_stop"))
		ok = false;
	allocs = client_status("load_allocs");
	errors = client_status("load_errors");
	ksft_print_msg("load: %lld allocations, %lld NULL, %lld errors, %lld drops\n",
		       allocs, client_status("load_nulls"), errors,
		       region_value("trt_drop", "drops") - drops0);
	if (allocs <= 0 || errors != 0)
		ok = false;
	if (client_status("on_drop_calls") - calls0 != ndrops ||
	    region_value("trt_drop", "drops") - drops0 != ndrops) {
		ksft_print_msg("on_drop calls %lld, drops %lld, expected %d\n",
			       client_status("on_drop_calls") - calls0,
			       region_value("trt_drop", "drops") - drops0,
			       ndrops);
		ok = false;
	}
	if (region_value("trt_drop", "fail_dropping") <= 0)
		ksft_print_msg("note: no allocation hit a fence\n");

	/* A final drop in a quiet region frees every block. */
	if (region_value("trt_drop", "blocks_held") <= 0)
		ksft_print_msg("note: no block held before the last drop\n");
	err = write_str(TR_DIR "/trt_drop/drop", "1");
	if (err || region_value("trt_drop", "blocks_held") != 0 ||
	    region_value("trt_drop", "bytes_live") != 0 ||
	    region_value("trt_drop", "bytes_held") != 0) {
		ksft_print_msg("after the last drop: err %d, blocks %lld, live %lld\n",
			       err, region_value("trt_drop", "blocks_held"),
			       region_value("trt_drop", "bytes_live"));
		ok = false;
	}
	return ok;
}

#define TRACEFS "/sys/kernel/tracing"

/* Lines of @text that contain both @a and @b. */
static int count_lines(const char *text, const char *a, const char *b)
{
	const char *line = text, *end;
	char buf[512];
	int n = 0;
	size_t len;

	while (line && *line) {
		end = strchr(line, '\n');
		len = end ? (size_t)(end - line) : strlen(line);
		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (strstr(buf, a) && strstr(buf, b))
			n++;
		line = end ? end + 1 : NULL;
	}
	return n;
}

static bool test_trace_events(void)
{
	int installs, fails, drops;
	bool ok = true;
	char *trace;

	if (access(TRACEFS "/events/traceregion/enable", F_OK) &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		ksft_print_msg("no tracefs: %s\n", strerror(errno));
		return false;
	}
	if (write_str(TRACEFS "/trace", "") ||
	    write_str(TRACEFS "/events/traceregion/enable", "1")) {
		ksft_print_msg("cannot enable traceregion events\n");
		return false;
	}
	ok &= run_kernel_test("trace_fastpath");
	ok &= !write_str(TR_DIR "/trt_drop/drop", "1");
	write_str(TRACEFS "/events/traceregion/enable", "0");
	trace = read_file(TRACEFS "/trace");
	if (!trace)
		return false;
	/* 1000 allocations, one install, one failure, one drop. */
	installs = count_lines(trace, "block_install:", "region=trt_trace ");
	fails = count_lines(trace, "alloc_fail:", "region=trt_trace ");
	drops = count_lines(trace, "drop:", "region=trt_trace ");
	if (installs != 1 || fails != 1 || drops != 1 ||
	    !count_lines(trace, "alloc_fail:", "cause=too_large") ||
	    !count_lines(trace, "drop:", "region=trt_drop ") ||
	    !count_lines(trace, "region=trt_drop ", "by=debugfs") ||
	    !count_lines(trace, "region=trt_trace ", "by=owner")) {
		ksft_print_msg("events: %d installs, %d failures, %d drops\n",
			       installs, fails, drops);
		print_lines(trace);
		ok = false;
	}
	free(trace);
	return ok;
}

static bool test_unload_busy(void)
{
	if (!unload_module("traceregion")) {
		ksft_print_msg("traceregion unloaded under its client\n");
		return false;
	}
	if (errno != EWOULDBLOCK && errno != EBUSY) {
		ksft_print_msg("rmmod traceregion: %s\n", strerror(errno));
		return false;
	}
	return access(TR_DIR "/stats", F_OK) == 0;
}

/* Does the kernel log buffer contain @needle? */
static bool kmsg_contains(const char *needle)
{
	char rec[2048];
	bool found = false;
	ssize_t n;
	int fd;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (strstr(rec, needle))
			found = true;
	}
	close(fd);
	return found;
}

/* New kernel log records since kmsg_start(), gathered by kmsg_poll(). */
struct kmsg {
	int fd;
	char *text;
	size_t len;
};

static void kmsg_start(struct kmsg *k)
{
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd >= 0)
		lseek(k->fd, 0, SEEK_END);
	k->text = calloc(1, 1);
	k->len = 0;
}

static void kmsg_poll(struct kmsg *k)
{
	char rec[2048], *nt;
	ssize_t n;

	while (k->fd >= 0 && k->text) {
		n = read(k->fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		nt = realloc(k->text, k->len + n + 1);
		if (!nt)
			break;
		k->text = nt;
		memcpy(k->text + k->len, rec, n);
		k->len += n;
		k->text[k->len] = '\0';
	}
}

/* Wait up to @ms for a new record containing @needle. */
static bool kmsg_wait(struct kmsg *k, const char *needle, int ms)
{
	for (;;) {
		kmsg_poll(k);
		if (k->text && strstr(k->text, needle))
			return true;
		if (ms <= 0)
			return false;
		sleep_ms(10);
		ms -= 10;
	}
}

/* Forget what was gathered so far. */
static void kmsg_forget(struct kmsg *k)
{
	kmsg_poll(k);
	k->len = 0;
	if (k->text)
		k->text[0] = '\0';
}

static void kmsg_end(struct kmsg *k)
{
	if (k->fd >= 0)
		close(k->fd);
	free(k->text);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Unsigned value of a "key: value" line, or ~0: no wrap goes unseen. */
static unsigned long long ustat_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *line = text;

	while (line && *line) {
		if (!strncmp(line, key, klen) && line[klen] == ':')
			return strtoull(line + klen + 1, NULL, 10);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return ~0ULL;
}

/* 2^62: a figure above it is a wrapped subtraction, not a count. */
#define STATS_LIMIT	4611686018427387904ULL

/*
 * One pass over the all-regions file and trt_drop's own stats, in that
 * order: the row's bytes_live cannot exceed bytes_alloc read afterwards.
 */
static bool stats_sane_once(unsigned long long *live_max)
{
	unsigned long long col[8], alloc, live, held, wasted, free_b;
	char name[64], *all, *text, *line, *save = NULL;
	bool ok = true, seen = false;
	unsigned long long row_live = 0;
	int i;

	all = read_file(TR_DIR "/stats");
	text = read_file(TR_DIR "/trt_drop/stats");
	if (!all || !text) {
		ksft_print_msg("cannot read the stats files\n");
		free(all);
		free(text);
		return false;
	}
	for (line = strtok_r(all, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%63s %llu %llu %llu %llu %llu %llu %llu %llu",
			   name, &col[0], &col[1], &col[2], &col[3], &col[4],
			   &col[5], &col[6], &col[7]) != 9)
			continue;
		for (i = 0; i < 8; i++) {
			if (col[i] >= STATS_LIMIT) {
				ksft_print_msg("stats row %s: column %d is %llu\n",
					       name, i + 1, col[i]);
				ok = false;
			}
		}
		if (!strcmp(name, "trt_drop")) {
			row_live = col[1];
			seen = true;
		}
	}
	alloc = ustat_value(text, "bytes_alloc");
	live = ustat_value(text, "bytes_live");
	held = ustat_value(text, "bytes_held");
	wasted = ustat_value(text, "bytes_wasted");
	free_b = ustat_value(text, "bytes_free");
	if (!seen || alloc >= STATS_LIMIT || live > alloc || row_live > alloc ||
	    held >= STATS_LIMIT || free_b >= STATS_LIMIT ||
	    (held ? wasted >= held : wasted != 0)) {
		ksft_print_msg("trt_drop: row live %llu, alloc %llu live %llu\n",
			       row_live, alloc, live);
		ksft_print_msg("trt_drop: held %llu free %llu wasted %llu\n",
			       held, free_b, wasted);
		ok = false;
	}
	if (live > *live_max && live < STATS_LIMIT)
		*live_max = live;
	free(all);
	free(text);
	return ok;
}

/*
 * Issue 10, defect 3: region_get_stats() is lock-free; while drops run,
 * a snapshot must never show bytes_live wrapped below zero.  Allocation
 * load on trt_drop, a child dropping it through debugfs in a loop, this
 * process and a kthread of the client reading its stats.
 */
static bool test_stats_no_wrap(void)
{
	unsigned long long live_max = 0;
	long long end, reads = 0, bad = 0, drops0;
	int status = 0, err;
	bool ok = true;
	pid_t pid;

	drops0 = region_value("trt_drop", "drops");
	if (!run_kernel_test("load_start"))
		return false;
	if (!run_kernel_test("stats_watch_start")) {
		run_kernel_test("load_stop");
		return false;
	}
	pid = fork();
	if (!pid) {
		end = now_ms() + 3000;
		while (now_ms() < end) {
			err = write_str(TR_DIR "/trt_drop/drop", "1");
			if (err)
				_exit(err);
		}
		_exit(0);
	}
	end = now_ms() + 3000;
	while (now_ms() < end) {
		if (!stats_sane_once(&live_max) && bad++ >= 5)
			break;
		reads++;
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid &&
	    (!WIFEXITED(status) || WEXITSTATUS(status))) {
		ksft_print_msg("drop loop: %s\n", WIFEXITED(status) ?
			       strerror(WEXITSTATUS(status)) : "killed");
		ok = false;
	}
	ok &= run_kernel_test("stats_watch_stop");
	ok &= run_kernel_test("load_stop");
	ksft_print_msg("client: %lld stats snapshots\n",
		       client_status("watch_reads"));
	ksft_print_msg("%lld stats passes, %lld insane, %lld drops, bytes_live up to %llu\n",
		       reads, bad, region_value("trt_drop", "drops") - drops0,
		       live_max);
	if (client_status("load_errors") != 0 || pid < 0 || bad)
		ok = false;
	if (region_value("trt_drop", "drops") - drops0 < 2) {
		ksft_print_msg("fewer than 2 drops in 3 s\n");
		ok = false;
	}
	return ok;
}

/* A region directory is whole: both files, or gone since it was listed. */
static bool region_dir_whole(const char *name)
{
	char stats[320], drop[320], dir[300];
	int tries;

	snprintf(dir, sizeof(dir), TR_DIR "/%s", name);
	snprintf(stats, sizeof(stats), "%s/stats", dir);
	snprintf(drop, sizeof(drop), "%s/drop", dir);
	/* Creation and removal take a moment: look again before judging. */
	for (tries = 0; tries < 20; tries++) {
		if (access(dir, F_OK) ||
		    (!access(stats, F_OK) && !access(drop, F_OK)))
			return true;
		sleep_ms(5);
	}
	ksft_print_msg("%s: stats %s, drop %s\n", dir,
		       access(stats, F_OK) ? "missing" : "present",
		       access(drop, F_OK) ? "missing" : "present");
	return false;
}

/*
 * Issue 10, defect 5: two client threads create and destroy "trt_reuse"
 * in a loop (each checks, while the name is its own, that the directory
 * has both files); meanwhile this process lists the regions, checks every
 * directory and drops trt_reuse through debugfs when it is there.
 */
static bool test_name_reuse(void)
{
	long long end, scans = 0, drops = 0;
	struct dirent *de;
	int broken = 0, err;
	bool ok = true;
	DIR *d;

	if (!run_kernel_test("name_reuse_start")) {
		run_kernel_test("name_reuse_stop");
		return false;
	}
	end = now_ms() + 2500;
	while (now_ms() < end && broken < 3) {
		d = opendir(TR_DIR);
		if (!d) {
			ksft_print_msg("opendir: %s\n", strerror(errno));
			ok = false;
			break;
		}
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.' || !strcmp(de->d_name, "stats"))
				continue;
			if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
				continue;
			if (!region_dir_whole(de->d_name))
				broken++;
		}
		closedir(d);
		/* ENOENT, EIO: the region went away before, during open. */
		err = write_str(TR_DIR "/trt_reuse/drop", "1");
		if (!err) {
			drops++;
		} else if (err != ENOENT && err != EIO) {
			ksft_print_msg("drop trt_reuse: %s\n", strerror(err));
			ok = false;
		}
		scans++;
	}
	ok &= run_kernel_test("name_reuse_stop");
	ksft_print_msg("%lld created, %lld EEXIST, %lld scans, %lld drops, %d broken dirs\n",
		       client_status("reuse_created"),
		       client_status("reuse_eexist"), scans, drops, broken);
	if (!access(TR_DIR "/trt_reuse", F_OK)) {
		ksft_print_msg("stale trt_reuse directory\n");
		ok = false;
	}
	return ok && !broken;
}

/*
 * Issue 10, defect 5 (lockdep): an on_drop that drops its own region and
 * another one, and destroys both.  The debugfs drop completes, every call
 * is refused, nothing deadlocks and lockdep stays quiet.
 */
static bool test_ondrop_reentry(void)
{
	static const char * const refused[] = {
		"region_drop('trt_reenter_b') from an on_drop callback refused",
		"region_drop('trt_reenter') from an on_drop callback refused",
		"region_destroy('trt_reenter_b') from an on_drop callback refused",
		"region_destroy('trt_reenter') from an on_drop callback refused",
	};
	struct kmsg k;
	bool ok = true;
	unsigned int i;
	int err;

	if (!run_kernel_test("ondrop_reentry_setup"))
		return false;
	kmsg_start(&k);
	err = write_str(TR_DIR "/trt_reenter/drop", "1");
	if (err) {
		ksft_print_msg("drop trt_reenter: %s\n", strerror(err));
		ok = false;
	}
	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		if (!kmsg_wait(&k, refused[i], 0)) {
			ksft_print_msg("not in the log: %s\n", refused[i]);
			ok = false;
		}
	}
	kmsg_end(&k);
	ok &= run_kernel_test("ondrop_reentry_check");
	if (!access(TR_DIR "/trt_reenter", F_OK) ||
	    !access(TR_DIR "/trt_reenter_b", F_OK)) {
		ksft_print_msg("regions left after the check\n");
		ok = false;
	}
	return ok;
}

#define OWNER		"traceregion_test_owner"
#define OWNER_DIR	TR_DIR "/trt_owner"

static bool unload_traceregion_after_orphan(struct kmsg *k)
{
	bool ok = true;

	if (unload_module("traceregion")) {
		ksft_print_msg("rmmod traceregion: %s\n", strerror(errno));
		return false;
	}
	if (!kmsg_wait(k, "region 'trt_owner' still exists at unload, freeing it",
		       0)) {
		ksft_print_msg("traceregion did not free the orphan\n");
		ok = false;
	}
	if (!access(TR_DIR, F_OK)) {
		ksft_print_msg("debugfs directory left behind\n");
		ok = false;
	}
	return ok;
}

/*
 * Issue 10, defect 2: an owner that leaks a region with an on_drop and is
 * unloaded.  The region is orphaned (warning, "orphan: yes"), a debugfs
 * drop is refused with EPERM instead of calling into freed module text,
 * and traceregion still unloads, freeing it.
 */
static bool test_owner_leak_orphaned(void)
{
	long long blocks, drops;
	struct kmsg k;
	bool ok = true;
	char *text;
	int err, i;

	if (load_module("traceregion", ""))
		return false;
	kmsg_start(&k);
	if (load_module(OWNER, "leak=1")) {
		ksft_print_msg("load %s: %s\n", OWNER, strerror(errno));
		unload_module("traceregion");
		kmsg_end(&k);
		return false;
	}
	/* Its on_drop works while it is loaded. */
	err = write_str(OWNER_DIR "/drop", "1");
	if (err || !kmsg_wait(&k, OWNER ": on_drop done", 1000)) {
		ksft_print_msg("drop with the owner loaded: %s\n",
			       strerror(err));
		ok = false;
	}
	ok &= region_value("trt_owner", "drops") == 1;
	text = read_file(OWNER_DIR "/stats");
	ok &= text && strstr(text, "orphan: no\n");
	free(text);

	if (unload_module(OWNER)) {
		ksft_print_msg("rmmod %s: %s\n", OWNER, strerror(errno));
		unload_module("traceregion");
		kmsg_end(&k);
		return false;
	}
	if (!kmsg_wait(&k, "region 'trt_owner' left behind by module " OWNER
		       ": orphaned", 0)) {
		ksft_print_msg("no orphan warning\n");
		ok = false;
	}
	text = read_file(OWNER_DIR "/stats");
	if (!text || !strstr(text, "orphan: yes\n")) {
		ksft_print_msg("stats do not say orphan: yes\n");
		ok = false;
	}
	free(text);
	blocks = region_value("trt_owner", "blocks_held");
	drops = region_value("trt_owner", "drops");
	kmsg_forget(&k);
	/* A careless admin insists. */
	for (i = 0; i < 3; i++) {
		err = write_str(OWNER_DIR "/drop", i ? "1" : "1\n");
		if (err != EPERM) {
			ksft_print_msg("drop of the orphan: %s, expected EPERM\n",
				       strerror(err));
			ok = false;
		}
	}
	if (kmsg_wait(&k, OWNER ": on_drop start", 0)) {
		ksft_print_msg("the orphan's on_drop was called\n");
		ok = false;
	}
	if (region_value("trt_owner", "blocks_held") != blocks ||
	    region_value("trt_owner", "drops") != drops) {
		ksft_print_msg("the refused drop changed the region\n");
		ok = false;
	}
	ok &= unload_traceregion_after_orphan(&k);
	kmsg_end(&k);
	return ok;
}

/* Occurrences of @needle in @text. */
static int count_str(const char *text, const char *needle)
{
	int n = 0;

	while (text && (text = strstr(text, needle))) {
		n++;
		text += strlen(needle);
	}
	return n;
}

/* A child that drops trt_owner through debugfs; its exit status: errno. */
static pid_t owner_drop_child(void)
{
	pid_t pid = fork();

	if (!pid)
		_exit(write_str(OWNER_DIR "/drop", "1"));
	return pid;
}

/* The errno a drop child exited with, or -1 when it did not exit. */
static int owner_drop_wait(pid_t pid)
{
	int status;

	if (pid <= 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * Issue 10, defect 2: the owner is unloaded while a debugfs drop is in its
 * on_drop (which sleeps 500 ms) and a second drop waits behind it.  rmmod
 * succeeds (a drop holds no module reference) and returns only after the
 * on_drop that started is done: the owner's region_destroy() waits for the
 * drop, or with @leak traceregion's module notifier does.  The queued drop
 * is refused, since the owner is going, instead of calling into an owner
 * whose exit has run.
 */
static bool owner_rmmod_during_drop(bool leak)
{
	int err, err1, err2, starts, dones;
	long long t0, t1;
	char params[64];
	pid_t pid, pid2;
	struct kmsg k;
	bool ok = true;

	if (load_module("traceregion", ""))
		return false;
	kmsg_start(&k);
	snprintf(params, sizeof(params), "drop_ms=500 leak=%d", leak);
	if (load_module(OWNER, params)) {
		ksft_print_msg("load %s: %s\n", OWNER, strerror(errno));
		unload_module("traceregion");
		kmsg_end(&k);
		return false;
	}
	pid = owner_drop_child();
	if (pid < 0 || !kmsg_wait(&k, OWNER ": on_drop start", 5000)) {
		ksft_print_msg("on_drop did not start\n");
		ok = false;
	}
	/* A second admin, impatient: queued behind the first drop. */
	pid2 = owner_drop_child();
	sleep_ms(50);
	t0 = now_ms();
	if (pid > 0 && waitpid(pid, NULL, WNOHANG) == pid) {
		ksft_print_msg("the drop was over before rmmod\n");
		ok = false;
	}
	err = unload_module(OWNER) ? errno : 0;
	t1 = now_ms();
	if (err) {
		ksft_print_msg("rmmod %s during the drop: %s\n", OWNER,
			       strerror(err));
		ok = false;
	}
	/* rmmod returned: every on_drop is over, the module text is gone. */
	kmsg_poll(&k);
	starts = count_str(k.text, OWNER ": on_drop start");
	dones = count_str(k.text, OWNER ": on_drop done");
	if (starts != dones) {
		ksft_print_msg("rmmod returned with %d of %d on_drop calls done\n",
			       dones, starts);
		ok = false;
	}
	err1 = owner_drop_wait(pid);
	err2 = owner_drop_wait(pid2);
	ksft_print_msg("rmmod took %lld ms; drop writes: %s, %s; %d on_drop calls\n",
		       t1 - t0, err1 < 0 ? "killed" : strerror(err1),
		       err2 < 0 ? "killed" : strerror(err2), starts);
	/* The first drop was running: it completes. */
	if (err1) {
		ksft_print_msg("first drop: %s\n", strerror(err1));
		ok = false;
	}
	/*
	 * The queued one never calls on_drop: from the moment rmmod marked
	 * the owner as going (before its exit, which may free what on_drop
	 * uses) drops are refused (EPERM), or it finds the debugfs file
	 * removed (EIO) or the orphan (EPERM).
	 */
	if (starts != 1 || (leak ? err2 != EPERM :
			    err2 != EPERM && err2 != EIO)) {
		ksft_print_msg("queued drop: %s\n", strerror(err2));
		ok = false;
	}
	if (err) {
		/* Let the rest of the suite run. */
		unload_module(OWNER);
	}
	if (leak) {
		if (!kmsg_wait(&k, "region 'trt_owner' left behind by module "
			       OWNER ": orphaned", 0))
			ok = false;
		if (write_str(OWNER_DIR "/drop", "1") != EPERM) {
			ksft_print_msg("drop of the orphan not refused\n");
			ok = false;
		}
		ok &= unload_traceregion_after_orphan(&k);
	} else {
		if (!access(OWNER_DIR, F_OK)) {
			ksft_print_msg("destroyed region still in debugfs\n");
			ok = false;
		}
		if (unload_module("traceregion")) {
			ksft_print_msg("rmmod traceregion: %s\n",
				       strerror(errno));
			ok = false;
		}
	}
	kmsg_end(&k);
	return ok;
}

static bool test_owner_rmmod_during_drop_destroy(void)
{
	return owner_rmmod_during_drop(false);
}

static bool test_owner_rmmod_during_drop_leak(void)
{
	return owner_rmmod_during_drop(true);
}

static bool test_unload_leftover(void)
{
	bool ok = true;

	if (!run_kernel_test("leak"))
		return false;
	if (access(TR_DIR "/trt_leaked/stats", F_OK)) {
		ksft_print_msg("leaked region not in debugfs\n");
		ok = false;
	}
	if (unload_module("traceregion_test_client")) {
		ksft_print_msg("rmmod client: %s\n", strerror(errno));
		return false;
	}
	if (access(TR_DIR "/trt_drop", F_OK) == 0) {
		ksft_print_msg("client's regions survived its unload\n");
		ok = false;
	}
	if (unload_module("traceregion")) {
		ksft_print_msg("rmmod traceregion: %s\n", strerror(errno));
		return false;
	}
	if (!kmsg_contains("'trt_leaked' still exists at unload")) {
		ksft_print_msg("no warning about the leftover region\n");
		ok = false;
	}
	return ok;
}

static bool test_unload_clean(void)
{
	bool ok = true;

	if (module_loaded("traceregion") ||
	    module_loaded("traceregion_test_client")) {
		ksft_print_msg("a module is still loaded\n");
		ok = false;
	}
	if (!access(TR_DIR, F_OK) || !access(TC_DIR, F_OK)) {
		ksft_print_msg("debugfs directories left behind\n");
		ok = false;
	}
	/* A second load/unload cycle works from a clean slate. */
	if (load_module("traceregion", "") || !mode_is(TR_DIR "/stats", 0400))
		ok = false;
	if (unload_module("traceregion")) {
		ksft_print_msg("second rmmod: %s\n", strerror(errno));
		ok = false;
	}
	return ok && access(TR_DIR, F_OK) != 0;
}

static bool test_module_params(void)
{
	static const char * const bad[] = {
		"default_reserve=65", "max_blocks=2", "max_blocks=16777217",
		"default_reserve=-1",
	};
	bool ok = true;
	unsigned int i;
	char *v;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (!load_module("traceregion", bad[i])) {
			ksft_print_msg("loaded with %s\n", bad[i]);
			unload_module("traceregion");
			ok = false;
		} else if (errno != EINVAL) {
			ksft_print_msg("%s: %s, expected EINVAL\n", bad[i],
				       strerror(errno));
			ok = false;
		}
	}
	if (load_module("traceregion", "default_reserve=3 max_blocks=100"))
		return false;
	ok &= mode_is("/sys/module/traceregion/parameters/default_reserve",
		      0444);
	v = read_file("/sys/module/traceregion/parameters/max_blocks");
	ok &= v && !strcmp(v, "100\n");
	free(v);
	/* The client's trt_noowner is created with NULL params. */
	if (load_module("traceregion_test_client", "")) {
		ok = false;
	} else {
		ok &= region_value("trt_noowner", "reserve_target") == 3;
		/* Nothing ran dry yet: the refill keeps what was asked. */
		ok &= region_value("trt_noowner", "refill_target") == 3;
		ok &= region_value("trt_noowner", "max_bytes") == 100 * 65536;
		ok &= region_value("trt_drop", "reserve_target") == 4;
		ok &= !unload_module("traceregion_test_client");
	}
	ok &= !unload_module("traceregion");
	return ok;
}

static const struct {
	const char *name;
	bool (*fn)(void);
} user_tests[] = {
	{ "debugfs_stats_parse", test_stats_parse },
	{ "debugfs_bad_writes_einval", test_bad_writes },
	{ "debugfs_drop_without_on_drop_eperm", test_drop_eperm },
	{ "debugfs_drop_under_load", test_drop_under_load },
	{ "stats_no_wrap_under_drops", test_stats_no_wrap },
	{ "name_reuse_files_whole", test_name_reuse },
	{ "on_drop_reentry_refused", test_ondrop_reentry },
	{ "trace_events_slow_path_only", test_trace_events },
	{ "unload_refused_while_client_loaded", test_unload_busy },
	{ "unload_frees_leftover_region", test_unload_leftover },
	{ "unload_leaves_nothing", test_unload_clean },
	{ "owner_leak_orphaned", test_owner_leak_orphaned },
	{ "owner_rmmod_during_drop_destroy",
	  test_owner_rmmod_during_drop_destroy },
	{ "owner_rmmod_during_drop_leak", test_owner_rmmod_during_drop_leak },
	{ "module_params", test_module_params },
};

#define N_USER ARRAY_SIZE(user_tests)
#define N_KERNEL_MAX 64

int main(int argc, char **argv)
{
	char *cases = NULL, *kernel_tests[N_KERNEL_MAX], *save, *tok;
	unsigned int i, n_kernel = 0;
	bool loaded, ok;
	long long t0;

	ksft_print_header();
	tr_setup(argc, argv);

	/* The client's own cases, named by the client ("cases"). */
	loaded = !load_module("traceregion", "") &&
		 !load_module("traceregion_test_client", "") &&
		 (cases = read_file(TC_DIR "/cases"));
	if (loaded)
		for (tok = strtok_r(cases, "\n", &save);
		     tok && n_kernel < N_KERNEL_MAX;
		     tok = strtok_r(NULL, "\n", &save))
			kernel_tests[n_kernel++] = tok;
	ksft_set_plan(1 + n_kernel + N_USER);
	ksft_test_result(loaded && n_kernel, "load_modules\n");
	if (!loaded || !n_kernel)
		ksft_exit_fail_msg("cannot load the modules from %s\n", moddir);

	for (i = 0; i < n_kernel; i++) {
		t0 = now_ms();
		ok = run_kernel_test(kernel_tests[i]);
		ksft_print_msg("%s: %lld ms\n", kernel_tests[i], now_ms() - t0);
		ksft_test_result(ok, "%s\n", kernel_tests[i]);
	}
	for (i = 0; i < N_USER; i++) {
		t0 = now_ms();
		ok = user_tests[i].fn();
		ksft_print_msg("%s: %lld ms\n", user_tests[i].name,
			       now_ms() - t0);
		ksft_test_result(ok, "%s\n", user_tests[i].name);
	}

	ksft_finished();
}
