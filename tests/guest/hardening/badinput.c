// SPDX-License-Identifier: GPL-2.0
/*
 * badinput: the bad-input table of issue 6. Every partition syscall
 * (ksm_open, ksm_merge, ksm_unmerge, ksm_unlink) and every sysfs file under
 * control/ and partition/NAME/ gets bad names, flags, modes, fds, pids,
 * ranges, memory kinds and malformed writes. One TAP line per row: the
 * errno (or result) of doc/interface.md, nothing merged that should not be
 * (the partition's and the global counters, PFNs of a sample of identical
 * pages) and no kernel report in /dev/kmsg since the previous row.
 * Where the doc is silent the row expects what the kernel does and says
 * "(doc silent)"; see tests/guest/hardening/FINDINGS.md.
 */
#include "hardening.h"
#include <sys/eventfd.h>
#include <sys/resource.h>

#define PART "hb_bad"
#define NSAMPLE 16

static int pfd = -1;
static char *sample;		/* NSAMPLE identical pages, never merged by a bad row */
static long glob_shared0, glob_sharing0;
static int nparts0;
static unsigned long task_size;
static int rows_doc_silent;

static int count_partitions(void)
{
	char path[PATH_MAX];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "ls -1 %s | wc -l", PART_DIR);
	f = popen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		pclose(f);
	}
	return n;
}

static void fill(char *p, size_t npages, int byte)
{
	for (size_t i = 0; i < npages; i++)
		memset(p + i * psz, byte, psz);
}

static bool all_same_pfn(const char *p, size_t npages)
{
	unsigned long f0 = pid_pfn(getpid(), p);

	for (size_t i = 1; i < npages; i++)
		if (!f0 || pid_pfn(getpid(), p + i * psz) != f0)
			return false;
	return true;
}

/* Distinct PFNs of npages pages; 0 if one of them is not present. */
static size_t count_pfns(const char *p, size_t npages)
{
	unsigned long f[1024];
	size_t n = 0;

	for (size_t i = 0; i < npages && i < 1024; i++) {
		unsigned long pfn = pid_pfn(getpid(), p + i * psz);
		size_t j;

		if (!pfn)
			return 0;
		for (j = 0; j < n && f[j] != pfn; j++)
			;
		if (j == n)
			f[n++] = pfn;
	}
	return n;
}

static bool all_distinct_pfn(const char *p, size_t npages)
{
	unsigned long f[64];

	for (size_t i = 0; i < npages && i < 64; i++) {
		f[i] = pid_pfn(getpid(), p + i * psz);
		for (size_t j = 0; j < i; j++)
			if (f[i] && f[i] == f[j])
				return false;
	}
	return true;
}

/* The invariant after a row that must not merge anything. */
static bool nothing_merged(void)
{
	long s = part_counter(PART, "pages_shared"), g = part_counter(PART, "pages_sharing");
	long gs = ksm_read_ulong("pages_shared"), gg = ksm_read_ulong("pages_sharing");
	int np = count_partitions();
	bool ok = true;

	if (s != 0 || g != 0) {
		printf("# partition counters moved: pages_shared %ld pages_sharing %ld\n", s, g);
		ok = false;
	}
	if (gs != glob_shared0 || gg != glob_sharing0) {
		printf("# global counters moved: pages_shared %ld -> %ld, pages_sharing %ld -> %ld\n",
		       glob_shared0, gs, glob_sharing0, gg);
		ok = false;
	}
	if (!all_distinct_pfn(sample, NSAMPLE)) {
		printf("# the sample's identical pages were merged\n");
		ok = false;
	}
	if (np != nparts0) {
		printf("# number of partitions changed: %d -> %d\n", nparts0, np);
		ok = false;
	}
	return ok;
}

static const char *ename(int e)
{
	const char *s = e ? strerrorname_np(e) : "0";

	return s ? s : "?";
}

/* A row that must fail with ERR and change nothing. */
static void row_err(const char *what, long ret, int err, bool silent)
{
	int e = errno;
	bool ok = err ? ret == -1 && e == err : ret >= 0;

	if (!ok)
		printf("# %s: expected %s, got %ld%s%s\n", what, err ? ename(err) : ">= 0", ret,
		       ret == -1 ? " errno " : "", ret == -1 ? ename(e) : "");
	ok &= nothing_merged();
	ok &= kmsg_check() == 0;
	rows_doc_silent += silent;
	tap_result(ok, "%s -> %s%s", what, err ? ename(err) : "accepted", silent ? " (doc silent)" : "");
}

/* sysfs rows: wr_* return 0 or -errno */
static void row_werr(const char *what, long ret, int err, bool silent)
{
	errno = ret < 0 ? -ret : 0;
	row_err(what, ret < 0 ? -1 : ret, err, silent);
}

/* A row that must succeed with WANT (or any value >= 0 when WANT is -2). */
static bool row_val_check(const char *what, long ret, long want)
{
	int e = errno;

	if (ret == want || (want == -2 && ret >= 0))
		return true;
	printf("# %s: expected %ld, got %ld%s%s\n", what, want, ret,
	       ret == -1 ? " errno " : "", ret == -1 ? ename(e) : "");
	return false;
}

typedef long (*range_fn)(long, long, unsigned long, unsigned long);
static const struct {
	const char *name;
	range_fn fn;
} rfns[] = { { "ksm_merge", sys_merge }, { "ksm_unmerge", sys_unmerge } };

static unsigned long get_task_size(void)
{
	char line[4096];
	FILE *f = fopen("/proc/cpuinfo", "r");
	bool la57 = false;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && strstr(line, " la57"))
			la57 = true;
	if (f)
		fclose(f);
	return (la57 ? (1UL << 56) : (1UL << 47)) - psz;
}

static pid_t zombie(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	/* wait until it is a zombie, without reaping it */
	for (int i = 0; i < 200; i++) {
		siginfo_t si = { 0 };

		if (!waitid(P_PID, p, &si, WEXITED | WNOWAIT | WNOHANG) && si.si_pid == p)
			break;
		usleep(10000);
	}
	return p;
}

static bool is_kthreadd(pid_t pid)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	return !sysfs_read_str(path, buf, sizeof(buf)) && !strncmp(buf, "kthreadd", 8);
}

/* ------------------------------------------------------------- names */
struct name_case {
	const char *what;
	const char *name;	/* NULL: use ptr */
	const char *ptr;
	int err_sys;		/* ksm_open(O_CREAT)/ksm_unlink */
	int err_sysfs;		/* add_partition/remove_partition; 0: not a string */
	const char *known;	/* known kernel bug (FINDINGS.md) */
};

static void name_rows(void)
{
	static char n64[65], n4095[4096], n5000[5001];
	char *two = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *none = mmap(NULL, psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *short_edge, *long_edge;

	memset(n64, 'a', 64);
	memset(n4095, 'b', 4095);
	memset(n5000, 'c', 5000);
	/* names that end at an unmapped page: no NUL before the boundary */
	munmap(two + psz, psz);
	short_edge = two + psz - 10;
	memset(short_edge, 'x', 10);
	long_edge = two + psz - 100;
	memset(long_edge, 'y', 90);

	struct name_case cases[] = {
		{ "empty name", "", NULL, EINVAL, EINVAL },
		{ "64-character name", n64, NULL, ENAMETOOLONG, ENAMETOOLONG },
		{ "4095-character name", n4095, NULL, ENAMETOOLONG, ENAMETOOLONG },
		{ "5000-character name", n5000, NULL, ENAMETOOLONG, ENAMETOOLONG },
		{ "name 'a/b'", "a/b", NULL, EINVAL, EINVAL },
		{ "name '/'", "/", NULL, EINVAL, EINVAL },
		{ "name '.'", ".", NULL, EINVAL, EINVAL },
		{ "name '..'", "..", NULL, EINVAL, EINVAL },
		{ "name 'a b'", "a b", NULL, EINVAL, EINVAL },
		{ "name with a tab", "a\tb", NULL, EINVAL, EINVAL },
		{ "name with an inner newline", "a\nb", NULL, EINVAL, EINVAL },
		{ "non-ASCII name (UTF-8 e-acute)", "caf\xc3\xa9", NULL, EINVAL, EINVAL },
		{ "non-ASCII name (byte 0xff)", "a\xff", NULL, EINVAL, EINVAL },
		{ "non-ASCII name (Latin-1 e-acute 0xe9)", "caf\xe9", NULL, EINVAL, EINVAL },
		{ "non-ASCII name (byte 0x80)", "a\x80", NULL, EINVAL, EINVAL },
		{ "name '*'", "*", NULL, EINVAL, EINVAL },
		{ "NULL name pointer", NULL, NULL, EFAULT, 0 },
		{ "name pointer 1", NULL, (const char *)1, EFAULT, 0 },
		{ "kernel text pointer", NULL, (const char *)0xffffffff81000000UL, EFAULT, 0 },
		{ "kernel direct-map pointer", NULL, (const char *)0xffff888000000000UL, EFAULT, 0 },
		{ "non-canonical pointer", NULL, (const char *)0x8000000000000000UL, EFAULT, 0 },
		{ "PROT_NONE name pointer", NULL, none, EFAULT, 0 },
		{ "10 chars, no NUL before an unmapped page", NULL, short_edge, EFAULT, 0 },
		{ "90 chars, no NUL before an unmapped page", NULL, long_edge, ENAMETOOLONG, 0 },
	};
	char what[160];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct name_case *c = &cases[i];
		const char *p = c->name ? c->name : c->ptr;
		long ret;

		known_bug = c->known;

		snprintf(what, sizeof(what), "ksm_open(O_CREAT) %s", c->what);
		ret = sys_open(p, O_CREAT | O_RDWR, 0600);
		if (ret >= 0)
			close(ret);
		row_err(what, ret, c->err_sys, false);
		snprintf(what, sizeof(what), "ksm_open(no O_CREAT) %s", c->what);
		ret = sys_open(p, O_RDWR, 0);
		if (ret >= 0)
			close(ret);
		row_err(what, ret, c->err_sys, false);
		snprintf(what, sizeof(what), "ksm_unlink %s", c->what);
		row_err(what, sys_unlink(p), c->err_sys, false);
		if (!c->err_sysfs)
			continue;
		/* sysfs: a 0-byte write never reaches the kernel; "\n" is empty */
		const char *s = c->name[0] ? c->name : "\n";

		snprintf(what, sizeof(what), "control/add_partition %s", c->what);
		row_werr(what, wr_str(CTRL_DIR "/add_partition", s), c->err_sysfs,
			 c->err_sysfs == E2BIG || c->err_sysfs == ENAMETOOLONG);
		snprintf(what, sizeof(what), "control/remove_partition %s", c->what);
		row_werr(what, wr_str(CTRL_DIR "/remove_partition", s), c->err_sysfs,
			 c->err_sysfs == E2BIG || c->err_sysfs == ENAMETOOLONG);
		if (c->known && part_exists(c->name)) {
			sys_unlink(c->name);
			tap_result(false, "partition '%s' was created: removed", what);
		}
	}
	known_bug = NULL;
	munmap(two, psz);
	munmap(none, psz);

	/* sysfs names with embedded NULs / extra fields (doc: one NAME) */
	row_werr("control/add_partition 'hb_x\\0junk' (embedded NUL)",
		 wr_file(CTRL_DIR "/add_partition", "hb_x\0junk", 9), EINVAL, true);
	row_werr("control/add_partition 'hb_x hb_y' (two names)",
		 wr_str(CTRL_DIR "/add_partition", "hb_x hb_y"), EINVAL, false);
	row_werr("control/add_partition 'hb_x\\n\\n' (two newlines)",
		 wr_str(CTRL_DIR "/add_partition", "hb_x\n\n"), EINVAL, false);
	row_werr("control/add_partition of an existing name",
		 wr_str(CTRL_DIR "/add_partition", PART), EEXIST, false);
	row_werr("control/remove_partition of an unknown name",
		 wr_str(CTRL_DIR "/remove_partition", "hb_missing"), ENOENT, false);
	row_err("ksm_unlink of an unknown name", sys_unlink("hb_missing"), ENOENT, false);
	row_err("ksm_open(no O_CREAT) of an unknown name", sys_open("hb_missing", O_RDWR, 0), ENOENT, false);
}

/* ------------------------------------------------------------- flags */
static void flag_rows(void)
{
	static const struct {
		const char *what;
		long flags;
	} bad[] = {
		{ "O_TRUNC", O_TRUNC }, { "O_APPEND", O_APPEND }, { "O_NONBLOCK", O_NONBLOCK },
		{ "O_DIRECTORY", O_DIRECTORY }, { "O_NOFOLLOW", O_NOFOLLOW }, { "O_PATH", O_PATH },
		{ "O_TMPFILE", O_TMPFILE }, { "O_DSYNC", O_DSYNC }, { "O_NOCTTY", O_NOCTTY },
		{ "O_DIRECT", O_DIRECT }, { "O_NOATIME", O_NOATIME }, { "O_ASYNC", O_ASYNC },
		{ "bit 30", 1L << 30 }, { "bit 31 (negative int)", (long)(int)0x80000000 },
		{ "flags -1", -1 },
	};
	static const struct {
		const char *what;
		long mode;
	} badmode[] = {
		{ "01000", 01000 }, { "02000", 02000 }, { "04000", 04000 }, { "07777", 07777 },
		{ "0x10000", 0x10000 }, { "-1", -1 }, { "1<<40", 1L << 40 },
	};
	char what[160];
	long ret;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(what, sizeof(what), "ksm_open(O_CREAT|%s) of a new name", bad[i].what);
		ret = sys_open("hb_flags", O_CREAT | O_RDWR | bad[i].flags, 0600);
		if (ret >= 0) {
			close(ret);
			sys_unlink("hb_flags");
		}
		row_err(what, ret, EINVAL, false);
		snprintf(what, sizeof(what), "ksm_open(%s) of an existing name", bad[i].what);
		ret = sys_open(PART, O_RDWR | bad[i].flags, 0);
		if (ret >= 0)
			close(ret);
		row_err(what, ret, EINVAL, false);
	}
	/* access mode 3 (O_ACCMODE) is accepted, like open(2) */
	ret = sys_open(PART, O_RDWR | 3, 0);
	if (ret >= 0)
		close(ret);
	row_err("ksm_open(access mode 3) of an existing name", ret, 0, true);
	for (size_t i = 0; i < sizeof(badmode) / sizeof(badmode[0]); i++) {
		snprintf(what, sizeof(what), "ksm_open(O_CREAT) mode %s", badmode[i].what);
		/* F2 (fixed): bits above 16 were cut by a umode_t before the check */
		ret = sys_open("hb_mode", O_CREAT | O_RDWR, badmode[i].mode);
		if (ret >= 0) {
			close(ret);
			sys_unlink("hb_mode");
		}
		row_err(what, ret, EINVAL, false);
	}
	known_bug = NULL;
	row_err("ksm_open(O_CREAT|O_EXCL) of an existing name",
		sys_open(PART, O_CREAT | O_EXCL | O_RDWR, 0600), EEXIST, false);

	/* accepted: mode ignored without O_CREAT; O_EXCL without O_CREAT */
	ret = sys_open(PART, O_RDWR, 07777);
	tap_result(row_val_check("mode 07777 without O_CREAT", ret >= 0 ? 0 : ret, 0) &&
		   nothing_merged() && !kmsg_check(),
		   "ksm_open(existing, no O_CREAT, mode 07777) -> opens (mode ignored)");
	if (ret >= 0)
		close(ret);
	ret = sys_open(PART, O_EXCL | O_RDWR, 0);
	rows_doc_silent++;
	tap_result(row_val_check("O_EXCL without O_CREAT", ret >= 0 ? 0 : ret, 0) &&
		   nothing_merged() && !kmsg_check(),
		   "ksm_open(existing, O_EXCL without O_CREAT) -> opens, like open(2) (doc silent)");
	if (ret >= 0)
		close(ret);
}

/* ------------------------------------------------------ fds and pids */
static void fd_pid_rows(void)
{
	int closed = dup(0), devnull = open("/dev/null", O_RDWR), pip[2] = { -1, -1 };
	int efd = eventfd(0, 0), dirfd = open(PART_DIR "/" PART, O_PATH);
	int mfd = memfd_create("hb", 0), rd = open(PART_DIR "/" PART "/pages_shared", O_RDONLY);
	pid_t z = zombie(), dead = dead_pid();
	int zfd = sys_pidfd_open(z), kfd = sys_pidfd_open(2), deadfd, pidfd_errno = 0;
	char what[160];

	/* a pidfd that outlived its process: opened, then the child reaped */
	{
		pid_t c = fork();

		if (c == 0) {
			pause();
			_exit(0);
		}
		deadfd = sys_pidfd_open(c);
		if (deadfd < 0)
			pidfd_errno = errno;
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
	}
	if (zfd < 0)
		pidfd_errno = errno;
	close(closed);
	if (pipe(pip))
		pip[0] = -1;
	const struct {
		const char *what;
		long fd;
	} fds[] = {
		{ "-1", -1 }, { "closed", closed }, { "1000000", 1000000 }, { "INT_MAX", INT_MAX },
		{ "/dev/null", devnull }, { "a pipe", pip[0] }, { "an eventfd (anon inode)", efd },
		{ "O_PATH of the partition directory", dirfd }, { "a memfd", mfd },
		{ "the partition's pages_shared file", rd }, { "1L<<32 (truncated to 0)", 1L << 32 },
	};
	for (size_t f = 0; f < 2; f++) {
		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
			/* fd 1<<32 is int 0: stdin, not a partition */
			snprintf(what, sizeof(what), "%s fd %s", rfns[f].name, fds[i].what);
			row_err(what, rfns[f].fn(fds[i].fd, 0, (unsigned long)sample, NSAMPLE * psz),
				EBADF, false);
		}
		/* the target is a pidfd: anything else is EBADF, a dead process ESRCH */
		const struct {
			const char *what;
			long pidfd;
			int err;
		} pidfds[] = {
			{ "-1", -1, EBADF }, { "INT_MIN", INT_MIN, EBADF }, { "closed", closed, EBADF },
			{ "/dev/null (not a pidfd)", devnull, EBADF }, { "a pipe", pip[0], EBADF },
			{ "an eventfd (anon inode)", efd, EBADF }, { "the partition fd", pfd, EBADF },
			{ "1L<<32 (truncated to 0: stdin)", 1L << 32, EBADF },
			{ "of a zombie", zfd, ESRCH }, { "of a reaped process", deadfd, ESRCH },
		};
		for (size_t i = 0; i < sizeof(pidfds) / sizeof(pidfds[0]); i++) {
			snprintf(what, sizeof(what), "%s pidfd %s", rfns[f].name, pidfds[i].what);
			if (pidfds[i].err == ESRCH && pidfds[i].pidfd < 0) {
				tap_skip_row("%s (pidfd_open: %s)", what, strerror(pidfd_errno));
				continue;
			}
			row_err(what, (f ? sys_unmerge_pidfd : sys_merge_pidfd)(pfd, pidfds[i].pidfd, 0, 0,
										KSM_MERGE_ALL),
				pidfds[i].err, false);
		}
		snprintf(what, sizeof(what), "%s pidfd of kthreadd (pid 2)", rfns[f].name);
		if (is_kthreadd(2) && kfd >= 0)
			row_err(what, (f ? sys_unmerge_pidfd : sys_merge_pidfd)(pfd, kfd, 0, 0, KSM_MERGE_ALL),
				ESRCH, false);
		else
			tap_skip_row("%s (pid 2 is not kthreadd, or no pidfd)", what);
		/* the pid-based wrapper: pidfd_open's errors */
		snprintf(what, sizeof(what), "%s by pid: nonexistent pid -> pidfd_open ESRCH", rfns[f].name);
		row_err(what, rfns[f].fn(pfd, dead, 0, 0), ESRCH, false);
	}
	if (zfd >= 0)
		close(zfd);
	if (deadfd >= 0)
		close(deadfd);
	if (kfd >= 0)
		close(kfd);
	close(devnull);
	close(pip[0]);
	close(pip[1]);
	close(efd);
	close(dirfd);
	close(mfd);
	close(rd);
	waitpid(z, NULL, 0);
}

/* ------------------------------------------------------------ ranges */
static void range_rows(void)
{
	unsigned long a = (unsigned long)sample, ts = task_size;
	const struct {
		const char *what;
		unsigned long addr, size;
	} bad[] = {
		{ "addr unaligned", a + 1, psz },
		{ "size unaligned", a, psz + 1 },
		{ "size 1 at 0", 0, 1 },
		{ "zero size at a mapped address", a, 0 },
		{ "addr + size overflows", -psz, 2 * psz },
		{ "size ULONG_MAX & PAGE_MASK", a, -psz },
		{ "addr = TASK_SIZE", ts, psz },
		{ "range crossing TASK_SIZE", ts - psz, 2 * psz },
		{ "kernel address", 0xffff888000000000UL, psz },
		{ "non-canonical address", 0x0000800000000000UL << 8, psz },
		{ "size TASK_SIZE + page from 0", 0, ts + psz },
		{ "size 1<<62 from 0", 0, 1UL << 62 },
	};
	char what[160];

	/* flags: 0 or KSM_MERGE_ALL, which takes no range */
	const struct {
		const char *what;
		unsigned long addr, len, flags;
	} badf[] = {
		{ "flags 0 with addr 0 and len 0 (no longer the whole space)", 0, 0, 0 },
		{ "flags 2 (unknown)", a, psz, 2 },
		{ "flags KSM_MERGE_ALL | 2", 0, 0, KSM_MERGE_ALL | 2 },
		{ "flags 1U<<31", a, psz, 1UL << 31 },
		{ "flags ~0U", 0, 0, ~0U },
		{ "KSM_MERGE_ALL with addr", a, 0, KSM_MERGE_ALL },
		{ "KSM_MERGE_ALL with len", 0, psz, KSM_MERGE_ALL },
		{ "KSM_MERGE_ALL with a range", a, psz, KSM_MERGE_ALL },
	};
	int self = sys_pidfd_open(getpid());

	for (size_t f = 0; f < 2; f++) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(what, sizeof(what), "%s %s", rfns[f].name, bad[i].what);
			row_err(what, rfns[f].fn(pfd, 0, bad[i].addr, bad[i].size), EINVAL, false);
		}
		for (size_t i = 0; i < sizeof(badf) / sizeof(badf[0]); i++) {
			snprintf(what, sizeof(what), "%s %s", rfns[f].name, badf[i].what);
			row_err(what, (f ? sys_unmerge_pidfd : sys_merge_pidfd)(pfd, self, badf[i].addr,
										badf[i].len, badf[i].flags),
				EINVAL, false);
		}
	}
	if (self >= 0)
		close(self);
}

/* ------------------------------------------------------ memory kinds */
/*
 * Each kind: NPG identical pages, merged by the caller (pid 0). WANT is
 * the doc's result; merged kinds are unmerged again (the result must be
 * NPG) and the partition must end empty.
 */
#define NPG 8

static void kind_row(const char *what, char *p, size_t npg, long want, bool check_pfn)
{
	long ret = sys_merge(pfd, 0, (unsigned long)p, npg * psz);
	bool ok = row_val_check(what, ret, want);

	if (want > 0) {
		if (check_pfn && !all_same_pfn(p, npg)) {
			printf("# %s: pages do not share one PFN after the merge\n", what);
			ok = false;
		}
		ret = sys_unmerge(pfd, 0, (unsigned long)p, npg * psz);
		ok &= row_val_check("unmerge", ret, want);
	} else if (p && check_pfn && !all_distinct_pfn(p, npg)) {
		printf("# %s: pages were merged\n", what);
		ok = false;
	}
	ok &= nothing_merged();
	ok &= kmsg_check() == 0;
	tap_result(ok, "ksm_merge %s -> %ld", what, want);
}

static char *anon(size_t npg, int flags)
{
	char *p = mmap(NULL, npg * psz, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | flags, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void kind_rows(void)
{
	char *p;
	int mfd;

	/* unmapped */
	p = anon(NPG, MAP_PRIVATE);
	munmap(p, NPG * psz);
	kind_row("of an unmapped range", p, NPG, 0, false);
	/* at address 0 (nothing mapped there) */
	kind_row("of [0, page) (unmapped, valid)", NULL, 1, 0, false);

	/* PROT_NONE: skipped, contents intact */
	p = anon(NPG, MAP_PRIVATE);
	fill(p, NPG, 0x5a);
	mprotect(p, NPG * psz, PROT_NONE);
	kind_row("of PROT_NONE identical pages (anonymous private: merged)", p, NPG, NPG, true);
	mprotect(p, NPG * psz, PROT_READ);
	for (size_t i = 0; i < NPG * psz; i++)
		if (p[i] != 0x5a) {
			tap_result(false, "PROT_NONE pages intact");
			break;
		}
	munmap(p, NPG * psz);

	/* mlocked: anonymous private pages, merged like upstream KSM */
	p = anon(NPG, MAP_PRIVATE);
	fill(p, NPG, 0x6b);
	if (mlock(p, NPG * psz) == 0) {
		kind_row("of mlocked identical pages (merged)", p, NPG, NPG, true);
		munlock(p, NPG * psz);
	} else {
		tap_skip_row("ksm_merge of mlocked pages (mlock: %s)", strerror(errno));
	}
	munmap(p, NPG * psz);

	/* MAP_SHARED anonymous */
	p = anon(NPG, MAP_SHARED);
	fill(p, NPG, 0x7c);
	kind_row("of MAP_SHARED anonymous identical pages", p, NPG, 0, true);
	munmap(p, NPG * psz);

	/* file-backed: a memfd, shared and private (the latter's pages are COW anon) */
	mfd = memfd_create("hb_file", 0);
	if (mfd >= 0 && !ftruncate(mfd, NPG * psz)) {
		p = mmap(NULL, NPG * psz, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		fill(p, NPG, 0x11);
		kind_row("of file-backed MAP_SHARED identical pages", p, NPG, 0, true);
		munmap(p, NPG * psz);
		p = mmap(NULL, NPG * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE, mfd, 0);
		fill(p, NPG, 0x22);
		/* written pages of a private file mapping are anonymous (COW) pages */
		kind_row("of written pages of a MAP_PRIVATE file mapping (anonymous COW copies: merged, doc silent)",
			 p, NPG, NPG, true);
		munmap(p, NPG * psz);
	}
	if (mfd >= 0)
		close(mfd);

	/* hugetlb: reserve two huge pages for the row, restore afterwards */
	{
		char old[32] = "0";
		size_t hsz = 2UL << 20;

		sysfs_read_str("/proc/sys/vm/nr_hugepages", old, sizeof(old));
		wr_str("/proc/sys/vm/nr_hugepages", "2");
		p = mmap(NULL, hsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (p != MAP_FAILED) {
			fill(p, hsz / psz, 0x33);
			kind_row("of hugetlb identical pages", p, hsz / psz, 0, false);
			munmap(p, hsz);
		} else {
			tap_skip_row("ksm_merge of hugetlb pages (no huge page: %s)", strerror(errno));
		}
		wr_str("/proc/sys/vm/nr_hugepages", old);
	}

	/*
	 * THP: split, then every page merged. In a child process, so that
	 * reports at its exit (F3: "Bad rss-counter state") belong to this row.
	 */
	{
		size_t hsz = 2UL << 20;
		long res[3] = { -1, -1, 0 };
		long mps, most;
		int rp[2];
		bool ok;
		pid_t c;

		if (pipe(rp))
			rp[0] = rp[1] = -1;
		fflush(stdout);
		c = fork();
		if (c == 0) {
			char *raw = anon(2 * hsz / psz, MAP_PRIVATE);
			char *h = (char *)(((unsigned long)raw + hsz - 1) & ~(hsz - 1));

			madvise(h, hsz, MADV_HUGEPAGE);
			fill(h, hsz / psz, 0x44);
			res[0] = sys_merge(pfd, 0, (unsigned long)h, hsz);
			res[2] = count_pfns(h, hsz / psz);
			res[1] = sys_unmerge(pfd, 0, (unsigned long)h, hsz);
			munmap(raw, 2 * hsz);
			if (write(rp[1], res, sizeof(res)) != sizeof(res))
				_exit(1);
			_exit(0);
		}
		close(rp[1]);
		if (read(rp[0], res, sizeof(res)) != sizeof(res))
			printf("# THP child died\n");
		close(rp[0]);
		waitpid(c, NULL, 0);
		usleep(500000);	/* the mm may be dropped a little after the exit */
		ok = row_val_check("THP", res[0], hsz / psz);
		/* a KSM page is shared by at most max_page_sharing pages */
		mps = ksm_read_ulong("max_page_sharing");
		most = mps > 0 ? (long)(hsz / psz + mps - 1) / mps : 1;

		if (res[2] < 1 || res[2] > most) {
			printf("# THP: the 512 pages are on %ld PFNs after the merge, want 1..%ld (max_page_sharing %ld)\n",
			       res[2], most, mps);
			ok = false;
		}
		ok &= row_val_check("THP unmerge", res[1], res[0]);
		ok &= nothing_merged();
		ok &= kmsg_check() == 0;
		tap_result(ok, "ksm_merge of a THP of identical pages -> %zu (split, all merged on %ld PFNs), munmap and exit clean",
			   hsz / psz, res[2]);
	}

	/* a range with a hole in the middle: the holes are skipped */
	p = anon(3 * NPG, MAP_PRIVATE);
	fill(p, 3 * NPG, 0x55);
	munmap(p + NPG * psz, NPG * psz);
	{
		long ret = sys_merge(pfd, 0, (unsigned long)p, 3 * NPG * psz);
		bool ok = row_val_check("hole", ret, 2 * NPG);

		ok &= row_val_check("unmerge", sys_unmerge(pfd, 0, (unsigned long)p, 3 * NPG * psz), 2 * NPG);
		ok &= nothing_merged() && kmsg_check() == 0;
		tap_result(ok, "ksm_merge of a range with an unmapped hole -> %d", 2 * NPG);
	}
	munmap(p, 3 * NPG * psz);

	/* whole address space (0, 0) and the huge range [page, TASK_SIZE) */
	{
		long ret = sys_merge(pfd, 0, 0, 0);
		bool ok = row_val_check("whole", ret, -2) && all_same_pfn(sample, NSAMPLE);

		ok &= row_val_check("unmerge whole", sys_unmerge(pfd, 0, 0, 0), ret);
		ok &= nothing_merged() && kmsg_check() == 0;
		tap_result(ok, "ksm_merge(0, 0) = whole address space merges the sample; unmerge(0, 0) undoes it (%ld pages)", ret);
		ret = sys_merge(pfd, 0, psz, task_size - psz);
		ok = row_val_check("huge", ret, -2) && all_same_pfn(sample, NSAMPLE);
		ok &= row_val_check("unmerge huge", sys_unmerge(pfd, 0, psz, task_size - psz), ret);
		ok &= nothing_merged() && kmsg_check() == 0;
		tap_result(ok, "ksm_merge of [page, TASK_SIZE) (huge size) works and unmerges (%ld pages)", ret);
	}
}

/* ------------------------------------------------------------- sysfs */
static void sysfs_rows(void)
{
	static const char *const ro[] = { "pages_shared", "pages_sharing", "pages_unshared",
		"pages_scanned", "merge_calls", "members", "mode", "uid", "gid", NULL };
	static const char *const trig[] = { "trigger_merge", "trigger_unmerge", NULL };
	static const char *const wo[] = { CTRL_DIR "/add_partition", CTRL_DIR "/remove_partition",
		PART_DIR "/" PART "/trigger_merge", PART_DIR "/" PART "/trigger_unmerge", NULL };
	unsigned long a = (unsigned long)sample, e = a + NSAMPLE * psz;
	pid_t me = getpid(), z = zombie(), dead = dead_pid();
	char path[PATH_MAX], what[200], buf[5000];
	size_t len;

	for (const char *const *f = ro; *f; f++) {
		snprintf(path, sizeof(path), PART_DIR "/" PART "/%s", *f);
		snprintf(what, sizeof(what), "write '0' to read-only partition/NAME/%s", *f);
		row_werr(what, wr_str(path, "0"), EACCES, false);
	}
	for (const char *const *f = wo; *f; f++) {
		int fd = open(*f, O_RDONLY);

		snprintf(what, sizeof(what), "open for reading write-only %s", strstr(*f, "ksm/") + 4);
		row_err(what, fd, EACCES, true);
		if (fd >= 0)
			close(fd);
	}

	struct {
		const char *what;
		char val[160];
		int err;
		bool silent;
	} rows[64];
	int n = 0;
#define ROW(w, err_, silent_, ...) do {						\
	rows[n].what = w; rows[n].err = err_; rows[n].silent = silent_;		\
	snprintf(rows[n].val, sizeof(rows[n].val), __VA_ARGS__); n++;		\
} while (0)
	ROW("empty ('\\n')", EINVAL, false, "\n");
	ROW("garbage 'zz'", EINVAL, false, "zz");
	ROW("pid -1", EINVAL, false, "-1");
	ROW("pid '+PID' (accepted)", 0, true, "+%d", me);
	ROW("hex pid 0x%x", EINVAL, true, "0x%x", me);
	ROW("pid 99999999999999999999 (overflow)", EINVAL, false, "99999999999999999999");
	ROW("pid 2^32 + own pid (truncation)", EINVAL, false, "%lu", (1UL << 32) + me);
	ROW("pid and START only", EINVAL, false, "%d 0x%lx", me, a);
	ROW("four fields", EINVAL, false, "%d 0x%lx 0x%lx 0x%lx", me, a, e, e);
	ROW("trailing junk", EINVAL, false, "%d 0x%lx 0x%lx junk", me, a, e);
	ROW("START unaligned", EINVAL, false, "%d 0x%lx 0x%lx", me, a + 1, e);
	ROW("END unaligned", EINVAL, false, "%d 0x%lx 0x%lx", me, a, e - 1);
	ROW("START == END", EINVAL, false, "%d 0x%lx 0x%lx", me, a, a);
	ROW("START > END", EINVAL, false, "%d 0x%lx 0x%lx", me, e, a);
	ROW("END past TASK_SIZE", EINVAL, false, "%d 0x%lx 0x%lx", me, a, task_size + psz);
	ROW("END 2^64 - page", EINVAL, false, "%d 0x%lx 0x%lx", me, a, -psz);
	ROW("END 0x1ffffffffffffffff000 (overflow)", EINVAL, false, "%d 0x%lx 0x1ffffffffffffffff000", me, a);
	ROW("negative START", EINVAL, false, "%d -0x%lx 0x%lx", me, psz, e);
	ROW("START 'zz'", EINVAL, false, "%d zz 0x%lx", me, e);
	ROW("kernel addresses", EINVAL, false, "%d 0xffff888000000000 0xffff888000001000", me);
	ROW("two lines", EINVAL, true, "%d\n%d\n", me, me);
	ROW("nonexistent pid", ESRCH, false, "%d", dead);
	ROW("pid 4194305 (> pid_max)", ESRCH, false, "4194305");
	ROW("zombie pid", ESRCH, false, "%d", z);
	if (is_kthreadd(2))
		ROW("kernel thread (pid 2)", ESRCH, false, "2");
	ROW("pid 0 = the writer (accepted)", 0, true, "0");
#undef ROW
	for (const char *const *t = trig; *t; t++) {
		snprintf(path, sizeof(path), PART_DIR "/" PART "/%s", *t);
		for (int i = 0; i < n; i++) {
			snprintf(what, sizeof(what), "%s %s", *t, rows[i].what);
			if (rows[i].err) {
				row_werr(what, wr_str(path, rows[i].val), rows[i].err, rows[i].silent);
				continue;
			}
			long r = wr_str(path, rows[i].val);

			sys_unmerge(pfd, 0, 0, 0);
			row_werr(what, r, 0, rows[i].silent);
		}
		snprintf(what, sizeof(what), "%s 'PID\\0 START END' (embedded NUL: the rest is ignored, accepted)", *t);
		len = snprintf(buf, sizeof(buf), "%d", me);
		len += 1 + snprintf(buf + len + 1, sizeof(buf) - len - 1, " 0x%lx 0x%lx", a, e);
		{
			long r = wr_file(path, buf, len);

			sys_unmerge(pfd, 0, 0, 0);
			row_werr(what, r, 0, true);
		}
		memset(buf, '1', 4096);
		snprintf(what, sizeof(what), "%s 4096 digits", *t);
		row_werr(what, wr_file(path, buf, 4096), EINVAL, true);
		snprintf(what, sizeof(what), "%s 5000 bytes", *t);
		row_werr(what, wr_file(path, buf, 5000), EINVAL, true);
	}
	waitpid(z, NULL, 0);
}

int main(int argc, char **argv)
{
	psz = sysconf(_SC_PAGESIZE);
	tap_header();
	if (!ksm_partitions_supported()) {
		printf("1..0 # SKIP no KSM partitions in this kernel\n");
		return KSFT_SKIP;
	}
	if (geteuid()) {
		printf("1..0 # SKIP needs root\n");
		return KSFT_SKIP;
	}
	task_size = get_task_size();
	sys_unlink(PART);
	pfd = sys_open(PART, O_CREAT | O_EXCL | O_RDWR, 0600);
	if (pfd < 0) {
		printf("# ksm_open(%s): %s\n1..0 # SKIP setup\n", PART, strerror(errno));
		return 1;
	}
	sample = anon(NSAMPLE, MAP_PRIVATE);
	fill(sample, NSAMPLE, 0x99);
	glob_shared0 = ksm_read_ulong("pages_shared");
	glob_sharing0 = ksm_read_ulong("pages_sharing");
	nparts0 = count_partitions();
	kmsg_open();
	printf("# TASK_SIZE 0x%lx, %d partitions, global pages_shared %ld\n",
	       task_size + psz, nparts0, glob_shared0);

	name_rows();
	flag_rows();
	fd_pid_rows();
	range_rows();
	kind_rows();
	sysfs_rows();

	close(pfd);
	sys_unlink(PART);
	printf("# %d rows record behaviour the doc does not state (marked 'doc silent')\n",
	       rows_doc_silent);
	return tap_finish();
}
