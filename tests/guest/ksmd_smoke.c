// SPDX-License-Identifier: GPL-2.0
/*
 * ksmd_smoke: the harness exercises real KSM.
 *
 * Two processes fill the same pages with the same content (identical across
 * the two, distinct within one), opt in with PR_SET_MEMORY_MERGE, and ksmd
 * runs until full_scans has advanced by two. Then every page of one process
 * must sit on the same physical page as its twin in the other (PFNs from
 * /proc/PID/pagemap), pages within one process must stay distinct, and
 * /proc/PID/ksm_stat must count the merged pages. Every ksmd setting is put
 * back afterwards.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "ksm_test_util.h"

#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#define PR_GET_MEMORY_MERGE 68
#endif

#define NPAGES 512

static const char *const saved_knobs[] = {
	"run", "pages_to_scan", "sleep_millisecs", "merge_across_nodes",
	"use_zero_pages", NULL,
};

static void fill(char *buf, size_t psz)
{
	for (size_t i = 0; i < NPAGES; i++) {
		memset(buf + i * psz, 0, psz);
		snprintf(buf + i * psz, psz, "ksmd smoke page %zu", i);
	}
}

/* Child: opt in, fill, tell the parent, wait to be killed. */
static void child(char *buf, size_t psz, int wfd)
{
	char ok = 1;

	if (prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0))
		ok = 0;
	fill(buf, psz);
	if (write(wfd, &ok, 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

int main(void)
{
	size_t psz = getpagesize();
	struct ksm_knobs saved;
	unsigned long scans0, scans;
	pid_t pid[2];
	char *buf;
	int p[2], i;
	time_t deadline;

	ksft_print_header();
	if (access(KSM_SYSFS "/run", W_OK))
		ksft_exit_skip("no writable %s/run (CONFIG_KSM?)\n", KSM_SYSFS);
	if (prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0) < 0 && errno == EINVAL)
		ksft_exit_skip("PR_SET_MEMORY_MERGE not supported\n");
	ksft_set_plan(5);

	if (ksm_knobs_save(&saved, saved_knobs))
		ksft_exit_fail_msg("saving ksmd settings: %s\n", strerror(errno));

	buf = mmap(NULL, NPAGES * psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || pipe(p))
		ksft_exit_fail_msg("mmap/pipe: %s\n", strerror(errno));

	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
		if (pid[i] == 0)
			child(buf, psz, p[1]);
	}
	for (i = 0; i < 2; i++) {
		char ok = 0;

		if (read(p[0], &ok, 1) != 1 || !ok)
			ksft_exit_fail_msg("child %d could not opt in\n", i);
	}

	ksm_write_ulong("pages_to_scan", 2000);
	ksm_write_ulong("sleep_millisecs", 0);
	scans0 = ksm_read_ulong("full_scans");
	ksm_write_ulong("run", 1);
	deadline = time(NULL) + 120;
	do {
		usleep(20000);
		scans = ksm_read_ulong("full_scans");
	} while (scans < scans0 + 2 && time(NULL) < deadline);
	ksm_write_ulong("run", 0);
	ksft_test_result(scans >= scans0 + 2, "ksmd completed two full scans (%lu -> %lu)\n",
			 scans0, scans);

	int same = 0, distinct = 1;
	unsigned long prev = 0;

	for (size_t pg = 0; pg < NPAGES; pg++) {
		unsigned long a = pid_pfn(pid[0], buf + pg * psz);
		unsigned long b = pid_pfn(pid[1], buf + pg * psz);

		if (a && a == b)
			same++;
		if (pg && a == prev)
			distinct = 0;
		prev = a;
	}
	ksft_test_result(same == NPAGES, "twin pages share one PFN (%d of %d)\n",
			 same, NPAGES);
	ksft_test_result(distinct, "distinct pages of one process keep distinct PFNs\n");

	long m0 = proc_ksm_stat(pid[0], "ksm_merging_pages");
	long m1 = proc_ksm_stat(pid[1], "ksm_merging_pages");

	ksft_test_result(m0 + m1 >= NPAGES, "ksm_stat counts merged pages (%ld + %ld)\n",
			 m0, m1);
	ksft_test_result(ksm_read_ulong("pages_sharing") >= NPAGES / 2 &&
			 ksm_read_ulong("pages_shared") >= NPAGES / 2,
			 "global counters: pages_shared %lu, pages_sharing %lu\n",
			 ksm_read_ulong("pages_shared"), ksm_read_ulong("pages_sharing"));

	for (i = 0; i < 2; i++) {
		kill(pid[i], SIGKILL);
		waitpid(pid[i], NULL, 0);
	}
	ksm_write_ulong("run", 2);	/* unmerge what is left */
	if (ksm_knobs_restore(&saved))
		ksft_exit_fail_msg("restoring ksmd settings: %s\n", strerror(errno));
	ksft_finished();
}
