// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksm-bench: Selective KSM against ksmd and against the read-and-hash
 * limit, in one boot of the patched kernel (run by `make bench` through
 * tests/vm/vm-run; needs root).
 *
 * Workload: NPROC processes of SIZE/NPROC each; every page is distinct
 * within a process and identical across processes, except UNIQUE% of each
 * process's pages, which are unique (as in issue 3: 10%). Achievable
 * pages_sharing is therefore (NPROC - 1) * shared pages per process. Every
 * run starts from a fresh workload (new processes, new contents: the seed
 * changes with the repetition).
 *
 * Cases (-m selects by letter; every selected case runs REPEAT times,
 * interleaved: a b c ... a b c ...):
 *   a  ksmd, default settings (pages_to_scan 100, sleep_millisecs 20),
 *      processes opted in with PR_SET_MEMORY_MERGE (size -a)
 *   b  ksmd at full speed (pages_to_scan 20000, sleep_millisecs 0)
 *   c  synchronous merge into one partition with ksm_merge(), range by
 *      range (CHUNK) so that pages_sharing can be sampled between calls
 *   d  the limit: one pass that reads the same bytes (process_vm_readv)
 *      and hashes every page (XXH3_64bits from Debian's libxxhash)
 *   e  the partition's own background scan at full speed (pages_to_scan
 *      20000, sleep_millisecs 0), processes joined with
 *      prctl(PR_SET_KSM_PARTITION) before they map their memory
 *   f  the same at the scan's defaults (pages_to_scan 100,
 *      sleep_millisecs 20), on ksmd-default's size (-a)
 *   g  c on a running guest: every process writes 1% of its pages per
 *      second (the same value back, so each write breaks a merged page
 *      or races a merge without changing what is achievable) while merged
 *   h  c on THP-backed memory (2 MiB aligned, MADV_HUGEPAGE before the
 *      pages are touched)
 *   i  b on THP-backed memory
 *   j  h with 1/16 of each THP's pages shared across the processes (the
 *      first 32 of each 2 MiB), the rest unique: too few for a partition to
 *      split the THP (khugepaged/max_ptes_shared, 256 by default)
 *   t  i on j's workload
 *   u  the partition's scan (as s, 100 pages a pass) on j's workload, to
 *      the end of its first full pass: every pass but the first of a THP
 *      starts inside it
 *   k  nothing: the whole system's busy CPU over the idle window, the
 *      baseline for the "CPU after" figures
 *   n  the workload created and destroyed, nothing else (not in the
 *      default cases: bench/profile's baseline)
 *   r  a synchronous merge of SIZE (cases r0, r1, r2): r1 while an
 *      unprivileged process (setuid to nobody) reads the global
 *      pages_sharing, the partition's pages_sharing and one member's
 *      /proc/PID/ksm_stat in a loop, r0 without it, r2 with the same loop
 *      on a plain knob (the control); the order rotates with the repetition
 *   z  c's cost per page at 64 MiB, 128 MiB, ... MAXMIB (cases z64 ...);
 *      after each merge, the latency of one read (pread on an open file)
 *      of the global pages_sharing, the partition's pages_sharing, a
 *      member's /proc/PID/ksm_stat and a plain knob (sleep_millisecs)
 *   l  those read latencies at READMIB alone (when z does not include it)
 *   p  c with 1 to MAXPARTS partitions of 4 processes (cases p1 ...)
 *   s  the partition scan's cost per page (pages_to_scan 100,
 *      sleep_millisecs 0) at 64 MiB, 256 MiB, 1 GiB (cases s64 ...)
 * For a, b, c, e, f, g, h, i, j, t, u, s: wall and CPU time (ksmd's, the
 * calling thread's, or for e, f, u, s every CPU's busy time but the bench's
 * own) to 99% of the achievable pages_sharing (c, g, h, j: to the end of
 * the merge calls; u, s: to the end of the scan's first full pass),
 * pages_sharing then, and for a, b, c, e, f the whole system's busy CPU in
 * the IDLE seconds after (c: after the merge, then again after one read of
 * the partition's counters).
 *
 * Output, one line per run: "run CASE REP KEY VALUE ... # WHAT", plus
 * "timeline CASE SECONDS PAGES_SHARING" (first repetition only) and
 * "config ..." lines, for bench/report (medians, min-max, verdicts).
 *
 *   ksm-bench [-s MIB] [-n NPROC] [-u PCT] [-a MIB] [-S MAXMIB] [-P MAXPARTS]
 *             [-R READMIB] [-r REPEAT] [-i IDLE] [-m CASES] [-q] [-M]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <x86intrin.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#endif
#include "../tests/lib/ksm_abi.h"

#define KSM "/sys/kernel/mm/ksm/"
#define MIB (1024UL * 1024)
#define HPAGE (2 * MIB)
#define MAXPROC 256
#define CHUNK (8 * MIB)
#define NOBODY 65534
#define MAXREADS 200

static long psz;
static int rep;		/* current repetition, from 1 */
static int idle_secs = 5;
static int no_timeline;	/* -q: no timeline (it reads pages_sharing) */
static int profile_marks;	/* -M: getpgid() around what is measured */

/*
 * For bench/profile: its QEMU plugin snapshots the guest kernel's
 * instruction counts whenever __x64_sys_getpgid runs, so calling it just
 * before and after the measured work delimits the profile's window.
 */
static void mark(void)
{
	if (profile_marks)
		syscall(SYS_getpgid, 0);
}

static void die(const char *what)
{
	fprintf(stderr, "ksm-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/*
 * Wall time from the TSC, calibrated against CLOCK_MONOTONIC: in the test
 * guest CLOCK_MONOTONIC advances by whole ticks (4 ms), too coarse for the
 * latency of one read. Under QEMU TCG rdtsc returns the host's TSC.
 */
static double tsc_hz;
static uint64_t tsc_base;

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* the TSC at the moment CLOCK_MONOTONIC steps; *m: its value then */
static uint64_t tsc_at_step(double *m)
{
	double m0 = mono();

	while ((*m = mono()) == m0)
		;
	return __rdtsc();
}

static void calibrate(void)
{
	double m0, m1;
	uint64_t t0, t1;

	t0 = tsc_at_step(&m0);
	usleep(1000000);
	t1 = tsc_at_step(&m1);
	tsc_hz = (t1 - t0) / (m1 - m0);
	tsc_base = t0;
}

static double now(void)
{
	return (__rdtsc() - tsc_base) / tsc_hz;
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long read_long(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

static void write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		die(path);
	close(fd);
}

static void ksm_set(const char *file, long val)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), KSM "%s", file);
	snprintf(buf, sizeof(buf), "%ld", val);
	write_str(path, buf);
}

static long ksm_get(const char *file)
{
	char path[128];

	snprintf(path, sizeof(path), KSM "%s", file);
	return read_long(path);
}

/* Busy CPU seconds of the whole system, every CPU (/proc/stat) */
static double system_busy(void)
{
	unsigned long long v[8] = { 0 };
	char buf[256] = "";
	int fd = open("/proc/stat", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		die("/proc/stat");
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	/* cpu user nice system idle iowait irq softirq steal */
	if (sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		die("/proc/stat: unexpected format");
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) /
	       sysconf(_SC_CLK_TCK);
}

/* CPU of everything but this process: the partition's scan work */
static double others_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return system_busy() - (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* ksmd's CPU seconds (utime + stime) */
static pid_t ksmd_pid;
static double ksmd_cpu(void)
{
	char path[64], buf[512], *p;
	unsigned long ut, st;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", ksmd_pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}

static void find_ksmd(void)
{
	char path[64], comm[32];
	int pid, fd;
	ssize_t n;

	for (pid = 2; pid < 4096; pid++) {
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		if (n > 0 && !strncmp(comm, "ksmd\n", 5)) {
			ksmd_pid = pid;
			return;
		}
	}
	fprintf(stderr, "ksm-bench: no ksmd thread\n");
	exit(1);
}

/* ------------------------------------------------------------ workload */

enum {
	SP_MERGE_ANY = 1,	/* PR_SET_MEMORY_MERGE first (ksmd) */
	SP_THP = 2,		/* 2 MiB aligned, MADV_HUGEPAGE */
	SP_WRITER = 4,		/* write 1% of the pages per second */
	SP_NOBODY = 8,		/* drop to uid nobody once filled */
	SP_SPARSE = 16,		/* shared: 1/16 of each 2 MiB, not a prefix */
};

struct workload {
	int n;
	size_t pages, shared;	/* per process */
	pid_t pid[MAXPROC];
	unsigned long addr[MAXPROC];
};

/* writes done by each writer (SP_WRITER), shared with the children */
static volatile long *touched;

/* Whether page i of a process is one of the pages shared across them */
static int is_shared(size_t i, size_t shared, int flags)
{
	size_t hp = HPAGE / psz;

	if (flags & SP_SPARSE)
		return i % hp < hp / 16;
	return i < shared;
}

static size_t count_shared(size_t pages, size_t shared, int flags)
{
	size_t i, n = 0;

	if (!(flags & SP_SPARSE))
		return shared;
	for (i = 0; i < pages; i++)
		n += is_shared(i, shared, flags);
	return n;
}

static void fill(char *p, size_t pages, size_t shared, int flags,
		 unsigned long seed, unsigned long common)
{
	size_t i, j;

	for (i = 0; i < pages; i++) {
		uint64_t *w = (uint64_t *)(p + i * psz);
		uint64_t x = is_shared(i, shared, flags) ?
			     (common << 40) + i + 1 : (seed << 32) + i + 1;

		for (j = 0; j < (size_t)psz / 8; j++)
			w[j] = (x + j) * 0x9e3779b97f4a7c15ULL;
	}
}

/* a running guest: 1% of the pages written per second, spread over time */
static void writer(char *p, size_t pages, volatile long *count)
{
	double t0 = now();
	uint64_t x = 88172645463325252ULL ^ getpid();
	long done = 0;

	for (;;) {
		long due = (long)((now() - t0) * pages / 100);

		while (done < due) {
			volatile uint64_t *w;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			w = (volatile uint64_t *)(p + (x % pages) * psz);
			*w = *w;	/* same value: a write fault, same contents */
			done++;
		}
		*count = done;
		usleep(10000);
	}
}

static long thp_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static long wl_thp_kb(struct workload *wl)
{
	long sum = 0;
	int i;

	for (i = 0; i < wl->n; i++)
		sum += thp_kb(wl->pid[i]);
	return sum;
}

/* n processes of pages each; join_fd >= 0: join that partition first */
static void spawn(struct workload *wl, int n, size_t pages, int unique_pct,
		  int flags, int join_fd, unsigned long seed)
{
	unsigned long common = seed * 7919 + rep;
	size_t shared;
	int i;

	wl->n = n;
	wl->pages = pages;
	shared = pages - pages * unique_pct / 100;
	wl->shared = count_shared(pages, shared, flags);
	memset((void *)touched, 0, MAXPROC * sizeof(*touched));
	for (i = 0; i < n; i++) {
		int fds[2];
		pid_t pid;

		if (pipe(fds))
			die("pipe");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid) {
			size_t len = pages * psz;
			unsigned long a;
			char *p;

			close(fds[0]);
			if ((flags & SP_MERGE_ANY) &&
			    prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0))
				die("PR_SET_MEMORY_MERGE");
			if (join_fd >= 0 &&
			    prctl(PR_SET_KSM_PARTITION, join_fd, 0, 0, 0))
				die("PR_SET_KSM_PARTITION");
			p = mmap(NULL, len + ((flags & SP_THP) ? HPAGE : 0),
				 PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				die("mmap");
			if (flags & SP_THP) {
				p = (char *)(((unsigned long)p + HPAGE - 1) & ~(HPAGE - 1));
				if (madvise(p, len, MADV_HUGEPAGE))
					die("MADV_HUGEPAGE");
			} else {
				madvise(p, len, MADV_NOHUGEPAGE);
			}
			fill(p, pages, shared, flags,
			     (seed * 64 + rep) * MAXPROC + i + 1, common);
			if (flags & SP_NOBODY) {
				/* a process of the unprivileged user, whose
				 * /proc/PID/ksm_stat that user may read
				 */
				if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
				    setresuid(NOBODY, NOBODY, NOBODY))
					die("setresuid(nobody)");
				prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
			}
			a = (unsigned long)p;
			if (write(fds[1], &a, sizeof(a)) != sizeof(a))
				_exit(1);
			if (flags & SP_WRITER)
				writer(p, pages, &touched[i]);
			for (;;)
				pause();
		}
		close(fds[1]);
		if (read(fds[0], &wl->addr[i], sizeof(wl->addr[i])) != sizeof(wl->addr[i]))
			die("workload process");
		close(fds[0]);
		wl->pid[i] = pid;
	}
}

static void reap(struct workload *wl)
{
	int i;

	for (i = 0; i < wl->n; i++)
		kill(wl->pid[i], SIGKILL);
	for (i = 0; i < wl->n; i++)
		waitpid(wl->pid[i], NULL, 0);
	wl->n = 0;
}

static long achievable(struct workload *wl)
{
	return (long)wl->shared * (wl->n - 1);
}

static long touched_sum(int n)
{
	long s = 0;
	int i;

	for (i = 0; i < n; i++)
		s += touched[i];
	return s;
}

/* ------------------------------------------------------------ counters */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Latency of one read of PATH: pread() of an open file at offset 0 (sysfs
 * and seq_file regenerate the text on each such read), at least 3 times,
 * up to MAXREADS times or `budget` seconds. Median and max in µs; -1 if
 * the file cannot be read.
 */
static void read_latency(const char *path, double budget, double *med, double *max,
			 int *count)
{
	double lat[MAXREADS], t0 = now();
	char buf[4096];
	int fd, n = 0;

	*med = *max = -1;
	*count = 0;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	while (n < MAXREADS && (n < 3 || now() - t0 < budget)) {
		double r0 = now();

		if (pread(fd, buf, sizeof(buf), 0) < 0)
			break;
		lat[n++] = (now() - r0) * 1e6;
	}
	close(fd);
	if (!n)
		return;
	qsort(lat, n, sizeof(*lat), cmp_double);
	*med = n % 2 ? lat[n / 2] : (lat[n / 2 - 1] + lat[n / 2]) / 2;
	*max = lat[n - 1];
	*count = n;
}

/* the read latencies of the counters, with a partition merged */
static void print_read_latencies(const char *part, pid_t member)
{
	struct { const char *key; char path[128]; } f[4] = {
		{ "rd_global", KSM "pages_sharing" },
		{ "rd_part", "" },
		{ "rd_stat", "" },
		{ "rd_knob", KSM "sleep_millisecs" },
	};
	double med, max;
	int i, count;

	snprintf(f[1].path, sizeof(f[1].path), KSM "partition/%s/pages_sharing", part);
	snprintf(f[2].path, sizeof(f[2].path), "/proc/%d/ksm_stat", member);
	for (i = 0; i < 4; i++) {
		read_latency(f[i].path, 1.0, &med, &max, &count);
		printf(" %s %.1f %s_max %.1f %s_n %d", f[i].key, med, f[i].key, max,
		       f[i].key, count);
	}
}

/* ------------------------------------------------------------ modes */

/* the whole system's busy CPU in the idle window */
static double idle_cpu(void)
{
	double c0 = system_busy();

	sleep(idle_secs);
	return system_busy() - c0;
}

static void timeline(const char *mode, double t, long ps)
{
	if (rep == 1 && !no_timeline)
		printf("timeline %s %.3f %ld\n", mode, t, ps);
}

/* a, b, i: ksmd merges the global domain */
static void run_ksmd(const char *mode, const char *what, size_t bytes, int n,
		     int unique_pct, long pages_to_scan, long sleep_ms, double limit,
		     int flags, int idle)
{
	struct workload wl;
	double t0, k0, t99 = -1, k99 = 0, ci = -1, last = -1;
	long target, ps = 0, thp0, scan0, fs0;

	ksm_set("run", 2);
	ksm_set("run", 0);
	scan0 = ksm_get("pages_scanned");
	fs0 = ksm_get("full_scans");
	spawn(&wl, n, bytes / n / psz, unique_pct, flags | SP_MERGE_ANY, -1, 1);
	target = achievable(&wl);
	thp0 = wl_thp_kb(&wl);
	ksm_set("pages_to_scan", pages_to_scan);
	ksm_set("sleep_millisecs", sleep_ms);
	k0 = ksmd_cpu();
	mark();
	t0 = now();
	ksm_set("run", 1);
	while (now() - t0 < limit) {
		double t = now() - t0;

		ps = ksm_get("pages_sharing");
		if (t - last >= 0.2 || ps >= target * 99 / 100) {
			timeline(mode, t, ps);
			last = t;
		}
		if (ps >= target * 99 / 100) {
			mark();
			t99 = t;
			k99 = ksmd_cpu() - k0;
			scan0 = ksm_get("pages_scanned") - scan0;
			fs0 = ksm_get("full_scans") - fs0;
			break;
		}
		usleep(20000);
	}
	if (t99 < 0) {
		k99 = ksmd_cpu() - k0;
		scan0 = ksm_get("pages_scanned") - scan0;
		fs0 = ksm_get("full_scans") - fs0;
	}
	if (idle && idle_secs) {
		ci = idle_cpu();
		timeline(mode, now() - t0, ksm_get("pages_sharing"));
	}
	printf("run %s %d wall %.3f cpu %.3f merged %ld target %ld bytes %zu scanned %ld full_scans %ld",
	       mode, rep, t99, k99, ps, target, bytes, scan0, fs0);
	if (flags & SP_THP)
		printf(" thp_kb %ld thp_after_kb %ld", thp0, wl_thp_kb(&wl));
	if (idle && idle_secs)
		printf(" idle_cpu %.3f idle_secs %d", ci, idle_secs);
	printf(" # %s\n", what);
	/* exit before unmerging: run=2 would copy every merged page first */
	ksm_set("run", 0);
	reap(&wl);
	ksm_set("run", 2);
	ksm_set("run", 0);
}

struct sync_result {
	double wall, cpu;
	long merged, target, scanned, calls;
};

static void open_parts(int *fd, int nparts, int mode)
{
	char name[32];
	int p;

	for (p = 0; p < nparts; p++) {
		snprintf(name, sizeof(name), "bench%d", p);
		syscall(NR_ksm_unlink, name);
		fd[p] = syscall(NR_ksm_open, name, O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (fd[p] < 0)
			die("ksm_open");
	}
}

static void close_parts(int *fd, int nparts)
{
	char name[32];
	int p;

	for (p = 0; p < nparts; p++) {
		snprintf(name, sizeof(name), "bench%d", p);
		close(fd[p]);
		syscall(NR_ksm_unlink, name);
	}
}

/*
 * Merge every process of wl (process i into partition i / per), timed.
 * The timeline (tl) does not read pages_sharing, which would queue work
 * in the kernel: it adds up ksm_merge()'s results, the pages of each range
 * that share a KSM page, whose sum over the processes after the first is
 * pages_sharing when every process is merged once.
 */
static void merge_all(struct workload *wl, int *fd, int per, const char *tl,
		      struct sync_result *r)
{
	double w0, c0;
	unsigned long off;
	long ret, sum = 0;
	int i, p;

	r->wall = r->cpu = 0;
	for (i = 0; i < wl->n; i++) {
		/* the target is a pidfd (ksm_merge(fd, pidfd, addr, len, flags)) */
		int pidfd = syscall(SYS_pidfd_open, wl->pid[i], 0);

		if (pidfd < 0)
			die("pidfd_open");
		p = i / per;
		for (off = 0; off < wl->pages * psz; off += CHUNK) {
			size_t len = wl->pages * psz - off < CHUNK ? wl->pages * psz - off : CHUNK;

			w0 = now();
			c0 = thread_cpu();
			ret = syscall(NR_ksm_merge, fd[p], pidfd, wl->addr[i] + off, len, 0);
			if (ret < 0)
				die("ksm_merge");
			r->cpu += thread_cpu() - c0;
			r->wall += now() - w0;
			if (i % per)
				sum += ret;
			if (tl)
				timeline(tl, r->wall, sum);
		}
		close(pidfd);
	}
}

static void part_totals(int nparts, struct sync_result *r)
{
	char path[128];
	int p;

	r->merged = r->scanned = r->calls = 0;
	for (p = 0; p < nparts; p++) {
		snprintf(path, sizeof(path), KSM "partition/bench%d/pages_sharing", p);
		r->merged += read_long(path);
		snprintf(path, sizeof(path), KSM "partition/bench%d/pages_scanned", p);
		r->scanned += read_long(path);
		snprintf(path, sizeof(path), KSM "partition/bench%d/merge_calls", p);
		r->calls += read_long(path);
	}
}

static void print_sync(const char *cas, size_t bytes, int n, int nparts,
		       struct sync_result *r)
{
	printf("run %s %d wall %.3f cpu %.3f merged %ld target %ld bytes %zu nproc %d parts %d scanned %ld calls %ld us_per_page %.3f",
	       cas, rep, r->wall, r->cpu, r->merged, r->target, bytes, n, nparts,
	       r->scanned, r->calls, r->scanned > 0 ? r->cpu * 1e6 / r->scanned : 0);
}

/*
 * c, g, h, z*, p*, l: synchronous merge into nparts partitions of
 * n / nparts processes; the time of the merge calls alone.
 */
static void run_sync(const char *cas, const char *what, size_t bytes, int n,
		     int nparts, int unique_pct, int flags, int tl, int idle,
		     int reads)
{
	struct workload wl;
	struct sync_result r;
	int fd[64], per = n / nparts;
	long thp0 = 0, t0 = 0;
	double ci = 0, cr = 0;

	spawn(&wl, n, bytes / n / psz, unique_pct, flags, -1, 2);
	r.target = (long)wl.shared * (per - 1) * nparts;
	if (flags & SP_THP)
		thp0 = wl_thp_kb(&wl);
	open_parts(fd, nparts, 0600);
	timeline(cas, 0, 0);
	t0 = touched_sum(n);
	if (!reads)
		mark();
	merge_all(&wl, fd, per, tl ? cas : NULL, &r);
	if (!reads)
		mark();
	if (flags & SP_WRITER)
		t0 = touched_sum(n) - t0;
	/* c: the CPU after the merge, then after one read of the counters */
	if (idle && idle_secs)
		ci = idle_cpu();
	part_totals(nparts, &r);
	if (idle && idle_secs)
		cr = idle_cpu();
	print_sync(cas, bytes, n, nparts, &r);
	if (flags & SP_THP)
		printf(" thp_kb %ld thp_after_kb %ld", thp0, wl_thp_kb(&wl));
	if (flags & SP_WRITER)
		printf(" touched %ld", t0);
	if (reads) {
		/* -M: the profile of case l is that of the reads */
		mark();
		print_read_latencies("bench0", wl.pid[0]);
		mark();
	}
	if (idle && idle_secs)
		printf(" idle_cpu %.3f idle_read_cpu %.3f idle_secs %d", ci, cr, idle_secs);
	printf(" # %s\n", what);
	reap(&wl);
	close_parts(fd, nparts);
}

/*
 * r0, r1, r2: a synchronous merge of bytes; r1 with an unprivileged reader
 * of the counters running beside it, r2 with the same reader of a plain
 * knob (sleep_millisecs) instead: the control, as busy as r1's reader, for
 * what a spinning process costs the merge by itself on this machine (the
 * vCPUs are threads of a loaded host). The workload processes belong to
 * nobody (the reader may read their ksm_stat), the partition is mode 0644
 * (it may read its counters).
 */
static void run_reader(const char *cas, size_t bytes, int n, int unique_pct,
		       int with_reader)
{
	static const char *const what[] = {
		"without a reader", "with an unprivileged reader of the counters",
		"with an unprivileged reader of a plain knob (control)",
	};
	static volatile long *reads;
	struct workload wl;
	struct sync_result r;
	pid_t reader = -1;
	double t0;
	long r0 = 0, errs;
	int fd[1];

	if (!reads) {
		reads = mmap(NULL, psz, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (reads == MAP_FAILED)
			die("mmap");
	}
	reads[0] = reads[1] = reads[2] = 0;
	spawn(&wl, n, bytes / n / psz, unique_pct, SP_NOBODY, -1, 5);
	r.target = achievable(&wl);
	open_parts(fd, 1, 0644);
	if (with_reader) {
		reader = fork();
		if (reader < 0)
			die("fork");
		if (!reader) {
			char paths[3][128], buf[4096];
			int f[3], k;

			close(fd[0]);
			if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
			    setresuid(NOBODY, NOBODY, NOBODY))
				die("setresuid(nobody)");
			snprintf(paths[0], sizeof(paths[0]), KSM "pages_sharing");
			snprintf(paths[1], sizeof(paths[1]), KSM "partition/bench0/pages_sharing");
			snprintf(paths[2], sizeof(paths[2]), "/proc/%d/ksm_stat", wl.pid[0]);
			if (with_reader == 2)
				for (k = 0; k < 3; k++)
					snprintf(paths[k], sizeof(paths[k]), KSM "sleep_millisecs");
			for (k = 0; k < 3; k++)
				f[k] = open(paths[k], O_RDONLY);
			reads[2] = 1;	/* started */
			for (;;) {
				for (k = 0; k < 3; k++) {
					if (f[k] < 0 || pread(f[k], buf, sizeof(buf), 0) < 0)
						reads[1]++;
					else
						reads[0]++;
				}
			}
		}
		while (!reads[2])
			usleep(1000);
		r0 = reads[0];
	}
	/* -M: the profile of case r is that of the merge beside the counter reader */
	if (with_reader == 1)
		mark();
	t0 = now();
	merge_all(&wl, fd, n, NULL, &r);
	t0 = now() - t0;
	if (with_reader == 1)
		mark();
	r0 = reads[0] - r0;
	errs = reads[1];
	if (reader > 0) {
		kill(reader, SIGKILL);
		waitpid(reader, NULL, 0);
	}
	part_totals(1, &r);
	print_sync(cas, bytes, n, 1, &r);
	printf(" reader %d reads %ld read_errors %ld reads_per_s %.1f # synchronous merge %s\n",
	       with_reader, r0, errs, t0 > 0 ? r0 / t0 : 0, what[with_reader]);
	reap(&wl);
	close_parts(fd, 1);
}

static void part_set(const char *name, const char *file, long val)
{
	char rel[96];

	snprintf(rel, sizeof(rel), "partition/%s/%s", name, file);
	ksm_set(rel, val);
}

static long part_get(const char *name, const char *file)
{
	char rel[96];

	snprintf(rel, sizeof(rel), "partition/%s/%s", name, file);
	return ksm_get(rel);
}

/*
 * e, f: the partition's background scan merges n processes that joined it,
 * up to 99% of the achievable pages_sharing, sampled every 100 ms only
 * (reading it may prune under the partition's lock, holding the scan up).
 * s* (!report): up to the end of the first full pass instead, watched
 * through full_scans, which does not prune. Wall and CPU (every CPU's busy
 * time but this process's) to that point (wall -1: not reached) and the
 * pages scanned by then.
 */
static void run_scan(const char *cas, const char *what, size_t bytes, int n,
		     int unique_pct, int flags, long pages_to_scan, long sleep_ms,
		     double limit, int report)
{
	const char *name = "bench-scan";
	struct workload wl;
	double t0, c0, t99 = -1, c99 = 0, ci = -1, last = -1;
	long target, ps = 0, scanned = -1, thp0;
	int fd;

	syscall(NR_ksm_unlink, name);
	fd = syscall(NR_ksm_open, name, O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		die("ksm_open");
	spawn(&wl, n, bytes / n / psz, unique_pct, flags, fd, 4);
	target = achievable(&wl);
	thp0 = wl_thp_kb(&wl);
	part_set(name, "pages_to_scan", pages_to_scan);
	part_set(name, "sleep_millisecs", sleep_ms);
	c0 = others_cpu();
	mark();
	t0 = now();
	part_set(name, "run", 1);
	while (!report && now() - t0 < limit) {
		if (part_get(name, "full_scans") >= 1) {
			mark();
			t99 = now() - t0;
			c99 = others_cpu() - c0;
			scanned = part_get(name, "pages_scanned");
			break;
		}
		usleep(10000);
	}
	while (report && now() - t0 < limit) {
		double t = now() - t0;

		ps = part_get(name, "pages_sharing");
		if (t - last >= 0.2 || ps >= target * 99 / 100) {
			timeline(cas, t, ps);
			last = t;
		}
		if (ps >= target * 99 / 100) {
			mark();
			t99 = now() - t0;
			c99 = others_cpu() - c0;
			scanned = part_get(name, "pages_scanned");
			break;
		}
		usleep(100000);
	}
	if (t99 < 0) {
		mark();
		c99 = others_cpu() - c0;
	}
	if (report && idle_secs) {
		ci = idle_cpu();
		timeline(cas, now() - t0, part_get(name, "pages_sharing"));
	}
	printf("run %s %d wall %.3f cpu %.3f merged %ld target %ld bytes %zu scanned %ld us_per_page %.3f",
	       cas, rep, t99, c99, report ? ps : part_get(name, "pages_sharing"),
	       target, bytes, scanned, scanned > 0 ? c99 * 1e6 / scanned : 0);
	if (report && idle_secs)
		printf(" idle_cpu %.3f idle_secs %d", ci, idle_secs);
	if (flags & SP_THP)
		printf(" thp_kb %ld thp_after_kb %ld", thp0, wl_thp_kb(&wl));
	printf(" # %s\n", what);
	part_set(name, "run", 0);
	reap(&wl);
	close(fd);
	syscall(NR_ksm_unlink, name);
}

/* d: read every byte of the workload from the processes and hash each page */
static void run_hash(size_t bytes, int n, int unique_pct)
{
	struct workload wl;
	size_t bufsz = 1 * MIB, off, i;
	char *buf = malloc(bufsz);
	double w0, c0, wall, cpu;
	uint64_t h = 0;
	int k;

	spawn(&wl, n, bytes / n / psz, unique_pct, 0, -1, 3);
	w0 = now();
	c0 = thread_cpu();
	for (k = 0; k < wl.n; k++) {
		for (off = 0; off < wl.pages * psz; off += bufsz) {
			struct iovec local = { buf, bufsz };
			struct iovec remote = { (void *)(wl.addr[k] + off), bufsz };

			if (process_vm_readv(wl.pid[k], &local, 1, &remote, 1, 0) != (ssize_t)bufsz)
				die("process_vm_readv");
			for (i = 0; i < bufsz; i += psz)
				h ^= XXH3_64bits(buf + i, psz);
		}
	}
	cpu = thread_cpu() - c0;
	wall = now() - w0;
	printf("run d %d wall %.3f cpu %.3f bytes %zu # read and hash every page once (process_vm_readv + XXH3_64bits), checksum %016llx\n",
	       rep, wall, cpu, bytes, (unsigned long long)h);
	reap(&wl);
	free(buf);
}

static void thp_config(void)
{
	char buf[128] = "";
	int fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	printf("config thp_enabled %s\n", n > 0 ? buf : "(none)");
}

int main(int argc, char **argv)
{
	unsigned long size = 256, asize = 0, maxsize = 2048, maxparts = 64, readmib = 1024;
	long saved_pts, saved_sleep, saved_run;
	int n = 4, unique = 10, repeat = 3, opt;
	const char *only = "abcdefghijtukrzlps";

	while ((opt = getopt(argc, argv, "s:n:u:a:S:P:R:r:i:m:qMh")) != -1) {
		switch (opt) {
		case 's': size = strtoul(optarg, NULL, 0); break;
		case 'n': n = atoi(optarg); break;
		case 'u': unique = atoi(optarg); break;
		case 'a': asize = strtoul(optarg, NULL, 0); break;
		case 'S': maxsize = strtoul(optarg, NULL, 0); break;
		case 'P': maxparts = strtoul(optarg, NULL, 0); break;
		case 'R': readmib = strtoul(optarg, NULL, 0); break;
		case 'r': repeat = atoi(optarg); break;
		case 'i': idle_secs = atoi(optarg); break;
		case 'm': only = optarg; break;
		case 'q': no_timeline = 1; break;
		case 'M': profile_marks = 1; break;
		default:
			printf("usage: ksm-bench [-s MIB (256)] [-n NPROC (4)] [-u UNIQUE%% (10)]\n"
			       "                 [-a MIB: size for ksmd defaults (= -s)]\n"
			       "                 [-S MAXMIB (2048)] [-P MAXPARTS (64)]\n"
			       "                 [-R READMIB: merged size for the read latencies (1024)]\n"
			       "                 [-r REPEAT (3)] [-i IDLE seconds (5; 0: not measured)]\n"
			       "                 [-m CASES: only these of abcdefghijtuknrzlps (all but n)]\n"
			       "                 [-q: no timeline lines (a, b, e, f read pages_sharing for them)]\n"
			       "                 [-M: call getpgid() before and after the measured work (bench/profile)]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (n < 2 || n > MAXPROC || maxparts > 64 || repeat < 1 || idle_secs < 0) {
		fprintf(stderr, "ksm-bench: 2 <= NPROC <= %d, MAXPARTS <= 64, REPEAT >= 1, IDLE >= 0\n",
			MAXPROC);
		return 2;
	}
	if (!asize)
		asize = size;
	psz = sysconf(_SC_PAGESIZE);
	if (access(KSM "partition", F_OK)) {
		fprintf(stderr, "ksm-bench: no Selective KSM in this kernel\n");
		return 4;
	}
	find_ksmd();
	touched = mmap(NULL, MAXPROC * sizeof(long), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (touched == MAP_FAILED)
		die("mmap");
	setvbuf(stdout, NULL, _IOLBF, 0);
	calibrate();
	saved_pts = ksm_get("pages_to_scan");
	saved_sleep = ksm_get("sleep_millisecs");
	saved_run = ksm_get("run");
	printf("config size_mib %lu nproc %d unique_pct %d ksmd_default_size_mib %lu page %ld repeat %d idle_secs %d max_mib %lu read_mib %lu cases %s\n",
	       size, n, unique, asize, psz, repeat, idle_secs, maxsize, readmib, only);
	thp_config();
	{
		struct utsname u;

		if (!uname(&u))
			printf("config kernel %s %s\n", u.release, u.version);
	}
	{
		struct timespec rm, rc;

		clock_getres(CLOCK_MONOTONIC, &rm);
		clock_getres(CLOCK_THREAD_CPUTIME_ID, &rc);
		printf("config tsc_mhz %.1f monotonic_res_ns %ld cputime_res_ns %ld\n",
		       tsc_hz / 1e6, rm.tv_nsec, rc.tv_nsec);
	}

#define WANT(c) strchr(only, (c))
	for (rep = 1; rep <= repeat; rep++) {
		char cas[32];

		fprintf(stderr, "ksm-bench: repetition %d of %d\n", rep, repeat);
		if (WANT('a'))
			run_ksmd("a", "ksmd, default settings (pages_to_scan 100, sleep_millisecs 20)",
				 asize * MIB, n, unique, 100, 20, 600, 0, 1);
		if (WANT('b'))
			run_ksmd("b", "ksmd at full speed (pages_to_scan 20000, sleep_millisecs 0)",
				 size * MIB, n, unique, 20000, 0, 600, 0, 1);
		if (WANT('c'))
			run_sync("c", "synchronous merge into a partition (ksm_merge)",
				 size * MIB, n, 1, unique, 0, 1, 1, 0);
		if (WANT('d'))
			run_hash(size * MIB, n, unique);
		if (WANT('e'))
			run_scan("e", "the partition's background scan at full speed (pages_to_scan 20000, sleep_millisecs 0)",
				 size * MIB, n, unique, 0, 20000, 0, 600, 1);
		if (WANT('f'))
			run_scan("f", "the partition's background scan, default settings (pages_to_scan 100, sleep_millisecs 20)",
				 asize * MIB, n, unique, 0, 100, 20, 600, 1);
		if (WANT('g'))
			run_sync("g", "synchronous merge of a running guest (1% of the pages written per second)",
				 size * MIB, n, 1, unique, SP_WRITER, 0, 0, 0);
		if (WANT('h'))
			run_sync("h", "synchronous merge of THP-backed memory (MADV_HUGEPAGE)",
				 size * MIB, n, 1, unique, SP_THP, 0, 0, 0);
		if (WANT('i'))
			run_ksmd("i", "ksmd at full speed, THP-backed memory (MADV_HUGEPAGE)",
				 size * MIB, n, unique, 20000, 0, 600, SP_THP, 0);
		if (WANT('j'))
			run_sync("j", "synchronous merge of THP-backed memory, 1/16 of each THP shared",
				 size * MIB, n, 1, unique, SP_THP | SP_SPARSE, 0, 0, 0);
		if (WANT('t'))
			run_ksmd("t", "ksmd at full speed, THP-backed memory, 1/16 of each THP shared",
				 size * MIB, n, unique, 20000, 0, 600, SP_THP | SP_SPARSE, 0);
		if (WANT('u'))
			run_scan("u", "the partition's scan to its first full pass, THP-backed memory, 1/16 of each THP shared (pages_to_scan 100, sleep_millisecs 0)",
				 size * MIB, n, unique, SP_THP | SP_SPARSE, 100, 0, 600, 0);
		if (WANT('n')) {
			struct workload wl;

			spawn(&wl, n, size * MIB / n / psz, unique, 0, -1, 6);
			reap(&wl);
			printf("run n %d bytes %lu # workload created and destroyed, nothing merged (profile baseline)\n",
			       rep, size * MIB);
		}
		if (WANT('k') && idle_secs)
			printf("run k %d idle_cpu %.3f idle_secs %d # nothing running (baseline)\n",
			       rep, idle_cpu(), idle_secs);
		/* r0 r1 r2, then r1 r2 r0, r2 r0 r1, ... */
		for (int k = 0; WANT('r') && k < 3; k++) {
			int kind = (rep - 1 + k) % 3;

			snprintf(cas, sizeof(cas), "r%d", kind);
			run_reader(cas, size * MIB, n, unique, kind);
		}
		for (unsigned long s = 64; s <= maxsize; s *= 2) {
			int reads = WANT('l') && s == readmib;

			if (!WANT('z') && !reads)
				continue;
			snprintf(cas, sizeof(cas), "z%lu", s);
			run_sync(cas, "synchronous merge, one partition", s * MIB, n, 1,
				 unique, 0, 0, 0, WANT('z') || reads);
		}
		if (WANT('l') && (readmib > maxsize || (readmib & (readmib - 1)) || readmib < 64)) {
			snprintf(cas, sizeof(cas), "z%lu", readmib);
			run_sync(cas, "synchronous merge, one partition", readmib * MIB, n, 1,
				 unique, 0, 0, 0, 1);
		}
		for (unsigned long p = 1; WANT('p') && p <= maxparts; p *= 2) {
			snprintf(cas, sizeof(cas), "p%lu", p);
			/* the same 4 processes per partition */
			run_sync(cas, "synchronous merge, 4 processes per partition",
				 size * MIB, 4 * p, p, unique, 0, 0, 0, 0);
		}
		for (unsigned long s = 64; WANT('s') && s <= 1024; s *= 4) {
			snprintf(cas, sizeof(cas), "s%lu", s);
			run_scan(cas, "the partition's scan to its first full pass (pages_to_scan 100, sleep_millisecs 0)",
				 s * MIB, n, unique, 0, 100, 0, 600, 0);
		}
	}

	ksm_set("pages_to_scan", saved_pts);
	ksm_set("sleep_millisecs", saved_sleep);
	ksm_set("run", saved_run);
	return 0;
}
