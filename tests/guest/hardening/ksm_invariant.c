// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksm-invariant: check that no KSM page is mapped from two merge domains
 * (or from a process in none), over every process of the machine.  See
 * tests/lib/ksm_invariant.h for what is checked and how.
 *
 *   ksm-invariant [-q] [-d SECONDS] [-i MILLISECONDS]
 *
 * Without -d: one pass.  With -d: passes every -i milliseconds (default
 * 100) for SECONDS, stopping at the first violation.  Exit status: 0 no
 * violation, 1 a violation (described on stderr), 2 usage or error.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <time.h>
#include "ksm_invariant.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double duration = 0, t0;
	unsigned long passes = 0, frames = 0;
	struct kinv_result r;
	int opt, quiet = 0;
	long interval = 100, ret;

	while ((opt = getopt(argc, argv, "qd:i:h")) != -1) {
		switch (opt) {
		case 'q': quiet = 1; break;
		case 'd': duration = atof(optarg); break;
		case 'i': interval = atol(optarg); break;
		default:
			fprintf(opt == 'h' ? stdout : stderr,
				"usage: ksm-invariant [-q] [-d SECONDS] [-i MILLISECONDS]\n"
				"Checks that no KSM page is mapped from two merge domains.\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	t0 = now();
	do {
		ret = ksm_invariant_check(&r);
		if (ret < 0) {
			fprintf(stderr, "ksm-invariant: cannot read pagemap or /proc/kpageflags: %s (run as root)\n",
				strerror(errno));
			return 2;
		}
		passes++;
		frames += r.ksm_frames;
		if (ret) {
			fprintf(stderr, "ksm-invariant: pass %lu: %lu frame(s) break the invariant; first: %s\n",
				passes, r.violations, r.report);
			return 1;
		}
		if (duration > 0)
			usleep(interval * 1000);
	} while (now() - t0 < duration);
	if (!quiet)
		printf("ksm-invariant: %lu pass(es), %lu processes in the last, %lu shared KSM frames checked in all: no violation\n",
		       passes, r.processes, frames);
	return 0;
}
