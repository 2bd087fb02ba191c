// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libksm: thin wrappers for the Selective KSM syscalls and readers for the
 * KSM state in sysfs and procfs. See include/ksm.h and doc/interface.md.
 *
 * Every function returns -1 (NULL) with errno on failure; nothing prints.
 */
#define _GNU_SOURCE
#include "ksm.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KSM_EXPORT __attribute__((visibility("default")))

/* The ABI of struct ksm_partition_info: new fields come out of reserved[] */
_Static_assert(sizeof(struct ksm_partition_info) == 192, "struct ksm_partition_info changed size");

#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#define PR_GET_MEMORY_MERGE 68
#endif
/* Selective KSM partition membership (doc/interface.md): not in the sequence */
#ifndef PR_SET_KSM_PARTITION
#define PR_SET_KSM_PARTITION 0x4b534d50
#endif

/*
 * Numbers of the Selective KSM series (doc/interface.md): 990-993 in every
 * table that follows the unified numbering, far above the syscalls in use
 * so that no released kernel runs another syscall under them; alpha has
 * them at 1100-1103 and MIPS adds its ABI offset (4000, 5000 or 6000).
 */
#ifndef __NR_ksm_open
#if defined(__alpha__)
#define __NR_ksm_open		1100
#define __NR_ksm_merge		1101
#define __NR_ksm_unmerge	1102
#define __NR_ksm_unlink		1103
#elif defined(__mips__)
#define __NR_ksm_open		(__NR_Linux + 990)
#define __NR_ksm_merge		(__NR_Linux + 991)
#define __NR_ksm_unmerge	(__NR_Linux + 992)
#define __NR_ksm_unlink		(__NR_Linux + 993)
#elif defined(__ia64__)
/* no table of this series */
#else
#define __NR_ksm_open		990
#define __NR_ksm_merge		991
#define __NR_ksm_unmerge	992
#define __NR_ksm_unlink		993
#endif
#endif
#ifndef __NR_pidfd_open
#if defined(__alpha__)
#define __NR_pidfd_open		544
#elif defined(__mips__)
#define __NR_pidfd_open		(__NR_Linux + 434)
#else
#define __NR_pidfd_open		434
#endif
#endif

/* The real kernel interface: what decides whether the syscalls may be issued. */
#define KSM_SYSFS_REAL	"/sys/kernel/mm/ksm"
#define KSM_PARTITION_DIR_REAL KSM_SYSFS_REAL "/partition"

/* ------------------------------------------------------------ helpers */

static inline void close_p(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void free_p(void *p)
{
	free(*(void **)p);
}
static inline void closedir_p(DIR **d)
{
	if (*d) {
		int saved = errno;
		closedir(*d);
		errno = saved;
	}
}
#define _cleanup_close_ __attribute__((cleanup(close_p)))
#define _cleanup_free_ __attribute__((cleanup(free_p)))
#define _cleanup_closedir_ __attribute__((cleanup(closedir_p)))

/*
 * Root of the KSM sysfs directory the readers use. LIBKSM_SYSFS (ignored in
 * set-uid programs) points them at a copy for the library's own tests; the
 * syscall gate always looks at the real sysfs.
 */
static const char *sysfs_root(void)
{
	const char *r = secure_getenv("LIBKSM_SYSFS");

	return (r && *r) ? r : KSM_SYSFS_REAL;
}

static int path_ok(const char *rel)
{
	const char *p = rel;

	if (!rel || !*rel || rel[0] == '/')
		return 0;
	/* reject any ".." component */
	while (*p) {
		const char *end = strchrnul(p, '/');

		if (end - p == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p = *end ? end + 1 : end;
	}
	return 1;
}

static int sysfs_path(char *buf, size_t size, const char *rel)
{
	int n = snprintf(buf, size, "%s/%s", sysfs_root(), rel);

	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static ssize_t read_file(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n;

		if (len + 1 >= size) {
			char c;

			/* full: anything more means the buffer is too small */
			n = read(fd, &c, 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -1;
			if (n > 0) {
				errno = ERANGE;
				return -1;
			}
			break;
		}
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	return len;
}

static int write_file(const char *path, const char *value)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);
	ssize_t n;

	if (fd < 0)
		return -1;
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* Parse an unsigned decimal (or base) number with an optional trailing newline. */
static int parse_ull(const char *s, int base, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!isxdigit((unsigned char)*s)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno)
		return -1;
	while (*end == '\n' || *end == ' ' || *end == '\t')
		end++;
	if (end == s || *end) {
		errno = EINVAL;
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_ll(const char *s, long long *out)
{
	char *end;
	long long v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!(isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1])))) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno)
		return -1;
	while (*end == '\n' || *end == ' ' || *end == '\t')
		end++;
	if (*end) {
		errno = EINVAL;
		return -1;
	}
	*out = v;
	return 0;
}

static int sysfs_partitions_exist(void)
{
	char path[PATH_MAX];
	struct stat st;

	if (sysfs_path(path, sizeof(path), "partition") < 0)
		return -1;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		errno = ENOSYS;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ names */

KSM_EXPORT int ksm_name_valid(const char *name)
{
	size_t len;

	if (!name) {
		errno = EINVAL;
		return -1;
	}
	len = strnlen(name, KSM_NAME_MAX + 1);
	if (len > KSM_NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (len == 0 || !strcmp(name, ".") || !strcmp(name, "..")) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = name[i];

		if (!(isascii(c) && (isalnum(c) || c == '.' || c == '_' || c == '-'))) {
			errno = EINVAL;
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ syscalls */

/*
 * 1 if the running kernel has the Selective KSM interface, else 0. Looks
 * at the real sysfs only. A kernel without the series fails its numbers
 * (990-993, see above) with ENOSYS today, but the gate stays: nothing binds
 * kernels to come, and a seccomp filter (a container runtime's default
 * profile) answers an unknown syscall with EPERM rather than ENOSYS.
 */
static int partition_kernel(void)
{
	static int cached = -1;	/* -1 unknown, 0 no, 1 yes */
	int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	struct stat st;

	if (v >= 0)
		return v;
	v = stat(KSM_PARTITION_DIR_REAL, &st) == 0 && S_ISDIR(st.st_mode);
#ifndef __NR_ksm_open
	v = 0;
#endif
	__atomic_store_n(&cached, v, __ATOMIC_RELAXED);
	return v;
}

KSM_EXPORT int ksm_open(const char *name, int flags, mode_t mode)
{
	if (!partition_kernel()) {
		errno = ENOSYS;
		return -1;
	}
#ifdef __NR_ksm_open
	return syscall(__NR_ksm_open, name, flags, mode);
#else
	return -1;
#endif
}

KSM_EXPORT int ksm_unlink(const char *name)
{
	if (!partition_kernel()) {
		errno = ENOSYS;
		return -1;
	}
#ifdef __NR_ksm_unlink
	return syscall(__NR_ksm_unlink, name);
#else
	return -1;
#endif
}

KSM_EXPORT long ksm_merge_pidfd(int fd, int pidfd, unsigned long addr, size_t len,
			       unsigned int flags)
{
	if (!partition_kernel()) {
		errno = ENOSYS;
		return -1;
	}
#ifdef __NR_ksm_merge
	return syscall(__NR_ksm_merge, fd, pidfd, addr, len, flags);
#else
	return -1;
#endif
}

KSM_EXPORT long ksm_unmerge_pidfd(int fd, int pidfd, unsigned long addr, size_t len,
				 unsigned int flags)
{
	if (!partition_kernel()) {
		errno = ENOSYS;
		return -1;
	}
#ifdef __NR_ksm_unmerge
	return syscall(__NR_ksm_unmerge, fd, pidfd, addr, len, flags);
#else
	return -1;
#endif
}

/*
 * The pid-based calls of LIBKSM_1.0 on top of the pidfd ones: a pidfd opened
 * here, used once and closed. The pid can still be reused between the
 * caller's choice of it and pidfd_open() (ksm_merge(3)); the pidfd calls
 * close that window. pid 0 is the caller; addr == 0 && size == 0 the whole
 * address space, as before.
 */
static long merge_pid(int fd, pid_t pid, unsigned long addr, size_t size, int unmerge)
{
	unsigned int flags = 0;
	_cleanup_close_ int pidfd = -1;

	if (!partition_kernel()) {
		errno = ENOSYS;
		return -1;
	}
	if (pid < 0) {
		errno = EINVAL;
		return -1;
	}
	pidfd = syscall(__NR_pidfd_open, pid ? pid : getpid(), 0);
	if (pidfd < 0)
		return -1;	/* ESRCH; EINVAL for a thread that is not a leader */
	if (!addr && !size)
		flags = KSM_MERGE_ALL;
	if (unmerge)
		return ksm_unmerge_pidfd(fd, pidfd, addr, size, flags);
	return ksm_merge_pidfd(fd, pidfd, addr, size, flags);
}

KSM_EXPORT long ksm_merge(int fd, pid_t pid, unsigned long addr, size_t size)
{
	return merge_pid(fd, pid, addr, size, 0);
}

KSM_EXPORT long ksm_unmerge(int fd, pid_t pid, unsigned long addr, size_t size)
{
	return merge_pid(fd, pid, addr, size, 1);
}

KSM_EXPORT long ksm_merge_process(int fd, pid_t pid)
{
	return ksm_merge(fd, pid, 0, 0);
}

KSM_EXPORT long ksm_unmerge_process(int fd, pid_t pid)
{
	return ksm_unmerge(fd, pid, 0, 0);
}

/* ------------------------------------------------------------ features */

KSM_EXPORT unsigned int ksm_features(void)
{
	static unsigned int cached;	/* 0: not probed yet (bit 31 marks "probed") */
	unsigned int f = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	int saved = errno;
	struct stat st;

	if (f)
		return f & ~(1u << 31);
	f = 1u << 31;
	if (stat(KSM_SYSFS_REAL "/run", &st) == 0)
		f |= KSM_FEAT_KSM;
	if (prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0) >= 0)
		f |= KSM_FEAT_MEMORY_MERGE;
	if (stat("/proc/self/ksm_stat", &st) == 0)
		f |= KSM_FEAT_KSM_STAT;
	if (stat(KSM_PARTITION_DIR_REAL, &st) == 0 && S_ISDIR(st.st_mode) &&
	    stat(KSM_SYSFS_REAL "/control/add_partition", &st) == 0)
		f |= KSM_FEAT_PARTITION_SYSFS;
	/* ksm_unlink("") is EINVAL on every Selective KSM kernel and removes nothing */
	if (partition_kernel() && (ksm_unlink("") == 0 || errno != ENOSYS))
		f |= KSM_FEAT_PARTITION_SYSCALLS;
	/* fd INT_MAX is not a partition: EBADF where the prctl exists, else EINVAL */
	if (partition_kernel() && prctl(PR_SET_KSM_PARTITION, (unsigned long)INT_MAX, 0, 0, 0) < 0 &&
	    errno == EBADF)
		f |= KSM_FEAT_PARTITION_JOIN;
	__atomic_store_n(&cached, f, __ATOMIC_RELAXED);
	errno = saved;
	return f & ~(1u << 31);
}

/* ------------------------------------------------------------ sysfs access */

KSM_EXPORT int ksm_sysfs_get(const char *attr, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;

	if (!path_ok(attr) || !buf || size == 0) {
		errno = EINVAL;
		return -1;
	}
	if (sysfs_path(path, sizeof(path), attr) < 0)
		return -1;
	n = read_file(path, buf, size);
	if (n < 0)
		return -1;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return n;
}

KSM_EXPORT int ksm_sysfs_set(const char *attr, const char *value)
{
	char path[PATH_MAX];

	if (!path_ok(attr) || !value) {
		errno = EINVAL;
		return -1;
	}
	if (sysfs_path(path, sizeof(path), attr) < 0)
		return -1;
	return write_file(path, value);
}

KSM_EXPORT int ksm_sysfs_get_ull(const char *attr, unsigned long long *value)
{
	char buf[64];

	if (!value) {
		errno = EINVAL;
		return -1;
	}
	if (ksm_sysfs_get(attr, buf, sizeof(buf)) < 0)
		return -1;
	return parse_ull(buf, 10, value);
}

KSM_EXPORT int ksm_sysfs_set_ull(const char *attr, unsigned long long value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", value);
	return ksm_sysfs_set(attr, buf);
}

/* ------------------------------------------------------------ partitions */

static int partition_attr(const char *name, const char *attr, char *path, size_t size)
{
	int n;

	if (ksm_name_valid(name) < 0)
		return -1;
	n = snprintf(path, size, "partition/%s/%s", name, attr);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* The decimal value of partition NAME's file ATTR */
static int partition_get_ull(const char *name, const char *attr, unsigned long long *v)
{
	char rel[128];

	if (partition_attr(name, attr, rel, sizeof(rel)) < 0)
		return -1;
	return ksm_sysfs_get_ull(rel, v);
}

KSM_EXPORT int ksm_partition_info(const char *name, struct ksm_partition_info *info)
{
	static const struct {
		const char *attr;
		size_t off;
	} counters[] = {
		{ "pages_shared", offsetof(struct ksm_partition_info, pages_shared) },
		{ "pages_sharing", offsetof(struct ksm_partition_info, pages_sharing) },
		{ "pages_unshared", offsetof(struct ksm_partition_info, pages_unshared) },
		{ "pages_scanned", offsetof(struct ksm_partition_info, pages_scanned) },
		{ "merge_calls", offsetof(struct ksm_partition_info, merge_calls) },
		{ "members", offsetof(struct ksm_partition_info, members) },
	};
	char rel[128], buf[64], dir[PATH_MAX];
	unsigned long long v;
	struct stat st;

	if (!info) {
		errno = EINVAL;
		return -1;
	}
	if (ksm_name_valid(name) < 0)
		return -1;
	if (sysfs_partitions_exist() < 0)
		return -1;
	snprintf(rel, sizeof(rel), "partition/%s", name);
	if (sysfs_path(dir, sizeof(dir), rel) < 0)
		return -1;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		errno = ENOENT;
		return -1;
	}
	memset(info, 0, sizeof(*info));
	strcpy(info->name, name);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		if (partition_get_ull(name, counters[i].attr, &v) < 0)
			return -1;
		*(uint64_t *)((char *)info + counters[i].off) = v;
	}
	if (partition_attr(name, "mode", rel, sizeof(rel)) < 0 ||
	    ksm_sysfs_get(rel, buf, sizeof(buf)) < 0 || parse_ull(buf, 8, &v) < 0)
		return -1;
	if (v & ~07777ULL) {
		errno = EINVAL;
		return -1;
	}
	info->mode = v;
	if (partition_get_ull(name, "uid", &v) < 0)
		return -1;
	info->uid = v;
	if (partition_get_ull(name, "gid", &v) < 0)
		return -1;
	info->gid = v;
	/* The knobs of the partition's creation: absent on older kernels */
	if (partition_get_ull(name, "max_page_sharing", &v) == 0) {
		info->max_page_sharing = v > UINT32_MAX ? UINT32_MAX : v;
		/* No merge_across_nodes without CONFIG_NUMA: one pair of trees */
		if (partition_get_ull(name, "merge_across_nodes", &v) == 0)
			info->merge_across_nodes = v != 0;
		else if (errno == ENOENT)
			info->merge_across_nodes = 1;
		else
			return -1;
	} else if (errno != ENOENT) {
		return -1;
	}
	/* Background scanning: absent before partition membership, then all 0 */
	if (partition_get_ull(name, "pages_to_scan", &v) < 0)
		return errno == ENOENT ? 0 : -1;
	info->pages_to_scan = v > UINT32_MAX ? UINT32_MAX : v;
	if (partition_get_ull(name, "sleep_millisecs", &v) < 0)
		return -1;
	info->sleep_millisecs = v > UINT32_MAX ? UINT32_MAX : v;
	if (partition_get_ull(name, "run", &v) < 0)
		return -1;
	info->run = v != 0;
	if (partition_get_ull(name, "full_scans", &v) < 0)
		return -1;
	info->full_scans = v;
	return 0;
}

KSM_EXPORT void ksm_names_free(char **names)
{
	if (!names)
		return;
	for (char **p = names; *p; p++)
		free(*p);
	free(names);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

KSM_EXPORT int ksm_partition_list(char ***names)
{
	char path[PATH_MAX];
	_cleanup_closedir_ DIR *d = NULL;
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!names) {
		errno = EINVAL;
		return -1;
	}
	if (sysfs_partitions_exist() < 0 || sysfs_path(path, sizeof(path), "partition") < 0)
		return -1;
	d = opendir(path);
	if (!d)
		return -1;
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				goto fail;
			break;
		}
		if (ksm_name_valid(de->d_name) < 0)
			continue;	/* ".", ".." and anything that is not a partition */
		if (n + 2 > cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nv = realloc(v, ncap * sizeof(*v));

			if (!nv)
				goto fail;
			v = nv;
			cap = ncap;
		}
		v[n] = strdup(de->d_name);
		if (!v[n])
			goto fail;
		n++;
	}
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			return -1;
	}
	v[n] = NULL;
	qsort(v, n, sizeof(*v), cmp_str);
	*names = v;
	return n;
fail:
	{
		int saved = errno;

		if (v) {
			v[n] = NULL;
			ksm_names_free(v);
		}
		errno = saved;
	}
	return -1;
}

static int control_write(const char *file, const char *name)
{
	char rel[64];

	if (ksm_name_valid(name) < 0)
		return -1;
	if (sysfs_partitions_exist() < 0)
		return -1;
	snprintf(rel, sizeof(rel), "control/%s", file);
	return ksm_sysfs_set(rel, name);
}

KSM_EXPORT int ksm_partition_add(const char *name)
{
	return control_write("add_partition", name);
}

KSM_EXPORT int ksm_partition_remove(const char *name)
{
	return control_write("remove_partition", name);
}

KSM_EXPORT int ksm_partition_trigger(const char *name, pid_t pid, unsigned long start,
				     unsigned long end, int unmerge)
{
	char rel[128], val[96];

	/* thin: the kernel checks pid and range (EINVAL, ESRCH) */
	if (partition_attr(name, unmerge ? "trigger_unmerge" : "trigger_merge", rel, sizeof(rel)) < 0)
		return -1;
	if (sysfs_partitions_exist() < 0)
		return -1;
	if (start == 0 && end == 0)	/* the whole process */
		snprintf(val, sizeof(val), "%d", (int)pid);
	else
		snprintf(val, sizeof(val), "%d 0x%lx 0x%lx", (int)pid, start, end);
	return ksm_sysfs_set(rel, val);
}

/* ------------------------------------------------------------ global state */

KSM_EXPORT int ksm_global_read(struct ksm_global_state *st)
{
	static const struct {
		const char *attr;
		size_t off;
	} fields[] = {
#define F(x) { #x, offsetof(struct ksm_global_state, x) }
		F(run), F(pages_to_scan), F(sleep_millisecs), F(max_page_sharing),
		F(merge_across_nodes), F(use_zero_pages), F(smart_scan),
		F(pages_shared), F(pages_sharing), F(pages_unshared), F(pages_volatile),
		F(pages_scanned), F(pages_skipped), F(full_scans), F(stable_node_chains),
		F(stable_node_dups), F(ksm_zero_pages), F(general_profit),
#undef F
	};
	char buf[64];

	if (!st) {
		errno = EINVAL;
		return -1;
	}
	/* "run" must exist: it tells KSM is there at all */
	if (ksm_sysfs_get("run", buf, sizeof(buf)) < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		long long *p = (long long *)((char *)st + fields[i].off);
		int profit = p == &st->general_profit;

		if (ksm_sysfs_get(fields[i].attr, buf, sizeof(buf)) < 0) {
			if (errno != ENOENT)
				return -1;
			*p = profit ? LLONG_MIN : KSM_ABSENT;
			continue;
		}
		if (parse_ll(buf, p) < 0 || (!profit && *p < 0)) {
			errno = EINVAL;
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ processes */

static int proc_missing_errno(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return stat(path, &st) == 0 ? ENOTSUP : ESRCH;
}

KSM_EXPORT int ksm_proc_stat(pid_t pid, struct ksm_proc_stat *st)
{
	char path[64];
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int fd;

	if (!st || pid < 0) {
		errno = EINVAL;
		return -1;
	}
	if (pid == 0)
		snprintf(path, sizeof(path), "/proc/self/ksm_stat");
	else
		snprintf(path, sizeof(path), "/proc/%d/ksm_stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			errno = pid ? proc_missing_errno(pid) : ENOTSUP;
		return -1;
	}
	f = fdopen(fd, "re");
	if (!f) {
		close_p(&fd);
		return -1;
	}
	st->rmap_items = st->zero_pages = st->merging_pages = st->process_profit = KSM_ABSENT;
	st->merge_any = st->mergeable = -1;
	memset(st->reserved, 0, sizeof(st->reserved));
	while (getline(&line, &cap, f) > 0) {
		char *key = line, *val;
		size_t klen = strcspn(line, ": \t\n");

		val = key + klen;
		if (*val == ':')
			*val++ = '\0';
		else if (*val)
			*val++ = '\0';
		while (*val == ' ' || *val == '\t')
			val++;
		val[strcspn(val, "\n")] = '\0';
		if (!strcmp(key, "ksm_merge_any") || !strcmp(key, "ksm_mergeable")) {
			int b = !strcmp(val, "yes") ? 1 : !strcmp(val, "no") ? 0 : -2;

			if (b == -2)
				goto bad;
			if (!strcmp(key, "ksm_merge_any"))
				st->merge_any = b;
			else
				st->mergeable = b;
		} else {
			long long *p = !strcmp(key, "ksm_rmap_items") ? &st->rmap_items :
				       !strcmp(key, "ksm_zero_pages") ? &st->zero_pages :
				       !strcmp(key, "ksm_merging_pages") ? &st->merging_pages :
				       !strcmp(key, "ksm_process_profit") ? &st->process_profit : NULL;

			if (p && parse_ll(val, p) < 0)
				goto bad;
		}
	}
	if (ferror(f)) {
		int saved = errno;

		fclose(f);
		errno = saved == ESRCH || saved == ENOENT ? ESRCH : saved;
		return -1;
	}
	fclose(f);
	return 0;
bad:
	fclose(f);
	errno = EINVAL;
	return -1;
}

KSM_EXPORT int ksm_set_merge_any(int enable)
{
	if (prctl(PR_SET_MEMORY_MERGE, enable ? 1 : 0, 0, 0, 0) < 0)
		return -1;
	return 0;
}

KSM_EXPORT int ksm_join(int fd)
{
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (prctl(PR_SET_KSM_PARTITION, (unsigned long)fd, 0, 0, 0) < 0)
		return -1;
	return 0;
}

KSM_EXPORT int ksm_leave(void)
{
	if (prctl(PR_SET_KSM_PARTITION, -1UL, 0, 0, 0) < 0)
		return -1;
	return 0;
}

KSM_EXPORT int ksm_get_merge_any(void)
{
	int r = prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0);

	return r < 0 ? -1 : !!r;
}

KSM_EXPORT const char *ksm_version(void)
{
	return LIBKSM_VERSION;
}
