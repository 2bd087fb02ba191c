// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksmctl status: kernel features, global KSM state, partitions; one process.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <string.h>

#include "ksmctl.h"

static const char *const help_status =
	"Usage: ksmctl status [--pid PID]\n"
	"       ksmctl status help\n"
	"       without --pid: kernel features, global KSM state, every partition\n"
	"       with --pid: /proc/PID/ksm_stat\n";

static const struct {
	unsigned int bit;
	const char *name;
} feature_names[] = {
	{ KSM_FEAT_KSM, "ksm" },
	{ KSM_FEAT_MEMORY_MERGE, "memory_merge" },
	{ KSM_FEAT_KSM_STAT, "ksm_stat" },
	{ KSM_FEAT_PARTITION_SYSFS, "partition_sysfs" },
	{ KSM_FEAT_PARTITION_SYSCALLS, "partition_syscalls" },
	{ KSM_FEAT_PARTITION_JOIN, "partition_join" },
};

#define GLOBAL_FIELDS(X) \
	X(run) X(pages_to_scan) X(sleep_millisecs) X(max_page_sharing) X(merge_across_nodes) \
	X(use_zero_pages) X(smart_scan) X(pages_shared) X(pages_sharing) X(pages_unshared) \
	X(pages_volatile) X(pages_scanned) X(pages_skipped) X(full_scans) X(stable_node_chains) \
	X(stable_node_dups) X(ksm_zero_pages)

static int status_pid(pid_t pid, struct err *e)
{
	struct ksm_proc_stat st;

	if (ksm_proc_stat(pid, &st) < 0)
		return fail(e, 0, errno, errno == ESRCH ? "check the pid" :
			    errno == ENOTSUP ? "needs Linux 6.1+ with CONFIG_KSM" : "",
			    "cannot read ksm_stat of pid %d", (int)pid);
	if (json_out) {
		jw_obj_open(jw);
		jw_kint(jw, "pid", pid);
#define J(f, k) if (st.f != KSM_ABSENT) jw_kint(jw, k, st.f);
		J(rmap_items, "ksm_rmap_items") J(zero_pages, "ksm_zero_pages")
		J(merging_pages, "ksm_merging_pages") J(process_profit, "ksm_process_profit")
#undef J
		if (st.merge_any >= 0)
			jw_kbool(jw, "ksm_merge_any", st.merge_any);
		if (st.mergeable >= 0)
			jw_kbool(jw, "ksm_mergeable", st.mergeable);
		jw_obj_close(jw);
		return 0;
	}
	printf("pid %d\n", (int)pid);
#define T(f, k) if (st.f != KSM_ABSENT) printf("  %-20s %lld\n", k, st.f);
	T(rmap_items, "ksm_rmap_items") T(zero_pages, "ksm_zero_pages")
	T(merging_pages, "ksm_merging_pages") T(process_profit, "ksm_process_profit")
#undef T
	if (st.merge_any >= 0)
		printf("  %-20s %s\n", "ksm_merge_any", st.merge_any ? "yes" : "no");
	if (st.mergeable >= 0)
		printf("  %-20s %s\n", "ksm_mergeable", st.mergeable ? "yes" : "no");
	return 0;
}

int do_status(int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{}
	};
	unsigned int feat = ksm_features();
	struct ksm_global_state g;
	pid_t pid = 0;
	int c, bad = 0;

	if (argc == 2 && is_help(argv[1]))
		return print_help(help_status);
	optind = 0;
	while ((c = next_opt(argc, argv, opts, e, &bad)) != -1)
		if (c == 'P' && parse_pid(optarg, &pid, e) < 0)
			return -1;
	if (bad)
		return -1;
	if (optind != argc)
		return usage_fail(e, "unexpected argument '%s'", argv[optind]);
	if (pid)
		return status_pid(pid, e);
	if (need_ksm(e) < 0)
		return -1;
	if (ksm_global_read(&g) < 0)
		return fail(e, 0, errno, "", "cannot read /sys/kernel/mm/ksm");
	if (json_out) {
		jw_obj_open(jw);
		jw_key(jw, "features");
		jw_obj_open(jw);
		for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
			jw_kbool(jw, feature_names[i].name, feat & feature_names[i].bit);
		jw_obj_close(jw);
		jw_key(jw, "global");
		jw_obj_open(jw);
#define J(f) if (g.f != KSM_ABSENT) jw_kint(jw, #f, g.f);
		GLOBAL_FIELDS(J)
#undef J
		if (g.general_profit != LLONG_MIN)
			jw_kint(jw, "general_profit", g.general_profit);
		jw_obj_close(jw);
		jw_key(jw, "partitions");
		if (feat & KSM_FEAT_PARTITION_SYSFS) {
			if (list_partitions(false, e) < 0)
				return -1;	/* main() discards the partial object */
		} else {
			jw_null(jw);
		}
		jw_obj_close(jw);
		return 0;
	}
	printf("features:");
	for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
		if (feat & feature_names[i].bit)
			printf(" %s", feature_names[i].name);
	printf("\nksmd: %s\n", g.run == 1 ? "running" : g.run == 2 ? "stopped, unmerged" : "stopped");
#define T(f) if (g.f != KSM_ABSENT) printf("  %-20s %lld\n", #f, g.f);
	GLOBAL_FIELDS(T)
#undef T
	if (g.general_profit != LLONG_MIN)
		printf("  %-20s %lld\n", "general_profit", g.general_profit);
	if (feat & KSM_FEAT_PARTITION_SYSFS) {
		printf("partitions:\n");
		return list_partitions(true, e);
	}
	printf("partitions: not supported by this kernel\n");
	return 0;
}
