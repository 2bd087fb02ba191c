/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * ksm.h - libksm: Selective KSM syscalls and the KSM state of the system.
 *
 * Error convention (every function, no exception): a function that can
 * fail returns -1 (or NULL for pointers) and sets errno, exactly like the
 * libc syscall wrappers. A successful call may change errno. The library
 * never prints, never exits and never installs signal handlers.
 *
 * The partition syscalls (ksm_open, ksm_merge, ksm_unmerge, ksm_unlink)
 * have numbers of their own (990-993) that no other kernel uses, and
 * libksm issues them only when /sys/kernel/mm/ksm/partition exists. On
 * any other kernel they fail with ENOSYS without entering the kernel.
 *
 * Thread safety: every function is thread safe; none keeps state except a
 * cache of the feature probe (ksm_features()).
 */
#ifndef KSM_H
#define KSM_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIBKSM_VERSION_MAJOR 1
#define LIBKSM_VERSION_MINOR 2

/* ksm_open() flags: the O_ flags they are equal to. */
#define KSM_CREAT	O_CREAT
#define KSM_EXCL	O_EXCL
#define KSM_CLOEXEC	O_CLOEXEC

/* A partition name is 1..KSM_NAME_MAX characters of [A-Za-z0-9._-], not "." or "..". */
#define KSM_NAME_MAX	63

/* ------------------------------------------------------------ syscalls */

/* Create and/or open partition NAME; returns a file descriptor. */
int ksm_open(const char *name, int flags, mode_t mode);
/* Remove the name of partition NAME. */
int ksm_unlink(const char *name);
/* ksm_merge_pidfd() flag: the whole address space (addr and len 0). */
#ifndef KSM_MERGE_ALL
#define KSM_MERGE_ALL	(1u << 0)	/* = KSM_MERGE_ALL of <linux/ksm.h> */
#endif

/*
 * Merge (unmerge) the anonymous pages of [addr, addr+len) of the process of
 * PIDFD (pidfd_open(2)) in the partition of FD, or its whole address space
 * with flags KSM_MERGE_ALL (addr and len 0). Returns the number of pages
 * sharing (unmerged). Since 1.2.
 */
long ksm_merge_pidfd(int fd, int pidfd, unsigned long addr, size_t len, unsigned int flags);
long ksm_unmerge_pidfd(int fd, int pidfd, unsigned long addr, size_t len, unsigned int flags);
/*
 * The same for process PID (0: the caller), through a pidfd opened for the
 * call: PID may be reused before that, prefer the pidfd calls.
 * addr == 0 && size == 0: the whole address space.
 */
long ksm_merge(int fd, pid_t pid, unsigned long addr, size_t size);
long ksm_unmerge(int fd, pid_t pid, unsigned long addr, size_t size);
/* The whole address space of PID: ksm_merge(fd, pid, 0, 0). */
long ksm_merge_process(int fd, pid_t pid);
long ksm_unmerge_process(int fd, pid_t pid);

/* ------------------------------------------------------------ features */

#define KSM_FEAT_KSM		(1u << 0) /* CONFIG_KSM: /sys/kernel/mm/ksm/run exists */
#define KSM_FEAT_MEMORY_MERGE	(1u << 1) /* prctl(PR_SET_MEMORY_MERGE) (Linux 6.4+) */
#define KSM_FEAT_KSM_STAT	(1u << 2) /* /proc/PID/ksm_stat (Linux 6.1+) */
#define KSM_FEAT_PARTITION_SYSFS (1u << 3) /* Selective KSM sysfs: partition/ and control/ */
#define KSM_FEAT_PARTITION_SYSCALLS (1u << 4) /* ksm_open, ksm_merge, ksm_unmerge, ksm_unlink */
#define KSM_FEAT_PARTITION_JOIN	(1u << 5) /* prctl(PR_SET_KSM_PARTITION): ksm_join() */

/*
 * What the running kernel supports, as a mask of KSM_FEAT_*. Never fails;
 * the probes have no side effect (the syscall probe is ksm_unlink("") that
 * any Selective KSM kernel rejects with EINVAL, issued only when the sysfs
 * interface exists). The result is cached for the life of the process.
 */
unsigned int ksm_features(void);

/* 0 if NAME is a valid partition name, else -1 with errno EINVAL or ENAMETOOLONG. */
int ksm_name_valid(const char *name);

/* ------------------------------------------------------------ partitions (sysfs) */

struct ksm_partition_info {
	char name[KSM_NAME_MAX + 1];
	uint64_t pages_shared;	 /* KSM pages of the partition */
	uint64_t pages_sharing;	 /* extra mappings sharing them */
	uint64_t pages_unshared; /* pages tracked in the unstable tree */
	uint64_t pages_scanned;	 /* pages examined by merges, cumulative */
	uint64_t merge_calls;	 /* merge calls completed */
	uint64_t members;	 /* processes currently in the partition */
	mode_t mode;		 /* permission bits */
	uid_t uid;
	gid_t gid;
	/* Background scanning of joined members (libksm 1.1; all 0 on kernels without it) */
	uint64_t full_scans;	 /* passes completed over the joined members */
	uint32_t run;		 /* 1: scanning, 0: synchronous merging only */
	uint32_t pages_to_scan;	 /* pages per run of the scan (0: no background scanning) */
	uint32_t sleep_millisecs; /* pause between runs */
	/*
	 * The global knobs max_page_sharing and merge_across_nodes when the
	 * partition was created, which its trees keep using: 0 and 0 on
	 * kernels that do not show them; merge_across_nodes is 1 on kernels
	 * without NUMA.
	 */
	uint32_t max_page_sharing;
	uint32_t merge_across_nodes;
	uint32_t reserved32;	 /* zero */
	uint64_t reserved[4];	 /* zero; room for later counters */
};

/* Read the counters of partition NAME (ENOENT: no such partition; ENOSYS: no Selective KSM). */
int ksm_partition_info(const char *name, struct ksm_partition_info *info);
/*
 * List the partitions: *names is set to a NULL-terminated array of names,
 * sorted, to be freed with ksm_names_free(). Returns the number of names.
 */
int ksm_partition_list(char ***names);
void ksm_names_free(char **names);
/* Create / remove a partition through sysfs (root; owner root, mode 0600). */
int ksm_partition_add(const char *name);
int ksm_partition_remove(const char *name);
/*
 * Merge (unmerge != 0: unmerge) through sysfs trigger_merge/trigger_unmerge.
 * start == 0 && end == 0: the whole process. Returns 0 (sysfs gives no count).
 */
int ksm_partition_trigger(const char *name, pid_t pid, unsigned long start,
			  unsigned long end, int unmerge);

/* ------------------------------------------------------------ global KSM (ksmd) */

#define KSM_ABSENT (-1LL) /* value of a field the running kernel does not have */

struct ksm_global_state {
	/* settings */
	long long run;			/* 0 stop, 1 run, 2 unmerge all */
	long long pages_to_scan;
	long long sleep_millisecs;
	long long max_page_sharing;
	long long merge_across_nodes;
	long long use_zero_pages;
	long long smart_scan;
	/* counters */
	long long pages_shared;
	long long pages_sharing;
	long long pages_unshared;
	long long pages_volatile;
	long long pages_scanned;
	long long pages_skipped;
	long long full_scans;
	long long stable_node_chains;
	long long stable_node_dups;
	long long ksm_zero_pages;
	long long general_profit;	/* may be negative: LLONG_MIN when absent */
	long long reserved[8];
};

/*
 * Read /sys/kernel/mm/ksm. Fields the kernel lacks are KSM_ABSENT
 * (general_profit: LLONG_MIN). ENOENT: no KSM in this kernel.
 */
int ksm_global_read(struct ksm_global_state *st);

/*
 * Read or write one file of /sys/kernel/mm/ksm by its relative path
 * ("run", "advisor_mode", "partition/NAME/members"). ksm_sysfs_get copies
 * the content without the trailing newline into buf (NUL terminated;
 * ERANGE if it does not fit) and returns its length. Paths with ".."
 * components or a leading "/" are EINVAL.
 */
int ksm_sysfs_get(const char *attr, char *buf, size_t size);
int ksm_sysfs_set(const char *attr, const char *value);
/* The same for a number. */
int ksm_sysfs_get_ull(const char *attr, unsigned long long *value);
int ksm_sysfs_set_ull(const char *attr, unsigned long long value);

/* ------------------------------------------------------------ processes */

struct ksm_proc_stat {
	long long rmap_items;		/* ksm_rmap_items */
	long long zero_pages;		/* ksm_zero_pages */
	long long merging_pages;	/* ksm_merging_pages */
	long long process_profit;	/* ksm_process_profit */
	int merge_any;			/* ksm_merge_any: 1 yes, 0 no, -1 absent */
	int mergeable;			/* ksm_mergeable: 1 yes, 0 no, -1 absent */
	long long reserved[6];
};

/*
 * Read /proc/PID/ksm_stat (PID 0: the caller). Absent fields are
 * KSM_ABSENT (-1). ESRCH: no such process; ENOTSUP: no ksm_stat in /proc.
 */
int ksm_proc_stat(pid_t pid, struct ksm_proc_stat *st);

/* prctl(PR_SET_MEMORY_MERGE, enable) on the caller; EINVAL: not supported. */
int ksm_set_merge_any(int enable);
/* prctl(PR_GET_MEMORY_MERGE): 1 or 0, or -1 with errno. */
int ksm_get_merge_any(void);

/*
 * prctl(PR_SET_KSM_PARTITION, fd): the caller joins the partition of FD (from
 * ksm_open()) for its whole address space, kept across fork and execve; its
 * pages merge in that partition only. EBUSY: it is in another partition or
 * in the global domain; EINVAL: the kernel has no partition membership.
 */
int ksm_join(int fd);
/* prctl(PR_SET_KSM_PARTITION, -1): leave the partition, unmerging its pages. */
int ksm_leave(void);

/* The library version "MAJOR.MINOR.PATCH". */
const char *ksm_version(void);

#ifdef __cplusplus
}
#endif
#endif /* KSM_H */
