// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pfn-count PID ADDR NPAGES: read /proc/PID/pagemap (root) and print
 *   present=P distinct=D first=PFN
 * for the NPAGES pages from ADDR: D == 1 with P == NPAGES means every page
 * maps the same physical page (merged). Exit 4 if PFNs are hidden (not root).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE), n, present = 0, distinct = 0, nonzero = 0;
	unsigned long addr;
	uint64_t *pfn;
	char path[64];
	int fd;

	if (argc != 4)
		return 2;
	snprintf(path, sizeof(path), "/proc/%s/pagemap", argv[1]);
	addr = strtoul(argv[2], NULL, 0);
	n = atol(argv[3]);
	pfn = calloc(n, sizeof(*pfn));
	fd = open(path, O_RDONLY);
	if (fd < 0 || !pfn) {
		perror("pfn-count");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		uint64_t e;

		if (pread(fd, &e, 8, (addr / psz + i) * 8) != 8) {
			perror("pfn-count: pread");
			return 1;
		}
		if (e & (1ULL << 63)) {
			pfn[present++] = e & ((1ULL << 55) - 1);
			nonzero += (e & ((1ULL << 55) - 1)) != 0;
		}
	}
	if (present && !nonzero) {
		fprintf(stderr, "pfn-count: PFNs hidden (needs CAP_SYS_ADMIN)\n");
		return 4;
	}
	{
		uint64_t first = present ? pfn[0] : 0;

		qsort(pfn, present, sizeof(*pfn), cmp);
		for (long i = 0; i < present; i++)
			distinct += i == 0 || pfn[i] != pfn[i - 1];
		printf("present=%ld distinct=%ld first=0x%llx\n", present, distinct, (unsigned long long)first);
	}
	return 0;
}
