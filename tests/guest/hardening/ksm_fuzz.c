// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksm_fuzz: random arguments to the Selective KSM system calls and sysfs
 * files, for a while, from a printed seed. Arguments are drawn from pools
 * of likely-interesting values (valid ones, edges, garbage): names (valid,
 * random bytes, too long, NULL, kernel and unmapped pointers, unterminated),
 * flags and modes, fds (partitions, closed, other files), pids (self, our
 * helper children, a zombie, a kernel thread, nonexistent, negative),
 * addresses and sizes (mapped, unaligned, huge, past TASK_SIZE, wrapping)
 * sysfs writes (well-formed and garbage; triggers, controls and the
 * background scan's run/pages_to_scan/sleep_millisecs), and joining and
 * leaving partitions (prctl PR_SET_KSM_PARTITION). Helper children hold data
 * that is identical between them, so that merges really happen, and keep
 * writing to it. Only our own children and ourselves are ever targets.
 *
 * The test fails if a helper child sees its data change (it checks its
 * own writes) or if a call hangs (a watchdog alarm); the kernel log is
 * checked by run-tap -k. A failing run is replayed exactly with
 * -s SEED -n ITERATIONS (both printed); such runs are kept in
 * tests/guest/hardening/fuzz-seeds and replayed first by the make check
 * wrapper (ksm_fuzz.sh).
 *
 *   ksm_fuzz [-d SECONDS (30)] [-s SEED] [-n ITERATIONS]
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
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>
#include "ksft.h"

#include "../../lib/ksm_abi.h"

#define KSM "/sys/kernel/mm/ksm/"
#define NCHILD 4
#define NPAGES 64
#define NNAMES 6

static long psz;
static uint64_t rng;
static pid_t child[NCHILD], zombie;
static unsigned long caddr;	/* children map their data here (inherited) */
static char *mine;		/* our own data, same content */
static char *nonterm;		/* a name running into an unmapped page */
static int fds[8];
static long counts[5][64];	/* per call: errno histogram (0 = success) */

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned long pick(const unsigned long *v, size_t n)
{
	return v[rnd() % n];
}

static const char *names[NNAMES] = { "fz0", "fz1", "fz2", "fz.a-b_c", "fz3", "fz4" };

static const char *rand_name(char *buf)
{
	size_t n, i;

	switch (rnd() % 12) {
	case 0: return NULL;
	case 1: return (const char *)0xffffffff81000000UL;
	case 2: return (const char *)0x10UL;
	case 3: return nonterm;
	case 4:
		n = rnd() % 80;
		for (i = 0; i < n; i++)
			buf[i] = rnd() % 255 + 1;
		buf[n] = 0;
		return buf;
	case 5:
		n = 60 + rnd() % 8;
		memset(buf, 'f', n);
		buf[n] = 0;
		return buf;
	case 6: return "";
	case 7: return ".";
	default: return names[rnd() % NNAMES];
	}
}

static long rand_pid(void)
{
	switch (rnd() % 10) {
	case 0: return 0;
	case 1: return -1 - (long)(rnd() % 100);
	case 2: return zombie;
	case 3: return 2;	/* kthreadd */
	case 4: return 0x3ffffff0;
	case 5: return getpid();
	default: return child[rnd() % NCHILD];
	}
}

static void rand_range(unsigned long *a, unsigned long *len)
{
	static const unsigned long sizes[] = { 0, 1, 4096, 8192, 4095, 64 * 4096, 1UL << 30,
					       1UL << 47, -4096UL, -1UL, 3 * 4096 };

	switch (rnd() % 8) {
	case 0: *a = 0; *len = 0; return;	/* whole address space */
	case 1: *a = rnd(); *len = rnd(); return;
	case 2: *a = (rnd() % (1UL << 47)) & ~4095UL; *len = pick(sizes, 11); return;
	case 3: *a = caddr + (rnd() % NPAGES) * 4096 + (rnd() % 4 ? 0 : rnd() % 4096);
		*len = pick(sizes, 11); return;
	default:
		*a = caddr + (rnd() % NPAGES) * 4096;
		*len = (rnd() % (NPAGES + 1)) * 4096;
		return;
	}
}

static void count(int call, long r)
{
	counts[call][r < 0 ? errno % 64 : 0]++;
}

static void child_main(unsigned long a)
{
	unsigned long *w = (unsigned long *)a;
	size_t n = NPAGES * psz / sizeof(*w), i = 0;

	/* keep rewriting our own data with what it already holds; check it */
	for (;;) {
		if (w[i] != i * 0x9e3779b97f4a7c15UL)
			_exit(1);
		if (!(i % 4096))
			w[i] = i * 0x9e3779b97f4a7c15UL;
		i = (i + 1) % n;
		if (!i)
			usleep(1000);
	}
}

/* A directory entry of partition/: ".x" is a valid name, . and .. are not */
static bool is_partition_name(const char *name)
{
	return strcmp(name, ".") && strcmp(name, "..");
}

/* the partitions that exist, as one string of "/NAME/" */
static char *partition_list(void)
{
	DIR *d = opendir(KSM "partition");
	struct dirent *e;
	size_t len = 1;
	char *s = calloc(1, 1);

	while (d && (e = readdir(d))) {
		if (!is_partition_name(e->d_name))
			continue;
		len += strlen(e->d_name) + 2;
		s = realloc(s, len);
		strcat(strcat(strcat(s, "/"), e->d_name), "/");
	}
	if (d)
		closedir(d);
	return s;
}

/* remove the partitions the fuzzing created (any not in before) */
static int remove_new_partitions(const char *before)
{
	DIR *d = opendir(KSM "partition");
	struct dirent *e;
	char key[300];
	int n = 0;

	while (d && (e = readdir(d))) {
		if (!is_partition_name(e->d_name))
			continue;
		snprintf(key, sizeof(key), "/%s/", e->d_name);
		if (strstr(before, key))
			continue;
		int fd = open(KSM "control/remove_partition", O_WRONLY);

		if (fd >= 0) {
			write(fd, e->d_name, strlen(e->d_name));
			close(fd);
		}
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static void on_alarm(int sig)
{
	static const char msg[] = "not ok 1 - fuzz: a call hung (watchdog)\n";

	write(1, msg, sizeof(msg) - 1);
	_exit(1);
}

static void sysfs_fuzz(char *buf)
{
	static const char *files[] = { "control/add_partition", "control/remove_partition",
				       "trigger_merge", "trigger_unmerge", "pages_sharing",
				       "run", "pages_to_scan", "sleep_millisecs" };
	static const char *scan_vals[] = { "0", "1", "1\n", "2", "100", "0x10", "-1",
					   "4294967296", "", "5000", " 1 ", "0 1" };
	const char *f = files[rnd() % 8], *name;
	char path[256], arg[256];
	unsigned long a, len;
	int fd, n;

	if (!strncmp(f, "control", 7)) {
		snprintf(path, sizeof(path), KSM "%s", f);
		name = rand_name(buf);
		if (!name || name == nonterm || (uintptr_t)name < 4096 || (uintptr_t)name > (1UL << 47))
			name = "fz0";
		snprintf(arg, sizeof(arg), "%s%s", name, rnd() % 2 ? "\n" : "");
	} else if (!strcmp(f, "run") || !strncmp(f, "pages_to", 8) || !strncmp(f, "sleep", 5)) {
		/* background scanning: on and off, paces from 0 to huge, garbage */
		snprintf(path, sizeof(path), KSM "partition/%s/%s", names[rnd() % NNAMES], f);
		snprintf(arg, sizeof(arg), "%s", scan_vals[rnd() % 12]);
	} else {
		snprintf(path, sizeof(path), KSM "partition/%s/%s", names[rnd() % NNAMES], f);
		rand_range(&a, &len);
		switch (rnd() % 5) {
		case 0: snprintf(arg, sizeof(arg), "%ld", rand_pid()); break;
		case 1: snprintf(arg, sizeof(arg), "%ld 0x%lx 0x%lx", rand_pid(), a, a + len); break;
		case 2: snprintf(arg, sizeof(arg), "%ld %lx %lx extra", rand_pid(), a, a + len); break;
		case 3:
			n = rnd() % 64;
			for (int i = 0; i < n; i++)
				arg[i] = rnd() % 255 + 1;
			arg[n] = 0;
			break;
		default: snprintf(arg, sizeof(arg), "%lu %lu", rnd(), rnd()); break;
		}
	}
	fd = open(path, O_WRONLY);
	if (fd < 0) {
		count(3, -1);
		return;
	}
	count(3, write(fd, arg, strlen(arg)));
	close(fd);
}

int main(int argc, char **argv)
{
	double duration = 30;
	unsigned long seed = 0, iters = 0, max_iters = 0;
	struct timespec t0, t;
	char buf[128];
	int opt, bad = 0;
	char *page2, *before;

	while ((opt = getopt(argc, argv, "d:s:n:")) != -1) {
		switch (opt) {
		case 'd': duration = atof(optarg); break;
		case 's': seed = strtoul(optarg, NULL, 0); break;
		case 'n': max_iters = strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: ksm_fuzz [-d SECONDS] [-s SEED] [-n ITERATIONS]\n");
			return 2;
		}
	}
	psz = sysconf(_SC_PAGESIZE);
	if (access(KSM "partition", F_OK)) {
		printf("1..0 # SKIP no Selective KSM in this kernel\n");
		return KSFT_SKIP;
	}
	if (!seed) {
		clock_gettime(CLOCK_REALTIME, &t0);
		seed = (t0.tv_sec ^ t0.tv_nsec ^ getpid()) | 1;
	}
	rng = seed;
	ksft_plan(2);
	ksft_diag("seed %lu (replay: ksm_fuzz -s %lu)", seed, seed);

	page2 = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(page2 + psz, psz);
	nonterm = page2 + psz - 5;
	memset(nonterm, 'q', 5);

	mine = mmap(NULL, NPAGES * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	caddr = (unsigned long)mine;
	for (size_t i = 0; i < NPAGES * psz / sizeof(long); i++)
		((unsigned long *)mine)[i] = i * 0x9e3779b97f4a7c15UL;
	for (int i = 0; i < NCHILD; i++) {
		child[i] = fork();
		if (!child[i])
			child_main(caddr);
	}
	zombie = fork();
	if (!zombie)
		_exit(0);
	for (int i = 0; i < NNAMES; i++)
		syscall(NR_ksm_unlink, names[i]);
	before = partition_list();
	for (int i = 0; i < 8; i++)
		fds[i] = -1;
	signal(SIGALRM, on_alarm);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	for (;;) {
		unsigned long a, len;
		long r, fd;
		int slot = rnd() % 8, op = rnd() % 8;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((max_iters && iters >= max_iters) ||
		    (!max_iters && t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 >= duration))
			break;
		iters++;
		alarm(60);
		switch (op) {
		case 0: {
			static const long flags[] = { 0, O_CREAT, O_CREAT | O_EXCL, O_CLOEXEC | O_CREAT,
						      O_RDWR, O_TRUNC, 0x80000000L, -1 };
			static const long modes[] = { 0600, 0666, 0, 07777, -1, 0644 };

			r = syscall(NR_ksm_open, rand_name(buf), flags[rnd() % 8], modes[rnd() % 6]);
			count(0, r);
			if (r >= 0) {
				if (fds[slot] >= 0)
					close(fds[slot]);
				fds[slot] = r;
			}
			break;
		}
		case 1: case 2: case 3:
			fd = -1;
			for (int k = 0; k < 8 && fd < 0; k++)	/* mostly an open partition */
				fd = fds[(slot + k) % 8];
			if (!(rnd() % 6))
				fd = rnd() % 2 ? (long)(rnd() % 64) : -1L;
		{
			/* the target: mostly a pidfd of a random pid, else any fd */
			long pid = rand_pid(), pidfd;
			unsigned long flags;
			bool opened = false;

			if (pid > 0 && rnd() % 8) {
				pidfd = syscall(SYS_pidfd_open, pid, 0);
				opened = pidfd >= 0;
			} else {
				pidfd = rnd() % 2 ? (long)(rnd() % 64) : pid;
			}
			rand_range(&a, &len);
			flags = rnd() % 8 ? (rnd() % 3 ? 0 : KSM_MERGE_ALL) : rnd();
			if (flags == KSM_MERGE_ALL && rnd() % 4)
				a = len = 0;
			r = syscall(rnd() % 3 ? NR_ksm_merge : NR_ksm_unmerge, fd, pidfd, a, len, flags);
			count(1, r);
			if (opened)
				close(pidfd);
			break;
		}
		case 4:
			r = syscall(NR_ksm_unlink, rand_name(buf));
			count(2, r);
			break;
		case 5:
			if (fds[slot] >= 0) {
				close(fds[slot]);
				fds[slot] = -1;
			}
			break;
		case 6:
			if (rnd() % 2) {
				sysfs_fuzz(buf);
				break;
			}
			/* join (mostly an open partition) or leave, with bad fds and args */
			switch (rnd() % 6) {
			case 0: fd = -1; break;
			case 1: fd = rnd() % 2 ? (long)(rnd() % 64) : (long)rnd(); break;
			default: fd = fds[slot]; break;
			}
			r = prctl(PR_SET_KSM_PARTITION, fd, rnd() % 8 ? 0 : 1, 0, 0);
			count(4, r);
			break;
		default:
			sysfs_fuzz(buf);
			break;
		}
	}
	alarm(0);

	for (int i = 0; i < NCHILD; i++) {
		int status;

		if (waitpid(child[i], &status, WNOHANG) == child[i])
			bad++;	/* a child exits only when its data changed */
		kill(child[i], SIGKILL);
		waitpid(child[i], NULL, 0);
	}
	waitpid(zombie, NULL, 0);
	for (int i = 0; i < 8; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	ksft_diag("%d partitions created by the fuzzing removed", remove_new_partitions(before));
	for (size_t i = 0; i < NPAGES * psz / sizeof(long); i++)
		if (((unsigned long *)mine)[i] != i * 0x9e3779b97f4a7c15UL)
			bad++;

	ksft_diag("%lu iterations in %.0f s (replay: ksm_fuzz -s %lu -n %lu)", iters,
		  t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9, seed, iters);
	for (int c = 0; c < 5; c++) {
		static const char *cn[] = { "ksm_open", "ksm_merge/unmerge", "ksm_unlink", "sysfs write",
					    "prctl join/leave" };
		char line[512];
		int off = snprintf(line, sizeof(line), "%s:", cn[c]);

		for (int e = 0; e < 64; e++)
			if (counts[c][e])
				off += snprintf(line + off, sizeof(line) - off, " %s %ld",
						e ? strerrorname_np(e) : "ok", counts[c][e]);
		ksft_diag("%s", line);
	}
	ksft_ok(iters > 0, "fuzz: %lu calls, none hung", iters);
	ksft_ok(!bad, "fuzz: the helpers' and our own data never changed (%d bad)", bad);
	return ksft_failed ? KSFT_FAIL : KSFT_PASS;
}
