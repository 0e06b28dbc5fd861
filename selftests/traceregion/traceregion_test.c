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
		ok &= region_value("trt_noowner", "max_bytes") == 100 * 65536;
		ok &= region_value("trt_drop", "reserve_target") == 4;
		ok &= !unload_module("traceregion_test_client");
	}
	ok &= !unload_module("traceregion");
	return ok;
}

static const char * const kernel_tests[] = {
	"create_errors", "align_zero", "no_overlap", "too_large", "cap",
	"no_reserve", "contexts", "contention", "align_zero_percpu",
	"no_overlap_percpu", "cap_percpu", "no_reserve_percpu",
	"contexts_percpu", "contention_percpu", "flags_invalid", "recycle",
};

static const struct {
	const char *name;
	bool (*fn)(void);
} user_tests[] = {
	{ "debugfs_stats_parse", test_stats_parse },
	{ "debugfs_bad_writes_einval", test_bad_writes },
	{ "debugfs_drop_without_on_drop_eperm", test_drop_eperm },
	{ "debugfs_drop_under_load", test_drop_under_load },
	{ "trace_events_slow_path_only", test_trace_events },
	{ "unload_refused_while_client_loaded", test_unload_busy },
	{ "unload_frees_leftover_region", test_unload_leftover },
	{ "unload_leaves_nothing", test_unload_clean },
	{ "module_params", test_module_params },
};

#define N_KERNEL ARRAY_SIZE(kernel_tests)
#define N_USER ARRAY_SIZE(user_tests)

int main(int argc, char **argv)
{
	unsigned int i;
	bool loaded;

	ksft_print_header();
	tr_setup(argc, argv);

	ksft_set_plan(1 + N_KERNEL + N_USER);
	loaded = !load_module("traceregion", "") &&
		 !load_module("traceregion_test_client", "");
	ksft_test_result(loaded, "load_modules\n");
	if (!loaded)
		ksft_exit_fail_msg("cannot load the modules from %s\n", moddir);

	for (i = 0; i < N_KERNEL; i++)
		ksft_test_result(run_kernel_test(kernel_tests[i]), "%s\n",
				 kernel_tests[i]);
	for (i = 0; i < N_USER; i++)
		ksft_test_result(user_tests[i].fn(), "%s\n", user_tests[i].name);

	ksft_finished();
}
