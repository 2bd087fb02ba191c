// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libksm against the patched kernel (run as root in the guest): every call
 * on real partitions with its errno cases from doc/interface.md. Merging is
 * proven by /proc/self/ksm_stat and by PFNs from /proc/self/pagemap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ksm.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#include "../../host/ksft.h"
#include "../../lib/ksm_test_util.h"

static long psz;

static uint64_t pfn_of(void *addr)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t e = 0;

	if (fd < 0 || pread(fd, &e, 8, (uintptr_t)addr / psz * 8) != 8)
		e = 0;
	if (fd >= 0)
		close(fd);
	return (e >> 63) ? (e & ((1ULL << 55) - 1)) : 0;
}

/* distinct PFNs of n pages at p; the first page that maps another PFN than page 0 is reported */
static int distinct_pfns(char *p, int n)
{
	for (int i = 1; i < n; i++)
		if (pfn_of(p + i * psz) != pfn_of(p)) {
			if (n > 1 && pfn_of(p + psz) == pfn_of(p))
				ksft_diag("page %d of %d maps PFN 0x%llx, page 0 0x%llx", i, n,
					  (unsigned long long)pfn_of(p + i * psz), (unsigned long long)pfn_of(p));
			break;
		}
	return pid_distinct_pfns(getpid(), p, n);
}

static char *map_pages(int n, int fill)
{
	char *p = mmap(NULL, n * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(KSFT_FAIL);
	}
	madvise(p, n * psz, MADV_NOHUGEPAGE);
	/*
	 * Not inherited by the helper children: a merge of a child would have
	 * to copy every COW-shared page first (kernel patch 0005; the
	 * kselftest's "fork cow" tests cover that case).
	 */
	madvise(p, n * psz, MADV_DONTFORK);
	for (int i = 0; i < n; i++) {
		memset(p + i * psz, fill >= 0 ? fill : (i & 0xff), psz);
		if (fill < 0)
			memcpy(p + i * psz, &i, sizeof(i));
	}
	return p;
}

static long long merging_pages(pid_t pid)
{
	struct ksm_proc_stat st;

	return ksm_proc_stat(pid, &st) < 0 ? -1 : st.merging_pages;
}

/* a child that maps N identical pages and waits; returns its pid */
static pid_t spawn_holder(int n, int fill, int merge_any)
{
	int pfd[2];
	pid_t p;
	char c;

	if (pipe(pfd) < 0)
		exit(KSFT_FAIL);
	p = fork();
	if (p == 0) {
		if (merge_any && ksm_set_merge_any(1) < 0)
			_exit(3);
		map_pages(n, fill);
		if (write(pfd[1], "r", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1)
		exit(KSFT_FAIL);
	close(pfd[0]);
	return p;
}

static void kill_wait(pid_t p)
{
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
}

/* run fn in a child as uid/gid 65534 without capabilities; returns its exit status */
static int as_nobody(int (*fn)(void *), void *arg)
{
	pid_t p = fork();
	int st;

	if (p == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(100);
		_exit(fn(arg));
	}
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 200;
}

static int try_open_errno(void *name)
{
	errno = 0;
	return ksm_open(name, O_RDWR, 0) < 0 ? errno : 0;
}

static int try_unlink_errno(void *name)
{
	errno = 0;
	return ksm_unlink(name) < 0 ? errno : 0;
}

static int try_merge_init_errno(void *name)
{
	int fd = ksm_open(name, KSM_CREAT, 0600);	/* its own partition */

	if (fd < 0)
		return 250;
	errno = 0;
	return ksm_merge(fd, 1, 0, 0) < 0 ? errno : 0;
}

static int expect(long r, int err)
{
	int ok = r == -1 && errno == err;

	if (!ok)
		ksft_diag("got %ld errno %d (%s), expected -1 %s", r, errno, strerror(errno), strerrorname_np(err));
	return ok;
}

int main(void)
{
	unsigned int feat = ksm_features();
	struct ksm_partition_info pi;
	char name64[65], link[128], path[64], **names;
	int fd, fd2, n;
	long r;
	char *same, *uniq;

	psz = sysconf(_SC_PAGESIZE);
	if (!(feat & KSM_FEAT_PARTITION_SYSFS) || !(feat & KSM_FEAT_PARTITION_SYSCALLS))
		ksft_exit_skip("kernel without Selective KSM");
	if (geteuid() != 0)
		ksft_exit_skip("needs root");
	umask(022);
	ksft_plan(40);

	/* ksm_open argument checks */
	memset(name64, 'n', 64);
	name64[64] = 0;
	errno = 0;
	ksft_ok(expect(ksm_open("", KSM_CREAT, 0600), EINVAL) && expect(ksm_open("a/b", KSM_CREAT, 0600), EINVAL) &&
		expect(ksm_open("..", KSM_CREAT, 0600), EINVAL), "ksm_open: bad names EINVAL");
	ksft_ok(expect(ksm_open(name64, KSM_CREAT, 0600), ENAMETOOLONG), "ksm_open: 64-character name ENAMETOOLONG");
	ksft_ok(expect(ksm_open(NULL, KSM_CREAT, 0600), EFAULT) && expect(ksm_open((char *)8, KSM_CREAT, 0600), EFAULT),
		"ksm_open: bad name pointer EFAULT");
	ksft_ok(expect(ksm_open("lg-a", KSM_CREAT | O_TRUNC, 0600), EINVAL) &&
		expect(ksm_open("lg-a", KSM_CREAT | O_NONBLOCK, 0600), EINVAL), "ksm_open: flags other than CREAT/EXCL/CLOEXEC/access EINVAL");
	ksft_ok(expect(ksm_open("lg-a", KSM_CREAT, 01600), EINVAL) && expect(ksm_open("lg-a", KSM_CREAT, 04600), EINVAL),
		"ksm_open: mode beyond 0777 EINVAL");
	ksft_ok(expect(ksm_open("lg-none", O_RDWR, 0), ENOENT), "ksm_open without KSM_CREAT of an unknown name: ENOENT");

	fd = ksm_open("lg-a", KSM_CREAT | KSM_EXCL | KSM_CLOEXEC, 0666);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	ksft_ok(fd >= 0 && strstr(link, "ksm_partition") && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
		"ksm_open(KSM_CREAT|KSM_EXCL|KSM_CLOEXEC): fd %d is '%s', close-on-exec", fd, link);
	n = ksm_partition_info("lg-a", &pi);
	ksft_ok(n == 0 && pi.mode == 0644 && pi.uid == 0 && pi.gid == 0 && pi.members == 0,
		"new partition: mode 0666 & ~umask 022 = %04o, owner 0:0, no members", (unsigned)pi.mode);
	ksft_ok(expect(ksm_open("lg-a", KSM_CREAT | KSM_EXCL, 0600), EEXIST), "KSM_CREAT|KSM_EXCL of an existing partition: EEXIST");
	fd2 = ksm_open("lg-a", KSM_CREAT | O_RDONLY, 0600);
	ksft_ok(fd2 >= 0 && fd2 != fd, "KSM_CREAT of an existing partition opens it");

	/* merging */
	same = map_pages(64, 0x5a);
	uniq = map_pages(16, -1);
	r = ksm_merge(fd, 0, (unsigned long)same, 64 * psz);
	ksft_ok(r == 64 && merging_pages(0) >= 64 && distinct_pfns(same, 64) == 1,
		"ksm_merge(self, range of 64 identical pages) = %ld; ksm_merging_pages %lld; one PFN", r, merging_pages(0));
	n = ksm_partition_info("lg-a", &pi);
	ksft_ok(n == 0 && pi.members == 1 && pi.pages_shared == 1 && pi.pages_sharing == 63 &&
		pi.merge_calls == 1 && pi.pages_scanned >= 64,
		"partition counters: members %llu shared %llu sharing %llu calls %llu scanned %llu",
		(unsigned long long)pi.members, (unsigned long long)pi.pages_shared, (unsigned long long)pi.pages_sharing,
		(unsigned long long)pi.merge_calls, (unsigned long long)pi.pages_scanned);
	r = ksm_merge(fd2, 0, (unsigned long)uniq, 16 * psz);
	ksft_ok(r == 0 && distinct_pfns(uniq, 16) == 16, "distinct pages: ksm_merge returns 0 (%ld), PFNs stay distinct", r);
	r = ksm_unmerge(fd, 0, (unsigned long)same, 64 * psz);
	ksft_ok(r == 64 && distinct_pfns(same, 64) == 64 && merging_pages(0) == 0,
		"ksm_unmerge of the range = %ld: 64 PFNs again, ksm_merging_pages 0", r);
	same[0] = 1;	/* the copies are private again: writes stay private */
	ksft_ok(same[psz] == 0x5a, "after unmerge a write changes one page only");
	same[0] = 0x5a;
	r = ksm_merge_process(fd, 0);
	ksft_ok(r >= 64 && distinct_pfns(same, 64) == 1, "ksm_merge_process(self) = %ld", r);
	r = ksm_unmerge_process(fd, 0);
	n = ksm_partition_info("lg-a", &pi);
	ksft_ok(r >= 64 && n == 0 && pi.members == 0,
		"ksm_unmerge_process(self) = %ld and the process left (members %llu)", r, (unsigned long long)pi.members);

	/* merge errno cases */
	{
		int devnull = open("/dev/null", O_RDWR);
		pid_t dead = fork();

		if (dead == 0)
			_exit(0);
		waitpid(dead, NULL, 0);
		ksft_ok(expect(ksm_merge(-1, 0, 0, 0), EBADF) && expect(ksm_merge(devnull, 0, 0, 0), EBADF) &&
			expect(ksm_unmerge(devnull, 0, 0, 0), EBADF), "fd not open / not a partition: EBADF");
		ksft_ok(expect(ksm_merge(fd, -1, 0, 0), EINVAL), "pid < 0: EINVAL");
		ksft_ok(expect(ksm_merge(fd, 0, (unsigned long)same + 1, psz), EINVAL) &&
			expect(ksm_merge(fd, 0, (unsigned long)same, psz + 1), EINVAL) &&
			expect(ksm_merge(fd, 0, (unsigned long)same, 0), EINVAL) &&
			expect(ksm_merge(fd, 0, -4096UL, 8192), EINVAL) &&
			expect(ksm_merge(fd, 0, 0x800000000000UL, 4096), EINVAL),
			"unaligned, empty, overflowing, past TASK_SIZE ranges: EINVAL");
		ksft_ok(expect(ksm_merge(fd, dead, 0, 0), ESRCH) && expect(ksm_merge(fd, 2, 0, 0), ESRCH),
			"reaped pid, kernel thread (kthreadd): ESRCH");
		close(devnull);
	}

	/* the pidfd calls of LIBKSM_1.2 */
	{
		int self = syscall(SYS_pidfd_open, getpid(), 0), devnull = open("/dev/null", O_RDWR);
		pid_t dead = fork();
		int deadfd;

		if (dead == 0) {
			pause();
			_exit(0);
		}
		deadfd = syscall(SYS_pidfd_open, dead, 0);
		kill(dead, SIGKILL);
		waitpid(dead, NULL, 0);
		r = ksm_merge_pidfd(fd, self, (unsigned long)same, 64 * psz, 0);
		ksft_ok(r == 64 && distinct_pfns(same, 64) == 1 && merging_pages(0) >= 64,
			"ksm_merge_pidfd(own pidfd, range of 64 identical pages, 0) = %ld; one PFN", r);
		r = ksm_unmerge_pidfd(fd, self, 0, 0, KSM_MERGE_ALL);
		n = ksm_partition_info("lg-a", &pi);
		ksft_ok(r >= 64 && distinct_pfns(same, 64) == 64 && n == 0 && pi.members == 0,
			"ksm_unmerge_pidfd(KSM_MERGE_ALL) = %ld: 64 PFNs again, the process left (members %llu)",
			r, (unsigned long long)pi.members);
		ksft_ok(expect(ksm_merge_pidfd(fd, self, 0, 0, 0), EINVAL) &&
			expect(ksm_merge_pidfd(fd, self, 0, 0, 2), EINVAL) &&
			expect(ksm_merge_pidfd(fd, self, (unsigned long)same, psz, KSM_MERGE_ALL), EINVAL) &&
			expect(ksm_unmerge_pidfd(fd, self, 0, psz, KSM_MERGE_ALL), EINVAL) &&
			expect(ksm_merge_pidfd(fd, devnull, 0, 0, KSM_MERGE_ALL), EBADF) &&
			expect(ksm_merge_pidfd(fd, -1, 0, 0, KSM_MERGE_ALL), EBADF) &&
			deadfd >= 0 && expect(ksm_merge_pidfd(fd, deadfd, 0, 0, KSM_MERGE_ALL), ESRCH),
			"pidfd calls: 0/0 without KSM_MERGE_ALL, unknown flags, KSM_MERGE_ALL with a range: EINVAL; "
			"non-pidfd: EBADF; pidfd of a reaped process: ESRCH");
		close(self);
		close(devnull);
		if (deadfd >= 0)
			close(deadfd);
	}

	/* EBUSY: the global domain, another partition */
	{
		pid_t g = spawn_holder(8, 0x11, 1);
		pid_t h = spawn_holder(8, 0x22, 0);
		int fb = ksm_open("lg-b", KSM_CREAT, 0600);

		ksft_ok(expect(ksm_merge(fd, g, 0, 0), EBUSY), "process in the global domain (PR_SET_MEMORY_MERGE): EBUSY");
		r = ksm_merge(fb, h, 0, 0);
		ksft_ok(r >= 8 && expect(ksm_merge(fd, h, 0, 0), EBUSY),
			"process merged in lg-b (%ld pages) cannot be merged into lg-a: EBUSY", r);
		ksft_ok(ksm_partition_trigger("lg-b", h, 0, 0, 1) == 0 && merging_pages(h) == 0 &&
			ksm_merge(fd, h, 0, 0) >= 8,
			"after a whole sysfs unmerge it left lg-b and can join lg-a");
		ksm_unmerge(fd, h, 0, 0);
		kill_wait(g);
		kill_wait(h);
		close(fb);
		ksm_unlink("lg-b");
	}

	/* permissions */
	{
		int fp = ksm_open("lg-priv", KSM_CREAT, 0600);
		int fo = ksm_open("lg-open", KSM_CREAT, 0666);	/* umask: 0644 */
		int fw;

		umask(0);
		fw = ksm_open("lg-world", KSM_CREAT, 0666);
		umask(022);
		ksft_ok(fp >= 0 && fo >= 0 && fw >= 0 && as_nobody(try_open_errno, "lg-priv") == EACCES &&
			as_nobody(try_open_errno, "lg-open") == EACCES && as_nobody(try_open_errno, "lg-world") == 0,
			"ksm_open by another user: EACCES unless the mode grants write (0600, 0644 denied; 0666 allowed)");
		ksft_ok(as_nobody(try_unlink_errno, "lg-world") == EPERM, "ksm_unlink by a non-owner: EPERM");
		ksft_ok(as_nobody(try_merge_init_errno, "lg-nobody") == EPERM, "merging a process without ptrace rights (init): EPERM");
		ksm_unlink("lg-priv");
		ksm_unlink("lg-open");
		ksm_unlink("lg-world");
		ksm_unlink("lg-nobody");
		close(fp);
		close(fo);
		close(fw);
	}

	/* sysfs add/remove/trigger, list */
	ksft_ok(ksm_partition_add("lg-s") == 0 && ksm_partition_info("lg-s", &pi) == 0 && pi.mode == 0600 && pi.uid == 0,
		"ksm_partition_add: sysfs partition, mode 0600, root");
	ksft_ok(expect(ksm_partition_add("lg-s"), EEXIST) && expect(ksm_partition_remove("lg-none"), ENOENT) &&
		expect(ksm_partition_add("bad/name"), EINVAL), "sysfs add existing EEXIST, remove unknown ENOENT, bad name EINVAL");
	{
		int tr = ksm_partition_trigger("lg-s", getpid(), (unsigned long)same, (unsigned long)same + 64 * psz, 0);
		int te = errno, d = distinct_pfns(same, 64);

		ksft_ok(tr == 0 && d == 1, "ksm_partition_trigger(range) merges through sysfs (%d %s, %d PFNs)",
			tr, tr ? strerror(te) : "", d);
	}
	ksft_ok(expect(ksm_partition_trigger("lg-s", getpid(), (unsigned long)same + 64 * psz, (unsigned long)same, 0), EINVAL) &&
		expect(ksm_partition_trigger("lg-s", getpid(), (unsigned long)same + 1, (unsigned long)same + psz, 0), EINVAL),
		"sysfs trigger with START >= END or unaligned: EINVAL");
	ksft_ok(ksm_partition_trigger("lg-s", getpid(), 0, 0, 1) == 0 && distinct_pfns(same, 64) == 64,
		"sysfs trigger_unmerge of the whole process");
	n = ksm_partition_list(&names);
	{
		int a = 0, s = 0;

		for (int i = 0; i < n; i++) {
			a |= !strcmp(names[i], "lg-a");
			s |= !strcmp(names[i], "lg-s");
		}
		ksft_ok(n >= 2 && a && s, "ksm_partition_list shows lg-a and lg-s (%d names)", n);
		ksm_names_free(names);
	}
	ksft_ok(ksm_partition_remove("lg-s") == 0 && expect(ksm_partition_info("lg-s", &pi), ENOENT),
		"ksm_partition_remove: gone");

	/* unlink with an open fd; name reuse */
	ksft_ok(ksm_unlink("lg-a") == 0 && expect(ksm_open("lg-a", O_RDWR, 0), ENOENT) && expect(ksm_unlink("lg-a"), ENOENT),
		"ksm_unlink: name gone at once (open ENOENT, unlink again ENOENT)");
	r = ksm_merge(fd, 0, (unsigned long)same, 64 * psz);
	ksft_ok(r == 64 && distinct_pfns(same, 64) == 1, "an fd opened before the unlink still merges (%ld)", r);
	fd2 = ksm_open("lg-a", KSM_CREAT | KSM_EXCL, 0600);
	ksft_ok(fd2 >= 0 && ksm_partition_info("lg-a", &pi) == 0 && pi.members == 0 && pi.pages_shared == 0 &&
		expect(ksm_merge(fd2, 0, (unsigned long)same, 64 * psz), EBUSY),
		"the reused name is a new, empty partition (and this process is still in the old one: EBUSY)");
	ksm_unmerge(fd, 0, 0, 0);
	ksm_unlink("lg-a");
	ksft_exit();
}
