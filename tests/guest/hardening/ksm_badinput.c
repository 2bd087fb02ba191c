// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksm_badinput: every Selective KSM entry point fed bad input, one TAP line
 * per row of the table below: the system calls (ksm_open, ksm_merge,
 * ksm_unmerge, ksm_unlink) and the sysfs files (control/add_partition,
 * control/remove_partition, partition/NAME/trigger_merge and
 * trigger_unmerge, the read-only counters). Each row states the errno that
 * doc/interface.md documents (or, for ranges a merge must skip, that the call
 * succeeds and merges nothing: checked by PFNs and the partition counters).
 * The kernel log is checked after the test by run-tap -k.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "ksft.h"

#define NR_ksm_open	463
#define NR_ksm_merge	464
#define NR_ksm_unmerge	465
#define NR_ksm_unlink	466
#define KSM "/sys/kernel/mm/ksm/"
#define PART "hb_bad"
#define KPTR ((void *)0xffffffff81000000UL)

static long psz;
static int pfd = -1;		/* an open partition */
static pid_t twin = -1;		/* a process with the same pages as ours */

static long sys_open(const char *name, long flags, long mode)
{
	long r = syscall(NR_ksm_open, name, flags, mode);

	if (r >= 0)
		close(r);
	return r < 0 ? -errno : 0;
}

static long sys_merge(long fd, long pid, unsigned long a, unsigned long len)
{
	long r = syscall(NR_ksm_merge, fd, pid, a, len);

	return r < 0 ? -errno : r;
}

static long sys_unmerge(long fd, long pid, unsigned long a, unsigned long len)
{
	long r = syscall(NR_ksm_unmerge, fd, pid, a, len);

	return r < 0 ? -errno : r;
}

static long sys_unlink(const char *name)
{
	long r = syscall(NR_ksm_unlink, name);

	return r < 0 ? -errno : 0;
}

/* write buf (len bytes) to a sysfs file: 0 or -errno (of open or write) */
static long sysfs_write(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY);
	long r;

	if (fd < 0)
		return -errno;
	r = write(fd, buf, len);
	r = r < 0 ? -errno : 0;
	close(fd);
	return r;
}

static long sysfs_puts(const char *path, const char *s)
{
	return sysfs_write(path, s, strlen(s));
}

static long part_get(const char *name, const char *counter)
{
	char path[256], buf[64] = "";
	int fd;

	snprintf(path, sizeof(path), KSM "partition/%s/%s", name, counter);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	close(fd);
	return atol(buf);
}

static uint64_t pfn(pid_t pid, void *a)
{
	char path[64];
	uint64_t e = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid ? pid : getpid());
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)a / psz * 8) != 8)
		e = 0;
	close(fd);
	return e >> 63 ? e & ((1ULL << 55) - 1) : 0;
}

static int expect(long got, long want, const char *what)
{
	if (got == want)
		return ksft_ok(1, "%s -> %s", what, want < 0 ? strerrorname_np(-want) : "ok");
	return ksft_ok(0, "%s -> %s (got %ld%s%s)", what,
		       want < 0 ? strerrorname_np(-want) : "ok", got,
		       got < 0 ? " " : "", got < 0 ? strerrorname_np(-got) : "");
}

/* ------------------------------------------------------------ regions */

/* fill n pages with the same content as the twin process's region */
static void fill(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		memset(p + i * psz, 0x40 + (int)(i % 61), psz);
}

static char *anon(size_t n, int prot, int flags)
{
	char *p = mmap(NULL, n * psz, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	fill(p, n);
	if (prot != (PROT_READ | PROT_WRITE))
		mprotect(p, n * psz, prot);
	return p;
}

/*
 * A region that the merge must skip: merging it (the twin, a member, maps
 * identical pages) returns 0 pages sharing a KSM page, and the partition's
 * counters do not move. (/proc/kpageflags cannot tell: 6.12 reports
 * KPF_KSM for every anonymous page.)
 */
static void skipped(const char *what, char *p, size_t n)
{
	long shared, sharing, r;

	if (!p) {
		ksft_skip("%s: could not map it", what);
		return;
	}
	shared = part_get(PART, "pages_shared");
	sharing = part_get(PART, "pages_sharing");
	r = sys_merge(pfd, 0, (unsigned long)p, n * psz);
	ksft_ok(r == 0 && part_get(PART, "pages_sharing") == sharing &&
		part_get(PART, "pages_shared") == shared,
		"ksm_merge of %s: returns 0 (%ld), partition counters unchanged", what, r);
}

int main(void)
{
	char name64[65], name63[64], buf[256], path[256];
	char *page2, *mapped, *huge, *thp, *filep, *shared, *locked, *none;
	unsigned long task_size = 1UL << 47;
	int fds[2], devnull;
	pid_t zombie;
	char saved_huge[32] = "";

	psz = sysconf(_SC_PAGESIZE);
	if (access(KSM "partition", F_OK)) {
		printf("1..0 # SKIP no Selective KSM in this kernel\n");
		return KSFT_SKIP;
	}
	if (geteuid()) {
		printf("1..0 # SKIP needs root\n");
		return KSFT_SKIP;
	}
	ksft_plan(91);
	memset(name64, 'a', 64);
	name64[64] = 0;
	memset(name63, 'b', 63);
	name63[63] = 0;
	sys_unlink(PART);
	pfd = syscall(NR_ksm_open, PART, O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (pfd < 0) {
		printf("Bail out! ksm_open(%s): %s\n", PART, strerror(errno));
		return KSFT_FAIL;
	}

	/* a name running into an unmapped page, without its NUL */
	page2 = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(page2 + psz, psz);
	memset(page2 + psz - 8, 'c', 8);

	/* ---- ksm_open names */
	expect(sys_open("", O_CREAT, 0600), -EINVAL, "ksm_open(\"\")");
	expect(sys_open(name64, O_CREAT, 0600), -ENAMETOOLONG, "ksm_open(64 characters)");
	expect(sys_open(name63, O_CREAT, 0600), 0, "ksm_open(63 characters, O_CREAT)");
	expect(sys_unlink(name63), 0, "ksm_unlink(63 characters)");
	expect(sys_open("a/b", O_CREAT, 0600), -EINVAL, "ksm_open(\"a/b\")");
	expect(sys_open(".", O_CREAT, 0600), -EINVAL, "ksm_open(\".\")");
	expect(sys_open("..", O_CREAT, 0600), -EINVAL, "ksm_open(\"..\")");
	expect(sys_open("caf\xc3\xa9", O_CREAT, 0600), -EINVAL, "ksm_open(non-ASCII)");
	expect(sys_open("a b", O_CREAT, 0600), -EINVAL, "ksm_open(\"a b\")");
	expect(sys_open("a\n", O_CREAT, 0600), -EINVAL, "ksm_open(\"a\\n\")");
	expect(sys_open(page2 + psz - 8, O_CREAT, 0600), -EFAULT, "ksm_open(name not NUL-terminated before an unmapped page)");
	expect(sys_open(NULL, O_CREAT, 0600), -EFAULT, "ksm_open(NULL)");
	expect(sys_open(KPTR, O_CREAT, 0600), -EFAULT, "ksm_open(kernel pointer)");
	/* ---- ksm_open flags and modes */
	expect(sys_open("hb_flags", 0x80000000L, 0600), -EINVAL, "ksm_open(unknown flag bit)");
	expect(sys_open("hb_flags", O_CREAT | O_TRUNC, 0600), -EINVAL, "ksm_open(O_TRUNC)");
	expect(sys_open("hb_flags", O_CREAT, 01777), -EINVAL, "ksm_open(O_CREAT, mode 01777)");
	expect(sys_open("hb_flags", O_CREAT, -1L), -EINVAL, "ksm_open(O_CREAT, mode -1)");
	expect(sys_open("hb_nonexistent", 0, 0), -ENOENT, "ksm_open(unknown name, no O_CREAT)");
	expect(sys_open(PART, O_CREAT | O_EXCL, 0600), -EEXIST, "ksm_open(existing, O_CREAT|O_EXCL)");
	expect(sys_open(PART, 0, 0), 0, "ksm_open(existing, no flags)");
	/* ---- ksm_unlink */
	expect(sys_unlink(""), -EINVAL, "ksm_unlink(\"\")");
	expect(sys_unlink(name64), -ENAMETOOLONG, "ksm_unlink(64 characters)");
	expect(sys_unlink("a/b"), -EINVAL, "ksm_unlink(\"a/b\")");
	expect(sys_unlink(NULL), -EFAULT, "ksm_unlink(NULL)");
	expect(sys_unlink(KPTR), -EFAULT, "ksm_unlink(kernel pointer)");
	expect(sys_unlink(page2 + psz - 8), -EFAULT, "ksm_unlink(not NUL-terminated)");
	expect(sys_unlink("hb_nonexistent"), -ENOENT, "ksm_unlink(unknown name)");

	/* ---- file descriptors */
	mapped = anon(4, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	pipe(fds);
	devnull = open("/dev/null", O_RDWR);
	expect(sys_merge(-1, 0, 0, 0), -EBADF, "ksm_merge(fd -1)");
	expect(sys_merge(1000, 0, 0, 0), -EBADF, "ksm_merge(fd not open)");
	expect(sys_merge(devnull, 0, 0, 0), -EBADF, "ksm_merge(fd of /dev/null)");
	expect(sys_merge(fds[0], 0, 0, 0), -EBADF, "ksm_merge(fd of a pipe)");
	expect(sys_unmerge(fds[1], 0, 0, 0), -EBADF, "ksm_unmerge(fd of a pipe)");
	{
		int closed = syscall(NR_ksm_open, PART, 0, 0);

		close(closed);
		expect(sys_merge(closed, 0, 0, 0), -EBADF, "ksm_merge(closed partition fd)");
	}

	/* ---- target processes */
	zombie = fork();
	if (!zombie)
		_exit(0);
	usleep(200000);	/* now a zombie: not reaped until the end */
	expect(sys_merge(pfd, -1, 0, 0), -EINVAL, "ksm_merge(pid -1)");
	expect(sys_merge(pfd, -12345, 0, 0), -EINVAL, "ksm_merge(pid -12345)");
	expect(sys_merge(pfd, 0x7ffffff0, 0, 0), -ESRCH, "ksm_merge(nonexistent pid)");
	expect(sys_merge(pfd, 2, 0, 0), -ESRCH, "ksm_merge(pid 2, kthreadd)");
	expect(sys_merge(pfd, zombie, 0, 0), -ESRCH, "ksm_merge(zombie)");
	expect(sys_unmerge(pfd, zombie, 0, 0), -ESRCH, "ksm_unmerge(zombie)");
	expect(sys_unmerge(pfd, 2, 0, 0), -ESRCH, "ksm_unmerge(kthreadd)");

	/* ---- ranges (target: ourselves, pid 0) */
	expect(sys_merge(pfd, 0, (unsigned long)mapped + 1, psz), -EINVAL, "ksm_merge(unaligned start)");
	expect(sys_merge(pfd, 0, (unsigned long)mapped, psz + 1), -EINVAL, "ksm_merge(unaligned size)");
	expect(sys_merge(pfd, 0, (unsigned long)mapped, 0), -EINVAL, "ksm_merge(zero size, non-zero start)");
	expect(sys_merge(pfd, 0, -psz, 2 * psz), -EINVAL, "ksm_merge(range wrapping around)");
	expect(sys_merge(pfd, 0, task_size, psz), -EINVAL, "ksm_merge(range starting at TASK_SIZE)");
	expect(sys_merge(pfd, 0, task_size - psz, 2 * psz), -EINVAL, "ksm_merge(range ending past TASK_SIZE)");
	expect(sys_merge(pfd, 0, 0, -psz), -EINVAL, "ksm_merge(size 2^64 - 4096)");
	expect(sys_unmerge(pfd, 0, (unsigned long)mapped + 8, psz), -EINVAL, "ksm_unmerge(unaligned start)");
	expect(sys_unmerge(pfd, 0, -psz, 2 * psz), -EINVAL, "ksm_unmerge(range wrapping around)");
	expect(sys_unmerge(pfd, 0, task_size, psz), -EINVAL, "ksm_unmerge(range past TASK_SIZE)");
	{
		char *hole = mmap(NULL, 16 * psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		munmap(hole, 16 * psz);
		expect(sys_merge(pfd, 0, (unsigned long)hole, 16 * psz), 0, "ksm_merge(unmapped range) returns 0");
		expect(sys_unmerge(pfd, 0, (unsigned long)hole, 16 * psz), 0, "ksm_unmerge(unmapped range) returns 0");
	}
	{
		long r = sys_merge(pfd, 0, 0, task_size - psz);

		ksft_ok(r >= 0, "ksm_merge(huge range, 128 TiB - 4 KiB) succeeds (%ld)", r);
		r = sys_unmerge(pfd, 0, 0, 0);
		ksft_ok(r >= 0, "ksm_unmerge(whole address space) succeeds (%ld)", r);
	}

	/* areas a merge must skip: the twin has the same pages at the same addresses */
	shared = anon(8, PROT_READ | PROT_WRITE, MAP_SHARED);
	{
		int mfd = memfd_create("hb", 0);

		ftruncate(mfd, 8 * psz);
		filep = mmap(NULL, 8 * psz, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		if (filep != MAP_FAILED)
			fill(filep, 8);
		else
			filep = NULL;
		close(mfd);
	}
	/* two hugetlb pages for the test (ours and the twin's), restored at the end */
	{
		int fd = open("/proc/sys/vm/nr_hugepages", O_RDWR);

		if (fd >= 0) {
			ssize_t n = read(fd, saved_huge, sizeof(saved_huge) - 1);

			saved_huge[n > 0 ? n : 0] = 0;
			pwrite(fd, "4", 1, 0);
			close(fd);
		}
	}
	huge = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (huge == MAP_FAILED) {
		huge = NULL;
	} else {
		for (size_t i = 0; i < (size_t)(2 << 20) / psz; i++)
			memset(huge + i * psz, 0x40 + (int)(i % 61), psz);
	}
	none = anon(8, PROT_NONE, MAP_PRIVATE);
	locked = anon(8, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	if (locked)
		mlock(locked, 8 * psz);
	thp = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (thp != MAP_FAILED) {
		thp = (char *)(((uintptr_t)thp + (2 << 20) - 1) & ~((2UL << 20) - 1));
		madvise(thp, 2 << 20, MADV_HUGEPAGE);
		for (size_t i = 0; i < (size_t)(2 << 20) / psz; i++)
			memset(thp + i * psz, 0x40 + (int)(i % 61), psz);
	} else {
		thp = NULL;
	}

	if (pipe(fds) == 0 && (twin = fork()) == 0) {
		/* the twin: a copy of our regions, made private by writing them */
		char c;

		close(fds[0]);
		fill(mapped, 4);
		if (locked)
			fill(locked, 8);
		if (thp)
			for (size_t i = 0; i < (size_t)(2 << 20) / psz; i++)
				memset(thp + i * psz, 0x40 + (int)(i % 61), psz);
		if (write(fds[1], "r", 1) != 1)
			_exit(1);
		read(fds[1], &c, 1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	{
		char c;

		if (read(fds[0], &c, 1) != 1)
			twin = -1;
	}
	if (twin > 0) {
		/* the twin is a member with its copy of every region */
		sys_merge(pfd, twin, 0, 0);
	}
	skipped("MAP_SHARED anonymous memory", shared, 8);
	skipped("a file mapping (memfd, MAP_SHARED)", filep, 8);
	skipped("hugetlb memory", huge, (2 << 20) / psz);
	/* merged: PROT_NONE, mlocked and THP memory are ordinary anonymous pages */
	{
		long r = none ? sys_merge(pfd, 0, (unsigned long)none, 8 * psz) : -1;

		ksft_ok(r >= 0, "ksm_merge(PROT_NONE area) succeeds (%ld), contents kept after mprotect back: %s",
			r, none && !mprotect(none, 8 * psz, PROT_READ) && none[5 * psz] == 0x45 ? "yes" : "no");
	}
	{
		long r = locked ? sys_merge(pfd, 0, (unsigned long)locked, 8 * psz) : -1;

		ksft_ok(r == 8 && pfn(0, locked) == pfn(twin, locked),
			"ksm_merge(mlocked area) merges it with the twin (%ld of 8)", r);
	}
	{
		long r = thp ? sys_merge(pfd, 0, (unsigned long)thp, 2 << 20) : -1;

		ksft_ok(r == (long)((2 << 20) / psz) && pfn(0, thp + psz) == pfn(twin, thp + psz),
			"ksm_merge(THP area) splits and merges it (%ld of %ld)", r, (2L << 20) / psz);
	}

	/* ---- sysfs control files */
	/* sysfs never passes an empty write to the store method: a no-op */
	expect(sysfs_puts(KSM "control/add_partition", ""), 0, "add_partition \"\" (empty write, ignored by sysfs)");
	expect(sysfs_puts(KSM "control/add_partition", "\n"), -EINVAL, "add_partition \"\\n\"");
	expect(sysfs_puts(KSM "control/add_partition", name64), -ENAMETOOLONG, "add_partition 64 characters");
	expect(sysfs_puts(KSM "control/add_partition", "a/b"), -EINVAL, "add_partition \"a/b\"");
	expect(sysfs_puts(KSM "control/add_partition", "x y"), -EINVAL, "add_partition \"x y\" (extra field)");
	expect(sysfs_puts(KSM "control/add_partition", "caf\xc3\xa9"), -EINVAL, "add_partition non-ASCII");
	expect(sysfs_write(KSM "control/add_partition", "ab\0cd", 5), -EINVAL, "add_partition with a NUL inside");
	expect(sysfs_puts(KSM "control/add_partition", PART), -EEXIST, "add_partition of an existing name");
	memset(buf, 'z', 255);
	buf[255] = 0;
	expect(sysfs_puts(KSM "control/add_partition", buf), -ENAMETOOLONG, "add_partition 255 characters");
	expect(sysfs_puts(KSM "control/remove_partition", "hb_nonexistent"), -ENOENT, "remove_partition unknown");
	expect(sysfs_puts(KSM "control/remove_partition", "a/b"), -EINVAL, "remove_partition \"a/b\"");
	/* ---- trigger files */
	snprintf(path, sizeof(path), KSM "partition/%s/trigger_merge", PART);
	expect(sysfs_puts(path, "garbage"), -EINVAL, "trigger_merge \"garbage\"");
	expect(sysfs_puts(path, ""), 0, "trigger_merge \"\" (empty write, ignored by sysfs)");
	expect(sysfs_puts(path, "-5"), -EINVAL, "trigger_merge \"-5\"");
	expect(sysfs_puts(path, "99999999999999999999"), -EINVAL, "trigger_merge huge pid");
	expect(sysfs_puts(path, "2147483647"), -ESRCH, "trigger_merge nonexistent pid");
	expect(sysfs_puts(path, "2"), -ESRCH, "trigger_merge kthreadd");
	snprintf(buf, sizeof(buf), "%d 0x1000", getpid());
	expect(sysfs_puts(path, buf), -EINVAL, "trigger_merge \"PID START\" (END missing)");
	snprintf(buf, sizeof(buf), "%d 0x1000 0x2000 7", getpid());
	expect(sysfs_puts(path, buf), -EINVAL, "trigger_merge extra field");
	snprintf(buf, sizeof(buf), "%d zz 0x2000", getpid());
	expect(sysfs_puts(path, buf), -EINVAL, "trigger_merge START not hexadecimal");
	snprintf(buf, sizeof(buf), "%d 0x1001 0x2000", getpid());
	expect(sysfs_puts(path, buf), -EINVAL, "trigger_merge unaligned START");
	snprintf(buf, sizeof(buf), "%d 0x2000 0x1000", getpid());
	expect(sysfs_puts(path, buf), -EINVAL, "trigger_merge START > END");
	snprintf(buf, sizeof(buf), "%d 0x2000 0x2000", getpid());
	expect(sysfs_puts(path, buf), -EINVAL, "trigger_merge START == END");
	snprintf(buf, sizeof(buf), "%d 0x1000 0x%lx", getpid(), task_size + psz);
	expect(sysfs_puts(path, buf), -EINVAL, "trigger_merge END past TASK_SIZE");
	snprintf(buf, sizeof(buf), "%d 0x1000 0xffffffffffffffffffff", getpid());
	expect(sysfs_puts(path, buf), -EINVAL, "trigger_merge END overflowing 64 bits");
	snprintf(buf, sizeof(buf), "%d", zombie);
	expect(sysfs_puts(path, buf), -ESRCH, "trigger_merge zombie");
	snprintf(path, sizeof(path), KSM "partition/%s/trigger_unmerge", PART);
	expect(sysfs_puts(path, "garbage"), -EINVAL, "trigger_unmerge \"garbage\"");
	snprintf(buf, sizeof(buf), "%d 0x2000 0x1000", getpid());
	expect(sysfs_puts(path, buf), -EINVAL, "trigger_unmerge START > END");
	/* ---- read-only and write-only files */
	snprintf(path, sizeof(path), KSM "partition/%s/pages_sharing", PART);
	expect(sysfs_puts(path, "0"), -EACCES, "write to the read-only pages_sharing");
	snprintf(path, sizeof(path), KSM "partition/%s/trigger_merge", PART);
	{
		int fd = open(path, O_RDONLY);

		expect(fd < 0 ? -errno : 0, -EACCES, "open(O_RDONLY) of the write-only trigger_merge");
		if (fd >= 0)
			close(fd);
	}

	/* nothing of ours ended up merged by the bad calls above */
	ksft_ok(pfn(0, mapped) != pfn(twin, mapped),
		"bad calls merged nothing (ordinary pages still private)");

	if (twin > 0) {
		kill(twin, SIGKILL);
		waitpid(twin, NULL, 0);
	}
	waitpid(zombie, NULL, 0);
	if (huge)
		munmap(huge, 2 << 20);
	if (saved_huge[0])
		sysfs_puts("/proc/sys/vm/nr_hugepages", saved_huge);
	close(pfd);
	sys_unlink(PART);
	printf("# %d passed, %d failed\n", ksft_passed, ksft_failed);
	return ksft_failed ? KSFT_FAIL : KSFT_PASS;
}
