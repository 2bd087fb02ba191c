#!/bin/sh
# The deduplication timing attack of make demo-attack at a small size (300
# trials per case, write probe): it succeeds against ksmd's global domain and
# inside one partition (AUC >= 0.9), and across two partitions the right and
# wrong guesses are indistinguishable (AUC in (0.4, 0.6), Mann-Whitney and
# Kolmogorov-Smirnov p >= 0.001) while both tenants' pages are proven merged
# in their own partitions. ksm-attack speaks TAP itself.
exec ksm-attack --tap --trials 300 --batch 300 --probe write
