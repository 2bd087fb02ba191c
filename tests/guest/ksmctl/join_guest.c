// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Partition membership (prctl PR_SET_KSM_PARTITION through ksm_join() and
 * ksm_leave()) against the patched kernel, as root in the guest: errno cases,
 * the one-partition rule, later mappings eligible, fork and exec keep
 * membership, leaving unmerges. Merging is proven by PFNs from
 * /proc/self/pagemap, membership by /proc/PID/ksm_stat.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ksm.h>

#include "../../host/ksft.h"
#include "../../lib/ksm_test_util.h"

#ifndef PR_GET_MEMORY_MERGE
#define PR_GET_MEMORY_MERGE 68
#endif
#ifndef PR_SET_KSM_PARTITION
#define PR_SET_KSM_PARTITION 0x4b534d50
#endif

#define NPAGES 64

static long psz;

/* Number of distinct PFNs of the n pages at p */
static int distinct_pfns(char *p, int n)
{
	return pid_distinct_pfns(getpid(), p, n);
}

static int expect(long r, int err)
{
	if (r == -1 && errno == err)
		return 1;
	ksft_diag("got %ld errno %d (%s), expected -1 %s", r, errno, strerror(errno), strerrorname_np(err));
	return 0;
}

/* The "ksm_partition" line of /proc/PID/ksm_stat (pid 0: self): name, joined */
static int stat_partition(pid_t pid, char *name, size_t size, int *joined)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), pid ? "/proc/%d/ksm_stat" : "/proc/self/ksm_stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	*name = 0;
	*joined = -1;
	while (fgets(line, sizeof(line), f)) {
		char v[128];

		if (!strncmp(line, "ksm_partition ", 14) && sscanf(line + 14, "%127s", v) == 1)
			snprintf(name, size, "%s", v);
		else if (!strncmp(line, "ksm_partition_joined ", 21) && sscanf(line + 21, "%127s", v) == 1)
			*joined = !strcmp(v, "yes");
	}
	fclose(f);
	return 0;
}

static int in_partition(const char *want, int want_joined)
{
	char name[128];
	int joined;

	if (stat_partition(0, name, sizeof(name), &joined) < 0)
		return 0;
	if (!want)
		return !name[0];
	if (strcmp(name, want) || joined != want_joined) {
		ksft_diag("ksm_stat: partition '%s' joined %d, expected '%s' %d", name, joined, want, want_joined);
		return 0;
	}
	return 1;
}

static char *map_same(int seed)
{
	char *p = mmap(NULL, NPAGES * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	for (int i = 0; i < NPAGES; i++)
		memset(p + i * psz, 'a' + seed, psz);
	return p;
}

/* VM_MERGEABLE ("mg" in VmFlags of /proc/self/smaps) on the area of addr */
static int vma_mergeable(void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	unsigned long a = (unsigned long)addr;
	char line[512];
	int in = 0, mg = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = a >= s && a < e;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8))
			mg = strstr(line, " mg") != NULL;
	}
	fclose(f);
	return mg;
}

/* Run fn in a child; its exit status, or -1 */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int child_checks_fork(void *arg)
{
	char *same = arg;

	/* A member, and its copy-on-write data is its own */
	if (!in_partition("jg-a", 1))
		return 1;
	same[0] = 'z';
	return distinct_pfns(same + psz, NPAGES - 1) == 1 ? 0 : 2;
}

static int child_execs(void *arg)
{
	execl("/bin/sh", "sh", "-c",
	      "grep -qx 'ksm_partition jg-a' /proc/self/ksm_stat && "
	      "grep -qx 'ksm_partition_joined yes' /proc/self/ksm_stat", (char *)NULL);
	return 127;
}

/* In the global domain for good: ksmd keeps it until its next scan */
static int child_global_joins(void *arg)
{
	return ksm_set_merge_any(1) == 0 && expect(ksm_join(*(int *)arg), EBUSY) ? 0 : 1;
}

int main(void)
{
	unsigned int feat = ksm_features();
	struct ksm_partition_info pi;
	int fa, fb, r;
	char *same, *later;

	psz = sysconf(_SC_PAGESIZE);
	if (!(feat & KSM_FEAT_PARTITION_JOIN))
		ksft_exit_skip("kernel without Selective KSM partition membership");
	if (geteuid() != 0)
		ksft_exit_skip("needs root (pagemap PFNs)");
	ksft_plan(20);

	ksft_ok(expect(ksm_join(-1), EBADF) && expect(ksm_join(0), EBADF) &&
		expect(prctl(PR_SET_KSM_PARTITION, 1000000UL, 0, 0, 0), EBADF),
		"ksm_join: negative, non-partition and closed fds EBADF");
	fa = ksm_open("jg-a", KSM_CREAT | KSM_EXCL | KSM_CLOEXEC, 0600);
	fb = ksm_open("jg-b", KSM_CREAT | KSM_EXCL | KSM_CLOEXEC, 0600);
	ksft_ok(fa >= 0 && fb >= 0 && expect(prctl(PR_SET_KSM_PARTITION, (unsigned long)fa, 1, 0, 0), EINVAL),
		"prctl(PR_SET_KSM_PARTITION) with extra arguments EINVAL");
	ksft_ok(in_partition(NULL, 0) && ksm_leave() == 0, "ksm_leave of a non-member: 0, nothing to do");

	same = map_same(0);
	ksft_ok(same && ksm_join(fa) == 0 && in_partition("jg-a", 1) && prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0) == 1 &&
		vma_mergeable(same), "ksm_join: ksm_stat names the partition, joined; merge-any set; areas VM_MERGEABLE");
	ksft_ok(ksm_join(fa) == 0 && in_partition("jg-a", 1), "ksm_join again of the same partition: 0");
	ksft_ok(expect(ksm_join(fb), EBUSY) && in_partition("jg-a", 1), "ksm_join of a second partition: EBUSY");
	ksft_ok(expect(ksm_set_merge_any(1), EBUSY) && expect(ksm_set_merge_any(0), EBUSY),
		"PR_SET_MEMORY_MERGE 1 or 0 on a joined member: EBUSY (global domain never; leave with ksm_leave)");

	later = map_same(1);
	ksft_ok(later && vma_mergeable(later), "an area mapped after the join is VM_MERGEABLE");
	r = ksm_merge(fa, 0, (unsigned long)later, NPAGES * psz);
	ksft_ok(r == NPAGES && distinct_pfns(later, NPAGES) == 1, "it merges in the partition (%d pages, %d PFNs)",
		r, distinct_pfns(later, NPAGES));
	ksft_ok(expect(ksm_merge(fb, 0, (unsigned long)same, NPAGES * psz), EBUSY),
		"ksm_merge of a joined member into another partition: EBUSY");
	ksft_ok(ksm_unmerge_process(fa, 0) >= NPAGES && in_partition(NULL, 0) && distinct_pfns(later, NPAGES) == NPAGES &&
		prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0) == 0,
		"a whole-process ksm_unmerge ends membership: pages private, merge-any cleared");
	ksft_ok(ksm_join(fb) == 0 && in_partition("jg-b", 1), "after leaving, joining another partition works");
	ksft_ok(ksm_leave() == 0 && in_partition(NULL, 0) && ksm_join(fa) == 0 && in_partition("jg-a", 1),
		"ksm_leave, then ksm_join of the first partition again");

	r = ksm_merge(fa, 0, (unsigned long)same, NPAGES * psz);
	ksft_ok(r == NPAGES && in_child(child_checks_fork, same) == 0 && same[0] == 'a' &&
		distinct_pfns(same, NPAGES) == 1,
		"fork: the child is a joined member; its write is its own copy (%d)", r);
	ksft_ok(in_child(child_execs, NULL) == 0, "fork and execve: the new program is a joined member");
	r = ksm_partition_info("jg-a", &pi);
	ksft_ok(r == 0 && pi.members == 1, "children gone: one member left (%llu)",
		r == 0 ? (unsigned long long)pi.members : 0ULL);

	ksft_ok(ksm_leave() == 0 && in_partition(NULL, 0) && distinct_pfns(same, NPAGES) == NPAGES &&
		ksm_partition_info("jg-a", &pi) == 0 && pi.members == 0 && pi.pages_shared == 0 && pi.pages_sharing == 0,
		"ksm_leave: every page private again, partition empty");
	ksft_ok(in_child(child_global_joins, &fa) == 0,
		"a process in the global domain (PR_SET_MEMORY_MERGE) cannot join: EBUSY");
	ksft_ok(ksm_join(fa) == 0 && ksm_unlink("jg-a") == 0 && in_partition("jg-a", 1) && ksm_leave() == 0 &&
		in_partition(NULL, 0), "a removed partition keeps its members until they leave");
	close(fa);
	ksft_ok(ksm_unlink("jg-b") == 0 && ksm_join(fb) == 0 && in_partition("jg-b", 1) && ksm_leave() == 0,
		"an fd of a removed partition still joins (then leave)");
	close(fb);
	ksft_exit();
}
