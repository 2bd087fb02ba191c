// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libksm on any kernel: argument handling, parsing of sysfs/procfs (against
 * a fake sysfs tree and the real one), the feature probe, and the rule that
 * the partition syscalls are never issued on a kernel without the
 * Selective KSM sysfs (checked under a seccomp filter that kills on them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ksm.h>

#include "ksft.h"

#ifndef PR_GET_MEMORY_MERGE
#define PR_GET_MEMORY_MERGE 68
#endif

static char root[PATH_MAX];

static void put(const char *rel, const char *content)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (!f || fputs(content, f) < 0 || fclose(f)) {
		perror(path);
		exit(KSFT_FAIL);
	}
}

static void mk(const char *rel)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		exit(KSFT_FAIL);
	}
}

static char *slurp(const char *rel)
{
	static char buf[4096];
	char path[PATH_MAX * 2];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void fake_partition(const char *name, int base, const char *mode)
{
	static const char *const attrs[] = { "pages_shared", "pages_sharing", "pages_unshared",
					     "pages_scanned", "merge_calls", "members" };
	char rel[256], v[32];

	snprintf(rel, sizeof(rel), "partition/%s", name);
	mk(rel);
	for (int i = 0; i < 6; i++) {
		snprintf(rel, sizeof(rel), "partition/%s/%s", name, attrs[i]);
		snprintf(v, sizeof(v), "%d\n", base + i);
		put(rel, v);
	}
	snprintf(rel, sizeof(rel), "partition/%s/mode", name);
	put(rel, mode);
	snprintf(rel, sizeof(rel), "partition/%s/uid", name);
	put(rel, "1000\n");
	snprintf(rel, sizeof(rel), "partition/%s/gid", name);
	put(rel, "100\n");
	snprintf(rel, sizeof(rel), "partition/%s/trigger_merge", name);
	put(rel, "");
	snprintf(rel, sizeof(rel), "partition/%s/trigger_unmerge", name);
	put(rel, "");
}

static int real_partitions(void)
{
	struct stat st;

	return stat("/sys/kernel/mm/ksm/partition", &st) == 0;
}

/*
 * in a child under a filter that kills the process on the syscall numbers of
 * the series (990..993) and on those of its earlier versions (463..466)
 */
static int gated_child(int use_fake)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int bad = 0;

	if (use_fake)
		setenv("LIBKSM_SYSFS", root, 1);
	for (int nr = 463; nr <= 466; nr++)
		if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 0) < 0)
			_exit(10);
	for (int nr = 990; nr <= 993; nr++)
		if (seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 0) < 0)
			_exit(10);
	if (seccomp_load(ctx) < 0)
		_exit(11);
	errno = 0;
	bad |= !(ksm_open("p", KSM_CREAT, 0600) == -1 && errno == ENOSYS) << 0;
	errno = 0;
	bad |= !(ksm_unlink("p") == -1 && errno == ENOSYS) << 1;
	errno = 0;
	bad |= !(ksm_merge(3, 0, 0, 0) == -1 && errno == ENOSYS) << 2;
	errno = 0;
	bad |= !(ksm_unmerge(3, 0, 0, 0) == -1 && errno == ENOSYS) << 3;
	errno = 0;
	bad |= !(ksm_merge_process(3, 1) == -1 && errno == ENOSYS) << 4;
	errno = 0;
	bad |= !(ksm_unmerge_process(3, 1) == -1 && errno == ENOSYS) << 5;
	bad |= !!(ksm_features() & KSM_FEAT_PARTITION_SYSCALLS) << 6;
	errno = 0;
	bad |= !(ksm_merge_pidfd(3, 4, 0, 0, KSM_MERGE_ALL) == -1 && errno == ENOSYS) << 7;
	errno = 0;
	bad |= !(ksm_unmerge_pidfd(3, 4, 0, 0, KSM_MERGE_ALL) == -1 && errno == ENOSYS) << 7;	/* exit status: 8 bits */
	_exit(bad);
}

static int run_gated(int use_fake, int *status)
{
	pid_t p = fork();

	if (p == 0)
		gated_child(use_fake);
	if (p < 0 || waitpid(p, status, 0) < 0)
		return -1;
	return 0;
}

int main(void)
{
	char name63[64], name64[65], buf[256], **names = NULL;
	struct ksm_partition_info pi;
	struct ksm_global_state g;
	struct ksm_proc_stat ps;
	unsigned long long u;
	unsigned int feat;
	int n, st;
	struct stat sb;

	ksft_plan(44);

	/* 1 */
	ksft_ok(KSM_CREAT == O_CREAT && KSM_EXCL == O_EXCL && KSM_CLOEXEC == O_CLOEXEC,
		"KSM_CREAT/KSM_EXCL/KSM_CLOEXEC equal the O_ flags");

	/* 2-5: names */
	memset(name63, 'a', 63);
	name63[63] = 0;
	memset(name64, 'b', 64);
	name64[64] = 0;
	ksft_ok(ksm_name_valid("a") == 0 && ksm_name_valid("tenant-1.vm_A") == 0 &&
		ksm_name_valid(name63) == 0 && ksm_name_valid("...") == 0 && ksm_name_valid(".a") == 0,
		"valid names accepted (1 and 63 characters, [A-Za-z0-9._-])");
	errno = 0;
	ksft_ok(ksm_name_valid(name64) == -1 && errno == ENAMETOOLONG, "64-character name: ENAMETOOLONG");
	{
		static const char *const bad[] = { "", ".", "..", "a/b", "a b", "\xc3\xa4", "a\n", "*" };
		int all = 1;

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			errno = 0;
			if (!(ksm_name_valid(bad[i]) == -1 && errno == EINVAL)) {
				ksft_diag("name '%s' not rejected with EINVAL", bad[i]);
				all = 0;
			}
		}
		ksft_ok(all, "invalid names rejected with EINVAL (empty, ., .., /, space, non-ASCII, newline, *)");
	}
	errno = 0;
	ksft_ok(ksm_name_valid(NULL) == -1 && errno == EINVAL, "NULL name: EINVAL");

	/* 6-9: features against the real kernel */
	feat = ksm_features();
	ksft_ok(!!(feat & KSM_FEAT_KSM) == (stat("/sys/kernel/mm/ksm/run", &sb) == 0),
		"KSM_FEAT_KSM matches /sys/kernel/mm/ksm/run");
	ksft_ok(!!(feat & KSM_FEAT_MEMORY_MERGE) == (prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0) >= 0),
		"KSM_FEAT_MEMORY_MERGE matches prctl(PR_GET_MEMORY_MERGE)");
	ksft_ok(!!(feat & KSM_FEAT_KSM_STAT) == (stat("/proc/self/ksm_stat", &sb) == 0),
		"KSM_FEAT_KSM_STAT matches /proc/self/ksm_stat");
	ksft_ok(!!(feat & KSM_FEAT_PARTITION_SYSFS) == real_partitions() &&
		(real_partitions() || !(feat & KSM_FEAT_PARTITION_SYSCALLS)),
		"partition features match /sys/kernel/mm/ksm/partition (0x%x)", feat);

	/* fake sysfs tree */
	snprintf(root, sizeof(root), "/tmp/libksm-test.XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return KSFT_FAIL;
	}
	mk("partition");
	mk("control");
	put("control/add_partition", "");
	put("control/remove_partition", "");
	fake_partition("gamma", 100, "0600\n");
	fake_partition("alpha", 10, "0640\n");
	fake_partition("beta", 20, "0755\n");
	mk("partition/not a name");

	/* 10-11: gating, real sysfs and fake sysfs with partition/ */
	if (real_partitions()) {
		ksft_skip("kernel has Selective KSM: gating on a stock kernel not testable here");
		ksft_skip("kernel has Selective KSM: gating on a stock kernel not testable here");
	} else {
		int r = run_gated(0, &st);

		ksft_ok(r == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
			"no partition sysfs: every syscall wrapper fails ENOSYS without issuing 990-993 or 463-466 (wait status 0x%x)", st);
		r = run_gated(1, &st);
		ksft_ok(r == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
			"fake LIBKSM_SYSFS with partition/: still no syscall (gate is the real sysfs) (wait status 0x%x)", st);
	}

	/* 12: the numbers of the series mean nothing to a kernel without it */
	if (real_partitions()) {
		ksft_skip("kernel has Selective KSM: its numbers are taken here");
	} else {
		struct utsname u;
		int enosys = 0;

		uname(&u);
		for (long nr = 990; nr <= 993; nr++) {
			errno = 0;
			enosys += syscall(nr, -1, -1, 0, 0, 0) == -1 && errno == ENOSYS;
		}
		ksft_ok(enosys == 4, "syscalls 990-993 fail with ENOSYS on this kernel (Linux %s): %d of 4",
			u.release, enosys);
	}

	setenv("LIBKSM_SYSFS", root, 1);

	/* 12-18: partition info */
	memset(&pi, 0xff, sizeof(pi));
	ksft_ok(ksm_partition_info("alpha", &pi) == 0 && !strcmp(pi.name, "alpha") &&
		pi.pages_shared == 10 && pi.pages_sharing == 11 && pi.pages_unshared == 12 &&
		pi.pages_scanned == 13 && pi.merge_calls == 14 && pi.members == 15 &&
		pi.mode == 0640 && pi.uid == 1000 && pi.gid == 100 && pi.reserved[0] == 0 &&
		pi.max_page_sharing == 0 && pi.merge_across_nodes == 0 && pi.reserved32 == 0,
		"ksm_partition_info reads every counter, octal mode, uid, gid (no knobs: 0, 0)");
	put("partition/alpha/max_page_sharing", "2\n");
	ksft_ok(ksm_partition_info("alpha", &pi) == 0 && pi.max_page_sharing == 2 &&
		pi.merge_across_nodes == 1,
		"max_page_sharing of the partition's creation; no merge_across_nodes file (no NUMA): 1");
	put("partition/alpha/merge_across_nodes", "0\n");
	ksft_ok(ksm_partition_info("alpha", &pi) == 0 && pi.max_page_sharing == 2 &&
		pi.merge_across_nodes == 0 && pi.reserved32 == 0 && pi.reserved[3] == 0,
		"merge_across_nodes of the partition's creation");
	errno = 0;
	ksft_ok(ksm_partition_info("nope", &pi) == -1 && errno == ENOENT, "unknown partition: ENOENT");
	errno = 0;
	ksft_ok(ksm_partition_info("../control", &pi) == -1 && errno == EINVAL,
		"path traversal name '../control': EINVAL");
	errno = 0;
	ksft_ok(ksm_partition_info("alpha", NULL) == -1 && errno == EINVAL, "NULL info: EINVAL");
	put("partition/beta/members", "12abc\n");
	errno = 0;
	ksft_ok(ksm_partition_info("beta", &pi) == -1 && errno == EINVAL, "malformed counter '12abc': EINVAL");
	put("partition/beta/members", "21\n");

	/* 19-20: list */
	n = ksm_partition_list(&names);
	ksft_ok(n == 3 && names && !strcmp(names[0], "alpha") && !strcmp(names[1], "beta") &&
		!strcmp(names[2], "gamma") && names[3] == NULL,
		"ksm_partition_list: sorted, NULL-terminated, skips non-names (n=%d)", n);
	ksm_names_free(names);
	ksm_names_free(NULL);
	errno = 0;
	ksft_ok(ksm_partition_list(NULL) == -1 && errno == EINVAL, "ksm_partition_list(NULL): EINVAL");

	/* 21-24: sysfs writes */
	ksft_ok(ksm_partition_add("delta") == 0 && !strcmp(slurp("control/add_partition"), "delta"),
		"ksm_partition_add writes the name to control/add_partition");
	ksft_ok(ksm_partition_remove("gamma") == 0 && !strcmp(slurp("control/remove_partition"), "gamma"),
		"ksm_partition_remove writes the name to control/remove_partition");
	ksft_ok(ksm_partition_trigger("alpha", 42, 0x1000, 0x3000, 0) == 0 &&
		!strcmp(slurp("partition/alpha/trigger_merge"), "42 0x1000 0x3000"),
		"ksm_partition_trigger(range) writes 'PID START END' in hex");
	ksft_ok(ksm_partition_trigger("alpha", 42, 0, 0, 1) == 0 &&
		!strcmp(slurp("partition/alpha/trigger_unmerge"), "42"),
		"ksm_partition_trigger(whole, unmerge) writes 'PID' to trigger_unmerge");
	errno = 0;

	/* 25-28: generic sysfs access */
	put("run", "1\n");
	put("advisor_mode", "[none] scan-time\n");
	ksft_ok(ksm_sysfs_get("advisor_mode", buf, sizeof(buf)) == 16 && !strcmp(buf, "[none] scan-time"),
		"ksm_sysfs_get strips the newline and returns the length");
	errno = 0;
	ksft_ok(ksm_sysfs_get("advisor_mode", buf, 8) == -1 && errno == ERANGE, "too small buffer: ERANGE");
	{
		int ok = 1;
		static const char *const bad[] = { "../x", "/etc/passwd", "a/../../b", "", ".." };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			errno = 0;
			if (!(ksm_sysfs_get(bad[i], buf, sizeof(buf)) == -1 && errno == EINVAL))
				ok = 0;
			errno = 0;
			if (!(ksm_sysfs_set(bad[i], "1") == -1 && errno == EINVAL))
				ok = 0;
		}
		ksft_ok(ok, "sysfs paths with '..', absolute or empty: EINVAL");
	}
	put("pages_to_scan", "100\n");
	ksft_ok(ksm_sysfs_set_ull("pages_to_scan", 4242) == 0 && !strcmp(slurp("pages_to_scan"), "4242") &&
		ksm_sysfs_get_ull("pages_to_scan", &u) == 0 && u == 4242,
		"ksm_sysfs_set_ull / ksm_sysfs_get_ull round trip");

	/* 29-31: global state from the fake tree */
	put("general_profit", "-8192\n");
	put("full_scans", "7\n");
	memset(&g, 0, sizeof(g));
	ksft_ok(ksm_global_read(&g) == 0 && g.run == 1 && g.pages_to_scan == 4242 && g.full_scans == 7 &&
		g.general_profit == -8192 && g.sleep_millisecs == KSM_ABSENT && g.smart_scan == KSM_ABSENT,
		"ksm_global_read: values, negative general_profit, absent fields KSM_ABSENT");
	{
		char p[PATH_MAX * 2];

		snprintf(p, sizeof(p), "%s/general_profit", root);
		unlink(p);
	}
	ksft_ok(ksm_global_read(&g) == 0 && g.general_profit == LLONG_MIN, "absent general_profit is LLONG_MIN");
	{
		char p[PATH_MAX * 2];

		snprintf(p, sizeof(p), "%s/run", root);
		unlink(p);
	}
	errno = 0;
	ksft_ok(ksm_global_read(&g) == -1 && errno == ENOENT, "no 'run' (no KSM): ENOENT");

	/* 32: no partition dir in the tree: ENOSYS */
	{
		char p[PATH_MAX * 2];

		snprintf(p, sizeof(p), "rm -rf '%s/partition'", root);
		if (system(p) != 0)
			return KSFT_FAIL;
		errno = 0;
		names = NULL;
		n = ksm_partition_list(&names);
		ksft_ok(n == -1 && errno == ENOSYS && ksm_partition_info("alpha", &pi) == -1 && errno == ENOSYS,
			"no partition/ directory: list and info fail ENOSYS");
	}
	unsetenv("LIBKSM_SYSFS");
	{
		char p[PATH_MAX * 2];

		snprintf(p, sizeof(p), "rm -rf '%s'", root);
		if (system(p) != 0)
			return KSFT_FAIL;
	}

	/* 33-34: the real global state */
	if (feat & KSM_FEAT_KSM) {
		int ok = ksm_global_read(&g) == 0;
		unsigned long long pts = 0, msh = 0;

		ok = ok && ksm_sysfs_get_ull("pages_to_scan", &pts) == 0 &&
		     ksm_sysfs_get_ull("max_page_sharing", &msh) == 0;
		ksft_ok(ok && (unsigned long long)g.pages_to_scan == pts && (unsigned long long)g.max_page_sharing == msh &&
			g.run >= 0 && g.run <= 2 && g.full_scans >= 0,
			"ksm_global_read on the real sysfs matches the files");
		ksft_ok(ksm_sysfs_get("run", buf, sizeof(buf)) == 1 && (buf[0] >= '0' && buf[0] <= '2'),
			"ksm_sysfs_get('run') on the real sysfs");
	} else {
		ksft_skip("no KSM in this kernel");
		ksft_skip("no KSM in this kernel");
	}

	/* 35-39: processes */
	errno = 0;
	ksft_ok(ksm_proc_stat(-1, &ps) == -1 && errno == EINVAL, "ksm_proc_stat(pid -1): EINVAL");
	errno = 0;
	ksft_ok(ksm_proc_stat(0, NULL) == -1 && errno == EINVAL, "ksm_proc_stat(NULL): EINVAL");
	{
		pid_t dead = fork();

		if (dead == 0)
			_exit(0);
		waitpid(dead, NULL, 0);
		errno = 0;
		ksft_ok(ksm_proc_stat(dead, &ps) == -1 && errno == ESRCH, "ksm_proc_stat of a reaped pid: ESRCH");
	}
	if (!(feat & KSM_FEAT_KSM_STAT) || !(feat & KSM_FEAT_MEMORY_MERGE)) {
		ksft_skip("no ksm_stat or PR_SET_MEMORY_MERGE");
		ksft_skip("no ksm_stat or PR_SET_MEMORY_MERGE");
	} else {
		pid_t c = fork();

		if (c == 0) {
			struct ksm_proc_stat a, b, d;
			int bad = 0;

			bad |= ksm_proc_stat(0, &a) < 0 || a.merge_any != 0 || ksm_get_merge_any() != 0;
			bad |= (ksm_set_merge_any(1) < 0) << 1;
			bad |= (ksm_proc_stat(getpid(), &b) < 0 || b.merge_any != 1 || ksm_get_merge_any() != 1) << 2;
			bad |= (b.merging_pages < 0 || b.rmap_items < 0 || b.process_profit == KSM_ABSENT) << 3;
			bad |= (ksm_set_merge_any(0) < 0 || ksm_proc_stat(0, &d) < 0 || d.merge_any != 0) << 4;
			_exit(bad);
		}
		if (waitpid(c, &st, 0) < 0)
			st = -1;
		ksft_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			"ksm_set_merge_any(1/0) is seen by ksm_proc_stat and ksm_get_merge_any (0x%x)", st);
		{
			FILE *f = fopen("/proc/self/ksm_stat", "r");
			char line[128];
			long long merging = -2;

			while (f && fgets(line, sizeof(line), f))
				sscanf(line, "ksm_merging_pages %lld", &merging);
			if (f)
				fclose(f);
			ksft_ok(ksm_proc_stat(0, &ps) == 0 && ps.merging_pages == merging,
				"ksm_proc_stat(0) parses ksm_merging_pages like the file says (%lld)", merging);
		}
	}

	/* 40: partition membership, on a kernel without it (stock) */
	if (ksm_features() & KSM_FEAT_PARTITION_JOIN) {
		ksft_skip("ksm_join on a stock kernel: this kernel has partition membership");
	} else {
		int b1, e1, b2, e2, b3;

		errno = 0;
		b1 = ksm_join(-1);
		e1 = errno;
		b2 = ksm_join(1);
		e2 = errno;
		b3 = ksm_leave();
		ksft_ok(b1 == -1 && e1 == EBADF && b2 == -1 && (e2 == EINVAL || e2 == ENOSYS) && b3 == -1,
			"ksm_join(-1) EBADF; ksm_join and ksm_leave fail (EINVAL) without kernel support (%d %d)", e1, e2);
	}

	/* 42-44 */
	ksft_ok(ksm_version() && !strcmp(ksm_version(), "1.2.0"), "ksm_version() is 1.2.0");
	{
		int saved_errno;

		errno = 1234;
		ksm_features();
		saved_errno = errno;
		ksft_ok(saved_errno == 1234, "ksm_features() leaves errno alone");
	}
	errno = 0;
	ksft_ok(ksm_partition_trigger("bad/name", 1, 0, 0, 0) == -1 && errno == EINVAL,
		"ksm_partition_trigger with a bad name: EINVAL before any write");
	ksft_exit();
}
