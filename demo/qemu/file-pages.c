// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * file-pages: where do processes hold copies of a file's pages?
 *
 *   file-pages FILE GROUP:PID:ADDR:NPAGES...
 *
 * For each range (NPAGES pages from ADDR, hexadecimal, of process PID: a
 * VMM's guest RAM), reads every present page (/proc/PID/pagemap, then
 * /proc/PID/mem; root) and compares it with the 4 KiB pages of FILE (the
 * last one padded with zeros, as in a page cache); zero-filled pages are
 * never counted. Prints for each GROUP (a tenant)
 *   group NAME copies C distinct D
 * C guest pages holding the content of a page of FILE (the guest's page
 * cache of that file, above all), D distinct physical pages among them.
 * D < C: copies merged. Exit 4 if pagemap hides PFNs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_GROUPS 64
#define PAGE 4096
#define PFN_MASK ((1ULL << 55) - 1)

struct fpage {
	uint64_t hash;
	const unsigned char *data;
};

static struct fpage *fpages;
static size_t nfpages;

static uint64_t hash_page(const unsigned char *p)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a over 64-bit words */
	const uint64_t *w = (const uint64_t *)p;
	size_t i;

	for (i = 0; i < PAGE / 8; i++)
		h = (h ^ w[i]) * 1099511628211ULL;
	return h;
}

static int cmp_fpage(const void *a, const void *b)
{
	uint64_t x = ((const struct fpage *)a)->hash, y = ((const struct fpage *)b)->hash;

	return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int is_zero(const unsigned char *p)
{
	static const unsigned char zero[PAGE];

	return !memcmp(p, zero, PAGE);
}

/* Is the page at p one of FILE's pages? */
static int in_file(const unsigned char *p)
{
	uint64_t h = hash_page(p);
	size_t lo = 0, hi = nfpages;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (fpages[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < nfpages && fpages[lo].hash == h; lo++)
		if (!memcmp(fpages[lo].data, p, PAGE))
			return 1;
	return 0;
}

static int load_file(const char *path)
{
	unsigned char *data;
	struct stat st;
	size_t i, n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "file-pages: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = (st.st_size + PAGE - 1) / PAGE;
	data = calloc(n ? n : 1, PAGE);
	fpages = calloc(n ? n : 1, sizeof(*fpages));
	if (!data || !fpages) {
		fprintf(stderr, "file-pages: %s\n", strerror(ENOMEM));
		return -1;
	}
	if (read(fd, data, st.st_size) != st.st_size) {
		fprintf(stderr, "file-pages: %s: short read\n", path);
		return -1;
	}
	close(fd);
	for (i = 0; i < n; i++) {
		if (is_zero(data + i * PAGE))
			continue;
		fpages[nfpages].data = data + i * PAGE;
		fpages[nfpages++].hash = hash_page(data + i * PAGE);
	}
	qsort(fpages, nfpages, sizeof(*fpages), cmp_fpage);
	return 0;
}

int main(int argc, char **argv)
{
	char *names[MAX_GROUPS];
	uint64_t *pfns[MAX_GROUPS] = { 0 };
	size_t npfns[MAX_GROUPS] = { 0 };
	unsigned char page[PAGE];
	int a, g, ngroups = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: file-pages FILE GROUP:PID:ADDR:NPAGES...\n");
		return 2;
	}
	if (load_file(argv[1]) < 0)
		return 1;
	for (a = 2; a < argc; a++) {
		char *colon = strchr(argv[a], ':'), path[64];
		unsigned long pid, addr, n, i;
		uint64_t *map;
		int pm, mem;

		if (!colon || sscanf(colon + 1, "%lu:%lx:%lu", &pid, &addr, &n) != 3 || addr % PAGE) {
			fprintf(stderr, "file-pages: bad argument '%s'\n", argv[a]);
			return 2;
		}
		for (g = 0; g < ngroups; g++)
			if (strlen(names[g]) == (size_t)(colon - argv[a]) &&
			    !strncmp(names[g], argv[a], colon - argv[a]))
				break;
		if (g == ngroups) {
			if (ngroups == MAX_GROUPS) {
				fprintf(stderr, "file-pages: too many groups\n");
				return 2;
			}
			names[ngroups++] = strndup(argv[a], colon - argv[a]);
		}
		snprintf(path, sizeof(path), "/proc/%lu/pagemap", pid);
		pm = open(path, O_RDONLY);
		snprintf(path, sizeof(path), "/proc/%lu/mem", pid);
		mem = open(path, O_RDONLY);
		map = malloc(n * sizeof(*map));
		pfns[g] = realloc(pfns[g], (npfns[g] + n) * sizeof(**pfns));
		if (pm < 0 || mem < 0 || !map || !pfns[g]) {
			fprintf(stderr, "file-pages: pid %lu: %s\n", pid, strerror(errno));
			return 1;
		}
		if (pread(pm, map, n * sizeof(*map), addr / PAGE * sizeof(*map)) !=
		    (ssize_t)(n * sizeof(*map))) {
			fprintf(stderr, "file-pages: pid %lu: short read of pagemap\n", pid);
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (!(map[i] >> 63))
				continue;	/* not present: never read it in */
			if (!(map[i] & PFN_MASK)) {
				fprintf(stderr, "file-pages: PFNs hidden (run as root)\n");
				return 4;
			}
			if (pread(mem, page, PAGE, addr + i * PAGE) != PAGE)
				continue;	/* unmapped meanwhile */
			if (!is_zero(page) && in_file(page))
				pfns[g][npfns[g]++] = map[i] & PFN_MASK;
		}
		free(map);
		close(pm);
		close(mem);
	}
	for (g = 0; g < ngroups; g++) {
		size_t i, distinct = 0;

		qsort(pfns[g], npfns[g], sizeof(**pfns), cmp_u64);
		for (i = 0; i < npfns[g]; i++)
			if (!i || pfns[g][i] != pfns[g][i - 1])
				distinct++;
		printf("group %s copies %zu distinct %zu\n", names[g], npfns[g], distinct);
	}
	return 0;
}
