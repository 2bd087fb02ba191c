/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The isolation invariant of Selective KSM, checked from userspace: every
 * KSM page (KPF_KSM in /proc/kpageflags) is mapped by processes of one and
 * the same merge domain only.
 *
 * A process's domain at an address is its partition when
 * /proc/PID/ksm_stat names one (members by ksm_merge(), by joining, and
 * their fork children alike); otherwise the global domain when the area
 * is VM_MERGEABLE ("mg" in /proc/PID/smaps: MADV_MERGEABLE or
 * PR_SET_MEMORY_MERGE); otherwise none, which may map no KSM page at all.
 *
 * Only pages that pagemap reports present, anonymous and not exclusively
 * mapped are looked up in /proc/kpageflags: a page mapped once cannot be
 * shared across domains.  Processes move between domains while this runs:
 * a process whose ksm_stat changes while its pages are read is read again
 * in the next round, and every violation found is checked a second time
 * (same frame still mapped at the same addresses, still a KSM page, same
 * domains) before it is reported, so that a page freed and reused in
 * between, or a process leaving, is not a false report.  What is left is a
 * state that persists: what the kernel must never leave behind.
 *
 * Needs root (PFNs in pagemap, /proc/kpageflags).  Header-only, static.
 */
#ifndef KSM_INVARIANT_H
#define KSM_INVARIANT_H

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ksm_test_util.h"

#define KINV_DOM_LEN	72
#define KINV_KPF_KSM	21

struct kinv_map {		/* a KSM frame mapped by a process */
	uint64_t pfn;
	unsigned long addr;
	int pid;
	char dom[KINV_DOM_LEN];
};

struct kinv_result {
	unsigned long processes;	/* processes read */
	unsigned long ksm_mappings;	/* mappings of KSM frames seen */
	unsigned long ksm_frames;	/* distinct KSM frames mapped twice+ */
	unsigned long violations;	/* frames that broke the invariant */
	char report[1024];		/* the first violation, for humans */
};

/* "P:NAME" for a partition member, "" otherwise; -1 if the process is gone */
static inline int kinv_partition(int pid, char *dom, size_t len)
{
	char path[64], buf[1024], *p;

	snprintf(path, sizeof(path), "/proc/%d/ksm_stat", pid);
	if (sysfs_read_str(path, buf, sizeof(buf)))
		return -1;
	dom[0] = '\0';
	p = strstr(buf, "ksm_partition ");
	if (p) {
		p += strlen("ksm_partition ");
		snprintf(dom, len, "P:%.*s", (int)strcspn(p, "\n"), p);
	}
	return 0;
}

/* "global" if the area of pid at addr is VM_MERGEABLE, else "none" */
static inline void kinv_global_or_none(int pid, unsigned long addr, char *dom,
				       size_t len)
{
	char path[64], line[512];
	unsigned long start, end;
	int in = 0;
	FILE *f;

	snprintf(dom, len, "none");
	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') &&
		    isxdigit((unsigned char)line[0])) {
			in = addr >= start && addr < end;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			if (strstr(line, " mg"))
				snprintf(dom, len, "global");
			break;
		}
	}
	fclose(f);
}

static inline int kinv_is_ksm(int kpf_fd, uint64_t pfn)
{
	uint64_t flags;

	if (pread(kpf_fd, &flags, sizeof(flags), pfn * sizeof(flags)) != sizeof(flags))
		return 0;
	return !!(flags & (1ULL << KINV_KPF_KSM));
}

static inline int kinv_cmp(const void *a, const void *b)
{
	const struct kinv_map *x = a, *y = b;

	if (x->pfn != y->pfn)
		return x->pfn < y->pfn ? -1 : 1;
	return x->pid - y->pid;
}

/* Append the KSM frames that pid maps twice+ to *v; 1 if pid must be reread */
static inline int kinv_scan_pid(int pid, int kpf_fd, struct kinv_map **v,
				size_t *n, size_t *cap)
{
	char path[64], line[512], dom[KINV_DOM_LEN], dom2[KINV_DOM_LEN];
	size_t first = *n;
	uint64_t buf[512];
	int pm_fd;
	FILE *maps;

	if (kinv_partition(pid, dom, sizeof(dom)))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pm_fd = open(path, O_RDONLY);
	if (!maps || pm_fd < 0) {
		if (maps)
			fclose(maps);
		if (pm_fd >= 0)
			close(pm_fd);
		return 0;
	}
	while (fgets(line, sizeof(line), maps)) {
		unsigned long start, end, a;

		if (sscanf(line, "%lx-%lx", &start, &end) != 2 || strstr(line, "[vsyscall]"))
			continue;
		for (a = start; a < end;) {
			size_t cnt = (end - a) / 4096, i;
			ssize_t got;

			if (cnt > 512)
				cnt = 512;
			got = pread(pm_fd, buf, cnt * 8, (a / 4096) * 8);
			if (got <= 0)
				break;
			cnt = got / 8;
			for (i = 0; i < cnt; i++) {
				uint64_t e = buf[i], pfn = e & ((1ULL << 55) - 1);

				/* present, anonymous, not mapped exclusively */
				if (!(e >> 63) || (e >> 61 & 1) || (e >> 56 & 1) || !pfn)
					continue;
				if (!kinv_is_ksm(kpf_fd, pfn))
					continue;
				if (*n == *cap) {
					*cap = *cap ? *cap * 2 : 4096;
					*v = realloc(*v, *cap * sizeof(**v));
					if (!*v) {
						fclose(maps);
						close(pm_fd);
						return -1;
					}
				}
				(*v)[*n].pfn = pfn;
				(*v)[*n].addr = a + i * 4096;
				(*v)[*n].pid = pid;
				snprintf((*v)[*n].dom, KINV_DOM_LEN, "%s", dom);
				(*n)++;
			}
			a += cnt * 4096;
		}
	}
	fclose(maps);
	close(pm_fd);
	/* Moved between domains meanwhile: drop what was read, read again */
	if (kinv_partition(pid, dom2, sizeof(dom2)) || strcmp(dom, dom2)) {
		*n = first;
		return 1;
	}
	for (size_t k = first; k < *n; k++)
		if (!(*v)[k].dom[0])
			kinv_global_or_none(pid, (*v)[k].addr, (*v)[k].dom, KINV_DOM_LEN);
	return 0;
}

/* The domain of m now, or "" if it no longer maps the same KSM frame */
static inline void kinv_recheck(int kpf_fd, const struct kinv_map *m, char *dom,
				size_t len)
{
	char path[64];
	uint64_t e = 0;
	int fd;

	dom[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/pagemap", m->pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	if (pread(fd, &e, 8, (m->addr / 4096) * 8) != 8 ||
	    (e & ((1ULL << 55) - 1)) != m->pfn || !kinv_is_ksm(kpf_fd, m->pfn)) {
		close(fd);
		return;
	}
	close(fd);
	if (kinv_partition(m->pid, dom, len))
		dom[0] = '\0';
	else if (!dom[0])
		kinv_global_or_none(m->pid, m->addr, dom, len);
}

/*
 * One pass over every process.  Returns the number of frames that broke
 * the invariant (confirmed by the second look), or -1 on an error (not
 * root, no /proc/kpageflags).  r->report describes the first one.
 */
static inline long ksm_invariant_check(struct kinv_result *r)
{
	struct kinv_map *v = NULL;
	size_t n = 0, cap = 0, i, j;
	struct dirent *de;
	int kpf_fd, self = getpid();
	DIR *proc;

	memset(r, 0, sizeof(*r));
	kpf_fd = open("/proc/kpageflags", O_RDONLY);
	proc = opendir("/proc");
	if (kpf_fd < 0 || !proc) {
		if (kpf_fd >= 0)
			close(kpf_fd);
		if (proc)
			closedir(proc);
		return -1;
	}
	while ((de = readdir(proc))) {
		int pid = atoi(de->d_name), tries;

		if (pid <= 0 || pid == self)
			continue;
		for (tries = 0; tries < 3; tries++) {
			int ret = kinv_scan_pid(pid, kpf_fd, &v, &n, &cap);

			if (ret < 0) {
				closedir(proc);
				close(kpf_fd);
				free(v);
				return -1;
			}
			if (!ret)
				break;
		}
		r->processes++;
	}
	closedir(proc);
	r->ksm_mappings = n;
	qsort(v, n, sizeof(*v), kinv_cmp);
	for (i = 0; i < n; i = j) {
		int bad = 0;

		for (j = i + 1; j < n && v[j].pfn == v[i].pfn; j++)
			;
		if (j - i < 2 && strcmp(v[i].dom, "none"))
			continue;
		r->ksm_frames++;
		for (size_t k = i; k < j; k++)
			if (!strcmp(v[k].dom, "none") || strcmp(v[k].dom, v[i].dom))
				bad = 1;
		if (!bad)
			continue;
		/* Second look: still the same frame, KSM, same domains? */
		bad = 0;
		for (size_t k = i; k < j; k++) {
			char now[KINV_DOM_LEN];

			kinv_recheck(kpf_fd, &v[k], now, sizeof(now));
			if (!now[0] || strcmp(now, v[k].dom)) {
				bad = 0;
				break;
			}
			if (!strcmp(now, "none") || strcmp(now, v[i].dom))
				bad = 1;
		}
		if (!bad)
			continue;
		if (!r->violations) {
			size_t off = snprintf(r->report, sizeof(r->report),
					      "KSM frame %#llx mapped from", (unsigned long long)v[i].pfn);

			for (size_t k = i; k < j && off < sizeof(r->report); k++)
				off += snprintf(r->report + off, sizeof(r->report) - off,
						" pid %d at %#lx (%s)%s", v[k].pid, v[k].addr,
						!strcmp(v[k].dom, "none") ? "no domain" : v[k].dom,
						k + 1 < j ? "," : "");
		}
		r->violations++;
	}
	close(kpf_fd);
	free(v);
	return r->violations;
}

#endif
