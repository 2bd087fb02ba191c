// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tsc-mhz: the rate of this machine's time-stamp counter in MHz, measured
 * against CLOCK_MONOTONIC over half a second. Under QEMU TCG the guest's
 * rdtsc reads the host's counter, while the guest's own clock (jiffies,
 * its TSC being marked unstable) cannot calibrate it: make demo-attack
 * measures the rate here, on the host, and passes it to ksm-attack.
 */
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

int main(void)
{
	struct timespec a, b;
	unsigned long long t0, t1;
	double ns;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = __rdtsc();
	do {
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
	} while (ns < 5e8);
	t1 = __rdtsc();
	printf("%.1f\n", (t1 - t0) / ns * 1e3);
	return 0;
}
