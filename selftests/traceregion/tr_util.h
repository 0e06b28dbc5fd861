/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the traceregion selftests: module load/unload by
 * syscall, debugfs file reads and writes, "key: value" statistics.
 * Include after kselftest.h; the including program sets moddir.
 */
#ifndef _TRACEREGION_TR_UTIL_H
#define _TRACEREGION_TR_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
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

#define DBG		"/sys/kernel/debug"
#define TR_DIR		DBG "/traceregion"

/* Where the .ko files are; set by main(). */
static char moddir[PATH_MAX];

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int load_module(const char *name, const char *params)
{
	char path[PATH_MAX + 64];
	int fd, ret, err;

	snprintf(path, sizeof(path), "%s/%s.ko", moddir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ksft_print_msg("open %s: %s\n", path, strerror(errno));
		return -1;
	}
	ret = syscall(__NR_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

static int unload_module(const char *name)
{
	return syscall(__NR_delete_module, name, O_NONBLOCK);
}

static char *read_file(const char *path)
{
	size_t len = 0, cap = 8192;
	char *buf = malloc(cap), *nbuf;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (len + 1 == cap) {
			cap *= 2;
			nbuf = realloc(buf, cap);
			if (!nbuf)
				break;
			buf = nbuf;
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* Write @s to @path; returns 0 or the errno of the write. */
static int write_file(const char *path, const char *s, size_t len)
{
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, s, len) != (ssize_t)len)
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

static int write_str(const char *path, const char *s)
{
	return write_file(path, s, strlen(s));
}

/* Value of a "key: value" line, or -1. */
static long long stat_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *line = text;

	while (line && *line) {
		if (!strncmp(line, key, klen) && line[klen] == ':')
			return strtoll(line + klen + 1, NULL, 10);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

static long long file_value(const char *path, const char *key)
{
	char *text = read_file(path);
	long long v;

	if (!text)
		return -1;
	v = stat_value(text, key);
	free(text);
	return v;
}

static long long region_value(const char *region, const char *key)
{
	char path[256];

	snprintf(path, sizeof(path), TR_DIR "/%s/stats", region);
	return file_value(path, key);
}

static bool module_loaded(const char *name)
{
	char *mods = read_file("/proc/modules"), *line, *save = NULL;
	size_t len = strlen(name);
	bool found = false;

	for (line = strtok_r(mods, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, name, len) && line[len] == ' ')
			found = true;
	free(mods);
	return found;
}

static bool mode_is(const char *path, mode_t mode)
{
	struct stat st;

	if (stat(path, &st)) {
		ksft_print_msg("stat %s: %s\n", path, strerror(errno));
		return false;
	}
	if ((st.st_mode & 07777) != mode) {
		ksft_print_msg("%s: mode %o, expected %o\n", path,
			       st.st_mode & 07777, mode);
		return false;
	}
	return true;
}

/* A kernel address printed as a number: a run of 12 or more hex digits. */
static bool has_hex_run(const char *text)
{
	const char *p;
	int run = 0;

	for (p = text; *p; p++) {
		run = strchr("0123456789abcdefABCDEF", *p) ? run + 1 : 0;
		if (run >= 12)
			return true;
	}
	return false;
}

/*
 * The start of every test's main(): find the modules (the first argument,
 * else $TRACEREGION_MODDIR, else the program's directory), then exit with
 * "skip" when not root, without debugfs, or with traceregion loaded.
 */
static void tr_setup(int argc, char **argv)
{
	const char *env = getenv("TRACEREGION_MODDIR");
	char self[PATH_MAX];

	if (argc > 1) {
		snprintf(moddir, sizeof(moddir), "%s", argv[1]);
	} else if (env) {
		snprintf(moddir, sizeof(moddir), "%s", env);
	} else {
		snprintf(self, sizeof(self), "%s", argv[0]);
		snprintf(moddir, sizeof(moddir), "%s", dirname(self));
	}
	if (geteuid())
		ksft_exit_skip("must be run as root\n");
	if (access(DBG "/tracing", F_OK) && access(TR_DIR, F_OK) &&
	    mount("debugfs", DBG, "debugfs", 0, NULL) && errno != EBUSY)
		ksft_exit_skip("debugfs not available: %s\n", strerror(errno));
	if (module_loaded("traceregion"))
		ksft_exit_skip("traceregion is already loaded\n");
}

#endif /* _TRACEREGION_TR_UTIL_H */
