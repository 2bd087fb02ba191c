// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksmctl merge / unmerge: synchronous merges in a partition, and
 * merge --global --wait (ksmd run until the targets settle, then restored).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <time.h>

#include "ksmctl.h"

static const char *const help_merge =
	"Usage: ksmctl merge NAME --pid PID [--range START-END] [--sysfs]\n"
	"       ksmctl merge --global [--pid PID]... --wait [--timeout SEC]\n"
	"                    [--pages-to-scan N] [--sleep-ms MS]\n"
	"       ksmctl merge help\n"
	"       START, END := page-aligned hexadecimal addresses, END exclusive\n"
	"       --global --wait: run ksmd until the targets' ksm_merging_pages stop\n"
	"       growing (two full scans), then restore every ksmd setting\n";

static const char *const help_unmerge =
	"Usage: ksmctl unmerge NAME --pid PID [--range START-END] [--sysfs]\n"
	"       ksmctl unmerge help\n"
	"       (the global domain is unmerged as a whole: ksmctl ksmd unmerge-all)\n";

#define MAX_PIDS 64

struct merge_args {
	const char *name;
	pid_t pids[MAX_PIDS];
	int npids;
	bool range_set, global, wait, sysfs;
	unsigned long start, end;
	unsigned long timeout_s, pages_to_scan, sleep_ms;
};

static int parse_merge_args(int argc, char **argv, struct merge_args *a, bool unmerge, struct err *e)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'P' },
		{ "range", required_argument, NULL, 'r' },
		{ "global", no_argument, NULL, 'g' },
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "pages-to-scan", required_argument, NULL, 'n' },
		{ "sleep-ms", required_argument, NULL, 's' },
		{ "sysfs", no_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{}
	};
	int c, bad = 0;

	memset(a, 0, sizeof(*a));
	a->timeout_s = 300;
	a->pages_to_scan = 4000;
	a->sleep_ms = 10;
	/* permute so NAME may come anywhere */
	while ((c = getopt_long(argc, argv, ":jp", opts, NULL)) != -1) {
		switch (c) {
		case 'j': set_json(false); break;
		case 'p': set_json(true); break;
		case 'P':
			if (a->npids == MAX_PIDS)
				return usage_fail(e, "too many --pid (at most %d)", MAX_PIDS);
			if (parse_pid(optarg, &a->pids[a->npids], e) < 0)
				return -1;
			a->npids++;
			break;
		case 'r':
			if (parse_range(optarg, &a->start, &a->end, e) < 0)
				return -1;
			a->range_set = true;
			break;
		case 'g': a->global = true; break;
		case 'w': a->wait = true; break;
		case 'S': a->sysfs = true; break;
		case 't':
			if (parse_ulong(optarg, 10, &a->timeout_s, "timeout", e) < 0)
				return -1;
			break;
		case 'n':
			if (parse_ulong(optarg, 10, &a->pages_to_scan, "pages-to-scan", e) < 0)
				return -1;
			break;
		case 's':
			if (parse_ulong(optarg, 10, &a->sleep_ms, "sleep-ms", e) < 0)
				return -1;
			break;
		case ':':
			bad = usage_fail(e, "option '%s' needs an argument", argv[optind - 1]);
			break;
		default:
			bad = usage_fail(e, "unknown option '%s'", argv[optind - 1]);
		}
		if (bad)
			return -1;
	}
	if (optind < argc)
		a->name = argv[optind++];
	if (optind < argc)
		return usage_fail(e, "unexpected argument '%s'", argv[optind]);
	if (a->global) {
		if (unmerge)
			return fail(e, EX_USAGE, EINVAL, "use 'ksmctl ksmd unmerge-all'",
				    "the global domain cannot be unmerged per process");
		if (a->name)
			return usage_fail(e, "--global and a partition NAME exclude each other");
		if (!a->wait)
			return fail(e, EX_USAGE, EINVAL, "add --wait, or start ksmd for good with 'ksmctl ksmd run'",
				    "merge --global needs --wait");
		if (a->range_set || a->sysfs)
			return usage_fail(e, "--range and --sysfs are for partitions, not --global");
		return 0;
	}
	if (!a->name)
		return usage_fail(e, "%s needs a partition NAME or --global", unmerge ? "unmerge" : "merge");
	if (a->wait)
		return usage_fail(e, "--wait is for --global (partition merges are synchronous)");
	if (a->npids != 1)
		return usage_fail(e, "%s NAME needs exactly one --pid", unmerge ? "unmerge" : "merge");
	return check_name(a->name, e);
}

static int partition_merge(struct merge_args *a, bool unmerge, struct err *e)
{
	const char *verb = unmerge ? "unmerge" : "merge";
	unsigned long size = a->range_set ? a->end - a->start : 0;
	long pages = -1;

	if (need_partitions(e) < 0)
		return -1;
	if (a->sysfs) {
		if (ksm_partition_trigger(a->name, a->pids[0], a->range_set ? a->start : 0,
					  a->range_set ? a->end : 0, unmerge) < 0)
			goto err;
	} else {
		/* The target by pidfd, taken first: from here on pid cannot be reused */
		_cleanup_close_ int pidfd = open_pidfd(a->pids[0]);
		_cleanup_close_ int fd = -1;
		unsigned int flags = a->range_set ? 0 : KSM_MERGE_ALL;
		unsigned long start = a->range_set ? a->start : 0;

		if (pidfd < 0)
			return fail(e, 0, errno, errno == ESRCH ? "check the pid" :
				    errno == EINVAL ? "give the pid of a process, not of one of its threads" : "",
				    "cannot open a pidfd of pid %d", (int)a->pids[0]);
		fd = ksm_open(a->name, O_RDWR | KSM_CLOEXEC, 0);
		if (fd < 0)
			return fail(e, 0, errno,
				    errno == ENOENT ? "create it with 'ksmctl partition add NAME'" : perm_hint(errno),
				    "cannot open partition '%s'", a->name);
		pages = unmerge ? ksm_unmerge_pidfd(fd, pidfd, start, size, flags)
				: ksm_merge_pidfd(fd, pidfd, start, size, flags);
		if (pages < 0)
			goto err;
	}
	if (json_out) {
		char buf[32];

		jw_obj_open(jw);
		jw_kstr(jw, "partition", a->name);
		jw_kint(jw, "pid", a->pids[0]);
		if (a->range_set) {
			snprintf(buf, sizeof(buf), "0x%lx", a->start);
			jw_kstr(jw, "start", buf);
			snprintf(buf, sizeof(buf), "0x%lx", a->end);
			jw_kstr(jw, "end", buf);
		}
		jw_kstr(jw, "via", a->sysfs ? "sysfs" : "syscall");
		jw_key(jw, unmerge ? "pages_unmerged" : "pages_merged");
		if (pages >= 0)
			jw_int(jw, pages);
		else
			jw_null(jw);
		jw_obj_close(jw);
	} else if (pages >= 0) {
		printf("%s: pid %d: %ld pages %s\n", a->name, (int)a->pids[0], pages,
		       unmerge ? "unmerged" : "sharing a KSM page of the partition");
	} else {
		printf("%s: pid %d: %s triggered through sysfs\n", a->name, (int)a->pids[0], verb);
	}
	return 0;
err:
	{
		int en = errno;
		const char *hint = en == EBUSY ? "the process already merges in the global domain or another partition" :
				   en == ESRCH ? "check the pid" :
				   en == EINVAL ? "the range must be page aligned, non-empty and below TASK_SIZE" :
				   perm_hint(en);

		return fail(e, 0, en, hint, "cannot %s pid %d in partition '%s'", verb, (int)a->pids[0], a->name);
	}
}

/* --- merge --global --wait --- */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* ksmd settings that merge --global --wait changes and puts back */
static const char *const saved_knobs[] = { "run", "pages_to_scan", "sleep_millisecs", "advisor_mode" };
#define NKNOBS (sizeof(saved_knobs) / sizeof(saved_knobs[0]))

struct ksmd_saved {
	bool have[NKNOBS];
	char val[NKNOBS][64];
};

/* "[none] scan-time" -> "none" */
static void selected_choice(char *v)
{
	char *l = strchr(v, '['), *r = l ? strchr(l, ']') : NULL;

	if (l && r) {
		memmove(v, l + 1, r - l - 1);
		v[r - l - 1] = '\0';
	}
}

static int ksmd_save(struct ksmd_saved *s, struct err *e)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < NKNOBS; i++) {
		if (ksm_sysfs_get(saved_knobs[i], s->val[i], sizeof(s->val[i])) < 0) {
			if (errno == ENOENT && i >= 3)
				continue;	/* advisor_mode: Linux 6.9+ only */
			return fail(e, 0, errno, "", "cannot read ksmd setting %s", saved_knobs[i]);
		}
		selected_choice(s->val[i]);
		s->have[i] = true;
	}
	return 0;
}

/* put every saved knob back, "run" first; report the first failure */
static int ksmd_restore(const struct ksmd_saved *s, struct err *e)
{
	int ret = 0;

	for (size_t i = 0; i < NKNOBS; i++) {
		if (!s->have[i])
			continue;
		if (ksm_sysfs_set(saved_knobs[i], s->val[i]) < 0 && ret == 0)
			ret = fail(e, 0, errno, "check /sys/kernel/mm/ksm by hand",
				   "cannot restore ksmd setting %s=%s", saved_knobs[i], s->val[i]);
	}
	return ret;
}

/* does PID have anything KSM may merge (merge-any, or a VMA with VM_MERGEABLE)? */
static int pid_mergeable(pid_t pid, struct err *e)
{
	struct ksm_proc_stat st;
	char path[64];
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int found = 0;

	int r = ksm_proc_stat(pid, &st);

	if (r < 0 && errno != ENOTSUP)
		return fail(e, 0, errno, errno == ESRCH ? "check the pid" : "", "cannot read ksm_stat of pid %d", (int)pid);
	if (r == 0 && (st.merge_any == 1 || st.mergeable == 1))
		return 1;
	if (r == 0 && st.merge_any == 0 && st.mergeable == 0)
		return 0;
	/* kernels before 6.14 do not say: look for the "mg" VMA flag */
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return fail(e, 0, errno == ENOENT ? ESRCH : errno, "", "cannot read smaps of pid %d", (int)pid);
	while (!found && getline(&line, &cap, f) > 0)
		if (!strncmp(line, "VmFlags:", 8) && strstr(line, " mg"))
			found = 1;
	fclose(f);
	return found;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int global_merge_wait(struct merge_args *a, struct err *e)
{
	long long merging[MAX_PIDS] = { 0 }, best_total = -1, total;
	long long scans0, scans = 0, growth_scan;
	struct ksmd_saved saved;
	struct sigaction sa = { .sa_handler = on_signal }, old[3];
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	double t0 = now_s();
	char val[32];
	int ret = 0;
	unsigned long long u;

	if (need_ksm(e) < 0)
		return -1;
	for (int i = 0; i < a->npids; i++) {
		int m = pid_mergeable(a->pids[i], e);

		if (m < 0)
			return -1;
		if (!m)
			return fail(e, EX_FAIL, EINVAL,
				    "start it through ksm-exec (PR_SET_MEMORY_MERGE) or have it madvise(MADV_MERGEABLE)",
				    "pid %d is not mergeable: no memory of it is marked for KSM", (int)a->pids[i]);
	}
	if (ksmd_save(&saved, e) < 0)
		return -1;
	if (ksm_sysfs_get_ull("full_scans", &u) < 0)
		return fail(e, 0, errno, "", "cannot read full_scans");
	scans0 = growth_scan = u;

	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);

	/* from here on every exit goes through the restore below */
	if (saved.have[3] && strcmp(saved.val[3], "none") && ksm_sysfs_set("advisor_mode", "none") < 0) {
		ret = fail(e, 0, errno, perm_hint(errno), "cannot set ksmd advisor_mode=none");
		goto restore;
	}
	snprintf(val, sizeof(val), "%lu", a->pages_to_scan);
	if (ksm_sysfs_set("pages_to_scan", val) < 0) {
		ret = fail(e, 0, errno, errno == EACCES || errno == EPERM ? "run as root" : "",
			   "cannot set ksmd pages_to_scan=%s", val);
		goto restore;
	}
	snprintf(val, sizeof(val), "%lu", a->sleep_ms);
	if (ksm_sysfs_set("sleep_millisecs", val) < 0) {
		ret = fail(e, 0, errno, "", "cannot set ksmd sleep_millisecs=%s", val);
		goto restore;
	}
	if (ksm_sysfs_set("run", "1") < 0) {
		ret = fail(e, 0, errno, "", "cannot start ksmd");
		goto restore;
	}
	for (;;) {
		if (stop_signal) {
			ret = fail(e, EX_FAIL, EINTR, "ksmd settings were restored",
				   "interrupted by signal %d", (int)stop_signal);
			goto restore;
		}
		if (ksm_sysfs_get_ull("full_scans", &u) < 0) {
			ret = fail(e, 0, errno, "", "cannot read full_scans");
			goto restore;
		}
		scans = u;
		total = 0;
		if (a->npids == 0) {
			unsigned long long sh = 0, sg = 0;

			if (ksm_sysfs_get_ull("pages_shared", &sh) < 0 ||
			    ksm_sysfs_get_ull("pages_sharing", &sg) < 0) {
				ret = fail(e, 0, errno, "", "cannot read pages_shared/pages_sharing");
				goto restore;
			}
			total = sh + sg;
		}
		for (int i = 0; i < a->npids; i++) {
			struct ksm_proc_stat st;

			if (ksm_proc_stat(a->pids[i], &st) < 0) {
				ret = fail(e, 0, errno, errno == ESRCH ? "the process exited while merging" : "",
					   "cannot read ksm_stat of pid %d", (int)a->pids[i]);
				goto restore;
			}
			merging[i] = st.merging_pages;
			total += st.merging_pages;
		}
		if (total > best_total) {
			best_total = total;
			growth_scan = scans;
		}
		/*
		 * The scan running when growth was seen may be partial: settle
		 * after two complete scans that started after it.
		 */
		if (scans >= growth_scan + 3)
			break;
		if (now_s() - t0 > a->timeout_s) {
			ret = fail(e, EX_TIMEOUT, ETIMEDOUT, "raise --timeout or --pages-to-scan",
				   "ksm_merging_pages still grew after %lu s", a->timeout_s);
			goto restore;
		}
		usleep(50000);
	}
restore:
	{
		struct err re = { 0 };

		if (ksmd_restore(&saved, &re) < 0 && ret == 0)
			ret = -1, *e = re;
	}
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (ret < 0)
		return ret;
	if (json_out) {
		jw_obj_open(jw);
		jw_kstr(jw, "domain", "global");
		jw_key(jw, "processes");
		jw_arr_open(jw);
		for (int i = 0; i < a->npids; i++) {
			jw_obj_open(jw);
			jw_kint(jw, "pid", a->pids[i]);
			jw_kint(jw, "ksm_merging_pages", merging[i]);
			jw_obj_close(jw);
		}
		jw_arr_close(jw);
		jw_kint(jw, "pages_merged", best_total);
		jw_kint(jw, "full_scans", scans - scans0);
		jw_key(jw, "seconds");
		jw_double(jw, now_s() - t0);
		jw_kbool(jw, "ksmd_restored", true);
		jw_obj_close(jw);
	} else {
		for (int i = 0; i < a->npids; i++)
			printf("pid %d: %lld pages merged\n", (int)a->pids[i], merging[i]);
		if (a->npids == 0)
			printf("global: %lld pages shared or sharing\n", best_total);
		printf("settled after %lld full scans in %.1f s; ksmd settings restored\n",
		       scans - scans0, now_s() - t0);
	}
	return 0;
}

static int do_merge_common(int argc, char **argv, bool unmerge, struct err *e)
{
	struct merge_args a;

	if (argc == 2 && is_help(argv[1]))
		return print_help(unmerge ? help_unmerge : help_merge);
	if (argc < 2)
		return print_help(unmerge ? help_unmerge : help_merge);
	optind = 0;
	if (parse_merge_args(argc, argv, &a, unmerge, e) < 0)
		return -1;
	if (a.global)
		return global_merge_wait(&a, e);
	return partition_merge(&a, unmerge, e);
}

int do_merge(int argc, char **argv, struct err *e) { return do_merge_common(argc, argv, false, e); }
int do_unmerge(int argc, char **argv, struct err *e) { return do_merge_common(argc, argv, true, e); }
