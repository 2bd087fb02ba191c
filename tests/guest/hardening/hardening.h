/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the hardening tests (issue 6): the partition syscalls, sysfs
 * files, partition counters, PFNs, a kernel-log watcher and TAP output with
 * the plan at the end (row tables do not know their size in advance).
 */
#ifndef HARDENING_H
#define HARDENING_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ksm_test_util.h"

#ifndef __NR_ksm_open
#define __NR_ksm_open 990
#define __NR_ksm_merge 991
#define __NR_ksm_unmerge 992
#define __NR_ksm_unlink 993
#endif
#ifndef KSM_MERGE_ALL
#define KSM_MERGE_ALL (1U << 0)
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif

#define CTRL_DIR KSM_SYSFS "/control"
#define PART_DIR KSM_SYSFS "/partition"
#define KSFT_SKIP 4

static size_t psz;

static inline long sys_open(const char *name, long flags, long mode)
{
	return syscall(__NR_ksm_open, name, flags, mode);
}
/* The system calls: a pidfd names the target */
static inline long sys_merge_pidfd(long fd, long pidfd, unsigned long addr, unsigned long len,
				   unsigned long flags)
{
	return syscall(__NR_ksm_merge, fd, pidfd, addr, len, flags);
}
static inline long sys_unmerge_pidfd(long fd, long pidfd, unsigned long addr, unsigned long len,
				     unsigned long flags)
{
	return syscall(__NR_ksm_unmerge, fd, pidfd, addr, len, flags);
}
static inline int sys_pidfd_open(pid_t pid)
{
	return syscall(__NR_pidfd_open, pid, 0);
}
/*
 * By pid, as libksm's ksm_merge() does: a pidfd of PID (0: the caller) for
 * the call, addr == size == 0 for KSM_MERGE_ALL. The pid rows of the
 * system call itself use sys_merge_pidfd().
 */
static inline long sys_merge_pid(long fd, long pid, unsigned long addr, unsigned long size,
				 bool unmerge)
{
	unsigned long flags = !addr && !size ? KSM_MERGE_ALL : 0;
	int pidfd, e;
	long r;

	if (pid < 0) {
		errno = EINVAL;
		return -1;
	}
	pidfd = sys_pidfd_open(pid ? pid : getpid());
	if (pidfd < 0)
		return -1;
	r = unmerge ? sys_unmerge_pidfd(fd, pidfd, addr, size, flags) :
		      sys_merge_pidfd(fd, pidfd, addr, size, flags);
	e = errno;
	close(pidfd);
	errno = e;
	return r;
}
static inline long sys_merge(long fd, long pid, unsigned long addr, unsigned long size)
{
	return sys_merge_pid(fd, pid, addr, size, false);
}
static inline long sys_unmerge(long fd, long pid, unsigned long addr, unsigned long size)
{
	return sys_merge_pid(fd, pid, addr, size, true);
}
static inline long sys_unlink(const char *name)
{
	return syscall(__NR_ksm_unlink, name);
}

/* write(2) of LEN bytes to PATH: 0 or -errno (-EIO for a short write) */
static inline long wr_file(const char *path, const char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	n = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return n;
}

static inline long wr_str(const char *path, const char *s)
{
	return wr_file(path, s, strlen(s));
}

static inline long part_counter(const char *part, const char *counter)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), PART_DIR "/%s/%s", part, counter);
	if (sysfs_read_str(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, strcmp(counter, "mode") ? 10 : 8);
}

static inline bool part_exists(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PART_DIR "/%s", name);
	return access(path, F_OK) == 0;
}

static inline bool ksm_partitions_supported(void)
{
	return access(PART_DIR, F_OK) == 0 && access(CTRL_DIR "/add_partition", F_OK) == 0;
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A pid that no process has (a reaped child's, unless reused at once). */
static inline pid_t dead_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	return p;
}

/* ---------------------------------------------------------- kernel log */
/*
 * Reads /dev/kmsg from where it stood at kmsg_open(): any record that
 * looks like a kernel report (the same list as tests/run-tap -k) is
 * printed and counted.
 */
static int kmsg_fd = -1;
static long kmsg_reports, kmsg_known;
/*
 * Set around a row that fails because of a known kernel bug (FINDINGS.md):
 * its failure is printed as "not ok ... # TODO", does not fail the test,
 * and a kernel report it causes is printed here and then cleared from the
 * log so that run-tap -k does not fail the whole test for it. Set
 * KSM_KNOWN_BUGS_FAIL=1 to make known bugs fail like any other.
 */
static const char *known_bug;

static const char *const kmsg_patterns[] = {
	"BUG:", "WARNING:", "Oops", "KASAN", "UBSAN", "general protection fault",
	"Unable to handle", "circular locking", "recursive locking",
	"inconsistent lock state", "lockdep", "blocked for more than",
	"soft lockup", "hard LOCKUP", "stall", "suspected memory leak",
	"Kernel panic", "list_add corruption", "list_del corruption", NULL
};

static inline void kmsg_open(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
}

/* Number of report lines since the last call (printed as TAP comments). */
static inline int kmsg_check(void)
{
	char rec[2048];
	int n = 0;
	ssize_t len;

	if (kmsg_fd < 0)
		return 0;
	for (;;) {
		len = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* records overwritten: go on */
		if (len <= 0)
			break;
		rec[len] = '\0';
		for (const char *const *p = kmsg_patterns; *p; p++) {
			if (strstr(rec, *p)) {
				char *msg = strchr(rec, ';');

				printf("# kernel: %s", msg ? msg + 1 : rec);
				n++;
				break;
			}
		}
	}
	if (n && known_bug && !getenv("KSM_KNOWN_BUGS_FAIL")) {
		kmsg_known += n;
		klogctl(5, NULL, 0);	/* SYSLOG_ACTION_CLEAR: reported above */
		return n;
	}
	kmsg_reports += n;
	return n;
}

/* ---------------------------------------------------------------- TAP */
static int tap_n, tap_fail, tap_skip, tap_todo;

static inline void tap_result(bool ok, const char *fmt, ...)
{
	va_list ap;
	bool todo = !ok && known_bug && !getenv("KSM_KNOWN_BUGS_FAIL");

	tap_n++;
	if (todo)
		tap_todo++;
	else if (!ok)
		tap_fail++;
	printf("%s %d - ", ok ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (todo)
		printf(" # TODO known kernel bug: %s", known_bug);
	putchar('\n');
	fflush(stdout);
}

static inline void tap_skip_row(const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	tap_skip++;
	printf("ok %d - ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP\n");
	fflush(stdout);
}

/* Plan at the end (TAP 13 allows it); exit status like kselftest. */
static inline int tap_finish(void)
{
	printf("1..%d\n", tap_n);
	printf("# %d rows: %d passed, %d failed, %d skipped, %d known kernel bugs (TODO); "
	       "%ld kernel report lines (+%ld from known bugs)\n",
	       tap_n, tap_n - tap_fail - tap_skip - tap_todo, tap_fail, tap_skip, tap_todo,
	       kmsg_reports, kmsg_known);
	fflush(stdout);
	return tap_fail ? 1 : 0;
}

static inline void tap_header(void)
{
	printf("TAP version 13\n");
	fflush(stdout);
}

#endif /* HARDENING_H */
