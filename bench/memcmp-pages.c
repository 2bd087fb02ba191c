// SPDX-License-Identifier: GPL-2.0
/*
 * memcmp-pages: the native cost of comparing two identical 4 KiB pages with
 * the kernel's generic memcmp() (lib/string.c, a word per iteration, as x86
 * uses it) and with memcmp_pages()'s loop of kernel patch 0004 (eight words
 * per iteration, memcmp() on the first differing block only). Both are
 * copied here and built as the kernel builds C (-O2, no vectorization, no
 * builtins; noipa, so that gcc cannot specialize them for the constant
 * size, which it cannot do for the kernel's exported memcmp() either);
 * `make bench-memcmp` runs it. Prints ns per page for each, and
 * their ratio, ROUNDS times interleaved, then the medians.
 *
 *   memcmp-pages [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_SIZE 4096
#define NPAIRS 64		/* 512 KiB of pages: in L2 */
#define REPS 20000

/* lib/string.c memcmp() with CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS */
__attribute__((noipa))
static int memcmp_generic(const void *cs, const void *ct, size_t count)
{
	const unsigned char *su1, *su2;
	int res = 0;

	if (count >= sizeof(unsigned long)) {
		const unsigned long *u1 = cs, *u2 = ct;

		do {
			if (*u1 != *u2)
				break;
			u1++;
			u2++;
			count -= sizeof(unsigned long);
		} while (count >= sizeof(unsigned long));
		cs = u1;
		ct = u2;
	}
	for (su1 = cs, su2 = ct; 0 < count; ++su1, ++su2, count--)
		if ((res = *su1 - *su2) != 0)
			break;
	return res;
}

/* mm/util.c memcmp_page_blocks() of the series */
__attribute__((noipa))
static int memcmp_page_blocks(const unsigned long *a, const unsigned long *b)
{
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / sizeof(long); i += 8) {
		if ((a[i] ^ b[i]) | (a[i + 1] ^ b[i + 1]) |
		    (a[i + 2] ^ b[i + 2]) | (a[i + 3] ^ b[i + 3]) |
		    (a[i + 4] ^ b[i + 4]) | (a[i + 5] ^ b[i + 5]) |
		    (a[i + 6] ^ b[i + 6]) | (a[i + 7] ^ b[i + 7]))
			return memcmp_generic(a + i, b + i, 8 * sizeof(long));
	}
	return 0;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 7, r, k, j;
	const size_t words = PAGE_SIZE / sizeof(long);
	double *g, *b, *q, t0, t1, t2;
	unsigned long *p;
	volatile long sink = 0;

	if (rounds < 1 || rounds > 1000) {
		fprintf(stderr, "usage: memcmp-pages [ROUNDS 1-1000]\n");
		return 2;
	}
	p = aligned_alloc(PAGE_SIZE, 2 * NPAIRS * PAGE_SIZE);
	g = calloc(rounds, sizeof(*g));
	b = calloc(rounds, sizeof(*b));
	q = calloc(rounds, sizeof(*q));
	if (!p || !g || !b || !q) {
		perror("memcmp-pages");
		return 1;
	}
	for (size_t i = 0; i < NPAIRS * words; i++)
		p[i] = p[i + NPAIRS * words] = i * 2654435761u;
	/* the two must agree, on equal and on different pages */
	p[3 * words + 100] ^= 1;
	for (j = 0; j < NPAIRS; j++) {
		int x = memcmp_generic(p + j * words, p + (NPAIRS + j) * words, PAGE_SIZE);
		int y = memcmp_page_blocks(p + j * words, p + (NPAIRS + j) * words);

		if ((x > 0) != (y > 0) || (x < 0) != (y < 0)) {
			fprintf(stderr, "memcmp-pages: results differ at pair %d\n", j);
			return 1;
		}
	}
	p[3 * words + 100] ^= 1;
	printf("# ns per identical 4 KiB page, %d pairs in L2, %d passes per round\n", NPAIRS, REPS);
	for (r = 0; r < rounds; r++) {
		t0 = now();
		for (k = 0; k < REPS; k++)
			for (j = 0; j < NPAIRS; j++)
				sink += memcmp_generic(p + j * words, p + (NPAIRS + j) * words, PAGE_SIZE);
		t1 = now();
		for (k = 0; k < REPS; k++)
			for (j = 0; j < NPAIRS; j++)
				sink += memcmp_page_blocks(p + j * words, p + (NPAIRS + j) * words);
		t2 = now();
		g[r] = (t1 - t0) / REPS / NPAIRS * 1e9;
		b[r] = (t2 - t1) / REPS / NPAIRS * 1e9;
		q[r] = b[r] / g[r];
		printf("round %d generic %.1f blocks %.1f ratio %.2f\n", r + 1, g[r], b[r], q[r]);
	}
	qsort(g, rounds, sizeof(*g), cmp_double);
	qsort(b, rounds, sizeof(*b), cmp_double);
	qsort(q, rounds, sizeof(*q), cmp_double);
	printf("median generic %.1f (%.1f-%.1f) blocks %.1f (%.1f-%.1f) ratio %.2f (%.2f-%.2f)\n",
	       g[rounds / 2], g[0], g[rounds - 1], b[rounds / 2], b[0], b[rounds - 1],
	       q[rounds / 2], q[0], q[rounds - 1]);
	return sink == 42 ? 3 : 0;
}
