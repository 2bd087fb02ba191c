// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pfn-census: which physical pages do groups of processes map?
 *
 *   pfn-census [-z] GROUP:PID:ADDR:NPAGES...
 *
 * reads /proc/PID/pagemap (root) for NPAGES pages from ADDR (hexadecimal)
 * of each process and prints, for each GROUP (a tenant), one line
 *   group NAME present P distinct D
 * (P pages mapped, D distinct physical pages among them), then
 *   total present P distinct D
 * over all groups (a page two groups share counts once), then
 *   cross S
 * with S the number of physical pages mapped by more than one group: 0
 * proves that no two tenants share a page. Exit 4 if pagemap hides PFNs.
 *
 * -z leaves out the kernel's shared zero page and huge zero page (KPF_ZERO_PAGE
 * in /proc/kpageflags): what a process maps where it only ever read its
 * anonymous memory (a real VMM's untouched guest RAM). Every process maps
 * them, they belong to no tenant and hold nothing, so they are counted apart:
 * " zero Z" at the end of each group's line, and a line "zero Z" (all groups)
 * before "cross".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_GROUPS 64
#define PFN_MASK ((1ULL << 55) - 1)
#define KPF_ZERO_PAGE 24

static char *names[MAX_GROUPS];
static int ngroups;

static int group_of(const char *name, size_t len)
{
	int i;

	for (i = 0; i < ngroups; i++)
		if (strlen(names[i]) == len && !strncmp(names[i], name, len))
			return i;
	if (ngroups == MAX_GROUPS) {
		fprintf(stderr, "pfn-census: too many groups\n");
		exit(2);
	}
	names[ngroups] = strndup(name, len);
	return ngroups++;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Is PFN the zero page or part of the huge zero page? -1 on error. */
static int zero_pfn(int kpageflags, uint64_t pfn)
{
	uint64_t flags;

	if (pread(kpageflags, &flags, sizeof(flags), pfn * sizeof(flags)) != sizeof(flags))
		return -1;
	return (flags >> KPF_ZERO_PAGE) & 1;
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE);
	uint64_t *all = NULL, *buf, present[MAX_GROUPS] = { 0 }, distinct[MAX_GROUPS] = { 0 };
	uint64_t zeros[MAX_GROUPS] = { 0 };
	size_t nall = 0, i, cross = 0, hidden = 0, pfns = 0, npresent = 0, zero = 0;
	int a, first = 1, kpageflags = -1;

	if (argc > 1 && !strcmp(argv[1], "-z")) {
		kpageflags = open("/proc/kpageflags", O_RDONLY);
		if (kpageflags < 0) {
			fprintf(stderr, "pfn-census: /proc/kpageflags: %s\n", strerror(errno));
			return errno == ENOENT ? 4 : 1;
		}
		first = 2;
	}
	if (argc <= first) {
		fprintf(stderr, "usage: pfn-census [-z] GROUP:PID:ADDR:NPAGES...\n");
		return 2;
	}
	for (a = first; a < argc; a++) {
		char *colon = strchr(argv[a], ':'), path[64];
		unsigned long pid, addr, n;
		int g, fd;

		if (!colon || sscanf(colon + 1, "%lu:%lx:%lu", &pid, &addr, &n) != 3) {
			fprintf(stderr, "pfn-census: bad argument '%s'\n", argv[a]);
			return 2;
		}
		g = group_of(argv[a], colon - argv[a]);
		snprintf(path, sizeof(path), "/proc/%lu/pagemap", pid);
		fd = open(path, O_RDONLY);
		buf = malloc(n * sizeof(*buf));
		all = realloc(all, (nall + n) * sizeof(*all));
		if (fd < 0 || !buf || !all) {
			fprintf(stderr, "pfn-census: %s: %s\n", path, strerror(errno));
			return 1;
		}
		if (pread(fd, buf, n * sizeof(*buf), addr / psz * sizeof(*buf)) !=
		    (ssize_t)(n * sizeof(*buf))) {
			fprintf(stderr, "pfn-census: %s: short read\n", path);
			return 1;
		}
		close(fd);
		for (i = 0; i < n; i++) {
			if (!(buf[i] >> 63))
				continue;
			if (!(buf[i] & PFN_MASK)) {
				hidden++;
				continue;
			}
			if (kpageflags >= 0) {
				int z = zero_pfn(kpageflags, buf[i] & PFN_MASK);

				if (z < 0) {
					fprintf(stderr, "pfn-census: /proc/kpageflags: %s\n",
						strerror(errno));
					return 1;
				}
				if (z) {
					zeros[g]++;
					zero++;
					continue;
				}
			}
			present[g]++;
			/* PFN in the high bits, group in the low byte */
			all[nall++] = (buf[i] & PFN_MASK) << 8 | g;
		}
		free(buf);
	}
	if (hidden) {
		fprintf(stderr, "pfn-census: PFNs hidden (run as root)\n");
		return 4;
	}
	qsort(all, nall, sizeof(*all), cmp_u64);
	for (i = 0; i < nall; i++) {
		if (i && all[i] == all[i - 1])
			continue;
		distinct[all[i] & 0xff]++;
	}
	/* PFNs with more than one group: walk runs of equal PFN */
	for (i = 0; i < nall;) {
		size_t j = i + 1;
		int groups = 1;

		for (; j < nall && all[j] >> 8 == all[i] >> 8; j++)
			if (all[j] != all[j - 1])
				groups++;
		if (groups > 1)
			cross++;
		pfns++;
		i = j;
	}
	for (a = 0; a < ngroups; a++) {
		printf("group %s present %llu distinct %llu", names[a],
		       (unsigned long long)present[a], (unsigned long long)distinct[a]);
		if (kpageflags >= 0)
			printf(" zero %llu", (unsigned long long)zeros[a]);
		printf("\n");
	}
	for (a = 0; a < ngroups; a++)
		npresent += present[a];
	printf("total present %zu distinct %zu\n", npresent, pfns);
	if (kpageflags >= 0)
		printf("zero %zu\n", zero);
	printf("cross %zu\n", cross);
	return 0;
}
