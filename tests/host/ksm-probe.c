// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksm-probe: a stand-in for a VMM. Optionally installs a seccomp filter
 * that denies prctl() (as Firecracker/HVT filters do), then maps NSAME
 * identical pages and NUNIQUE distinct pages, prints one line
 *   pid=P same=ADDR nsame=N unique=ADDR nunique=N merge_any=0|1 prctl_denied=0|1 mg=0|1
 * and sleeps until killed. mg: the VMA of the identical pages has VM_MERGEABLE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#define PR_GET_MEMORY_MERGE 68
#endif

static int vma_mergeable(unsigned long addr)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	int in = 0, mg = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = addr >= s && addr < e;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			mg = strstr(line, " mg") != NULL;
			break;
		}
	}
	fclose(f);
	return mg;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seccomp", no_argument, NULL, 's' },
		{ "same", required_argument, NULL, 'n' },
		{ "unique", required_argument, NULL, 'u' },
		{}
	};
	long psz = sysconf(_SC_PAGESIZE), nsame = 256, nunique = 64;
	int use_seccomp = 0, c, denied = 0;
	unsigned char *same, *uniq;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			use_seccomp = 1;
		else if (c == 'n')
			nsame = atol(optarg);
		else if (c == 'u')
			nunique = atol(optarg);
		else
			return 2;
	}
	if (use_seccomp) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

		if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prctl), 0) < 0 ||
		    seccomp_load(ctx) < 0) {
			fprintf(stderr, "ksm-probe: cannot install seccomp filter\n");
			return 3;
		}
		seccomp_release(ctx);
		/* the filter is active: the program can no longer opt in or out */
		denied = prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0) < 0 && errno == EPERM;
	}
	same = mmap(NULL, nsame * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uniq = mmap(NULL, nunique * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (same == MAP_FAILED || uniq == MAP_FAILED)
		return 3;
	/* no THP: KSM would split it anyway, and pagemap counts stay per page */
	madvise(same, nsame * psz, MADV_NOHUGEPAGE);
	madvise(uniq, nunique * psz, MADV_NOHUGEPAGE);
	for (long i = 0; i < nsame; i++)
		memset(same + i * psz, 0x5a, psz);
	srand(getpid());
	for (long i = 0; i < nunique; i++)
		for (long j = 0; j < psz; j += sizeof(int)) {
			int r = rand() ^ (int)(i << 16);

			memcpy(uniq + i * psz + j, &r, sizeof(r));
		}
	printf("pid=%d same=0x%lx nsame=%ld unique=0x%lx nunique=%ld merge_any=%d prctl_denied=%d mg=%d\n",
	       getpid(), (unsigned long)same, nsame, (unsigned long)uniq, nunique,
	       use_seccomp ? -1 : (int)prctl(PR_GET_MEMORY_MERGE, 0, 0, 0, 0), denied,
	       vma_mergeable((unsigned long)same));
	fflush(stdout);
	for (;;)
		pause();
}
