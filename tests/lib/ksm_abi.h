/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Selective KSM system call ABI, for the test and bench programs that
 * call the kernel directly rather than through libksm (whose own copy is in
 * lib/libksm.c). The kernel's headers have these once installed; a program
 * built against older headers gets them here. Numbers: doc/interface.md.
 */
#ifndef KSM_ABI_H
#define KSM_ABI_H

#ifndef __NR_ksm_open
#define __NR_ksm_open		990
#define __NR_ksm_merge		991
#define __NR_ksm_unmerge	992
#define __NR_ksm_unlink		993
#endif
#define NR_ksm_open		__NR_ksm_open
#define NR_ksm_merge		__NR_ksm_merge
#define NR_ksm_unmerge		__NR_ksm_unmerge
#define NR_ksm_unlink		__NR_ksm_unlink

#ifndef KSM_MERGE_ALL
#define KSM_MERGE_ALL		(1U << 0)	/* <linux/ksm.h> */
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open		434
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open		__NR_pidfd_open
#endif
#ifndef PR_SET_KSM_PARTITION
#define PR_SET_KSM_PARTITION	0x4b534d50	/* "KSMP" */
#endif

#endif
