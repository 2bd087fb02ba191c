/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tool.h - helpers shared by the launchers ksm-exec and ksm-oci: one error
 * record printed once at the top (errno + context + hint, like crun), joining
 * a partition without ever falling back to global merging, booleans of
 * configuration files and annotations.
 */
#ifndef KSM_TOOL_H
#define KSM_TOOL_H

#include <stdbool.h>
#include <stdio.h>

/* Exit status of a launcher (like env(1), nice(1)) */
#define EX_TOOL_FAILED	125	/* the launcher itself failed: nothing was run */
#define EX_NOEXEC	126	/* the command could not be run */
#define EX_NOTFOUND	127	/* the command was not found */

struct tool_err {
	int errnum;		/* 0: no errno to show */
	char msg[1024];
	char hint[256];
};

/* Record an error; returns -1. */
__attribute__((format(printf, 4, 5)))
int tool_fail(struct tool_err *e, int errnum, const char *hint, const char *fmt, ...);
/* Format "MSG[: strerror][; hint]" into buf. */
void tool_err_str(const struct tool_err *e, char *buf, size_t size);
/* Print "PROG: MSG[: strerror][; hint]" on stderr. */
void tool_print_err(const char *prog, const struct tool_err *e);

/*
 * Join Selective KSM partition NAME for the whole address space
 * (prctl(PR_SET_KSM_PARTITION)), kept across the fork and exec that follow.
 * WHAT names what is being started, for the message ("cannot run 'qemu' in
 * KSM partition 'a'"); NOPART_HINT is the hint given when the kernel has no
 * partition membership. Never falls back to global merging.
 */
int tool_join_partition(const char *name, const char *what, const char *nopart_hint,
			struct tool_err *e);

/* "true"/"yes"/"on"/"1" -> 1, "false"/"no"/"off"/"0" -> 0 (any case), else -1 */
int tool_parse_bool(const char *v);

#endif
