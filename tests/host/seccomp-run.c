// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seccomp-run --prctl-einval -- COMMAND...: run COMMAND with
 * prctl(PR_SET_MEMORY_MERGE, ...) failing with EINVAL, as on a kernel
 * older than 6.4 (emulates "no PR_SET_MEMORY_MERGE" on this host).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PR_SET_MEMORY_MERGE_NR 67

int main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	int i = 1;

	if (argc < 4 || strcmp(argv[1], "--prctl-einval") || strcmp(argv[2], "--")) {
		fprintf(stderr, "usage: seccomp-run --prctl-einval -- COMMAND...\n");
		return 2;
	}
	i = 3;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(prctl), 1,
				     SCMP_A0(SCMP_CMP_EQ, PR_SET_MEMORY_MERGE_NR)) < 0 ||
	    seccomp_load(ctx) < 0) {
		fprintf(stderr, "seccomp-run: cannot install the filter\n");
		return 3;
	}
	execvp(argv[i], argv + i);
	perror("seccomp-run: exec");
	return 127;
}
