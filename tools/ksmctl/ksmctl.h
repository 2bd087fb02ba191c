/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ksmctl internals shared by main.c (dispatch, options, errors, JSON) and the
 * object files (partition.c and partition_apply.c, merge.c, status.c, ksmd.c,
 * metrics.c), the way
 * bpftool's main.h is. Not installed.
 */
#ifndef KSMCTL_H
#define KSMCTL_H

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <ksm.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#include "json.h"

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

/* ------------------------------------------------------------ errors (main.c) */

/* An error on its way up to main(), which prints it once. */
struct err {
	int errnum;
	int exit;
	char what[512];
	char hint[512];
};

/*
 * Record an error: exit code EXIT_CODE (0: derived from ERRNUM), errno
 * ERRNUM, a HINT for the user (may be NULL) and what failed. Returns -1.
 */
__attribute__((format(printf, 5, 6)))
int fail(struct err *e, int exit_code, int errnum, const char *hint, const char *fmt, ...);
#define usage_fail(e, ...) fail(e, EX_USAGE, EINVAL, NULL, __VA_ARGS__)

/* the running kernel lacks partitions / KSM: EX_NOTSUP with a hint */
int need_partitions(struct err *e);
int need_ksm(struct err *e);
/* a hint for EPERM/EACCES, "" otherwise */
const char *perm_hint(int errnum);

/* ------------------------------------------------------------ JSON (main.c) */

extern bool json_out, json_pretty;
extern struct jw *jw;	/* writes to a memory buffer: printed only on success */
void set_json(bool pretty);

/* ------------------------------------------------------------ help and options (main.c) */

int print_help(const char *text);
bool is_help(const char *s);
/* index of the command ARG names (exact or unique prefix), -1 none, -2 ambiguous */
int match(const char *arg, const char *const *cands, int n);
int match_or_fail(const char *arg, const char *const *cands, int n, const char *what,
		  const char *hint, struct err *e);
int parse_pid(const char *s, pid_t *pid, struct err *e);
/*
 * A pidfd of process PID (pidfd_open(2)), to name a merge target: once it is
 * open, PID cannot be reused by another process under it. -1 with errno.
 */
int open_pidfd(pid_t pid);
int parse_ulong(const char *s, int base, unsigned long *out, const char *what, struct err *e);
int parse_range(const char *s, unsigned long *start, unsigned long *end, struct err *e);
int check_name(const char *name, struct err *e);
/* getopt_long over a sub-command's argv, accepting -j/-p anywhere */
int next_opt(int argc, char **argv, const struct option *opts, struct err *e, int *bad);

/* ------------------------------------------------------------ objects */

/* OBJECT's entry point: argv[0] is the object's name */
int do_partition(int argc, char **argv, struct err *e);
int do_merge(int argc, char **argv, struct err *e);
int do_unmerge(int argc, char **argv, struct err *e);
int do_status(int argc, char **argv, struct err *e);
int do_ksmd(int argc, char **argv, struct err *e);
int do_metrics(int argc, char **argv, struct err *e);

/* partition.c: every partition as a JSON array or a text table (status uses it) */
int list_partitions(bool as_text, struct err *e);
/* partition_apply.c: partition apply [FILE] [--dry-run] (argv[0] is "apply") */
int cmd_partition_apply(int argc, char **argv, struct err *e);
/*
 * ids.c: user NAME (or, NAME NULL, user number UID): its uid and primary
 * group; group NAME: its gid. -1 if unknown.
 */
int id_user(const char *name, uid_t uid, uid_t *uid_out, gid_t *gid_out);
int id_group(const char *name, gid_t *gid_out);

#endif
