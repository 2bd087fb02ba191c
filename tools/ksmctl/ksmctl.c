// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksmctl - one command line for KSM: Selective KSM partitions, synchronous
 * merges, the legacy global domain (ksmd) and per-process state.
 *
 *   ksmctl [-j|-p] OBJECT COMMAND ...      (see ksmctl(1), "ksmctl help")
 *
 * Errors carry errno and context up to main(), which prints them once: one
 * line of text on stderr, or a JSON object on stdout with -j.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ksm.h>

#include "json.h"

#ifndef KSMCTL_VERSION
#define KSMCTL_VERSION "1.1.0"
#endif

/* exit codes, documented in ksmctl(1) */
enum {
	EX_OK = 0,
	EX_FAIL = 1,		/* the operation failed */
	EX_USAGE = 2,		/* bad command line */
	EX_NOTSUP = 3,		/* the running kernel lacks the interface */
	EX_TIMEOUT = 4,		/* merge --wait did not settle in time */
};

/* ------------------------------------------------------------ cleanup helpers */

static inline void close_p(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
static inline void free_p(void *p) { free(*(void **)p); }
static inline void names_free_p(char ***p) { ksm_names_free(*p); }
#define _cleanup_close_ __attribute__((cleanup(close_p)))
#define _cleanup_free_ __attribute__((cleanup(free_p)))
#define _cleanup_names_ __attribute__((cleanup(names_free_p)))

/* ------------------------------------------------------------ errors */

struct err {
	int errnum;
	int exit;
	char what[512];
	char hint[512];
};

static __attribute__((format(printf, 5, 6)))
int fail(struct err *e, int exit_code, int errnum, const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->what, sizeof(e->what), fmt, ap);
	va_end(ap);
	snprintf(e->hint, sizeof(e->hint), "%s", hint ? hint : "");
	e->errnum = errnum;
	if (!exit_code) {
		switch (errnum) {
		case ENOSYS:
		case ENOTSUP:
			exit_code = EX_NOTSUP;
			break;
		case ETIMEDOUT:
			exit_code = EX_TIMEOUT;
			break;
		default:
			exit_code = EX_FAIL;
		}
	}
	e->exit = exit_code;
	return -1;
}

#define usage_fail(e, ...) fail(e, EX_USAGE, EINVAL, NULL, __VA_ARGS__)

static bool json_out, json_pretty;
static struct jw *jw;		/* writes to a memory buffer: printed only on success */
static FILE *jmem;
static char *jbuf;
static size_t jlen;

static void set_json(bool pretty)
{
	json_out = true;
	json_pretty = json_pretty || pretty;
	if (jw)
		return;
	jmem = open_memstream(&jbuf, &jlen);
	if (jmem)
		jw = jw_new(jmem, json_pretty);
	if (!jw) {
		perror("ksmctl: cannot allocate the JSON writer");
		exit(EX_FAIL);
	}
}

/* success: print the document; failure: drop it (the error object replaces it) */
static void json_finish(bool print)
{
	if (!jw)
		return;
	jw_destroy(&jw);
	fclose(jmem);
	if (print)
		fwrite(jbuf, 1, jlen, stdout);
	free(jbuf);
	jbuf = NULL;
}

static const char *errno_name(int errnum)
{
	const char *n = strerrorname_np(errnum);

	return n ? n : "E?";
}

static void print_error(const struct err *e, const char *usage_hint)
{
	const char *hint = e->hint[0] ? e->hint : (e->exit == EX_USAGE ? usage_hint : "");

	if (json_out) {
		struct jw *j = jw_new(stdout, json_pretty);

		if (!j)
			return;
		jw_obj_open(j);
		jw_kstr(j, "error", e->what);
		jw_kint(j, "errno", e->errnum);
		jw_kstr(j, "errno_name", e->errnum ? errno_name(e->errnum) : "");
		jw_kstr(j, "strerror", strerror(e->errnum));
		jw_kstr(j, "hint", hint ? hint : "");
		jw_kint(j, "exit_code", e->exit);
		jw_obj_close(j);
		jw_destroy(&j);
		return;
	}
	fprintf(stderr, "ksmctl: %s: %s (%s)%s%s\n", e->what, strerror(e->errnum),
		errno_name(e->errnum), hint && *hint ? "; " : "", hint ? hint : "");
}

/* ------------------------------------------------------------ help */

static const char *const help_main =
	"Usage: ksmctl [OPTIONS] OBJECT { COMMAND | help }\n"
	"       ksmctl help\n"
	"       OBJECT := { partition | merge | unmerge | status | ksmd }\n"
	"       OPTIONS := { -j|--json | -p|--pretty | -h|--help | -V|--version }\n"
	"Objects and commands may be abbreviated to any unambiguous prefix.\n";

static const char *const help_partition =
	"Usage: ksmctl partition add NAME [--mode MODE] [--sysfs]\n"
	"       ksmctl partition remove NAME [--sysfs]\n"
	"       ksmctl partition list\n"
	"       ksmctl partition show NAME\n"
	"       ksmctl partition scan NAME on|off [--pages-to-scan N] [--sleep-ms MS]\n"
	"       ksmctl partition help\n"
	"       NAME := 1..63 characters of [A-Za-z0-9._-]\n"
	"       MODE := octal permission bits for ksm_open(2) creation (default 0600)\n"
	"       --sysfs: use /sys/kernel/mm/ksm/control (root, mode 0600) instead of the syscalls\n"
	"       scan: background scanning of the partition's joined members (ksm-exec\n"
	"       --partition), with the partition's trees only; off by default\n";

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

static const char *const help_status =
	"Usage: ksmctl status [--pid PID]\n"
	"       ksmctl status help\n"
	"       without --pid: kernel features, global KSM state, every partition\n"
	"       with --pid: /proc/PID/ksm_stat\n";

static const char *const help_ksmd =
	"Usage: ksmctl ksmd run\n"
	"       ksmctl ksmd stop\n"
	"       ksmctl ksmd unmerge-all\n"
	"       ksmctl ksmd show\n"
	"       ksmctl ksmd tune KNOB VALUE [KNOB VALUE]...\n"
	"       ksmctl ksmd help\n"
	"       KNOB := a writable file of /sys/kernel/mm/ksm (pages_to_scan, sleep_millisecs, ...)\n";

static int print_help(const char *text)
{
	if (json_out) {
		jw_obj_open(jw);
		jw_kstr(jw, "help", text);
		jw_obj_close(jw);
	} else {
		fputs(text, stdout);
	}
	return 0;
}

static bool is_help(const char *s)
{
	return !strcmp(s, "help") || !strcmp(s, "--help") || !strcmp(s, "-h");
}

/* ------------------------------------------------------------ parsing helpers */

/* index of the command ARG names (exact or unique prefix), -1 none, -2 ambiguous */
static int match(const char *arg, const char *const *cands, int n)
{
	size_t len = strlen(arg);
	int found = -1;

	if (!len)
		return -1;
	for (int i = 0; i < n; i++) {
		if (!strcmp(arg, cands[i]))
			return i;
		if (!strncmp(arg, cands[i], len))
			found = found == -1 ? i : -2;
	}
	return found;
}

static int match_or_fail(const char *arg, const char *const *cands, int n, const char *what,
			 const char *hint, struct err *e)
{
	int i = match(arg, cands, n);

	if (i == -1)
		return fail(e, EX_USAGE, EINVAL, hint, "unknown %s '%s'", what, arg);
	if (i == -2)
		return fail(e, EX_USAGE, EINVAL, hint, "ambiguous %s '%s'", what, arg);
	return i;
}

static int parse_pid(const char *s, pid_t *pid, struct err *e)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > INT_MAX)
		return usage_fail(e, "bad pid '%s'", s);
	*pid = v;
	return 0;
}

static int parse_ulong(const char *s, int base, unsigned long *out, const char *what, struct err *e)
{
	char *end;

	errno = 0;
	if (!*s || *s == '-')
		return usage_fail(e, "bad %s '%s'", what, s);
	*out = strtoul(s, &end, base);
	if (errno || end == s || *end)
		return usage_fail(e, "bad %s '%s'", what, s);
	return 0;
}

static int parse_range(const char *s, unsigned long *start, unsigned long *end, struct err *e)
{
	_cleanup_free_ char *a = strdup(s);
	char *dash;

	if (!a)
		return fail(e, 0, ENOMEM, NULL, "cannot parse range");
	dash = strchr(a, '-');
	if (!dash)
		return usage_fail(e, "bad range '%s' (expected START-END in hexadecimal)", s);
	*dash = '\0';
	if (parse_ulong(a, 16, start, "range start", e) < 0 ||
	    parse_ulong(dash + 1, 16, end, "range end", e) < 0)
		return -1;
	if (*end <= *start)
		return usage_fail(e, "bad range '%s': END must be above START", s);
	return 0;
}

static int check_name(const char *name, struct err *e)
{
	if (ksm_name_valid(name) < 0)
		return fail(e, EX_USAGE, errno, "a name is 1 to 63 characters of [A-Za-z0-9._-], not '.' or '..'",
			    "bad partition name '%s'", name);
	return 0;
}

static int need_partitions(struct err *e)
{
	if (!(ksm_features() & KSM_FEAT_PARTITION_SYSFS))
		return fail(e, EX_NOTSUP, ENOSYS,
			    "boot a kernel with CONFIG_SELECTIVE_KSM; on a stock kernel use 'ksmctl merge --global'",
			    "this kernel has no Selective KSM partitions");
	return 0;
}

static int need_ksm(struct err *e)
{
	if (!(ksm_features() & KSM_FEAT_KSM))
		return fail(e, EX_NOTSUP, ENOSYS, "boot a kernel with CONFIG_KSM=y",
			    "this kernel has no KSM (/sys/kernel/mm/ksm)");
	return 0;
}

static const char *perm_hint(int errnum)
{
	return errnum == EPERM || errnum == EACCES ? "run as root (CAP_SYS_ADMIN) or as the partition's owner" : "";
}

/*
 * Sub-command option parsing: getopt_long over argv (argv[0] is the command),
 * errors as usage failures. Returns the option or -1 at the end.
 */
static int next_opt(int argc, char **argv, const struct option *opts, struct err *e, int *bad)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, ":jp", opts, NULL);	/* permute: NAME anywhere */
	if (c == 'j' || c == 'p') {
		set_json(c == 'p');
		return next_opt(argc, argv, opts, e, bad);
	}
	if (c == '?' || c == ':') {
		const char *o = argv[optind - 1];

		usage_fail(e, c == ':' ? "option '%s' needs an argument" : "unknown option '%s'", o);
		*bad = 1;
		return -1;
	}
	return c;
}

/* ------------------------------------------------------------ partition */

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
			return fail(e, 0, errno, errno == EEXIST ? "pick another name" : "",
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
static int list_partitions(bool as_text, struct err *e)
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

static int do_partition(int argc, char **argv, struct err *e)
{
	static const char *const cmds[] = { "add", "remove", "list", "show", "scan", "help" };
	int i;

	if (argc < 2)
		return print_help(help_partition);
	i = match_or_fail(argv[1], cmds, 6, "partition command", "see 'ksmctl partition help'", e);
	if (i < 0)
		return -1;
	optind = 0;
	switch (i) {
	case 0: return cmd_partition_add(argc - 1, argv + 1, e);
	case 1: return cmd_partition_remove(argc - 1, argv + 1, e);
	case 2: return cmd_partition_list(argc - 1, argv + 1, e);
	case 3: return cmd_partition_show(argc - 1, argv + 1, e);
	case 4: return cmd_partition_scan(argc - 1, argv + 1, e);
	default: return print_help(help_partition);
	}
}

/* ------------------------------------------------------------ merge / unmerge */

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
		_cleanup_close_ int fd = ksm_open(a->name, O_RDWR | KSM_CLOEXEC, 0);

		if (fd < 0)
			return fail(e, 0, errno,
				    errno == ENOENT ? "create it with 'ksmctl partition add NAME'" : perm_hint(errno),
				    "cannot open partition '%s'", a->name);
		pages = unmerge ? ksm_unmerge(fd, a->pids[0], a->range_set ? a->start : 0, size)
				: ksm_merge(fd, a->pids[0], a->range_set ? a->start : 0, size);
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

static int do_merge(int argc, char **argv, struct err *e) { return do_merge_common(argc, argv, false, e); }
static int do_unmerge(int argc, char **argv, struct err *e) { return do_merge_common(argc, argv, true, e); }

/* ------------------------------------------------------------ status */

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

static int do_status(int argc, char **argv, struct err *e)
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

/* ------------------------------------------------------------ ksmd */

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

static int do_ksmd(int argc, char **argv, struct err *e)
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

/* ------------------------------------------------------------ main */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, struct err *e);
} objects[] = {
	{ "partition", do_partition },
	{ "merge", do_merge },
	{ "unmerge", do_unmerge },
	{ "status", do_status },
	{ "ksmd", do_ksmd },
	{ "help", NULL },
};
#define NOBJ (int)(sizeof(objects) / sizeof(objects[0]))

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	const char *names[NOBJ];
	struct err e = { 0 };
	int c, i, ret;
	bool help = false, version = false;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jphV", opts, NULL)) != -1) {
		switch (c) {
		case 'j': set_json(false); break;
		case 'p': set_json(true); break;
		case 'h': help = true; break;
		case 'V': version = true; break;
		default:
			usage_fail(&e, "unknown option '%s'", argv[optind - 1]);
			print_error(&e, "see 'ksmctl help'");
			return e.exit;
		}
	}
	if (version) {
		if (json_out) {
			jw_obj_open(jw);
			jw_kstr(jw, "version", KSMCTL_VERSION);
			jw_kstr(jw, "libksm", ksm_version());
			jw_obj_close(jw);
			json_finish(true);
		} else {
			printf("ksmctl %s (libksm %s)\n", KSMCTL_VERSION, ksm_version());
		}
		return 0;
	}
	if (help || optind >= argc) {
		print_help(help_main);
		json_finish(true);
		return help ? 0 : EX_USAGE;
	}
	for (i = 0; i < NOBJ; i++)
		names[i] = objects[i].name;
	i = match_or_fail(argv[optind], names, NOBJ, "object", "see 'ksmctl help'", &e);
	if (i >= 0 && !objects[i].fn) {
		ret = print_help(help_main);
	} else if (i >= 0) {
		ret = objects[i].fn(argc - optind, argv + optind, &e);
	} else {
		ret = -1;
	}
	if (ret < 0) {
		json_finish(false);	/* the error object is the whole output */
		print_error(&e, "see 'ksmctl help'");
		return e.exit;
	}
	json_finish(true);
	return 0;
}
