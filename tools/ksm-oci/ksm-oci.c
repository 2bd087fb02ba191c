// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksm-oci - an OCI runtime wrapper: put in front of the real runtime (crun,
 * runc, runsc, urunc, ...), it reads the bundle's config.json for "create"
 * and "run", and with the annotation
 *
 *	org.selective-ksm.partition: NAME	joins Selective KSM partition NAME
 *						(prctl(PR_SET_KSM_PARTITION))
 *	org.selective-ksm.enable: "true"	merges in the global domain
 *						(prctl(PR_SET_MEMORY_MERGE))
 *
 * then execs the runtime with its argv, environment and file descriptors
 * untouched: the container's processes, and the VMM a sandbox runtime
 * starts, inherit the membership (kept across fork and execve). Every other
 * command is exec'd untouched without reading anything. A partition that
 * cannot be joined is an error and the container does not start: never a
 * silent fallback to global merging. See ksm-oci(1).
 *
 * Exit status: 125 ksm-oci itself failed (nothing was run), 126 the runtime
 * could not be run, 127 the runtime was not found; otherwise the runtime's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <ksm.h>

#include "../common/tool.h"

#ifndef KSM_OCI_VERSION
#define KSM_OCI_VERSION "1.1.0"
#endif

#define ANN_PREFIX	"org.selective-ksm."
#define ANN_PARTITION	ANN_PREFIX "partition"
#define ANN_ENABLE	ANN_PREFIX "enable"
#define RUNTIME_ENV	"KSM_OCI_RUNTIME"
#define SELF_PREFIX	"ksm-oci-"	/* argv[0] ksm-oci-crun: runtime crun */

static inline void freep(void *p)
{
	free(*(void **)p);
}
static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define cleanup_free	__attribute__((cleanup(freep)))
#define cleanup_close	__attribute__((cleanup(closep)))

/* What ksm-oci learns from the runtime's command line (pointers into argv) */
struct rt_cmdline {
	const char *command;	/* first command word; NULL: none (e.g. --version) */
	const char *id;		/* container ID of create/run, if found */
	const char *bundle;	/* --bundle/-b; NULL: the current directory */
	const char *config;	/* crun's --config/-f; NULL: config.json */
	const char *log;	/* global --log FILE */
	const char *log_format;	/* global --log-format text|json */
};

/*
 * Global options of the OCI runtimes that take a value (runc, crun, youki,
 * urunc; runsc's most common ones). Values of other, unknown options are
 * stepped over by looking for a known command word (see find_command).
 */
static const char *const global_value_opts[] = {
	"log", "log-format", "log-level", "root", "criu", "rootless", "cgroup-manager",
	/* runsc */
	"platform", "network", "debug-log", "debug-log-format", "panic-log", "file-access",
	"overlay2", "strace-syscalls", "coverage-report", "profile-block", "profile-cpu",
	"profile-heap", "profile-mutex", "trace", "panic-signal", "watchdog-action",
	NULL
};

/* Options of create/run that take a value, in runc and crun */
static const char *const create_value_opts[] = {
	"bundle", "config", "console-socket", "pid-file", "preserve-fds", NULL
};

/* Command words of the OCI runtimes (runc, crun, runsc, youki, urunc) */
static const char *const commands[] = {
	"create", "run", "start", "state", "kill", "delete", "exec", "ps", "pause",
	"resume", "update", "checkpoint", "restore", "events", "spec", "list", "features",
	"help", "mounts", "boot", "gofer", "do", "wait", "debug", "port-forward",
	"install", "uninstall", "symbolize", "flags", "info", NULL
};

static bool in_list(const char *const *list, const char *s, size_t len)
{
	for (; *list; list++)
		if (strlen(*list) == len && !strncmp(*list, s, len))
			return true;
	return false;
}

/*
 * An option word: "--name", "-name" (Go's flag package, urfave/cli), "-x".
 * Sets *name and *len to the name without dashes and *value to what follows
 * '=' (NULL if none). Returns false for a non-option word ("-" included).
 */
static bool option_word(const char *arg, const char **name, size_t *len, const char **value)
{
	const char *eq;

	if (arg[0] != '-' || !arg[1])
		return false;
	arg += arg[1] == '-' ? 2 : 1;
	eq = strchr(arg, '=');
	*name = arg;
	*len = eq ? (size_t)(eq - arg) : strlen(arg);
	*value = eq ? eq + 1 : NULL;
	return true;
}

/*
 * Find the command word in the runtime's arguments args[0..n): the first
 * word that is neither an option nor the value of a known option and is a
 * known command. Returns its index, or -1.
 */
static int find_command(char **args, int n, struct rt_cmdline *rc)
{
	for (int i = 0; i < n; i++) {
		const char *name, *value;
		size_t len;

		if (!strcmp(args[i], "--"))
			return i + 1 < n && in_list(commands, args[i + 1], strlen(args[i + 1])) ? i + 1 : -1;
		if (option_word(args[i], &name, &len, &value)) {
			if (!in_list(global_value_opts, name, len))
				continue;
			if (!value) {
				if (i + 1 >= n)
					return -1;
				value = args[++i];
			}
			if (len == 3 && !strncmp(name, "log", 3))
				rc->log = value;
			else if (len == 10 && !strncmp(name, "log-format", 10))
				rc->log_format = value;
			continue;
		}
		if (in_list(commands, args[i], strlen(args[i])))
			return i;
		/* the value of an option we do not know: go on */
	}
	return -1;
}

/*
 * Options of create/run: -b DIR, -bDIR, --bundle DIR, --bundle=DIR, -bundle
 * DIR (urfave/cli), and crun's -f/--config FILE; the first other word is the
 * container ID. The last of repeated options wins, as in runc and crun.
 */
static void parse_create_args(char **args, int n, struct rt_cmdline *rc)
{
	for (int i = 0; i < n; i++) {
		const char *name, *value, *a = args[i];
		size_t len;

		if (!strcmp(a, "--")) {
			if (!rc->id && i + 1 < n)
				rc->id = args[i + 1];
			break;
		}
		if (!option_word(a, &name, &len, &value)) {
			if (!rc->id)
				rc->id = a;
			continue;
		}
		/*
		 * getopt/argp short options with the value attached (-bDIR,
		 * -fFILE), unless it is urfave/cli's single-dash long -bundle
		 */
		if ((a[1] == 'b' || a[1] == 'f') && a[2] &&
		    !(a[1] == 'b' && !strncmp(a + 1, "bundle", 6) && (!a[7] || a[7] == '='))) {
			if (a[1] == 'b')
				rc->bundle = a + 2;
			else
				rc->config = a + 2;
			continue;
		}
		if (!(len == 1 && (name[0] == 'b' || name[0] == 'f')) &&
		    !in_list(create_value_opts, name, len))
			continue;
		if (!value) {
			if (i + 1 >= n)
				break;
			value = args[++i];
		}
		if (name[0] == 'b')
			rc->bundle = value;
		else if (name[0] == 'f' || (len == 6 && !strncmp(name, "config", 6)))
			rc->config = value;
	}
}

/*
 * The path of config.json as the runtime resolves it: BUNDLE/config.json;
 * crun's --config FILE other than "config.json" is relative to the current
 * directory, "config.json" to the bundle.
 */
static char *config_path(const struct rt_cmdline *rc)
{
	const char *bundle = rc->bundle ? rc->bundle : ".";
	const char *cfg = rc->config ? rc->config : "config.json";
	char *p;

	if (cfg[0] == '/' || strcmp(cfg, "config.json"))
		return strdup(cfg);
	if (asprintf(&p, "%s/%s", bundle, cfg) < 0)
		return NULL;
	return p;
}

struct ksm_request {
	const char *partition;	/* org.selective-ksm.partition */
	int enable;		/* org.selective-ksm.enable: -1 absent, 0, 1 */
};

/* Read the org.selective-ksm.* annotations of the OCI configuration PATH. */
static int read_annotations(const char *path, json_t **rootp, struct ksm_request *req,
			    struct tool_err *e)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	json_t *ann, *v;
	json_error_t jerr;
	const char *key;
	FILE *f;

	req->partition = NULL;
	req->enable = -1;
	if (fd < 0)
		return tool_fail(e, errno, "give the bundle with --bundle DIR, or run in the bundle directory",
				 "cannot read the OCI configuration %s", path);
	f = fdopen(fd, "r");
	if (!f)
		return tool_fail(e, errno, NULL, "cannot read the OCI configuration %s", path);
	fd = -1;	/* f owns it */
	*rootp = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (!*rootp)
		return tool_fail(e, 0, NULL, "%s:%d:%d: not a valid OCI configuration: %s",
				 path, jerr.line, jerr.column, jerr.text);
	if (!json_is_object(*rootp))
		return tool_fail(e, 0, NULL, "%s: not a valid OCI configuration: not a JSON object", path);
	ann = json_object_get(*rootp, "annotations");
	if (!ann || json_is_null(ann))
		return 0;
	if (!json_is_object(ann))
		return tool_fail(e, 0, NULL, "%s: \"annotations\" is not an object of strings", path);
	json_object_foreach(ann, key, v) {
		if (strncmp(key, ANN_PREFIX, strlen(ANN_PREFIX)))
			continue;
		if (strcmp(key, ANN_PARTITION) && strcmp(key, ANN_ENABLE))
			return tool_fail(e, 0, "known: " ANN_PARTITION ", " ANN_ENABLE,
					 "%s: unknown annotation '%s'", path, key);
		if (!json_is_string(v))
			return tool_fail(e, 0, NULL, "%s: annotation %s is not a string", path, key);
		if (!strcmp(key, ANN_PARTITION)) {
			req->partition = json_string_value(v);
			if (ksm_name_valid(req->partition) < 0)
				return tool_fail(e, errno, "a name is 1 to 63 characters of [A-Za-z0-9._-]",
						 "%s: annotation %s: bad partition name '%s'", path, key,
						 req->partition);
		} else {
			req->enable = tool_parse_bool(json_string_value(v));
			if (req->enable < 0)
				return tool_fail(e, 0, NULL, "%s: annotation %s: '%s' is not a boolean (\"true\" or \"false\")",
						 path, key, json_string_value(v));
		}
	}
	if (req->partition && req->enable >= 0)
		return tool_fail(e, 0, "a container merges in one partition (" ANN_PARTITION
				 ") or in the global domain (" ANN_ENABLE "), not both",
				 "%s: both %s and %s are set", path, ANN_PARTITION, ANN_ENABLE);
	return 0;
}

/* Join what the annotations ask for; WHAT names the container in messages. */
static int apply(const struct ksm_request *req, const char *what, struct tool_err *e)
{
	if (req->partition)
		return tool_join_partition(req->partition, what,
					   "remove the annotation " ANN_PARTITION
					   " to run the container without KSM", e);
	if (req->enable == 1 && ksm_set_merge_any(1) < 0)
		return tool_fail(e, errno, "boot Linux 6.4+ with CONFIG_KSM=y, or remove the annotation " ANN_ENABLE,
				 "cannot run %s with KSM merging in the global domain (PR_SET_MEMORY_MERGE)", what);
	return 0;
}

/*
 * Errors go to stderr and, when the runtime was given a log file (containerd
 * reads the last error from it), to that file too, in its format.
 */
static void report(const struct tool_err *e, const struct rt_cmdline *rc)
{
	char msg[sizeof(e->msg) + sizeof(e->hint) + 160], when[40];
	cleanup_close int fd = -1;
	cleanup_free char *line = NULL;
	struct tm tm;
	time_t now;

	tool_print_err("ksm-oci", e);
	if (!rc || !rc->log)
		return;
	fd = open(rc->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	tool_err_str(e, msg + 9, sizeof(msg) - 9);
	memcpy(msg, "ksm-oci: ", 9);
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (rc->log_format && !strcmp(rc->log_format, "json")) {
		json_auto_t *j = json_pack("{s:s, s:s, s:s}", "level", "error", "msg", msg,
						   "time", when);
		char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

		if (!s)
			return;
		if (asprintf(&line, "%s\n", s) < 0)
			line = NULL;
		free(s);
	} else if (asprintf(&line, "%s %s\n", when, msg) < 0) {
		line = NULL;
	}
	if (line && write(fd, line, strlen(line)) < 0)
		return;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ksm-oci [--runtime RUNTIME] [--] [RUNTIME-ARG]...\n"
		"OCI runtime wrapper: for 'create' and 'run', read the bundle's config.json and\n"
		"with the annotation\n"
		"  " ANN_PARTITION ": NAME  join Selective KSM partition NAME\n"
		"  " ANN_ENABLE ": \"true\"   merge in the global domain (ksmd)\n"
		"then exec RUNTIME with the same arguments, environment and fds; the container\n"
		"inherits it. Every other command is exec'd untouched.\n"
		"\n"
		"  --runtime RUNTIME  the real runtime (crun, runc, /usr/bin/runsc, ...); else the\n"
		"                     name ksm-oci is run as, ksm-oci-RUNTIME (a symlink), else\n"
		"                     $" RUNTIME_ENV "\n"
		"  --help             this help (only before the runtime's arguments)\n"
		"  --version          ksm-oci's version, then the runtime's\n"
		"  --                 end of ksm-oci's options\n"
		"\n"
		"The bundle is --bundle/-b DIR of the create or run command, else the current\n"
		"directory, as the runtime takes it; crun's --config FILE is honoured.\n"
		"A partition that cannot be joined (missing, no permission, a kernel without\n"
		"Selective KSM) is an error: the container does not start.\n"
		"\n"
		"Exit status: 125 ksm-oci failed (nothing was run), 126 RUNTIME not executable,\n"
		"127 RUNTIME not found, else the status of RUNTIME.\n"
		"\n"
		"Example: ksm-oci --runtime crun run --bundle /containers/web web1\n");
}

int main(int argc, char **argv)
{
	const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *runtime = NULL, *base;
	struct rt_cmdline rc = { 0 };
	struct tool_err e = { 0 };
	char *vargv[] = { NULL, (char *)"--version", NULL };
	bool version = false;
	char **rargv;
	int i = 1, cmd, en;

	/* ksm-oci's own options: only leading ones; the rest is the runtime's */
	while (i < argc) {
		if (!strcmp(argv[i], "--runtime")) {
			if (i + 1 >= argc) {
				tool_fail(&e, 0, "see 'ksm-oci --help'", "--runtime needs a value");
				goto die;
			}
			runtime = argv[i + 1];
			i += 2;
		} else if (!strncmp(argv[i], "--runtime=", 10)) {
			runtime = argv[i++] + 10;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			version = true;
			i++;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			break;
		}
	}
	if (!runtime && !strncmp(self, SELF_PREFIX, strlen(SELF_PREFIX)) && self[strlen(SELF_PREFIX)])
		runtime = self + strlen(SELF_PREFIX);
	if (!runtime)
		runtime = getenv(RUNTIME_ENV);
	if (version) {
		printf("ksm-oci %s (libksm %s)\n", KSM_OCI_VERSION, ksm_version());
		if (!runtime || !*runtime)
			return 0;
		fflush(stdout);
		vargv[0] = (char *)runtime;
		rargv = vargv;
		goto run;
	}
	if (!runtime || !*runtime) {
		tool_fail(&e, 0, "give --runtime RUNTIME, run ksm-oci as ksm-oci-RUNTIME, or set " RUNTIME_ENV,
			  "no OCI runtime to run");
		goto die;
	}
	base = strrchr(runtime, '/') ? strrchr(runtime, '/') + 1 : runtime;
	if (!strncmp(base, "ksm-oci", 7)) {
		tool_fail(&e, 0, "give the real runtime (crun, runc, ...)", "the runtime '%s' is ksm-oci itself", runtime);
		goto die;
	}
	/* the runtime's argv: argv[i - 1] becomes its argv[0] */
	rargv = argv + i - 1;
	rargv[0] = (char *)runtime;

	cmd = find_command(rargv + 1, argc - i, &rc);
	if (cmd >= 0 && (!strcmp(rargv[1 + cmd], "create") || !strcmp(rargv[1 + cmd], "run"))) {
		json_auto_t *root = NULL;
		cleanup_free char *path = NULL, *what = NULL;
		struct ksm_request req;

		rc.command = rargv[1 + cmd];
		parse_create_args(rargv + 2 + cmd, argc - i - cmd - 1, &rc);
		path = config_path(&rc);
		if (!path) {
			tool_fail(&e, ENOMEM, NULL, "cannot find the OCI configuration");
			goto die;
		}
		if (read_annotations(path, &root, &req, &e) < 0)
			goto die;
		if ((rc.id ? asprintf(&what, "container '%s'", rc.id) : asprintf(&what, "the container")) < 0) {
			tool_fail(&e, ENOMEM, NULL, "cannot %s the container", rc.command);
			goto die;
		}
		if (apply(&req, what, &e) < 0)
			goto die;
	}
run:
	execvp(rargv[0], rargv);
	en = errno;
	tool_fail(&e, en, NULL, "cannot run the OCI runtime '%s'", rargv[0]);
	report(&e, &rc);
	return en == ENOENT ? EX_NOTFOUND : EX_NOEXEC;
die:
	report(&e, &rc);
	return EX_TOOL_FAILED;
}
