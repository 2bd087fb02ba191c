// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksm-exec - run a program (a VMM) with KSM merging enabled for all of its
 * anonymous memory: prctl(PR_SET_MEMORY_MERGE, 1) on itself, or with
 * --partition prctl(PR_SET_KSM_PARTITION, fd) to merge in one Selective KSM
 * partition only, then execvp.
 * The flag survives execve and is set before the program can install a
 * seccomp filter. argv, environment and file descriptors are passed
 * untouched. The urunc [ksm] feature as a launcher; see ksm-exec(1).
 *
 * Exit status (like env(1), nice(1)): 125 ksm-exec itself failed, 126 the
 * command could not be run, 127 the command was not found; otherwise the
 * command's own status (ksm-exec is replaced by it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>
#include <ksm.h>

#include "../common/tool.h"

#ifndef KSM_EXEC_VERSION
#define KSM_EXEC_VERSION "1.1.0"
#endif
#ifndef KSM_EXEC_CONFIG
#define KSM_EXEC_CONFIG "/etc/ksm-exec.conf"
#endif

#define EX_KSM_EXEC EX_TOOL_FAILED

struct config {
	int enable;		/* -1 unset, 0, 1 */
	int strict;		/* -1 unset, 0, 1 */
	char partition[KSM_NAME_MAX + 1];
	bool partition_set;
	char bad[512];		/* what the handler rejected */
};

/*
 * Join partition NAME for the whole address space (PR_SET_KSM_PARTITION),
 * kept across the exec that follows. Never falls back to global merging.
 */
static int join_partition(const char *name, const char *cmd, struct tool_err *e)
{
	char what[256];

	snprintf(what, sizeof(what), "'%s'", cmd);
	return tool_join_partition(name, what,
				   "run without --partition (and without partition= in the configuration) to merge in the global domain",
				   e);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ksm-exec [OPTIONS] [--] COMMAND [ARG]...\n"
		"Run COMMAND with KSM merging enabled for all its anonymous memory\n"
		"(prctl PR_SET_MEMORY_MERGE before exec; argv, environment and fds untouched).\n"
		"\n"
		"  -c, --config FILE     read the [ksm] section of FILE (default %s;\n"
		"                        a missing default file means: disabled)\n"
		"  -e, --enable          enable merging whatever the configuration says\n"
		"  -d, --disable         disable merging whatever the configuration says\n"
		"  -s, --strict          fail (exit 125) instead of warning when the kernel\n"
		"                        cannot enable merging\n"
		"  -P, --partition NAME  join Selective KSM partition NAME instead: COMMAND's\n"
		"                        pages merge in NAME only (PR_SET_KSM_PARTITION;\n"
		"                        NAME must exist; never falls back to global merging)\n"
		"  -q, --quiet           no warning when merging cannot be enabled\n"
		"  -h, --help            this help\n"
		"  -V, --version         version\n"
		"\n"
		"Configuration (urunc compatible):\n"
		"  [ksm]\n"
		"  enable = true\n"
		"  strict = false\n"
		"  partition = \"NAME\"    (optional)\n"
		"\n"
		"Exit status: 125 ksm-exec failed, 126 COMMAND not executable, 127 COMMAND\n"
		"not found, else the status of COMMAND.\n",
		KSM_EXEC_CONFIG);
}

/* TOML/INI value: strip a trailing "# comment" and surrounding quotes */
static void clean_value(const char *in, char *out, size_t size)
{
	size_t len;
	char q = 0;
	const char *p;

	for (p = in; *p; p++) {
		if (q) {
			if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'') {
			q = *p;
		} else if (*p == '#') {
			break;
		}
	}
	len = p - in;
	while (len && (in[len - 1] == ' ' || in[len - 1] == '\t'))
		len--;
	if (len >= 2 && (in[0] == '"' || in[0] == '\'') && in[len - 1] == in[0]) {
		in++;
		len -= 2;
	}
	if (len >= size)
		len = size - 1;
	memcpy(out, in, len);
	out[len] = '\0';
}

/* inih handler: only the [ksm] section is ours; other sections (urunc's) are ignored */
static int config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct config *c = user;
	char v[200];

	if (strcmp(section, "ksm"))
		return 1;
	clean_value(value, v, sizeof(v));
	if (!strcmp(name, "enable") || !strcmp(name, "strict")) {
		int b = tool_parse_bool(v);

		if (b < 0) {
			snprintf(c->bad, sizeof(c->bad), "[ksm] %.64s = '%s' is not a boolean (true or false)", name, v);
			return 0;
		}
		if (name[0] == 'e')
			c->enable = b;
		else
			c->strict = b;
	} else if (!strcmp(name, "partition")) {
		if (ksm_name_valid(v) < 0) {
			snprintf(c->bad, sizeof(c->bad),
				 "[ksm] partition = '%s' is not a partition name (1-63 of [A-Za-z0-9._-])", v);
			return 0;
		}
		memcpy(c->partition, v, strlen(v) + 1);	/* valid: at most KSM_NAME_MAX */
		c->partition_set = true;
	} else {
		snprintf(c->bad, sizeof(c->bad), "unknown key '%.64s' in [ksm] (known: enable, strict, partition)", name);
		return 0;
	}
	return 1;
}

static int load_config(const char *path, bool explicit, struct config *c, struct tool_err *e)
{
	FILE *f = fopen(path, "re");
	int line;

	if (!f) {
		if (errno == ENOENT && !explicit)
			return 0;
		return tool_fail(e, errno, NULL, "cannot read configuration %s", path);
	}
	line = ini_parse_file(f, config_handler, c);
	fclose(f);
	if (line < 0)
		return tool_fail(e, ENOMEM, NULL, "cannot parse configuration %s", path);
	if (line > 0) {
		if (c->bad[0])
			return tool_fail(e, 0, NULL, "%s:%d: %s", path, line, c->bad);
		return tool_fail(e, 0, NULL, "%s:%d: syntax error", path, line);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "enable", no_argument, NULL, 'e' },
		{ "disable", no_argument, NULL, 'd' },
		{ "strict", no_argument, NULL, 's' },
		{ "partition", required_argument, NULL, 'P' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	struct config cfg = { .enable = -1, .strict = -1 };
	const char *config = KSM_EXEC_CONFIG;
	bool config_explicit = false, quiet = false;
	int enable_cli = -1, strict_cli = -1, c;
	const char *partition_cli = NULL;
	struct tool_err e = { 0 };
	int enable, strict;

	while ((c = getopt_long(argc, argv, "+c:edsP:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; config_explicit = true; break;
		case 'e': enable_cli = 1; break;
		case 'd': enable_cli = 0; break;
		case 's': strict_cli = 1; break;
		case 'P': partition_cli = optarg; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("ksm-exec %s (libksm %s)\n", KSM_EXEC_VERSION, ksm_version()); return 0;
		default:
			fprintf(stderr, "ksm-exec: bad command line; see 'ksm-exec --help'\n");
			return EX_KSM_EXEC;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "ksm-exec: no COMMAND given; see 'ksm-exec --help'\n");
		return EX_KSM_EXEC;
	}
	if (load_config(config, config_explicit, &cfg, &e) < 0)
		goto die;
	if (partition_cli) {
		if (ksm_name_valid(partition_cli) < 0) {
			tool_fail(&e, errno, "a name is 1 to 63 characters of [A-Za-z0-9._-]",
			     "bad partition name '%s'", partition_cli);
			goto die;
		}
		snprintf(cfg.partition, sizeof(cfg.partition), "%s", partition_cli);
		cfg.partition_set = true;
	}
	/* the command line wins; --partition alone means enabled */
	enable = enable_cli >= 0 ? enable_cli : partition_cli ? 1 : cfg.enable > 0;
	strict = strict_cli >= 0 ? strict_cli : cfg.strict > 0;

	if (enable && cfg.partition_set) {
		/* Always strict: global merging instead would merge across tenants */
		if (join_partition(cfg.partition, argv[optind], &e) < 0)
			goto die;
	} else if (enable && ksm_set_merge_any(1) < 0) {
		int en = errno;

		if (strict) {
			tool_fail(&e, en, "boot Linux 6.4+ with CONFIG_KSM=y, or drop --strict",
			     "cannot enable KSM merging (PR_SET_MEMORY_MERGE)");
			goto die;
		}
		if (!quiet)
			fprintf(stderr, "ksm-exec: warning: cannot enable KSM merging (PR_SET_MEMORY_MERGE): %s; "
				"running '%s' without KSM\n", strerror(en), argv[optind]);
	}
	execvp(argv[optind], argv + optind);
	c = errno;
	tool_fail(&e, c, NULL, "cannot run '%s'", argv[optind]);
	tool_print_err("ksm-exec", &e);
	return c == ENOENT ? EX_NOTFOUND : EX_NOEXEC;
die:
	tool_print_err("ksm-exec", &e);
	return EX_KSM_EXEC;
}
