// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksm-bench: Selective KSM against ksmd and against the read-and-hash
 * limit, on one workload, in one boot of the patched kernel (run by
 * `make bench` through tests/vm/vm-run; needs root).
 *
 * Workload: NPROC processes of SIZE/NPROC each; every page is distinct
 * within a process and identical across processes, except UNIQUE% of each
 * process's pages, which are unique (as in the issue: 10%). Achievable
 * pages_sharing is therefore (NPROC - 1) * shared pages per process.
 *
 * Modes, each on a fresh workload:
 *   a  ksmd, default settings (pages_to_scan 100, sleep_millisecs 20),
 *      processes opted in with PR_SET_MEMORY_MERGE
 *   b  ksmd at full speed (pages_to_scan 20000, sleep_millisecs 0)
 *   c  synchronous merge into one partition with ksm_merge(), range by
 *      range (CHUNK) so that pages_sharing can be sampled between calls
 *   d  the limit: one pass that reads the same bytes (process_vm_readv)
 *      and hashes every page (XXH3_64bits from Debian's libxxhash)
 *   e  the partition's own background scan at full speed (pages_to_scan
 *      20000, sleep_millisecs 0), processes joined with
 *      prctl(PR_SET_KSM_PARTITION) before they map their memory
 *   f  the same at the scan's defaults (pages_to_scan 100,
 *      sleep_millisecs 20), on ksmd-default's size
 * For a, b, c, e, f: wall time and CPU time (ksmd's, the calling thread's,
 * or for e and f every CPU's busy time but the bench's own) to reach 99% of
 * the achievable pages_sharing, pages merged, and CPU used in the 10 s after
 * convergence. Then scaling of c: total size from 64 MiB to 1 GiB with one
 * partition, and 1 to 64 partitions (4 processes each) at a fixed total;
 * and of the background scan with its default batch (pages_to_scan 100,
 * sleep_millisecs 0: CPU-bound) from 64 MiB to 1 GiB, whose cost per page
 * must not grow with the size of a member.
 *
 * Output: lines "result ...", "timeline MODE SECONDS PAGES_SHARING",
 * "scale-size ...", "scale-parts ..." and "scale-scan ..." for bench/report to turn into
 * Markdown and a plot.
 *
 *   ksm-bench [-s MIB] [-n NPROC] [-u PCT] [-a MIB] [-S MAXMIB] [-P MAXPARTS]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#include <sys/wait.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#endif
#include "../tests/lib/ksm_abi.h"

#define KSM "/sys/kernel/mm/ksm/"
#define MIB (1024UL * 1024)
#define MAXPROC 256
#define CHUNK (8 * MIB)

static long psz;

static void die(const char *what)
{
	fprintf(stderr, "ksm-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
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

struct workload {
	int n;
	size_t pages, shared;	/* per process */
	pid_t pid[MAXPROC];
	unsigned long addr[MAXPROC];
};

static void fill(char *p, size_t pages, size_t shared, unsigned long seed)
{
	size_t i, j;

	for (i = 0; i < pages; i++) {
		uint64_t *w = (uint64_t *)(p + i * psz);
		uint64_t x = i < shared ? i + 1 : (seed << 32) + i + 1;

		for (j = 0; j < (size_t)psz / 8; j++)
			w[j] = (x + j) * 0x9e3779b97f4a7c15ULL;
	}
}

/*
 * n processes of pages each; merge_any: PR_SET_MEMORY_MERGE first;
 * join_fd >= 0: join that partition first (PR_SET_KSM_PARTITION)
 */
static void spawn(struct workload *wl, int n, size_t pages, int unique_pct,
		  int merge_any, int join_fd, unsigned long seed)
{
	int i;

	wl->n = n;
	wl->pages = pages;
	wl->shared = pages - pages * unique_pct / 100;
	for (i = 0; i < n; i++) {
		int fds[2];
		pid_t pid;

		if (pipe(fds))
			die("pipe");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid) {
			unsigned long a;
			char *p;

			close(fds[0]);
			if (merge_any && prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0))
				die("PR_SET_MEMORY_MERGE");
			if (join_fd >= 0 &&
			    prctl(PR_SET_KSM_PARTITION, join_fd, 0, 0, 0))
				die("PR_SET_KSM_PARTITION");
			p = mmap(NULL, pages * psz, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				die("mmap");
			madvise(p, pages * psz, MADV_NOHUGEPAGE);
			fill(p, pages, wl->shared, seed * MAXPROC + i + 1);
			a = (unsigned long)p;
			if (write(fds[1], &a, sizeof(a)) != sizeof(a))
				_exit(1);
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

/* ------------------------------------------------------------ modes */

static void idle10(const char *mode, double *ksmd_idle, double *self_idle)
{
	double k0 = ksmd_cpu(), s0 = thread_cpu();

	sleep(10);
	*ksmd_idle = ksmd_cpu() - k0;
	*self_idle = thread_cpu() - s0;
	(void)mode;
}

static void result(const char *mode, const char *what, size_t bytes, long target,
		   long reached, double wall, double cpu, double ksmd_idle,
		   double self_idle)
{
	printf("result %s wall99 %.3f cpu99 %.3f merged %ld target %ld bytes %zu idle_ksmd %.3f idle_self %.3f # %s\n",
	       mode, wall, cpu, reached, target, bytes, ksmd_idle, self_idle, what);
	fflush(stdout);
}

/* a, b: ksmd merges the global domain */
static void run_ksmd(const char *mode, const char *what, size_t bytes, int n,
		     int unique_pct, long pages_to_scan, long sleep_ms, double limit)
{
	struct workload wl;
	double t0, k0, t99 = -1, k99 = 0, ki, si, last = -1;
	long target, ps = 0;

	ksm_set("run", 2);
	ksm_set("run", 0);
	spawn(&wl, n, bytes / n / psz, unique_pct, 1, -1, 1);
	target = achievable(&wl);
	ksm_set("pages_to_scan", pages_to_scan);
	ksm_set("sleep_millisecs", sleep_ms);
	k0 = ksmd_cpu();
	t0 = now();
	ksm_set("run", 1);
	while (now() - t0 < limit) {
		double t = now() - t0;

		ps = ksm_get("pages_sharing");
		if (t - last >= 0.2 || ps >= target * 99 / 100) {
			printf("timeline %s %.3f %ld\n", mode, t, ps);
			last = t;
		}
		if (ps >= target * 99 / 100) {
			t99 = t;
			k99 = ksmd_cpu() - k0;
			break;
		}
		usleep(20000);
	}
	if (t99 < 0)
		k99 = ksmd_cpu() - k0;
	idle10(mode, &ki, &si);
	printf("timeline %s %.3f %ld\n", mode, now() - t0, ksm_get("pages_sharing"));
	result(mode, what, bytes, target, ps, t99, k99, ki, si);
	ksm_set("run", 2);
	reap(&wl);
	ksm_set("run", 0);
}

/*
 * c: synchronous merge into nparts partitions of n / nparts processes;
 * returns wall and CPU time of the merge calls alone.
 */
static void run_sync(const char *mode, size_t bytes, int n, int nparts,
		     int unique_pct, int timeline, double *wallp, double *cpup,
		     long *mergedp, long *targetp, long *scannedp)
{
	struct workload wl;
	double wall = 0, cpu = 0, w0, c0;
	long sharing = 0, target, scanned = 0;
	int fd[64], i, p, per = n / nparts;
	char name[32], path[128];
	unsigned long off;

	spawn(&wl, n, bytes / n / psz, unique_pct, 0, -1, 2);
	/* what is achievable per partition */
	target = (long)wl.shared * (per - 1) * nparts;
	for (p = 0; p < nparts; p++) {
		snprintf(name, sizeof(name), "bench%d", p);
		syscall(NR_ksm_unlink, name);
		fd[p] = syscall(NR_ksm_open, name, O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd[p] < 0)
			die("ksm_open");
	}
	if (timeline)
		printf("timeline %s 0.000 0\n", mode);
	for (i = 0; i < n; i++) {
		int pidfd = syscall(SYS_pidfd_open, wl.pid[i], 0);

		if (pidfd < 0)
			die("pidfd_open");
		p = i / per;
		for (off = 0; off < wl.pages * psz; off += CHUNK) {
			size_t len = wl.pages * psz - off < CHUNK ? wl.pages * psz - off : CHUNK;

			w0 = now();
			c0 = thread_cpu();
			if (syscall(NR_ksm_merge, fd[p], pidfd, wl.addr[i] + off, len, 0) < 0)
				die("ksm_merge");
			cpu += thread_cpu() - c0;
			wall += now() - w0;
			if (timeline) {
				snprintf(path, sizeof(path), KSM "partition/bench%d/pages_sharing", p);
				sharing = read_long(path);
				printf("timeline %s %.3f %ld\n", mode, wall, sharing);
			}
		}
		close(pidfd);
	}
	sharing = 0;
	for (p = 0; p < nparts; p++) {
		snprintf(path, sizeof(path), KSM "partition/bench%d/pages_sharing", p);
		sharing += read_long(path);
		snprintf(path, sizeof(path), KSM "partition/bench%d/pages_scanned", p);
		scanned += read_long(path);
	}
	*wallp = wall;
	*cpup = cpu;
	*mergedp = sharing;
	*targetp = target;
	*scannedp = scanned;
	if (!strcmp(mode, "c")) {
		double ki, si;

		idle10(mode, &ki, &si);
		result(mode, "synchronous merge into a partition (ksm_merge)", bytes,
		       target, sharing, wall, cpu, ki, si);
	}
	reap(&wl);
	for (p = 0; p < nparts; p++) {
		snprintf(name, sizeof(name), "bench%d", p);
		close(fd[p]);
		syscall(NR_ksm_unlink, name);
	}
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
 * up to 99% of the achievable pages_sharing, sampled every 100 ms only:
 * reading it prunes the partition's stale items under the partition's
 * lock, which holds the scan up. scale-scan (!report): up to the end of
 * the first full pass instead, watched through full_scans, which does not
 * prune. Returns wall and CPU (every CPU's busy time but this process's)
 * to that point (wall -1: not reached) and the pages scanned by then.
 */
static void run_scan(const char *mode, const char *what, size_t bytes, int n,
		     int unique_pct, long pages_to_scan, long sleep_ms,
		     double limit, int report, double *wallp, double *cpup,
		     long *scannedp, long *mergedp, long *targetp)
{
	const char *name = "bench-scan";
	struct workload wl;
	double t0, c0, t99 = -1, c99 = 0, ci = 0, last = -1;
	long target, ps = 0, scanned = -1;
	int fd;

	syscall(NR_ksm_unlink, name);
	fd = syscall(NR_ksm_open, name, O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		die("ksm_open");
	spawn(&wl, n, bytes / n / psz, unique_pct, 0, fd, 4);
	target = achievable(&wl);
	part_set(name, "pages_to_scan", pages_to_scan);
	part_set(name, "sleep_millisecs", sleep_ms);
	c0 = others_cpu();
	t0 = now();
	part_set(name, "run", 1);
	while (!report && now() - t0 < limit) {
		if (part_get(name, "full_scans") >= 1) {
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
		if (report && (t - last >= 0.2 || ps >= target * 99 / 100)) {
			printf("timeline %s %.3f %ld\n", mode, t, ps);
			last = t;
		}
		if (ps >= target * 99 / 100) {
			t99 = now() - t0;
			c99 = others_cpu() - c0;
			scanned = part_get(name, "pages_scanned");
			break;
		}
		usleep(100000);
	}
	if (t99 < 0)
		c99 = others_cpu() - c0;
	if (report) {
		double s0 = thread_cpu();

		c0 = others_cpu();
		sleep(10);
		ci = others_cpu() - c0;
		printf("timeline %s %.3f %ld\n", mode, now() - t0,
		       part_get(name, "pages_sharing"));
		result(mode, what, bytes, target, ps, t99, c99, ci,
		       thread_cpu() - s0);
	}
	*wallp = t99;
	*cpup = c99;
	*scannedp = scanned;
	*mergedp = part_get(name, "pages_sharing");
	*targetp = target;
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
	printf("result d wall99 %.3f cpu99 %.3f merged 0 target 0 bytes %zu idle_ksmd 0 idle_self 0 # read and hash every page once (process_vm_readv + XXH3_64bits), checksum %016llx\n",
	       wall, cpu, bytes, (unsigned long long)h);
	fflush(stdout);
	reap(&wl);
	free(buf);
}

int main(int argc, char **argv)
{
	unsigned long size = 256, asize = 0, maxsize = 1024, maxparts = 64;
	long saved_pts, saved_sleep, saved_run;
	int n = 4, unique = 10, opt;
	const char *only = "abcdefzps";
	double wall, cpu;
	long merged, target, scanned;

	while ((opt = getopt(argc, argv, "s:n:u:a:S:P:m:h")) != -1) {
		switch (opt) {
		case 's': size = strtoul(optarg, NULL, 0); break;
		case 'n': n = atoi(optarg); break;
		case 'u': unique = atoi(optarg); break;
		case 'a': asize = strtoul(optarg, NULL, 0); break;
		case 'S': maxsize = strtoul(optarg, NULL, 0); break;
		case 'P': maxparts = strtoul(optarg, NULL, 0); break;
		case 'm': only = optarg; break;
		default:
			printf("usage: ksm-bench [-s MIB (256)] [-n NPROC (4)] [-u UNIQUE%% (10)]\n"
			       "                 [-a MIB: size for ksmd defaults (= -s)]\n"
			       "                 [-S MAXMIB (1024)] [-P MAXPARTS (64)]\n"
			       "                 [-m PARTS: only these of abcdef, z (size scaling),\n"
			       "                  p (partition scaling), s (scan scaling); default all]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (n < 2 || n > MAXPROC || maxparts > 64) {
		fprintf(stderr, "ksm-bench: 2 <= NPROC <= %d, MAXPARTS <= 64\n", MAXPROC);
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
	setvbuf(stdout, NULL, _IOLBF, 0);
	saved_pts = ksm_get("pages_to_scan");
	saved_sleep = ksm_get("sleep_millisecs");
	saved_run = ksm_get("run");
	printf("config size_mib %lu nproc %d unique_pct %d ksmd_default_size_mib %lu page %ld\n",
	       size, n, unique, asize, psz);

#define WANT(c) strchr(only, (c))
	if (WANT('a'))
		run_ksmd("a", "ksmd, default settings (pages_to_scan 100, sleep_millisecs 20)",
		 asize * MIB, n, unique, 100, 20, 600);
	if (WANT('b'))
		run_ksmd("b", "ksmd at full speed (pages_to_scan 20000, sleep_millisecs 0)",
		 size * MIB, n, unique, 20000, 0, 600);
	if (WANT('c'))
		run_sync("c", size * MIB, n, 1, unique, 1, &wall, &cpu, &merged, &target, &scanned);
	if (WANT('d'))
		run_hash(size * MIB, n, unique);
	if (WANT('e'))
		run_scan("e", "the partition's background scan at full speed (pages_to_scan 20000, sleep_millisecs 0)",
		 size * MIB, n, unique, 20000, 0, 600, 1, &wall, &cpu, &scanned, &merged, &target);
	if (WANT('f'))
		run_scan("f", "the partition's background scan, default settings (pages_to_scan 100, sleep_millisecs 20)",
		 asize * MIB, n, unique, 100, 20, 600, 1, &wall, &cpu, &scanned, &merged, &target);

	for (unsigned long s = 64; WANT('z') && s <= maxsize; s *= 2) {
		run_sync("scale", s * MIB, n, 1, unique, 0, &wall, &cpu, &merged, &target, &scanned);
		printf("scale-size mib %lu parts 1 nproc %d wall %.3f cpu %.3f merged %ld target %ld scanned %ld us_per_page %.3f\n",
		       s, n, wall, cpu, merged, target, scanned, cpu * 1e6 / scanned);
	}
	for (unsigned long p = 1; WANT('p') && p <= maxparts; p *= 2) {
		int np = 4 * p;	/* the same 4 processes per partition */

		run_sync("parts", size * MIB, np, p, unique, 0, &wall, &cpu, &merged, &target, &scanned);
		printf("scale-parts mib %lu parts %lu nproc %d wall %.3f cpu %.3f merged %ld target %ld scanned %ld us_per_page %.3f\n",
		       size, p, np, wall, cpu, merged, target, scanned, cpu * 1e6 / scanned);
	}

	for (unsigned long s = 64; WANT('s') && s <= maxsize; s *= 4) {
		run_scan("scale-scan", "", s * MIB, n, unique, 100, 0, 600, 0,
			 &wall, &cpu, &scanned, &merged, &target);
		printf("scale-scan mib %lu parts 1 nproc %d wall %.3f cpu %.3f scanned %ld merged %ld target %ld us_per_page %.3f\n",
		       s, n, wall, cpu, scanned, merged, target,
		       scanned > 0 ? cpu * 1e6 / scanned : 0);
	}

	ksm_set("pages_to_scan", saved_pts);
	ksm_set("sleep_millisecs", saved_sleep);
	ksm_set("run", saved_run);
	return 0;
}
