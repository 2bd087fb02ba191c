/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the project's guest and host test programs:
 * /sys/kernel/mm/ksm knobs (with save and restore), PFNs of another
 * process's pages from /proc/PID/pagemap, and /proc/PID/ksm_stat fields.
 */
#ifndef KSM_TEST_UTIL_H
#define KSM_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define KSM_SYSFS "/sys/kernel/mm/ksm"

static inline int sysfs_read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static inline int sysfs_write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;
	int saved;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* Value of /sys/kernel/mm/ksm/NAME; ULONG_MAX when unreadable. */
static inline unsigned long ksm_read_ulong(const char *name)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), KSM_SYSFS "/%s", name);
	if (sysfs_read_str(path, buf, sizeof(buf)))
		return (unsigned long)-1;
	return strtoul(buf, NULL, 0);
}

static inline int ksm_write_ulong(const char *name, unsigned long val)
{
	char path[256], buf[32];

	snprintf(path, sizeof(path), KSM_SYSFS "/%s", name);
	snprintf(buf, sizeof(buf), "%lu", val);
	return sysfs_write_str(path, buf);
}

#define KSM_MAX_KNOBS 16
struct ksm_knobs {
	int n;
	char name[KSM_MAX_KNOBS][48];
	char value[KSM_MAX_KNOBS][48];
};

/* Save the named knobs (NULL-terminated list); missing ones are left out. */
static inline int ksm_knobs_save(struct ksm_knobs *k, const char *const *names)
{
	char path[256];

	k->n = 0;
	for (; *names && k->n < KSM_MAX_KNOBS; names++) {
		snprintf(path, sizeof(path), KSM_SYSFS "/%s", *names);
		if (sysfs_read_str(path, k->value[k->n], sizeof(k->value[0])))
			continue;
		snprintf(k->name[k->n], sizeof(k->name[0]), "%s", *names);
		k->n++;
	}
	return 0;
}

/* Put the knobs back; "run" last, so that ksmd restarts with the rest set. */
static inline int ksm_knobs_restore(const struct ksm_knobs *k)
{
	char path[256];
	int i, ret = 0, run = -1;

	for (i = 0; i < k->n; i++) {
		if (!strcmp(k->name[i], "run")) {
			run = i;
			continue;
		}
		snprintf(path, sizeof(path), KSM_SYSFS "/%s", k->name[i]);
		/* merge_across_nodes refuses changes while pages are merged. */
		if (sysfs_write_str(path, k->value[i]) && errno != EBUSY)
			ret = -1;
	}
	if (run >= 0 && sysfs_write_str(KSM_SYSFS "/run", k->value[run]))
		ret = -1;
	return ret;
}

/* PFN backing ADDR in process PID, 0 when not present (needs root). */
static inline unsigned long pid_pfn(pid_t pid, const void *addr)
{
	char path[64];
	uint64_t ent;
	int fd;
	long psz = sysconf(_SC_PAGESIZE);

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent), ((uintptr_t)addr / psz) * sizeof(ent)) != sizeof(ent))
		ent = 0;
	close(fd);
	if (!(ent & (1ULL << 63)))
		return 0;
	return ent & ((1ULL << 55) - 1);
}

/* Number of distinct PFNs behind the N pages at ADDR in process PID (at most 1024 pages). */
static inline int pid_distinct_pfns(pid_t pid, const void *addr, int n)
{
	long psz = sysconf(_SC_PAGESIZE);
	unsigned long v[1024];
	int d = 0;

	for (int i = 0; i < n && i < 1024; i++) {
		unsigned long f = pid_pfn(pid, (const char *)addr + i * psz);
		int seen = 0;

		for (int j = 0; j < d && !seen; j++)
			seen = v[j] == f;
		if (!seen)
			v[d++] = f;
	}
	return d;
}

/* A numeric field of /proc/PID/ksm_stat; -1 when absent. */
static inline long proc_ksm_stat(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/ksm_stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, flen) && line[flen] == ' ') {
			val = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

#endif /* KSM_TEST_UTIL_H */
