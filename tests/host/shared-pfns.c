// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * shared-pfns PID1 PID2: number of distinct physical pages that are mapped
 * as private anonymous memory (pagemap: present, not file/shared-anon) in
 * both processes. Two unrelated processes share such pages only through KSM
 * (and the shared zero page: at most 1). Needs root for PFNs.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define PM_PRESENT (1ULL << 63)
#define PM_FILE (1ULL << 61)
#define PM_PFN ((1ULL << 55) - 1)

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* sorted distinct anonymous PFNs of PID */
static size_t anon_pfns(const char *pid, uint64_t **out)
{
	char path[64], line[512];
	long psz = sysconf(_SC_PAGESIZE);
	size_t n = 0, cap = 1 << 16, d = 0;
	uint64_t *v = malloc(cap * sizeof(*v)), buf[512];
	FILE *maps;
	int pm;

	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%s/pagemap", pid);
	pm = open(path, O_RDONLY);
	if (!maps || pm < 0 || !v) {
		perror("shared-pfns");
		exit(1);
	}
	while (fgets(line, sizeof(line), maps)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx", &s, &e) != 2)
			continue;
		for (unsigned long p = s / psz; p < e / psz;) {
			size_t want = e / psz - p > 512 ? 512 : e / psz - p;
			ssize_t got = pread(pm, buf, want * 8, p * 8);

			if (got <= 0)
				break;
			for (ssize_t i = 0; i < got / 8; i++) {
				if (!(buf[i] & PM_PRESENT) || (buf[i] & PM_FILE) || !(buf[i] & PM_PFN))
					continue;
				if (n == cap) {
					cap *= 2;
					v = realloc(v, cap * sizeof(*v));
					if (!v)
						exit(1);
				}
				v[n++] = buf[i] & PM_PFN;
			}
			p += got / 8;
		}
	}
	fclose(maps);
	close(pm);
	qsort(v, n, sizeof(*v), cmp);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || v[i] != v[i - 1])
			v[d++] = v[i];
	*out = v;
	return d;
}

int main(int argc, char **argv)
{
	uint64_t *a, *b;
	size_t na, nb, i = 0, j = 0, common = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: shared-pfns PID1 PID2\n");
		return 2;
	}
	na = anon_pfns(argv[1], &a);
	nb = anon_pfns(argv[2], &b);
	if (na && !a[na - 1]) {
		fprintf(stderr, "shared-pfns: PFNs hidden (needs CAP_SYS_ADMIN)\n");
		return 4;
	}
	while (i < na && j < nb) {
		if (a[i] == b[j])
			common++, i++, j++;
		else if (a[i] < b[j])
			i++;
		else
			j++;
	}
	printf("%zu\n", common);
	return 0;
}
