/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Minimal kselftest TAP output for the libksm/ksmctl/ksm-exec tests. */
#ifndef KSM_TESTS_KSFT_H
#define KSM_TESTS_KSFT_H
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define KSFT_PASS 0
#define KSFT_FAIL 1
#define KSFT_SKIP 4

static int ksft_num, ksft_failed, ksft_passed;

static inline void ksft_plan(int n)
{
	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
}

static inline __attribute__((format(printf, 2, 3))) int ksft_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++ksft_num);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (cond)
		ksft_passed++;
	else
		ksft_failed++;
	return cond;
}

static inline __attribute__((format(printf, 1, 2))) void ksft_skip(const char *fmt, ...)
{
	va_list ap;

	printf("ok %d # SKIP ", ++ksft_num);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline __attribute__((format(printf, 1, 2))) void ksft_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* skip the whole program: the interface it needs is missing */
static inline __attribute__((noreturn)) void ksft_exit_skip(const char *why)
{
	printf("TAP version 13\n1..0 # SKIP %s\n", why);
	exit(KSFT_SKIP);
}

static inline __attribute__((noreturn)) void ksft_exit(void)
{
	printf("# passed %d failed %d\n", ksft_passed, ksft_failed);
	exit(ksft_failed ? KSFT_FAIL : KSFT_PASS);
}
#endif
