#!/bin/sh
# Replay the kept fuzzer runs (fuzz-seeds), then fuzz with a new seed for
# KSM_FUZZ_SECS (default 20; 300 for the 5-minute debug-kernel run).
# Each run is its own TAP subtest; run-tap -k checks the kernel log after.
dir=$(dirname "$0")
n=0 fail=0
echo "TAP version 13"
while read -r seed iters; do
	case "$seed" in ''|\#*) continue ;; esac
	n=$((n + 1))
	out=$("$dir/ksm_fuzz" -s "$seed" -n "$iters" 2>&1); rc=$?
	echo "$out" | sed 's/^/# /'
	if [ $rc -eq 0 ]; then echo "ok $n - replay of seed $seed ($iters iterations)"
	else echo "not ok $n - replay of seed $seed ($iters iterations)"; fail=1; fi
done <"$dir/fuzz-seeds"
n=$((n + 1))
out=$("$dir/ksm_fuzz" -d "${KSM_FUZZ_SECS:-20}" 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
if [ $rc -eq 0 ]; then echo "ok $n - fuzz ${KSM_FUZZ_SECS:-20} s with a new seed"
else echo "not ok $n - fuzz with a new seed (add its seed and iterations to fuzz-seeds)"; fail=1; fi
echo "1..$n"
exit $fail
