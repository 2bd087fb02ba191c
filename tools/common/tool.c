// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tool.c - helpers shared by ksm-exec and ksm-oci; see tool.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ksm.h>

#include "tool.h"

int tool_fail(struct tool_err *e, int errnum, const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->errnum = errnum;
	snprintf(e->hint, sizeof(e->hint), "%s", hint ? hint : "");
	return -1;
}

void tool_err_str(const struct tool_err *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s", e->msg, e->errnum ? ": " : "",
		 e->errnum ? strerror(e->errnum) : "", e->hint[0] ? "; " : "", e->hint);
}

void tool_print_err(const char *prog, const struct tool_err *e)
{
	char buf[sizeof(e->msg) + sizeof(e->hint) + 128];

	tool_err_str(e, buf, sizeof(buf));
	fprintf(stderr, "%s: %s\n", prog, buf);
}

int tool_join_partition(const char *name, const char *what, const char *nopart_hint,
			struct tool_err *e)
{
	unsigned int f = ksm_features();
	int fd, en;

	if (!(f & KSM_FEAT_PARTITION_JOIN))
		return tool_fail(e, ENOSYS, nopart_hint,
				 "cannot run %s in KSM partition '%s': %s", what, name,
				 (f & KSM_FEAT_PARTITION_SYSFS)
					 ? "this kernel has Selective KSM partitions but no partition membership (PR_SET_KSM_PARTITION)"
					 : "this kernel has no Selective KSM partitions");
	fd = ksm_open(name, KSM_CLOEXEC, 0);
	if (fd < 0) {
		en = errno;
		return tool_fail(e, en,
				 en == ENOENT ? "create it first: ksmctl partition add NAME" :
				 en == EACCES ? "the partition's mode does not let this user merge into it" : NULL,
				 "cannot open KSM partition '%s'", name);
	}
	if (ksm_join(fd) < 0) {
		en = errno;
		close(fd);
		return tool_fail(e, en,
				 en == EBUSY ? "this process already merges in another partition or in the global domain "
					       "(PR_SET_MEMORY_MERGE inherited from its parent)" : NULL,
				 "cannot join KSM partition '%s'", name);
	}
	close(fd);
	return 0;
}

int tool_parse_bool(const char *v)
{
	static const char *const t[] = { "true", "yes", "on", "1" };
	static const char *const f[] = { "false", "no", "off", "0" };

	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(v, t[i]))
			return 1;
		if (!strcasecmp(v, f[i]))
			return 0;
	}
	return -1;
}
