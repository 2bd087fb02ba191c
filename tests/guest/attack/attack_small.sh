#!/bin/sh
# The deduplication timing attack of make demo-attack at a smaller size (2000
# trials per case, write probe; about 5 s): it succeeds against ksmd's global
# domain and inside one partition (AUC >= 0.9), and across two partitions the
# right and wrong guesses are indistinguishable (AUC in (0.4, 0.6), that is
# more than 13 standard errors of the AUC from either bound, and neither
# Mann-Whitney nor Kolmogorov-Smirnov rejects at alpha = 1e-4; with 2000
# trials a leak of AUC 0.53 would already give p < 1e-4), while both
# tenants' pages are proven merged in their own partitions. ksm-attack
# speaks TAP itself.
exec ksm-attack --tap --trials 2000 --batch 1000 --probe write --alpha 1e-4
