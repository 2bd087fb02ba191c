// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksmctl ksmd: the global domain's daemon (run, stop, unmerge-all, show, tune).
 */
#define _GNU_SOURCE
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "ksmctl.h"

static const char *const help_ksmd =
	"Usage: ksmctl ksmd run\n"
	"       ksmctl ksmd stop\n"
	"       ksmctl ksmd unmerge-all\n"
	"       ksmctl ksmd show\n"
	"       ksmctl ksmd tune KNOB VALUE [KNOB VALUE]...\n"
	"       ksmctl ksmd help\n"
	"       KNOB := a writable file of /sys/kernel/mm/ksm (pages_to_scan, sleep_millisecs, ...)\n";

static int ksmd_show(struct err *e)
{
	static const char *const knobs[] = {
		"run", "pages_to_scan", "sleep_millisecs", "max_page_sharing", "merge_across_nodes",
		"use_zero_pages", "smart_scan", "stable_node_chains_prune_millisecs", "advisor_mode",
		"advisor_max_cpu", "advisor_target_scan_time", "advisor_min_pages_to_scan",
		"advisor_max_pages_to_scan",
	};
	char v[128];

	if (json_out)
		jw_obj_open(jw);
	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		if (ksm_sysfs_get(knobs[i], v, sizeof(v)) < 0) {
			if (errno == ENOENT)
				continue;
			return fail(e, 0, errno, "", "cannot read ksmd setting %s", knobs[i]);
		}
		if (json_out) {
			char *end;
			long long n;

			errno = 0;
			n = strtoll(v, &end, 10);
			if (!errno && end != v && !*end)
				jw_kint(jw, knobs[i], n);
			else
				jw_kstr(jw, knobs[i], v);
		} else {
			printf("%-36s %s\n", knobs[i], v);
		}
	}
	if (json_out)
		jw_obj_close(jw);
	return 0;
}

static int knob_ok(const char *k)
{
	char path[PATH_MAX];
	struct stat st;

	if (!*k || strspn(k, "abcdefghijklmnopqrstuvwxyz_") != strlen(k))
		return 0;
	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", k);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0222);
}

int do_ksmd(int argc, char **argv, struct err *e)
{
	static const char *const cmds[] = { "run", "stop", "unmerge-all", "show", "tune", "help" };
	static const char *const run_val[] = { "1", "0", "2" };
	int i;

	if (argc < 2)
		return print_help(help_ksmd);
	i = match_or_fail(argv[1], cmds, 6, "ksmd command", "see 'ksmctl ksmd help'", e);
	if (i < 0)
		return -1;
	if (i == 5)
		return print_help(help_ksmd);
	if (need_ksm(e) < 0)
		return -1;
	if (i <= 2) {
		if (argc != 2)
			return usage_fail(e, "ksmd %s takes no argument", cmds[i]);
		if (ksm_sysfs_set("run", run_val[i]) < 0)
			return fail(e, 0, errno, errno == EACCES || errno == EPERM ? "run as root" : "",
				    "cannot write run=%s", run_val[i]);
		return ksmd_show(e);
	}
	if (i == 3) {
		if (argc != 2)
			return usage_fail(e, "ksmd show takes no argument");
		return ksmd_show(e);
	}
	/* tune KNOB VALUE ... : check everything first, then write in order */
	if (argc < 4 || (argc - 2) % 2)
		return usage_fail(e, "ksmd tune needs KNOB VALUE pairs");
	for (int k = 2; k < argc; k += 2)
		if (!knob_ok(argv[k]))
			return fail(e, EX_USAGE, EINVAL, "see 'ksmctl ksmd show' for the knobs",
				    "unknown or read-only ksmd knob '%s'", argv[k]);
	for (int k = 2; k < argc; k += 2)
		if (ksm_sysfs_set(argv[k], argv[k + 1]) < 0)
			return fail(e, 0, errno, errno == EACCES || errno == EPERM ? "run as root" :
				    errno == EINVAL ? "the kernel rejected the value" : "",
				    "cannot set %s=%s", argv[k], argv[k + 1]);
	return ksmd_show(e);
}
