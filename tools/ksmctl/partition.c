// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksmctl partition: add, remove, list, show, scan (apply: partition_apply.c).
 */
#define _GNU_SOURCE
#include <string.h>

#include "ksmctl.h"

static const char *const help_partition =
	"Usage: ksmctl partition add NAME [--mode MODE] [--sysfs]\n"
	"       ksmctl partition remove NAME [--sysfs]\n"
	"       ksmctl partition list\n"
	"       ksmctl partition show NAME\n"
	"       ksmctl partition scan NAME on|off [--pages-to-scan N] [--sleep-ms MS]\n"
	"       ksmctl partition apply [FILE] [--dry-run]\n"
	"       ksmctl partition help\n"
	"       NAME := 1..63 characters of [A-Za-z0-9._-]\n"
	"       MODE := octal permission bits for ksm_open(2) creation (default 0600)\n"
	"       --sysfs: use /sys/kernel/mm/ksm/control (root, mode 0600) instead of the syscalls\n"
	"       scan: background scanning of the partition's joined members (ksm-exec\n"
	"       --partition), with the partition's trees only; off by default\n"
	"       apply: create and fix the partitions of FILE (default /etc/ksm/partitions.conf:\n"
	"       [partition NAME] sections of owner, group, mode, scan, pages_to_scan,\n"
	"       sleep_millisecs); the whole file is checked first; never removes one\n";

static void mode_str(mode_t m, char *buf, size_t size)
{
	snprintf(buf, size, "%04o", (unsigned)m);
}

static void json_partition(const struct ksm_partition_info *pi)
{
	char mode[8];

	mode_str(pi->mode, mode, sizeof(mode));
	jw_obj_open(jw);
	jw_kstr(jw, "name", pi->name);
	jw_kuint(jw, "pages_shared", pi->pages_shared);
	jw_kuint(jw, "pages_sharing", pi->pages_sharing);
	jw_kuint(jw, "pages_unshared", pi->pages_unshared);
	jw_kuint(jw, "pages_scanned", pi->pages_scanned);
	jw_kuint(jw, "merge_calls", pi->merge_calls);
	jw_kuint(jw, "members", pi->members);
	if (pi->pages_to_scan) {
		jw_kbool(jw, "run", pi->run);
		jw_kuint(jw, "pages_to_scan", pi->pages_to_scan);
		jw_kuint(jw, "sleep_millisecs", pi->sleep_millisecs);
		jw_kuint(jw, "full_scans", pi->full_scans);
	}
	if (pi->max_page_sharing) {
		jw_kuint(jw, "max_page_sharing", pi->max_page_sharing);
		jw_kuint(jw, "merge_across_nodes", pi->merge_across_nodes);
	}
	jw_kstr(jw, "mode", mode);
	jw_kuint(jw, "uid", pi->uid);
	jw_kuint(jw, "gid", pi->gid);
	jw_obj_close(jw);
}

static int partition_info_or_fail(const char *name, struct ksm_partition_info *pi, struct err *e)
{
	if (ksm_partition_info(name, pi) < 0)
		return fail(e, 0, errno, errno == ENOENT ? "list them with 'ksmctl partition list'" : "",
			    "cannot read partition '%s'", name);
	return 0;
}

static int cmd_partition_add(int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "sysfs", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{}
	};
	unsigned long mode = 0600;
	bool sysfs = false, mode_set = false;
	int c, bad = 0;
	const char *name;

	while ((c = next_opt(argc, argv, opts, e, &bad)) != -1) {
		if (c == 'm') {
			if (parse_ulong(optarg, 8, &mode, "mode", e) < 0)
				return -1;
			if (mode & ~0777UL)
				return usage_fail(e, "bad mode '%s' (permission bits only)", optarg);
			mode_set = true;
		} else if (c == 's') {
			sysfs = true;
		}
	}
	if (bad)
		return -1;
	if (optind != argc - 1)
		return usage_fail(e, "partition add needs exactly one NAME");
	name = argv[optind];
	if (check_name(name, e) < 0 || need_partitions(e) < 0)
		return -1;
	if (sysfs && mode_set)
		return usage_fail(e, "--mode and --sysfs exclude each other (sysfs creates mode 0600)");
	if (sysfs) {
		if (ksm_partition_add(name) < 0)
			return fail(e, 0, errno, errno == EEXIST ? "pick another name" : perm_hint(errno),
				    "cannot add partition '%s' through sysfs", name);
	} else {
		_cleanup_close_ int fd = ksm_open(name, KSM_CREAT | KSM_EXCL | KSM_CLOEXEC, mode);

		if (fd < 0)
			return fail(e, 0, errno,
				    errno == EEXIST ? "pick another name" :
				    errno == EDQUOT ? "the owner has max_partitions_per_user partitions "
						      "(/sys/kernel/mm/ksm/max_partitions_per_user)" : "",
				    "cannot create partition '%s'", name);
	}
	if (json_out) {
		struct ksm_partition_info pi;

		if (partition_info_or_fail(name, &pi, e) < 0)
			return -1;
		json_partition(&pi);
	} else {
		printf("partition %s added\n", name);
	}
	return 0;
}

static int cmd_partition_remove(int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "sysfs", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{}
	};
	bool sysfs = false;
	int c, bad = 0;
	const char *name;

	while ((c = next_opt(argc, argv, opts, e, &bad)) != -1)
		if (c == 's')
			sysfs = true;
	if (bad)
		return -1;
	if (optind != argc - 1)
		return usage_fail(e, "partition remove needs exactly one NAME");
	name = argv[optind];
	if (check_name(name, e) < 0 || need_partitions(e) < 0)
		return -1;
	if ((sysfs ? ksm_partition_remove(name) : ksm_unlink(name)) < 0)
		return fail(e, 0, errno,
			    errno == ENOENT ? "list them with 'ksmctl partition list'" : perm_hint(errno),
			    "cannot remove partition '%s'", name);
	if (json_out) {
		jw_obj_open(jw);
		jw_kstr(jw, "name", name);
		jw_kbool(jw, "removed", true);
		jw_obj_close(jw);
	} else {
		printf("partition %s removed\n", name);
	}
	return 0;
}

static void text_partition_header(void)
{
	printf("%-24s %8s %12s %12s %12s %12s %8s %6s %6s %6s\n", "NAME", "MEMBERS", "SHARED",
	       "SHARING", "UNSHARED", "SCANNED", "MERGES", "MODE", "UID", "GID");
}

static void text_partition_row(const struct ksm_partition_info *pi)
{
	char mode[8];

	mode_str(pi->mode, mode, sizeof(mode));
	printf("%-24s %8llu %12llu %12llu %12llu %12llu %8llu %6s %6u %6u\n", pi->name,
	       (unsigned long long)pi->members, (unsigned long long)pi->pages_shared,
	       (unsigned long long)pi->pages_sharing, (unsigned long long)pi->pages_unshared,
	       (unsigned long long)pi->pages_scanned, (unsigned long long)pi->merge_calls, mode,
	       (unsigned)pi->uid, (unsigned)pi->gid);
}

/* every partition; a partition removed while listing is skipped */
int list_partitions(bool as_text, struct err *e)
{
	_cleanup_names_ char **names = NULL;
	int n = ksm_partition_list(&names);

	if (n < 0)
		return fail(e, 0, errno, "", "cannot list partitions");
	if (json_out)
		jw_arr_open(jw);
	else if (as_text && n > 0)
		text_partition_header();
	for (int i = 0; i < n; i++) {
		struct ksm_partition_info pi;

		if (ksm_partition_info(names[i], &pi) < 0) {
			if (errno == ENOENT)
				continue;
			return fail(e, 0, errno, "", "cannot read partition '%s'", names[i]);
		}
		if (json_out)
			json_partition(&pi);
		else if (as_text)
			text_partition_row(&pi);
	}
	if (json_out)
		jw_arr_close(jw);
	else if (as_text && n == 0)
		printf("no partitions\n");
	return 0;
}

static int cmd_partition_list(int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{}
	};
	int bad = 0;

	while (next_opt(argc, argv, opts, e, &bad) != -1)
		;
	if (bad)
		return -1;
	if (optind != argc)
		return usage_fail(e, "partition list takes no argument");
	if (need_partitions(e) < 0)
		return -1;
	return list_partitions(true, e);
}

static int cmd_partition_show(int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{}
	};
	struct ksm_partition_info pi;
	char mode[8];
	int bad = 0;

	while (next_opt(argc, argv, opts, e, &bad) != -1)
		;
	if (bad)
		return -1;
	if (optind != argc - 1)
		return usage_fail(e, "partition show needs exactly one NAME");
	if (check_name(argv[optind], e) < 0 || need_partitions(e) < 0 ||
	    partition_info_or_fail(argv[optind], &pi, e) < 0)
		return -1;
	if (json_out) {
		json_partition(&pi);
		return 0;
	}
	mode_str(pi.mode, mode, sizeof(mode));
	printf("partition %s\n", pi.name);
	printf("  members         %llu\n", (unsigned long long)pi.members);
	printf("  pages_shared    %llu\n", (unsigned long long)pi.pages_shared);
	printf("  pages_sharing   %llu\n", (unsigned long long)pi.pages_sharing);
	printf("  pages_unshared  %llu\n", (unsigned long long)pi.pages_unshared);
	printf("  pages_scanned   %llu\n", (unsigned long long)pi.pages_scanned);
	printf("  merge_calls     %llu\n", (unsigned long long)pi.merge_calls);
	if (pi.pages_to_scan) {
		printf("  scan            %s (%u pages every %u ms, %llu passes)\n", pi.run ? "running" : "stopped",
		       pi.pages_to_scan, pi.sleep_millisecs, (unsigned long long)pi.full_scans);
	}
	if (pi.max_page_sharing) {
		printf("  knobs           max_page_sharing=%u merge_across_nodes=%u (at creation)\n",
		       pi.max_page_sharing, pi.merge_across_nodes);
	}
	printf("  mode            %s\n", mode);
	printf("  uid             %u\n", (unsigned)pi.uid);
	printf("  gid             %u\n", (unsigned)pi.gid);
	return 0;
}

/* Write VAL to partition NAME's sysfs file FILE; WHAT says what failed */
static int set_partition_file(const char *name, const char *file, const char *val, const char *what,
			      struct err *e)
{
	char rel[160];

	snprintf(rel, sizeof(rel), "partition/%s/%s", name, file);
	if (ksm_sysfs_set(rel, val) < 0)
		return fail(e, 0, errno, perm_hint(errno), "cannot %s of '%s'", what, name);
	return 0;
}

/* partition scan NAME on|off [--pages-to-scan N] [--sleep-ms MS]: background scanning */
static int cmd_partition_scan(int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "pages-to-scan", required_argument, NULL, 'n' },
		{ "sleep-ms", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{}
	};
	static const char *const onoff[] = { "on", "off" };
	unsigned long pages = 0, sleep_ms = 0;
	bool pages_set = false, sleep_set = false;
	struct ksm_partition_info pi;
	char val[32];
	int c, bad = 0, on;
	const char *name;

	while ((c = next_opt(argc, argv, opts, e, &bad)) != -1) {
		if (c == 'n') {
			if (parse_ulong(optarg, 10, &pages, "pages-to-scan", e) < 0)
				return -1;
			if (!pages || pages > UINT32_MAX)
				return usage_fail(e, "bad --pages-to-scan '%s' (1 to %u)", optarg, UINT32_MAX);
			pages_set = true;
		} else if (c == 's') {
			if (parse_ulong(optarg, 10, &sleep_ms, "sleep-ms", e) < 0)
				return -1;
			if (sleep_ms > UINT32_MAX)
				return usage_fail(e, "bad --sleep-ms '%s'", optarg);
			sleep_set = true;
		}
	}
	if (bad)
		return -1;
	if (optind != argc - 2)
		return usage_fail(e, "partition scan needs NAME and on or off");
	name = argv[optind];
	if (check_name(name, e) < 0 || need_partitions(e) < 0 || partition_info_or_fail(name, &pi, e) < 0)
		return -1;
	on = match_or_fail(argv[optind + 1], onoff, 2, "scan state", "use on or off", e);
	if (on < 0)
		return -1;
	on = on == 0;
	if (!pi.pages_to_scan)
		return fail(e, 0, ENOTSUP, "this kernel merges partitions synchronously only (ksmctl merge)",
			    "partition '%s' has no background scanning", name);
	/* the pace first, so that a scan starts at the pace asked for */
	if (pages_set) {
		snprintf(val, sizeof(val), "%lu", pages);
		if (set_partition_file(name, "pages_to_scan", val, "set pages_to_scan", e) < 0)
			return -1;
	}
	if (sleep_set) {
		snprintf(val, sizeof(val), "%lu", sleep_ms);
		if (set_partition_file(name, "sleep_millisecs", val, "set sleep_millisecs", e) < 0)
			return -1;
	}
	if (set_partition_file(name, "run", on ? "1" : "0", on ? "start the scan" : "stop the scan", e) < 0)
		return -1;
	if (partition_info_or_fail(name, &pi, e) < 0)
		return -1;
	if (json_out)
		json_partition(&pi);
	else
		printf("partition %s: scan %s (%u pages every %u ms)\n", name, pi.run ? "running" : "stopped",
		       pi.pages_to_scan, pi.sleep_millisecs);
	return 0;
}

int do_partition(int argc, char **argv, struct err *e)
{
	static const char *const cmds[] = { "add", "remove", "list", "show", "scan", "apply", "help" };
	int i;

	if (argc < 2)
		return print_help(help_partition);
	i = match_or_fail(argv[1], cmds, 7, "partition command", "see 'ksmctl partition help'", e);
	if (i < 0)
		return -1;
	optind = 0;
	switch (i) {
	case 0: return cmd_partition_add(argc - 1, argv + 1, e);
	case 1: return cmd_partition_remove(argc - 1, argv + 1, e);
	case 2: return cmd_partition_list(argc - 1, argv + 1, e);
	case 3: return cmd_partition_show(argc - 1, argv + 1, e);
	case 4: return cmd_partition_scan(argc - 1, argv + 1, e);
	case 5: return cmd_partition_apply(argc - 1, argv + 1, e);
	default: return print_help(help_partition);
	}
}
