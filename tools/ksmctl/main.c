// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksmctl - one command line for KSM: Selective KSM partitions, synchronous
 * merges, the legacy global domain (ksmd) and per-process state.
 *
 *   ksmctl [-j|-p] OBJECT COMMAND ...      (see ksmctl(1), "ksmctl help")
 *
 * This file: dispatch to the objects (one file each: partition.c, merge.c,
 * status.c, ksmd.c, metrics.c), global options, shared option parsing, errors and JSON.
 * Errors carry errno and context up to main(), which prints them once: one
 * line of text on stderr, or a JSON object on stdout with -j.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "ksmctl.h"

#ifndef KSMCTL_VERSION
#define KSMCTL_VERSION "1.1.0"
#endif

/* ------------------------------------------------------------ errors */

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

/* ------------------------------------------------------------ JSON */

bool json_out, json_pretty;
struct jw *jw;
static FILE *jmem;
static char *jbuf;
static size_t jlen;

void set_json(bool pretty)
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
	"       OBJECT := { partition | merge | unmerge | status | ksmd | metrics }\n"
	"       OPTIONS := { -j|--json | -p|--pretty | -h|--help | -V|--version }\n"
	"Objects and commands may be abbreviated to any unambiguous prefix.\n";

int print_help(const char *text)
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

bool is_help(const char *s)
{
	return !strcmp(s, "help") || !strcmp(s, "--help") || !strcmp(s, "-h");
}

/* ------------------------------------------------------------ parsing helpers */

int match(const char *arg, const char *const *cands, int n)
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

int match_or_fail(const char *arg, const char *const *cands, int n, const char *what,
		  const char *hint, struct err *e)
{
	int i = match(arg, cands, n);

	if (i == -1)
		return fail(e, EX_USAGE, EINVAL, hint, "unknown %s '%s'", what, arg);
	if (i == -2)
		return fail(e, EX_USAGE, EINVAL, hint, "ambiguous %s '%s'", what, arg);
	return i;
}

int parse_pid(const char *s, pid_t *pid, struct err *e)
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

int open_pidfd(pid_t pid)
{
	/* pidfds are always close-on-exec */
	return syscall(SYS_pidfd_open, pid, 0);
}

int parse_ulong(const char *s, int base, unsigned long *out, const char *what, struct err *e)
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

int parse_range(const char *s, unsigned long *start, unsigned long *end, struct err *e)
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

int check_name(const char *name, struct err *e)
{
	if (ksm_name_valid(name) < 0)
		return fail(e, EX_USAGE, errno, "a name is 1 to 63 characters of [A-Za-z0-9._-], not '.' or '..'",
			    "bad partition name '%s'", name);
	return 0;
}

int need_partitions(struct err *e)
{
	if (!(ksm_features() & KSM_FEAT_PARTITION_SYSFS))
		return fail(e, EX_NOTSUP, ENOSYS,
			    "boot a kernel with CONFIG_SELECTIVE_KSM; on a stock kernel use 'ksmctl merge --global'",
			    "this kernel has no Selective KSM partitions");
	return 0;
}

int need_ksm(struct err *e)
{
	if (!(ksm_features() & KSM_FEAT_KSM))
		return fail(e, EX_NOTSUP, ENOSYS, "boot a kernel with CONFIG_KSM=y",
			    "this kernel has no KSM (/sys/kernel/mm/ksm)");
	return 0;
}

const char *perm_hint(int errnum)
{
	return errnum == EPERM || errnum == EACCES ? "run as root (CAP_SYS_ADMIN) or as the partition's owner" : "";
}

/*
 * Sub-command option parsing: getopt_long over argv (argv[0] is the command),
 * errors as usage failures. Returns the option or -1 at the end.
 */
int next_opt(int argc, char **argv, const struct option *opts, struct err *e, int *bad)
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
	{ "metrics", do_metrics },
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
