// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksm_stress: nothing written is ever lost while Selective KSM merges,
 * unmerges and removes partitions under the writers' feet.
 *
 * NPROC worker processes each hold NPAGES pages and run NTHREADS writer
 * threads. A page's content is a pure function of (page index, value), and
 * values cycle among 4, so that the pages of different workers (and pages
 * of one worker) are often identical and really get merged. Each thread
 * owns the pages i % NTHREADS == t and keeps a shadow record of the value it
 * last wrote to each: before every write it checks that the page still
 * holds exactly that content (a lost or torn write is counted), then writes
 * a new value, then records it. A fork thread in each worker stops the
 * writers now and then, forks, and the child checks its copy-on-write view
 * of every page against the shadow, writes its own values, checks them
 * again and exits; the parent checks afterwards that the child's writes did
 * not reach it.
 *
 * Every other worker joins the partition for its whole address space when
 * it starts (prctl(PR_SET_KSM_PARTITION)), and the partition's background
 * scan runs flat out (pages_to_scan 128, sleep_millisecs 0), so the scan
 * races the writers, forks and exits of its members and the explicit
 * merges and unmerges of the main process, which also stops and restarts
 * it. When the partition is replaced, the joined workers leave the old one
 * and join the new one by name.
 *
 * Meanwhile the main process loops over: merging a random worker (whole
 * address space) into the partition, unmerging one, removing the partition
 * and creating a fresh one under the same name (members of the old one are
 * unmerged from it through its still-open fd before they can join the new
 * one), and killing a worker (it checks all its pages first) and starting
 * a new one.
 *
 * All along, a checker process runs the isolation invariant over every
 * process (tests/lib/ksm_invariant.h): no KSM page mapped from two domains,
 * or from a process in none, at any of its passes.
 *
 * At the end every worker checks every page. Result: 0 lost or torn writes,
 * 0 bad copy-on-write views, 0 invariant violations; the counts of merges (and pages merged),
 * unmerges, removals, forks, exits and background passes show that
 * something was stressed.
 *
 *   ksm_stress [-d SECONDS (60)] [-p NPROC (4)] [-n NPAGES (512)] [-t NTHREADS (2)]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "ksft.h"
#include "../../lib/ksm_test_util.h"
#include "../../lib/ksm_invariant.h"

#define NR_ksm_open	990
#define NR_ksm_merge	991
#define NR_ksm_unmerge	992
#define NR_ksm_unlink	993
#define KSM_MERGE_ALL	1U
#ifndef SYS_pidfd_open
#define SYS_pidfd_open	434
#endif
#define PR_SET_KSM_PARTITION 0x4b534d50
#define PART "hb_stress"
#define MAXPROC 16
#define MAXTHREADS 8

static long psz;
static size_t npages = 512;
static int nthreads = 2;

/* ------------------------------------------------------------ worker */

struct shared_stats {		/* in a MAP_SHARED page, one per worker */
	atomic_long writes, lost, forks, cow_bad, rejoins, join_err;
};

static char *mem;
static uint8_t *shadow;		/* last value written to each page */
static struct shared_stats *st;
static pthread_rwlock_t fork_lock = PTHREAD_RWLOCK_INITIALIZER;
static atomic_int stop;

static void fill(char *p, size_t i, unsigned int v)
{
	uint64_t *w = (uint64_t *)p;

	for (size_t j = 0; j < (size_t)psz / 8; j++)
		w[j] = (i * 4 + v + 1) * 0x9e3779b97f4a7c15ULL + j;
}

static int check(const char *p, size_t i, unsigned int v)
{
	const uint64_t *w = (const uint64_t *)p;

	for (size_t j = 0; j < (size_t)psz / 8; j++)
		if (w[j] != (i * 4 + v + 1) * 0x9e3779b97f4a7c15ULL + j)
			return 0;
	return 1;
}

/* pages i with i % 64 < 32 share their index with every worker */
static size_t page_key(size_t i, unsigned int seed)
{
	return i % 64 < 32 ? i : i + seed * npages;
}

static unsigned int seed;

static void *writer(void *arg)
{
	unsigned int t = (uintptr_t)arg, r = seed * 7919 + t;

	while (!atomic_load(&stop)) {
		size_t i = (rand_r(&r) % (npages / nthreads)) * nthreads + t;
		unsigned int v = rand_r(&r) % 4;

		pthread_rwlock_rdlock(&fork_lock);
		if (!check(mem + i * psz, page_key(i, seed), shadow[i]))
			atomic_fetch_add(&st->lost, 1);
		fill(mem + i * psz, page_key(i, seed), v);
		shadow[i] = v;
		atomic_fetch_add(&st->writes, 1);
		pthread_rwlock_unlock(&fork_lock);
		/* a few thousand writes a second: merges live long enough to be raced */
		if (rand_r(&r) % 2)
			usleep(500);
	}
	return NULL;
}

static long check_all(void)
{
	long bad = 0;

	for (size_t i = 0; i < npages; i++)
		bad += !check(mem + i * psz, page_key(i, seed), shadow[i]);
	return bad;
}

static void *forker(void *arg)
{
	while (!atomic_load(&stop)) {
		pid_t pid;
		int status;

		usleep(300000);
		pthread_rwlock_wrlock(&fork_lock);
		pid = fork();
		if (!pid) {
			/* the child: its view is the parent's at fork time */
			long bad = check_all();

			for (size_t i = 0; i < npages; i += 3) {
				shadow[i] = (shadow[i] + 1) % 4;
				fill(mem + i * psz, page_key(i, seed), shadow[i]);
			}
			bad += check_all();
			_exit(bad ? 1 : 0);
		}
		pthread_rwlock_unlock(&fork_lock);
		if (pid < 0)
			continue;
		waitpid(pid, &status, 0);
		atomic_fetch_add(&st->forks, 1);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			atomic_fetch_add(&st->cow_bad, 1);
	}
	return NULL;
}

static void on_term(int sig)
{
	atomic_store(&stop, 1);
}

static atomic_int rejoin;

static void on_usr1(int sig)
{
	atomic_store(&rejoin, 1);
}

/*
 * SIGUSR1: the partition was replaced; a joined worker leaves the old one
 * (which unmerges its pages, under the writers' feet) and joins the new
 * one by name, as a launcher would.
 */
static void do_rejoin(void)
{
	int fd;

	if (prctl(PR_SET_KSM_PARTITION, -1UL, 0UL, 0UL, 0UL)) {
		atomic_fetch_add(&st->join_err, 1);
		return;
	}
	fd = syscall(NR_ksm_open, PART, O_CLOEXEC, 0);
	if (fd < 0)	/* replaced again meanwhile: a signal follows */
		return;
	if (prctl(PR_SET_KSM_PARTITION, (unsigned long)fd, 0UL, 0UL, 0UL))
		atomic_fetch_add(&st->join_err, 1);
	else
		atomic_fetch_add(&st->rejoins, 1);
	close(fd);
}

static void worker(unsigned int s, struct shared_stats *stats, int ready_fd,
		   int join_fd)
{
	pthread_t th[MAXTHREADS + 1];
	int t;

	seed = s;
	st = stats;
	signal(SIGTERM, on_term);
	if (join_fd >= 0 &&
	    prctl(PR_SET_KSM_PARTITION, (unsigned long)join_fd, 0UL, 0UL, 0UL)) {
		fprintf(stderr, "ksm_stress: worker: PR_SET_KSM_PARTITION: %s\n",
			strerror(errno));
		_exit(3);
	}
	mem = mmap(NULL, npages * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shadow = calloc(npages, 1);
	if (mem == MAP_FAILED || !shadow)
		_exit(2);
	madvise(mem, npages * psz, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < npages; i++)
		fill(mem + i * psz, page_key(i, seed), 0);
	for (t = 0; t < nthreads; t++)
		pthread_create(&th[t], NULL, writer, (void *)(uintptr_t)t);
	pthread_create(&th[t], NULL, forker, NULL);
	if (join_fd >= 0)
		signal(SIGUSR1, on_usr1);
	if (write(ready_fd, "r", 1) != 1)
		_exit(2);
	close(ready_fd);
	while (!atomic_load(&stop)) {	/* SIGTERM may hit any thread */
		if (atomic_exchange(&rejoin, 0))
			do_rejoin();
		usleep(10000);
	}
	for (t = 0; t <= nthreads; t++)
		pthread_join(th[t], NULL);
	/* the final check: every page holds exactly its last write */
	atomic_fetch_add(&st->lost, check_all());
	_exit(0);
}

/* ------------------------------------------------------------ main */

static struct shared_stats *stats;	/* MAXPROC * 4 slots, reused */
static pid_t wpid[MAXPROC];
static int wpidfd[MAXPROC];	/* the merge target: a pidfd of wpid[k] */
static int wslot[MAXPROC], next_slot;

/* Workers k odd join the partition of join_fd */
static pid_t start_worker(int k, int join_fd)
{
	int fds[2];
	char c;
	pid_t pid;

	if (next_slot >= MAXPROC * 256)
		return -1;
	if (pipe(fds))
		return -1;
	wslot[k] = next_slot++;
	pid = fork();
	if (!pid) {
		close(fds[0]);
		worker(wslot[k] + 1, &stats[wslot[k]], fds[1],
		       k % 2 ? join_fd : -1);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], &c, 1) != 1) {
		close(fds[0]);
		return -1;
	}
	close(fds[0]);
	wpid[k] = pid;
	wpidfd[k] = syscall(SYS_pidfd_open, pid, 0);
	if (wpidfd[k] < 0)
		return -1;
	return pid;
}

static int stop_worker(int k)
{
	int status;

	kill(wpid[k], SIGTERM);
	close(wpidfd[k]);
	if (waitpid(wpid[k], &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The invariant checker: passes until SIGTERM, results in *inv */
struct inv_stats {
	atomic_long passes, violations, errors, frames;
	char report[1024];
};

static struct inv_stats *inv;

static void on_term_checker(int sig)
{
	atomic_store(&stop, 1);
}

static pid_t start_checker(void)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	signal(SIGTERM, on_term_checker);
	while (!atomic_load(&stop)) {
		struct kinv_result r;
		long ret = ksm_invariant_check(&r);

		if (ret < 0) {
			inv->errors++;
		} else {
			inv->passes++;
			inv->frames += r.ksm_frames;
			if (ret && !inv->violations++)
				snprintf(inv->report, sizeof(inv->report), "%s", r.report);
		}
		usleep(20000);
	}
	_exit(0);
}

/* Write VAL to the current partition's FILE; 0 or -1 */
static int part_set(const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), KSM_SYSFS "/partition/" PART "/%s", file);
	return sysfs_write_str(path, val);
}

static long part_full_scans(void)
{
	unsigned long n = ksm_read_ulong("partition/" PART "/full_scans");

	return n == (unsigned long)-1 ? 0 : (long)n;
}

/* The background scan of the current partition, flat out */
static int scan_on(void)
{
	if (part_set("pages_to_scan", "128") || part_set("sleep_millisecs", "0") ||
	    part_set("run", "1"))
		return -1;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long merges = 0, merged_pages = 0, unmerges = 0, removals = 0, exits = 0, busy = 0;
	long writes = 0, lost = 0, forks = 0, cow_bad = 0, errors = 0;
	long passes = 0, toggles = 0, rejoins = 0, join_err = 0;
	int nproc = 4, opt, fd, oldfd = -1, bad_exit = 0;
	pid_t checker;
	double duration = 60, t0;
	unsigned int r = 12345;

	while ((opt = getopt(argc, argv, "d:p:n:t:")) != -1) {
		switch (opt) {
		case 'd': duration = atof(optarg); break;
		case 'p': nproc = atoi(optarg); break;
		case 'n': npages = strtoul(optarg, NULL, 0); break;
		case 't': nthreads = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: ksm_stress [-d SECONDS] [-p NPROC] [-n NPAGES] [-t NTHREADS]\n");
			return 2;
		}
	}
	if (nproc < 2 || nproc > MAXPROC || nthreads < 1 || nthreads > MAXTHREADS ||
	    npages < 64 || npages % 64) {
		fprintf(stderr, "ksm_stress: 2 <= NPROC <= %d, 1 <= NTHREADS <= %d, NPAGES multiple of 64\n",
			MAXPROC, MAXTHREADS);
		return 2;
	}
	psz = sysconf(_SC_PAGESIZE);
	if (access("/sys/kernel/mm/ksm/partition", F_OK)) {
		printf("1..0 # SKIP no Selective KSM in this kernel\n");
		return KSFT_SKIP;
	}
	ksft_plan(4);
	stats = mmap(NULL, MAXPROC * 256 * sizeof(*stats), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	inv = mmap(NULL, sizeof(*inv), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	syscall(NR_ksm_unlink, PART);
	fd = syscall(NR_ksm_open, PART, O_CREAT | O_CLOEXEC, 0600);
	if (stats == MAP_FAILED || fd < 0 || scan_on()) {
		printf("Bail out! setup: %s\n", strerror(errno));
		return KSFT_FAIL;
	}
	for (int k = 0; k < nproc; k++)
		if (start_worker(k, fd) < 0) {
			printf("Bail out! cannot start worker %d\n", k);
			return KSFT_FAIL;
		}

	if (inv == MAP_FAILED || (checker = start_checker()) < 0) {
		printf("Bail out! cannot start the invariant checker\n");
		return KSFT_FAIL;
	}

	t0 = now();
	while (now() - t0 < duration) {
		int k = rand_r(&r) % nproc, op = rand_r(&r) % 16;
		long ret;

		if (op < 8) {
			ret = syscall(NR_ksm_merge, fd, wpidfd[k], 0, 0, KSM_MERGE_ALL);
			if (ret >= 0) {
				merges++;
				merged_pages += ret;
			} else if (errno == EBUSY && oldfd >= 0) {
				/* still a member of the removed partition */
				busy++;
				syscall(NR_ksm_unmerge, oldfd, wpidfd[k], 0, 0, KSM_MERGE_ALL);
			} else if (errno != EBUSY) {
				errors++;
				ksft_diag("ksm_merge of worker %d: %s", k, strerror(errno));
			}
		} else if (op < 12) {
			ret = syscall(NR_ksm_unmerge, fd, wpidfd[k], 0, 0, KSM_MERGE_ALL);
			if (ret >= 0)
				unmerges++;
			else
				errors++;
		} else if (op == 12) {
			/* remove the partition; a fresh one takes its name */
			if (oldfd >= 0) {
				for (int j = 0; j < nproc; j++)
					syscall(NR_ksm_unmerge, oldfd, wpidfd[j], 0, 0, KSM_MERGE_ALL);
				close(oldfd);
			}
			oldfd = fd;
			passes += part_full_scans();
			if (syscall(NR_ksm_unlink, PART))
				errors++;
			fd = syscall(NR_ksm_open, PART, O_CREAT | O_CLOEXEC, 0600);
			if (fd < 0) {
				printf("Bail out! ksm_open after unlink: %s\n", strerror(errno));
				return KSFT_FAIL;
			}
			if (scan_on())
				errors++;
			for (int j = 1; j < nproc; j += 2)
				kill(wpid[j], SIGUSR1);
			removals++;
		} else if (op == 13) {
			int status = stop_worker(k);

			if (status)
				bad_exit++;
			exits++;
			if (start_worker(k, fd) < 0) {
				printf("Bail out! cannot restart worker %d\n", k);
				return KSFT_FAIL;
			}
		} else {
			/* pause, or stop the scan for a moment */
			if (rand_r(&r) % 2) {
				if (part_set("run", "0"))
					errors++;
				usleep(20000);
				if (part_set("run", "1"))
					errors++;
				toggles++;
			}
			usleep(50000);
		}
	}
	passes += part_full_scans();
	kill(checker, SIGTERM);
	waitpid(checker, NULL, 0);
	for (int k = 0; k < nproc; k++)
		if (stop_worker(k))
			bad_exit++;
	for (int s = 0; s < next_slot; s++) {
		writes += stats[s].writes;
		lost += stats[s].lost;
		forks += stats[s].forks;
		cow_bad += stats[s].cow_bad;
		rejoins += stats[s].rejoins;
		join_err += stats[s].join_err;
	}
	ksft_diag("%.0f s, %d workers x %zu pages x %d writer threads (%d worker processes in all)",
		  now() - t0, nproc, npages, nthreads, next_slot);
	ksft_diag("%ld writes, %ld merge calls (%ld pages sharing KSM pages when they returned), %ld unmerges,",
		  writes, merges, merged_pages, unmerges);
	ksft_diag("%ld partition removals (%ld EBUSY from the old partition), %ld forks, %ld worker exits,",
		  removals, busy, forks, exits);
	ksft_diag("%ld background passes over the joined workers, scan stopped and restarted %ld times,",
		  passes, toggles);
	ksft_diag("%ld times a joined worker left the old partition and joined the new one (%ld failed)",
		  rejoins, join_err);
	ksft_ok(lost == 0 && bad_exit == 0 && writes > 0,
		"stress: 0 lost or torn writes (%ld lost, %d bad worker exits, %ld writes checked)",
		lost, bad_exit, writes);
	ksft_ok(cow_bad == 0 && forks > 0, "stress: after fork, parent and child each see their own data (%ld forks, %ld bad)",
		forks, cow_bad);
	ksft_ok(errors == 0 && join_err == 0 && merges > 0 && merged_pages > 0 &&
		removals > 0 && passes > 0,
		"stress: merges and background passes really happened (%ld pages, %ld passes) and no call failed unexpectedly (%ld errors)",
		merged_pages, passes, errors);
	if (inv->violations)
		ksft_diag("invariant: %s", inv->report);
	ksft_ok(inv->violations == 0 && inv->errors == 0 && inv->passes > 0,
		"stress: no KSM page mapped from two domains at any of %ld invariant checks (%ld shared KSM frames seen, %ld violations)",
		(long)inv->passes, (long)inv->frames, (long)inv->violations);
	if (oldfd >= 0)
		close(oldfd);
	close(fd);
	syscall(NR_ksm_unlink, PART);
	return ksft_failed ? KSFT_FAIL : KSFT_PASS;
}
